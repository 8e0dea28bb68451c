package spf

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	mdns "github.com/miekg/dns"
	"github.com/smtptool/smtptool/dns"
)

// Result is what check_host() returns (RFC 7208 §2.6).
type Result string

// Results, in the RFC's words.
const (
	ResultNone      Result = "none"
	ResultNeutral   Result = "neutral"
	ResultPass      Result = "pass"
	ResultFail      Result = "fail"
	ResultSoftFail  Result = "softfail"
	ResultTempError Result = "temperror"
	ResultPermError Result = "permerror"
)

// Limits of RFC 7208 §4.6.4.
const (
	MaxLookups     = 10 // DNS-querying terms: include a mx ptr exists redirect
	MaxVoidLookups = 2  // lookups that find nothing
	MaxNames       = 10 // MX names per mx, PTR names per ptr
)

// Params are check_host()'s inputs (RFC 7208 §4.1).
type Params struct {
	IP     netip.Addr
	Sender string // MAIL FROM; empty for the null sender
	Helo   string // the HELO/EHLO name
	// Domain to check; empty means the sender's domain, or the HELO name
	// when the sender is empty (RFC 7208 §2.3, §2.4).
	Domain string
	// Receiver is the receiving host's name for %{r} (default "unknown").
	Receiver string
	Now      func() time.Time
}

// Evaluation is check_host()'s answer with how it was reached.
type Evaluation struct {
	Result      Result `json:"result"`
	Domain      string `json:"domain"`
	Explanation string `json:"explanation,omitempty"`
	// Reason says what decided the result: the matching term, or the error.
	Reason      string `json:"reason"`
	Lookups     int    `json:"lookups"`
	VoidLookups int    `json:"void_lookups"`
}

// abort ends an evaluation with temperror or permerror.
type abort struct {
	result Result
	reason string
}

func (a *abort) Error() string { return string(a.result) + ": " + a.reason }

func permerror(format string, args ...any) error {
	return &abort{ResultPermError, fmt.Sprintf(format, args...)}
}

func temperror(err error) error { return &abort{ResultTempError, err.Error()} }

type evaluator struct {
	ctx     context.Context
	r       dns.Resolver
	p       Params
	ip      netip.Addr
	local   string // the sender's local-part ("postmaster" when none)
	domain  string // the sender's domain, for %{o}
	lookups int
	voids   int
	// prefetched counts the names asked ahead of the evaluation (prefetch).
	prefetched atomic.Int32
	seen       sync.Map // names asked ahead, so each is asked once
}

// CheckHost evaluates the SPF record of the domain for the IP address
// (RFC 7208 §4).
func CheckHost(ctx context.Context, r dns.Resolver, p Params) *Evaluation {
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.Receiver == "" {
		p.Receiver = "unknown"
	}
	e := &evaluator{ctx: ctx, r: r, p: p, ip: p.IP.Unmap()}
	// RFC 7208 §4.3: no local-part means "postmaster"; with no sender, the
	// HELO identity is checked as postmaster@helo (§2.3).
	sender := p.Sender
	if sender == "" {
		sender = "postmaster@" + p.Helo
	}
	at := strings.LastIndexByte(sender, '@')
	if at < 0 {
		e.local, e.domain = "postmaster", sender
	} else {
		e.local, e.domain = sender[:at], sender[at+1:]
	}
	if e.local == "" {
		e.local = "postmaster"
	}
	domain := p.Domain
	if domain == "" {
		domain = e.domain
	}
	ev := &Evaluation{Domain: domain}
	res, expl, reason, err := e.checkHost(domain, true)
	var a *abort
	if errors.As(err, &a) {
		res, reason = a.result, a.reason
	}
	ev.Result, ev.Explanation, ev.Reason = res, expl, reason
	ev.Lookups, ev.VoidLookups = e.lookups, e.voids
	return ev
}

// validDomain applies RFC 7208 §4.3: a multi-label name whose labels are
// 1 to 63 octets, not an address literal.
func validDomain(d string) bool {
	d = strings.TrimSuffix(d, ".")
	if d == "" || len(d) > 253 || strings.HasPrefix(d, "[") || !strings.Contains(d, ".") {
		return false
	}
	for _, l := range strings.Split(d, ".") {
		if l == "" || len(l) > 63 {
			return false
		}
	}
	return true
}

// lookupRecord finds the one SPF record of a domain (RFC 7208 §4.4, §4.5).
// It returns nil with no error when there is none.
func (e *evaluator) lookupRecord(domain string) (*Record, error) {
	ans, err := e.r.Lookup(e.ctx, domain, mdns.TypeTXT)
	if err != nil {
		if errors.Is(err, dns.ErrBadName) {
			return nil, nil
		}
		return nil, temperror(err)
	}
	found := dns.TXTMatching(ans, IsSPF)
	switch len(found) {
	case 0:
		return nil, nil
	case 1:
		rec, err := Parse(found[0])
		if err != nil {
			return nil, permerror("%v", err)
		}
		return rec, nil
	}
	return nil, permerror("%s has %d SPF records; exactly one is allowed (RFC 7208 §4.5)", domain, len(found))
}

// checkHost is check_host() for one domain. top marks the outermost call,
// whose exp= applies.
func (e *evaluator) checkHost(domain string, top bool) (res Result, expl, reason string, err error) {
	if !validDomain(domain) {
		return ResultNone, "", fmt.Sprintf("%q is not a valid domain (RFC 7208 §4.3)", domain), nil
	}
	rec, err := e.lookupRecord(domain)
	if err != nil {
		return "", "", "", err
	}
	if rec == nil {
		return ResultNone, "", domain + " has no SPF record", nil
	}
	e.prefetch(rec, domain)
	for _, m := range rec.Mechanisms() {
		ok, err := e.match(m, domain)
		if err != nil {
			return "", "", "", err
		}
		if !ok {
			continue
		}
		res = qualifierResult(m.Qualifier)
		if res == ResultFail && top {
			expl = e.explanation(rec, domain)
		}
		return res, expl, "matched " + m.Raw + " in " + domain, nil
	}
	if rec.Redirect != "" {
		// RFC 7208 §6.1: only when no mechanism matched.
		if err := e.count(); err != nil {
			return "", "", "", err
		}
		target, err := e.expandDomain(rec.Redirect, domain)
		if err != nil {
			return "", "", "", err
		}
		res, expl, reason, err := e.checkHost(target, top)
		if err == nil && res == ResultNone {
			return "", "", "", permerror("redirect=%s: %s", target, reason)
		}
		return res, expl, reason, err
	}
	return ResultNeutral, "", "no mechanism matched in " + domain + " (default neutral)", nil
}

// prefetch asks, beside the evaluation, for what the record's terms will
// look up, and on for the records of its includes and redirect as they
// arrive: the resolver caches and de-duplicates, so the evaluation, which
// still goes term by term and counts lookups exactly as RFC 7208 §4.6.4
// says, finds them answered, and a tree of includes costs about its depth
// in round trips instead of its size. Only domain-specs without macros
// are asked, and no more names than the lookup limit allows in all.
func (e *evaluator) prefetch(rec *Record, domain string) {
	ask := func(spec string, qtype uint16, follow bool) {
		target := domain
		if spec != "" {
			target = spec
		}
		if strings.Contains(target, "%") || !validDomain(target) {
			return
		}
		if _, dup := e.seen.LoadOrStore(mdns.CanonicalName(target)+mdns.TypeToString[qtype], true); dup || e.prefetched.Add(1) > MaxLookups {
			return
		}
		go func() {
			ans, err := e.r.Lookup(e.ctx, target, qtype)
			if err != nil || !follow {
				return
			}
			if found := dns.TXTMatching(ans, IsSPF); len(found) == 1 {
				if child, err := Parse(found[0]); err == nil {
					e.prefetch(child, target)
				}
			}
		}()
	}
	for _, m := range rec.Mechanisms() {
		switch m.Name {
		case "include":
			ask(m.Domain, mdns.TypeTXT, true)
		case "a":
			ask(m.Domain, e.addrType(), false)
		case "mx":
			ask(m.Domain, mdns.TypeMX, false)
		}
	}
	if rec.Redirect != "" {
		ask(rec.Redirect, mdns.TypeTXT, true)
	}
}

func qualifierResult(q Qualifier) Result {
	return map[Qualifier]Result{Pass: ResultPass, Fail: ResultFail, SoftFail: ResultSoftFail, Neutral: ResultNeutral}[q]
}

// count charges one DNS-querying term (RFC 7208 §4.6.4).
func (e *evaluator) count() error {
	e.lookups++
	if e.lookups > MaxLookups {
		return permerror("more than %d DNS-querying terms (RFC 7208 §4.6.4)", MaxLookups)
	}
	return nil
}

// void charges a lookup that found nothing (RFC 7208 §4.6.4).
func (e *evaluator) void(a *dns.Answer) error {
	if !a.Empty() {
		return nil
	}
	e.voids++
	if e.voids > MaxVoidLookups {
		return permerror("more than %d lookups found nothing (RFC 7208 §4.6.4)", MaxVoidLookups)
	}
	return nil
}

// lookup asks DNS; a failure is temperror, a malformed name finds nothing.
func (e *evaluator) lookup(name string, qtype uint16) (*dns.Answer, error) {
	a, err := e.r.Lookup(e.ctx, name, qtype)
	if errors.Is(err, dns.ErrBadName) {
		return &dns.Answer{Name: name, Type: qtype, Rcode: mdns.RcodeNameError}, nil
	}
	if err != nil {
		return nil, temperror(err)
	}
	return a, nil
}

func (e *evaluator) match(m *Mechanism, domain string) (bool, error) {
	switch m.Name {
	case "all":
		return true, nil
	case "ip4", "ip6":
		return m.Net.Contains(e.ip), nil
	}
	if err := e.count(); err != nil {
		return false, err
	}
	target := domain
	if m.Domain != "" {
		var err error
		if target, err = e.expandDomain(m.Domain, domain); err != nil {
			return false, err
		}
	}
	switch m.Name {
	case "include":
		// RFC 7208 §5.2: the included record's result decides a match.
		res, _, reason, err := e.checkHost(target, false)
		if err != nil {
			return false, err
		}
		switch res {
		case ResultPass:
			return true, nil
		case ResultNone:
			return false, permerror("include:%s: %s", target, reason)
		}
		return false, nil
	case "a":
		return e.matchHost(target, m)
	case "mx":
		ans, err := e.lookup(target, mdns.TypeMX)
		if err != nil {
			return false, err
		}
		if err := e.void(ans); err != nil {
			return false, err
		}
		mxs := dns.Records[*mdns.MX](ans)
		if len(mxs) > MaxNames {
			return false, permerror("mx:%s has %d MX records; at most %d may be looked up (RFC 7208 §4.6.4)", target, len(mxs), MaxNames)
		}
		for _, mx := range mxs {
			if ok, err := e.matchAddrs(mx.Mx, m); err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	case "ptr":
		names, err := e.validatedNames(target)
		if err != nil {
			return false, err
		}
		return len(names) > 0, nil
	case "exists":
		// RFC 7208 §5.7: always an A query, whatever the IP's family.
		ans, err := e.lookup(target, mdns.TypeA)
		if err != nil {
			return false, err
		}
		if err := e.void(ans); err != nil {
			return false, err
		}
		return !ans.Empty(), nil
	}
	return false, permerror("unknown mechanism %q", m.Name)
}

// matchHost is the a mechanism: the target's addresses of the IP's family,
// counted as a void lookup when there are none.
func (e *evaluator) matchHost(target string, m *Mechanism) (bool, error) {
	ans, err := e.lookup(target, e.addrType())
	if err != nil {
		return false, err
	}
	if err := e.void(ans); err != nil {
		return false, err
	}
	return e.contains(ans, m), nil
}

// matchAddrs looks up one MX name's addresses (not a void lookup).
func (e *evaluator) matchAddrs(name string, m *Mechanism) (bool, error) {
	ans, err := e.lookup(name, e.addrType())
	if err != nil {
		return false, err
	}
	return e.contains(ans, m), nil
}

func (e *evaluator) addrType() uint16 {
	if e.ip.Is4() {
		return mdns.TypeA
	}
	return mdns.TypeAAAA
}

// contains applies the a/mx CIDR lengths (RFC 7208 §5.6).
func (e *evaluator) contains(ans *dns.Answer, m *Mechanism) bool {
	bits := e.ip.BitLen()
	if e.ip.Is4() && m.CIDR4 >= 0 {
		bits = m.CIDR4
	} else if e.ip.Is6() && m.CIDR6 >= 0 {
		bits = m.CIDR6
	}
	for _, ip := range dns.Addresses(ans) {
		if p, err := ip.Prefix(bits); err == nil && p.Contains(e.ip) {
			return true
		}
	}
	return false
}

// validatedNames returns the IP's PTR names that resolve back to it and
// are target or under it (RFC 7208 §5.5); target "" accepts any.
func (e *evaluator) validatedNames(target string) ([]string, error) {
	rev, _ := mdns.ReverseAddr(e.ip.String())
	ans, err := e.lookup(rev, mdns.TypePTR)
	if err != nil {
		return nil, err
	}
	if err := e.void(ans); err != nil {
		return nil, err
	}
	var out []string
	ptrs := dns.Records[*mdns.PTR](ans)
	if len(ptrs) > MaxNames {
		ptrs = ptrs[:MaxNames] // RFC 7208 §4.6.4: ignore the rest
	}
	target = strings.ToLower(mdns.Fqdn(target))
	for _, p := range ptrs {
		name := strings.ToLower(mdns.Fqdn(p.Ptr))
		if target != "." && name != target && !strings.HasSuffix(name, "."+target) {
			continue
		}
		back, err := e.r.Lookup(e.ctx, name, e.addrType())
		if err != nil {
			continue // RFC 7208 §5.5: a failed lookup just skips the name
		}
		for _, ip := range dns.Addresses(back) {
			if ip == e.ip {
				out = append(out, strings.TrimSuffix(name, "."))
				break
			}
		}
	}
	return out, nil
}

// explanation computes the exp= text for a fail (RFC 7208 §6.2); any
// problem gives no explanation rather than an error.
func (e *evaluator) explanation(rec *Record, domain string) string {
	if rec.Exp == "" {
		return ""
	}
	target, err := e.expandDomain(rec.Exp, domain)
	if err != nil {
		return ""
	}
	ans, err := e.r.Lookup(e.ctx, target, mdns.TypeTXT)
	if err != nil {
		return ""
	}
	txts := dns.TXT(ans)
	if len(txts) != 1 {
		return ""
	}
	text, err := e.expand(txts[0], domain, true)
	if err != nil {
		return ""
	}
	return text
}

// expandDomain expands a domain-spec and shortens it to 253 octets by
// dropping labels from the left (RFC 7208 §7.3).
func (e *evaluator) expandDomain(spec, domain string) (string, error) {
	s, err := e.expand(spec, domain, false)
	if err != nil {
		return "", err
	}
	s = strings.TrimSuffix(s, ".")
	for len(s) > 253 {
		i := strings.IndexByte(s, '.')
		if i < 0 {
			break
		}
		s = s[i+1:]
	}
	return s, nil
}

// expand expands a macro-string (RFC 7208 §7). exp allows c, r and t,
// which only explanation strings may use; an explanation may contain spaces.
func (e *evaluator) expand(s, domain string, exp bool) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '%' {
			if (c < 0x21 || c > 0x7e) && !(exp && c == ' ') {
				return "", permerror("character %q is not allowed in %q", c, s)
			}
			b.WriteByte(c)
			continue
		}
		if i+1 == len(s) {
			return "", permerror("a lone %% at the end of %q", s)
		}
		i++
		switch s[i] {
		case '%':
			b.WriteByte('%')
			continue
		case '_':
			b.WriteByte(' ')
			continue
		case '-':
			b.WriteString("%20")
			continue
		case '{':
		default:
			return "", permerror("%%%c in %q is not a macro", s[i], s)
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return "", permerror("an unterminated macro in %q", s)
		}
		m, err := parseMacro(s[i+1 : i+end])
		if err != nil {
			return "", permerror("%v", err)
		}
		i += end
		v, err := e.macroValue(m.letter, domain, exp)
		if err != nil {
			return "", err
		}
		b.WriteString(m.apply(v))
	}
	return b.String(), nil
}

func (e *evaluator) macroValue(letter byte, domain string, exp bool) (string, error) {
	switch letter {
	case 's':
		return e.local + "@" + e.domain, nil
	case 'l':
		return e.local, nil
	case 'o':
		return e.domain, nil
	case 'd':
		return domain, nil
	case 'i':
		return dottedIP(e.ip), nil
	case 'p':
		// RFC 7208 §7.3: a validated name, preferring the domain itself.
		names, err := e.validatedNames("")
		if err != nil {
			var a *abort
			if errors.As(err, &a) && a.result == ResultPermError {
				return "", err
			}
			return "unknown", nil
		}
		for _, n := range names {
			if strings.EqualFold(n, domain) || strings.HasSuffix(strings.ToLower(n), "."+strings.ToLower(domain)) {
				return n, nil
			}
		}
		if len(names) > 0 {
			return names[0], nil
		}
		return "unknown", nil
	case 'v':
		if e.ip.Is4() {
			return "in-addr", nil
		}
		return "ip6", nil
	case 'h':
		return e.p.Helo, nil
	case 'c', 'r', 't':
		if !exp {
			return "", permerror("%%{%c} is allowed only in exp= explanations (RFC 7208 §7.3)", letter)
		}
		switch letter {
		case 'c':
			return e.ip.String(), nil
		case 'r':
			return e.p.Receiver, nil
		}
		return strconv.FormatInt(e.p.Now().Unix(), 10), nil
	}
	return "", permerror("unknown macro letter %c", letter)
}

// dottedIP is %{i}: IPv4 dotted, IPv6 as dot-separated nibbles (§7.3).
// Nibbles are upper case, as the openspf conformance suite expects; DNS
// names are case-insensitive, so queries are the same either way.
func dottedIP(ip netip.Addr) string {
	if ip.Is4() {
		return ip.String()
	}
	const hex = "0123456789ABCDEF"
	var parts []string
	for _, b := range ip.As16() {
		parts = append(parts, hex[b>>4:b>>4+1], hex[b&0xf:b&0xf+1])
	}
	return strings.Join(parts, ".")
}

// apply splits on the delimiters, reverses, keeps the right-hand parts,
// joins with dots, and URL-escapes for upper-case letters (RFC 7208 §7.3).
func (m macro) apply(v string) string {
	parts := strings.FieldsFunc(v, func(r rune) bool { return strings.ContainsRune(m.delims, r) })
	if len(parts) == 0 {
		parts = []string{v}
	}
	if m.reverse {
		for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
			parts[i], parts[j] = parts[j], parts[i]
		}
	}
	if m.digits > 0 && m.digits < len(parts) {
		parts = parts[len(parts)-m.digits:]
	}
	out := strings.Join(parts, ".")
	if m.upper {
		out = urlEscape(out)
	}
	return out
}

// urlEscape escapes all but RFC 3986 unreserved characters.
func urlEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isAlpha(c) || isDigit(c) || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
