package validate_test

import (
	"context"
	"strings"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
	"github.com/smtptool/smtptool/dns"
	"github.com/smtptool/smtptool/dns/validate"
	"github.com/smtptool/smtptool/lab"
)

// signedWorld is a signed root and test. (the lab's own), and zones below
// them each wrong in exactly one way.
const signedWorld = `
$TTL 300
$ORIGIN good.test.
;@lab signed
@          MX    10 mx
mx         A     127.0.0.10
_25._tcp.mx TLSA 3 1 1 0000000000000000000000000000000000000000000000000000000000000000
alias      CNAME mx

$ORIGIN unsigned.test.
@          MX    10 mx.good.test.
mx         A     127.0.0.11

$ORIGIN bogus.test.
;@lab signed
;@lab bogus @ MX
@          MX    10 mx
mx         A     127.0.0.12

$ORIGIN expired.test.
;@lab signed expired
@          MX    10 mx

$ORIGIN expiring.test.
;@lab signed expiring
@          MX    10 mx

$ORIGIN dsmismatch.test.
;@lab signed ds-mismatch
@          MX    10 mx

$ORIGIN nodnskey.test.
;@lab signed no-dnskey
@          MX    10 mx

$ORIGIN sha1.test.
;@lab signed rsasha1
@          MX    10 mx

$ORIGIN nsec3.test.
;@lab signed nsec3
@          MX    10 mx
mx         A     127.0.0.13

$ORIGIN optout.test.
;@lab signed nsec3 optout
@          MX    10 mx
mx         A     127.0.0.14

$ORIGIN child.optout.test.
;@lab zone
@          MX    10 mx.good.test.

$ORIGIN child.good.test.
;@lab zone
@          MX    10 mx.good.test.
`

func world(t *testing.T, tweak func(*lab.Zone)) (*validate.Validator, *dns.Client, *lab.Zone) {
	t.Helper()
	z := lab.NewZone()
	if err := z.Parse(strings.NewReader(signedWorld), ".", "world"); err != nil {
		t.Fatal(err)
	}
	if tweak != nil {
		tweak(z)
	}
	s, err := lab.StartDNS(z)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	c, err := dns.New(dns.Config{Servers: []string{s.Addr}, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return validate.New(c, z.TrustAnchors(), nil), c, z
}

func TestVerdicts(t *testing.T) {
	v, _, _ := world(t, nil)
	for _, tc := range []struct {
		name   string
		qtype  uint16
		status validate.Status
		zone   string
		reason string
	}{
		{"good.test", mdns.TypeMX, validate.Secure, "", ""},
		{"mx.good.test", mdns.TypeA, validate.Secure, "", ""},
		{"_25._tcp.mx.good.test", mdns.TypeTLSA, validate.Secure, "", ""},
		{"alias.good.test", mdns.TypeA, validate.Secure, "", ""},
		{"nothing.good.test", mdns.TypeA, validate.Secure, "", ""},   // NXDOMAIN proven by NSEC
		{"mx.good.test", mdns.TypeAAAA, validate.Secure, "", ""},     // NODATA proven by NSEC
		{"_tcp.mx.good.test", mdns.TypeTXT, validate.Secure, "", ""}, // empty non-terminal
		{"unsigned.test", mdns.TypeMX, validate.Insecure, "unsigned.test.", ""},
		{"nothing.unsigned.test", mdns.TypeA, validate.Insecure, "unsigned.test.", ""},
		{"child.good.test", mdns.TypeMX, validate.Insecure, "child.good.test.", ""},
		{"bogus.test", mdns.TypeMX, validate.Bogus, "bogus.test.", "does not verify"},
		{"mx.bogus.test", mdns.TypeA, validate.Secure, "", ""},
		{"expired.test", mdns.TypeMX, validate.Bogus, "expired.test.", "expired on"},
		{"expiring.test", mdns.TypeMX, validate.Secure, "", ""},
		{"dsmismatch.test", mdns.TypeMX, validate.Bogus, "dsmismatch.test.", "matches its DS"},
		{"nodnskey.test", mdns.TypeMX, validate.Bogus, "nodnskey.test.", "no DNSKEY"},
		{"sha1.test", mdns.TypeMX, validate.Secure, "", ""},
		{"nsec3.test", mdns.TypeMX, validate.Secure, "", ""},
		{"nothing.nsec3.test", mdns.TypeA, validate.Secure, "", ""},
		{"mx.nsec3.test", mdns.TypeAAAA, validate.Secure, "", ""},
		{"optout.test", mdns.TypeMX, validate.Secure, "", ""},
		{"child.optout.test", mdns.TypeMX, validate.Insecure, "child.optout.test.", ""},
	} {
		t.Run(tc.name+"/"+mdns.TypeToString[tc.qtype], func(t *testing.T) {
			r := v.Validate(context.Background(), tc.name, tc.qtype)
			if r.Status != tc.status || tc.zone != "" && r.Zone != tc.zone || !strings.Contains(r.Reason, tc.reason) {
				t.Errorf("got %v zone %q reason %q; want %v zone %q reason containing %q", r.Status, r.Zone, r.Reason, tc.status, tc.zone, tc.reason)
			}
		})
	}
}

// tamper is a resolver on the path that changes responses: what a spoofed
// or broken answer looks like to the validator.
type tamper struct {
	c      *dns.Client
	change func(name string, qtype uint16, m *mdns.Msg)
}

func (t tamper) QueryDNSSEC(ctx context.Context, name string, qtype uint16) (*mdns.Msg, error) {
	m, err := t.c.QueryDNSSEC(ctx, name, qtype)
	if err != nil {
		return nil, err
	}
	m = m.Copy()
	t.change(mdns.CanonicalName(name), qtype, m)
	return m, nil
}

func without(rrs []mdns.RR, drop func(mdns.RR) bool) []mdns.RR {
	var out []mdns.RR
	for _, rr := range rrs {
		if !drop(rr) {
			out = append(out, rr)
		}
	}
	return out
}

func TestSpoofedAnswersAreBogus(t *testing.T) {
	var replayed []mdns.RR   // the proof that mx2.good.test does not exist
	var parentNSEC []mdns.RR // test.'s signed NSEC at good.test (NS DS RRSIG NSEC)
	isSig := func(rr mdns.RR) bool { _, ok := rr.(*mdns.RRSIG); return ok }
	isProof := func(rr mdns.RR) bool {
		switch rr.(type) {
		case *mdns.NSEC, *mdns.NSEC3, *mdns.RRSIG:
			return true
		}
		return false
	}
	for _, tc := range []struct {
		about  string
		name   string
		qtype  uint16
		change func(name string, qtype uint16, m *mdns.Msg)
		reason string
	}{
		{"signatures stripped", "good.test", mdns.TypeMX, func(n string, q uint16, m *mdns.Msg) {
			if n == "good.test." && q == mdns.TypeMX {
				m.Answer = without(m.Answer, isSig)
			}
		}, "has no RRSIG"},
		{"data replaced, signature kept", "mx.good.test", mdns.TypeA, func(n string, q uint16, m *mdns.Msg) {
			for _, rr := range m.Answer {
				if a, ok := rr.(*mdns.A); ok {
					a.A = a.A.To4()
					a.A = append(a.A[:3:3], 66)
				}
			}
		}, "does not verify"},
		{"NXDOMAIN without proof", "nothing.good.test", mdns.TypeA, func(n string, q uint16, m *mdns.Msg) {
			if n == "nothing.good.test." {
				m.Ns = without(m.Ns, isProof)
			}
		}, "no NSEC or NSEC3 proof"},
		{"existing name answered NXDOMAIN", "mx.good.test", mdns.TypeA, func(n string, q uint16, m *mdns.Msg) {
			if n == "mx.good.test." && q == mdns.TypeA {
				m.Answer, m.Rcode = nil, mdns.RcodeNameError
			}
		}, "no NSEC or NSEC3 proof"},
		{"existing name answered NXDOMAIN with another name's proof", "mx.good.test", mdns.TypeA, func(n string, q uint16, m *mdns.Msg) {
			if n == "mx.good.test." && q == mdns.TypeA {
				m.Answer, m.Rcode, m.Ns = nil, mdns.RcodeNameError, replayed
			}
		}, "no NSEC record proves that mx.good.test. A does not exist"},
		{"the parent's NSEC at the delegation offered as the child's", "good.test", mdns.TypeMX, func(n string, q uint16, m *mdns.Msg) {
			if n == "good.test." && q == mdns.TypeMX {
				m.Answer, m.Ns = nil, parentNSEC
			}
		}, "is the parent's, at the delegation"},
		{"DS of a signed zone denied without proof", "good.test", mdns.TypeMX, func(n string, q uint16, m *mdns.Msg) {
			if n == "good.test." && q == mdns.TypeDS {
				m.Answer = nil
			}
		}, "no NSEC or NSEC3 proof that the delegation to good.test. has no DS record"},
		{"DNSKEY signatures stripped", "good.test", mdns.TypeMX, func(n string, q uint16, m *mdns.Msg) {
			if q == mdns.TypeDNSKEY && n == "good.test." {
				m.Answer = without(m.Answer, isSig)
			}
		}, "not signed by the key its DS record names"},
	} {
		t.Run(tc.about, func(t *testing.T) {
			_, c, z := world(t, nil)
			nx, err := c.QueryDNSSEC(context.Background(), "mx2.good.test", mdns.TypeA)
			if err != nil || nx.Rcode != mdns.RcodeNameError {
				t.Fatal(err, nx)
			}
			replayed = nx.Ns
			// test.'s NSEC chain passes good.test; "goodz.test" falls after it.
			gap, err := c.QueryDNSSEC(context.Background(), "goodz.test", mdns.TypeA)
			if err != nil {
				t.Fatal(err)
			}
			parentNSEC = nil
			for _, rr := range gap.Ns {
				if strings.EqualFold(rr.Header().Name, "good.test.") {
					parentNSEC = append(parentNSEC, rr)
				}
			}
			if len(parentNSEC) != 2 {
				t.Fatalf("no parent-side NSEC for good.test in %v", gap.Ns)
			}
			v := validate.New(tamper{c, tc.change}, z.TrustAnchors(), nil)
			r := v.Validate(context.Background(), tc.name, tc.qtype)
			if r.Status != validate.Bogus || !strings.Contains(r.Reason, tc.reason) {
				t.Errorf("got %v (%s); want bogus, %q", r.Status, r.Reason, tc.reason)
			}
		})
	}
}

// A hostile answer cannot make validation expensive: signatures beyond a
// few tries are refused (KeyTrap, CVE-2023-50387), and NSEC3 proofs with
// more iterations than validators allow count as insecure (RFC 9276 §3.2).
func TestHostileAnswersStayCheap(t *testing.T) {
	_, c, z := world(t, nil)
	many := tamper{c, func(n string, q uint16, m *mdns.Msg) {
		if n != "good.test." || q != mdns.TypeMX {
			return
		}
		for _, rr := range m.Answer {
			if s, ok := rr.(*mdns.RRSIG); ok {
				for range 500 {
					bad := *s
					bad.Signature = strings.Repeat("A", len(s.Signature))
					m.Answer = append([]mdns.RR{&bad}, m.Answer...)
				}
				break
			}
		}
	}}
	start := time.Now()
	r := validate.New(many, z.TrustAnchors(), nil).Validate(context.Background(), "good.test", mdns.TypeMX)
	if r.Status != validate.Bogus || !strings.Contains(r.Reason, "KeyTrap") {
		t.Errorf("500 signatures: %v (%s)", r.Status, r.Reason)
	}
	t.Logf("500 signatures refused in %v", time.Since(start))

	iter := tamper{c, func(n string, q uint16, m *mdns.Msg) {
		for _, rr := range m.Ns {
			if n3, ok := rr.(*mdns.NSEC3); ok {
				n3.Iterations = 500
			}
		}
	}}
	r = validate.New(iter, z.TrustAnchors(), nil).Validate(context.Background(), "nothing.nsec3.test", mdns.TypeA)
	if r.Status != validate.Bogus && r.Status != validate.Insecure {
		t.Errorf("500 iterations: %v (%s)", r.Status, r.Reason)
	}
}
