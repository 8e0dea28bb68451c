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

	msgdkim "github.com/emersion/go-msgauth/dkim"
	"github.com/smtptool/smtptool/check/dkim"
	"github.com/smtptool/smtptool/dns"
	"github.com/smtptool/smtptool/dns/dnstest"
	"github.com/smtptool/smtptool/lab/labtest"
	"github.com/smtptool/smtptool/report"
)

// zone holds the DKIM keys of these tests.
const zone = `; DKIM keys (RFC 6376) for the lab: good.test has a 2048-bit RSA key at the
; common selector "google" and an Ed25519 key at "ed"; every dkim-*.test
; is wrong in one way. Public keys only: tests that sign make their own keys.
$TTL 300

$ORIGIN good.test.
google._domainkey     TXT  "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAsjysiHf2Fr0Ua0CguMGKirgs4cIRKyAD0ukhFpMJ6bYPRAQ7YSGSDEpStP8a6SqCiPJF0jU1goAEnyusSFaLSCg4f9bNftbjJUTysejiabO4k7EfovO6krJgF+exMtDkWp3+PRa9bO" "9VD3vZlsJPbOEl6Vg+I/quLihZ98fz/PeRTuIf2WtEWFYBgOf1/a+TDN19BTXyT5+hWTSTos6OUhRuiM4/x8txqQ+yi2XM/KcnZtCeagwsnv/12wYYSremTcK8zTiiTqTlZb0l4TffCZBaY4yBMJlHxwXtkZMjUGB+Ra+c/vTnyp2jKM+KRPGCbARPyhCAdahkiDPF6L" "Et/wIDAQAB"
ed._domainkey         TXT  "v=DKIM1; k=ed25519; p=RQ4ov6tmhZZkFcWUuGFleCjjK1tQvflV4DAGhdi0okA="

; dkim.none-found: no key at any common selector
$ORIGIN dkim-none.test.
@                     A    127.0.0.10

; dkim.revoked
$ORIGIN dkim-revoked.test.
selector1._domainkey  TXT  "v=DKIM1; k=rsa; p="

; dkim.key-weak (error): 512 bits
$ORIGIN dkim-weak512.test.
default._domainkey    TXT  "v=DKIM1; k=rsa; p=MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAKOKIP2V8WkW1ynrHYFBxnPZavfENjZZ0G++SjMkfvvttEQVarQsPjrEzFUSLiUXUwvElZRntgMo0moJovRhJs8CAwEAAQ=="

; dkim.key-weak (warning): 1024 bits
$ORIGIN dkim-weak1024.test.
default._domainkey    TXT  "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC3SafaGcPS/Phq6PxrdLbXDbZis0sufJUftvxSqTzCi3Lq7eAM/1O05SgSDiR7Sm9ReTNeA+FTG+/GMaZjs+QUpb3+N86Wc2ImpU1xL5cyQqKgSIatzCJE17m0telL3aYIL7uk89LVI7ZeL0hyKv8D069ohDwdRXDL3sFosVFpHQIDAQAB"

; dkim.key-invalid: truncated key
$ORIGIN dkim-invalid.test.
default._domainkey    TXT  "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAsjysiHf2Fr0Ua0CguMGKirgs4cIRKyAD0ukhFpMJ6bYPRAQ7YSGSDEpStP8a6SqCiPJF0jU1goAE"

; dkim.syntax: unknown key type
$ORIGIN dkim-syntax.test.
default._domainkey    TXT  "v=DKIM1; k=dsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAsjysiHf2Fr0Ua0CguMGKirgs4cIRKyAD0ukhFpMJ6bYPRAQ7YSGSDEpS"

; dkim.testing
$ORIGIN dkim-testing.test.
default._domainkey    TXT  "v=DKIM1; t=y; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAsjysiHf2Fr0Ua0CguMGKirgs4cIRKyAD0ukhFpMJ6bYPRAQ7YSGSDEpStP8a6SqCiPJF0jU1goAEnyusSFaLSCg4f9bNftbjJUTysejiabO4k7EfovO6krJgF+exMtDkWp3+P" "Ra9bO9VD3vZlsJPbOEl6Vg+I/quLihZ98fz/PeRTuIf2WtEWFYBgOf1/a+TDN19BTXyT5+hWTSTos6OUhRuiM4/x8txqQ+yi2XM/KcnZtCeagwsnv/12wYYSremTcK8zTiiTqTlZb0l4TffCZBaY4yBMJlHxwXtkZMjUGB+Ra+c/vTnyp2jKM+KRPGCbARPyhCAdahki" "DPF6LEt/wIDAQAB"

$ORIGIN servfail.test.
@                     A    127.0.0.10

; dkim.key-sha1-only: h=sha1 restricts the key to what RFC 8301 forbids
$ORIGIN dkim-sha1.test.
default._domainkey    TXT  "v=DKIM1; k=rsa; h=sha1; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAsjysiHf2Fr0Ua0CguMGKirgs4cIRKyAD0ukhFpMJ6bYPRAQ7YSGSDEpStP8a6SqCiPJF0jU1goAEnyusSFaLSCg4f9bNftbjJUTysejiabO4k7EfovO6krJgF+exMtDkWp3+PRa9bO9VD3vZlsJPbOEl6Vg+I/quLihZ98fz/PeRTuIf2WtEWFYBgOf1/a+TDN19BTXyT5+hWTSTos6OUhRuiM4/x8txqQ+yi2XM/KcnZtCeagwsnv/12wYYSremTcK8zTiiTqTlZb0l4TffCZBaY4yBMJlHxwXtkZMjUGB+Ra+c/vTnyp2jKM+KRPGCbARPyhCAdahkiDPF6LEt/wIDAQAB"

; dkim.multiple-records: two keys at one selector
$ORIGIN dkim-multi.test.
default._domainkey    TXT  "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAsjysiHf2Fr0Ua0CguMGKirgs4cIRKyAD0ukhFpMJ6bYPRAQ7YSGSDEpStP8a6SqCiPJF0jU1goAEnyusSFaLSCg4f9bNftbjJUTysejiabO4k7EfovO6krJgF+exMtDkWp3+PRa9bO9VD3vZlsJPbOEl6Vg+I/quLihZ98fz/PeRTuIf2WtEWFYBgOf1/a+TDN19BTXyT5+hWTSTos6OUhRuiM4/x8txqQ+yi2XM/KcnZtCeagwsnv/12wYYSremTcK8zTiiTqTlZb0l4TffCZBaY4yBMJlHxwXtkZMjUGB+Ra+c/vTnyp2jKM+KRPGCbARPyhCAdahkiDPF6LEt/wIDAQAB"
default._domainkey    TXT  "v=DKIM1; k=ed25519; p=RQ4ov6tmhZZkFcWUuGFleCjjK1tQvflV4DAGhdi0okA="

; dkim.ed25519-only: the only key is Ed25519
$ORIGIN dkim-ed.test.
default._domainkey    TXT  "v=DKIM1; k=ed25519; p=RQ4ov6tmhZZkFcWUuGFleCjjK1tQvflV4DAGhdi0okA="

; t=s is shown, and is no problem
$ORIGIN dkim-strict.test.
default._domainkey    TXT  "v=DKIM1; k=rsa; t=s; h=sha256; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAsjysiHf2Fr0Ua0CguMGKirgs4cIRKyAD0ukhFpMJ6bYPRAQ7YSGSDEpStP8a6SqCiPJF0jU1goAEnyusSFaLSCg4f9bNftbjJUTysejiabO4k7EfovO6krJgF+exMtDkWp3+PRa9bO9VD3vZlsJPbOEl6Vg+I/quLihZ98fz/PeRTuIf2WtEWFYBgOf1/a+TDN19BTXyT5+hWTSTos6OUhRuiM4/x8txqQ+yi2XM/KcnZtCeagwsnv/12wYYSremTcK8zTiiTqTlZb0l4TffCZBaY4yBMJlHxwXtkZMjUGB+Ra+c/vTnyp2jKM+KRPGCbARPyhCAdahkiDPF6LEt/wIDAQAB"
`

func TestFindings(t *testing.T) {
	r := dnstest.New(zone)
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
		{"dkim-sha1.test", nil, "dkim.key-sha1-only"},
		{"dkim-multi.test", nil, "dkim.multiple-records"},
		{"dkim-ed.test", nil, "dkim.ed25519-only"},
		{"dkim-strict.test", nil, ""},
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

// t=s is shown with the key; h= too.
func TestStrictKeyIsShown(t *testing.T) {
	res, _ := dkim.Check(context.Background(), dnstest.New(zone), "dkim-strict.test", dkim.Options{})
	if len(res.Keys) != 1 || !res.Keys[0].Strict || strings.Join(res.Keys[0].Hashes, ":") != "sha256" {
		t.Fatalf("%+v", res.Keys)
	}
	var b strings.Builder
	report.WriteText(&b, report.TextOptions{}, &report.Report{Command: "dkim", Target: "dkim-strict.test", Checks: []*report.Check{report.NewCheck(dkim.Name, res, nil)}})
	if !strings.Contains(b.String(), "t=s (i= must equal d=)") {
		t.Errorf("text:\n%s", b.String())
	}
}

// RFC 8020: with _domainkey.<domain> NXDOMAIN, the sweep is one question.
func TestSweepStopsAtANonexistentDomainkey(t *testing.T) {
	r := dnstest.New(zone)
	_, fs := dkim.Check(context.Background(), r, "dkim-none.test", dkim.Options{})
	if report.IDs(fs...) != "dkim.none-found" || len(r.Queries()) != 1 {
		t.Errorf("%+v, queries %q", fs, r.Queries())
	}
	// An empty non-terminal (keys exist below it) is swept.
	r = dnstest.New(zone)
	res, _ := dkim.Check(context.Background(), r, "good.test", dkim.Options{})
	if len(res.Keys) != 1 || len(r.Queries()) != len(dkim.CommonSelectors)+1 {
		t.Errorf("good.test: %d keys, %d queries", len(res.Keys), len(r.Queries()))
	}
}

func TestKeySizesAndSeverity(t *testing.T) {
	r := dnstest.New(zone)
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

func sign(t *testing.T, m *dnstest.Mock, selector string, signer crypto.Signer, pub []byte, kind string) []byte {
	t.Helper()
	if err := m.Add(selector + "._domainkey.good.test. 300 TXT \"v=DKIM1; k=" + kind + "; p=" + base64.StdEncoding.EncodeToString(pub) + "\""); err != nil {
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
	r := dnstest.New(zone)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	rsaPub, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	edPub, edKey, _ := ed25519.GenerateKey(rand.Reader)

	signed := sign(t, r, "rsa-test", rsaKey, rsaPub, "rsa")
	both := sign(t, r, "ed-test", edKey, edPub, "ed25519")
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

	r.Fail("rsa-test._domainkey.good.test", dns.ErrServerFailure)
	c, _ = dkim.Verify(context.Background(), r, bytes.NewReader(signed))
	if v := c.Data.(*dkim.Verification); v.Signatures[0].Result != "temperror" || c.Findings[0].ID != "dkim.signature-unverified" {
		t.Fatalf("servfail: %+v", v)
	}

	c, _ = dkim.Verify(context.Background(), r, strings.NewReader(message))
	if c.Findings[0].ID != "dkim.unsigned" {
		t.Fatalf("unsigned: %+v", c.Findings)
	}
}
