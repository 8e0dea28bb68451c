// Package tlsrpt checks a domain's TLS-RPT record (RFC 8460): the TXT
// record "v=TLSRPTv1; rua=..." at _smtp._tls.<domain> that tells sending
// MTAs where to report failed TLS sessions with its mail servers.
package tlsrpt

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/smtptool/smtptool/check/tags"
	"github.com/smtptool/smtptool/dns"
	"github.com/smtptool/smtptool/report"
)

// Name is the check's name in reports.
const Name = "tlsrpt"

// Options tune the check; there is nothing to tune yet.
type Options struct{}

// Result is the check's data.
type Result struct {
	Record string   `json:"record,omitempty"`
	RUA    []string `json:"rua,omitempty"`
}

// Check checks _smtp._tls.<domain> (RFC 8460 §3).
func Check(ctx context.Context, r dns.Resolver, domain string, _ Options) (*Result, []report.Finding) {
	res := &Result{}
	var fs report.Findings
	name := "_smtp._tls." + strings.TrimSuffix(domain, ".")
	recs, err := tags.Records(ctx, r, name, "TLSRPTv1")
	switch {
	case err != nil:
		fs.Add(report.LookupFailed(err))
		return res, fs
	case len(recs) == 0:
		fs.Add(report.Finding{ID: "tlsrpt.missing", Severity: report.Info,
			Message: fmt.Sprintf("%s publishes no TLS-RPT record: senders cannot tell you when TLS to your servers fails", domain),
			Fix:     fmt.Sprintf(`publish TXT at %s: "v=TLSRPTv1; rua=mailto:tls-reports@%s"`, name, domain),
			Ref:     "RFC 8460 §3"})
		return res, fs
	case len(recs) > 1:
		fs.Add(syntax(name, fmt.Sprintf("%d TLS-RPT records; exactly one is allowed", len(recs))))
		return res, fs
	}
	res.Record = recs[0]
	tl, err := tags.Versioned(recs[0], "TLSRPTv1")
	if err != nil {
		fs.Add(syntax(name, err.Error()))
		return res, fs
	}
	rua, ok := tl["rua"]
	if !ok || rua == "" {
		fs.Add(syntax(name, "the required rua= tag is missing"))
		return res, fs
	}
	for _, u := range strings.Split(rua, ",") {
		u = strings.TrimSpace(u)
		res.RUA = append(res.RUA, u)
		// RFC 8460 §3: mailto: or https: URIs.
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "mailto" || p.Opaque == "" || !strings.Contains(p.Opaque, "@")) && (p.Scheme != "https" || p.Host == "") {
			fs.Add(syntax(name, fmt.Sprintf("rua entry %q is not a mailto: or https: URI", u)))
		}
	}
	return res, fs
}

func syntax(name, why string) report.Finding {
	return report.Finding{ID: "tlsrpt.syntax", Severity: report.Error,
		Message: fmt.Sprintf("the TLS-RPT record at %s is malformed: %s; senders ignore it", name, why),
		Fix:     `publish exactly one record such as "v=TLSRPTv1; rua=mailto:tls-reports@example.com"`, Ref: "RFC 8460 §3"}
}
