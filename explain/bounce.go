// What a bounce is and how ParseBounce reads one: the message's kind
// (a DSN, a feedback report, an SES notification, an automatic reply, a
// text bounce) decides which reader finds its recipients.

package explain

import (
	"errors"
	"net/mail"
	"net/textproto"
	"regexp"
	"strings"
)

// ErrNotABounce is returned for a message that reports no delivery problem.
var ErrNotABounce = errors.New("not a bounce, a delivery status notification or a feedback report")

// Recipient is one failed (or reported) recipient of a bounce.
type Recipient struct {
	Address   string `json:"address"`
	Action    string `json:"action,omitempty"` // failed, delayed, delivered... (RFC 3464 §2.3.3)
	Code      int    `json:"code,omitempty"`
	Enhanced  string `json:"enhanced,omitempty"`
	Permanent bool   `json:"permanent"`
	RemoteMTA string `json:"remote_mta,omitempty"`
	// Command is the SMTP command the failing reply answered (CONN for
	// the greeting), when the bounce says: see command.
	Command    string `json:"command,omitempty"`
	Diagnostic string `json:"diagnostic,omitempty"`
	Reason     string `json:"reason"`
}

// Bounce is a parsed bounce message.
type Bounce struct {
	// Kind is dsn (RFC 3464), feedback (RFC 5965), autoreply (RFC 3834),
	// ses (an Amazon SES JSON notification) or text (a non-standard bounce
	// read from its words).
	Kind    string `json:"kind"`
	Subject string `json:"subject,omitempty"`
	From    string `json:"from,omitempty"`
	// Agent names the MTA that wrote the bounce, when its headers say
	// (engines.go; Sisimai's module names).
	Agent      string      `json:"agent,omitempty"`
	Recipients []Recipient `json:"recipients"`
}

// part is one leaf of the MIME tree, decoded to UTF-8 text.
type part struct {
	ctype string
	text  string
}

// ParseBounce reads a message (RFC 5322, mbox "From " line allowed, any
// line endings) and finds what failed for whom.
func ParseBounce(raw []byte) (*Bounce, error) {
	return parseBounce(string(raw), 0)
}

// forwardedBounce finds a bounce quoted whole in a text part: an mbox
// "From MAILER-DAEMON" line and the message after it.
var forwardedBounce = regexp.MustCompile(`(?m)^From MAILER-DAEMON[ \t].*\n`)

func parseBounce(raw string, depth int) (*Bounce, error) {
	raw = normalize(raw)
	msg, err := mail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		return nil, ErrNotABounce
	}
	b := &Bounce{Subject: decodeHeader(msg.Header.Get("Subject")), From: decodeHeader(msg.Header.Get("From"))}
	parts := walk(textproto.MIMEHeader(msg.Header), msg.Body, 0)

	for _, p := range parts {
		if p.ctype == "message/feedback-report" {
			return feedback(b, p, parts), nil
		}
	}
	text := humanText(parts)
	for _, p := range parts {
		if p.ctype == "message/delivery-status" || p.ctype == "message/global-delivery-status" {
			if rs := dsnRecipients(p.text, text); len(rs) > 0 {
				b.Agent = mtaVerdicts(msg.Header, text, rs)
				b.Kind, b.Recipients = "dsn", rs
				return b, nil
			}
		}
	}
	if depth < 2 {
		// A notice that forwards the bounce it received (OCN, mailing
		// lists, a postmaster passing a report on as an attachment): the
		// forwarded bounce says what failed. An attached report is read
		// when it is a DSN (RFC 3464), so that a text bounce's returned
		// message is not taken for the report.
		for _, p := range parts {
			if p.ctype == "message/rfc822" || p.ctype == "message/global" {
				if inner, err := parseBounce(p.text, depth+1); err == nil && inner.Kind == "dsn" {
					return inner, nil
				}
			}
		}
		for _, p := range parts {
			if loc := forwardedBounce.FindStringIndex(p.text); loc != nil && strings.HasPrefix(p.ctype, "text/") {
				if inner, err := parseBounce(p.text[loc[1]:], depth+1); err == nil && len(inner.Recipients) > 0 && inner.Recipients[0].Address != "" {
					return inner, nil
				}
			}
		}
	}
	for _, p := range parts {
		if rs := sesRecipients(p.text); len(rs) > 0 {
			b.Kind, b.Recipients = "ses", rs
			return b, nil
		}
	}
	if strings.EqualFold(strings.TrimSpace(msg.Header.Get("X-Apple-Unsubscribe")), "true") {
		// Apple Mail's unsubscribe request (RFC 2369 List-Unsubscribe by
		// mail): the recipient opted out.
		b.Kind = "feedback"
		b.Recipients = []Recipient{{Address: strings.ToLower(addrPattern.FindString(msg.Header.Get("From"))), Diagnostic: "unsubscribe", Reason: "feedback"}}
		return b, nil
	}
	if autoReply(msg.Header, b.Subject) && !fromDaemon(msg.Header) {
		// The mailbox that answered is the recipient the reply is about:
		// its From, else its Return-Path (RFC 3834 has the
		// responder send from its own address; Sisimai rfc3834.rb reads
		// the same two fields).
		b.Kind = "autoreply"
		who := addresses(msg.Header.Get("From"))
		if len(who) == 0 {
			who = append(addresses(msg.Header.Get("Return-Path")), "")
		}
		b.Recipients = []Recipient{{Address: who[0], Reason: "vacation"}}
		return b, nil
	}
	if !looksLikeBounce(msg.Header, b.Subject, text) {
		return nil, ErrNotABounce
	}
	b.Kind = "text"
	b.Recipients = textRecipients(text, append(addresses(msg.Header.Get("From")), addresses(msg.Header.Get("To"))...))
	b.Agent = mtaVerdicts(msg.Header, text, b.Recipients)
	if len(b.Recipients) == 1 && b.Recipients[0].Address == "" {
		// The text names no one: the returned message says whom it was for.
		if to := originalTo(parts); to != "" {
			b.Recipients[0].Address = to
		}
	}
	return b, nil
}

// originalTo is the first To: address of the returned original message,
// attached (message/rfc822, text/rfc822-headers) or quoted in the text.
func originalTo(parts []part) string {
	for _, p := range parts {
		text := p.text
		if p.ctype != "message/rfc822" && p.ctype != "text/rfc822-headers" {
			loc := originalMarkers.FindStringIndex(text)
			if loc == nil {
				continue
			}
			text = text[loc[0]:]
		}
		for _, line := range strings.Split(text, "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(strings.TrimSpace(k), "to") {
				if as := addresses(v); len(as) > 0 {
					return as[0]
				}
			}
		}
	}
	return ""
}

// fromDaemon reports a message sent by a mail system, not a person.
func fromDaemon(h mail.Header) bool {
	from := strings.ToLower(h.Get("From"))
	return strings.Contains(from, "mailer-daemon") || strings.Contains(from, "postmaster") || strings.Contains(from, "mail delivery")
}

// humanText is the bounce's own words: its text parts before the copy of
// the original message.
func humanText(parts []part) string {
	var b strings.Builder
	for _, p := range parts {
		if p.ctype == "message/rfc822" || p.ctype == "text/rfc822-headers" || p.ctype == "message/delivery-status" {
			break
		}
		if strings.HasPrefix(p.ctype, "text/") {
			b.WriteString(p.text)
			b.WriteString("\n")
		}
	}
	return cutOriginal(b.String())
}

// originalMarkers start the copy of the original message in a bounce's text.
var originalMarkers = regexp.MustCompile(`(?im)^\s*(-+\s*)?(original message|this is a copy of the|below this line is a copy|the (headers|text) of (your|the) (original )?message|unsent message below|original (mail|message) as follows|message header follows|the original message (headers? )?(was:|is|are|follows)|content-type: message/rfc822|returned message|original message headers)|^(received|return-path|x-original-to|dkim-signature): `)

func cutOriginal(s string) string {
	if loc := originalMarkers.FindStringIndex(s); loc != nil && loc[0] > 0 {
		return s[:loc[0]]
	}
	return s
}

// autoReply recognises automatic replies (RFC 3834 §5) and vacation notes.
func autoReply(h mail.Header, subject string) bool {
	if as := strings.ToLower(h.Get("Auto-Submitted")); strings.HasPrefix(as, "auto-replied") {
		return true
	}
	s := strings.ToLower(subject)
	for _, p := range []string{"out of office", "out of the office", "auto-reply", "autoreply", "auto reply", "automatic reply", "vacation", "away from"} {
		if strings.Contains(s, p) {
			return true
		}
	}
	return h.Get("X-Autoreply") != "" || strings.EqualFold(h.Get("Precedence"), "auto_reply")
}

func looksLikeBounce(h mail.Header, subject, text string) bool {
	from := strings.ToLower(h.Get("From"))
	s := strings.ToLower(subject)
	for _, p := range []string{"mailer-daemon", "postmaster", "post_master", "mail delivery", "maildelivery", "bounce"} {
		if strings.Contains(from, p) {
			return true
		}
	}
	for _, p := range []string{"undeliver", "undelivered", "delivery fail", "delivery status", "returned mail", "failure notice", "could not be delivered", "nondeliverable", "non-delivery", "delivery notification", "returned to sender", "mail delivery",
		"エラー", "不達", "未達"} { // Japanese carriers: "error", "undelivered"
		if strings.Contains(s, p) {
			return true
		}
	}
	if h.Get("X-Failed-Recipients") != "" || bounceWords.MatchString(text) {
		return true
	}
	// A mailing list manager (fml, ezmlm, Mailman) refusing a post.
	listHeaders := h.Get("X-MLServer") != "" || h.Get("Mailing-List") != "" || h.Get("List-Id") != "" || h.Get("X-ML-Name") != ""
	return listHeaders && listRefusal.MatchString(s+"\n"+text)
}

var (
	// bounceWords are a delivery failure report's own opening words.
	bounceWords = regexp.MustCompile(`(?i)could not be delivered to|delivery to the following recipients? failed|(couldn't|could not|unable to) deliver (your|the) (message|mail)`)
	listRefusal = regexp.MustCompile(`(?i)not (a )?member|loop alert|duplicated message-id|posting (is )?(not allowed|rejected|restricted)`)
)
