package explain

import (
	"maps"
	"net/mail"
	"slices"
	"testing"
)

// An MTA's own verdicts apply to the bounces it wrote, recognised by the
// headers Sisimai's module for it checks; to anyone else's, they do not.
func TestEngineVerdicts(t *testing.T) {
	dragonfly := mail.Header{"Subject": {"Mail delivery failed"}, "Received": {"from x by mx.example (DragonFly Mail Agent v0.13); ..."}}
	other := mail.Header{"Subject": {"Mail delivery failed"}, "Received": {"from x by mx.example (Postfix); ..."}}
	for _, tc := range []struct {
		h    mail.Header
		want string
	}{{dragonfly, "hostunknown"}, {other, "undefined"}} {
		rs := []Recipient{{Diagnostic: "DNS lookup failure: host\n   mx.nowhere.example", Reason: "undefined"}}
		engineVerdict(reportingMTA(tc.h), tc.h, rs)
		if rs[0].Reason != tc.want {
			t.Errorf("%v: %s, want %s", tc.h["Received"], rs[0].Reason, tc.want)
		}
	}
	// qmail's own words name the reason; a retried one yields to a
	// specific reason already found (Sisimai reason.rb).
	qmail := mail.Header{"Subject": {"failure notice"}}
	rs := []Recipient{
		{Diagnostic: "Sorry, no mailbox here by that name. (#5.1.1)", Reason: "onhold"},
		{Diagnostic: "Unable to deliver: mailbox is full", Reason: "mailboxfull"},
	}
	engineVerdict(reportingMTA(qmail), qmail, rs)
	if rs[0].Reason != "userunknown" || rs[1].Reason != "mailboxfull" {
		t.Errorf("qmail: %s, %s", rs[0].Reason, rs[1].Reason)
	}
	x1 := mail.Header{"Subject": {"Returned Mail: User unknown"}, "From": {`"Mail Deliver System" <MAILER-DAEMON@x.example>`}}
	if reportingMTA(x1) != "X1" || reportingMTA(other) != "" {
		t.Errorf("plain engines: %q %q", reportingMTA(x1), reportingMTA(other))
	}
	// Sisimai's general rule (reason/userunknown.rb, filtered.rb): an
	// unknown user said at no named step or at DATA, with no X.1.x
	// status, is a filter's refusal.
	for _, c := range []struct{ enhanced, cmd, want string }{
		{"", "", "filtered"}, {"5.0.0", "DATA", "filtered"}, {"5.1.1", "", "userunknown"}, {"", "RCPT", "userunknown"},
	} {
		if got := refine("userunknown", c.enhanced, c.cmd, c.cmd != "", ""); got != c.want {
			t.Errorf("user unknown, status %q at %q: %s, want %s", c.enhanced, c.cmd, got, c.want)
		}
	}
}

// Every MTA with verdicts can be recognised.
func TestEveryEngineIsRecognisable(t *testing.T) {
	for name := range engineVerdicts {
		found := false
		for _, e := range verdictEngines {
			found = found || e.name == name
		}
		if !found {
			t.Errorf("%s has verdicts but no recogniser", name)
		}
	}
	// and every recogniser has its place in Sisimai's order
	for _, e := range slices.Concat(plainEngines, verdictEngines) {
		if !slices.Contains(sisimaiOrder.rest, e.name) && !slices.ContainsFunc(slices.Collect(maps.Values(sisimaiOrder.subject)), func(names []string) bool { return slices.Contains(names, e.name) }) {
			t.Errorf("%s is in no place of Sisimai's order", e.name)
		}
	}
	for key, want := range map[string]string{
		"Mail delivery failed: returning message to sender": "mail-delivery",
		"Undelivered Mail Returned to Sender":               "undelivered-mail",
		"Returned mail: see transcript for details":         "returned-mail",
		"failure notice":                                "failure-notice",
		"Undeliverable: RE: Waiver":                     "undeliverable",
		"[Spam] Delivery Status Notification (Failure)": "spam-delivery",
	} {
		if got := subjectKey(key); got != want {
			t.Errorf("subjectKey(%q) = %q, want %q", key, got, want)
		}
	}
}

// A verdict of one of Sisimai's "retry" reasons is checked again as
// Sisimai's reason.rb does: by the status code's reason and the sourced
// lists, not by the classifier's own rules.
func TestRetriedVerdictsAreCheckedAgain(t *testing.T) {
	gsuite := mail.Header{"From": {"Mail Delivery Subsystem <mailer-daemon@googlemail.com>"},
		"Subject": {"Delivery Status Notification (Failure)"}, "X-Gm-Message-State": {"x"}}
	rs := []Recipient{
		// the words' rule read "domain name not found" as hostunknown
		{Diagnostic: "DNS Error: 1234 DNS type 'mx' lookup of example.jp responded with code NXDOMAIN Domain name not found: example.jp", Enhanced: "4.0.0", Reason: "hostunknown"},
		// the status names a reason Sisimai tries first
		{Diagnostic: "DNS Error: lookup of example.jp responded with code NXDOMAIN", Enhanced: "5.2.2", Reason: "hostunknown"},
	}
	engineVerdict(reportingMTA(gsuite), gsuite, rs)
	if rs[0].Reason != "networkerror" || rs[1].Reason != "mailboxfull" {
		t.Errorf("GSuite: %s, %s", rs[0].Reason, rs[1].Reason)
	}

	imail := mail.Header{"Subject": {"Undeliverable Mail "}, "X-Mailer": {"<SMTP32 v8.22>"}}
	rs = []Recipient{{Diagnostic: "Invalid final delivery userid: kijitora", Reason: "onhold"}}
	engineVerdict(reportingMTA(imail), imail, rs)
	if rs[0].Reason != "userunknown" {
		t.Errorf("IMail: %s", rs[0].Reason)
	}
	rs = []Recipient{{Diagnostic: "Invalid final delivery userid: kijitora", Reason: "onhold"}}
	postfix := mail.Header{"Subject": {"Undelivered Mail Returned to Sender"}}
	engineVerdict(reportingMTA(postfix), postfix, rs)
	if rs[0].Reason != "onhold" {
		t.Errorf("IMail's words applied to another MTA's bounce: %s", rs[0].Reason)
	}

	ezweb := mail.Header{"From": {"Postmaster@ezweb.ne.jp"}, "Subject": {"Mail System Error - Returned Mail"}, "X-Spasign": {"NG"}}
	rs = []Recipient{{Diagnostic: "550 refused", Reason: "userunknown"}}
	engineVerdict(reportingMTA(ezweb), ezweb, rs)
	if rs[0].Reason != "filtered" {
		t.Errorf("EZweb X-SPASIGN: NG: %s", rs[0].Reason)
	}
}

// PowerMTA's bounce category and InterScan's own report name their
// reasons (Sisimai lhost/powermta.rb, interscanmss.rb).
func TestPowerMTAAndInterScan(t *testing.T) {
	pmta := "From: postmaster@mta.example.org\r\nSubject: Delivery report\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mta.example.org\r\n\r\nFinal-Recipient: rfc822; a@example.net\r\nAction: failed\r\nStatus: 5.0.0\r\nX-PowerMTA-BounceCategory: quota-issues\r\nDiagnostic-Code: smtp; 552 refused\r\n--b--\r\n"
	if b, err := ParseBounce([]byte(pmta)); err != nil || b.Recipients[0].Reason != "mailboxfull" {
		t.Errorf("PowerMTA: %+v %v", b, err)
	}
	isms := mail.Header{"From": {`"InterScan MSS" <postmaster@example.jp>`}, "Subject": {"Mail could not be delivered"}}
	rs := []Recipient{{Diagnostic: "Unable to deliver message to <a@example.jp>", Reason: "onhold"}}
	engineVerdict(reportingMTA(isms), isms, rs)
	if rs[0].Reason != "userunknown" {
		t.Errorf("InterScan: %s (%s)", rs[0].Reason, reportingMTA(isms))
	}
}

// Microsoft 365's status table and Exchange 2007's NDR codes name their
// reasons for the bounces those wrote; a status that names its own reason
// (RFC 3463 X.2.3) stands (Sisimai lhost/office365.rb, exchange2007.rb).
func TestMicrosoftVerdicts(t *testing.T) {
	o365 := mail.Header{"Subject": {"Undeliverable: hello"}, "X-Ms-Exchange-Message-Is-Ndr": {""}, "X-Microsoft-Antispam-Prvs": {"<x@example.prod.outlook.com>"}}
	rs := []Recipient{{Diagnostic: "Remote Server returned '550 5.7.510 Access denied'", Enhanced: "5.7.510", Reason: "securityerror"}}
	engineVerdict(reportingMTA(o365), o365, rs)
	if rs[0].Reason != "notaccept" {
		t.Errorf("Office365 5.7.510: %s (%s)", rs[0].Reason, reportingMTA(o365))
	}
	ex := mail.Header{"Subject": {"Undeliverable: hello"}, "Content-Language": {"en-US"}}
	rs = []Recipient{
		{Diagnostic: "#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##", Enhanced: "5.1.1", Reason: "onhold"},
		{Diagnostic: "#550 5.2.3 RESOLVER.RST.RecipSizeLimit; message too large for this recipient ##", Enhanced: "5.2.3", Reason: "exceedlimit"},
		{Diagnostic: "#550 4.4.7 QUEUE.Expired; message expired ##", Enhanced: "4.4.7", Reason: "onhold"},
	}
	engineVerdict(reportingMTA(ex), ex, rs)
	if rs[0].Reason != "userunknown" || rs[1].Reason != "exceedlimit" || rs[2].Reason != "expired" {
		t.Errorf("Exchange2007 (%s): %s %s %s", reportingMTA(ex), rs[0].Reason, rs[1].Reason, rs[2].Reason)
	}
}

// Two recipients with the same diagnostic are read apart when one is at a
// provider whose own codes apply (the verdict cache keys on every gate).
func TestSameDiagnosticOtherProvider(t *testing.T) {
	dsn := "From: MAILER-DAEMON@example.org\r\nSubject: Undelivered Mail\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.org\r\n\r\n" +
		"Final-Recipient: rfc822; a@example.net\r\nAction: failed\r\nStatus: 5.0.0\r\nDiagnostic-Code: smtp; 554 5.0.0 rejected - see AUP#CXBL\r\n\r\n" +
		"Final-Recipient: rfc822; b@cox.net\r\nAction: failed\r\nStatus: 5.0.0\r\nDiagnostic-Code: smtp; 554 5.0.0 rejected - see AUP#CXBL\r\n--b--\r\n"
	b, err := ParseBounce([]byte(dsn))
	if err != nil || len(b.Recipients) != 2 || b.Recipients[1].Reason != "blocked" || b.Recipients[0].Reason == "blocked" {
		t.Errorf("%+v %v", b, err)
	}
}
