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
_25._tcp.mx1.good.test.  300 TLSA 2 1 1 5b81c3e8c2930fc7258f4900a07a0743a6a6ab6ad9e2d8be7e7a0ed7e5aa3e32
_25._tcp.mx2.good.test.  300 TLSA 3 1 1 1aafdc50483812874e0a0abf9d5787a38b0581fa6ca085c8b191d575db93eea2
_25._tcp.mx2.good.test.  300 TLSA 3 1 1 2bbfdc50483812874e0a0abf9d5787a38b0581fa6ca085c8b191d575db93eea2
_25._tcp.single.good.test. 300 TLSA 3 1 1 1aafdc50483812874e0a0abf9d5787a38b0581fa6ca085c8b191d575db93eea2
_25._tcp.pkix.good.test. 300 TLSA 1 1 1 1aafdc50483812874e0a0abf9d5787a38b0581fa6ca085c8b191d575db93eea2
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
	if _, fs = dane.Check(context.Background(), m, "good.test", hostsOf("single.good.test.")); report.IDs(fs...) != "dane.rollover" {
		t.Fatalf("one record: %+v", fs)
	}
	if _, fs = dane.Check(context.Background(), m, "good.test", hostsOf("pkix.good.test.")); report.IDs(fs...) != "dane.pkix-usage" {
		t.Fatalf("PKIX-EE: %+v", fs)
	}
	if _, fs = dane.Check(context.Background(), m, "good.test", hostsOf("mx1.good.test.", "noptr.test.")); report.IDs(fs...) != "dane.partial" {
		t.Fatalf("partial: %+v", fs)
	}
	if _, fs = dane.Check(context.Background(), m, "unsigned.test", hostsOf("mx.unsigned.test.")); report.IDs(fs...) != "dane.tlsa-unsigned" {
		t.Fatalf("unsigned: %+v", fs)
	}
	if res, fs = dane.Check(context.Background(), m, "x.test", hostsOf("noptr.test")); len(fs) != 0 || len(res.Hosts) != 0 {
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
		"3 0 1":               {dane.TLSA{Usage: 3, Selector: 0, MatchingType: 1, Data: h(leaf.Raw)}, "", true},
		"3 1 2":               {dane.TLSA{Usage: 3, Selector: 1, MatchingType: 2, Data: h512(leaf.RawSubjectPublicKeyInfo)}, "", true},
		"3 0 0":               {dane.TLSA{Usage: 3, Selector: 0, MatchingType: 0, Data: hex.EncodeToString(leaf.Raw)}, "", true},
		"2 0 1 right name":    {dane.TLSA{Usage: 2, Selector: 0, MatchingType: 1, Data: h(ca.Raw)}, "mx.example.test", true},
		"2 0 1 wrong name":    {dane.TLSA{Usage: 2, Selector: 0, MatchingType: 1, Data: h(ca.Raw)}, "other.example.test", false},
		"2 1 1 pins the leaf": {dane.TLSA{Usage: 2, Selector: 1, MatchingType: 1, Data: h(leaf.RawSubjectPublicKeyInfo)}, "mx.example.test", false},
		"3 1 1 wrong":         {dane.TLSA{Usage: 3, Selector: 1, MatchingType: 1, Data: h([]byte("x"))}, "", false},
		"3 2 1 bad selector":  {dane.TLSA{Usage: 3, Selector: 2, MatchingType: 1, Data: h(leaf.Raw)}, "", false},
		// RFC 7672 §3.1.3: PKIX usages are not used by SMTP senders.
		"1 1 1 pins the leaf": {dane.TLSA{Usage: 1, Selector: 1, MatchingType: 1, Data: h(leaf.RawSubjectPublicKeyInfo)}, "", false},
		"0 0 1 pins the CA":   {dane.TLSA{Usage: 0, Selector: 0, MatchingType: 1, Data: h(ca.Raw)}, "mx.example.test", false},
	} {
		recs := []dane.TLSA{tc.rec}
		if got := dane.Authenticate(recs, chain, tc.host, now) != 0; got != tc.want || recs[0].Matched != tc.want {
			t.Errorf("%s: %v", name, got)
		}
	}
}
