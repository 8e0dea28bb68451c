package dkim_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	msgdkim "github.com/emersion/go-msgauth/dkim"
	"github.com/smtptool/smtptool/check/dkim"
	"github.com/smtptool/smtptool/lab"
	"github.com/smtptool/smtptool/lab/labtest"
	"github.com/smtptool/smtptool/report"
)

func TestFindingsPerLabDomain(t *testing.T) {
	_, r := labtest.ForTest(t, time.Second)
	for _, tc := range []struct {
		domain    string
		selectors []string
		want      string
	}{
		{"good.test", nil, ""},
		{"good.test", []string{"google", "ed"}, ""},
		{"good.test", []string{"nosuch"}, "dkim.selector-missing"},
		{"dkim-none.test", nil, "dkim.none-found"},
		{"dkim-revoked.test", nil, "dkim.revoked"},
		{"dkim-weak512.test", nil, "dkim.key-weak"},
		{"dkim-weak1024.test", nil, "dkim.key-weak"},
		{"dkim-invalid.test", nil, "dkim.key-invalid"},
		{"dkim-syntax.test", nil, "dkim.syntax"},
		{"dkim-testing.test", nil, "dkim.testing"},
		{"servfail.test", []string{"x"}, ""}, // only MX fails there: the key lookup is NXDOMAIN
	} {
		_, fs := dkim.Check(context.Background(), r, tc.domain, dkim.Options{Selectors: tc.selectors})
		labtest.CheckComplete(t, tc.domain, fs...)
		want := tc.want
		if tc.domain == "servfail.test" {
			want = "dkim.selector-missing"
		}
		if g := report.IDs(fs...); g != want {
			t.Errorf("%s %v: findings %q, want %q", tc.domain, tc.selectors, g, want)
		}
	}
}

func TestKeySizesAndSeverity(t *testing.T) {
	_, r := labtest.ForTest(t, time.Second)
	res, _ := dkim.Check(context.Background(), r, "good.test", dkim.Options{})
	if len(res.Keys) != 1 || res.Keys[0].Selector != "google" || res.Keys[0].Bits != 2048 || len(res.Tried) < 25 {
		t.Fatalf("%+v", res)
	}
	res, _ = dkim.Check(context.Background(), r, "good.test", dkim.Options{Selectors: []string{"ed"}})
	if res.Keys[0].Type != "ed25519" || res.Keys[0].Bits != 256 {
		t.Fatalf("%+v", res.Keys[0])
	}
	_, fs := dkim.Check(context.Background(), r, "dkim-weak512.test", dkim.Options{})
	if fs[0].Severity.String() != "error" {
		t.Error("512 bits must be an error")
	}
	_, fs = dkim.Check(context.Background(), r, "dkim-weak1024.test", dkim.Options{})
	if fs[0].Severity.String() != "warning" {
		t.Error("1024 bits must be a warning")
	}
}

const message = "From: Alice <alice@good.test>\r\nTo: bob@example.test\r\nSubject: hello\r\nDate: Sun, 22 Nov 2026 12:00:00 +0000\r\nMessage-ID: <1@good.test>\r\n\r\nHello, Bob.\r\n"

func sign(t *testing.T, l *lab.Lab, selector string, signer crypto.Signer, pub []byte, kind string) []byte {
	t.Helper()
	if err := l.DNS.Zone.AddString(selector + "._domainkey.good.test. TXT \"v=DKIM1; k=" + kind + "; p=" + base64.StdEncoding.EncodeToString(pub) + "\""); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err := msgdkim.Sign(&out, strings.NewReader(message), &msgdkim.SignOptions{Domain: "good.test", Selector: selector, Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestVerify(t *testing.T) {
	l, r := labtest.ForTest(t, time.Second)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	rsaPub, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	edPub, edKey, _ := ed25519.GenerateKey(rand.Reader)

	signed := sign(t, l, "rsa-test", rsaKey, rsaPub, "rsa")
	both := sign(t, l, "ed-test", edKey, edPub, "ed25519")
	both = append(bytes.Clone(signed[:bytes.Index(signed, []byte("\r\nFrom:"))+2]), both...) // two signatures

	c, err := dkim.Verify(context.Background(), r, bytes.NewReader(both))
	if err != nil {
		t.Fatal(err)
	}
	v := c.Data.(*dkim.Verification)
	if len(c.Findings) != 0 || len(v.Signatures) != 2 || v.Signatures[0].Result != "pass" || v.Signatures[1].Result != "pass" {
		t.Fatalf("%+v %+v", c.Findings, v)
	}

	tampered := bytes.Replace(signed, []byte("Hello, Bob."), []byte("Hello, Eve."), 1)
	c, _ = dkim.Verify(context.Background(), r, bytes.NewReader(tampered))
	if v := c.Data.(*dkim.Verification); v.Signatures[0].Result != "fail" || c.Findings[0].ID != "dkim.signature-failed" {
		t.Fatalf("tampered: %+v", v)
	}

	l.DNS.Zone.Misbehave("rsa-test._domainkey.good.test.", 0, "servfail")
	r2, _ := l.Resolver(time.Second)
	c, _ = dkim.Verify(context.Background(), r2, bytes.NewReader(signed))
	if v := c.Data.(*dkim.Verification); v.Signatures[0].Result != "temperror" || c.Findings[0].ID != "dkim.signature-unverified" {
		t.Fatalf("servfail: %+v", v)
	}

	c, _ = dkim.Verify(context.Background(), r, strings.NewReader(message))
	if c.Findings[0].ID != "dkim.unsigned" {
		t.Fatalf("unsigned: %+v", c.Findings)
	}
}
