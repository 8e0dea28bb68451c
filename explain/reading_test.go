package explain

import (
	"strings"
	"testing"
)

// bounce builds a message from its header lines and body, LF line endings.
func bounce(headers, body string) []byte {
	return []byte(strings.TrimSpace(headers) + "\n\n" + body)
}

const daemon = `From: Mail Delivery System <MAILER-DAEMON@mx.example.net>
To: sender@example.org
Subject: Undelivered Mail Returned to Sender`

// TestReadingNonStandardBounces covers how recipients and their words are
// found in bounces without a delivery-status part, one way of writing them
// per case.
func TestReadingNonStandardBounces(t *testing.T) {
	for _, c := range []struct {
		name, raw string
		want      []Recipient // address, reason (and code when set)
	}{
		{"exim: the sender in MAIL FROM is not a recipient", string(bounce(daemon, `A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  rcpt@example.com
    host mx.example.com [192.0.2.1]
    SMTP error from remote mail server after MAIL FROM:<sender@other.example> SIZE=100:
    554 5.7.1 Reverse DNS lookup for host 192.0.2.9 failed permanently.
`)), []Recipient{{Address: "rcpt@example.com", Code: 554, Enhanced: "5.7.1", Reason: "requireptr"}}},

		{"sendmail: each recipient with its own session", string(bounce(daemon, `   ----- Transcript of session follows -----
While talking to mx.one.example:
>>> MAIL From:<sender@example.org>
<<< 554 5.7.1 Service unavailable; Client host [192.0.2.55] blocked using zen.example
554 <a@one.example>... Service unavailable
While talking to mx.two.example:
>>> RCPT To:<b@two.example>
<<< 550 <b@two.example>... User unknown
550 <b@two.example>... User unknown

   ----- Unsent message follows -----
`)), []Recipient{{Address: "a@one.example", Reason: "blocked"}, {Address: "b@two.example", Reason: "userunknown"}}},

		// Sendmail (savemail.c) begins its report with this line, after
		// the MIME preamble; the copy of the message comes only after the
		// transcript.
		{"sendmail: the preamble does not end the report", string(bounce(daemon, `This is a MIME-encapsulated message

The original message was received at Mon, 1 Jan 2024 10:00:00 +0900
from localhost [127.0.0.1]

   ----- The following addresses had permanent fatal errors -----
<a@example.net>

   ----- Transcript of session follows -----
... while talking to mx.example.net.:
>>> RCPT To:<a@example.net>
<<< 550 5.2.2 <a@example.net>... Mailbox full
`)), []Recipient{{Address: "a@example.net", Reason: "mailboxfull"}}},

		// A refusal at the connection is "blocked", unless a source's own
		// sentence names why (Sisimai reason/requireptr.rb).
		{"exim: refused at the connection for its reverse DNS", string(bounce(daemon, `The following address(es) failed:

  rcpt@example.com
    host mx.example.com [192.0.2.1]
    SMTP error from remote mail server after initial connection:
    554 5.7.1 This system will not accept messages from servers/devices with no reverse DNS
`)), []Recipient{{Address: "rcpt@example.com", Code: 554, Reason: "requireptr"}}},
		{"exim: refused at the connection", string(bounce(daemon, `The following address(es) failed:

  rcpt@example.com
    host mx.example.com [192.0.2.1]
    SMTP error from remote mail server after initial connection:
    554 5.7.1 Access denied
`)), []Recipient{{Address: "rcpt@example.com", Code: 554, Reason: "blocked"}}},

		{"quoted header fields of the original are not recipients", string(bounce(daemon, `This report relates to a message you sent with the following header fields:

  Message-id: <id@example.org>
  To: someone@example.org

Your message cannot be delivered to the following recipients:

  Recipient address: c@example.net
  Reason: Remote SMTP server has rejected address
  Diagnostic code: smtp; 550 5.1.1 <c@example.net>: unknown user
`)), []Recipient{{Address: "c@example.net", Enhanced: "5.1.1", Reason: "userunknown"}}},

		{"a bare transient reply in a final report expired", string(bounce(daemon, `This is a permanent error.

d@example.jp Error, ERROR_CODE :421, ERROR_CODE :, Host not reachable.
`)), []Recipient{{Address: "d@example.jp", Code: 421, Reason: "expired"}}},

		{"a forwarded bounce is read through", string(bounce(`From: MAILER-DAEMON@relay.example.jp
To: admin@example.jp
Subject: Undelivered Mail Returned to Sender`, `The following is the error message.

From MAILER-DAEMON  Thu Apr 29 23:34:45 2025
From: MAILER-DAEMON@inner.example.jp
To: sender@example.org
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

<e@example.com>: host mx.example.com refused to talk to me: 421 Service not available

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; inner.example.jp

Final-Recipient: rfc822; e@example.com
Action: failed
Status: 4.0.0
Diagnostic-Code: X-Postfix; host mx.example.com refused to talk to me: 421 Service not available

--B--
`)), []Recipient{{Address: "e@example.com", Reason: "blocked"}}},

		{"a multipart whose Content-Type was lost", string(bounce(`From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.jp>
To: f@example.jp
Subject: Returned mail: see transcript for details`, `This is a MIME-encapsulated message

--XYZ.1/mx.example.jp

f... Deferred: Connection refused by [192.0.2.1]
Message could not be delivered for 5 days

--XYZ.1/mx.example.jp
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.jp

Final-Recipient: RFC822; f@example.jp
Action: failed
Status: 4.4.7

--XYZ.1/mx.example.jp--
`)), []Recipient{{Address: "f@example.jp", Enhanced: "4.4.7", Reason: "expired"}}},

		{"a bounce known only by its words", string(bounce(`From: no-reply@example.ne.jp
To: g@example.jp
Subject: Mail`, `Your mail sent on: Thu, 29 Apr 2025 00:00:00 +0900
     Could not be delivered to: <h@example.ne.jp>
     As their mailbox is full.
`)), []Recipient{{Address: "h@example.ne.jp", Reason: "mailboxfull"}}},

		{"a mailing list refusing a post", string(bounce(`From: list-admin@example.org
To: poster@example.com
Subject: You are not member (cats ML)
X-MLServer: fml [fml 4.0.3]`, `You are not a member of this mailing list <cats@example.org>.
`)), []Recipient{{Address: "cats@example.org", Reason: "rejected"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, err := ParseBounce([]byte(c.raw))
			if err != nil {
				t.Fatal(err)
			}
			if len(b.Recipients) != len(c.want) {
				t.Fatalf("%d recipients, want %d: %+v", len(b.Recipients), len(c.want), b.Recipients)
			}
			for i, w := range c.want {
				g := b.Recipients[i]
				if g.Address != w.Address || g.Reason != w.Reason || w.Code != 0 && g.Code != w.Code || w.Enhanced != "" && g.Enhanced != w.Enhanced {
					t.Errorf("#%d: got %s %d %s %s, want %s %d %s %s", i+1, g.Address, g.Code, g.Enhanced, g.Reason, w.Address, w.Code, w.Enhanced, w.Reason)
				}
			}
		})
	}
}

// dsn wraps per-recipient fields and a notification into an RFC 3464 report.
func dsn(notification, fields string) []byte {
	return bounce(daemon+`
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"`, "--B\nContent-Type: text/plain\n\n"+notification+
		"\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n"+fields+"\n--B--\n")
}

// TestReadingDeliveryStatus covers the rules that read a DSN's fields.
func TestReadingDeliveryStatus(t *testing.T) {
	for _, c := range []struct {
		name, notification, fields string
		enhanced, reason           string
	}{
		{"RFC 3464 §2.3.6: an X-Unix diagnostic is a local program's exit status", "", "Final-Recipient: rfc822; a@example.net\nAction: failed\nStatus: 4.3.0\nDiagnostic-Code: x-unix; temporary failure", "4.3.0", "mailererror"},
		{"a delay with no stated reason", "", "Final-Recipient: rfc822; a@example.net\nAction: delayed\nStatus: 4.4.0", "4.4.0", "expired"},
		{"the notification's own line about a recipient", "a@example.net: No MX found for domain", "Final-Recipient: rfc822; a@example.net\nAction: delayed\nStatus: 4.0.0", "4.0.0", "notaccept"},
		{"the remote server's enhanced code over a relay's summary", "", "Final-Recipient: rfc822; a@example.net\nAction: failed\nStatus: 5.1.0\nDiagnostic-Code: smtp; 5.1.0 - Unknown address error 550-'5.7.1 <x@example.com>... Access denied'", "5.7.1", "securityerror"},
		{"RFC 3463 X.4.7 with the actual problem named", "a@example.net... Deferred: Name server: example.net.: host name lookup failure", "Final-Recipient: rfc822; a@example.net\nAction: failed\nStatus: 4.4.7", "4.4.7", "networkerror"},
		{"X.4.7 after refused connections is an expiry", "a@example.net... Deferred: Connection refused by mx.example.net.", "Final-Recipient: rfc822; a@example.net\nAction: failed\nStatus: 4.4.7", "4.4.7", "expired"},
		{"user unknown with a policy status, not at RCPT, is a filter", "", "Final-Recipient: rfc822; a@example.net\nAction: failed\nStatus: 5.7.1\nDiagnostic-Code: smtp; 550 5.7.1 550 User Unknown: a@example.net", "5.7.1", "filtered"},
		{"user unknown refused at RCPT stays unknown", "<a@example.net>: host mx said: 550 5.2.1 <a@example.net>... User Unknown (in reply to RCPT TO command)", "Final-Recipient: rfc822; a@example.net\nAction: failed\nStatus: 5.2.1\nDiagnostic-Code: smtp; 550 5.2.1 <a@example.net>... User Unknown", "5.2.1", "userunknown"},
		{"au (KDDI): no address in the reply is the reception filter", "", "Final-Recipient: rfc822; a@ezweb.ne.jp\nAction: failed\nStatus: 5.0.0\nDiagnostic-Code: smtp; 550 : User unknown", "5.0.0", "filtered"},
		{"au (KDDI): the address in the reply is an unknown user", "", "Final-Recipient: rfc822; a@ezweb.ne.jp\nAction: failed\nStatus: 5.0.0\nDiagnostic-Code: smtp; 550 <a@ezweb.ne.jp>: User unknown", "5.0.0", "userunknown"},
		{"Orange numbers its refusals", "", "Final-Recipient: rfc822; a@orange.fr\nAction: failed\nStatus: 5.0.0\nDiagnostic-Code: smtp; 550 5.5.0 Adresse destinataire invalide. Invalid recipient. LPN007_416", "5.5.0", "userunknown"},
		{"RFC 5322 §3.2.2: a comment in Status", "", "Final-Recipient: rfc822; a@example.net\nAction: failed\nStatus: (from the relay) 5.2.2 (over quota)", "5.2.2", "mailboxfull"},
		{"an MTA's Action: expired", "", "Final-Recipient: rfc822; a@example.net\nAction: expired\nStatus: 4.0.0", "4.0.0", "expired"},
		{"a greeting that turns into a refusal", "", "Final-Recipient: rfc822; a@laposte.net\nAction: failed\nStatus: 4.0.0\nDiagnostic-Code: smtp; 220-laposte 421 4.2.1 Service refuse. Service refused, please try later. LPN006_107", "4.2.1", "blocked"},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, err := ParseBounce(dsn(c.notification, c.fields))
			if err != nil {
				t.Fatal(err)
			}
			if len(b.Recipients) != 1 {
				t.Fatalf("%+v", b.Recipients)
			}
			if r := b.Recipients[0]; r.Enhanced != c.enhanced || r.Reason != c.reason {
				t.Errorf("got %s %s, want %s %s", r.Enhanced, r.Reason, c.enhanced, c.reason)
			}
		})
	}
}

func TestAppleUnsubscribeIsFeedback(t *testing.T) {
	b, err := ParseBounce(bounce(`From: someone@icloud.example
To: opt-out-1@example.org
Subject: unsubscribe
Auto-Submitted: auto-replied
X-Apple-Unsubscribe: true`, "Apple Mail sent this email to unsubscribe.\n"))
	if err != nil || b.Kind != "feedback" || b.Recipients[0].Reason != "feedback" || b.Recipients[0].Address != "someone@icloud.example" {
		t.Fatalf("%+v %v", b, err)
	}
}

// A DSN whose MIME delimiters are indented, and one that a postmaster
// forwarded as an attachment, are read as DSNs.
func TestReadingWrappedReports(t *testing.T) {
	dsn := func(indent string) string {
		return "From: MAILER-DAEMON@example.org\r\nSubject: Undelivered Mail\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n" +
			indent + "--b\r\nContent-Type: text/plain\r\n\r\nfailed\r\n" + indent + "--b\r\nContent-Type: message/delivery-status\r\n\r\n" +
			"Reporting-MTA: dns; mx.example.org\r\n\r\nFinal-Recipient: rfc822; a@example.net\r\nAction: failed\r\nStatus: 5.2.2\r\n" + indent + "--b--\r\n"
	}
	forwarded := "From: postmaster@example.com\r\nSubject: Fwd: Undelivered Mail\r\nContent-Type: multipart/mixed; boundary=\"o\"\r\n\r\n--o\r\n" +
		"Content-Type: text/plain\r\n\r\nsee attached\r\n--o\r\nContent-Type: message/rfc822\r\n\r\n" + dsn("") + "\r\n--o--\r\n"
	for name, in := range map[string]string{"indented delimiters": dsn("  "), "tab-indented": dsn("\t"), "forwarded as an attachment": forwarded} {
		b, err := ParseBounce([]byte(in))
		if err != nil || b.Kind != "dsn" || len(b.Recipients) != 1 || b.Recipients[0].Address != "a@example.net" || b.Recipients[0].Reason != "mailboxfull" {
			t.Errorf("%s: %+v, %v", name, b, err)
		}
	}
}
