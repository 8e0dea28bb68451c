package message

import (
	"cmp"
	"fmt"
	"strings"
	"time"

	"github.com/smtptool/smtptool/report"
)

// WriteText shows the path, then each mechanism's verdict.
func (r *Result) WriteText(p *report.Printer) {
	var rows [][]report.Cell
	for i, h := range r.Path {
		at, delay := "", ""
		if !h.At.IsZero() {
			at = h.At.UTC().Format(time.DateTime)
		}
		if h.DelayS != 0 {
			delay = fmt.Sprintf("+%s", (time.Duration(h.DelayS) * time.Second).String())
		}
		from := h.From
		if h.FromIP.IsValid() {
			from += " [" + h.FromIP.String() + "]"
		}
		rows = append(rows, []report.Cell{report.C(fmt.Sprint(i+1), report.Dim), report.C(at, report.Dim), report.C(delay, report.Plain),
			report.C(strings.TrimSpace(from+" → "+h.By), report.Plain), report.C(strings.TrimSpace(h.With+" "+h.TLS), report.Dim)})
	}
	p.Line(4, p.S(report.Dim, "path (newest first):"))
	p.Table(6, rows)
	fields := [][]report.Cell{
		{report.C("client", report.Dim), report.C(fmt.Sprintf("%s, helo %s, sender <%s> (Received field %d)", r.Client.IP, r.Client.Helo, r.Client.Sender, r.Client.Hop), report.Plain)},
	}
	if r.SPF != nil {
		fields = append(fields, []report.Cell{report.C("spf", report.Dim), report.C(fmt.Sprintf("%s: %s", r.SPF.Result, r.SPF.Reason), verdictStyle(string(r.SPF.Result)))})
	}
	for _, d := range r.DKIM {
		text := fmt.Sprintf("%s d=%s s=%s %s", d.Result, d.Domain, d.Selector, d.Algorithm)
		if d.Bits > 0 {
			text += fmt.Sprintf(" (%d bits)", d.Bits)
		}
		if d.Reason != "" {
			text += ": " + d.Reason
		}
		fields = append(fields, []report.Cell{report.C("dkim", report.Dim), report.C(text, verdictStyle(d.Result))})
	}
	if d := r.DMARC; d != nil {
		text := fmt.Sprintf("%s for %s (policy %s at %s; spf aligned %v, dkim aligned %v)", d.Result, d.Domain, d.Policy, d.PolicyAt, d.SPFAligned, d.DKIMAligned)
		if d.Disposition != "" {
			text += ", disposition " + d.Disposition
		}
		fields = append(fields, []report.Cell{report.C("dmarc", report.Dim), report.C(text, verdictStyle(d.Result))})
	}
	arc := r.ARC.Result
	if r.ARC.Instances > 0 {
		arc += fmt.Sprintf(", %d instances", r.ARC.Instances)
	}
	if r.ARC.Why != "" {
		arc += ": " + r.ARC.Why
	}
	fields = append(fields, []report.Cell{report.C("arc", report.Dim), report.C(arc, verdictStyle(r.ARC.Result))})
	if r.BIMI != nil {
		b := "no BIMI record"
		if r.BIMI.Record != "" {
			b = "logo " + cmp.Or(r.BIMI.Logo, "(none)")
			if r.BIMI.Evidence != "" {
				b += ", mark certificate " + r.BIMI.Evidence
			}
		}
		fields = append(fields, []report.Cell{report.C("bimi", report.Dim), report.C(b, report.Plain)})
	}
	for _, rc := range r.Receivers {
		var parts []string
		var differs []string
		for _, m := range []string{"spf", "dkim", "dmarc", "arc"} {
			if v, ok := rc.Results[m]; ok {
				parts = append(parts, m+"="+v)
			}
			if d, ok := rc.Differs[m]; ok {
				differs = append(differs, d)
			}
		}
		fields = append(fields, []report.Cell{report.C("receiver", report.Dim), report.C(rc.AuthServID+" said "+strings.Join(parts, " "), report.Plain)})
		for _, d := range differs {
			fields = append(fields, []report.Cell{report.C("", report.Dim), report.C(d, report.Warn)})
		}
	}
	p.Fields(4, fields)
}

func verdictStyle(v string) report.Style {
	switch v {
	case "pass":
		return report.Good
	case "fail", "softfail", "permerror":
		return report.Bad
	case "none", "neutral", "unverified":
		return report.Dim
	}
	return report.Warn
}
