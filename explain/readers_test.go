package explain

import "testing"

// TestCommandOfTheRefusal reads the SMTP command a refusal answered from
// the words each MTA writes for it.
func TestCommandOfTheRefusal(t *testing.T) {
	for _, c := range []struct{ name, text, want string }{
		{"Postfix smtp_proto.c", "host mx.example.net[192.0.2.1] said: 550 5.1.1 <a@example.net>: User unknown (in reply to RCPT TO command)", "RCPT"},
		{"Postfix, end of DATA", "said: 554 5.7.1 Rejected (in reply to end of DATA command)", "DATA"},
		{"Exim transports/smtp.c", "SMTP error from remote mail server after RCPT TO:<a@example.net>:\n    550 5.1.1 unknown", "RCPT"},
		{"Exim, pipelined", "SMTP error from remote mail server after pipelined MAIL FROM:<s@example.org> SIZE=1234:\n    550 sender rejected", "MAIL"},
		{"Exim, the greeting", "SMTP error from remote mail server after initial connection:\n    554 5.7.1 Access denied", "CONN"},
		{"Exim, a timeout", "SMTP timeout after end of data (1234 bytes written)", "DATA"},
		{"qmail-remote HELO", "Connected to 192.0.2.1 but my name was rejected.\nRemote host said: 501 bad HELO", "HELO"},
		{"qmail-remote MAIL", "Connected to 192.0.2.1 but sender was rejected.\nRemote host said: 553 sorry", "MAIL"},
		{"qmail-remote RCPT", "192.0.2.1 does not like recipient.\nRemote host said: 550 no mailbox here by that name", "RCPT"},
		{"qmail-remote DATA", "192.0.2.1 failed after I sent the message.\nRemote host said: 554 spam", "DATA"},
		{"qmail-remote greeting", "Connected to 192.0.2.1 but greeting failed.\nRemote host said: 421 busy", "CONN"},
		{"Gmail state 14", "The error that the other server returned was: 550 550 5.1.1 <a@example.net>... User Unknown (state 14).", "RCPT"},
		{"Gmail, a state it does not name", "550 5.7.1 refused (state 99).", ""},
		{"Sendmail transcript", "... while talking to mx.example.net.:\n>>> DATA\n<<< 554 5.7.1 Message refused\n", "DATA"},
		{"Sendmail, the last command before the refusal", ">>> MAIL From:<s@example.org>\n<<< 250 ok\n>>> RCPT To:<a@example.net>\n<<< 550 5.1.1 unknown\n", "RCPT"},
		{"a greeting turned refusal", "220-mx.example.net 554 5.7.1 go away", "CONN"},
		{"nothing said", "550 5.1.1 User unknown", ""},
	} {
		if got := command(c.text); got != c.want {
			t.Errorf("%s: command %q, want %q", c.name, got, c.want)
		}
	}
}

// TestRecipientsCarryTheCommand: the command found is part of each
// recipient's record, in a DSN and in a text bounce.
func TestRecipientsCarryTheCommand(t *testing.T) {
	dsn := "From: MAILER-DAEMON@example.org\r\nSubject: Undelivered Mail\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nfailed\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.org\r\n\r\nFinal-Recipient: rfc822; a@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 <a@example.net>: User unknown (in reply to RCPT TO command)\r\n--b--\r\n"
	b, err := ParseBounce([]byte(dsn))
	if err != nil || len(b.Recipients) != 1 || b.Recipients[0].Command != "RCPT" {
		t.Fatalf("dsn: %+v, %v", b, err)
	}
}

// The recipient a bounce is about, as the reader finds it.
func TestRecipientAddresses(t *testing.T) {
	for _, c := range []struct{ line, want string }{
		{"The following message, addressed to 'userx@example.uk',", "userx@example.uk"},
		{"it's o'brien@example.ie here", "o'brien@example.ie"},
		{"c=US;a= ;p=IKON;o=Nexus2;dda:SMTP=userx@example.com; on Fri", "userx@example.com"},
	} {
		loc := addrPattern.FindStringIndex(c.line)
		if got := bareAddress(c.line, loc); got != c.want {
			t.Errorf("%q: %q, want %q", c.line, got, c.want)
		}
	}
	// RFC 3464 §2.3.2: the sender's address when the final one is not an
	// Internet address.
	dsn := func(final string) string {
		return "From: postmaster@example.org\r\nSubject: Delivery Report (failure)\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.org\r\n\r\nOriginal-Recipient: rfc822; a@example.net\r\nFinal-Recipient: " + final + "\r\nAction: failed\r\nStatus: 5.1.1\r\n--b--\r\n"
	}
	for final, want := range map[string]string{
		"x400; /S=a/OU=example/PRMD=NET/ADMD= /C=GB/": "a@example.net",
		"rfc822;a@sims-ms-daemon":                     "a@example.net",
		"rfc822; A@mail.example.net":                  "a@mail.example.net",
		"rfc822;@relay.example.net:a@server":          "a@example.net", // an RFC 5321 source route
		`rfc822; "a..b"@mail.example.net`:             `"a..b"@mail.example.net`,
	} {
		b, err := ParseBounce([]byte(dsn(final)))
		if err != nil || len(b.Recipients) != 1 || b.Recipients[0].Address != want {
			t.Errorf("Final-Recipient: %s: %+v, %v; want %s", final, b, err, want)
		}
	}
	// RFC 3834: the mailbox that answered is the one the reply is about.
	auto := "From: Kiji Tora <kijitora@example.jp>\r\nTo: sender@example.org\r\nSubject: Auto: out of office\r\nAuto-Submitted: auto-replied\r\n\r\nI am away.\r\n"
	if b, err := ParseBounce([]byte(auto)); err != nil || b.Kind != "autoreply" || b.Recipients[0].Address != "kijitora@example.jp" {
		t.Errorf("auto-reply: %+v, %v", b, err)
	}
}

// The remote MTA a text bounce names, in each MTA's words.
func TestRemoteHost(t *testing.T) {
	for text, want := range map[string]string{
		"<a@example.net>: host mx.example.net[192.0.2.1] said: 550 5.1.1 unknown (in reply to RCPT TO command)":      "mx.example.net",
		"<a@example.net>: connect to mx.example.net[192.0.2.1]:25: Connection refused":                               "mx.example.net",
		"  a@example.net\n    host MX.example.net [192.0.2.1]\n    SMTP error from remote mail server after RCPT TO": "mx.example.net",
		"... while talking to mx.example.net.:\n>>> RCPT To:<a@example.net>":                                         "mx.example.net",
		"Connected to 192.0.2.1 but sender was rejected.\nRemote host said: 553 sorry":                               "192.0.2.1",
		"192.0.2.2 does not like recipient.\nRemote host said: 550 no mailbox here":                                  "192.0.2.2",
		"550 5.1.1 User unknown": "",
	} {
		if got := remoteHost(text); got != want {
			t.Errorf("%q: %q, want %q", text, got, want)
		}
	}
}
