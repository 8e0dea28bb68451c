// Package policy checks the small TXT-record policies of a mail domain:
// TLS-RPT (RFC 8460), where senders report TLS failures, and BIMI (the
// BIMI draft, draft-brand-indicators-for-message-identification), the logo
// that mailbox providers show for authenticated mail. Both are tag lists
// like DMARC's: "v=TLSRPTv1; rua=..." at _smtp._tls.<domain>, and
// "v=BIMI1; l=...; a=..." at default._bimi.<domain>.
package policy

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	mdns "github.com/miekg/dns"
	"github.com/smtptool/smtptool/check/tags"
	"github.com/smtptool/smtptool/dns"
	"github.com/smtptool/smtptool/report"
)

// Tags parses a tag list (package tags) whose first tag must be
// v=version; a part that is not tag=value or a repeated tag is an error.
func Tags(txt, version string) (map[string]string, error) {
	list, bad := tags.Split(txt)
	if len(bad) > 0 {
		return nil, fmt.Errorf("%q is not tag=value", bad[0])
	}
	m := map[string]string{}
	for i, t := range list {
		if _, dup := m[t.Name]; dup {
			return nil, fmt.Errorf("the %s tag appears twice", t.Name)
		}
		if i == 0 && (t.Name != "v" || t.Value != version) {
			return nil, fmt.Errorf("the record must start with v=%s", version)
		}
		m[t.Name] = t.Value
	}
	return m, nil
}

// records returns the TXT records at name that start with "v=<version>".
func records(ctx context.Context, r dns.Resolver, name, version string) ([]string, error) {
	ans, err := r.Lookup(ctx, name, mdns.TypeTXT)
	if err != nil {
		return nil, err
	}
	return dns.TXTMatching(ans, func(t string) bool { return strings.HasPrefix(strings.TrimSpace(t), "v="+version) }), nil
}

// TLSRPT is the TLS-RPT check's data.
type TLSRPT struct {
	Record string   `json:"record,omitempty"`
	RUA    []string `json:"rua,omitempty"`
}

// CheckTLSRPT checks _smtp._tls.<domain> (RFC 8460 §3).
func CheckTLSRPT(ctx context.Context, r dns.Resolver, domain string) *report.Check {
	res := &TLSRPT{}
	c := &report.Check{Name: "tlsrpt", Data: res}
	name := "_smtp._tls." + strings.TrimSuffix(domain, ".")
	recs, err := records(ctx, r, name, "TLSRPTv1")
	switch {
	case err != nil:
		c.Add(report.LookupFailed(err))
		return c
	case len(recs) == 0:
		c.Add(report.Finding{ID: "tlsrpt.missing", Severity: report.Info,
			Message: fmt.Sprintf("%s publishes no TLS-RPT record: senders cannot tell you when TLS to your servers fails", domain),
			Fix:     fmt.Sprintf(`publish TXT at %s: "v=TLSRPTv1; rua=mailto:tls-reports@%s"`, name, domain),
			Ref:     "RFC 8460 §3"})
		return c
	case len(recs) > 1:
		c.Add(tlsrptSyntax(name, fmt.Sprintf("%d TLS-RPT records; exactly one is allowed", len(recs))))
		return c
	}
	res.Record = recs[0]
	tags, err := Tags(recs[0], "TLSRPTv1")
	if err != nil {
		c.Add(tlsrptSyntax(name, err.Error()))
		return c
	}
	rua, ok := tags["rua"]
	if !ok || rua == "" {
		c.Add(tlsrptSyntax(name, "the required rua= tag is missing"))
		return c
	}
	for _, u := range strings.Split(rua, ",") {
		u = strings.TrimSpace(u)
		res.RUA = append(res.RUA, u)
		// RFC 8460 §3: mailto: or https: URIs.
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "mailto" || p.Opaque == "" || !strings.Contains(p.Opaque, "@")) && (p.Scheme != "https" || p.Host == "") {
			c.Add(tlsrptSyntax(name, fmt.Sprintf("rua entry %q is not a mailto: or https: URI", u)))
		}
	}
	return c
}

func tlsrptSyntax(name, why string) report.Finding {
	return report.Finding{ID: "tlsrpt.syntax", Severity: report.Error,
		Message: fmt.Sprintf("the TLS-RPT record at %s is malformed: %s; senders ignore it", name, why),
		Fix:     `publish exactly one record such as "v=TLSRPTv1; rua=mailto:tls-reports@example.com"`, Ref: "RFC 8460 §3"}
}

// BIMI is the BIMI check's data.
type BIMI struct {
	Record   string `json:"record,omitempty"`
	Logo     string `json:"logo,omitempty"`      // l=
	Evidence string `json:"authority,omitempty"` // a=
}

// DMARCState is what BIMI needs to know of the domain's DMARC policy.
type DMARCState struct {
	Known    bool   // a DMARC policy was found
	Policy   string // none, quarantine, reject
	Percent  int
	Inherits bool
}

// CheckBIMI checks default._bimi.<domain>. A domain without BIMI gets no
// finding: BIMI is optional. With one, DMARC must be enforced.
func CheckBIMI(ctx context.Context, r dns.Resolver, domain string, d DMARCState) *report.Check {
	res := &BIMI{}
	c := &report.Check{Name: "bimi", Data: res}
	name := "default._bimi." + strings.TrimSuffix(domain, ".")
	recs, err := records(ctx, r, name, "BIMI1")
	switch {
	case err != nil:
		c.Add(report.LookupFailed(err))
		return c
	case len(recs) == 0:
		return c
	case len(recs) > 1:
		c.Add(bimiSyntax(name, fmt.Sprintf("%d BIMI records; exactly one is allowed", len(recs))))
		return c
	}
	res.Record = recs[0]
	tags, err := Tags(recs[0], "BIMI1")
	if err != nil {
		c.Add(bimiSyntax(name, err.Error()))
		return c
	}
	res.Logo, res.Evidence = tags["l"], tags["a"]
	for _, tag := range []string{"l", "a"} {
		v, ok := tags[tag]
		if !ok || v == "" {
			continue // l= empty is a declination; a= is optional
		}
		if u, err := url.Parse(v); err != nil || u.Scheme != "https" || u.Host == "" {
			c.Add(bimiSyntax(name, fmt.Sprintf("%s=%s is not an https:// URL", tag, v)))
		}
	}
	if _, ok := tags["l"]; !ok {
		c.Add(bimiSyntax(name, "the l= tag (the logo's URL) is missing"))
	}
	if !d.Known || d.Policy == "none" || d.Percent < 100 {
		why := "no DMARC policy"
		if d.Known {
			why = fmt.Sprintf("DMARC p=%s, pct=%d", d.Policy, d.Percent)
		}
		c.Add(report.Finding{ID: "bimi.dmarc-not-enforced", Severity: report.Warning,
			Message: fmt.Sprintf("%s publishes BIMI but DMARC is not enforced (%s): mailbox providers will not show the logo", domain, why),
			Fix:     "enforce DMARC: p=quarantine or p=reject with pct=100", Ref: "draft-brand-indicators-for-message-identification §4.3, RFC 7489 §6.3"})
	}
	return c
}

func bimiSyntax(name, why string) report.Finding {
	return report.Finding{ID: "bimi.syntax", Severity: report.Error,
		Message: fmt.Sprintf("the BIMI record at %s is malformed: %s", name, why),
		Fix:     `publish "v=BIMI1; l=https://example.com/logo.svg" (and a=https://.../vmc.pem with a mark certificate)`, Ref: "draft-brand-indicators-for-message-identification §4.2"}
}
