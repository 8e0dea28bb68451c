package explain

import (
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// An engine is an MTA whose bounces Sisimai reads with a module of its
// own, recognised by the headers that module checks first.
type engine struct {
	name  string
	marks func(h mail.Header) bool
}

// plainEngines are MTAs whose Sisimai modules give no verdict of their
// own (lib/sisimai/lhost/x1.rb, mailfoundry.rb, mxlogic.rb set no
// reason): recognising them keeps a later module's verdicts off their
// bounces, and Sisimai's general rules decide (refine).
var plainEngines = []engine{
	{"X1", func(h mail.Header) bool {
		return strings.HasPrefix(h.Get("Subject"), "Returned Mail: ") && strings.HasPrefix(h.Get("From"), `"Mail Deliver System" `)
	}},
	{"MailFoundry", func(h mail.Header) bool {
		return h.Get("Subject") == "Message delivery has failed" && received(h, "(MAILFOUNDRY) id ")
	}},
	{"MXLogic", func(h mail.Header) bool {
		// its headers, or a report from MXLogic's own hosts
		return h.Get("X-MX-Bounce") != "" || h.Get("X-MXL-Hash") != "" || h.Get("X-MXL-NoteHash") != "" ||
			strings.Contains(strings.ToLower(h.Get("From")), ".mxlogic.net>")
	}},
}

// mtaVerdicts applies what the MTA that wrote the bounce says of its own
// messages (one MTA, as Sisimai reads a bounce with one module), then
// what a local delivery agent quoted in its text says (mda.go), which
// Sisimai puts in place of the MTA's reading; it names that MTA.
func mtaVerdicts(h mail.Header, text string, rs []Recipient) (agent string) {
	agent = reportingMTA(h)
	if agent != "" {
		engineVerdict(agent, h, rs)
	}
	if r, _ := mdaVerdict(h, text); r != "" {
		for i := range rs {
			rs[i].Reason = r
		}
	}
	return agent
}

// sisimaiOrder is the order in which Sisimai tries its MTA modules on a
// bounce (lib/sisimai/order.rb): those its Subject's first words suggest,
// then OrderE0, then OrderE1; here only the modules with a recogniser
// (plainEngines, verdictEngines).
var sisimaiOrder = struct {
	subject map[string][]string
	rest    []string
}{
	subject: map[string][]string{
		"delivery-failure":      {"Domino"},
		"delivery-notification": {"MessagingServer"},
		"delivery-status":       {"GSuite", "Outlook", "OpenSMTPD", "ReceivingSES", "Gmail"},
		"failure-notice":        {"Qmail"},
		"mail-delivery":         {"Exim", "DragonFly", "MailRu", "GMX", "EinsUndEins", "Zoho", "MessageLabs", "MXLogic"},
		"mail-failure":          {"Exim"},
		"mail-could":            {"InterScanMSS"},
		"mail-system":           {"EZweb"},
		"message-delivery":      {"MailFoundry"},
		"message-frozen":        {"Exim"},
		"notice":                {"Courier"},
		"returned-mail":         {"Aol", "Biglobe", "X1"},
		"undeliverable":         {"Office365", "Exchange2007", "Aol", "Exchange2003"},
		"onbestelbaar":          {"Office365"},
		"não-entregue":          {"Office365"},
		"non-recapitabile":      {"Exchange2007"},
		"non-remis":             {"Exchange2007"},
		"undeliverable-mail":    {"Amavis", "IMailServer"},
		"undeliverable-message": {"Notes", "Verizon"},
		"warning":               {"Exim"},
	},
	rest: []string{"MailRu", "Exim", "Aol", "Office365", "Exchange2007", "Exchange2003", "InterScanMSS", "KDDI", "Verizon", // OrderE0
		"GSuite", "Outlook", "GMX", "MessagingServer", "EinsUndEins", "Domino", "Notes", "Qmail", "Courier", "OpenSMTPD", "Zoho",
		"MessageLabs", "MXLogic", "MailFoundry", "ReceivingSES", "Amavis", "Gmail", "EZweb", "IMailServer", "Biglobe", "X1"}, // OrderE1
}

// subjectKey is the first words of a Subject as Sisimai's Order.make
// reads them: lower case, "_[] " as spaces, the part before a colon or
// the first two words joined by "-".
func subjectKey(subject string) string {
	s := strings.ToLower(subject)
	s = strings.NewReplacer("_", " ", "[", " ", "]", " ").Replace(s)
	words := strings.Fields(s)
	if len(words) == 0 {
		return ""
	}
	var first string
	if strings.Contains(words[0], ":") {
		first, _, _ = strings.Cut(strings.Join(words, " "), ":")
	} else {
		first = strings.Join(words[:min(2, len(words))], "-")
	}
	return strings.NewReplacer(":", "", `"`, "", ",", "", "*", "").Replace(first)
}

// reportingMTA names the MTA that wrote the bounce, the first of
// Sisimai's order whose marks its headers bear; "" when none does.
func reportingMTA(h mail.Header) string {
	marks := engineMarks()
	for _, name := range slices.Concat(sisimaiOrder.subject[subjectKey(h.Get("Subject"))], sisimaiOrder.rest) {
		if m := marks[name]; m != nil && m(h) {
			return name
		}
	}
	return ""
}

// engineMarks are the recognisers by name.
var engineMarks = sync.OnceValue(func() map[string]func(mail.Header) bool {
	marks := map[string]func(mail.Header) bool{}
	for _, e := range slices.Concat(plainEngines, verdictEngines) {
		marks[e.name] = e.marks
	}
	return marks
})

// engineVerdicts are the reasons Sisimai's MTA modules give their own
// MTA's messages (lib/sisimai/lhost/<engine>.rb MessagesOf, which quote
// the MTAs' sources and manuals), applied to a bounce that MTA wrote.
var engineVerdicts = map[string][]known{
	"Outlook": {
		{reason: "hostunknown", source: "Sisimai lhost/outlook.rb", phrases: []string{"the mail could not be delivered to the recipient because the domain is not reachable"}},
		{reason: "userunknown", source: "Sisimai lhost/outlook.rb", phrases: []string{"requested action not taken: mailbox unavailable"}},
	},
	"Exim": eximVerdicts,
	"MailRu": append([]known{
		{reason: "expired", source: "Sisimai lhost/mailru.rb", phrases: []string{"retry timeout exceeded", "no action is required on your part"}},
	}, eximVerdicts...), // Mail.Ru runs Exim
	"Qmail": {
		{reason: "userunknown", source: "Sisimai lhost/qmail.rb", phrases: []string{"no mailbox here by that name", "does not like recipient."}},
		{reason: "mailboxfull", source: "Sisimai lhost/qmail.rb", phrases: []string{"disk quota exceeded"}},
		{reason: "mesgtoobig", source: "Sisimai lhost/qmail.rb", phrases: []string{"message size exceeds fixed maximum message size:"}},
		{reason: "hostunknown", source: "Sisimai lhost/qmail.rb", phrases: []string{"sorry, i couldn't find any host "}},
		{reason: "systemfull", source: "Sisimai lhost/qmail.rb", phrases: []string{"requested action not taken: mailbox unavailable (not enough free space)"}},
		{reason: "systemerror", source: "Sisimai lhost/qmail.rb", phrases: []string{"bad interpreter: no such file or directory", "system error", "unable to"}},
		{reason: "notaccept", source: "Sisimai lhost/qmail.rb", phrases: []string{"sorry, i couldn't find a mail exchanger or ip address"}},
		{reason: "networkerror", source: "Sisimai lhost/qmail.rb", phrases: []string{"sorry, i wasn't able to establish an smtp connection", "sorry. although i'm listed as a best-preference mx or a for that host"}},
	},
	"DragonFly": {
		{reason: "expired", source: "Sisimai lhost/dragonfly.rb", phrases: []string{"could not deliver for the last "}},
		{reason: "hostunknown", source: "Sisimai lhost/dragonfly.rb", phrases: []string{"dns lookup failure: host "}},
	},
	"OpenSMTPD": {
		{reason: "expired", source: "Sisimai lhost/opensmtpd.rb", phrases: []string{"envelope expired"}},
		{reason: "hostunknown", source: "Sisimai lhost/opensmtpd.rb", phrases: []string{"invalid domain name", "domain does not exist"}},
		{reason: "notaccept", source: "Sisimai lhost/opensmtpd.rb", phrases: []string{"destination seem to reject all mails", "no mx found for domain", "no mx found for destination"}},
		{reason: "networkerror", source: "Sisimai lhost/opensmtpd.rb", phrases: []string{"address family mismatch on destination mxs", "all routes to destination blocked", "bad dns lookup error code", "could not retrieve source address", "loop detected", "network error on destination mxs", "no valid route to remote mx", "no valid route to destination", "temporary failure in mx lookup"}},
		{reason: "securityerror", source: "Sisimai lhost/opensmtpd.rb", phrases: []string{"could not retrieve credentials"}},
	},
	"MessageLabs": {
		{reason: "userunknown", source: "Sisimai lhost/messagelabs.rb", phrases: []string{" rejected", "no such user"}},
		{reason: "securityerror", source: "Sisimai lhost/messagelabs.rb", phrases: []string{"please turn on smtp authentication in your mail client"}},
	},
	"Aol": {
		{reason: "hostunknown", source: "Sisimai lhost/aol.rb", phrases: []string{"host or domain name not found"}},
		{reason: "notaccept", source: "Sisimai lhost/aol.rb", phrases: []string{"type=mx: malformed or unexpected name server reply"}},
	},
	"Gmail": {
		{reason: "expired", source: "Sisimai lhost/gmail.rb", phrases: []string{"dns error: could not contact dns servers", "delivery to the following recipient has been delayed", "the recipient server did not accept our requests to connect"}},
		{reason: "hostunknown", source: "Sisimai lhost/gmail.rb", phrases: []string{"dns error: domain name not found", "dns error: dns server returned answer with no data"}},
	},
	"GSuite": {
		{reason: "userunknown", source: "Sisimai lhost/gsuite.rb", phrases: []string{"because the address couldn't be found. check for typos or unnecessary spaces and try again."}},
		{reason: "networkerror", source: "Sisimai lhost/gsuite.rb", phrases: []string{" had no relevant answers.", " responded with code nxdomain"}},
	},
	"Domino": {
		{reason: "userunknown", source: "Sisimai lhost/domino.rb", phrases: []string{"not listed in domino directory", "not listed in public name & address book", "non répertorié dans l'annuaire domino", "no se encuentra en el directorio de domino", "domino ディレクトリには見つかりません"}},
		{reason: "filtered", source: "Sisimai lhost/domino.rb", phrases: []string{"cannot route mail to user"}},
		{reason: "systemerror", source: "Sisimai lhost/domino.rb", phrases: []string{"several matches found in domino directory"}},
	},
	"Notes": {
		{reason: "userunknown", source: "Sisimai lhost/notes.rb", phrases: []string{"user not listed in public name & address book", "ディレクトリのリストにありません"}},
		{reason: "networkerror", source: "Sisimai lhost/notes.rb", phrases: []string{"message has exceeded maximum hop count"}},
	},
	"Biglobe": {
		{reason: "filtered", source: "Sisimai lhost/biglobe.rb", phrases: []string{"mail delivery failed... user unknown"}},
		{reason: "mailboxfull", source: "Sisimai lhost/biglobe.rb", phrases: []string{"the number of messages in recipient's mailbox exceeded the local limit."}},
	},
	"Courier": {
		{reason: "hostunknown", source: "Sisimai lhost/courier.rb", phrases: []string{"no such domain."}},
		{reason: "systemerror", source: "Sisimai lhost/courier.rb", phrases: []string{"this domain's dns violates rfc 1035."}},
		{reason: "networkerror", source: "Sisimai lhost/courier.rb", phrases: []string{"dns lookup failed."}},
	},
	"Amavis": {
		{reason: "virusdetected", source: "Sisimai lhost/amavis.rb", phrases: []string{" - infected"}},
		{reason: "contenterror", source: "Sisimai lhost/amavis.rb", phrases: []string{" - bad header:"}},
		{reason: "exceedlimit", source: "Sisimai lhost/amavis.rb", phrases: []string{" - message size exceeds recipient"}},
		{reason: "systemerror", source: "Sisimai lhost/amavis.rb", phrases: []string{" - temporary mta failure on relaying", " - rejected by next-hop mta on relaying", " - unable to relay message back to mta"}},
	},
	"ReceivingSES": {
		{reason: "filtered", source: "Sisimai lhost/receivingses.rb", phrases: []string{"mailbox does not exist"}},
		{reason: "mesgtoobig", source: "Sisimai lhost/receivingses.rb", phrases: []string{"message too large"}},
		{reason: "mailboxfull", source: "Sisimai lhost/receivingses.rb", phrases: []string{"mailbox full"}},
		{reason: "contenterror", source: "Sisimai lhost/receivingses.rb", phrases: []string{"message content rejected"}},
	},
	"KDDI": {
		{reason: "mailboxfull", source: "Sisimai lhost/kddi.rb", phrases: []string{"as their mailbox is full"}},
		{reason: "norelaying", source: "Sisimai lhost/kddi.rb", phrases: []string{"due to the following smtp relay error"}},
		{reason: "hostunknown", source: "Sisimai lhost/kddi.rb", phrases: []string{"as the remote domain doesnt exist"}},
	},
	"EZweb": {
		{reason: "mailboxfull", source: "Sisimai lhost/ezweb.rb", phrases: []string{"the user(s) account is temporarily over quota"}},
		{reason: "suspend", source: "Sisimai lhost/ezweb.rb", phrases: []string{"the user(s) account is disabled.", "the user(s) account is temporarily limited."}},
		{reason: "expired", source: "Sisimai lhost/ezweb.rb", phrases: []string{"your message was not delivered within "}},
		{reason: "onhold", source: "Sisimai lhost/ezweb.rb", phrases: []string{"each of the following recipients was rejected by a remote mail server"}},
	},
	"EinsUndEins": {
		{reason: "mesgtoobig", source: "Sisimai lhost/einsundeins.rb", phrases: []string{"mail size limit exceeded"}},
	},
	"GMX": {
		{reason: "expired", source: "Sisimai lhost/gmx.rb", phrases: []string{"delivery retry timeout exceeded"}},
	},
	"IMailServer": {
		{reason: "hostunknown", source: "Sisimai lhost/imailserver.rb", phrases: []string{"unknown host"}},
		{reason: "userunknown", source: "Sisimai lhost/imailserver.rb", phrases: []string{"unknown user", "invalid final delivery userid"}},
		{reason: "mailboxfull", source: "Sisimai lhost/imailserver.rb", phrases: []string{"user mailbox exceeds allowed size"}},
		{reason: "virusdetected", source: "Sisimai lhost/imailserver.rb", phrases: []string{"requested action not taken: virus detected"}},
		{reason: "undefined", source: "Sisimai lhost/imailserver.rb", phrases: []string{"undeliverable to"}},
		{reason: "expired", source: "Sisimai lhost/imailserver.rb", phrases: []string{"delivery failed "}},
	},
	"Exchange2007": {
		{reason: "hostunknown", source: "Sisimai lhost/exchange2007.rb", phrases: []string{"smtpsend.dns.nonexistentdomain"}},
		{reason: "networkerror", source: "Sisimai lhost/exchange2007.rb", phrases: []string{"smtpsend.dns.mxloopback"}},
		{reason: "systemerror", source: "Sisimai lhost/exchange2007.rb", phrases: []string{"resolver.adr.badprimary", "resolver.adr.invalidinsmtp", "resolver.adr.ambiguous"}},
		{reason: "userunknown", source: "Sisimai lhost/exchange2007.rb", phrases: []string{"resolver.adr.recipnotfound", "resolver.adr.exrecipnotfound"}},
		{reason: "toomanyconn", source: "Sisimai lhost/exchange2007.rb", phrases: []string{"resolver.adr.reciplimit"}},
		{reason: "securityerror", source: "Sisimai lhost/exchange2007.rb", phrases: []string{"resolver.rst.authrequired"}},
		{reason: "rejected", source: "Sisimai lhost/exchange2007.rb", phrases: []string{"resolver.rst.notauthorized"}},
		{reason: "mesgtoobig", source: "Sisimai lhost/exchange2007.rb", phrases: []string{"resolver.rst.recipsizelimit"}},
		{reason: "expired", source: "Sisimai lhost/exchange2007.rb", phrases: []string{"queue.expired"}},
	},
	"Verizon": {
		{reason: "userunknown", source: "Sisimai lhost/verizon.rb", phrases: []string{"550 - requested action not taken: no such user here", "no valid recipients for this mm"}},
	},
	"InterScanMSS": {
		{reason: "userunknown", source: "Sisimai lhost/interscanmss.rb", phrases: []string{"unable to deliver"}},
	},
	"MessagingServer": {
		{reason: "hostunknown", source: "Sisimai lhost/messagingserver.rb", phrases: []string{"illegal host/domain name found"}},
	},
	"Zoho": {
		{reason: "expired", source: "Sisimai lhost/zoho.rb", phrases: []string{"host not reachable"}},
	},
	// Exchange 2000/2003's internal error codes (Sisimai
	// lhost/exchange2003.rb ErrorCodes).
	"Exchange2003": {
		{reason: "onhold", source: "Sisimai lhost/exchange2003.rb", phrases: []string{"000b099c", "000b09aa", "000b09b6"}},
		{reason: "userunknown", source: "Sisimai lhost/exchange2003.rb", phrases: []string{"000c05a6"}},
		{reason: "systemerror", source: "Sisimai lhost/exchange2003.rb", phrases: []string{"00010256", "000d06b5"}},
		{reason: "networkerror", source: "Sisimai lhost/exchange2003.rb", phrases: []string{"00120270"}},
		{reason: "contenterror", source: "Sisimai lhost/exchange2003.rb", phrases: []string{"00050311", "000502cc"}},
		{reason: "securityerror", source: "Sisimai lhost/exchange2003.rb", phrases: []string{"000b0981"}},
		{reason: "filtered", source: "Sisimai lhost/exchange2003.rb", phrases: []string{"000c0595"}},
	},
}

// eximVerdicts are Exim's own (lhost/exim.rb); Sisimai's Mail.Ru module
// repeats them.
var eximVerdicts = []known{
	{reason: "userunknown", source: "Sisimai lhost/exim.rb", phrases: []string{"user not found"}},
	{reason: "hostunknown", source: "Sisimai lhost/exim.rb", phrases: []string{"all host address lookups failed permanently", "all relevant mx records point to non-existent hosts", "unrouteable address"}},
	{reason: "mailboxfull", source: "Sisimai lhost/exim.rb", phrases: []string{"mailbox is full", "error: quota exceed"}},
	{reason: "notaccept", source: "Sisimai lhost/exim.rb", phrases: []string{"an mx or srv record indicated no smtp service", "no host found for existing smtp connection"}},
	{reason: "syntaxerror", source: "Sisimai lhost/exim.rb", phrases: []string{"angle-brackets nested too deep", "expected word or \"<\"", "domain missing in source-routed address", "malformed address:"}},
	{reason: "systemerror", source: "Sisimai lhost/exim.rb", phrases: []string{"delivery to file forbidden", "delivery to pipe forbidden", "local delivery failed", "lmtp error after "}},
	{reason: "contenterror", source: "Sisimai lhost/exim.rb", phrases: []string{"too many \"received\" headers"}},
}

// verdictEngines recognise the MTAs of engineVerdicts by the headers
// their Sisimai modules check first.
var verdictEngines = []engine{
	{"DragonFly", func(h mail.Header) bool {
		return strings.HasPrefix(h.Get("Subject"), "Mail delivery failed") && received(h, " (DragonFly Mail Agent")
	}},
	{"OpenSMTPD", func(h mail.Header) bool {
		return strings.HasPrefix(h.Get("Subject"), "Delivery status notification") && strings.HasPrefix(h.Get("From"), "Mailer Daemon <") &&
			received(h, " (OpenSMTPD) with ")
	}},
	{"MessageLabs", func(h mail.Header) bool {
		return h.Get("X-Msg-Ref") != "" && strings.Contains(h.Get("From"), "MAILER-DAEMON@messagelabs.com") &&
			strings.HasPrefix(h.Get("Subject"), "Mail Delivery Failure")
	}},
	{"Aol", func(h mail.Header) bool { return h.Get("X-AOL-IP") != "" }},
	{"GSuite", func(h mail.Header) bool {
		return strings.HasSuffix(h.Get("From"), "<mailer-daemon@googlemail.com>") &&
			strings.HasPrefix(h.Get("Subject"), "Delivery Status Notification") && h.Get("X-Gm-Message-State") != ""
	}},
	{"Gmail", func(h mail.Header) bool {
		return strings.HasSuffix(h.Get("From"), "<mailer-daemon@googlemail.com>") && strings.HasPrefix(h.Get("Subject"), "Delivery Status Notification")
	}},
	{"Domino", func(h mail.Header) bool {
		s := h.Get("Subject")
		return strings.HasPrefix(s, "DELIVERY FAILURE:") || strings.HasPrefix(s, "DELIVERY_FAILURE:")
	}},
	{"Notes", func(h mail.Header) bool { return strings.HasPrefix(h.Get("Subject"), "Undeliverable message") }},
	{"Biglobe", func(h mail.Header) bool {
		f := h.Get("From")
		return strings.Contains(f, "postmaster@") && strings.HasPrefix(h.Get("Subject"), "Returned mail:") &&
			slices.ContainsFunc([]string{"biglobe", "inacatv", "tmtv", "ttv"}, func(d string) bool { return strings.Contains(f, "@"+d+".ne.jp") })
	}},
	{"Courier", func(h mail.Header) bool {
		return strings.Contains(h.Get("From"), "Courier mail server at ") || strings.Contains(h.Get("Subject"), "NOTICE: mail delivery status.") ||
			strings.Contains(h.Get("Subject"), "WARNING: delayed mail.") || strings.HasPrefix(h.Get("Message-Id"), "<courier.")
	}},
	{"Amavis", func(h mail.Header) bool { return strings.HasPrefix(h.Get("From"), `"Content-filter at `) }},
	{"ReceivingSES", func(h mail.Header) bool { return h.Get("X-SES-Outgoing") != "" }},
	{"EinsUndEins", func(h mail.Header) bool {
		// 1&1 runs Exim, under its own daemon name (Sisimai lhost/einsundeins.rb)
		return strings.HasPrefix(h.Get("From"), `"Mail Delivery System"`) && h.Get("Subject") == "Mail delivery failed: returning message to sender"
	}},
	{"GMX", func(h mail.Header) bool { return h.Get("X-GMX-Antispam") != "" }},
	{"Zoho", func(h mail.Header) bool { return h.Get("X-ZohoMail") != "" }},
	{"IMailServer", func(h mail.Header) bool {
		return strings.HasPrefix(h.Get("Subject"), "Undeliverable Mail ") || strings.HasPrefix(h.Get("X-Mailer"), "<SMTP32 v")
	}},
	{"Office365", func(h mail.Header) bool {
		// two of: its subjects, its own headers, a Received line or a
		// Message-Id from its hosts (Sisimai lhost/office365.rb)
		marks := 0
		subject := decodeHeader(h.Get("Subject"))
		for _, s := range []string{"Undeliverable:", "Onbestelbaar:", "Não_entregue:", "Não entregue:"} {
			if strings.Contains(subject, s) {
				marks++
			}
		}
		for _, k := range []string{"X-Ms-Exchange-Message-Is-Ndr", "X-Microsoft-Antispam-Prvs", "X-Exchange-Antispam-Report-Test",
			"X-Exchange-Antispam-Report-Cfa-Test", "X-Ms-Exchange-Crosstenant-Originalarrivaltime",
			"X-Ms-Exchange-Crosstenant-Fromentityheader", "X-Ms-Exchange-Transport-Crosstenantheadersstamped"} {
			if h.Get(k) != "" {
				marks++
			}
		}
		if slices.ContainsFunc(h["Received"], office365Host.MatchString) {
			marks++
		}
		if office365Host.MatchString(h.Get("Message-Id")) {
			marks++
		}
		return marks >= 2
	}},
	{"Exchange2007", func(h mail.Header) bool {
		// one of its subjects and a Content-Language, and none of
		// Microsoft 365's own headers (Sisimai lhost/exchange2007.rb)
		subject, lang := h.Get("Subject"), h.Get("Content-Language")
		return (strings.HasPrefix(subject, "Undeliverable") || strings.HasPrefix(subject, "Non_remis_") || strings.HasPrefix(subject, "Non recapitabile")) &&
			(len(lang) == 2 || len(lang) == 5) && h.Get("X-Ms-Exchange-Crosstenant-Originalarrivaltime") == "" &&
			h.Get("X-Ms-Exchange-Crosstenant-Fromentityheader") == ""
	}},
	{"Verizon", func(h mail.Header) bool {
		// its vtext.com or vzwpix.com gateways (Sisimai lhost/verizon.rb)
		from := h.Get("From")
		return received(h, ".vtext.com (") && (from == "post_master@vtext.com" || strings.HasPrefix(from, "sysadmin@") && strings.Contains(from, ".vzwpix.com"))
	}},
	{"InterScanMSS", func(h mail.Header) bool {
		// Trend Micro InterScan Messaging Security Suite: its daemon's
		// names, or one of its subjects (Sisimai lhost/interscanmss.rb)
		from, subject := h.Get("From"), decodeHeader(h.Get("Subject"))
		return strings.HasPrefix(from, `"InterScan MSS"`) || strings.HasPrefix(from, `"InterScan Notification"`) ||
			slices.Contains([]string{"Mail could not be delivered", "メッセージを配信できません。", "メール配信に失敗しました"}, subject)
	}},
	{"MessagingServer", func(h mail.Header) bool {
		// Oracle (Sun) Communications Messaging Server
		return strings.Contains(h.Get("Content-Type"), "Boundary_(ID_") || strings.HasPrefix(h.Get("Subject"), "Delivery Notification: ")
	}},
	{"Exchange2003", func(h mail.Header) bool {
		// X-MS-Embedded-Report, its Internet Mail Service or connector in
		// X-Mailer or Received, or X-MimeOLE
		x := h.Get("X-Mailer")
		return h["X-Ms-Embedded-Report"] != nil || strings.HasPrefix(x, "Internet Mail Service (") ||
			strings.HasPrefix(x, "Microsoft Exchange Server Internet Mail Connector") ||
			strings.HasPrefix(h.Get("X-MimeOLE"), "Produced By Microsoft Exchange") || received(h, " with Internet Mail Service (")
	}},
	{"Exim", func(h mail.Header) bool {
		// two of: its daemon's name, its Message-Id (<E1P1YNN-0003AD-Ga@…>),
		// one of its subjects; not Mail.Ru's Exim, which has its own module
		from, id, subject := h.Get("From"), h.Get("Message-Id"), h.Get("Subject")
		if strings.Contains(from, ".mail.ru") {
			return false
		}
		marks := 0
		if strings.HasPrefix(strings.Trim(from, `"`), "Mail Delivery System") {
			marks++
		}
		if strings.HasPrefix(id, "<") && strings.Index(id, "-") == 8 && strings.Index(id, "@") == 18 {
			marks++
		}
		if slices.ContainsFunc([]string{"Mail delivery failed", "Mail failure", "Message frozen", "Warning: message ", "error(s) in forwarding or filtering"},
			func(s string) bool { return strings.Contains(subject, s) }) {
			marks++
		}
		return marks >= 2
	}},
	{"MailRu", func(h mail.Header) bool {
		from, id := strings.ToLower(h.Get("From")), strings.ToLower(h.Get("Message-Id"))
		return strings.Contains(from, "mailer-daemon@") && strings.Contains(from, "mail.ru") ||
			strings.HasSuffix(id, ".mail.ru>") || strings.HasSuffix(id, "smailru.net>")
	}},
	{"Outlook", func(h mail.Header) bool {
		// two of: its subject, its X-Message-Delivery and X-Message-Info
		// headers, a Received line from .hotmail.com
		marks := 0
		for _, ok := range []bool{strings.HasPrefix(h.Get("Subject"), "Delivery Status Notification"),
			h.Get("X-Message-Delivery") != "", h.Get("X-Message-Info") != "", received(h, ".hotmail.com")} {
			if ok {
				marks++
			}
		}
		return marks >= 2
	}},
	{"Qmail", func(h mail.Header) bool {
		// "Received: (qmail 12345 invoked for bounce)", or "... invoked
		// from network", and qmail's own subject
		return h.Get("Subject") == "failure notice" || slices.ContainsFunc(h["Received"], func(r string) bool {
			i := strings.Index(r, "(qmail ")
			return i >= 0 && (strings.Contains(r[i:], "invoked for bounce)") || strings.Contains(r[i:], "invoked from ") && strings.Contains(r[i:], "network)"))
		})
	}},
	{"EZweb", func(h mail.Header) bool {
		// two of: its postmaster, its subject, its Received lines, its
		// Message-Id (Sisimai lhost/ezweb.rb)
		from, id := h.Get("From"), h.Get("Message-Id")
		marks := 0
		for _, ok := range []bool{strings.Contains(from, "Postmaster@ezweb.ne.jp"), strings.Contains(from, "Postmaster@au.com"),
			h.Get("Subject") == "Mail System Error - Returned Mail", received(h, "ezweb.ne.jp (EZweb Mail) with"), received(h, ".au.com ("),
			strings.HasSuffix(id, ".ezweb.ne.jp>") || strings.HasSuffix(id, ".au.com>")} {
			if ok {
				marks++
			}
		}
		return marks >= 2
	}},
	{"KDDI", func(h mail.Header) bool {
		return h.Get("Reply-To") == "no-reply@app.auone-net.jp" || received(h, "ezweb.ne.jp (") || received(h, ".au.com (")
	}},
}

// office365Host is a host of Microsoft 365's (Sisimai lhost/office365.rb).
var office365Host = regexp.MustCompile(`.+\.(?:outbound\.protection|prod)\.outlook\.com\b`)

func received(h mail.Header, s string) bool {
	return slices.ContainsFunc(h["Received"], func(r string) bool { return strings.Contains(r, s) })
}

// statusVerdicts are an MTA's verdicts by the enhanced status code it
// reports: Microsoft 365's (Sisimai lhost/office365.rb StatusList, from
// Microsoft's "Email non-delivery reports in Exchange Online").
var statusVerdicts = sync.OnceValue(func() map[string][]statusVerdict {
	return map[string][]statusVerdict{
		"Office365": {
			{regexp.MustCompile(`^4\.4\.7$`), "expired"}, {regexp.MustCompile(`^4\.4\.312$`), "networkerror"},
			{regexp.MustCompile(`^4\.4\.316$`), "expired"}, {regexp.MustCompile(`^4\.7\.26$`), "authfailure"},
			{regexp.MustCompile(`^4\.7\.[56]\d\d$`), "blocked"}, {regexp.MustCompile(`^4\.7\.8[5-9]\d$`), "blocked"},
			{regexp.MustCompile(`^5\.0\.350$`), "contenterror"}, {regexp.MustCompile(`^5\.1\.10$`), "userunknown"},
			{regexp.MustCompile(`^5\.4\.1$`), "norelaying"}, {regexp.MustCompile(`^5\.4\.312$`), "networkerror"},
			{regexp.MustCompile(`^5\.4\.316$`), "expired"}, {regexp.MustCompile(`^5\.4\.6$`), "networkerror"},
			{regexp.MustCompile(`^5\.6\.11$`), "contenterror"}, {regexp.MustCompile(`^5\.7\.1$`), "rejected"},
			{regexp.MustCompile(`^5\.7\.1[23]$`), "rejected"}, {regexp.MustCompile(`^5\.7\.124$`), "rejected"},
			{regexp.MustCompile(`^5\.7\.13[3-6]$`), "rejected"}, {regexp.MustCompile(`^5\.7\.23$`), "authfailure"},
			{regexp.MustCompile(`^5\.7\.25$`), "networkerror"}, {regexp.MustCompile(`^5\.7\.50[1-3]$`), "spamdetected"},
			{regexp.MustCompile(`^5\.7\.50[4-5]$`), "filtered"}, {regexp.MustCompile(`^5\.7\.50[6-7]$`), "blocked"},
			{regexp.MustCompile(`^5\.7\.508$`), "toomanyconn"}, {regexp.MustCompile(`^5\.7\.509$`), "authfailure"},
			{regexp.MustCompile(`^5\.7\.510$`), "notaccept"}, {regexp.MustCompile(`^5\.7\.511$`), "rejected"},
			{regexp.MustCompile(`^5\.7\.512$`), "authfailure"}, {regexp.MustCompile(`^5\.7\.57$`), "securityerror"},
			{regexp.MustCompile(`^5\.7\.60[6-9]$`), "blocked"}, {regexp.MustCompile(`^5\.7\.6[1-4]\d$`), "blocked"},
			{regexp.MustCompile(`^5\.7\.7[0-4]\d$`), "toomanyconn"},
		},
	}
})

// statusVerdict is an MTA's reason for the statuses a pattern matches.
type statusVerdict struct {
	status *regexp.Regexp
	reason string
}

// headerVerdicts are an MTA's verdicts for a whole bounce, read from its
// headers.
var headerVerdicts = map[string]func(mail.Header) string{
	// au's spam filter marks what it refused "X-SPASIGN: NG" (Sisimai
	// lhost/ezweb.rb).
	"EZweb": func(h mail.Header) string {
		if h.Get("X-SPASIGN") == "NG" {
			return "filtered"
		}
		return ""
	},
}

// engineVerdict applies the verdicts of the MTA that wrote the bounce
// (name) to each recipient whose diagnostic holds one of its phrases or
// whose status it names, and its verdict for the whole bounce.
func engineVerdict(name string, h mail.Header, rs []Recipient) {
	if read := headerVerdicts[name]; read != nil {
		if r := read(h); r != "" {
			for i := range rs {
				rs[i].Reason = r
			}
			return
		}
	}
	for i, r := range rs {
		if r.Reason == "userunknown" && addressStatus(r.Enhanced) {
			continue // RFC 3463 X.1.x names the bad address itself
		}
		if e, ok := ParseEnhanced(r.Enhanced); ok && decisive[subjectDetail(e)] == r.Reason {
			continue // a status that names its reason whatever the words (classify.go)
		}
		t := folded(r.Diagnostic)
		verdict := ""
		for _, k := range engineVerdicts[name] {
			if k.matches(t) {
				verdict = k.reason
				break
			}
		}
		for _, v := range statusVerdicts()[name] {
			if verdict == "" && v.status.MatchString(r.Enhanced) {
				verdict = v.reason
			}
		}
		if verdict != "" {
			rs[i].Reason = verdict
			if sisimaiRetried[verdict] {
				rs[i].Reason = sisimaiRecheck(verdict, r.Enhanced, t)
			}
		}
	}
}

// sisimaiFirstOrder is the order in which Sisimai checks a verdict of one
// of its "retry" reasons again (lib/sisimai/reason.rb ClassOrder[0], each
// reason's true()).
var sisimaiFirstOrder = []string{"mailboxfull", "mesgtoobig", "exceedlimit", "suspend", "hasmoved", "norelaying",
	"authfailure", "userunknown", "filtered", "requireptr", "notcompliantrfc", "badreputation", "rejected",
	"hostunknown", "spamdetected", "speeding", "toomanyconn", "blocked"}

// sisimaiRecheck is an MTA's verdict of a "retry" reason checked again as
// Sisimai does (reason.rb get, then anotherone): the first reason of
// sisimaiFirstOrder that is the verdict, that the status code names or
// whose sourced lists (sisimailists.go, knowledge.go) hold the folded
// diagnostic; the verdict itself when none does.
func sisimaiRecheck(verdict, enhanced, lower string) string {
	e, ok := ParseEnhanced(enhanced)
	status := ""
	if ok {
		status = byStatus[subjectDetail(e)]
	}
	for _, reason := range sisimaiFirstOrder {
		// each reason's true() accepts the verdict itself first
		if status == reason || verdict == reason {
			return reason
		}
		for _, lists := range [][]known{sisimaiLists, knowledge} {
			for _, k := range lists {
				if k.reason == reason && k.matches(lower) {
					return reason
				}
			}
		}
	}
	return verdict
}
