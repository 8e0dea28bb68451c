package validate

import (
	"context"
	"fmt"
	"slices"
	"strings"

	mdns "github.com/miekg/dns"
	"github.com/smtptool/smtptool/dns"
)

// denied is what a proof of absence established.
type denied struct {
	verdict verdict
	// unsigned: the response has no NSEC or NSEC3 record at all; whether
	// that is bogus depends on whether the zone is signed.
	unsigned bool
	// nx: the name does not exist.
	nx bool
	// delegation: the name is a delegation without DS (a DS question
	// answered by the parent's NSEC or NSEC3 with NS and without SOA).
	delegation bool
	// optOut: the name is covered by an NSEC3 opt-out span, where
	// unsigned delegations need not be listed (RFC 5155 §6); nextCloser
	// is the name whose span it is.
	optOut     bool
	nextCloser string
}

// denial checks a response's proof that qname has no qtype records, or
// does not exist (RFC 4035 §5.4, RFC 5155 §8). Every NSEC and NSEC3
// record it uses must itself validate.
func (v *Validator) denial(ctx context.Context, msg *mdns.Msg, qname string, qtype uint16) denied {
	var nsecs []*mdns.NSEC
	var nsec3s []*mdns.NSEC3
	vd := secure
	proofs := 0
	for _, rr := range msg.Ns {
		if t := rr.Header().Rrtype; t == mdns.TypeNSEC || t == mdns.TypeNSEC3 {
			proofs++
		}
	}
	if proofs > maxProofRecords {
		// A proof needs at most three (RFC 5155 §7.2.2): a hostile answer
		// must not make each one cost a signature check and a hash.
		return denied{verdict: bogus(ProblemDenial, mdns.CanonicalName(qname), 0, "the answer carries %d NSEC/NSEC3 records, more than any proof of absence needs (%d)", proofs, maxProofRecords)}
	}
	for _, rr := range msg.Ns {
		switch t := rr.(type) {
		case *mdns.NSEC:
			nsecs = append(nsecs, t)
		case *mdns.NSEC3:
			nsec3s = append(nsec3s, t)
		default:
			continue
		}
		h := rr.Header()
		ss := sigs(msg.Ns, h.Name, h.Rrtype)
		if len(ss) == 0 {
			// An unsigned record proves nothing: the proof is unsigned, and
			// whether that is bogus is the caller's to tell (it knows the
			// zone), not a walk of its own from here.
			return denied{unsigned: true}
		}
		vd = worse(vd, v.rrset(ctx, []mdns.RR{rr}, ss, msg))
	}
	switch {
	case len(nsecs) == 0 && len(nsec3s) == 0:
		return denied{unsigned: true}
	case vd.status != Secure:
		return denied{verdict: vd}
	}
	// The zone of the proof is its signer; rrset checked that it holds the names.
	zone := mdns.CanonicalName(qname)
	for _, rr := range msg.Ns {
		if s, ok := rr.(*mdns.RRSIG); ok && (s.TypeCovered == mdns.TypeNSEC || s.TypeCovered == mdns.TypeNSEC3) {
			zone = mdns.CanonicalName(s.SignerName)
			break
		}
	}
	if len(nsecs) > 0 {
		return withChain(nsecDenial(nsecs, zone, qname, qtype), vd)
	}
	return withChain(nsec3Denial(nsec3s, zone, qname, qtype), vd)
}

func withChain(d denied, chain verdict) denied {
	if d.verdict.status == Secure {
		d.verdict = worse(chain, d.verdict)
	}
	return d
}

// nsecDenial reads NSEC records (RFC 4035 §5.4).
func nsecDenial(nsecs []*mdns.NSEC, zone, qname string, qtype uint16) denied {
	what := qname + " " + mdns.TypeToString[qtype]
	for _, n := range nsecs {
		if !strings.EqualFold(n.Hdr.Name, qname) {
			continue
		}
		return bitmapDenial(n.TypeBitMap, zone, qname, qtype, "NSEC")
	}
	var cover *mdns.NSEC
	for _, n := range nsecs {
		if nsecCovers(n, qname) {
			cover = n
			break
		}
	}
	if cover == nil {
		return denied{verdict: bogus(ProblemDenial, zone, 0, "no NSEC record proves that %s does not exist (RFC 4035 §5.4)", what)}
	}
	// An empty non-terminal: the next name is below qname (RFC 4035 §3.1.3.2).
	if next := mdns.CanonicalName(cover.NextDomain); next != qname && mdns.IsSubDomain(qname, next) {
		return denied{verdict: secure}
	}
	// The name does not exist; neither may a wildcard at its closest
	// encloser, or it would have been expanded (RFC 4035 §5.4).
	ce := closestEncloser(qname, mdns.CanonicalName(cover.Hdr.Name), mdns.CanonicalName(cover.NextDomain))
	wildcard := wildcardAt(ce)
	for _, n := range nsecs {
		if strings.EqualFold(n.Hdr.Name, wildcard) {
			return bitmapDenial(n.TypeBitMap, zone, qname, qtype, "NSEC") // a wildcard without the type
		}
		if nsecCovers(n, wildcard) {
			return denied{verdict: secure, nx: true}
		}
	}
	return denied{verdict: bogus(ProblemDenial, zone, 0, "no NSEC record proves that there is no wildcard %s for %s (RFC 4035 §5.4)", wildcard, what)}
}

// wildcardAt is the wildcard name directly below a closest encloser
// (RFC 4592 §2.1.1): "*.example." below "example.", "*." below the root.
func wildcardAt(ce string) string {
	if ce == "." {
		return "*."
	}
	return "*." + ce
}

// bitmapDenial reads the type bitmap of the NSEC or NSEC3 record that
// matches qname: the type must be absent, and no CNAME either
// (RFC 4035 §5.4, RFC 5155 §8.5). For DS, NS without SOA is an unsigned
// delegation; with SOA the record is the child's, which cannot deny the
// parent's DS (RFC 5155 §8.6, RFC 6840 §4.4).
func bitmapDenial(types []uint16, zone, qname string, qtype uint16, kind string) denied {
	what := qname + " " + mdns.TypeToString[qtype]
	if slices.Contains(types, qtype) || qtype != mdns.TypeCNAME && slices.Contains(types, mdns.TypeCNAME) {
		return denied{verdict: bogus(ProblemDenial, zone, 0, "the %s record of %s lists the type, so the answer that there is none is false (RFC 4035 §5.4)", kind, what)}
	}
	if qtype != mdns.TypeDS && slices.Contains(types, mdns.TypeNS) && !slices.Contains(types, mdns.TypeSOA) {
		// RFC 6840 §4.1: the parent's record at a delegation (NS without
		// SOA) says nothing of the child's data; offered as proof that the
		// child has no such records, it is a forgery.
		return denied{verdict: bogus(ProblemDenial, zone, 0, "the %s record offered for %s is the parent's, at the delegation, and cannot deny the child's records (RFC 6840 §4.1)", kind, what)}
	}
	if qtype == mdns.TypeDS {
		if slices.Contains(types, mdns.TypeSOA) && qname != "." {
			return denied{verdict: bogus(ProblemDenial, qname, 0, "the proof that %s has no DS record comes from the child zone itself, which cannot deny it (RFC 6840 §4.4)", qname)}
		}
		return denied{verdict: secure, delegation: slices.Contains(types, mdns.TypeNS)}
	}
	return denied{verdict: secure}
}

// nsecCovers reports whether name falls between an NSEC record's owner and
// its next name in canonical order (RFC 4034 §6.1); the last NSEC of a
// zone points back to the apex.
func nsecCovers(n *mdns.NSEC, name string) bool {
	owner, next := mdns.CanonicalName(n.Hdr.Name), mdns.CanonicalName(n.NextDomain)
	if CompareNames(owner, name) >= 0 {
		return false
	}
	if CompareNames(next, owner) <= 0 { // the last record, wrapping to the apex
		return mdns.IsSubDomain(next, name)
	}
	return CompareNames(name, next) < 0
}

// closestEncloser is the longest ancestor of qname that the covering
// NSEC's owner or next name proves to exist.
func closestEncloser(qname, owner, next string) string {
	ce := "."
	for _, n := range []string{owner, next} {
		common := mdns.CompareDomainName(qname, n)
		if labels := mdns.SplitDomainName(qname); common > 0 {
			if c := mdns.CanonicalName(strings.Join(labels[len(labels)-common:], ".")); mdns.CountLabel(c) > mdns.CountLabel(ce) {
				ce = c
			}
		}
	}
	return ce
}

// maxProofRecords is the most NSEC or NSEC3 records a response may offer
// as proof.
const maxProofRecords = 8

// maxNSEC3Iterations is the most NSEC3 iterations a proof may use.
const maxNSEC3Iterations = 150

// nsec3Denial reads NSEC3 records (RFC 5155 §8).
func nsec3Denial(all []*mdns.NSEC3, zone, qname string, qtype uint16) denied {
	what := qname + " " + mdns.TypeToString[qtype]
	var n3s []*mdns.NSEC3
	for _, n := range all {
		// RFC 5155 §8.1: ignore unknown hash algorithms; a zone's NSEC3
		// records share their parameters (§7.3), so others are not its.
		if n.Hash == mdns.SHA1 && (len(n3s) == 0 || n.Iterations == n3s[0].Iterations && strings.EqualFold(n.Salt, n3s[0].Salt)) {
			n3s = append(n3s, n)
		}
	}
	if len(n3s) == 0 {
		return denied{verdict: verdict{status: Insecure, zone: zone, reason: fmt.Sprintf("the NSEC3 records of %s use a hash validators do not know (RFC 5155 §8.1)", zone)}}
	}
	// RFC 9276 §3.2: validators treat NSEC3 with more iterations than
	// they allow as insecure (each hash costs its iterations, and an
	// attacker chooses them); 150 is what Unbound and BIND allow.
	if it := n3s[0].Iterations; it > maxNSEC3Iterations {
		return denied{verdict: verdict{status: Insecure, zone: zone,
			reason: fmt.Sprintf("the NSEC3 records of %s use %d hash iterations, more than validators accept (%d): its proofs of absence count as insecure (RFC 9276 §3.2)", zone, it, maxNSEC3Iterations)}}
	}
	for _, n := range n3s {
		if n.Match(qname) {
			return bitmapDenial(n.TypeBitMap, zone, qname, qtype, "NSEC3")
		}
	}
	// The closest provable encloser, and the next closer name covered
	// (RFC 5155 §8.3).
	labels := mdns.SplitDomainName(qname)
	for i := 1; i <= len(labels); i++ {
		ce := "."
		if i < len(labels) {
			ce = mdns.CanonicalName(strings.Join(labels[i:], "."))
		}
		if !slices.ContainsFunc(n3s, func(n *mdns.NSEC3) bool { return n.Match(ce) }) {
			continue
		}
		nextCloser := mdns.CanonicalName(strings.Join(labels[i-1:], "."))
		idx := slices.IndexFunc(n3s, func(n *mdns.NSEC3) bool { return n.Cover(nextCloser) })
		if idx < 0 {
			return denied{verdict: bogus(ProblemDenial, zone, 0, "the NSEC3 records prove %s exists but not that %s does not (RFC 5155 §8.3)", ce, nextCloser)}
		}
		if n3s[idx].Flags&1 == 1 {
			// RFC 5155 §8.6 and §9.2: an opt-out span may hide an unsigned
			// delegation, so what lies below it is insecure.
			return denied{verdict: secure, optOut: true, nextCloser: nextCloser}
		}
		wildcard := wildcardAt(ce)
		for _, n := range n3s {
			if n.Match(wildcard) {
				return bitmapDenial(n.TypeBitMap, zone, qname, qtype, "NSEC3")
			}
		}
		if slices.ContainsFunc(n3s, func(n *mdns.NSEC3) bool { return n.Cover(wildcard) }) {
			return denied{verdict: secure, nx: true}
		}
		return denied{verdict: bogus(ProblemDenial, zone, 0, "no NSEC3 record proves that there is no wildcard %s for %s (RFC 5155 §8.4)", wildcard, what)}
	}
	return denied{verdict: bogus(ProblemDenial, zone, 0, "no NSEC3 record proves that %s does not exist: no closest encloser (RFC 5155 §8.3)", what)}
}

// wildcardProven checks that a response expanded from a wildcard proves
// that no closer name exists (RFC 4035 §5.3.4, RFC 5155 §8.8): an NSEC
// covering owner, or an NSEC3 covering the next closer name.
func (v *Validator) wildcardProven(ctx context.Context, msg *mdns.Msg, owner string, labels int) bool {
	all := mdns.SplitDomainName(owner)
	nextCloser := mdns.CanonicalName(strings.Join(all[len(all)-labels-1:], "."))
	for _, rr := range msg.Ns {
		h := rr.Header()
		ok := false
		switch t := rr.(type) {
		case *mdns.NSEC:
			ok = nsecCovers(t, owner)
		case *mdns.NSEC3:
			ok = t.Iterations <= maxNSEC3Iterations && t.Cover(nextCloser)
		}
		if ok && v.rrset(ctx, []mdns.RR{rr}, sigs(msg.Ns, h.Name, h.Rrtype), msg).status == Secure {
			return true
		}
	}
	return false
}

// CompareNames orders names canonically (RFC 4034 §6.1): by their labels
// from the root down, each compared as octets (escapes undone, by
// dns.Unescape) with ASCII letters lower-cased.
func CompareNames(a, b string) int {
	la, lb := mdns.SplitDomainName(a), mdns.SplitDomainName(b)
	for i, j := len(la)-1, len(lb)-1; i >= 0 || j >= 0; i, j = i-1, j-1 {
		switch {
		case i < 0:
			return -1
		case j < 0:
			return 1
		}
		if c := strings.Compare(labelOctets(la[i]), labelOctets(lb[j])); c != 0 {
			return c
		}
	}
	return 0
}

// labelOctets is a label in presentation form as the octets RFC 4034 §6.1
// compares: escapes undone, ASCII upper case made lower.
func labelOctets(l string) string {
	b := []byte(dns.Unescape(l))
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
