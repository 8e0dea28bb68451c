package explain

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestEveryRequiredCodeIsExplained(t *testing.T) {
	for _, code := range []int{421, 450, 451, 452, 454, 530, 535, 550, 551, 552, 553, 554} {
		info, known := Code(code)
		if !known || info.Meaning == "" || info.Action == "" || info.Ref == "" {
			t.Errorf("%d: %+v", code, info)
		}
	}
	for d := 0; d <= 30; d++ {
		if info, ok := LookupEnhanced(Enhanced{5, 7, d}); !ok || info.Meaning == "" || info.Ref == "" {
			t.Errorf("5.7.%d: %+v", d, info)
		}
	}
}

func TestExplain(t *testing.T) {
	for in, want := range map[string]string{
		"550":    "550 means the mailbox is unavailable",
		"5.7.26": "5.7.26 means multiple authentication checks failed",
		"4.2.2":  "4.2.2 means the mailbox is full (transient",
		"550-5.1.1 The email account that you tried to reach does not exist":                                                      "550 5.1.1 means bad destination mailbox address",
		"Nov 22 host postfix/smtp[1]: to=<a@b>, status=bounced (host x said: 554 5.7.1 Service unavailable; client host blocked)": "554 5.7.1 means delivery not authorized",
		"421 4.7.0 [TSS04] Messages temporarily deferred":                                                                         "421 4.7.0 means other or undefined security status (transient",
		"550 6.1.1 bogus enhanced": "550 means",
		"5.9.99":                   "5.9.99 means",
	} {
		r, err := Explain(in)
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if got := r.Sentence(); !strings.HasPrefix(got, want) && !strings.Contains(got, want) {
			t.Errorf("%q:\n got %q\nwant %q", in, got, want)
		}
	}
	for _, bad := range []string{"", "hello", "600", "1.2.3", "5.1", "abc 550x"} {
		if _, err := Explain(bad); err == nil {
			t.Errorf("%q should not be explained", bad)
		}
	}
}

func FuzzExplain(f *testing.F) {
	for _, s := range []string{"550", "5.7.26", "550-5.1.1 x", "421 4.7.0 y", "said: 554 5.7.1 z", "", "999", "5.999.999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		r, err := Explain(in)
		if err != nil {
			return
		}
		if r.Meaning == "" || r.Ref == "" || r.Code != 0 && (r.Code < 200 || r.Code > 559) {
			t.Fatalf("%q: incomplete explanation %+v", in, r)
		}
		_ = r.Sentence()
	})
}

func TestParseBounceDSN(t *testing.T) {
	msg := "From MAILER-DAEMON Sun Nov 22 10:00:00 2026\r\n" +
		"From: Mail Delivery System <MAILER-DAEMON@mx.example.test>\r\nTo: alice@example.org\r\nSubject: Undelivered Mail Returned to Sender\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n" +
		"--B\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nI'm sorry to have to inform you that your message could not be delivered.\r\n\r\n" +
		"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.test\r\n\r\n" +
		"Final-Recipient: rfc822; bob@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\nRemote-MTA: dns; mx.example.net\r\n" +
		"Diagnostic-Code: smtp; 550 5.1.1 <bob@example.net>: Recipient address rejected:\r\n    User unknown in local recipient table\r\n\r\n" +
		"Final-Recipient: rfc822; carol@example.net\r\nAction: failed\r\nStatus: 5.2.2\r\nDiagnostic-Code: smtp; 552 5.2.2 Mailbox full\r\n\r\n" +
		"--B\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: alice@example.org\r\nTo: bob@example.net\r\n\r\n--B--\r\n"
	b, err := ParseBounce([]byte(msg))
	if err != nil || b.Kind != "dsn" || len(b.Recipients) != 2 {
		t.Fatalf("%v %+v", err, b)
	}
	bob, carol := b.Recipients[0], b.Recipients[1]
	if bob.Address != "bob@example.net" || bob.Reason != "userunknown" || bob.Code != 550 || bob.Enhanced != "5.1.1" || !bob.Permanent ||
		!strings.Contains(bob.Diagnostic, "local recipient table") || bob.RemoteMTA != "mx.example.net" {
		t.Errorf("bob: %+v", bob)
	}
	if carol.Reason != "mailboxfull" || carol.Code != 552 {
		t.Errorf("carol: %+v", carol)
	}
	r, err := Analyze(msg)
	if err != nil || r.Reason != "userunknown" || len(r.Recipients) != 2 || r.Code != 550 {
		t.Errorf("Analyze: %v %+v", err, r)
	}
}

func TestNotABounce(t *testing.T) {
	for _, in := range []string{"Subject: hello\n\nJust a note.\n", "garbage", ""} {
		if _, err := Analyze(in); err == nil {
			t.Errorf("%q explained", in)
		}
	}
}

// FuzzParseBounce: any input is a bounce with recipients that all have a
// reason, or ErrNotABounce; never a panic.
func FuzzParseBounce(f *testing.F) {
	f.Add([]byte("From: MAILER-DAEMON@x\nSubject: failure notice\n\n<a@b.example>: 550 user unknown\n"))
	f.Add([]byte("Content-Type: multipart/report; boundary=b\n\n--b\nContent-Type: message/delivery-status\n\nFinal-Recipient: rfc822; a@b.example\nStatus: \nAction: failed\n--b--\n"))
	f.Add([]byte("Content-Type: multipart/report; boundary=b\n\n--b\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\n--b--\n"))
	f.Add([]byte("From: MAILER-DAEMON@x\nSubject: failure\n\nFrom MAILER-DAEMON Thu\nFrom: MAILER-DAEMON@y\nSubject: failure\n\na@b.example: 550 no\n"))
	f.Add([]byte("From: MAILER-DAEMON@x\n\npreamble\n--B\n\ntext\n--B\nContent-Type: message/delivery-status\n\nFinal-Recipient: rfc822; a@b.example\n--B--\n"))
	// Classic Mac line endings, a base64 part without padding, a lost boundary.
	f.Add([]byte("From: MAILER-DAEMON@x\rSubject: failure notice\r\r<a@b.example>: 550 user unknown\r"))
	f.Add([]byte("Content-Type: multipart/report; boundary=b\n\n--b\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\nNTUwIHVzZXIgdW5rbm93bg\n--b--\n"))
	f.Add([]byte("From: MAILER-DAEMON@x\n\n--lost\nContent-Type: text/plain\n\n550 5.1.1 no\n--lost--\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		b, err := ParseBounce(in)
		if err != nil {
			return
		}
		for _, r := range b.Recipients {
			if r.Reason == "" {
				t.Fatalf("%q: a recipient without a reason: %+v", in, r)
			}
		}
	})
}

// The big receivers' wording is recognised, with its own reason and fix.
func TestReceivers(t *testing.T) {
	for in, want := range map[string]string{
		"550-5.7.26 Unauthenticated email from example.com is not accepted due to domain's DMARC policy":                                                                          "Gmail authfailure",
		"550-5.7.1 Our system has detected that this message is likely unsolicited mail":                                                                                          "Gmail spamdetected",
		"450-4.2.1 The user you are trying to contact is receiving mail too quickly":                                                                                              "Gmail speeding",
		"550-5.7.25 The IP address sending this message does not have a PTR record setup":                                                                                         "Gmail requireptr",
		"550-5.1.1 The email account that you tried to reach does not exist":                                                                                                      "Gmail userunknown",
		"550 5.7.1 Unfortunately, messages from [192.0.2.1] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150)": "Microsoft blocked",
		"550 5.4.1 Recipient address rejected: Access denied. AS(201806281)":                                                                                                      "Microsoft userunknown",
		"451 4.7.650 The mail server [192.0.2.1] has been temporarily rate limited due to IP reputation":                                                                          "Microsoft badreputation",
		"421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume or user complaints":                                                              "Yahoo badreputation",
		"554 5.7.9 Message not accepted for policy reasons":                                                                                                                       "Yahoo policyviolation",
		"554 5.7.1 [CS01] Message rejected due to local policy":                                                                                                                   "Apple iCloud policyviolation",
		"550 5.7.0 Blocked - see https://ipcheck.proofpoint.com/?ip=192.0.2.1":                                                                                                    "Proofpoint blocked",
		"550 Rejected by header based Anti-Spoofing policy":                                                                                                                       "Mimecast policyviolation",
		"554 Service unavailable; Client host [192.0.2.1] blocked using Barracuda Reputation":                                                                                     "Barracuda blocked",
		"554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org":                                                                                   "Spamhaus blocked",
		"450 4.7.1 Client host rejected: cannot find your hostname, [192.0.2.1]":                                                                                                  "Postfix requireptr",
		"550 5.1.1 <x@example.test>: Recipient address rejected: User unknown in local recipient table":                                                                           "Postfix userunknown",
		"550 Verification failed for <a@example.test>: Unrouteable address":                                                                                                       "Exim rejected",
	} {
		r, err := Analyze(in)
		if err != nil || r.Receiver == nil {
			t.Errorf("%q: not recognised (%v)", in, err)
			continue
		}
		if got := r.Receiver.Name + " " + r.Reason; got != want || r.Receiver.Fix == "" {
			t.Errorf("%q: %s, want %s", in, got, want)
		}
	}
}

func TestAmazonSESNotifications(t *testing.T) {
	inner := `{"notificationType":"Bounce","bounce":{"bounceType":"Permanent","bouncedRecipients":[{"emailAddress":"Bob@Example.net","action":"failed","status":"5.1.1","diagnosticCode":"smtp; 550 5.1.1 user unknown"}],"reportingMTA":"dsn; a1.smtp-out.amazonses.com"}}`
	outer, _ := json.Marshal(map[string]string{"Type": "Notification", "Message": inner})
	msg := "From: no-reply@sns.amazonaws.com\nSubject: AWS Notification Message\nContent-Type: text/plain\n\n" + string(outer) + "\n\n--\nIf you wish to stop receiving notifications, unsubscribe.\n"
	b, err := ParseBounce([]byte(msg))
	if err != nil || b.Kind != "ses" || len(b.Recipients) != 1 {
		t.Fatalf("%v %+v", err, b)
	}
	if r := b.Recipients[0]; r.Address != "bob@example.net" || r.Reason != "userunknown" || r.Code != 550 || !r.Permanent {
		t.Errorf("%+v", r)
	}
	complaint := "From: no-reply@sns.amazonaws.com\nSubject: AWS Notification Message\n\n" +
		`{"notificationType":"Complaint","complaint":{"complainedRecipients":[{"emailAddress":"carol@example.net"}],"complaintFeedbackType":"abuse"}}` + "\n"
	b, err = ParseBounce([]byte(complaint))
	if err != nil || b.Recipients[0].Reason != "feedback" || b.Recipients[0].Address != "carol@example.net" {
		t.Fatalf("complaint: %v %+v", err, b)
	}
}

// A bounce whose text names no recipient takes it from the returned message.
func TestRecipientFromTheReturnedMessage(t *testing.T) {
	msg := "From: Mail Delivery Subsystem <mailer-daemon@example.test>\nTo: alice@example.org\nSubject: Delivery Status Notification (Failure)\n\n" +
		"Hello alice@example.org,\nThe group you tried to contact may not exist, or you may not have permission to post messages to the group.\n\n" +
		"----- Original message -----\nFrom: alice@example.org\nTo: team@groups.example.test\nSubject: hi\n\nhello\n"
	b, err := ParseBounce([]byte(msg))
	if err != nil || len(b.Recipients) != 1 || b.Recipients[0].Address != "team@groups.example.test" || b.Recipients[0].Reason != "rejected" {
		t.Fatalf("%v %+v", err, b)
	}
}

// A provider's own wording is read as that provider means it only in a
// bounce about that provider (Sisimai rhost.rb gates its tables the same
// way): au's "550 : User unknown" is a reception filter at au, and a
// missing mailbox anywhere else.
func TestProviderWordingNeedsTheProvider(t *testing.T) {
	const bounce = "From: MAILER-DAEMON@%[1]s\r\nSubject: Mail delivery failed\r\n\r\n" +
		"This message was created automatically by mail delivery software.\r\n\r\n" +
		"  user@%[1]s\r\n    SMTP error from remote mail server after RCPT TO:<user@%[1]s>:\r\n    550 : User unknown\r\n"
	for domain, want := range map[string]string{"ezweb.ne.jp": "filtered", "example.org": "userunknown"} {
		b, err := ParseBounce([]byte(fmt.Sprintf(bounce, domain)))
		if err != nil || len(b.Recipients) != 1 {
			t.Fatalf("%s: %v %+v", domain, err, b)
		}
		if got := b.Recipients[0].Reason; got != want {
			t.Errorf("%s: %s, want %s", domain, got, want)
		}
	}
	for name := range providerHosts {
		found := false
		for _, r := range receivers() {
			found = found || r.Name == name
		}
		if !found {
			t.Errorf("providerHosts names %q, which has no wording", name)
		}
	}
}

// Every list of sourced wording says where it comes from, and reads.
func TestKnowledgeIsSourced(t *testing.T) {
	lists := slices.Concat(knowledge, sisimaiLists, coxMessages, godaddyMessages, docomoMessages)
	for _, vs := range engineVerdicts {
		lists = append(lists, vs...)
	}
	for _, p := range providerPhrases {
		if rhostGates[p.provider] == nil {
			t.Errorf("%s: no rhostGates entry gates its wording", p.provider)
		}
		lists = append(lists, p.lists...)
	}
	for _, k := range lists {
		if k.source == "" || !slices.Contains(Reasons, k.reason) {
			t.Errorf("%s: source %q", k.reason, k.source)
		}
		// The lists are matched against folded (lower case) text.
		for _, p := range slices.Concat(k.phrases, slices.Concat(pairWords(k.pairs)...)) {
			if p != strings.ToLower(p) {
				t.Errorf("%s (%s): %q can never match: the text it is matched against is lower case", k.reason, k.source, p)
			}
		}
	}
	for _, m := range googleMessages {
		if !slices.Contains(Reasons, m.reason) {
			t.Errorf("Google %s %s: %s", m.code, m.status, m.reason)
		}
		if m.phrase != strings.ToLower(m.phrase) {
			t.Errorf("%q can never match: the reply is matched in lower case", m.phrase)
		}
	}
	for _, m := range mimecastMessages {
		if !slices.Contains(Reasons, m.reason) {
			t.Errorf("Mimecast %d: %s", m.code, m.reason)
		}
		if m.phrase != strings.ToLower(m.phrase) {
			t.Errorf("%q can never match: the reply is matched in lower case", m.phrase)
		}
	}
	for _, m := range microsoftMessages {
		if !slices.Contains(Reasons, m.reason) {
			t.Errorf("Microsoft %s: %s", m.status, m.reason)
		}
		if m.phrase != strings.ToLower(m.phrase) {
			t.Errorf("%q can never match: the reply is matched in lower case", m.phrase)
		}
	}
	for in, want := range map[string]string{
		"550 5.7.1 Service permits 2 unverifyable sending IPs":                   "requireptr",
		"421 4.7.0 Too many concurrent SMTP connections; please try again later": "toomanyconn",
		"452 4.3.1 Mail system full":                                             "systemfull",
		"550 5.7.1 Bad SPF records for [example.org:192.0.2.1]":                  "authfailure",
	} {
		if got := Classify(0, "", in); got != want {
			t.Errorf("%q: %s, want %s", in, got, want)
		}
	}
}

func pairWords(pairs [][2]string) [][]string {
	var out [][]string
	for _, p := range pairs {
		out = append(out, p[:])
	}
	return out
}
