// Feedback reports (RFC 5965, ARF): a recipient's complaint about a
// message, one recipient per Original-Rcpt-To.

package explain

import (
	"net/mail"
	"strings"
)

func feedback(b *Bounce, report part, parts []part) *Bounce {
	b.Kind = "feedback"
	f := fields(report.text)
	// RFC 5965 §3.2: Original-Rcpt-To may repeat, one per recipient.
	var addrs []string
	for _, line := range strings.Split(report.text, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(strings.TrimSpace(k), "original-rcpt-to") {
			addrs = append(addrs, cleanAddress(v))
		}
	}
	if len(addrs) == 0 {
		for _, p := range parts {
			if p.ctype == "message/rfc822" || p.ctype == "text/rfc822-headers" {
				if m, err := mail.ReadMessage(strings.NewReader(p.text)); err == nil {
					addrs = addresses(m.Header.Get("To"))
				}
			}
		}
	}
	if len(addrs) == 0 {
		addrs = []string{""} // one complaint, whoever it was about
	}
	for _, a := range addrs {
		b.Recipients = append(b.Recipients, Recipient{Address: a, Diagnostic: f["feedback-type"], Reason: "feedback"})
	}
	return b
}
