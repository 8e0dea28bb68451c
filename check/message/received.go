package message

// Received header fields (RFC 5321 §4.4, RFC 5322 §3.6.7): each relay
// prepends one, so the topmost is the newest. Their clauses are
// "from <helo> (<rdns> [<ip>])", "by <host>", "via", "with <protocol>"
// (ESMTP, ESMTPS, ESMTPSA, LMTP…, RFC 3848), "id", "for <addr>", and the
// date after the last ";". MTAs write the comments as they like, so the
// parser reads what it can and says when it cannot.

import (
	"net/mail"
	"net/netip"
	"regexp"
	"strings"
	"time"
)

// Hop is one Received field.
type Hop struct {
	From     string     `json:"from,omitempty"` // the HELO name the client gave
	FromRDNS string     `json:"from_rdns,omitempty"`
	FromIP   netip.Addr `json:"from_ip,omitzero"`
	By       string     `json:"by,omitempty"`
	With     string     `json:"with,omitempty"`
	TLS      string     `json:"tls,omitempty"` // "TLS1_3 TLS_AES_256_GCM_SHA384" and the like, where stated
	ID       string     `json:"id,omitempty"`
	For      string     `json:"for,omitempty"`
	At       time.Time  `json:"at,omitzero"`
	// DelayS is the seconds from the hop below (older) to this one.
	DelayS  float64 `json:"delay_s,omitempty"`
	Problem string  `json:"problem,omitempty"` // what could not be read
	Raw     string  `json:"raw"`
}

var (
	bracketIP  = regexp.MustCompile(`\[(?:IPv6:)?([0-9A-Fa-f:.]+)\]`)
	tlsComment = regexp.MustCompile(`(?i)(?:version=|using )(TLS\S*|SSLv\S*)(?:[^)]*?cipher[= ](\S+?))?[\s)]`)
	// RFC 3848 §2, RFC 6531 §3.7.3: the "with" values of a TLS session.
	withTLS = regexp.MustCompile(`(?i)^(ESMTPS|ESMTPSA|LMTPS|LMTPSA|UTF8SMTPS|UTF8SMTPSA|UTF8LMTPS|UTF8LMTPSA)$`)
)

// ParseReceived reads one Received field's value.
func ParseReceived(v string) Hop {
	h := Hop{Raw: v}
	v = strings.Join(strings.Fields(v), " ")
	body, date, hasDate := cutLast(v, ";")
	if hasDate {
		t, err := mail.ParseDate(strings.TrimSpace(date))
		if err != nil {
			h.Problem = "the date does not parse: " + strings.TrimSpace(date)
		} else {
			h.At = t
		}
	} else {
		h.Problem = "no date after ';'"
	}
	if m := tlsComment.FindStringSubmatch(body + " "); m != nil {
		h.TLS = strings.TrimSpace(strings.TrimSuffix(m[1], ",") + " " + strings.TrimSuffix(m[2], ","))
	}
	// Drop comments, keeping what the from clause's carries.
	words, comments := clauses(body)
	for i := 0; i < len(words); i++ {
		k := strings.ToLower(words[i])
		if i+1 >= len(words) {
			break
		}
		switch k {
		case "from":
			h.From = words[i+1]
			i++
			if c, ok := comments[i]; ok {
				if m := bracketIP.FindStringSubmatch(c); m != nil {
					if ip, err := netip.ParseAddr(m[1]); err == nil {
						h.FromIP = ip.Unmap()
					}
				}
				if f := strings.Fields(strings.Trim(c, "()")); len(f) > 0 && !strings.HasPrefix(f[0], "[") {
					h.FromRDNS = strings.TrimSuffix(f[0], ".")
				}
			}
			if !h.FromIP.IsValid() {
				if m := bracketIP.FindStringSubmatch(h.From); m != nil {
					if ip, err := netip.ParseAddr(m[1]); err == nil {
						h.FromIP = ip.Unmap()
					}
				}
			}
		case "by":
			h.By = words[i+1]
			i++
		case "with":
			h.With = words[i+1]
			i++
		case "id":
			h.ID = words[i+1]
			i++
		case "for":
			h.For = strings.Trim(words[i+1], "<>")
			i++
		}
	}
	if h.TLS == "" && withTLS.MatchString(h.With) {
		h.TLS = "TLS (" + h.With + ")"
	}
	if h.From == "" && h.By == "" && h.Problem == "" {
		h.Problem = "neither from nor by"
	}
	return h
}

// clauses splits a Received body into its words, with each comment (in
// parentheses, possibly nested) kept apart and keyed by the index of the
// word it follows.
func clauses(s string) ([]string, map[int]string) {
	var words []string
	comments := map[int]string{}
	var cur, com strings.Builder
	depth := 0
	flush := func() {
		if cur.Len() > 0 {
			words = append(words, cur.String())
			cur.Reset()
		}
	}
	for _, r := range s {
		switch {
		case r == '(':
			if depth == 0 {
				flush()
			}
			depth++
			com.WriteRune(r)
		case r == ')' && depth > 0:
			depth--
			com.WriteRune(r)
			if depth == 0 {
				comments[len(words)-1] += com.String()
				com.Reset()
			}
		case depth > 0:
			com.WriteRune(r)
		case r == ' ':
			flush()
		default:
			cur.WriteRune(r)
		}
	}
	flush()
	return words, comments
}

func cutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}
