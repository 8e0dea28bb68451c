package mx

import (
	"fmt"
	"strings"

	"github.com/smtptool/smtptool/report"
)

// WriteText shows the mail hosts as a table: preference, host, address,
// PTR name with its forward confirmation.
func (r *Result) WriteText(p *report.Printer) {
	switch {
	case r.Err != nil, r.NXDomain:
		return
	case r.NullMX && len(r.Hosts) == 0:
		p.Line(4, "null MX: the domain accepts no mail")
		return
	case r.Implicit:
		p.Line(4, p.S(report.Dim, "no MX: the implicit MX is the domain itself"))
	}
	var rows [][]report.Cell
	for _, h := range r.Hosts {
		pref := fmt.Sprint(h.Preference)
		name := strings.TrimSuffix(h.Name, ".")
		if len(h.CNAMEs) > 0 {
			name += " → " + strings.TrimSuffix(h.CNAMEs[len(h.CNAMEs)-1], ".")
		}
		if len(h.Addresses) == 0 {
			rows = append(rows, []report.Cell{report.C(pref, report.Dim), report.C(name, report.Bold), report.C("no address", report.Bad)})
		}
		for i, a := range h.Addresses {
			ptr := report.C("no PTR", report.Warn)
			if len(a.PTR) > 0 {
				mark, style := "✓", report.Good
				if !a.FCrDNS {
					mark, style = "✗ not confirmed", report.Warn
				}
				ptr = report.C(strings.TrimSuffix(a.PTR[0], ".")+" "+mark, style)
			}
			if i > 0 {
				pref, name = "", ""
			}
			rows = append(rows, []report.Cell{report.C(pref, report.Dim), report.C(name, report.Bold), report.C(a.IP.String(), report.Plain), ptr})
		}
	}
	p.Table(4, rows)
}
