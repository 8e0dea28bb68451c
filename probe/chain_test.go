package probe_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/smtptool/smtptool/probe"
	"github.com/smtptool/smtptool/report"
)

type issued struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// issue makes a certificate valid from notBefore to notAfter, signed by
// parent (self-signed when nil).
func issue(t *testing.T, cn string, ca bool, notBefore, notAfter time.Time, parent *issued) *issued {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: cn}, NotBefore: notBefore, NotAfter: notAfter}
	if ca {
		tmpl.IsCA, tmpl.BasicConstraintsValid, tmpl.KeyUsage = true, true, x509.KeyUsageCertSign
	} else {
		tmpl.DNSNames, tmpl.KeyUsage, tmpl.ExtKeyUsage = []string{cn}, x509.KeyUsageDigitalSignature, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	}
	signer, signerKey := tmpl, key
	if parent != nil {
		signer, signerKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signerKey)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return &issued{c, key}
}

// tlsServer serves SMTP over implicit TLS on loopback with the given chain.
func tlsServer(t *testing.T, chain ...*issued) string {
	t.Helper()
	cert := tls.Certificate{PrivateKey: chain[0].key, Leaf: chain[0].cert}
	for _, c := range chain {
		cert.Certificate = append(cert.Certificate, c.cert.Raw)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				c.Write([]byte("220 mx.chain.test ESMTP\r\n"))
				buf := make([]byte, 512)
				for {
					n, err := c.Read(buf)
					if err != nil {
						return
					}
					if strings.HasPrefix(strings.ToUpper(string(buf[:n])), "QUIT") {
						c.Write([]byte("221 bye\r\n"))
						return
					}
					c.Write([]byte("250 mx.chain.test\r\n"))
				}
			}(c)
		}
	}()
	return ln.Addr().String()
}

func walkTLS(t *testing.T, roots *x509.CertPool, now time.Time, chain ...*issued) *probe.Result {
	t.Helper()
	addr := tlsServer(t, chain...)
	return probe.Walk(context.Background(), probe.Server{Name: "mx.chain.test", Addr: addr}, probe.Options{
		Helo: "probe.test", Timeout: 3 * time.Second, ImplicitTLS: true, RootCAs: roots,
		QuitAfter: probe.StepEHLO, Now: func() time.Time { return now },
	})
}

// RFC 5280 §6.1.3: every certificate of the path must be valid now, not
// only the leaf. Only the leaf's own dates are excused from "untrusted"
// (they are tls.cert-expired already).
func TestChainDatesAreCheckedForEveryCertificate(t *testing.T) {
	now := time.Now()
	day := 24 * time.Hour
	root := issue(t, "Chain Test Root", true, now.Add(-3650*day), now.Add(3650*day), nil)
	roots := x509.NewCertPool()
	roots.AddCert(root.cert)
	goodInter := issue(t, "Good Intermediate", true, now.Add(-365*day), now.Add(365*day), root)
	expiredInter := issue(t, "Expired Intermediate", true, now.Add(-365*day), now.Add(-2*day), root)
	futureInter := issue(t, "Future Intermediate", true, now.Add(3*day), now.Add(365*day), root)

	for _, tc := range []struct {
		name      string
		chain     []*issued
		want      string // finding ids
		untrusted string // what the untrusted message must name
	}{
		{"sound chain", []*issued{issue(t, "mx.chain.test", false, now.Add(-10*day), now.Add(80*day), goodInter), goodInter}, "", ""},
		{"expired intermediate", []*issued{issue(t, "mx.chain.test", false, now.Add(-10*day), now.Add(80*day), expiredInter), expiredInter}, "tls.cert-untrusted", "Expired Intermediate"},
		{"intermediate not yet valid", []*issued{issue(t, "mx.chain.test", false, now.Add(-10*day), now.Add(80*day), futureInter), futureInter}, "tls.cert-untrusted", "not valid before"},
		{"expired leaf, sound chain", []*issued{issue(t, "mx.chain.test", false, now.Add(-100*day), now.Add(-day), goodInter), goodInter}, "tls.cert-expired", ""},
		{"expired leaf and intermediate", []*issued{issue(t, "mx.chain.test", false, now.Add(-100*day), now.Add(-day), expiredInter), expiredInter}, "tls.cert-expired,tls.cert-untrusted", "Expired Intermediate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := walkTLS(t, roots, now, tc.chain...)
			if got := report.IDs(res.Findings...); got != tc.want {
				t.Fatalf("findings %q, want %q: %+v", got, tc.want, res.Findings)
			}
			for _, f := range res.Findings {
				if f.ID == "tls.cert-untrusted" && !strings.Contains(f.Message, tc.untrusted) {
					t.Errorf("untrusted message does not name %q: %s", tc.untrusted, f.Message)
				}
			}
			if res.TLS.Trusted != (tc.want == "") {
				t.Errorf("trusted %v", res.TLS.Trusted)
			}
		})
	}
}

// tls.cert-expiring fires past the renewal point (a third of the lifetime
// left) or in the last two days, whatever the lifetime: a fresh 6-day
// certificate is fine, a 90-day one with 20 days left is not.
func TestExpiringIsRelativeToLifetime(t *testing.T) {
	now := time.Now()
	day := 24 * time.Hour
	root := issue(t, "Expiry Root", true, now.Add(-3650*day), now.Add(3650*day), nil)
	roots := x509.NewCertPool()
	roots.AddCert(root.cert)
	for _, tc := range []struct {
		name      string
		from, to  time.Duration
		expiring  bool
		daysShown string
	}{
		{"fresh 6-day", -time.Hour, 6*day - time.Hour, false, ""},
		{"6-day, 1.5 days left", -4*day - 12*time.Hour, 36 * time.Hour, true, "in 1 day"},
		{"fresh 47-day", -day, 46 * day, false, ""},
		{"90-day, 40 days left", -50 * day, 40 * day, false, ""},
		{"90-day, 20 days left", -70 * day, 20*day + time.Hour, true, "in 20 days"},
		{"397-day, 150 days left", -247 * day, 150 * day, false, ""},
		{"397-day, 100 days left", -297 * day, 100*day + time.Hour, true, "in 100 days"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			leaf := issue(t, "mx.chain.test", false, now.Add(tc.from), now.Add(tc.to), root)
			res := walkTLS(t, roots, now, leaf)
			got := strings.Contains(report.IDs(res.Findings...), "tls.cert-expiring")
			if got != tc.expiring {
				t.Fatalf("expiring %v, want %v: %+v", got, tc.expiring, res.Findings)
			}
			for _, f := range res.Findings {
				if f.ID == "tls.cert-expiring" && !strings.Contains(f.Message, tc.daysShown) {
					t.Errorf("message %q lacks %q", f.Message, tc.daysShown)
				}
			}
		})
	}
}

// One day count everywhere: 1.5 days past is "1 day ago" in the finding and
// days_left -1 in the data, never -2 next to 1.
func TestDayCountsRoundTheSameWay(t *testing.T) {
	now := time.Now()
	day := 24 * time.Hour
	root := issue(t, "Days Root", true, now.Add(-3650*day), now.Add(3650*day), nil)
	roots := x509.NewCertPool()
	roots.AddCert(root.cert)
	leaf := issue(t, "mx.chain.test", false, now.Add(-90*day), now.Add(-36*time.Hour), root)
	res := walkTLS(t, roots, now, leaf)
	if res.TLS.Chain[0].DaysLeft != -1 || !res.TLS.Chain[0].Expired {
		t.Errorf("days_left %d", res.TLS.Chain[0].DaysLeft)
	}
	var b strings.Builder
	report.WriteText(&b, report.TextOptions{}, &report.Report{Command: "probe", Target: "x", Checks: []*report.Check{{Name: "smtp", Findings: res.Findings, Data: res}}})
	if !strings.Contains(b.String(), "(1 day ago)") || strings.Contains(b.String(), "(-") {
		t.Errorf("day counts:\n%s", b.String())
	}
}
