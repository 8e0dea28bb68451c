package dkim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/emersion/go-msgauth/dkim"
	mdns "github.com/miekg/dns"
	"github.com/smtptool/smtptool/dns"
	"github.com/smtptool/smtptool/report"
)

// Signature is the verification of one DKIM-Signature header.
type Signature struct {
	Domain     string   `json:"domain"`
	Identifier string   `json:"identifier,omitempty"`
	Headers    []string `json:"signed_headers,omitempty"`
	Result     string   `json:"result"` // pass, fail (permfail) or temperror
	Error      string   `json:"error,omitempty"`
}

// Verification is the result of verifying a message.
type Verification struct {
	Signatures []Signature `json:"signatures"`
}

// Verify checks every DKIM signature of a message (RFC 6376 §6) with
// emersion/go-msgauth, looking keys up through r.
func Verify(ctx context.Context, r dns.Resolver, msg io.Reader) (*report.Check, error) {
	verifs, err := dkim.VerifyWithOptions(msg, &dkim.VerifyOptions{
		MaxVerifications: 20,
		LookupTXT: func(name string) ([]string, error) {
			ans, err := r.Lookup(ctx, name, mdns.TypeTXT)
			if err != nil {
				// go-msgauth reads a temporary DNSError as temperror.
				return nil, &net.DNSError{Err: err.Error(), Name: name, IsTemporary: true}
			}
			if ans.Empty() {
				return nil, &net.DNSError{Err: "no key record", Name: name, IsNotFound: true}
			}
			return dns.TXT(ans), nil
		},
	})
	if err != nil && !errors.Is(err, dkim.ErrTooManySignatures) {
		return nil, fmt.Errorf("dkim: reading the message: %w", err)
	}
	v := &Verification{Signatures: []Signature{}}
	c := &report.Check{Name: "dkim verify", Data: v}
	if len(verifs) == 0 {
		c.Add(report.Finding{ID: "dkim.unsigned", Severity: report.Warning,
			Message: "the message has no DKIM-Signature header",
			Fix:     "sign outgoing mail with DKIM (and align d= with the From: domain for DMARC)", Ref: "RFC 6376 §3.5"})
	}
	for _, vf := range verifs {
		s := Signature{Domain: vf.Domain, Identifier: vf.Identifier, Headers: vf.HeaderKeys, Result: "pass"}
		if vf.Err != nil {
			s.Result, s.Error = "fail", vf.Err.Error()
			if dkim.IsTempFail(vf.Err) {
				s.Result = "temperror"
			}
			c.Add(report.Finding{ID: "dkim.signature-" + map[string]string{"fail": "failed", "temperror": "unverified"}[s.Result],
				Severity: report.Error,
				Message:  fmt.Sprintf("the signature of %s does not verify (%s): %s", vf.Domain, s.Result, vf.Err),
				Fix:      "check that the signer's key matches the published record and that nothing rewrites the message after signing (footers, line endings)",
				Ref:      "RFC 6376 §6.1"})
		}
		v.Signatures = append(v.Signatures, s)
	}
	return c, nil
}

// WriteText lists each signature with its result.
func (v *Verification) WriteText(p *report.Printer) {
	var rows [][]report.Cell
	for _, s := range v.Signatures {
		style := report.Good
		if s.Result != "pass" {
			style = report.Bad
		}
		rows = append(rows, []report.Cell{report.C(s.Result, style), report.C("d="+s.Domain, report.Bold),
			report.C("h="+strings.Join(s.Headers, ":"), report.Dim)})
	}
	p.Table(4, rows)
}
