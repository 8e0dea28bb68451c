package message_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"slices"
	"strings"
	"testing"

	msgdkim "github.com/emersion/go-msgauth/dkim"
	"github.com/smtptool/smtptool/check/message"
	"github.com/smtptool/smtptool/dns/dnstest"
	"github.com/smtptool/smtptool/lab/labtest"
	"github.com/smtptool/smtptool/report"
)

const zone = `
good.test.          300 TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.good.test.   300 TXT "v=DMARC1; p=reject; rua=mailto:d@good.test"
other.test.         300 TXT "v=spf1 -all"
`

type signer struct {
	key *rsa.PrivateKey
}

// world is a resolver with the zone and the keys of good.test (selector
// s1, and s2 with t=s) and other.test.
func world(t *testing.T) (*dnstest.Mock, *signer) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	p := base64.StdEncoding.EncodeToString(pub)
	m := dnstest.New(zone)
	for _, rr := range []string{
		`s1._domainkey.good.test. 300 TXT "v=DKIM1; k=rsa; p=` + p + `"`,
		`s2._domainkey.good.test. 300 TXT "v=DKIM1; k=rsa; t=s; p=` + p + `"`,
		`s1._domainkey.other.test. 300 TXT "v=DKIM1; k=rsa; p=` + p + `"`,
	} {
		if err := m.Add(rr); err != nil {
			t.Fatal(err)
		}
	}
	return m, &signer{k}
}

func (s *signer) sign(t *testing.T, msg, domain, selector, identifier string, bodyLength bool) string {
	var out bytes.Buffer
	o := &msgdkim.SignOptions{Domain: domain, Selector: selector, Signer: s.key, Identifier: identifier}
	if err := msgdkim.Sign(&out, strings.NewReader(msg), o); err != nil {
		t.Fatal(err)
	}
	signed := out.String()
	if bodyLength {
		signed = strings.Replace(signed, "DKIM-Signature: ", "DKIM-Signature: l=1; ", 1) // invalidates it too
	}
	return signed
}

func msg(from, returnPath, ip string, extra string) string {
	return "Return-Path: <" + returnPath + ">\r\n" +
		"Received: from mail.good.test (mail.good.test [" + ip + "]) by mx.receiver.test with ESMTPS id abc for <bob@receiver.test>; Sun, 22 Nov 2026 12:10:00 +0000\r\n" +
		"Received: from laptop (laptop [10.0.0.5]) by mail.good.test with ESMTPSA id def; Sun, 22 Nov 2026 12:00:00 +0000\r\n" +
		extra +
		"From: Alice <" + from + ">\r\nTo: bob@receiver.test\r\nSubject: hello\r\nDate: Sun, 22 Nov 2026 12:00:00 +0000\r\nMessage-ID: <1@good.test>\r\n\r\nHello, Bob.\r\n"
}

func analyze(t *testing.T, r *dnstest.Mock, raw string) (*message.Result, string) {
	t.Helper()
	res, fs, err := message.Analyze(context.Background(), r, []byte(raw), message.Options{})
	if err != nil {
		t.Fatal(err)
	}
	labtest.CheckComplete(t, "message", fs...)
	return res, report.IDs(fs...)
}

func TestMessageVerdicts(t *testing.T) {
	r, s := world(t)
	good := s.sign(t, msg("alice@good.test", "bounce@good.test", "192.0.2.7", ""), "good.test", "s1", "", false)
	res, ids := analyze(t, r, good)
	if ids != "message.hop-slow" || res.DMARC.Result != "pass" || !res.DMARC.SPFAligned || !res.DMARC.DKIMAligned || res.SPF.Result != "pass" ||
		res.Client.IP.String() != "192.0.2.7" || res.Client.Helo != "mail.good.test" || len(res.Path) != 2 || res.Path[0].TLS == "" || res.DKIM[0].Bits != 2048 {
		t.Errorf("good: %s %+v %+v", ids, res.DMARC, res.Client)
	}

	// Sent from outside good.test's SPF, signed by another domain: DMARC
	// fails, and says which identifiers did not align.
	foreign := s.sign(t, msg("alice@good.test", "bounce@good.test", "198.51.100.1", ""), "other.test", "s1", "", false)
	res, ids = analyze(t, r, foreign)
	if ids != "message.dmarc-fail,message.dmarc-unaligned,message.hop-slow,message.spf-fail" || res.DMARC.Disposition != "reject" ||
		!strings.Contains(res.DMARC.Why, "other.test") {
		t.Errorf("foreign: %s %+v", ids, res.DMARC)
	}

	// The body changed after signing.
	changed := strings.Replace(good, "Hello, Bob.", "Hello, Eve.", 1)
	if res, ids = analyze(t, r, changed); !strings.Contains(ids, "message.dkim-fail") || res.DMARC.DKIMAligned || res.DMARC.Result != "pass" {
		t.Errorf("changed body: %s %+v", ids, res.DMARC) // SPF still passes aligned
	}

	// t=s on the key: i= in a subdomain is refused (RFC 6376 §3.6.1).
	strict := s.sign(t, msg("alice@good.test", "bounce@good.test", "192.0.2.7", ""), "good.test", "s2", "@sub.good.test", false)
	if res, ids = analyze(t, r, strict); !strings.Contains(ids, "message.dkim-fail") || !strings.Contains(res.DKIM[0].Reason, "t=s") {
		t.Errorf("t=s: %s %+v", ids, res.DKIM)
	}

	// l= is weak.
	if _, ids = analyze(t, r, s.sign(t, msg("alice@good.test", "bounce@good.test", "192.0.2.7", ""), "good.test", "s1", "", true)); !strings.Contains(ids, "message.dkim-weak") {
		t.Errorf("l=: %s", ids)
	}

	// Two addresses in From: DMARC cannot be evaluated.
	if res, ids = analyze(t, r, msg("alice@good.test>, <eve@other.test", "bounce@good.test", "192.0.2.7", "")); !strings.Contains(ids, "message.from-invalid") || res.DMARC != nil {
		t.Errorf("two From addresses: %s", ids)
	}

	// ARC: a seal that says the chain was broken.
	arc := "ARC-Seal: i=1; a=rsa-sha256; cv=none; d=list.test; s=a; b=x\r\nARC-Message-Signature: i=1; a=rsa-sha256; d=list.test; s=a; h=from; bh=x; b=x\r\nARC-Authentication-Results: i=1; list.test; dkim=pass\r\n" +
		"ARC-Seal: i=2; a=rsa-sha256; cv=fail; d=fwd.test; s=a; b=x\r\nARC-Message-Signature: i=2; a=rsa-sha256; d=fwd.test; s=a; h=from; bh=x; b=x\r\nARC-Authentication-Results: i=2; fwd.test; dkim=fail\r\n"
	if res, ids = analyze(t, r, msg("alice@good.test", "bounce@good.test", "192.0.2.7", arc)); !strings.Contains(ids, "message.arc-broken") || res.ARC.Instances != 2 {
		t.Errorf("arc: %s %+v", ids, res.ARC)
	}
	// Sound structure, but signatures that are not: the chain fails on
	// its cryptography (TestARCAgreesWithDkimpy has real ones).
	okARC := strings.Replace(arc, "cv=fail", "cv=pass", 1)
	if res, _ = analyze(t, r, msg("alice@good.test", "bounce@good.test", "192.0.2.7", okARC)); res.ARC.Result != "fail" || !strings.Contains(res.ARC.Why, "instance 2") {
		t.Errorf("arc structure: %+v", res.ARC)
	}
}

func TestReceivedFields(t *testing.T) {
	for v, want := range map[string]string{
		"from mail.example.com (mail.example.com [192.0.2.1]) by mx.example.net (Postfix) with ESMTPS id 4A; Mon, 23 Nov 2026 10:00:00 +0000":                          "mail.example.com 192.0.2.1 mx.example.net ESMTPS",
		"from [IPv6:2001:db8::1] (helo=x.example) by mx.example.net with esmtps (TLS1.3) tls TLS_AES_256_GCM_SHA384 (Exim 4.96) id 1; Mon, 23 Nov 2026 10:00:00 +0000": "[IPv6:2001:db8::1] 2001:db8::1 mx.example.net esmtps",
		"by mx.example.net id 9; Mon, 23 Nov 2026 10:00:00 +0000": " invalid IP mx.example.net ",
	} {
		h := message.ParseReceived(v)
		got := strings.Join([]string{h.From, h.FromIP.String(), h.By, h.With}, " ")
		if got != want || h.At.IsZero() {
			t.Errorf("%s:\n got %q\nwant %q (%v)", v, got, want, h.At)
		}
	}
	if h := message.ParseReceived("from x by y with SMTP"); h.Problem == "" {
		t.Error("a field without a date is not said")
	}
}

// FuzzReceived: any field value parses without a panic.
func FuzzReceived(f *testing.F) {
	f.Add("from a (b [192.0.2.1]) by c with ESMTPS id d for <e@f>; Mon, 23 Nov 2026 10:00:00 +0000")
	f.Add("((((;")
	f.Fuzz(func(t *testing.T, s string) { message.ParseReceived(s) })
}

// Where a receiver's Authentication-Results disagree with smtptool, the
// report says what smtptool found and why (RFC 8601 §2.7 results).
func TestReceiverVerdictsAreCompared(t *testing.T) {
	r, s := world(t)
	signed := s.sign(t, msg("alice@good.test", "alice@good.test", "192.0.2.10", ""), "good.test", "s1", "", false)
	// The receiver judged the message before a footer was added.
	raw := "Authentication-Results: mx.receiver.test; dkim=pass header.d=good.test; spf=pass smtp.mailfrom=good.test; arc=none\r\n" +
		strings.Replace(signed, "Hello, Bob.", "Hello, Bob.\r\n-- \r\nlist footer", 1)
	res, _ := analyze(t, r, raw)
	if len(res.Receivers) != 1 {
		t.Fatalf("%+v", res.Receivers)
	}
	d := res.Receivers[0].Differs
	if len(d) != 1 || !strings.Contains(d["dkim"], "smtptool says dkim=fail") || !strings.Contains(d["dkim"], "body") {
		t.Errorf("differs: %v", d)
	}
}

// A message that passes DMARC at enforcement gets its From: domain's BIMI
// record (draft-brand-indicators-for-message-identification §4.3); one
// that fails DMARC does not, and nothing is asked for it.
func TestBIMIForAPassingMessage(t *testing.T) {
	r, s := world(t)
	if err := r.Add(`default._bimi.good.test. 300 TXT "v=BIMI1; l=https://good.test/logo.svg"`); err != nil {
		t.Fatal(err)
	}
	good := s.sign(t, msg("alice@good.test", "alice@good.test", "192.0.2.10", ""), "good.test", "s1", "", false)
	res, _, err := message.Analyze(context.Background(), r, []byte(good), message.Options{})
	if err != nil || res.DMARC.Result != "pass" || res.BIMI == nil || res.BIMI.Logo != "https://good.test/logo.svg" {
		t.Fatalf("%v %+v %+v", err, res.DMARC, res.BIMI)
	}
	r, _ = world(t)
	res, _, _ = message.Analyze(context.Background(), r, []byte(msg("alice@good.test", "alice@good.test", "198.51.100.1", "")), message.Options{})
	if res.DMARC.Result != "fail" || res.BIMI != nil || slices.ContainsFunc(r.Queries(), func(q string) bool { return strings.Contains(q, "_bimi") }) {
		t.Errorf("failing DMARC: %+v %v", res.BIMI, r.Queries())
	}
}

// DMARC at the organizational domain (RFC 7489 §6.6.3), with relaxed and
// strict DKIM alignment (§3.1.1): d=org.test aligns with From:
// news.org.test only in relaxed mode.
func TestAlignmentAtTheOrganizationalDomain(t *testing.T) {
	for mode, want := range map[string]string{"r": "pass", "s": "fail"} {
		r, s := world(t)
		pub, _ := x509.MarshalPKIXPublicKey(&s.key.PublicKey)
		for _, rr := range []string{
			`s1._domainkey.org.test. 300 TXT "v=DKIM1; k=rsa; p=` + base64.StdEncoding.EncodeToString(pub) + `"`,
			`_dmarc.org.test. 300 TXT "v=DMARC1; p=quarantine; adkim=` + mode + `"`,
		} {
			if err := r.Add(rr); err != nil {
				t.Fatal(err)
			}
		}
		// Sent from outside any SPF record: DKIM alone decides.
		raw := s.sign(t, msg("alice@news.org.test", "alice@news.org.test", "198.51.100.1", ""), "org.test", "s1", "", false)
		res, _, err := message.Analyze(context.Background(), r, []byte(raw), message.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if d := res.DMARC; d == nil || d.Result != want || !strings.Contains(d.PolicyAt, "org.test") || d.Policy != "quarantine" {
			t.Errorf("adkim=%s: %+v, want %s", mode, d, want)
		}
	}
}
