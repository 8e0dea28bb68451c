// How the SMTP command that failed, and a big receiver's own wording,
// refine a reason found in the words of a bounce.

package explain

import (
	"fmt"
	"regexp"
	"strings"
)

// receiverReason applies a big receiver's own wording: found in the
// server's reply it says more than the words of the standards; found
// elsewhere in the bounce (own, the recipient's words, and w's) it only
// fills in a generic reason. who names the hosts and addresses the text
// may not (a DSN's recipient and remote MTA).
func receiverReason(reason string, code int, enhanced, cmd, reply, own string, w *wide, who string) string {
	n := namedIn(own + "\n" + who).or(w.named)
	if r := providerMessage(code, enhanced, reply, n); r != "" {
		return r
	}
	if r := providerCode(enhanced, cmd, reply, n); r != "" {
		return r
	}
	if rc, ok := recognize(reply, n); ok {
		return rc.Reason
	}
	if generic[reason] {
		if rc, ok := recognize(own, n); ok {
			return rc.Reason
		}
		if rc, ok := w.recognized(n); ok {
			return rc.Reason
		}
	}
	return reason
}

// providerMessage is the reason a big receiver's own message gives
// (rhosttables.go), when the reply is theirs: the bounce names their hosts
// as Sisimai's gates do (rhostGates); Google's and Microsoft's messages
// carry the code and status they document too.
func providerMessage(code int, enhanced, reply string, n named) string {
	e, ok := ParseEnhanced(enhanced)
	if !ok || reply == "" {
		return ""
	}
	lower := folded(reply)
	if n.rhost["Google"] && code >= 200 {
		digits, sd := fmt.Sprint(code)[1:], fmt.Sprintf("%d.%d", e.Subject, e.Detail)
		for _, m := range googleMessages {
			if strings.HasSuffix(m.code, digits) && strings.HasSuffix(m.status, sd) && strings.Contains(lower, m.phrase) {
				return m.reason
			}
		}
	}
	if n.rhost["Microsoft"] {
		status := fmt.Sprintf("%d.%d.%d", e.Class, e.Subject, e.Detail)
		for _, m := range microsoftMessages {
			exact := m.min == m.max && status == m.status
			ranged := m.min != m.max && strings.HasPrefix(status, m.status) && e.Detail >= m.min && e.Detail <= m.max
			if (exact || ranged) && strings.Contains(lower, m.phrase) {
				return m.reason
			}
		}
	}
	if n.rhost["Mimecast"] {
		for _, m := range mimecastMessages {
			if code == m.code && strings.Contains(lower, m.phrase) {
				return m.reason
			}
		}
	}
	for _, p := range providerPhrases {
		if n.rhost[p.provider] {
			for _, k := range p.lists {
				if k.matches(lower) {
					return k.reason
				}
			}
		}
	}
	return ""
}

// generic reasons say only that delivery failed, not why.
var generic = map[string]bool{"systemerror": true, "onhold": true, "undefined": true}

var (
	// Postfix: "(in reply to RCPT TO command)" (smtp_proto.c); Exim: "SMTP
	// error from remote mail server after [pipelined ]RCPT TO:<a>:",
	// "after end of data", "after initial connection" (transports/smtp.c).
	inReplyTo = regexp.MustCompile(`(?i)(?:in reply to|in response to|after|smtp command:?)\s+(?:pipelined\s+)?(?:end of )?(rcpt|mail|data|helo|ehlo|starttls|auth|initial connection)\b|\[(rcpt|mail|data)_to\]`)
	// A greeting that turns into a refusal: "220-mx.example 421 ...".
	greetingRefusal = regexp.MustCompile(`^\s*220[ -]\S*\s+[45]\d\d[ -]`)
	transcript      = regexp.MustCompile(`(?im)^\s*>>> (\w+)|^\s*<<< [45]\d\d`)
	// Gmail's "(state 14)" after the remote server's reply, the step of
	// its session that failed (Sisimai lhost/gmail.rb StateTable).
	gmailState = regexp.MustCompile(`\(state (\d+)\)`)
)

// qmailSteps are qmail-remote's reports of the step a remote server
// refused (qmail-remote.c: quit("ZConnected to "," but greeting failed")
// and the like).
var qmailSteps = []struct{ words, command string }{
	{" but greeting failed", "CONN"},
	{" but my name was rejected", "HELO"},
	{" but sender was rejected", "MAIL"},
	{" does not like recipient", "RCPT"},
	{" failed on data command", "DATA"},
	{" failed after i sent the message", "DATA"},
}

// gmailStates are the SMTP commands of Gmail's session states, as
// Sisimai lhost/gmail.rb StateTable reads them.
var gmailStates = map[string]string{"6": "MAIL", "8": "AUTH", "9": "AUTH", "12": "AUTH", "13": "EHLO", "14": "RCPT",
	"15": "DATA", "17": "DATA", "18": "DATA"}

// command finds the SMTP command the failing reply answered (CONN, as
// Sisimai calls it, for the greeting): Postfix's "in reply to X command",
// Exim's "after X", qmail-remote's and Gmail's own reports, or the last
// ">>> X" before the first "<<< 5yz" of a Sendmail or Courier transcript.
// "" when the bounce does not say.
func command(text string) string {
	if greetingRefusal.MatchString(text) {
		return "CONN"
	}
	if m := inReplyTo.FindStringSubmatch(text); m != nil {
		if c := strings.ToUpper(m[1] + m[2]); c != "INITIAL CONNECTION" { // one of the two is empty
			return c
		}
		return "CONN"
	}
	lower := strings.ToLower(text)
	for _, s := range qmailSteps {
		if strings.Contains(lower, s.words) {
			return s.command
		}
	}
	if m := gmailState.FindStringSubmatch(text); m != nil && gmailStates[m[1]] != "" {
		return gmailStates[m[1]]
	}
	last := ""
	for _, m := range transcript.FindAllStringSubmatch(text, -1) {
		if m[1] == "" {
			return last
		}
		last = strings.ToUpper(m[1])
	}
	return ""
}

// commandWords are the SMTP commands as a diagnostic may name them, in
// the order of a session (Sisimai lib/sisimai/smtp/command.rb
// Detectable).
var commandWords = []struct{ word, command string }{
	{"HELO", "HELO"}, {"EHLO", "EHLO"}, {"STARTTLS", "STARTTLS"}, {"AUTH PLAIN", "AUTH"}, {"AUTH LOGIN", "AUTH"},
	{"AUTH CRAM-", "AUTH"}, {"AUTH DIGEST-", "AUTH"}, {"MAIL F", "MAIL"}, {"RCPT", "RCPT"}, {"DATA", "DATA"},
	{"QUIT", "QUIT"}, {"XFORWARD", "XFORWARD"},
}

// commandNamed is the command a recipient's diagnostic names when no
// MTA's own wording says which one failed: the latest in session order
// of those it names in that order ("SMTP:RCPT host ...: 553 ...", "RCPT
// TO generated following response"), as Sisimai's SMTP::Command.find
// reads the diagnostic of a report it has no other reading for.
func commandNamed(diag string) string {
	found, from := "", 0
	for _, w := range commandWords {
		if i := strings.Index(diag[from:], w.word); i >= 0 {
			from += i
			found = w.command
		}
	}
	return found
}

// addressStatus reports an enhanced status about addressing, whose
// X.1.x details name a bad or unknown address (RFC 3463 §3.2).
func addressStatus(enhanced string) bool {
	e, ok := ParseEnhanced(enhanced)
	return ok && e.Subject == 1
}

// refusedByPolicy reports an enhanced status of a mailbox that refuses
// mail or of a policy refusal (RFC 3463 §3.3, §3.8).
func refusedByPolicy(enhanced string) bool {
	e, ok := ParseEnhanced(enhanced)
	return ok && (e.Subject == 2 && (e.Detail == 0 || e.Detail == 1) || e.Subject == 7)
}

// refine adjusts a reason by the SMTP command that was refused; stated
// tells that an MTA's own wording named it (command), not a command word
// in the diagnostic (commandNamed); known is the reason a sourced
// sentence of the bounce names (knownReason), if any.
func refine(reason, enhanced, cmd string, stated bool, known string) string {
	switch {
	case reason == "userunknown" && (cmd == "DATA" || cmd == "") && !addressStatus(enhanced):
		// "User unknown" not in answer to RCPT (at DATA, or at a step the
		// bounce does not name) with no X.1.x status naming the address:
		// a filter speaking (Sisimai reason/userunknown.rb and
		// filtered.rb, true()).
		return "filtered"
	case reason == "userunknown" && cmd != "RCPT" && refusedByPolicy(enhanced):
		// "User unknown" with a status that says the mailbox exists but
		// takes no mail (RFC 3463 X.2.0, X.2.1) or that policy refused the
		// message (X.7.x): a filter speaking, not a missing mailbox.
		return "filtered"
	case (cmd == "CONN" || cmd == "HELO" || cmd == "EHLO") && (generic[reason] || stated && (reason == "blocked" || known != reason)):
		// Refused before any address was given: the client was blocked
		// (Sisimai reads a refusal at HELO/EHLO so: lhost/exim.rb for
		// Exim's own report, reason.rb anotherone when nothing else
		// says), unless a source's own sentence said why (knowledge.go).
		return "blocked"
	case cmd == "MAIL" && (reason == "userunknown" || reason == "hostunknown" || generic[reason]):
		// A reply to MAIL FROM refuses the sender (or its domain), not a
		// recipient.
		return "rejected"
	}
	return reason
}
