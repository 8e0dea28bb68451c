package message_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"strings"
	"testing"

	"github.com/smtptool/smtptool/check/message"
	"github.com/smtptool/smtptool/dns/dnstest"
)

// Our ARC verdict (RFC 8617 §5.2) agrees with dkimpy's on chains that
// dkimpy seals: one and two instances, a body changed before the last
// seal or after it, a tampered earlier set, a revoked key, three
// instances, and a cv=fail sealed in and carried on (RFC 8617 §5.1.2).
func TestARCAgreesWithDkimpy(t *testing.T) {
	python := dkimpyPython(t)
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	pub, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	keys := map[string]string{
		"arc._domainkey.list.test":    "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(pub),
		"arc._domainkey.relay.test":   "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(pub),
		"arc._domainkey.fwd.test":     "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(pub),
		"revoked._domainkey.fwd.test": "v=DKIM1; k=rsa; p=",
	}
	r := keyZone(keys)
	// sealCV seals as a forwarder whose own verdict on the chain was cv.
	sealCV := func(raw, d, cv string) string {
		return string(runDkimpy(t, python, map[string]any{"op": "arc-seal", "msg": raw, "d": d, "s": "arc", "srv": "mx." + d, "cv": cv, "key": pemKey}))
	}
	seal := func(raw, d, s string) string {
		cv := "none"
		if strings.Contains(raw, "ARC-Seal:") {
			cv = "pass"
		}
		return string(runDkimpy(t, python, map[string]any{"op": "arc-seal", "msg": raw, "d": d, "s": s, "srv": "mx." + d, "cv": cv, "key": pemKey}))
	}
	base := msg("alice@good.test", "alice@good.test", "192.0.2.10", "")
	one := seal(base, "list.test", "arc")
	two := seal(one, "fwd.test", "arc")
	cases := map[string]struct {
		raw, want string
	}{
		"one instance":                     {one, "pass"},
		"two instances":                    {two, "pass"},
		"body changed after the last seal": {strings.Replace(two, "Hello, Bob.", "Hello, Eve.", 1), "fail"},
		"body changed between the seals":   {seal(strings.Replace(one, "Hello, Bob.", "Hello, Bob. [list footer]", 1), "fwd.test", "arc"), "pass"},
		"an earlier set tampered":          {strings.Replace(two, "mx.list.test; arc=none", "mx.list.test; arc=pass", 1), "fail"},
		"three instances":                  {seal(two, "relay.test", "arc"), "pass"},
		"a forwarder that saw it broken":   {sealCV(strings.Replace(one, "Hello, Bob.", "Hello, Eve.", 1), "fwd.test", "fail"), "fail"},
		"cv=fail carried on":               {seal(sealCV(strings.Replace(one, "Hello, Bob.", "Hello, Eve.", 1), "fwd.test", "fail"), "list.test", "arc"), "fail"},
		"the last seal's key revoked":      {seal(one, "fwd.test", "revoked"), "fail"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var ref []string
			if err := json.Unmarshal(runDkimpy(t, python, map[string]any{"op": "arc-verify", "msg": c.raw, "keys": keys}), &ref); err != nil {
				t.Fatal(err)
			}
			res, _, err := message.Analyze(context.Background(), r, []byte(c.raw), message.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if res.ARC.Result != ref[0] || ref[0] != c.want {
				t.Errorf("ours %s (%s), dkimpy %s (%s), want %s", res.ARC.Result, res.ARC.Why, ref[0], ref[1], c.want)
			}
			// RFC 8617 §5.2 step 3: the oldest message signature that still
			// verifies tells where the message was changed.
			if want, ok := map[string]int{"two instances": 1, "body changed between the seals": 2}[name]; ok && res.ARC.OldestPass != want {
				t.Errorf("oldest pass %d, want %d", res.ARC.OldestPass, want)
			}
		})
	}
}

// The largest chain RFC 8617 §4.2.1 allows, with signatures that are not,
// fails on its newest message signature without asking for a key.
func TestHostileARCChainFailsFast(t *testing.T) {
	var sets strings.Builder
	for i := 50; i >= 1; i-- {
		cv := "pass"
		if i == 1 {
			cv = "none"
		}
		fmt.Fprintf(&sets, "ARC-Seal: i=%d; a=rsa-sha256; cv=%s; d=x%d.test; s=a; b=AAAA\r\n", i, cv, i)
		fmt.Fprintf(&sets, "ARC-Message-Signature: i=%d; a=rsa-sha256; c=relaxed/relaxed; d=x%d.test; s=a; h=from:from:from; bh=%s; b=AAAA\r\n", i, i, strings.Repeat("A", 1000))
		fmt.Fprintf(&sets, "ARC-Authentication-Results: i=%d; x%d.test; arc=%s\r\n", i, i, cv)
	}
	r := dnstest.New("")
	res, _, err := message.Analyze(context.Background(), r, []byte(msg("alice@good.test", "alice@good.test", "192.0.2.10", sets.String())), message.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.ARC.Result != "fail" || res.ARC.Instances != 50 || !strings.Contains(res.ARC.Why, "instance 50") {
		t.Fatalf("%+v", res.ARC)
	}
	for _, q := range r.Queries() {
		if strings.Contains(q, "_domainkey") {
			t.Errorf("asked %s for a chain whose body hash already fails", q)
		}
	}
}

// Any message — ARC sets, Authentication-Results, signatures from outside
// — is analysed without a panic, and an ARC verdict is one RFC 8617 names.
func FuzzAnalyze(f *testing.F) {
	f.Add([]byte(msg("alice@good.test", "alice@good.test", "192.0.2.10", "ARC-Seal: i=1; a=rsa-sha256; cv=none; d=x.test; s=a; b=AAAA\r\n"+
		"ARC-Message-Signature: i=1; a=rsa-sha256; c=relaxed/simple; d=x.test; s=a; h=from; bh=AAAA; b=AAAA\r\n"+
		"ARC-Authentication-Results: i=1; x.test; arc=none\r\nAuthentication-Results: mx.test; dkim=pass header.d=good.test; spf=fail\r\n")))
	f.Add([]byte("ARC-Seal: i=1\nARC-Message-Signature: i=1; l=5; c=relaxed\nARC-Authentication-Results: i=1\n\n body  \n\n"))
	f.Add([]byte("DKIM-Signature: v=1; a=rsa-sha256; d=good.test; s=s; h=from; bh=; b=\r\nFrom: a@good.test\r\n\r\n"))
	r := dnstest.New("")
	f.Fuzz(func(t *testing.T, raw []byte) {
		res, _, err := message.Analyze(context.Background(), r, raw, message.Options{})
		if err != nil || res == nil {
			return
		}
		switch res.ARC.Result {
		case "none", "pass", "fail", "temperror":
		default:
			t.Fatalf("ARC result %q", res.ARC.Result)
		}
	})
}
