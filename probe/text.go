package probe

import (
	"fmt"
	"strings"
	"time"

	"github.com/smtptool/smtptool/report"
)

// WriteText shows the steps with their timings and replies, then the TLS
// session and certificate chain; verbose adds the transcript.
func (r *Result) WriteText(p *report.Printer) {
	var rows [][]report.Cell
	for _, st := range r.Steps {
		dur := report.C(fmt.Sprintf("%6.1f ms", st.DurationMS), report.Dim)
		what := st.Sent
		var reply report.Cell
		switch {
		case st.Error != "":
			reply = report.C(st.Error, report.Bad)
		case st.Reply != nil:
			style := report.Good
			if st.Reply.Code >= 400 {
				style = report.Bad
			}
			reply = report.C(oneLine(st.Reply), style)
		case st.Name == StepConnect || st.Name == StepTLS:
			reply = report.C("ok", report.Good)
		}
		rows = append(rows, []report.Cell{report.C(st.Name, report.Bold), dur, report.C(what, report.Plain), reply})
	}
	p.Table(4, rows)
	if len(r.EHLO) > 0 {
		p.Line(4, p.S(report.Dim, "extensions: ")+strings.Join(r.EHLO, ", "))
	}
	if len(r.EHLOTLS) > 0 {
		p.Line(4, p.S(report.Dim, "after TLS:  ")+strings.Join(r.EHLOTLS, ", "))
	}
	if t := r.TLS; t != nil {
		p.Line(4, p.S(report.Dim, "tls:        ")+t.Version+", "+t.Cipher)
		for i, c := range t.Chain {
			when := fmt.Sprintf("expires %s (in %s)", c.NotAfter.Format(time.DateOnly), days(c.DaysLeft))
			if c.Expired {
				when = fmt.Sprintf("expired %s (%s ago)", c.NotAfter.Format(time.DateOnly), days(-c.DaysLeft))
			}
			p.Line(4, fmt.Sprintf("%s%s  %s", p.S(report.Dim, fmt.Sprintf("cert %d:     ", i)), c.Subject,
				p.S(report.Dim, fmt.Sprintf("issuer %s, %s, %s", c.Issuer, c.Key, when))))
		}
		trust := p.S(report.Good, "trusted ✓")
		switch {
		case t.TrustError != "":
			trust = p.S(report.Bad, "untrusted ✗")
		case !t.Trusted:
			trust = p.S(report.Bad, "chain trusted, but not valid now ✗")
		}
		name := ""
		if t.Name != "" {
			name = p.S(report.Good, ", name "+t.Name+" ✓")
			if !t.NameMatches {
				name = p.S(report.Bad, ", name "+t.Name+" ✗")
			}
		}
		p.Line(4, p.S(report.Dim, "verify:     ")+trust+name)
		if t.DANE != "" {
			p.Line(4, p.S(report.Dim, "dane:       ")+p.S(report.Good, "authenticated by "+t.DANE+" ✓"))
		}
		for _, sc := range t.Scan {
			got := p.S(report.Good, "refused ✓")
			if sc.Accepted {
				got = p.S(report.Bad, fmt.Sprintf("accepted ✗ (%s, %s)", sc.Version, sc.Cipher))
			}
			p.Line(4, p.S(report.Dim, "offered "+sc.Offered+": ")+got)
		}
	}
	if d := r.DANE; d != nil {
		state := "not DNSSEC-secure: senders ignore them"
		switch {
		case d.Unused != "":
			state = d.Unused
		case d.Bogus():
			state = "DNSSEC-bogus: DANE senders defer the mail"
		case d.Authentic:
			state = "DNSSEC-secure"
		}
		p.Line(4, p.S(report.Dim, "tlsa:       ")+d.Name+" "+p.S(report.Dim, "("+state+")"))
		authenticated := r.TLS != nil && r.TLS.DANE != ""
		for _, rec := range d.Records {
			got := p.S(report.Bad, "no match ✗")
			switch {
			case !rec.Usable():
				got = p.S(report.Dim, "unusable for SMTP (usage 0/1, RFC 7672 §3.1.3)")
			case rec.Matched:
				got = p.S(report.Good, "matched ✓")
			case !d.Authentic || d.Unused != "":
				got = ""
			case authenticated:
				got = p.S(report.Dim, "no match (another record matched)")
			}
			p.Line(6, truncate(rec.String(), 40)+"  "+got)
		}
	}
	if p.Verbose {
		p.Line(4, p.S(report.Dim, "transcript:"))
		for _, l := range r.Transcript {
			p.Line(6, fmt.Sprintf("%s %s %s", p.S(report.Dim, fmt.Sprintf("%8.1f", l.AtMS)), dirMark(l.Dir), truncate(l.Text, 200)))
		}
	}
}

func oneLine(r *Reply) string {
	if len(r.Lines) <= 1 {
		return truncate(r.String(), 100)
	}
	return truncate(fmt.Sprintf("%d %s (+%d lines)", r.Code, r.Lines[0], len(r.Lines)-1), 100)
}

func dirMark(d string) string {
	switch d {
	case "C":
		return "C:"
	case "S":
		return "S:"
	}
	return "* "
}
