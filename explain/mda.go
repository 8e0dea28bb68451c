// The local delivery agents' own messages: a bounce that quotes
// mail.local, procmail, maildrop, Dovecot's LDA, vpopmail or vmailmgr
// says why the final delivery failed in the agent's words (Sisimai 5.1.0,
// lib/sisimai/mda.rb, commit 9c4a184, BSD-2-Clause, credited in NOTICE).

package explain

import (
	"net/mail"
	"strings"
)

// mdaAgents are the delivery agents, how their messages begin (and, for
// Dovecot, end), and their messages by the reason they mean, in Sisimai's
// order.
var mdaAgents = []struct {
	name       string
	start, end string
	verdicts   []known
}{
	{"dovecot", "Your message to ", " was automatically rejected:", []known{
		{reason: "userunknown", source: "Sisimai mda.rb", phrases: []string{"mailbox doesn't exist: "}},
		{reason: "mailboxfull", source: "Sisimai mda.rb", phrases: []string{"quota exceeded", "quota exceeded (mailbox for user is full)", "not enough disk space"}},
	}},
	{"mail.local", "mail.local: ", "", []known{
		{reason: "userunknown", source: "Sisimai mda.rb", phrases: []string{": unknown user:", ": user unknown", ": invalid mailbox path", ": user missing home directory"}},
		{reason: "mailboxfull", source: "Sisimai mda.rb", phrases: []string{"disc quota exceeded", "mailbox full or quota exceeded"}},
		{reason: "systemerror", source: "Sisimai mda.rb", phrases: []string{"temporary file write error"}},
	}},
	{"procmail", "procmail: ", "", []known{
		{reason: "mailboxfull", source: "Sisimai mda.rb", phrases: []string{"quota exceeded while writing"}},
		{reason: "systemfull", source: "Sisimai mda.rb", phrases: []string{"no space left to finish writing"}},
	}},
	{"maildrop", "maildrop: ", "", []known{
		{reason: "userunknown", source: "Sisimai mda.rb", phrases: []string{"invalid user specified.", "cannot find system user"}},
		{reason: "mailboxfull", source: "Sisimai mda.rb", phrases: []string{"maildir over quota."}},
	}},
	{"vpopmail", "vdelivermail: ", "", []known{
		{reason: "userunknown", source: "Sisimai mda.rb", phrases: []string{"sorry, no mailbox here by that name."}},
		{reason: "filtered", source: "Sisimai mda.rb", phrases: []string{"account is locked email bounced", "user does not exist, but will deliver to "}},
		{reason: "mailboxfull", source: "Sisimai mda.rb", phrases: []string{"domain is over quota", "user is over quota"}},
	}},
	{"vmailmgr", "vdeliver: ", "", []known{
		{reason: "userunknown", source: "Sisimai mda.rb", phrases: []string{"invalid or unknown base user or domain", "invalid or unknown virtual user", "user name does not refer to a virtual user"}},
		{reason: "mailboxfull", source: "Sisimai mda.rb", phrases: []string{"delivery failed due to system quota violation"}},
	}},
}

// mdaVerdict is the reason a delivery agent's message in a bounce from a
// mailer daemon gives, and the line that gives it; "" when the bounce
// quotes none. The first agent the text names is the one read, and its
// reasons are tried in order over the lines, as Sisimai does.
func mdaVerdict(h mail.Header, text string) (reason, line string) {
	from := strings.ToLower(h.Get("From"))
	if !strings.HasPrefix(from, "mail delivery subsystem") && !strings.HasPrefix(from, "mailer-daemon") && !strings.HasPrefix(from, "postmaster") {
		return "", ""
	}
	for _, a := range mdaAgents {
		p := strings.Index(text, a.start)
		if p < 0 {
			continue
		}
		if a.end != "" {
			if q := strings.Index(text, a.end); q < 0 || p > q {
				continue
			}
		}
		lines := strings.Split(text, "\n")
		for _, k := range a.verdicts {
			for _, l := range lines {
				if k.matches(strings.ToLower(l)) {
					return k.reason, strings.TrimSpace(l)
				}
			}
		}
		return "", ""
	}
	return "", ""
}
