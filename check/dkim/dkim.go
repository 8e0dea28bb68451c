// Package dkim checks DKIM public keys (RFC 6376 §3.6, RFC 8463 for
// Ed25519, RFC 8301 for key sizes and algorithms) and verifies a message's
// signatures. A key lives in a TXT record at <selector>._domainkey.<domain>
// as a tag list: v=DKIM1, k= (rsa or ed25519), p= (the public key; empty
// means revoked), h= (hash algorithms), t= (flags: y testing, s strict).
// Selectors cannot be listed through DNS, so without --selector the check
// tries the selectors that the big senders use.
package dkim

import (
	"context"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"sync"

	mdns "github.com/miekg/dns"
	"github.com/smtptool/smtptool/check/tags"
	"github.com/smtptool/smtptool/dns"
	"github.com/smtptool/smtptool/report"
)

// CommonSelectors are tried when no selector is given: those of the big
// mail providers and senders, and the usual defaults.
var CommonSelectors = []string{
	"google",                 // Google Workspace
	"selector1", "selector2", // Microsoft 365
	"k1", "k2", "k3", // Mailchimp / Mandrill, Mailgun
	"s1", "s2", "smtpapi", // SendGrid
	"mandrill", "mte1", "mte2", // Mandrill, Mailchimp Transactional
	"sig1",              // Apple iCloud
	"fm1", "fm2", "fm3", // Fastmail
	"protonmail", "protonmail2", "protonmail3", // Proton
	"zoho", "zmail", // Zoho
	"pm", "mailjet", "sib", "hs1", "hs2", "cm", // Postmark, Mailjet, Brevo, HubSpot, Campaign Monitor
	"kl", "kl2", "mxvault", "everlytickey1", "everlytickey2", // Klaviyo, MXroute, Everlytic
	"default", "dkim", "mail", "email", "smtp", "mx", "key1", "key2", "selector", "x", // common defaults
}

// Key is a parsed key record.
type Key struct {
	Selector string            `json:"selector"`
	Name     string            `json:"name"`
	Record   string            `json:"record"`
	Tags     map[string]string `json:"tags"`
	Type     string            `json:"type,omitempty"` // rsa or ed25519
	Bits     int               `json:"bits,omitempty"`
	Revoked  bool              `json:"revoked"`
	Testing  bool              `json:"testing"`
	// Strict is t=s: the i= of a signature must be d= exactly, no
	// subdomain (RFC 6376 §3.6.1).
	Strict bool     `json:"strict,omitempty"`
	Hashes []string `json:"hashes,omitempty"` // h=, when given
	CNAMEs []string `json:"cnames,omitempty"`
}

// Result is what the check learned; the check's JSON data.
// Name is the check's name in reports.
const Name = "dkim"

// Options say which selectors to check.
type Options struct {
	// Selectors to look up; none sweeps CommonSelectors.
	Selectors []string
}

// Result is what the check learned; the check's JSON data.
type Result struct {
	Domain string   `json:"domain"`
	Tried  []string `json:"tried"`
	Keys   []*Key   `json:"keys"`
}

// Check looks up the keys of the given selectors, or sweeps the common
// ones concurrently when none are given.
func Check(ctx context.Context, r dns.Resolver, domain string, o Options) (*Result, []report.Finding) {
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	selectors := o.Selectors
	given := len(selectors) > 0
	if !given {
		selectors = CommonSelectors
	}
	res := &Result{Domain: domain, Tried: selectors, Keys: []*Key{}}
	var fs report.Findings
	if !given {
		// RFC 8020 §2: nothing exists below a name that does not exist, so
		// when _domainkey.<domain> is NXDOMAIN no selector can be there and
		// the sweep's 42 questions are one. (Empty non-terminals answer
		// NOERROR, RFC 8020 §2; a failed lookup sweeps as before.)
		if ans, err := r.Lookup(ctx, "_domainkey."+domain, mdns.TypeTXT); err == nil && ans.NXDomain() {
			res.Tried = []string{}
			fs.Add(report.Finding{ID: "dkim.none-found", Severity: report.Warning,
				Message: fmt.Sprintf("_domainkey.%s does not exist (NXDOMAIN), so no DKIM key can exist below it", domain),
				Fix:     "give the selector your signer uses with --selector (it is the s= of a DKIM-Signature header); if the domain sends mail, sign it with DKIM", Ref: "RFC 6376 §3.6.2, RFC 8020 §2"})
			return res, fs
		}
	}

	type outcome struct {
		key      *Key
		findings []report.Finding
		found    bool
	}
	outs := make([]outcome, len(selectors))
	var wg sync.WaitGroup
	for i, sel := range selectors {
		wg.Go(func() {
			name := sel + "._domainkey." + domain
			ans, err := r.Lookup(ctx, name, mdns.TypeTXT)
			if err != nil {
				outs[i].findings = []report.Finding{report.LookupFailed(err)}
				return
			}
			txts := dns.TXT(ans)
			if len(txts) == 0 {
				if given {
					outs[i].findings = []report.Finding{{ID: "dkim.selector-missing", Severity: report.Error,
						Message: fmt.Sprintf("there is no DKIM key at %s: signatures with s=%s cannot be verified", name, sel),
						Fix:     "publish the key your signer uses at that name (your provider shows the record), or check the selector", Ref: "RFC 6376 §3.6.2"}}
				}
				return
			}
			k, fs := parseKey(sel, name, txts[0])
			k.CNAMEs = ans.CNAMEs
			if len(txts) > 1 {
				// RFC 6376 §3.6.2.2: several records at one selector make
				// the result undefined; verifiers pick any, or fail.
				fs = append(fs, report.Finding{ID: "dkim.multiple-records", Severity: report.Error,
					Message: fmt.Sprintf("%s has %d TXT records: which key verifiers use is undefined", name, len(txts)),
					Fix:     "keep exactly one key record at the selector (use a new selector for a new key)", Ref: "RFC 6376 §3.6.2.2"})
			}
			outs[i] = outcome{key: k, findings: fs, found: true}
		})
	}
	wg.Wait()
	found := false
	for _, o := range outs {
		fs.Add(o.findings...)
		if o.key != nil {
			res.Keys = append(res.Keys, o.key)
		}
		found = found || o.found
	}
	if len(res.Keys) > 0 && !slices.ContainsFunc(res.Keys, func(k *Key) bool { return k.Type != "ed25519" || k.Revoked }) {
		// RFC 8463 §5: until verifiers all know ed25519-sha256, sign with
		// an RSA key too.
		fs.Add(report.Finding{ID: "dkim.ed25519-only", Severity: report.Warning,
			Message: fmt.Sprintf("every DKIM key found for %s is Ed25519: receivers that verify only RSA see no valid signature", domain),
			Fix:     "sign with a 2048-bit RSA key as well, under its own selector (two signatures per message)", Ref: "RFC 8463 §5, RFC 6376 §4.2"})
	}
	if !found && !given && !slices.ContainsFunc(fs, func(f report.Finding) bool { return f.ID == "dns.lookup-failed" }) {
		fs.Add(report.Finding{ID: "dkim.none-found", Severity: report.Warning,
			Message: fmt.Sprintf("no DKIM key found for %s at any of %d common selectors (listed as tried)", domain, len(selectors)),
			Fix:     "give the selector your signer uses with --selector (it is the s= of a DKIM-Signature header); if the domain sends mail, sign it with DKIM", Ref: "RFC 6376 §3.6.2"})
	}
	return res, fs
}

// parseKey reads a key record (RFC 6376 §3.6.1) and checks it.
func parseKey(sel, name, txt string) (*Key, []report.Finding) {
	k := &Key{Selector: sel, Name: name, Record: txt, Tags: map[string]string{}}
	var fs []report.Finding
	syntax := func(format string, args ...any) {
		fs = append(fs, report.Finding{ID: "dkim.syntax", Severity: report.Error,
			Message: fmt.Sprintf("the DKIM key at %s is malformed: %s", name, fmt.Sprintf(format, args...)),
			Fix:     "republish the key record exactly as your signer produces it", Ref: "RFC 6376 §3.6.1"})
	}
	list, bad := tags.Split(txt)
	for _, part := range bad {
		syntax("%q is not tag=value", part)
	}
	for i, t := range list {
		// RFC 6376 §3.6.1: white space inside values (folded p=) is ignored.
		value := strings.Join(strings.Fields(t.Value), "")
		if _, dup := k.Tags[t.Name]; dup {
			syntax("the %s tag appears twice", t.Name)
		}
		k.Tags[t.Name] = value
		if t.Name == "v" && (i != 0 || value != "DKIM1") {
			syntax("v= must come first and be DKIM1")
		}
	}
	k.Type = strings.ToLower(k.Tags["k"])
	if k.Type == "" {
		k.Type = "rsa"
	}
	if k.Type != "rsa" && k.Type != "ed25519" {
		syntax("k=%s is not a known key type (rsa, ed25519)", k.Tags["k"])
		return k, fs
	}
	if h, ok := k.Tags["h"]; ok {
		for _, alg := range strings.Split(h, ":") {
			if alg != "sha256" && alg != "sha1" {
				syntax("h=%s names an unknown hash algorithm %q", h, alg)
			}
			k.Hashes = append(k.Hashes, alg)
		}
		if !slices.Contains(k.Hashes, "sha256") {
			// RFC 8301 §3.1: rsa-sha1 MUST NOT be used for signing or
			// verifying, so a key restricted to it verifies nothing.
			fs = append(fs, report.Finding{ID: "dkim.key-sha1-only", Severity: report.Error,
				Message: fmt.Sprintf("the key at %s allows only h=%s: receivers no longer accept SHA-1 signatures, so nothing signed with it verifies", name, h),
				Fix:     "publish h=sha256 (or drop h=) and sign with rsa-sha256", Ref: "RFC 8301 §3.1, RFC 6376 §3.6.1"})
		}
	}
	k.Strict = slices.Contains(strings.Split(k.Tags["t"], ":"), "s")
	if slices.Contains(strings.Split(k.Tags["t"], ":"), "y") {
		k.Testing = true
		fs = append(fs, report.Finding{ID: "dkim.testing", Severity: report.Info,
			Message: fmt.Sprintf("the key at %s has t=y: the domain is testing DKIM and receivers may ignore failures", name),
			Fix:     "remove t=y once signing works", Ref: "RFC 6376 §3.6.1"})
	}
	p, ok := k.Tags["p"]
	if !ok {
		syntax("the required p= tag is missing")
		return k, fs
	}
	if p == "" {
		k.Revoked = true
		fs = append(fs, report.Finding{ID: "dkim.revoked", Severity: report.Warning,
			Message: fmt.Sprintf("the key at %s is revoked (empty p=): signatures with it fail", name),
			Fix:     "stop signing with this selector, or publish its current key", Ref: "RFC 6376 §3.6.1"})
		return k, fs
	}
	raw, err := base64.StdEncoding.DecodeString(p)
	if err != nil {
		fs = append(fs, invalid(name, "p= is not valid base64"))
		return k, fs
	}
	switch k.Type {
	case "ed25519":
		// RFC 8463 §4: the raw 32-byte key.
		if len(raw) != ed25519.PublicKeySize {
			fs = append(fs, invalid(name, fmt.Sprintf("an Ed25519 key is 32 bytes, not %d", len(raw))))
		}
		k.Bits = 256
	case "rsa":
		pub, err := RSAKey(raw)
		if err != nil {
			fs = append(fs, invalid(name, err.Error()))
			return k, fs
		}
		k.Bits = pub.N.BitLen()
		// RFC 8301 §3.2: verifiers must reject keys under 1024 bits; 2048
		// is what signers should use.
		switch {
		case k.Bits < 1024:
			fs = append(fs, report.Finding{ID: "dkim.key-weak", Severity: report.Error,
				Message: fmt.Sprintf("the RSA key at %s has %d bits: receivers reject keys under 1024 bits", name, k.Bits),
				Fix:     "generate a 2048-bit key under a new selector, sign with it, then revoke this one", Ref: "RFC 8301 §3.2"})
		case k.Bits < 2048:
			fs = append(fs, report.Finding{ID: "dkim.key-weak", Severity: report.Warning,
				Message: fmt.Sprintf("the RSA key at %s has %d bits; 2048 is the recommended size", name, k.Bits),
				Fix:     "rotate to a 2048-bit key under a new selector", Ref: "RFC 8301 §3.2"})
		}
	}
	return k, fs
}

// RSAKey reads an RSA key as SubjectPublicKeyInfo (RFC 6376 §3.6.1), or
// as the bare PKCS#1 form that some signers publish.
func RSAKey(der []byte) (*rsa.PublicKey, error) {
	if pub, err := x509.ParsePKIXPublicKey(der); err == nil {
		if k, ok := pub.(*rsa.PublicKey); ok {
			return k, nil
		}
		return nil, fmt.Errorf("k=rsa, but p= holds a %T key", pub)
	}
	if k, err := x509.ParsePKCS1PublicKey(der); err == nil {
		return k, nil
	}
	return nil, fmt.Errorf("p= does not hold an RSA public key")
}

func invalid(name, why string) report.Finding {
	return report.Finding{ID: "dkim.key-invalid", Severity: report.Error,
		Message: fmt.Sprintf("the DKIM key at %s does not decode: %s", name, why),
		Fix:     "republish the key exactly as your signer produces it (no truncation, no stray quotes or spaces)", Ref: "RFC 6376 §3.6.1"}
}

// WriteText lists the keys found and the selectors tried.
func (res *Result) WriteText(p *report.Printer) {
	var rows [][]report.Cell
	for _, k := range res.Keys {
		desc := fmt.Sprintf("%s %d bits", k.Type, k.Bits)
		style := report.Good
		if k.Revoked {
			desc, style = "revoked", report.Warn
		}
		if len(k.Hashes) > 0 {
			desc += ", h=" + strings.Join(k.Hashes, ":")
		}
		if k.Testing {
			desc += ", t=y (testing)"
		}
		if k.Strict {
			desc += ", t=s (i= must equal d=)"
		}
		rows = append(rows, []report.Cell{report.C(k.Selector, report.Bold), report.C(desc, style), report.C(k.Name, report.Dim)})
	}
	p.Table(4, rows)
	if len(res.Tried) > 0 {
		p.Line(4, p.S(report.Dim, fmt.Sprintf("selectors tried: %s", strings.Join(res.Tried, ", "))))
	}
}
