package probe

// What a user gives the probe to send: envelope addresses and the EHLO
// name, checked against RFC 5321's grammar before anything is sent, so no
// user-given byte can end a command line and start another.

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// ErrBadAddress is a mailbox or EHLO name that RFC 5321 does not allow.
var ErrBadAddress = errors.New("not a valid address")

// RFC 5321 §4.5.3.1: size limits of the envelope.
const (
	maxLocalPart = 64  // §4.5.3.1.1
	maxDomain    = 255 // §4.5.3.1.2
	maxPath      = 256 // §4.5.3.1.3, including the angle brackets
)

// ValidMailbox checks an envelope address: Local-part "@" (Domain /
// address-literal) of RFC 5321 §4.1.2, with the UTF-8 of RFC 6531 §3.3
// allowed in the local part and U-labels in the domain. Control
// characters, CR, LF and NUL are never allowed.
func ValidMailbox(s string) error {
	bad := func(why string) error { return fmt.Errorf("%w: %q: %s", ErrBadAddress, s, why) }
	if !utf8.ValidString(s) {
		return bad("not UTF-8")
	}
	if len(s)+2 > maxPath {
		return bad(fmt.Sprintf("longer than %d octets (RFC 5321 §4.5.3.1.3)", maxPath-2))
	}
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return bad("no @ (RFC 5321 §4.1.2)")
	}
	local, domain := s[:at], s[at+1:]
	if len(local) > maxLocalPart {
		return bad(fmt.Sprintf("a local part longer than %d octets (RFC 5321 §4.5.3.1.1)", maxLocalPart))
	}
	if !validLocalPart(local) {
		return bad("the local part is neither a dot-string nor a quoted string (RFC 5321 §4.1.2)")
	}
	if err := validDomainOrLiteral(domain); err != nil {
		return bad(err.Error())
	}
	return nil
}

// ValidHelo checks the EHLO/HELO argument: a Domain or an address literal
// (RFC 5321 §4.1.1.1).
func ValidHelo(s string) error {
	if err := validDomainOrLiteral(s); err != nil {
		return fmt.Errorf("%w: EHLO name %q: %v", ErrBadAddress, s, err)
	}
	return nil
}

// validLocalPart: Dot-string / Quoted-string (RFC 5321 §4.1.2).
func validLocalPart(s string) bool {
	if s == "" {
		return false
	}
	if s[0] == '"' {
		return validQuoted(s)
	}
	for _, atom := range strings.Split(s, ".") {
		if atom == "" {
			return false
		}
		for _, r := range atom {
			if !isAtext(r) {
				return false
			}
		}
	}
	return true
}

// isAtext: RFC 5322 §3.2.3 atext, plus UTF8-non-ascii (RFC 6531 §3.3).
func isAtext(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	case strings.ContainsRune("!#$%&'*+-/=?^_`{|}~", r):
		return true
	}
	return r >= 0x80 && r != utf8.RuneError && !isC1(r)
}

func isC1(r rune) bool { return r >= 0x80 && r <= 0x9f }

// validQuoted: DQUOTE *(qtextSMTP / quoted-pairSMTP) DQUOTE, where
// qtextSMTP is %d32-33 / %d35-91 / %d93-126 and quoted-pairSMTP is
// %d92 %d32-126 (RFC 5321 §4.1.2), plus UTF8-non-ascii (RFC 6531 §3.3).
func validQuoted(s string) bool {
	if len(s) < 2 || s[len(s)-1] != '"' {
		return false
	}
	body := []rune(s[1 : len(s)-1])
	for i := 0; i < len(body); i++ {
		r := body[i]
		switch {
		case r == '\\':
			i++
			if i == len(body) || body[i] < 32 || body[i] > 126 {
				return false
			}
		case r == '"':
			return false
		case r >= 32 && r <= 126:
		case r >= 0x80 && r != utf8.RuneError && !isC1(r):
		default:
			return false
		}
	}
	return true
}

// validDomainOrLiteral: Domain / address-literal (RFC 5321 §4.1.2,
// §4.1.3). A Domain may be given in U-labels; it must convert to an
// LDH name (RFC 5890 §2.3.2.1).
func validDomainOrLiteral(s string) error {
	if strings.HasPrefix(s, "[") {
		if !strings.HasSuffix(s, "]") {
			return errors.New("an address literal without its closing ]")
		}
		lit := s[1 : len(s)-1]
		if v6, ok := strings.CutPrefix(lit, "IPv6:"); ok {
			if ip, err := netip.ParseAddr(v6); err == nil && ip.Is6() && ip.Zone() == "" {
				return nil
			}
			return errors.New("not an IPv6 address literal (RFC 5321 §4.1.3)")
		}
		if ip, err := netip.ParseAddr(lit); err == nil && ip.Is4() {
			return nil
		}
		return errors.New("not an address literal (RFC 5321 §4.1.3)")
	}
	if s == "" || len(s) > maxDomain {
		return errors.New("no domain, or one longer than 255 octets (RFC 5321 §4.5.3.1.2)")
	}
	ascii, err := idna.Lookup.ToASCII(s)
	if err != nil {
		return fmt.Errorf("not a domain name (%v)", err)
	}
	for _, label := range strings.Split(ascii, ".") {
		if !isLDHLabel(label) {
			return errors.New("not a domain name: each label is letters, digits and inner hyphens (RFC 5321 §4.1.2)")
		}
	}
	return nil
}

// isLDHLabel: sub-domain = Let-dig [Ldh-str] (RFC 5321 §4.1.2), at most
// 63 octets (RFC 1035 §2.3.4).
func isLDHLabel(l string) bool {
	if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
