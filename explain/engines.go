package explain

import (
	"net/mail"
	"slices"
	"strings"
)

// An engine is an MTA whose bounces Sisimai reads with a module of its
// own, recognised by the headers that module checks first.
type engine struct {
	name  string
	marks func(h mail.Header) bool
}

// plainEngines are the MTAs whose Sisimai modules give no verdict of their
// own for an unknown user (lib/sisimai/lhost/x1.rb, mailfoundry.rb,
// mxlogic.rb set no reason), so Sisimai's general rule decides: an
// "unknown user" said with no RCPT and no X.1.x status is a filter's
// refusal (lib/sisimai/reason/filtered.rb, reason/userunknown.rb).
var plainEngines = []engine{
	{"X1", func(h mail.Header) bool {
		return strings.HasPrefix(h.Get("Subject"), "Returned Mail: ") && strings.HasPrefix(h.Get("From"), `"Mail Deliver System" `)
	}},
	{"MailFoundry", func(h mail.Header) bool {
		return h.Get("Subject") == "Message delivery has failed" &&
			slices.ContainsFunc(h["Received"], func(r string) bool { return strings.Contains(r, "(MAILFOUNDRY) id ") })
	}},
	{"MXLogic", func(h mail.Header) bool {
		// its headers, or a report from MXLogic's own hosts
		return h.Get("X-MX-Bounce") != "" || h.Get("X-MXL-Hash") != "" || h.Get("X-MXL-NoteHash") != "" ||
			strings.Contains(strings.ToLower(h.Get("From")), ".mxlogic.net>")
	}},
}

// plainEngine names the bounce's MTA when it is one of plainEngines.
func plainEngine(h mail.Header) string {
	for _, e := range plainEngines {
		if e.marks(h) {
			return e.name
		}
	}
	return ""
}

// filteredByDefault applies Sisimai's general rule to the recipients of a
// plainEngine's bounce: userunknown only at RCPT or with an X.1.x status.
func filteredByDefault(rs []Recipient) {
	for i, r := range rs {
		if r.Reason == "userunknown" && command(r.Diagnostic) != "RCPT" && !addressStatus(r.Enhanced) {
			rs[i].Reason = "filtered"
		}
	}
}
