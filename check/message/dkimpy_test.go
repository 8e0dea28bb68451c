//go:debug rsa1024min=0

package message_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"os"
	"os/exec"
	"strings"
	"testing"

	msgdkim "github.com/emersion/go-msgauth/dkim"
	"github.com/smtptool/smtptool/check/message"
	"github.com/smtptool/smtptool/dns/dnstest"
)

// dkimpyScript runs dkimpy (Debian's python3-dkim), the reference DKIM
// and ARC implementation, on one case read as JSON from stdin. Its only
// DNS is the case's keys. Operations:
//   - dkim-verify: the verdict of each DKIM signature, in header order;
//   - dkim-sign: the message signed (a=, l=), then "append" added;
//   - arc-seal: an ARC set added as forwarder d would, after writing its
//     Authentication-Results with its own verdict cv on the chain;
//   - arc-verify: dkimpy's chain verdict and its reason.
const dkimpyScript = `import sys, json, dkim
case = json.load(sys.stdin)
msg = case["msg"].encode()
keys = {k.lower().rstrip("."): v.encode() for k, v in case.get("keys", {}).items()}
def dnsfunc(name, timeout=5):
    return keys.get(name.decode().lower().rstrip("."), b"")
op = case["op"]
if op == "dkim-verify":
    d = dkim.DKIM(msg)
    n = sum(1 for h in d.headers if h[0].lower() == b"dkim-signature")
    def verify(i):
        # DKIM.verify raises where dkim.verify returns False (an exception
        # is a failed signature to dkimpy's own dkimverify).
        try:
            return bool(d.verify(idx=i, dnsfunc=dnsfunc))
        except Exception:
            return False
    out = json.dumps([verify(i) for i in range(n)])
elif op == "dkim-sign":
    out = (dkim.sign(msg, case["s"].encode(), case["d"].encode(), case["key"].encode(),
                     signature_algorithm=case["a"].encode(), length=case.get("l", False)) + msg).decode() + case.get("append", "")
elif op == "arc-seal":
    msg = ("Authentication-Results: %s; arc=%s\r\n" % (case["srv"], case["cv"])).encode() + msg
    sets = dkim.arc_sign(msg, case["s"].encode(), case["d"].encode(), case["key"].encode(), case["srv"].encode(),
                         include_headers=[b"from", b"to", b"subject", b"date", b"message-id"])
    if not sets:
        sys.exit("arc_sign made no ARC set")
    out = (b"".join(sets) + msg).decode()
elif op == "arc-verify":
    cv, results, reason = dkim.arc_verify(msg, dnsfunc=dnsfunc)
    # dkimpy ends with no cv when a seal says cv=fail: the chain fails
    # (RFC 8617 §5.1.2).
    out = json.dumps([(cv or b"fail").decode(), str(reason)])
sys.stdout.write(out)`

// runDkimpy runs one dkimpyScript case and returns what it wrote.
func runDkimpy(t *testing.T, python string, in map[string]any) []byte {
	t.Helper()
	b, _ := json.Marshal(in)
	cmd := exec.Command(python, "-c", dkimpyScript)
	cmd.Stdin = bytes.NewReader(b)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("dkimpy: %v\n%s", err, stderr.Bytes())
	}
	return out
}

// keyZone is a resolver publishing the keys (name → TXT) that dkimpy is
// given too.
func keyZone(keys map[string]string) *dnstest.Mock {
	zone := ""
	for name, txt := range keys {
		zone += name + ". 300 TXT \"" + txt + "\"\n"
	}
	return dnstest.New(zone)
}

func dkimpyPython(t *testing.T) string {
	for _, p := range []string{os.Getenv("SMTPTOOL_PYTHON"), "python3", "/usr/bin/python3"} {
		if p != "" && exec.Command(p, "-c", "import dkim").Run() == nil {
			return p
		}
	}
	msg := "dkimpy (Debian's python3-dkim) is not installed: the differential DKIM test needs it"
	if os.Getenv("SMTPTOOL_REQUIRE_DKIMPY") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// Our DKIM verdict agrees with dkimpy's on the same messages and keys:
// valid signatures of each algorithm and canonicalization, and the ways a
// signature breaks (a changed body or signed header, a revoked or missing
// key, a key too short, a key of the wrong type, two signers). Where
// dkimpy passes what an RFC makes a verifier fail (t=s, the key's h=,
// rsa-sha1) the test asserts that disagreement and names the rule.
func TestDKIMAgreesWithDkimpy(t *testing.T) {
	python := dkimpyPython(t)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	shortKey, _ := rsa.GenerateKey(rand.Reader, 768) // RFC 8301 §3.2: verifiers reject < 1024
	key1024, _ := rsa.GenerateKey(rand.Reader, 1024) // the smallest RFC 8301 §3.2 accepts
	pub1024, _ := x509.MarshalPKIXPublicKey(&key1024.PublicKey)
	edPub, edKey, _ := ed25519.GenerateKey(rand.Reader)
	rsaPub, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	shortPub, _ := x509.MarshalPKIXPublicKey(&shortKey.PublicKey)
	b64 := base64.StdEncoding.EncodeToString
	keys := map[string]string{
		"rsa._domainkey.good.test":      "v=DKIM1; k=rsa; p=" + b64(rsaPub),
		"ed._domainkey.good.test":       "v=DKIM1; k=ed25519; p=" + b64(edPub),
		"short._domainkey.good.test":    "v=DKIM1; k=rsa; p=" + b64(shortPub),
		"revoked._domainkey.good.test":  "v=DKIM1; k=rsa; p=",
		"k1024._domainkey.good.test":    "v=DKIM1; k=rsa; p=" + b64(pub1024),
		"strict._domainkey.good.test":   "v=DKIM1; k=rsa; t=s; p=" + b64(rsaPub),
		"sha1only._domainkey.good.test": "v=DKIM1; k=rsa; h=sha1; p=" + b64(rsaPub),
	}
	r := keyZone(keys)

	base := msg("alice@good.test", "alice@good.test", "192.0.2.10", "")
	signAs := func(raw, selector, identifier string, key crypto.Signer, c msgdkim.Canonicalization) string {
		var out bytes.Buffer
		o := &msgdkim.SignOptions{Domain: "good.test", Selector: selector, Signer: key, Identifier: identifier,
			HeaderCanonicalization: c, BodyCanonicalization: c}
		if err := msgdkim.Sign(&out, strings.NewReader(raw), o); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	sign := func(raw, selector string, key crypto.Signer, c msgdkim.Canonicalization) string {
		return signAs(raw, selector, "", key, c)
	}
	var relaxed, simple msgdkim.Canonicalization = msgdkim.CanonicalizationRelaxed, msgdkim.CanonicalizationSimple
	good := sign(base, "rsa", rsaKey, relaxed)
	cases := map[string]string{
		"rsa-sha256 relaxed":          good,
		"rsa-sha256 simple":           sign(base, "rsa", rsaKey, simple),
		"ed25519-sha256":              sign(base, "ed", edKey, relaxed),
		"relaxed survives folding":    strings.Replace(good, "Subject: hello", "Subject:   hello", 1),
		"simple breaks on spacing":    strings.Replace(sign(base, "rsa", rsaKey, simple), "Subject: hello", "Subject:  hello", 1),
		"body changed":                strings.Replace(good, "Hello, Bob.", "Hello, Eve.", 1),
		"signed From changed":         strings.Replace(good, "From: Alice <alice@good.test>", "From: Alice <alice@evil.test>", 1),
		"unsigned header added":       strings.Replace(good, "To: bob", "X-Added: yes\r\nTo: bob", 1),
		"revoked key":                 sign(base, "revoked", rsaKey, relaxed),
		"no key":                      sign(base, "absent", rsaKey, relaxed),
		"768-bit key":                 sign(base, "short", shortKey, relaxed),
		"wrong key for the selector":  sign(base, "ed", rsaKey, relaxed),
		"two signatures, one broken":  sign(sign(base, "revoked", rsaKey, relaxed), "rsa", rsaKey, relaxed),
		"dual-signed rsa and ed25519": sign(sign(base, "ed", edKey, relaxed), "rsa", rsaKey, relaxed),
		"1024-bit key":                sign(base, "k1024", key1024, relaxed),
		"t=s key, i= at d=":           signAs(base, "strict", "@good.test", rsaKey, relaxed),
		"t=s key, i= at a subdomain":  signAs(base, "strict", "@mail.good.test", rsaKey, relaxed),
		"key h=sha1, signed sha256":   sign(base, "sha1only", rsaKey, relaxed),
	}
	// rsa-sha1, which go-msgauth will not make, signed by dkimpy.
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)}))
	cases["rsa-sha1"] = string(runDkimpy(t, python, map[string]any{"op": "dkim-sign", "msg": base, "d": "good.test", "s": "rsa", "key": pemKey, "a": "rsa-sha1"}))
	// l= (RFC 6376 §3.5) with content appended after signing.
	cases["l= and an appended body"] = string(runDkimpy(t, python, map[string]any{"op": "dkim-sign", "msg": base, "d": "good.test", "s": "rsa", "key": pemKey, "a": "rsa-sha256",
		"l": true, "append": "Click here: https://evil.test/\r\n"}))

	// Where dkimpy 1.1 passes what the RFCs make a verifier fail.
	differs := map[string]string{
		"t=s key, i= at a subdomain": "RFC 6376 §3.6.1: with t=s, i= must have exactly the domain of d=",
		"key h=sha1, signed sha256":  "RFC 6376 §6.1.2: a hash the key's h= does not list is a PERMFAIL",
		"rsa-sha1":                   "RFC 8301 §3.1: verifiers must not consider rsa-sha1 signatures valid",
		// Here we are stricter than RFC 6376 §3.5 allows: go-msgauth fails
		// every l= signature, since what follows l= is unsigned and can be
		// anything (RFC 6376 §8.2); dkimpy verifies the first l octets.
		"l= and an appended body": "RFC 6376 §8.2: content after l= is unauthenticated",
	}
	for name, raw := range cases {
		t.Run(name, func(t *testing.T) {
			res, _, err := message.Analyze(context.Background(), r, []byte(raw), message.Options{})
			if err != nil {
				t.Fatal(err)
			}
			var ref []bool
			if err := json.Unmarshal(runDkimpy(t, python, map[string]any{"op": "dkim-verify", "msg": raw, "keys": keys}), &ref); err != nil {
				t.Fatal(err)
			}
			if len(ref) != len(res.DKIM) {
				t.Fatalf("dkimpy saw %d signatures, we %d", len(ref), len(res.DKIM))
			}
			if why, ok := differs[name]; ok {
				if len(ref) != 1 || !ref[0] || res.DKIM[0].Result == "pass" {
					t.Errorf("expected to fail where dkimpy passes (%s): ours %s, dkimpy %v", why, res.DKIM[0].Result, ref)
				}
				return
			}
			for i, pass := range ref {
				if got := res.DKIM[i].Result == "pass"; got != pass {
					t.Errorf("signature %d (s=%s): ours %s (%s), dkimpy pass=%v", i+1, res.DKIM[i].Selector, res.DKIM[i].Result, res.DKIM[i].Reason, pass)
				}
			}
		})
	}
}
