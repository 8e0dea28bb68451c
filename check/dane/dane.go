// Package dane implements DANE for SMTP (RFC 7672, RFC 6698): an MX host
// publishes TLSA records at _25._tcp.<host> that pin its certificate or
// its issuing CA. They count only when DNSSEC validates them (the AD bit
// from a validating resolver); a sender then requires a presented chain
// that matches one of them, instead of trusting the web PKI.
package dane

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"

	mdns "github.com/miekg/dns"
	"github.com/smtptool/smtptool/dns"
	"github.com/smtptool/smtptool/report"
)

// TLSA is one TLSA record (RFC 6698 §2.1).
type TLSA struct {
	Usage        uint8  `json:"usage"`         // 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE
	Selector     uint8  `json:"selector"`      // 0 full certificate, 1 SubjectPublicKeyInfo
	MatchingType uint8  `json:"matching_type"` // 0 exact, 1 SHA-256, 2 SHA-512
	Data         string `json:"data"`          // hex
}

// Host is the TLSA records of one MX host.
type Host struct {
	Host      string `json:"host"`
	Name      string `json:"name"` // _25._tcp.<host>
	Records   []TLSA `json:"records,omitempty"`
	Authentic bool   `json:"dnssec"`
}

// TLSAName is where a host's TLSA records live (RFC 7672 §2.2.3).
func TLSAName(host string, port int) string {
	return fmt.Sprintf("_%d._tcp.%s", port, strings.TrimSuffix(host, "."))
}

// Lookup returns a host's TLSA records and whether DNSSEC validated them.
func Lookup(ctx context.Context, r dns.Resolver, host string, port int) (*Host, error) {
	h := &Host{Host: strings.TrimSuffix(host, "."), Name: TLSAName(host, port)}
	ans, err := r.Lookup(ctx, h.Name, mdns.TypeTLSA)
	if err != nil {
		return h, err
	}
	h.Authentic = ans.Authentic
	for _, t := range dns.Records[*mdns.TLSA](ans) {
		h.Records = append(h.Records, TLSA{t.Usage, t.Selector, t.MatchingType, strings.ToLower(t.Certificate)})
	}
	return h, nil
}

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
}

// Check looks up the TLSA records of every MX host of the domain: records
// that DNSSEC does not validate are unusable (RFC 7672 §2.2).
func Check(ctx context.Context, r dns.Resolver, _ string, o Options) (*Result, []report.Finding) {
	var mxHosts []string
	if o.MXHosts != nil {
		mxHosts = o.MXHosts()
	}
	hosts := make([]*Host, len(mxHosts))
	errs := make([]error, len(mxHosts))
	var wg sync.WaitGroup
	for i, h := range mxHosts {
		wg.Go(func() { hosts[i], errs[i] = Lookup(ctx, r, h, 25) })
	}
	wg.Wait()
	found := []*Host{}
	var fs report.Findings
	for i, h := range hosts {
		if errs[i] != nil {
			fs.Add(report.LookupFailed(errs[i]))
			continue
		}
		if len(h.Records) == 0 {
			continue
		}
		found = append(found, h)
		if !h.Authentic {
			fs.Add(report.Finding{ID: "dane.tlsa-unsigned", Severity: report.Warning,
				Message: fmt.Sprintf("%s has TLSA records, but they are not DNSSEC-validated: senders ignore them (or the resolver does not validate)", h.Name),
				Fix:     "sign the zone with DNSSEC (and check with a validating --resolver), or remove the TLSA records", Ref: "RFC 7672 §2.2"})
		}
	}
	return &Result{Hosts: found}, fs
}

// Match reports whether a presented chain (leaf first) matches a usable
// TLSA record (RFC 7672 §3.1): DANE-EE pins the leaf, with no name or date
// checks; DANE-TA pins an issuer in the chain, which must then validate
// the leaf for the host name at now. PKIX usages 0 and 1 are read as 2 and
// 3, as RFC 7672 §3.1.3 advises senders.
func Match(records []TLSA, chain []*x509.Certificate, host string, now time.Time) bool {
	if len(chain) == 0 {
		return false
	}
	for _, rec := range records {
		switch rec.Usage {
		case 3, 1:
			if matches(rec, chain[0]) {
				return true
			}
		case 2, 0:
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
		}
	}
	return false
}

func matches(rec TLSA, c *x509.Certificate) bool {
	var data []byte
	switch rec.Selector {
	case 0:
		data = c.Raw
	case 1:
		data = c.RawSubjectPublicKeyInfo
	default:
		return false
	}
	want, err := hex.DecodeString(rec.Data)
	if err != nil {
		return false
	}
	switch rec.MatchingType {
	case 0:
		return bytes.Equal(data, want)
	case 1:
		sum := sha256.Sum256(data)
		return bytes.Equal(sum[:], want)
	case 2:
		sum := sha512.Sum512(data)
		return bytes.Equal(sum[:], want)
	}
	return false
}

// Record returns the "3 1 1" TLSA record of a certificate: DANE-EE,
// public key, SHA-256 (RFC 7671 §5.1's recommendation).
func Record(c *x509.Certificate) TLSA {
	sum := sha256.Sum256(c.RawSubjectPublicKeyInfo)
	return TLSA{3, 1, 1, hex.EncodeToString(sum[:])}
}
