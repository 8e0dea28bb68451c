package dane_test

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/hex"
	"testing"
	"time"

	"github.com/smtptool/smtptool/check/dane"
	"github.com/smtptool/smtptool/dns"
	"github.com/smtptool/smtptool/dns/dnstest"
	"github.com/smtptool/smtptool/lab"
	"github.com/smtptool/smtptool/lab/labtest"
	"github.com/smtptool/smtptool/report"
)

func TestCheck(t *testing.T) {
	m := dnstest.New(`
_25._tcp.mx1.good.test.  300 TLSA 3 1 1 0f22a20ab35e1b4d9902713dbb461afe1a9292c4f76efc020ed01a8814a452b7
_25._tcp.mx2.good.test.  300 TLSA 3 1 1 1aafdc50483812874e0a0abf9d5787a38b0581fa6ca085c8b191d575db93eea2
_25._tcp.mx.unsigned.test. 300 TLSA 3 1 1 1aafdc50483812874e0a0abf9d5787a38b0581fa6ca085c8b191d575db93eea2
noptr.test. 300 A 192.0.2.1
`)
	m.Sign("good.test")
	m.Fail("_25._tcp.mx.broken.test", dns.ErrServerFailure)
	hostsOf := func(names ...string) dane.Options { return dane.Options{MXHosts: func() []string { return names }} }
	res, fs := dane.Check(context.Background(), m, "good.test", hostsOf("mx1.good.test.", "mx2.good.test."))
	if len(fs) != 0 || len(res.Hosts) != 2 || !res.Hosts[0].Authentic || res.Hosts[0].Records[0].Usage != 3 {
		t.Fatalf("good: %+v %+v", fs, res.Hosts)
	}
	if _, fs = dane.Check(context.Background(), m, "unsigned.test", hostsOf("mx.unsigned.test.")); report.IDs(fs...) != "dane.tlsa-unsigned" {
		t.Fatalf("unsigned: %+v", fs)
	}
	if _, fs = dane.Check(context.Background(), m, "x.test", hostsOf("mx2.good.test.", "noptr.test")); len(fs) != 0 {
		t.Fatalf("hosts without TLSA: %+v", fs)
	}
	if _, fs = dane.Check(context.Background(), m, "broken.test", hostsOf("mx.broken.test.")); report.IDs(fs...) != "dns.lookup-failed" {
		t.Fatalf("servfail: %+v", fs)
	}
}

func TestMatch(t *testing.T) {
	l, _ := labtest.ForTest(t, time.Second)
	cert, err := l.CA.Leaf(lab.LeafOptions{Names: []string{"mx.example.test"}})
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(cert.Certificate[0])
	ca := l.CA.Cert
	chain := []*x509.Certificate{leaf, ca}
	now := time.Now()
	h := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
	h512 := func(b []byte) string { s := sha512.Sum512(b); return hex.EncodeToString(s[:]) }
	for name, tc := range map[string]struct {
		rec  dane.TLSA
		host string
		want bool
	}{
		"3 1 1":               {dane.Record(leaf), "", true},
		"3 0 1":               {dane.TLSA{3, 0, 1, h(leaf.Raw)}, "", true},
		"3 1 2":               {dane.TLSA{3, 1, 2, h512(leaf.RawSubjectPublicKeyInfo)}, "", true},
		"3 0 0":               {dane.TLSA{3, 0, 0, hex.EncodeToString(leaf.Raw)}, "", true},
		"2 0 1 right name":    {dane.TLSA{2, 0, 1, h(ca.Raw)}, "mx.example.test", true},
		"2 0 1 wrong name":    {dane.TLSA{2, 0, 1, h(ca.Raw)}, "other.example.test", false},
		"2 1 1 pins the leaf": {dane.TLSA{2, 1, 1, h(leaf.RawSubjectPublicKeyInfo)}, "mx.example.test", false},
		"3 1 1 wrong":         {dane.TLSA{3, 1, 1, h([]byte("x"))}, "", false},
		"3 2 1 bad selector":  {dane.TLSA{3, 2, 1, h(leaf.Raw)}, "", false},
	} {
		if got := dane.Match([]dane.TLSA{tc.rec}, chain, tc.host, now); got != tc.want {
			t.Errorf("%s: %v", name, got)
		}
	}
}
