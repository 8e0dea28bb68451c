package explain

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

// dsnWith builds a delivery-status bounce with n recipients and an
// attachment of attach bytes in the returned message.
func dsnWith(n, attach int) string {
	var b strings.Builder
	b.WriteString("From: MAILER-DAEMON@mx.example.test\nTo: a@b.test\nSubject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n" +
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\nThe mail system could not deliver your message.\n\n" +
		"--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.test\n")
	for i := range n {
		fmt.Fprintf(&b, "\nFinal-Recipient: rfc822; user%d@c.test\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 no such user\n", i)
	}
	b.WriteString("\n--B\nContent-Type: message/rfc822\n\nFrom: a@b.test\nTo: user0@c.test\nSubject: hi\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"C\"\n\n--C\nContent-Type: text/plain\n\nhello\n")
	if attach > 0 {
		raw := make([]byte, attach*3/4)
		rand.Read(raw)
		b.WriteString("--C\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n")
		enc := base64.StdEncoding.EncodeToString(raw)
		for len(enc) > 76 {
			b.WriteString(enc[:76] + "\n")
			enc = enc[76:]
		}
		b.WriteString(enc + "\n")
	}
	b.WriteString("--C--\n\n--B--\n")
	return b.String()
}

// Every recipient of a DSN is read, however many (the delivery-status
// part is not cut at the text limit).
func TestEveryDSNRecipientIsRead(t *testing.T) {
	n := 100000
	if testing.Short() {
		n = 20000
	}
	b, err := ParseBounce([]byte(dsnWith(n, 0)))
	if err != nil || len(b.Recipients) != n {
		t.Fatalf("%d recipients, want %d (%v)", len(b.Recipients), n, err)
	}
	if last := b.Recipients[n-1]; last.Address != fmt.Sprintf("user%d@c.test", n-1) || last.Reason != "userunknown" {
		t.Errorf("last recipient %+v", last)
	}
}

// Any line ending reads the same: CRLF, LF, or classic Mac CR.
func TestLineEndingsReadTheSame(t *testing.T) {
	lf := dsnWith(3, 600)
	want, err := Analyze(lf)
	if err != nil || len(want.Recipients) != 3 {
		t.Fatalf("%+v %v", want, err)
	}
	for name, in := range map[string]string{"CRLF": strings.ReplaceAll(lf, "\n", "\r\n"), "CR": strings.ReplaceAll(lf, "\n", "\r")} {
		got, err := Analyze(in)
		if err != nil || fmt.Sprint(got.Recipients) != fmt.Sprint(want.Recipients) || got.Bounce.Kind != want.Bounce.Kind {
			t.Errorf("%s: %+v %v", name, got, err)
		}
	}
}

// BenchmarkAnalyzeSize shows time linear in the input: a bounce whose
// returned message carries an attachment of 1, 8 and 64 MB.
func BenchmarkAnalyzeSize(b *testing.B) {
	for _, mb := range []int{1, 8, 60} {
		in := dsnWith(2, mb<<20)
		b.Run(fmt.Sprintf("%dMB", mb), func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				if _, err := Analyze(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAnalyzeReplyLines: a pasted log of reply lines.
func BenchmarkAnalyzeReplyLines(b *testing.B) {
	for _, mb := range []int{1, 8} {
		in := strings.Repeat("550 5.1.1 <user@example.test>: Recipient address rejected: User unknown in virtual mailbox table\n", (mb<<20)/97)
		b.Run(fmt.Sprintf("%dMB", mb), func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				if _, err := Analyze(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// A bounce that gives no reply or status code is a failure of unknown
// kind, never "success".
func TestBounceWithoutCodeIsNoSuccess(t *testing.T) {
	r, err := Analyze("From: MAILER-DAEMON@x.test\nTo: a@b.test\nSubject: Undelivered Mail Returned to Sender\n\nI could not deliver your message to <bob@c.test>.\n")
	if err != nil || r.Bounce == nil {
		t.Fatalf("%+v %v", r, err)
	}
	if r.Kind() == "success" || r.Class() != 0 || r.Meaning == "" || !strings.Contains(r.Kind(), "unknown") {
		t.Errorf("kind %q meaning %q", r.Kind(), r.Meaning)
	}
}

// textBounceWith is a non-standard bounce listing n recipients, each with
// a distinct reply, after a long preamble.
func textBounceWith(n int, preamble string) string {
	var b strings.Builder
	b.WriteString("From: MAILER-DAEMON@mx.example.test\nSubject: Undelivered Mail Returned to Sender\n\n" + preamble +
		"The following addresses had permanent fatal errors:\n")
	for i := range n {
		fmt.Fprintf(&b, "<user%d@c.test>\n    550 5.1.1 no mailbox numbered %d here\n", i, i)
	}
	return b.String()
}

// A recipient of a bounce that lists many is read from its own lines and
// the words before the list, at most wideLimit of them: not from the other
// recipients' lines (that made reading n recipients cost n times the
// bounce, and let one recipient's words name another's reason).
func TestManyRecipientsAreReadFromTheirOwnLines(t *testing.T) {
	in := textBounceWith(3, "") + "<last@c.test>\n    552 mailbox is full\n"
	b, err := ParseBounce([]byte(in))
	if err != nil || len(b.Recipients) != 4 {
		t.Fatalf("%+v %v", b, err)
	}
	for _, r := range b.Recipients[:3] {
		if r.Reason != "userunknown" {
			t.Errorf("%s: %s, read from another recipient's words", r.Address, r.Reason)
		}
	}
	if r := b.Recipients[3]; r.Reason != "mailboxfull" {
		t.Errorf("%s: %s", r.Address, r.Reason)
	}
	long := strings.Repeat("This report is about the message you sent.\n", 2*wideLimit/43)
	if w := bounded(long); len(w) > wideLimit || !strings.HasSuffix(w, "sent.") {
		t.Errorf("bounded: %d bytes, ends %q", len(w), w[max(0, len(w)-10):])
	}
}

// BenchmarkTextBounceRecipients: time per recipient stays flat as the
// bounce lists more of them, each with its own reply, after a 64 KB
// preamble.
func BenchmarkTextBounceRecipients(b *testing.B) {
	preamble := strings.Repeat("Your message could not be delivered to the recipients below.\n", 64<<10/61)
	for _, n := range []int{100, 1000, 10000} {
		in := textBounceWith(n, preamble)
		b.Run(fmt.Sprintf("%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				if _, err := Analyze(in); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*n), "µs/recipient")
		})
	}
}

// BenchmarkLongWords: a text bounce of 8 MB of prose, one 8 MB line, and
// a DSN whose Diagnostic-Code is 40 MB; each text the rules read is at
// most wideLimit long, so the time is the time to read the input (it was
// 46 s for the 8 MB text, and more for the others).
func BenchmarkLongWords(b *testing.B) {
	prose := strings.Repeat("lorem ipsum dolor sit amet consectetur adipiscing elit\n", 8<<20/55)
	for name, in := range map[string]string{
		"8MB-text": "From: MAILER-DAEMON@example.org\nSubject: Undelivered Mail Returned to Sender\n\n<a@example.net>: 550 refused\n" + prose,
		"8MB-line": "From: MAILER-DAEMON@example.org\nSubject: Undelivered Mail Returned to Sender\n\n<a@example.net>: 550 refused " +
			strings.ReplaceAll(prose, "\n", " ") + "\n",
		"40MB-diagnostic": "From: MAILER-DAEMON@example.org\nSubject: Undelivered Mail\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n" +
			"--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx\n\nFinal-Recipient: rfc822; a@example.net\nAction: failed\nStatus: 5.0.0\n" +
			"Diagnostic-Code: smtp; 550 " + strings.Repeat(strings.ReplaceAll(prose, "\n", " "), 5) + "\n--b--\n",
	} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				if _, err := Analyze(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
