// Package validate is smtptool's own DNSSEC validator (RFC 4033, 4034,
// 4035, 5155 and 6840), so that a verdict on a signed domain does not rest
// on whichever resolver answers: from the root's trust anchors it fetches
// DS and DNSKEY records down the chain of trust through the resolver (with
// DO and CD set, so a validating resolver hands over the data it would
// refuse), verifies every RRSIG with miekg/dns's primitives, and checks
// NSEC and NSEC3 proofs of absence.
//
// Each answer is Secure, Insecure (the chain of trust ends at an unsigned
// delegation, named in the Result), Bogus (with the zone, the key and the
// reason a person can act on) or Indeterminate (a lookup failed: nothing
// is known, which is never the same as insecure).
//
// A Validator caches each zone's keys for its lifetime (one run), and asks
// a zone's DS and DNSKEY records at once: validation costs one round trip
// per zone cut, shared by every answer below it.
package validate

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	mdns "github.com/miekg/dns"
	"github.com/smtptool/smtptool/dns"
)

// Status is a DNSSEC verdict on an answer (RFC 4033 §5).
type Status uint8

const (
	// Indeterminate: a lookup the verdict needs failed.
	Indeterminate Status = iota
	// Insecure: no chain of trust reaches the answer; the Result's Zone is
	// the delegation where it ends (RFC 4035 §5.2).
	Insecure
	// Secure: every signature from the trust anchor to the answer verifies
	// and is within its validity period.
	Secure
	// Bogus: the chain of trust reaches the answer's zone, but a signature,
	// key or proof of absence that must be there fails (RFC 4035 §5.5).
	Bogus
)

// Algorithm is a DNSSEC signing algorithm number (RFC 8624 §3.1).
type Algorithm uint8

// MarshalText writes the algorithm's mnemonic, e.g. "ECDSAP256SHA256".
func (a Algorithm) MarshalText() ([]byte, error) {
	if n, ok := mdns.AlgorithmToString[uint8(a)]; ok {
		return []byte(n), nil
	}
	return []byte(fmt.Sprint(uint8(a))), nil
}

func (s Status) String() string {
	return [...]string{"indeterminate", "insecure", "secure", "bogus"}[s]
}

// MarshalText writes the status as its name in JSON.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Result is the verdict on one answer.
type Result struct {
	Name   string `json:"name"`
	Type   string `json:"type"`
	Status Status `json:"status"`
	// Problem is what makes a bogus answer bogus.
	Problem Problem `json:"problem,omitempty"`
	// Reason says, for a person, why the answer is bogus or where an
	// insecure chain ends.
	Reason string `json:"reason,omitempty"`
	// Zone is the zone at fault (bogus) or the unsigned delegation
	// (insecure).
	Zone string `json:"zone,omitempty"`
	// KeyTag is the key the failure concerns, when one does.
	KeyTag uint16 `json:"key_tag,omitempty"`
	// Expires is the earliest expiry of the signatures a secure verdict
	// rests on, and Lifetime that signature's whole validity period.
	Expires  time.Time     `json:"expires,omitzero"`
	Lifetime time.Duration `json:"-"`
	// Algorithms are the signing algorithms of the chain (RFC 8624).
	Algorithms []Algorithm `json:"algorithms,omitempty"`
	// Err is the failed lookup of an indeterminate verdict.
	Err error `json:"-"`
	// Records are the answer's records of the type asked, when any.
	Records []mdns.RR `json:"-"`
}

// Validator validates answers from a DNSSECQuerier. It is safe for
// concurrent use.
type Validator struct {
	q       dns.DNSSECQuerier
	anchors []*mdns.DS
	now     func() time.Time

	mu    sync.Mutex
	zones map[string]*zoneEntry
}

// maxZones bounds the zones whose keys are kept: a bulk scan meets a zone
// or two per domain, and memory must stay flat.
const maxZones = 4096

type zoneEntry struct {
	done chan struct{}
	keys []*mdns.DNSKEY
	vd   verdict
}

// New returns a Validator that trusts anchors (DS or DNSKEY records, of
// the root or of any zone); none means the IANA root anchors.
func New(q dns.DNSSECQuerier, anchors []mdns.RR, now func() time.Time) *Validator {
	if len(anchors) == 0 {
		anchors = RootAnchors()
	}
	if now == nil {
		now = time.Now
	}
	v := &Validator{q: q, now: now, zones: map[string]*zoneEntry{}}
	for _, rr := range anchors {
		switch a := rr.(type) {
		case *mdns.DS:
			v.anchors = append(v.anchors, a)
		case *mdns.DNSKEY:
			v.anchors = append(v.anchors, a.ToDS(mdns.SHA256))
		}
	}
	return v
}

// verdict is a Result without the answer's own fields.
type verdict struct {
	status   Status
	problem  Problem
	reason   string
	zone     string
	keyTag   uint16
	expires  time.Time
	lifetime time.Duration
	algs     []Algorithm
	err      error
}

var secure = verdict{status: Secure}

// worse combines two verdicts on parts of one answer: the least secure
// wins, and a secure answer expires with its first signature.
func worse(a, b verdict) verdict {
	rank := func(s Status) int { return [...]int{2, 1, 0, 3}[s] } // bogus > indeterminate > insecure > secure
	if rank(b.status) > rank(a.status) {
		return b
	}
	if a.status == Secure && b.status == Secure {
		if !b.expires.IsZero() && (a.expires.IsZero() || b.expires.Before(a.expires)) {
			a.expires, a.lifetime = b.expires, b.lifetime
		}
		for _, alg := range b.algs {
			if !slices.Contains(a.algs, alg) {
				a.algs = append(slices.Clip(a.algs), alg) // never into a cached verdict's array
			}
		}
	}
	return a
}

// Problem names what makes an answer bogus, for advice.
type Problem string

// The problems of a bogus answer.
const (
	ProblemSignature   Problem = "signature"     // a signature does not verify
	ProblemExpired     Problem = "expired"       // a signature has expired
	ProblemNotYetValid Problem = "not-yet-valid" // a signature's inception is in the future
	ProblemUnsigned    Problem = "rrsig-missing" // data or a proof of absence without signatures in a signed zone
	ProblemUnknownKey  Problem = "key-unknown"   // signed by a key the zone does not publish
	ProblemNoDNSKEY    Problem = "dnskey-missing"
	ProblemDSMismatch  Problem = "ds-mismatch" // no DNSKEY matches the parent's DS
	ProblemDenial      Problem = "denial"      // a broken NSEC or NSEC3 proof of absence
	ProblemNoAnchor    Problem = "no-anchor"
)

func bogus(p Problem, zone string, tag uint16, format string, args ...any) verdict {
	return verdict{status: Bogus, problem: p, zone: zone, keyTag: tag, reason: fmt.Sprintf(format, args...)}
}

func failed(err error) verdict {
	return verdict{status: Indeterminate, err: err, reason: err.Error()}
}

// Validate asks for name and qtype and judges the answer: each RRset of
// its CNAME chain and its records, or the proof that there are none.
func (v *Validator) Validate(ctx context.Context, name string, qtype uint16) *Result {
	fqdn := mdns.CanonicalName(name)
	res := &Result{Name: fqdn, Type: mdns.TypeToString[qtype]}
	if qtype == mdns.TypeMX {
		v.prefetch(ctx, fqdn)
	}
	msg, err := v.q.QueryDNSSEC(ctx, fqdn, qtype)
	if err != nil {
		res.fill(failed(err))
		return res
	}
	vd := secure
	owner := fqdn
	for hop := 0; ; hop++ {
		if hop > 16 {
			res.fill(failed(fmt.Errorf("lookup %s %s: %w", res.Type, fqdn, dns.ErrCNAMELoop)))
			return res
		}
		if set := rrset(msg.Answer, owner, qtype); len(set) > 0 {
			res.Records = set
			vd = worse(vd, v.rrset(ctx, set, sigs(msg.Answer, owner, qtype), msg))
			break
		}
		if cname := rrset(msg.Answer, owner, mdns.TypeCNAME); len(cname) > 0 && qtype != mdns.TypeCNAME {
			vd = worse(vd, v.rrset(ctx, cname, sigs(msg.Answer, owner, mdns.TypeCNAME), msg))
			owner = mdns.CanonicalName(cname[0].(*mdns.CNAME).Target)
			continue
		}
		// RFC 4035 §5.4: no records, so the absence must be proven.
		d := v.denial(ctx, msg, owner, qtype)
		switch {
		case d.unsigned:
			d.verdict = v.unsignedHere(ctx, owner, fmt.Sprintf("there is no NSEC or NSEC3 proof that %s %s does not exist", owner, res.Type))
		case d.optOut && qtype != mdns.TypeDS && d.verdict.status == Secure:
			// RFC 5155 §9.2: what an opt-out span covers may be an unsigned
			// delegation, so its absence is not authenticated. (For DS the
			// same proof is the secure answer that there is none, §8.6.)
			d.verdict = verdict{status: Insecure, zone: d.nextCloser,
				reason: fmt.Sprintf("%s lies in an NSEC3 opt-out span: it may be an unsigned delegation, so the proof that %s %s does not exist is not authenticated (RFC 5155 §9.2)", d.nextCloser, owner, res.Type)}
		}
		vd = worse(vd, d.verdict)
		break
	}
	res.fill(vd)
	return res
}

func (r *Result) fill(vd verdict) {
	r.Status, r.Problem, r.Reason, r.Zone, r.KeyTag = vd.status, vd.problem, vd.reason, vd.zone, vd.keyTag
	r.Expires, r.Lifetime, r.Algorithms, r.Err = vd.expires, vd.lifetime, vd.algs, vd.err
}

// rrset returns the records of msg's section owned by name, of qtype.
func rrset(section []mdns.RR, name string, qtype uint16) []mdns.RR {
	var out []mdns.RR
	for _, rr := range section {
		if h := rr.Header(); h.Rrtype == qtype && strings.EqualFold(h.Name, name) {
			out = append(out, rr)
		}
	}
	return out
}

// sigs returns the RRSIGs in section that cover name's qtype RRset.
func sigs(section []mdns.RR, name string, qtype uint16) []*mdns.RRSIG {
	var out []*mdns.RRSIG
	for _, rr := range section {
		if s, ok := rr.(*mdns.RRSIG); ok && s.TypeCovered == qtype && strings.EqualFold(s.Hdr.Name, name) {
			out = append(out, s)
		}
	}
	return out
}

// rrset judges one RRset with its signatures. An unsigned RRset is
// insecure where the chain of trust ends above it, and bogus in a signed
// zone (RFC 4035 §5.3).
func (v *Validator) rrset(ctx context.Context, set []mdns.RR, ss []*mdns.RRSIG, msg *mdns.Msg) verdict {
	h := set[0].Header()
	owner, typ := mdns.CanonicalName(h.Name), mdns.TypeToString[h.Rrtype]
	if len(ss) == 0 {
		holder := owner
		if h.Rrtype == mdns.TypeDS {
			holder = parentOf(owner) // RFC 4035 §5.2: the parent's RRset
		}
		return v.unsignedHere(ctx, holder, fmt.Sprintf("the %s %s RRset has no RRSIG", owner, typ))
	}
	signer := mdns.CanonicalName(ss[0].SignerName)
	// RFC 4035 §5.3.1: the signer is the zone holding the RRset, so at or
	// above its owner; a DS RRset is the parent's (RFC 4035 §5.2).
	if !mdns.IsSubDomain(signer, owner) || h.Rrtype == mdns.TypeDS && signer == owner {
		return bogus(ProblemSignature, owner, ss[0].KeyTag, "the RRSIG of %s %s names %s as its signer, which cannot hold it (RFC 4035 §5.3.1)", owner, typ, signer)
	}
	zk := v.zoneKeys(ctx, signer)
	if zk.vd.status != Secure {
		return zk.vd
	}
	vd := v.verify(set, ss, zk.keys, signer)
	if vd.status == Secure {
		for _, s := range ss {
			// RFC 4035 §5.3.4: an answer expanded from a wildcard comes with
			// proof that the name itself does not exist.
			if int(s.Labels) < mdns.CountLabel(owner) && !strings.HasPrefix(owner, "*.") && s.SignerName == ss[0].SignerName {
				if !v.wildcardProven(ctx, msg, owner, int(s.Labels)) {
					return bogus(ProblemDenial, signer, s.KeyTag, "%s %s was expanded from a wildcard without proof that %s does not exist (RFC 4035 §5.3.4)", owner, typ, owner)
				}
				break
			}
		}
		return worse(zk.vd, vd)
	}
	return vd
}

// unsignedHere judges data without signatures at owner (what says what is
// missing): insecure when the chain of trust ends above owner, bogus when
// owner's zone is signed.
func (v *Validator) unsignedHere(ctx context.Context, owner, what string) verdict {
	z := v.enclosingZone(ctx, owner)
	if z.status != Secure {
		return z
	}
	return bogus(ProblemUnsigned, z.zone, 0, "%s, but %s is signed (RFC 4035 §5.3)", what, z.zone)
}

// verify checks signatures over set with the zone's keys (RFC 4035 §5.3).
// One valid signature in its validity period is enough; when none is, the
// reason is the most telling failure: a date before a broken signature
// before an unknown key.
func (v *Validator) verify(set []mdns.RR, ss []*mdns.RRSIG, keys []*mdns.DNSKEY, zone string) verdict {
	h := set[0].Header()
	what := mdns.CanonicalName(h.Name) + " " + mdns.TypeToString[h.Rrtype]
	now := v.now()
	var best verdict
	bestRank := -1
	note := func(rank int, vd verdict) {
		if rank > bestRank {
			best, bestRank = vd, rank
		}
	}
	tries := 0
	for _, s := range ss {
		if mdns.CanonicalName(s.SignerName) != zone {
			continue
		}
		if !supportedAlgorithm(s.Algorithm) {
			note(0, verdict{status: Insecure, zone: zone, keyTag: s.KeyTag,
				reason: fmt.Sprintf("%s is signed only with algorithm %s, which validators do not support (RFC 8624 §3.1, RFC 4035 §5.2)", what, algName(s.Algorithm))})
			continue
		}
		found := false
		for _, k := range keys {
			if k.KeyTag() != s.KeyTag || k.Algorithm != s.Algorithm {
				continue
			}
			found = true
			// KeyTrap (CVE-2023-50387): many keys sharing a tag times many
			// signatures would cost quadratic work; a validator gives up
			// after a few tries, as Unbound and BIND now do.
			if tries++; tries > maxVerifications {
				return bogus(ProblemSignature, zone, s.KeyTag, "%s has more signatures and keys to try than a validator attempts (%d): it is refused, as resolvers refuse it since CVE-2023-50387 (KeyTrap)", what, maxVerifications)
			}
			if err := s.Verify(k, set); err != nil {
				note(2, bogus(ProblemSignature, zone, s.KeyTag, "the RRSIG of %s by key %d of %s does not verify: the data or the signature was changed (RFC 4035 §5.3.3)", what, s.KeyTag, zone))
				continue
			}
			inception, expiration := sigTime(s.Inception, now), sigTime(s.Expiration, now)
			switch {
			case now.Before(inception):
				note(3, bogus(ProblemNotYetValid, zone, s.KeyTag, "the RRSIG of %s by key %d of %s is not valid until %s (RFC 4035 §5.3.1)", what, s.KeyTag, zone, inception.UTC().Format(time.RFC3339)))
			case now.After(expiration):
				note(3, bogus(ProblemExpired, zone, s.KeyTag, "the RRSIG of %s by key %d of %s expired on %s (RFC 4035 §5.3.1)", what, s.KeyTag, zone, expiration.UTC().Format(time.RFC3339)))
			default:
				return verdict{status: Secure, expires: expiration, lifetime: expiration.Sub(inception), algs: []Algorithm{Algorithm(s.Algorithm)}}
			}
		}
		if !found {
			note(1, bogus(ProblemUnknownKey, zone, s.KeyTag, "%s is signed by key %d, which is not among the DNSKEYs of %s (RFC 4035 §5.3.1)", what, s.KeyTag, zone))
		}
	}
	if bestRank < 0 {
		return bogus(ProblemUnsigned, zone, 0, "%s has no RRSIG by %s (RFC 4035 §5.3)", what, zone)
	}
	return best
}

// maxVerifications bounds the signature checks for one RRset.
const maxVerifications = 8

// sigTime turns an RRSIG's 32-bit time into a time near now, by the serial
// number arithmetic of RFC 4034 §3.1.5 (RFC 1982).
func sigTime(t uint32, now time.Time) time.Time {
	n := uint32(now.Unix())
	return now.Add(time.Duration(int32(t-n)) * time.Second).Truncate(time.Second)
}

// supportedAlgorithm is what miekg/dns verifies, less what RFC 8624 §3.1
// says validators MUST NOT use (RSAMD5, DSA, ECC-GOST).
func supportedAlgorithm(a uint8) bool {
	switch a {
	case mdns.RSASHA1, mdns.RSASHA1NSEC3SHA1, mdns.RSASHA256, mdns.RSASHA512,
		mdns.ECDSAP256SHA256, mdns.ECDSAP384SHA384, mdns.ED25519:
		return true
	}
	return false
}

// supportedDigest is the DS digest types RFC 8624 §3.3 says validators
// implement (SHA-1, SHA-256, SHA-384).
func supportedDigest(d uint8) bool {
	return d == mdns.SHA1 || d == mdns.SHA256 || d == mdns.SHA384
}

func algName(a uint8) string {
	if n, ok := mdns.AlgorithmToString[a]; ok {
		return fmt.Sprintf("%d (%s)", a, n)
	}
	return fmt.Sprint(a)
}

// prefetch starts loading the keys of domain and of each zone above it
// while its own answer is asked: a domain's MX question is the first of a
// check, and its chain of trust is then one round trip away instead of
// one per zone cut. A name that is no zone cut costs a DS and a DNSKEY
// question, answered "no data", and nothing else.
func (v *Validator) prefetch(ctx context.Context, domain string) {
	for n := domain; ; n = parentOf(n) {
		go v.zoneKeys(ctx, n)
		if n == "." {
			return
		}
	}
}

// loadingKey is the context key of the zones whose keys a path is loading.
type loadingKey struct{}

// walkDepth is the context key of how many zone-cut walks a path is in.
type walkDepth struct{}

// maxWalkDepth bounds them.
const maxWalkDepth = 4

// maxWalkLabels bounds the labels of a name whose zone cuts are walked
// (an ip6.arpa name has 34).
const maxWalkLabels = 40

// zoneKeys returns a zone's validated DNSKEYs, once per zone and run: its
// DS records from the parent (or the trust anchors) and its DNSKEY RRset,
// asked at once, and the DNSKEY RRset signed by a key a DS names
// (RFC 4035 §5.2).
func (v *Validator) zoneKeys(ctx context.Context, zone string) *zoneEntry {
	// A zone whose keys are being loaded on this very path cannot wait
	// for itself: only hostile answers make a chain of trust loop.
	loading, _ := ctx.Value(loadingKey{}).([]string)
	if slices.Contains(loading, zone) {
		return &zoneEntry{vd: bogus(ProblemSignature, zone, 0, "the chain of trust of %s leads back to %s itself", zone, zone)}
	}
	ctx = context.WithValue(ctx, loadingKey{}, append(slices.Clip(loading), zone))
	v.mu.Lock()
	if e, ok := v.zones[zone]; ok {
		v.mu.Unlock()
		select {
		case <-e.done:
			return e
		case <-ctx.Done():
			return &zoneEntry{vd: failed(ctx.Err())}
		}
	}
	if len(v.zones) >= maxZones {
		clear(v.zones)
	}
	e := &zoneEntry{done: make(chan struct{})}
	v.zones[zone] = e
	v.mu.Unlock()
	e.keys, e.vd = v.loadKeys(ctx, zone)
	if e.vd.status == Indeterminate {
		v.mu.Lock()
		delete(v.zones, zone) // a failed lookup may succeed when asked again
		v.mu.Unlock()
	}
	close(e.done)
	return e
}

func (v *Validator) loadKeys(ctx context.Context, zone string) ([]*mdns.DNSKEY, verdict) {
	type reply struct {
		msg *mdns.Msg
		err error
	}
	keyReply := make(chan reply, 1)
	go func() {
		m, err := v.q.QueryDNSSEC(ctx, zone, mdns.TypeDNSKEY)
		keyReply <- reply{m, err}
	}()

	var dss []*mdns.DS
	chain := secure
	for _, a := range v.anchors {
		if mdns.CanonicalName(a.Hdr.Name) == zone {
			dss = append(dss, a)
		}
	}
	if len(dss) == 0 {
		if zone == "." {
			return nil, bogus(ProblemNoAnchor, ".", 0, "no trust anchor for the root")
		}
		dsMsg, err := v.q.QueryDNSSEC(ctx, zone, mdns.TypeDS)
		if err != nil {
			return nil, failed(err)
		}
		set := rrset(dsMsg.Answer, zone, mdns.TypeDS)
		if len(set) == 0 {
			d := v.denial(ctx, dsMsg, zone, mdns.TypeDS)
			switch {
			case d.unsigned:
				return nil, v.unsignedHere(ctx, parentOf(zone), "there is no NSEC or NSEC3 proof that the delegation to "+zone+" has no DS record")
			case d.verdict.status != Secure:
				return nil, d.verdict
			}
			return nil, verdict{status: Insecure, zone: zone, reason: fmt.Sprintf("%s signs its data, but its parent publishes no DS record for it, so no chain of trust reaches it (RFC 4035 §5.2)", zone)}
		}
		chain = v.rrset(ctx, set, sigs(dsMsg.Answer, zone, mdns.TypeDS), dsMsg)
		if chain.status != Secure {
			return nil, chain
		}
		for _, rr := range set {
			dss = append(dss, rr.(*mdns.DS))
		}
	}
	var usable []*mdns.DS
	for _, ds := range dss {
		if supportedAlgorithm(ds.Algorithm) && supportedDigest(ds.DigestType) {
			usable = append(usable, ds)
		}
	}
	if len(usable) == 0 {
		return nil, verdict{status: Insecure, zone: zone, keyTag: dss[0].KeyTag,
			reason: fmt.Sprintf("the DS records of %s use only algorithms or digests validators do not support (algorithm %s, digest %d): validators treat it as unsigned (RFC 4035 §5.2, RFC 8624)", zone, algName(dss[0].Algorithm), dss[0].DigestType)}
	}

	kr := <-keyReply
	if kr.err != nil {
		return nil, failed(kr.err)
	}
	var keys []*mdns.DNSKEY
	var keySet []mdns.RR
	for _, rr := range rrset(kr.msg.Answer, zone, mdns.TypeDNSKEY) {
		keys = append(keys, rr.(*mdns.DNSKEY))
		keySet = append(keySet, rr)
	}
	tags := dsTags(usable)
	if len(keys) == 0 {
		return nil, bogus(ProblemNoDNSKEY, zone, usable[0].KeyTag, "%s has no DNSKEY records, but its DS record (key tag %s) says it is signed (RFC 4035 §5.2)", zone, tags)
	}
	var entry []*mdns.DNSKEY // the keys a DS record vouches for
	for _, k := range keys {
		for _, ds := range usable {
			if k.KeyTag() == ds.KeyTag && k.Algorithm == ds.Algorithm && k.Flags&mdns.ZONE != 0 && k.Flags&mdns.REVOKE == 0 {
				if got := k.ToDS(ds.DigestType); got != nil && strings.EqualFold(got.Digest, ds.Digest) {
					entry = append(entry, k)
				}
			}
		}
	}
	if len(entry) == 0 {
		return nil, bogus(ProblemDSMismatch, zone, usable[0].KeyTag, "no DNSKEY of %s matches its DS record (key tag %s): the parent's DS is for another key (RFC 4035 §5.2)", zone, tags)
	}
	vd := v.verify(keySet, sigs(kr.msg.Answer, zone, mdns.TypeDNSKEY), entry, zone)
	if vd.status != Secure {
		if vd.status == Bogus && strings.Contains(vd.reason, "has no RRSIG") {
			vd.reason = fmt.Sprintf("the DNSKEY RRset of %s is not signed by the key its DS record names (key tag %s) (RFC 4035 §5.2)", zone, tags)
		}
		return nil, vd
	}
	return keys, worse(chain, vd)
}

func dsTags(dss []*mdns.DS) string {
	var tags []string
	for _, ds := range dss {
		if t := fmt.Sprint(ds.KeyTag); !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	return strings.Join(tags, ", ")
}

func parentOf(name string) string {
	i, end := mdns.NextLabel(name, 0)
	if end {
		return "."
	}
	return name[i:]
}

// enclosingZone walks from the root down to name, asking DS at each label
// to find the zone cuts (RFC 4035 §5.2): it returns secure with the
// deepest zone when the chain of trust reaches name's zone, insecure with
// the unsigned delegation where it ends, or the failure on the way.
func (v *Validator) enclosingZone(ctx context.Context, name string) verdict {
	// Only a hostile answer makes a walk start another walk, and another:
	// a few deep is already more than any chain of trust needs.
	depth, _ := ctx.Value(walkDepth{}).(int)
	if depth >= maxWalkDepth {
		return bogus(ProblemDenial, name, 0, "finding the zone of %s needs a chain of proofs deeper than any real one (%d)", name, maxWalkDepth)
	}
	ctx = context.WithValue(ctx, walkDepth{}, depth+1)
	root := v.zoneKeys(ctx, ".")
	if root.vd.status != Secure {
		return root.vd
	}
	zone := "."
	labels := mdns.SplitDomainName(name)
	if len(labels) > maxWalkLabels {
		// A DS question per label: a name this deep is a hostile one, and
		// no verdict is reached for it.
		return failed(fmt.Errorf("%s has %d labels, more than a zone-cut walk follows (%d)", name, len(labels), maxWalkLabels))
	}
	for i := len(labels) - 1; i >= 0; i-- {
		cut := mdns.CanonicalName(strings.Join(labels[i:], "."))
		msg, err := v.q.QueryDNSSEC(ctx, cut, mdns.TypeDS)
		if err != nil {
			return failed(err)
		}
		if set := rrset(msg.Answer, cut, mdns.TypeDS); len(set) > 0 {
			zk := v.zoneKeys(ctx, cut)
			if zk.vd.status != Secure {
				return zk.vd
			}
			zone = cut
			continue
		}
		d := v.denial(ctx, msg, cut, mdns.TypeDS)
		switch {
		case d.unsigned:
			return bogus(ProblemUnsigned, zone, 0, "no NSEC or NSEC3 proof that %s has no DS record, but %s is signed (RFC 4035 §5.2)", cut, zone)
		case d.verdict.status != Secure:
			return d.verdict
		case d.delegation || d.optOut:
			return verdict{status: Insecure, zone: cut, reason: fmt.Sprintf("the delegation from %s to %s is unsigned (no DS record)", zone, cut)}
		case d.nx:
			return verdict{status: Secure, zone: zone}
		}
	}
	return verdict{status: Secure, zone: zone}
}
