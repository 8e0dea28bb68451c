package message

import (
	"bytes"
	"cmp"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	mdns "github.com/miekg/dns"

	"github.com/smtptool/smtptool/check/dkim"
	"github.com/smtptool/smtptool/dns"
)

// field is one header field as it was sent: its name and the whole field,
// folding included, ending in CRLF.
type field struct {
	name string // lower case
	raw  string
}

// splitMessage is a message's header fields in order and its body, with
// bare LF line endings read as CRLF (RFC 5322 §2.1).
func splitMessage(raw []byte) ([]field, []byte) {
	raw = bytes.ReplaceAll(bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
	head, body, found := bytes.Cut(raw, []byte("\r\n\r\n"))
	if !found {
		head, body = raw, nil
	}
	var fields []field
	for _, line := range strings.SplitAfter(string(head)+"\r\n", "\r\n") {
		if line == "" {
			continue
		}
		if (line[0] == ' ' || line[0] == '\t') && len(fields) > 0 {
			fields[len(fields)-1].raw += line
			continue
		}
		name, _, _ := strings.Cut(line, ":")
		fields = append(fields, field{name: strings.ToLower(strings.TrimSpace(name)), raw: line})
	}
	return fields, body
}

var wsp = regexp.MustCompile(`[ \t]+`)

// relaxedHeader is RFC 6376 §3.4.2's canonical form of a field.
func relaxedHeader(f string) string {
	name, value, _ := strings.Cut(f, ":")
	value = strings.ReplaceAll(value, "\r\n", "")
	value = strings.TrimSpace(wsp.ReplaceAllString(value, " "))
	return strings.ToLower(strings.TrimSpace(name)) + ":" + value + "\r\n"
}

// canonicalBody is RFC 6376 §3.4.3 (simple) or §3.4.4 (relaxed).
func canonicalBody(body []byte, relaxed bool) []byte {
	s := string(body)
	if relaxed {
		lines := strings.Split(s, "\r\n")
		for i, l := range lines {
			lines[i] = strings.TrimRight(wsp.ReplaceAllString(l, " "), " ")
		}
		s = strings.Join(lines, "\r\n")
	}
	s = strings.TrimRight(s, "\r\n")
	if s == "" {
		if relaxed {
			return nil
		}
		return []byte("\r\n")
	}
	return []byte(s + "\r\n")
}

// bValue matches the b= tag's value, which a signature's own field omits
// from what it signs (RFC 6376 §3.7).
var bValue = regexp.MustCompile(`([;:][ \t\r\n]*b[ \t\r\n]*=)[^;]*`)

func withoutB(raw string) string { return bValue.ReplaceAllString(raw, "$1") }

// arcKey fetches an ARC signer's RSA key (RFC 8617 §4.1.2: as DKIM's,
// RFC 6376 §3.6.1).
func arcKey(ctx context.Context, r dns.Resolver, selector, domain string) (*rsa.PublicKey, error) {
	a, err := r.Lookup(ctx, selector+"._domainkey."+domain, mdns.TypeTXT)
	if err != nil {
		return nil, err
	}
	recs := dns.TXT(a)
	if len(recs) != 1 {
		return nil, fmt.Errorf("%d key records at %s._domainkey.%s, not one", len(recs), selector, domain)
	}
	tags := tagMap(recs[0])
	if k := tags["k"]; k != "" && !strings.EqualFold(k, "rsa") {
		return nil, fmt.Errorf("a k=%s key, where ARC signs with rsa-sha256", k)
	}
	der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(tags["p"]), ""))
	if err != nil || len(der) == 0 {
		return nil, errors.New("the key record has no usable p= (revoked or malformed)")
	}
	return dkim.RSAKey(der)
}

// verifySignature checks b= over data with the signer's key.
func verifySignature(ctx context.Context, r dns.Resolver, tags map[string]string, data string) error {
	if a := strings.ToLower(tags["a"]); a != "rsa-sha256" {
		return fmt.Errorf("a=%s: ARC signs with rsa-sha256 (RFC 8617 §4.1.2)", a)
	}
	key, err := arcKey(ctx, r, tags["s"], tags["d"])
	if err != nil {
		return err
	}
	if key.N.BitLen() < 1024 {
		return fmt.Errorf("a %d-bit key, which verifiers must reject (RFC 8301 §3.2)", key.N.BitLen())
	}
	sig, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(tags["b"]), ""))
	if err != nil {
		return errors.New("b= is not base64")
	}
	sum := sha256.Sum256([]byte(data))
	if rsa.VerifyPKCS1v15(key, crypto.SHA256, sum[:], sig) != nil {
		return errors.New("the signature does not verify")
	}
	return nil
}

// verifyAMS checks an ARC-Message-Signature as DKIM checks its signature
// (RFC 8617 §4.1.2, RFC 6376 §3.7): body hash, then the signed fields
// picked from the bottom up, then the AMS itself without b=.
func verifyAMS(ctx context.Context, r dns.Resolver, fields []field, body []byte, ams string) error {
	tags := fieldTags(ams)
	hc, bc, _ := strings.Cut(strings.ToLower(cmp.Or(tags["c"], "simple/simple")), "/")
	relaxedH, relaxedB := hc == "relaxed", cmp.Or(bc, "simple") == "relaxed"
	cb := canonicalBody(body, relaxedB)
	if l, ok := tags["l"]; ok {
		n, err := strconv.Atoi(l)
		if err != nil || n < 0 || n > len(cb) {
			return errors.New("l= is not a length within the body")
		}
		cb = cb[:n]
	}
	bh := sha256.Sum256(cb)
	if base64.StdEncoding.EncodeToString(bh[:]) != strings.Join(strings.Fields(tags["bh"]), "") {
		return errors.New("the body hash does not match: the body was changed after it was sealed")
	}
	canon := func(raw string) string {
		if relaxedH {
			return relaxedHeader(raw)
		}
		return raw
	}
	var data strings.Builder
	used := map[int]bool{}
	for _, name := range strings.Split(tags["h"], ":") {
		name = strings.ToLower(strings.TrimSpace(name))
		for i := len(fields) - 1; i >= 0; i-- {
			if !used[i] && fields[i].name == name {
				used[i] = true
				data.WriteString(canon(fields[i].raw))
				break
			}
		}
	}
	data.WriteString(strings.TrimSuffix(canon(withoutB(ams)), "\r\n"))
	return verifySignature(ctx, r, tags, data.String())
}

// verifySeal checks the ARC-Seal of instance i: relaxed canonicalization
// of every set up to i, in instance order, AAR, AMS then AS, the seal
// itself without b= (RFC 8617 §5.1.1).
func verifySeal(ctx context.Context, r dns.Resolver, sets []arcSet, i int) error {
	var data strings.Builder
	for j := 1; j <= i; j++ {
		s := sets[j]
		data.WriteString(relaxedHeader(s.aar))
		data.WriteString(relaxedHeader(s.ams))
		if j < i {
			data.WriteString(relaxedHeader(s.seal))
		}
	}
	data.WriteString(strings.TrimSuffix(relaxedHeader(withoutB(sets[i].seal)), "\r\n"))
	return verifySignature(ctx, r, fieldTags(sets[i].seal), data.String())
}

// verifyARC validates a chain whose structure holds (arcChain's sets,
// 1..n) as RFC 8617 §5.2 does: the newest AMS, then every seal from the
// newest down; it also finds the oldest AMS that still verifies (§5.2
// step 3, the "oldest-pass"). A key that could not be looked up makes it
// temperror, with the failed lookup returned.
func verifyARC(ctx context.Context, r dns.Resolver, fields []field, body []byte, sets []arcSet) (ARCResult, error) {
	n := len(sets) - 1
	failed := func(err error, what string) (ARCResult, error) {
		out := ARCResult{Result: "fail", Instances: n, Why: what + ": " + err.Error()}
		if lookupFailed := (*dns.LookupError)(nil); errors.As(err, &lookupFailed) {
			out.Result = "temperror"
			return out, err
		}
		return out, nil
	}
	if err := verifyAMS(ctx, r, fields, body, sets[n].ams); err != nil {
		return failed(err, fmt.Sprintf("the ARC-Message-Signature of instance %d", n))
	}
	for i := n; i >= 1; i-- {
		if err := verifySeal(ctx, r, sets, i); err != nil {
			return failed(err, fmt.Sprintf("the ARC-Seal of instance %d", i))
		}
	}
	out := ARCResult{Result: "pass", Instances: n, OldestPass: n}
	for i := n - 1; i >= 1; i-- {
		if verifyAMS(ctx, r, fields, body, sets[i].ams) != nil {
			break
		}
		out.OldestPass = i
	}
	return out, nil
}

// fieldTags is the tag list of a signature field as sent.
func fieldTags(raw string) map[string]string {
	_, value, _ := strings.Cut(raw, ":")
	return tagMap(strings.ReplaceAll(value, "\r\n", ""))
}
