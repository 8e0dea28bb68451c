// Package bimi checks a domain's BIMI record (draft-brand-indicators-for-
// message-identification): "v=BIMI1; l=...; a=..." at default._bimi.<domain>
// names the logo that mailbox providers show beside authenticated mail,
// and the mark certificate that vouches for it. Providers show it only
// when the domain's DMARC policy is enforced.
package bimi

import (
	"crypto/x509"
	"time"

	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/smtptool/smtptool/check/webget"

	"github.com/smtptool/smtptool/check/tags"
	"github.com/smtptool/smtptool/dns"
	"github.com/smtptool/smtptool/report"
)

// Name is the check's name in reports.
const Name = "bimi"

// Given is a DMARC state known before the check runs.
func Given(d DMARCState) func() DMARCState { return func() DMARCState { return d } }

// DMARCState is what BIMI needs to know of the domain's DMARC policy.
type DMARCState struct {
	Known    bool   // a DMARC policy was found
	Policy   string // none, quarantine, reject
	Percent  int
	Inherits bool
}

// Options give the check the domain's DMARC policy, and say whether and
// how to fetch the logo and the mark certificate.
type Options struct {
	// DMARC gives the domain's DMARC policy; it is called when the check
	// needs it, so that the DMARC check can run meanwhile.
	DMARC func() DMARCState
	// Fetch gets l= and a= over HTTPS and checks them.
	Fetch   bool
	Port    int            // replaces 443: for test labs
	RootCAs *x509.CertPool // nil: the system's
	Timeout time.Duration
	// Now is the clock for the certificate's dates (default time.Now).
	Now func() time.Time
}

// Result is the check's data.
type Result struct {
	Record   string `json:"record,omitempty"`
	Logo     string `json:"logo,omitempty"`      // l=
	Evidence string `json:"authority,omitempty"` // a=
}

// Check checks default._bimi.<domain>. A domain without BIMI gets no
// finding: BIMI is optional. With one, DMARC must be enforced.
func Check(ctx context.Context, r dns.Resolver, domain string, o Options) (*Result, []report.Finding) {
	res := &Result{}
	var fs report.Findings
	name := "default._bimi." + strings.TrimSuffix(domain, ".")
	recs, err := tags.Records(ctx, r, name, "BIMI1")
	switch {
	case err != nil:
		fs.Add(report.LookupFailed(err))
		return res, fs
	case len(recs) == 0:
		return res, fs
	case len(recs) > 1:
		fs.Add(syntax(name, fmt.Sprintf("%d BIMI records; exactly one is allowed", len(recs))))
		return res, fs
	}
	res.Record = recs[0]
	tl, err := tags.Versioned(recs[0], "BIMI1")
	if err != nil {
		fs.Add(syntax(name, err.Error()))
		return res, fs
	}
	res.Logo, res.Evidence = tl["l"], tl["a"]
	for _, tag := range []string{"l", "a"} {
		v, ok := tl[tag]
		if !ok || v == "" {
			continue // l= empty is a declination; a= is optional
		}
		if u, err := url.Parse(v); err != nil || u.Scheme != "https" || u.Host == "" {
			fs.Add(syntax(name, fmt.Sprintf("%s=%s is not an https:// URL", tag, v)))
		}
	}
	if _, ok := tl["l"]; !ok {
		fs.Add(syntax(name, "the l= tag (the logo's URL) is missing"))
	}
	if o.Fetch {
		get := webget.Options{Port: o.Port, RootCAs: o.RootCAs, Timeout: o.Timeout}
		if l := tl["l"]; strings.HasPrefix(l, "https://") {
			fs.Add(checkLogo(ctx, r, l, get)...)
		}
		if a := tl["a"]; strings.HasPrefix(a, "https://") {
			now := time.Now
			if o.Now != nil {
				now = o.Now
			}
			fs.Add(checkMark(ctx, r, a, get, now())...)
		}
	}
	d := DMARCState{}
	if o.DMARC != nil {
		d = o.DMARC()
	}
	if !d.Known || d.Policy == "none" || d.Percent < 100 {
		why := "no DMARC policy"
		if d.Known {
			why = fmt.Sprintf("DMARC p=%s, pct=%d", d.Policy, d.Percent)
		}
		fs.Add(report.Finding{ID: "bimi.dmarc-not-enforced", Severity: report.Warning,
			Message: fmt.Sprintf("%s publishes BIMI but DMARC is not enforced (%s): mailbox providers will not show the logo", domain, why),
			Fix:     "enforce DMARC: p=quarantine or p=reject with pct=100", Ref: "draft-brand-indicators-for-message-identification §4.3, RFC 7489 §6.3"})
	}
	return res, fs
}

func syntax(name, why string) report.Finding {
	return report.Finding{ID: "bimi.syntax", Severity: report.Error,
		Message: fmt.Sprintf("the BIMI record at %s is malformed: %s", name, why),
		Fix:     `publish "v=BIMI1; l=https://example.com/logo.svg" (and a=https://.../vmc.pem with a mark certificate)`, Ref: "draft-brand-indicators-for-message-identification §4.2"}
}
