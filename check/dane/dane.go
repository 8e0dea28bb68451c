// Package dane implements DANE for SMTP (RFC 7672, RFC 6698): an MX host
// publishes TLSA records at _25._tcp.<host> that pin its certificate or
// its issuing CA. They count only when DNSSEC secures them, the MX RRset
// and the host's addresses (smtptool's own validation, or the AD bit of a
// validating resolver); a sender then requires a presented chain that
// matches a DANE-TA or DANE-EE record, instead of trusting the web PKI.
package dane

import (
	"context"
	"crypto/x509"
	"fmt"
	"strings"
	"sync"
	"time"

	mdns "github.com/miekg/dns"
	"github.com/smtptool/smtptool/dns"
	"github.com/smtptool/smtptool/dns/validate"
	"github.com/smtptool/smtptool/report"
)

// TLSA is one TLSA record (RFC 6698 §2.1).
type TLSA struct {
	Usage        uint8  `json:"usage"`         // 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE
	Selector     uint8  `json:"selector"`      // 0 full certificate, 1 SubjectPublicKeyInfo
	MatchingType uint8  `json:"matching_type"` // 0 exact, 1 SHA-256, 2 SHA-512
	Data         string `json:"data"`          // hex
	// Matched is set by a probe: this record matched the presented chain.
	Matched bool `json:"matched,omitempty"`
}

// Usable reports whether senders use the record: DANE-TA and DANE-EE only;
// PKIX-TA and PKIX-EE are unusable for SMTP (RFC 7672 §3.1.3).
func (t TLSA) Usable() bool { return t.Usage == 2 || t.Usage == 3 }

func (t TLSA) String() string {
	return fmt.Sprintf("%d %d %d %s", t.Usage, t.Selector, t.MatchingType, t.Data)
}

// Host is the TLSA records of one MX host.
type Host struct {
	Host      string `json:"host"`
	Name      string `json:"name"` // _25._tcp.<host>
	Records   []TLSA `json:"records,omitempty"`
	Authentic bool   `json:"dnssec"`
	// Validation is smtptool's own DNSSEC verdict on the TLSA answer, when
	// it validated.
	Validation *validate.Result `json:"validation,omitempty"`
	// Unused says why senders do not use the records, when a probe knows
	// (the domain's MX RRset is not secure).
	Unused string `json:"unused,omitempty"`
}

// TLSAName is where a host's TLSA records live (RFC 7672 §2.2.3).
func TLSAName(host string, port int) string {
	return fmt.Sprintf("_%d._tcp.%s", port, strings.TrimSuffix(host, "."))
}

// Lookup returns a host's TLSA records and whether DNSSEC secures them:
// by the validator's own verdict when v is set (a bogus RRset comes back
// with its records and the verdict), else by the resolver's AD bit.
func Lookup(ctx context.Context, r dns.Resolver, v *validate.Validator, host string, port int) (*Host, error) {
	h := &Host{Host: strings.TrimSuffix(host, "."), Name: TLSAName(host, port)}
	var rrs []mdns.RR
	if v != nil {
		res := v.Validate(ctx, h.Name, mdns.TypeTLSA)
		if res.Status == validate.Indeterminate {
			return h, res.Err
		}
		h.Validation, h.Authentic, rrs = res, res.Status == validate.Secure, res.Records
	} else {
		ans, err := r.Lookup(ctx, h.Name, mdns.TypeTLSA)
		if err != nil {
			return h, err
		}
		h.Authentic, rrs = ans.Authentic, ans.Records
	}
	for _, rr := range rrs {
		if t, ok := rr.(*mdns.TLSA); ok {
			h.Records = append(h.Records, TLSA{Usage: t.Usage, Selector: t.Selector, MatchingType: t.MatchingType, Data: strings.ToLower(t.Certificate)})
		}
	}
	return h, nil
}

// Bogus reports whether smtptool's validation found the TLSA RRset bogus.
func (h *Host) Bogus() bool { return h.Validation != nil && h.Validation.Status == validate.Bogus }

// Result is the dane check's data: the MX hosts that have TLSA records.
type Result struct {
	Hosts []*Host `json:"hosts"`
}

// Name is the check's name in reports.
const Name = "dane"

// Options give the check the domain's MX host names.
type Options struct {
	// MXHosts gives the MX host names whose TLSA records to look up; it is
	// called when the check needs them, so the MX lookup can run meanwhile.
	MXHosts func() []string
	// Validator, when set, validates the TLSA, MX and address answers
	// itself; nil relies on the resolver's AD bit.
	Validator *validate.Validator
	// MXValidated, when set, gives the validator's verdict on the domain's
	// MX answer that the dnssec check has too, so it is judged once.
	MXValidated func() *validate.Result
}

// Check looks up the TLSA records of every MX host of the domain and
// judges them as sending MTAs do (RFC 7672 §2.2): TLSA records count only
// when they, the MX RRset and the host's address records are all secure;
// a bogus TLSA RRset makes senders defer the mail.
func Check(ctx context.Context, r dns.Resolver, domain string, o Options) (*Result, []report.Finding) {
	mxValidated := o.MXValidated
	if mxValidated == nil && o.Validator != nil {
		mxValidated = sync.OnceValue(func() *validate.Result { return o.Validator.Validate(ctx, domain, mdns.TypeMX) })
		go mxValidated() // beside the TLSA lookups
	}
	var mxHosts []string
	if o.MXHosts != nil {
		mxHosts = o.MXHosts()
	}
	hosts := make([]*Host, len(mxHosts))
	addrs := make([][]*validate.Result, len(mxHosts))
	errs := make([]error, len(mxHosts))
	var wg sync.WaitGroup
	for i, h := range mxHosts {
		wg.Go(func() { hosts[i], errs[i] = Lookup(ctx, r, o.Validator, h, 25) })
		if o.Validator != nil {
			addrs[i] = make([]*validate.Result, 2)
			for k, t := range []uint16{mdns.TypeA, mdns.TypeAAAA} {
				wg.Go(func() { addrs[i][k] = o.Validator.Validate(ctx, h, t) })
			}
		}
	}
	wg.Wait()
	found := []*Host{}
	var fs report.Findings
	var with, without []string
	for i, h := range hosts {
		if errs[i] != nil {
			fs.Add(report.LookupFailed(errs[i]))
			continue
		}
		if h.Bogus() {
			found = append(found, h)
			fs.Add(BogusFinding(h))
			with = append(with, h.Host)
			continue
		}
		if len(h.Records) == 0 {
			without = append(without, h.Host)
			continue
		}
		found = append(found, h)
		if !h.Authentic {
			fs.Add(report.Finding{ID: "dane.tlsa-unsigned", Severity: report.Warning,
				Message: fmt.Sprintf("%s has TLSA records, but they are not DNSSEC-validated: senders ignore them (or the resolver does not validate)", h.Name),
				Fix:     "sign the zone with DNSSEC (and check with a validating --resolver), or remove the TLSA records", Ref: "RFC 7672 §2.2"})
			continue
		}
		with = append(with, h.Host)
		if o.Validator != nil {
			fs.Add(hostInsecure(h, addrs[i])...)
		}
		fs.Add(usages(h)...)
	}
	if mxValidated != nil && len(with) > 0 {
		if m := mxValidated(); m != nil && m.Status == validate.Insecure {
			fs.Add(report.Finding{ID: "dane.mx-insecure", Severity: report.Warning,
				Message: fmt.Sprintf("%s publish signed TLSA records, but the MX answer of %s is not DNSSEC-secure (%s): senders do not use DANE for it", strings.Join(with, ", "), domain, m.Reason),
				Fix:     fmt.Sprintf("sign %s (and publish its DS), or senders will not look up the MX hosts' TLSA records", domain),
				Ref:     "RFC 7672 §2.2.1"})
		}
	}
	if len(with) > 0 && len(without) > 0 {
		fs.Add(report.Finding{ID: "dane.partial", Severity: report.Warning,
			Message: fmt.Sprintf("%s have TLSA records, %s not: mail through the latter is not protected by DANE, and an attacker can steer senders there", strings.Join(with, ", "), strings.Join(without, ", ")),
			Fix:     "publish TLSA records for every MX host (3 1 1 of each host's key)", Ref: "RFC 7672 §2.2.1"})
	}
	return &Result{Hosts: found}, fs
}

// BogusFinding is the finding of a host whose TLSA RRset fails DNSSEC
// validation (Bogus): senders that use DANE defer its mail.
func BogusFinding(h *Host) report.Finding {
	return report.Finding{ID: "dane.tlsa-bogus", Severity: report.Error,
		Message: fmt.Sprintf("the TLSA records at %s fail DNSSEC validation (%s): DANE senders will not deliver to %s, and defer the mail", h.Name, h.Validation.Reason, h.Host),
		Fix:     fmt.Sprintf("re-sign the zone of %s, or fix what its validation names", h.Host), Ref: "RFC 7672 §2.2"}
}

// hostInsecure: the host's address records must be secure too, or
// senders do not look up its TLSA records (RFC 7672 §2.2.2).
func hostInsecure(h *Host, addrs []*validate.Result) []report.Finding {
	for _, a := range addrs {
		if a != nil && len(a.Records) > 0 && a.Status != validate.Secure {
			return []report.Finding{{ID: "dane.host-insecure", Severity: report.Warning,
				Message: fmt.Sprintf("%s has signed TLSA records, but its %s records are %s (%s): senders do not use DANE for it", h.Host, a.Type, a.Status, a.Reason),
				Fix:     fmt.Sprintf("publish %s's address records in a signed zone (no CNAME into an unsigned one)", h.Host),
				Ref:     "RFC 7672 §2.2.2"}}
		}
	}
	return nil
}

// usages judges the records of a host whose TLSA RRset is secure.
func usages(h *Host) []report.Finding {
	var usable, pkix []TLSA
	for _, t := range h.Records {
		if t.Usable() {
			usable = append(usable, t)
		} else if t.Usage <= 1 {
			pkix = append(pkix, t)
		}
	}
	var fs []report.Finding
	if len(pkix) > 0 {
		what := "senders ignore them"
		if len(usable) == 0 {
			what = "with no DANE-TA (2) or DANE-EE (3) record beside them, the host gets no DANE protection"
		}
		fs = append(fs, report.Finding{ID: "dane.pkix-usage", Severity: report.Warning,
			Message: fmt.Sprintf("%s has TLSA records of usage 0 or 1 (PKIX-TA, PKIX-EE), which SMTP senders do not use: %s", h.Name, what),
			Fix:     "publish DANE-EE records instead: 3 1 1 <SHA-256 of the server's public key>", Ref: "RFC 7672 §3.1.3"})
	}
	if len(usable) == 1 && usable[0].Usage == 3 {
		fs = append(fs, report.Finding{ID: "dane.rollover", Severity: report.Info,
			Message: fmt.Sprintf("%s has a single TLSA record (%d %d %d): a new key or certificate that it does not match breaks delivery from DANE senders", h.Name, usable[0].Usage, usable[0].Selector, usable[0].MatchingType),
			Fix:     "before changing the key, publish a 3 1 1 record for the next key beside the current one (or pair 3 1 1 with a 2 1 1 for the issuing CA), and wait two TTLs",
			Ref:     "RFC 7671 §8.1"})
	}
	return fs
}

// Authenticate matches a presented chain (leaf first) against the
// usable TLSA records (RFC 7672 §3.1), marks each record that matched,
// and returns the usage of the first (3 before 2), or 0 when none did.
// DANE-EE pins the leaf, with no name or date checks (§3.1.1); DANE-TA
// pins an issuer in the chain, which must then validate the leaf for the
// host name at now (§3.1.2, §3.2.2). PKIX usages 0 and 1 are not used
// (§3.1.3).
func Authenticate(records []TLSA, chain []*x509.Certificate, host string, now time.Time) uint8 {
	var by uint8
	for i := range records {
		rec := &records[i]
		rec.Matched = len(chain) > 0 && rec.Usable() && authenticates(*rec, chain, host, now)
		if rec.Matched && (by == 0 || rec.Usage > by) {
			by = rec.Usage
		}
	}
	return by
}

func authenticates(rec TLSA, chain []*x509.Certificate, host string, now time.Time) bool {
	if rec.Usage == 3 {
		return matches(rec, chain[0])
	}
	for i, ca := range chain[1:] {
		if !matches(rec, ca) {
			continue
		}
		roots := x509.NewCertPool()
		roots.AddCert(ca)
		inter := x509.NewCertPool()
		for _, c := range chain[1 : i+1] {
			inter.AddCert(c)
		}
		if _, err := chain[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: host, CurrentTime: now}); err == nil {
			return true
		}
	}
	return false
}

// matches reports whether a certificate is the one a record pins, by
// miekg/dns's RFC 6698 §2.1 encoding of it.
func matches(rec TLSA, c *x509.Certificate) bool {
	data, err := mdns.CertificateToDANE(rec.Selector, rec.MatchingType, c)
	return err == nil && strings.EqualFold(data, rec.Data)
}

// Record returns the "3 1 1" TLSA record of a certificate: DANE-EE,
// public key, SHA-256 (RFC 7671 §5.1's recommendation).
func Record(c *x509.Certificate) TLSA {
	data, _ := mdns.CertificateToDANE(1, 1, c) // defined for selector 1, type 1
	return TLSA{Usage: 3, Selector: 1, MatchingType: 1, Data: data}
}

// WriteText shows each MX host's TLSA records and their DNSSEC status.
func (res *Result) WriteText(p *report.Printer) {
	for _, h := range res.Hosts {
		state := "not DNSSEC-validated"
		switch {
		case h.Bogus():
			state = "DNSSEC-bogus"
		case h.Authentic:
			state = "DNSSEC-secure"
		}
		var recs []string
		for _, t := range h.Records {
			recs = append(recs, fmt.Sprintf("%d %d %d", t.Usage, t.Selector, t.MatchingType))
		}
		p.Line(4, fmt.Sprintf("%s%s %s", p.S(report.Dim, h.Name+": "), strings.Join(recs, ", "), p.S(report.Dim, "("+state+")")))
	}
}
