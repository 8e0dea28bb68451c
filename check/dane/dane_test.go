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
	"github.com/smtptool/smtptool/check/mx"
	"github.com/smtptool/smtptool/lab"
	"github.com/smtptool/smtptool/lab/labtest"
)

func TestCheck(t *testing.T) {
	_, r := labtest.ForTest(t, time.Second)
	c := dane.Check(context.Background(), r, []string{"mx1.good.test.", "mx2.good.test."})
	hosts := c.Data.(*dane.Result).Hosts
	if len(c.Findings) != 0 || len(hosts) != 2 || !hosts[0].Authentic || hosts[0].Records[0].Usage != 3 {
		t.Fatalf("good: %+v %+v", c.Findings, hosts)
	}
	c = dane.Check(context.Background(), r, []string{"mx.dane-unsigned.test."})
	if len(c.Findings) != 1 || c.Findings[0].ID != "dane.tlsa-unsigned" {
		t.Fatalf("unsigned: %+v", c.Findings)
	}
	c = dane.Check(context.Background(), r, []string{"mx2.good.test.", "noptr.test"})
	if len(c.Findings) != 0 {
		t.Fatalf("hosts without TLSA: %+v", c.Findings)
	}
}

func TestDNSSEC(t *testing.T) {
	_, r := labtest.ForTest(t, time.Second)
	for domain, want := range map[string]int{"good.test": 0, "nomx.test": 1, "servfail.test": 0} {
		res, _ := mx.Lookup(context.Background(), r, domain, mx.Options{})
		if c := dane.DNSSEC(res, "lab"); len(c.Findings) != want {
			t.Errorf("%s: %+v", domain, c.Findings)
		}
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
