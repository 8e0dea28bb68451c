package lab

import (
	"crypto"
	"encoding/base64"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"
	"github.com/smtptool/smtptool/dns/validate"
)

// The lab's DNSSEC: real keys and real signatures, made in-process with
// miekg/dns when first needed. The lab has its own signed root (its key is
// the lab's trust anchor, Zone.TrustAnchors) and a signed test. TLD; every
// other TLD, and every domain directly under test., is a zone of its own,
// unsigned unless its file says ";@lab signed". A signed zone may be wrong
// in exactly one way, named on that line:
//
//	;@lab signed                 ECDSA P-256 (algorithm 13), NSEC
//	;@lab signed nsec3           NSEC3 (no salt, no iterations: RFC 9276)
//	;@lab signed nsec3 optout     NSEC3 with opt-out, unsigned delegations left out
//	;@lab signed expired         every signature expired two days ago
//	;@lab signed expiring        signatures of a 27-day lifetime that end in two days
//	;@lab signed ds-mismatch     the parent's DS record is for another key
//	;@lab signed no-dnskey       a DS record in the parent, no DNSKEY in the zone
//	;@lab signed rsasha1         RSA/SHA-1 (algorithm 5), deprecated by RFC 8624
//	;@lab zone                   a zone cut of its own, unsigned (below a signed zone)
//	;@lab bogus NAME TYPE        that RRset's signature does not verify
//
// Answered as a validating resolver answers (RFC 4035 §3.2): data that
// fails validation is SERVFAIL with an Extended DNS Error (RFC 8914), and
// secure data carries the AD bit, unless the query sets CD; with DO the
// RRSIGs and the NSEC or NSEC3 proofs come along.

// zoneInfo is one zone of the lab.
type zoneInfo struct {
	apex   string
	signed bool
	flaws  map[string]bool
}

// sigKey names one signed RRset: a name can hold an RRset of the same
// type in two zones (the NSEC at a delegation, in the parent and at the
// child's apex), each signed by its own zone.
type sigKey struct {
	zone  string
	name  string
	qtype uint16
}

// declareZone records a ";@lab signed …" or ";@lab zone" line.
func (z *Zone) declareZone(apex string, signed bool, flaws []string) {
	z.mu.Lock()
	defer z.mu.Unlock()
	info := &zoneInfo{apex: apex, signed: signed, flaws: map[string]bool{}}
	for _, f := range flaws {
		info.flaws[f] = true
	}
	z.zones[apex] = info
	z.forgetProofs()
}

// forgetProofs drops signatures and NSEC chains made before a change; the
// caller holds z.mu.
func (z *Zone) forgetProofs() {
	z.signMu.Lock()
	defer z.signMu.Unlock()
	clear(z.sigs)
	clear(z.chains)
}

// isApex reports whether name is a zone apex: the root, a TLD, a domain
// directly under test. (that exist), or a zone a file declares.
func (z *Zone) isApex(name string) bool {
	switch {
	case name == "." || z.zones[name] != nil:
		return true
	case !z.names[name]:
		return false // a name that does not exist is in its parent's zone
	}
	return dns.CountLabel(name) == 1 || dns.CountLabel(name) == 2 && strings.HasSuffix(name, ".test.")
}

// apexOf is the zone name belongs to: the deepest apex at or above it.
func (z *Zone) apexOf(name string) string {
	for n := name; ; n = parent(n) {
		if z.isApex(n) {
			return n
		}
	}
}

// zoneFor is the zone that answers qtype at name: DS records are the
// parent's (RFC 4035 §2.4).
func (z *Zone) zoneFor(name string, qtype uint16) *zoneInfo {
	if qtype == dns.TypeDS && name != "." && z.isApex(name) {
		return z.info(z.apexOf(parent(name)))
	}
	return z.info(z.apexOf(name))
}

func parent(name string) string {
	i, end := dns.NextLabel(name, 0)
	if end {
		return "."
	}
	return name[i:]
}

// info returns a zone's description; the root and test. are signed.
func (z *Zone) info(apex string) *zoneInfo {
	if i := z.zones[apex]; i != nil {
		return i
	}
	return &zoneInfo{apex: apex, signed: apex == "." || apex == "test.", flaws: map[string]bool{}}
}

// keyOf returns a signed zone's key, made the first time; the caller holds
// z.signMu.
func (z *Zone) keyOf(info *zoneInfo) (*dns.DNSKEY, crypto.Signer) {
	if k := z.keys[info.apex]; k != nil {
		return k.key, k.priv
	}
	k := &dns.DNSKEY{Hdr: dns.RR_Header{Name: info.apex, Rrtype: dns.TypeDNSKEY, Class: dns.ClassINET, Ttl: 300},
		Flags: dns.ZONE | dns.SEP, Protocol: 3, Algorithm: dns.ECDSAP256SHA256}
	bits := 256
	if info.flaws["rsasha1"] {
		k.Algorithm, bits = dns.RSASHA1, 1024
		if info.flaws["nsec3"] {
			k.Algorithm = dns.RSASHA1NSEC3SHA1
		}
	}
	priv, err := k.Generate(bits)
	if err != nil {
		panic("lab: generating a DNSSEC key: " + err.Error())
	}
	z.keys[info.apex] = &zoneKey{k, priv.(crypto.Signer)}
	return k, priv.(crypto.Signer)
}

type zoneKey struct {
	key  *dns.DNSKEY
	priv crypto.Signer
}

// TrustAnchors returns the lab root's DS record: what a validator given
// --trust-anchor trusts instead of IANA's root.
func (z *Zone) TrustAnchors() []dns.RR {
	z.signMu.Lock()
	defer z.signMu.Unlock()
	k, _ := z.keyOf(z.info("."))
	return []dns.RR{k.ToDS(dns.SHA256)}
}

// synthesized returns the records a zone has at its apex or delegations
// that no file writes: SOA, NS, DNSKEY, NSEC3PARAM and the children's DS.
// The caller holds z.mu.
func (z *Zone) synthesized(name string, qtype uint16) []dns.RR {
	if !z.isApex(name) {
		return nil
	}
	hdr := dns.RR_Header{Name: name, Rrtype: qtype, Class: dns.ClassINET, Ttl: 300}
	info := z.info(name)
	switch qtype {
	case dns.TypeSOA:
		return []dns.RR{&dns.SOA{Hdr: hdr, Ns: "ns.lab.", Mbox: "hostmaster.lab.", Serial: 1, Refresh: 3600, Retry: 600, Expire: 86400, Minttl: 300}}
	case dns.TypeNS:
		return []dns.RR{&dns.NS{Hdr: hdr, Ns: "ns.lab."}}
	case dns.TypeDNSKEY:
		if !info.signed || info.flaws["no-dnskey"] {
			return nil
		}
		z.signMu.Lock()
		defer z.signMu.Unlock()
		k, _ := z.keyOf(info)
		return []dns.RR{k}
	case dns.TypeNSEC3PARAM:
		if !info.signed || !info.flaws["nsec3"] {
			return nil
		}
		return []dns.RR{&dns.NSEC3PARAM{Hdr: hdr, Hash: dns.SHA1}}
	case dns.TypeDS:
		if name == "." || !info.signed {
			return nil
		}
		z.signMu.Lock()
		defer z.signMu.Unlock()
		k, _ := z.keyOf(info)
		ds := k.ToDS(dns.SHA256)
		ds.Hdr.Ttl = 300
		if info.flaws["ds-mismatch"] {
			ds.Digest = strings.Repeat("0", len(ds.Digest)-4) + ds.Digest[len(ds.Digest)-4:]
		}
		return []dns.RR{ds}
	}
	return nil
}

// rrsigs returns the signatures of an RRset that zone info holds; the
// caller holds z.mu (read).
func (z *Zone) rrsigs(info *zoneInfo, set []dns.RR) []dns.RR {
	if !info.signed || len(set) == 0 {
		return nil
	}
	h := set[0].Header()
	k := sigKey{info.apex, canonical(h.Name), h.Rrtype}
	z.signMu.Lock()
	defer z.signMu.Unlock()
	if s, ok := z.sigs[k]; ok {
		return s
	}
	key, priv := z.keyOf(info)
	now := z.clock()
	inception, expiration := now.Add(-time.Hour), now.Add(14*24*time.Hour)
	switch {
	case info.flaws["expired"]:
		inception, expiration = now.Add(-30*24*time.Hour), now.Add(-2*24*time.Hour)
	case info.flaws["expiring"]:
		inception, expiration = now.Add(-25*24*time.Hour), now.Add(2*24*time.Hour)
	}
	sig := &dns.RRSIG{Hdr: dns.RR_Header{Ttl: h.Ttl}, Algorithm: key.Algorithm, KeyTag: key.KeyTag(), SignerName: info.apex,
		Inception: uint32(inception.Unix()), Expiration: uint32(expiration.Unix())}
	if err := sig.Sign(priv, set); err != nil {
		panic("lab: signing " + h.Name + ": " + err.Error())
	}
	if z.bogus[behaveKey{k.name, k.qtype}] {
		raw, _ := base64.StdEncoding.DecodeString(sig.Signature) // miekg/dns wrote it
		raw[len(raw)/2] ^= 1                                     // one bit: no longer the signature
		sig.Signature = base64.StdEncoding.EncodeToString(raw)
	}
	z.sigs[k] = []dns.RR{sig}
	return z.sigs[k]
}

func (z *Zone) clock() time.Time {
	if z.Now != nil {
		return z.Now()
	}
	return time.Now()
}

// belongs reports whether name is in zone apex's own data: its names and
// its delegation points, not the names below them. The caller holds z.mu.
func (z *Zone) belongs(name, apex string) bool {
	if !dns.IsSubDomain(apex, name) {
		return false
	}
	if name == apex {
		return true
	}
	if z.isApex(name) {
		return z.apexOf(parent(name)) == apex // a delegation point
	}
	return z.apexOf(name) == apex
}

// typesAt lists the types name has in zone apex, for NSEC and NSEC3 type
// bitmaps (RFC 4034 §4.1.2). The caller holds z.mu.
func (z *Zone) typesAt(name string, info *zoneInfo, nsec bool) []uint16 {
	var types []uint16
	add := func(t uint16) {
		if !slices.Contains(types, t) {
			types = append(types, t)
		}
	}
	delegation := name != info.apex && z.isApex(name)
	if delegation {
		add(dns.TypeNS)
		if len(z.synthesized(name, dns.TypeDS)) > 0 {
			add(dns.TypeDS)
			add(dns.TypeRRSIG)
		}
	} else {
		for _, rr := range z.rrs[name] {
			add(rr.Header().Rrtype)
		}
		for _, t := range []uint16{dns.TypeSOA, dns.TypeNS, dns.TypeDNSKEY, dns.TypeNSEC3PARAM} {
			if name == info.apex && len(z.synthesized(name, t)) > 0 {
				add(t)
			}
		}
		if len(types) > 0 {
			add(dns.TypeRRSIG)
		}
	}
	if nsec {
		add(dns.TypeNSEC)
		add(dns.TypeRRSIG)
	}
	slices.Sort(types)
	return types
}

// chain is a zone's NSEC or NSEC3 chain, sorted as it links.
type chain struct {
	names  []string // NSEC: owner names in canonical order
	hashes []string // NSEC3: hashes in order
	byHash map[string]string
}

// chainOf builds a signed zone's chain once (until the data changes). The
// caller holds z.mu.
func (z *Zone) chainOf(info *zoneInfo) *chain {
	z.signMu.Lock()
	c := z.chains[info.apex]
	z.signMu.Unlock()
	if c != nil {
		return c
	}
	c = &chain{byHash: map[string]string{}}
	nsec3, optOut := info.flaws["nsec3"], info.flaws["optout"]
	for name := range z.names {
		if !z.belongs(name, info.apex) {
			continue
		}
		delegation := name != info.apex && z.isApex(name)
		if !nsec3 {
			if len(z.rrs[name]) > 0 || name == info.apex || delegation {
				c.names = append(c.names, name)
			}
			continue
		}
		if optOut && delegation && !z.info(name).signed {
			continue // RFC 5155 §6: opt-out leaves unsigned delegations out
		}
		h := dns.HashName(name, dns.SHA1, 0, "")
		c.hashes = append(c.hashes, h)
		c.byHash[h] = name
	}
	if !slices.Contains(c.names, info.apex) && !nsec3 {
		c.names = append(c.names, info.apex)
	}
	if nsec3 && c.byHash[dns.HashName(info.apex, dns.SHA1, 0, "")] == "" {
		h := dns.HashName(info.apex, dns.SHA1, 0, "")
		c.hashes = append(c.hashes, h)
		c.byHash[h] = info.apex
	}
	slices.SortFunc(c.names, validate.CompareNames)
	slices.Sort(c.hashes)
	z.signMu.Lock()
	z.chains[info.apex] = c
	z.signMu.Unlock()
	return c
}

// proof returns the NSEC or NSEC3 records, with their signatures, that
// prove qname has no qtype records in zone info, or does not exist
// (RFC 4035 §3.1.3, RFC 5155 §7.2). The caller holds z.mu (read).
func (z *Zone) proof(info *zoneInfo, qname string, qtype uint16, exists bool) []dns.RR {
	c := z.chainOf(info)
	var out []dns.RR
	seen := map[string]bool{}
	add := func(rr dns.RR) {
		if rr == nil || seen[rr.Header().Name] {
			return
		}
		seen[rr.Header().Name] = true
		out = append(out, rr)
		out = append(out, z.rrsigs(info, []dns.RR{rr})...)
	}
	if !info.flaws["nsec3"] {
		add(z.nsecCovering(info, c, qname))
		if !exists {
			add(z.nsecCovering(info, c, "*."+z.closestEncloser(info, qname)))
		}
		return out
	}
	h := dns.HashName(qname, dns.SHA1, 0, "")
	if c.byHash[h] != "" {
		return append(out, z.withSigs(info, z.nsec3(info, c, h))...)
	}
	ce := z.closestEncloser(info, qname)
	add(z.nsec3(info, c, dns.HashName(ce, dns.SHA1, 0, "")))
	labels := dns.SplitDomainName(qname)
	nextCloser := dns.Fqdn(strings.Join(labels[len(labels)-dns.CountLabel(ce)-1:], "."))
	add(z.nsec3(info, c, z.coveringHash(c, dns.HashName(nextCloser, dns.SHA1, 0, ""))))
	if !exists {
		add(z.nsec3(info, c, z.coveringHash(c, dns.HashName("*."+strings.TrimPrefix(ce, "."), dns.SHA1, 0, ""))))
	}
	return out
}

func (z *Zone) withSigs(info *zoneInfo, rr dns.RR) []dns.RR {
	return append([]dns.RR{rr}, z.rrsigs(info, []dns.RR{rr})...)
}

// closestEncloser is the longest ancestor of qname that exists in the zone.
func (z *Zone) closestEncloser(info *zoneInfo, qname string) string {
	for n := parent(qname); ; n = parent(n) {
		if n == info.apex || z.names[n] && z.belongs(n, info.apex) {
			return n
		}
	}
}

// nsecCovering returns the NSEC record owned by name or, when name has
// none, the one whose span covers it.
func (z *Zone) nsecCovering(info *zoneInfo, c *chain, name string) dns.RR {
	i, found := slices.BinarySearchFunc(c.names, name, validate.CompareNames)
	if !found {
		i-- // the name before it; 0 is the apex, first in order
	}
	if i < 0 {
		i = len(c.names) - 1
	}
	owner, next := c.names[i], c.names[(i+1)%len(c.names)]
	return &dns.NSEC{Hdr: dns.RR_Header{Name: owner, Rrtype: dns.TypeNSEC, Class: dns.ClassINET, Ttl: 300},
		NextDomain: next, TypeBitMap: z.typesAt(owner, info, true)}
}

// coveringHash returns the chain's hash at or before h, wrapping round.
func (z *Zone) coveringHash(c *chain, h string) string {
	i, found := slices.BinarySearch(c.hashes, h)
	if found {
		return h
	}
	if i == 0 {
		return c.hashes[len(c.hashes)-1]
	}
	return c.hashes[i-1]
}

// nsec3 returns the NSEC3 record of a hash in the chain.
func (z *Zone) nsec3(info *zoneInfo, c *chain, h string) dns.RR {
	i, found := slices.BinarySearch(c.hashes, h)
	if !found {
		return nil
	}
	var flags uint8
	if info.flaws["optout"] {
		flags = 1
	}
	return &dns.NSEC3{Hdr: dns.RR_Header{Name: strings.ToLower(h) + "." + info.apex, Rrtype: dns.TypeNSEC3, Class: dns.ClassINET, Ttl: 300},
		Hash: dns.SHA1, Flags: flags, NextDomain: c.hashes[(i+1)%len(c.hashes)], HashLength: 20,
		TypeBitMap: z.typesAt(c.byHash[h], info, false)}
}

// validation is what a validating resolver concludes of an answer from
// the zones on its path, and the Extended DNS Error it would give when the
// answer is bogus (RFC 8914 §4).
func (z *Zone) validation(owner string, qtype uint16) (authentic bool, ede uint16, bogus bool) {
	target := z.zoneFor(owner, qtype).apex
	var path []string
	for n := target; ; n = parent(n) {
		path = append([]string{n}, path...)
		if n == "." {
			break
		}
	}
	for i, apex := range path {
		info := z.info(apex)
		if !info.signed {
			return false, 0, false
		}
		last := i == len(path)-1
		switch {
		case info.flaws["expired"]:
			return false, dns.ExtendedErrorCodeSignatureExpired, true
		case info.flaws["no-dnskey"]:
			return false, dns.ExtendedErrorCodeDNSKEYMissing, true
		case info.flaws["ds-mismatch"]:
			return false, dns.ExtendedErrorCodeDNSBogus, true
		case last && z.bogus[behaveKey{owner, qtype}]:
			return false, dns.ExtendedErrorCodeDNSBogus, true
		}
	}
	return true, 0, false
}

// WriteTrustAnchor writes the lab root's DS record to path, in the form
// --trust-anchor reads.
func (l *Lab) WriteTrustAnchor(path string) error {
	var b strings.Builder
	b.WriteString("; the smtptool lab's root key: trust it only to validate the lab\n")
	for _, rr := range l.DNS.Zone.TrustAnchors() {
		b.WriteString(rr.String() + "\n")
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
