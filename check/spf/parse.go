// Package spf implements the Sender Policy Framework of RFC 7208: parsing
// and linting a domain's "v=spf1" record, and check_host(), the function
// that says whether an IP address may send mail for a domain.
//
// A record is a list of terms. Mechanisms (all, include, a, mx, ptr, ip4,
// ip6, exists) are tried left to right; the first that matches gives its
// qualifier's result (+ pass, - fail, ~ softfail, ? neutral). Modifiers
// (redirect=, exp=) say where to look when nothing matches and what to tell
// a rejected sender. Domain names may carry macros (%{i}, %{d}...) expanded
// at evaluation time (§7). Ten terms that query DNS, and two lookups that
// find nothing, are the most a receiver will do (§4.6.4).
package spf

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Qualifier is a mechanism's result when it matches (RFC 7208 §4.6.2).
type Qualifier byte

// Qualifiers.
const (
	Pass     Qualifier = '+'
	Fail     Qualifier = '-'
	SoftFail Qualifier = '~'
	Neutral  Qualifier = '?'
)

// Mechanism is one directive: a qualifier and a mechanism (RFC 7208 §5).
type Mechanism struct {
	Qualifier Qualifier
	Name      string // lower case: all include a mx ptr ip4 ip6 exists
	// Domain is the domain-spec (a macro-string), "" when not given.
	Domain string
	// Net is the network of ip4/ip6.
	Net netip.Prefix
	// CIDR4 and CIDR6 are a/mx prefix lengths; -1 when not given.
	CIDR4, CIDR6 int
	Raw          string
}

// Modifier is name=value (RFC 7208 §6).
type Modifier struct {
	Name  string // lower case
	Value string // a macro-string
	Raw   string
}

// Term is a Mechanism or a Modifier.
type Term struct {
	Mechanism *Mechanism
	Modifier  *Modifier
}

// Record is a parsed SPF record.
type Record struct {
	Raw   string
	Terms []Term
	// Redirect and Exp are the domain-specs of those modifiers, "" if absent.
	Redirect, Exp string
}

// Mechanisms returns the record's mechanisms in order.
func (r *Record) Mechanisms() []*Mechanism {
	var out []*Mechanism
	for _, t := range r.Terms {
		if t.Mechanism != nil {
			out = append(out, t.Mechanism)
		}
	}
	return out
}

// SyntaxError is a record that does not parse: check_host() returns
// permerror for it, wherever the error is (RFC 7208 §4.6).
type SyntaxError struct {
	Term   string
	Reason string
}

func (e *SyntaxError) Error() string {
	if e.Term == "" {
		return "spf: " + e.Reason
	}
	return fmt.Sprintf("spf: %q: %s", e.Term, e.Reason)
}

// IsSPF reports whether a TXT record is an SPF record: "v=spf1" alone or
// followed by a space, in any case (RFC 7208 §4.5).
func IsSPF(txt string) bool {
	if len(txt) < 6 || !strings.EqualFold(txt[:6], "v=spf1") {
		return false
	}
	return len(txt) == 6 || txt[6] == ' '
}

// Parse parses a record, which must start with "v=spf1". Terms are
// separated by spaces only (RFC 7208 §4.6.1); any other character in a
// term, an unknown mechanism or a malformed one is a syntax error.
func Parse(txt string) (*Record, error) {
	if !IsSPF(txt) {
		return nil, &SyntaxError{Reason: `the record does not start with "v=spf1"`}
	}
	rec := &Record{Raw: txt}
	seen := map[string]bool{}
	for _, raw := range strings.Split(txt[6:], " ") {
		if raw == "" {
			continue
		}
		if name, value, ok := modifierParts(raw); ok {
			if err := checkMacroString(value); err != nil {
				return nil, &SyntaxError{raw, err.Error()}
			}
			switch name {
			case "redirect", "exp":
				// RFC 7208 §6: each at most once.
				if seen[name] {
					return nil, &SyntaxError{raw, "the " + name + " modifier appears more than once"}
				}
				seen[name] = true
				if err := checkDomainSpec(value); err != nil {
					return nil, &SyntaxError{raw, err.Error()}
				}
				if name == "redirect" {
					rec.Redirect = value
				} else {
					rec.Exp = value
				}
			}
			rec.Terms = append(rec.Terms, Term{Modifier: &Modifier{Name: name, Value: value, Raw: raw}})
			continue
		}
		m, err := parseMechanism(raw)
		if err != nil {
			return nil, err
		}
		rec.Terms = append(rec.Terms, Term{Mechanism: m})
	}
	return rec, nil
}

// modifierParts splits name=value when the term is a modifier:
// name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ) (RFC 7208 §12).
func modifierParts(term string) (name, value string, ok bool) {
	eq := strings.IndexByte(term, '=')
	if eq <= 0 {
		return "", "", false
	}
	name = term[:eq]
	if !isAlpha(name[0]) {
		return "", "", false
	}
	for i := 1; i < len(name); i++ {
		if c := name[i]; !isAlpha(c) && !isDigit(c) && c != '-' && c != '_' && c != '.' {
			return "", "", false
		}
	}
	return strings.ToLower(name), term[eq+1:], true
}

func parseMechanism(raw string) (*Mechanism, error) {
	m := &Mechanism{Qualifier: Pass, CIDR4: -1, CIDR6: -1, Raw: raw}
	s := raw
	switch s[0] {
	case '+', '-', '~', '?':
		m.Qualifier, s = Qualifier(s[0]), s[1:]
	}
	end := strings.IndexAny(s, ":/")
	if end < 0 {
		end = len(s)
	}
	m.Name, s = strings.ToLower(s[:end]), s[end:]
	bad := func(why string) (*Mechanism, error) { return nil, &SyntaxError{raw, why} }

	switch m.Name {
	case "all":
		if s != "" {
			return bad("all takes no argument")
		}
	case "include", "exists":
		if !strings.HasPrefix(s, ":") {
			return bad(m.Name + " needs :domain")
		}
		m.Domain = s[1:]
	case "a", "mx", "ptr":
		spec, cidr := s, ""
		if m.Name != "ptr" {
			spec, cidr = splitDualCIDR(s)
			var err error
			if m.CIDR4, m.CIDR6, err = parseDualCIDR(cidr); err != nil {
				return bad(err.Error())
			}
		}
		if spec != "" {
			if !strings.HasPrefix(spec, ":") {
				return bad("unexpected " + strconv.Quote(spec))
			}
			m.Domain = spec[1:]
			if m.Domain == "" {
				return bad(m.Name + ": needs a domain after ':'")
			}
		}
	case "ip4", "ip6":
		if !strings.HasPrefix(s, ":") {
			return bad(m.Name + " needs :address")
		}
		addr, bits, hasBits := strings.Cut(s[1:], "/")
		ip, err := netip.ParseAddr(addr)
		if err != nil || m.Name == "ip4" && !ip.Is4() || m.Name == "ip6" && !ip.Is6() || ip.Zone() != "" {
			return bad("not an " + map[string]string{"ip4": "IPv4", "ip6": "IPv6"}[m.Name] + " address: " + strconv.Quote(addr))
		}
		n := ip.BitLen()
		if hasBits {
			if n, err = cidrLength(bits, ip.BitLen()); err != nil {
				return bad(err.Error())
			}
		}
		m.Net = netip.PrefixFrom(ip, n).Masked()
	default:
		return bad("unknown mechanism " + strconv.Quote(m.Name))
	}
	if m.Domain != "" || m.Name == "include" || m.Name == "exists" {
		if err := checkDomainSpec(m.Domain); err != nil {
			return bad(err.Error())
		}
	}
	return m, nil
}

// splitDualCIDR separates "spec/24//64" into "spec" and "/24//64".
func splitDualCIDR(s string) (spec, cidr string) {
	i := len(s)
	for i > 0 && (isDigit(s[i-1]) || s[i-1] == '/') {
		i--
	}
	// Only a suffix that starts with "/" is a CIDR; keep digits of the name.
	for i < len(s) && s[i] != '/' {
		i++
	}
	return s[:i], s[i:]
}

// parseDualCIDR reads [ "/" ip4-len ] [ "//" ip6-len ] (RFC 7208 §5.6).
func parseDualCIDR(s string) (v4, v6 int, err error) {
	v4, v6 = -1, -1
	if s == "" {
		return
	}
	four, six, hasSix := strings.Cut(s, "//")
	if four != "" {
		if !strings.HasPrefix(four, "/") {
			return 0, 0, fmt.Errorf("bad CIDR length %q", s)
		}
		if v4, err = cidrLength(four[1:], 32); err != nil {
			return
		}
	}
	if hasSix {
		if v6, err = cidrLength(six, 128); err != nil {
			return
		}
	}
	return
}

// cidrLength reads a prefix length: no sign, no leading zero, at most max
// (RFC 7208 §12: ip4-cidr-length, ip6-cidr-length).
func cidrLength(s string, max int) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || s == "" || s[0] == '+' || s[0] == '-' || len(s) > 1 && s[0] == '0' || n > max {
		return 0, fmt.Errorf("bad CIDR length /%s (0-%d)", s, max)
	}
	return n, nil
}

// checkMacroString validates a macro-string (RFC 7208 §7.1): visible
// characters, with "%" only in %{...}, %%, %_ and %-.
func checkMacroString(s string) error {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c > 0x7e {
			return fmt.Errorf("character %q is not allowed", c)
		}
		if c != '%' {
			continue
		}
		if i+1 == len(s) {
			return fmt.Errorf("a lone %% at the end")
		}
		switch s[i+1] {
		case '%', '_', '-':
			i++
			continue
		case '{':
		default:
			return fmt.Errorf("%%%c is not a macro (use %%%% for a percent sign)", s[i+1])
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return fmt.Errorf("an unterminated macro %q", s[i:])
		}
		if _, err := parseMacro(s[i+2 : i+end]); err != nil {
			return err
		}
		i += end
	}
	return nil
}

// checkDomainSpec validates a domain-spec: a macro-string that ends with a
// macro or with "." toplabel (RFC 7208 §7.1, §12).
func checkDomainSpec(s string) error {
	if s == "" {
		return fmt.Errorf("an empty domain")
	}
	if err := checkMacroString(s); err != nil {
		return err
	}
	// RFC 7208 §7.3: c, r and t are for explanation text only.
	for _, l := range []string{"%{c", "%{r", "%{t", "%{C", "%{R", "%{T"} {
		if strings.Contains(s, l) {
			return fmt.Errorf("%s} may be used only in an exp= explanation text", l)
		}
	}
	if strings.HasSuffix(s, "}") || strings.HasSuffix(s, "%%") || strings.HasSuffix(s, "%_") || strings.HasSuffix(s, "%-") {
		return nil
	}
	t := strings.TrimSuffix(s, ".")
	dot := strings.LastIndexByte(t, '.')
	if dot < 0 {
		return fmt.Errorf("%q is not a fully qualified domain", s)
	}
	if !isTopLabel(t[dot+1:]) {
		return fmt.Errorf("%q does not end in a valid top-level label", s)
	}
	return nil
}

// isTopLabel: ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum ).
func isTopLabel(l string) bool {
	if l == "" {
		return false
	}
	alpha := false
	for i := 0; i < len(l); i++ {
		c := l[i]
		switch {
		case isAlpha(c):
			alpha = true
		case isDigit(c):
		case c == '-' && i > 0 && i < len(l)-1:
			alpha = true // the second form: a hyphen inside makes it valid
		default:
			return false
		}
	}
	return alpha
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// macro is one parsed %{...}.
type macro struct {
	letter  byte // lower case
	upper   bool // URL-escape the result
	digits  int  // keep this many right-hand parts; 0 = all
	reverse bool
	delims  string // "." when none given
}

// parseMacro reads the inside of %{...}: letter, transformers, delimiters
// (RFC 7208 §7.1).
func parseMacro(body string) (macro, error) {
	var m macro
	if body == "" || !strings.ContainsRune("slodiphcrtvSLODIPHCRTV", rune(body[0])) {
		return m, fmt.Errorf("%%{%s}: unknown macro letter", body)
	}
	m.letter, m.upper = body[0]|0x20, body[0] < 'a'
	i := 1
	for i < len(body) && isDigit(body[i]) {
		i++
	}
	if i > 1 {
		n, err := strconv.Atoi(body[1:i])
		if err != nil || n == 0 || n > 128 {
			return m, fmt.Errorf("%%{%s}: bad digit transformer", body)
		}
		m.digits = n
	}
	if i < len(body) && (body[i] == 'r' || body[i] == 'R') {
		m.reverse = true
		i++
	}
	for ; i < len(body); i++ {
		if !strings.ContainsRune(".-+,/_=", rune(body[i])) {
			return m, fmt.Errorf("%%{%s}: bad delimiter %q", body, body[i])
		}
		m.delims += string(body[i])
	}
	if m.delims == "" {
		m.delims = "."
	}
	return m, nil
}
