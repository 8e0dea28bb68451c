package explain

import "testing"

// Google's and Microsoft's documented messages name their reasons, but
// only when the reply is theirs (Sisimai rhost/google.rb, microsoft.rb).
func TestProviderMessages(t *testing.T) {
	for _, tc := range []struct {
		code            int
		enhanced, reply string
		scope, want     string
	}{
		{550, "5.7.26", "550-5.7.26 This mail has been blocked because the sender is unauthenticated. Gmail requires all senders to authenticate with either SPF or DKIM.", "aspmx.l.google.com", "authfailure"},
		// the 4xx form of the same message is the same message
		{421, "4.7.26", "421-4.7.26 This mail has been rate limited because it is unauthenticated. Gmail requires all\n senders to authenticate with either SPF or DKIM.", "gmail-smtp-in.l.google.com", "authfailure"},
		{550, "5.7.26", "550-5.7.26 Gmail requires all senders to authenticate with either SPF or DKIM.", "mx.example.net", ""},
		{550, "5.1.10", "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup", "example-com.mail.protection.outlook.com", "userunknown"},
		{550, "5.1.10", "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup", "mail.example.org", ""},
		{550, "", "550 RecipientNotFound", "outlook.com", ""},
		{553, "5.7.1", "553 5.7.1 [BL21] Connections will not be accepted from 192.0.2.25, because the ip is in Spamhaus's list; see http://postmaster.yahoo.com/550-bl23.html", "mta5.am0.yahoodns.net", "blocked"},
		{553, "5.7.1", "553 5.7.1 [BL21] Connections will not be accepted from 192.0.2.25, because the ip is in Spamhaus's list", "mx.example.net", ""},
		{550, "5.7.1", "550 5.7.1 Mail is rejected by recipients", "mx3.qq.com", "rejected"},
		{550, "5.7.1", "550 Local CT IP Reputation - (reject) - https://community.mimecast.com/docs/DOC-1369#550", "us-smtp-inbound-1.mimecast.com", "badreputation"},
	} {
		if got := providerMessage(tc.code, tc.enhanced, tc.reply, namedIn(tc.scope)); got != tc.want {
			t.Errorf("%d %s at %s: %q, want %q", tc.code, tc.enhanced, tc.scope, got, tc.want)
		}
	}
}

// The receivers that put codes of their own in their replies: the code
// names the reason, at their hosts only (Sisimai rhost/cox.rb, godaddy.rb,
// spectrum.rb, iua.rb, nttdocomo.rb).
func TestProviderCodes(t *testing.T) {
	for _, tc := range []struct {
		enhanced, cmd, reply, scope, want string
	}{
		{"5.7.1", "", "554 5.7.1 192.0.2.1 rejected - see https://www.cox.com/aup AUP#CXBL", "cdptpa-smtpin01.mail.cox.net", "blocked"},
		{"5.7.1", "", "554 5.7.1 192.0.2.1 rejected - see https://www.cox.com/aup AUP#CXBL", "mx.example.net", ""},
		{"", "", "550 recipient rejected", "@cox.net", "userunknown"},
		{"", "", "550 This IP has sent too many to too many recipients this hour. IB607", "p3plibsmtp01.mailstore1.secureserver.net", "speeding"},
		{"", "", "554 5.7.1 ... AUP#In-1225 blocked", "mx.charter.net", "blocked"},
		{"", "", "550 5.7.1 Mailbox unavailable. http://mail.i.ua/err/2/", "mx.email.ua", "userunknown"},
		{"5.0.0", "RCPT", "550 Unknown user", "mfsmax.docomo.ne.jp", "userunknown"},
		{"5.0.0", "DATA", "550 refused", "@docomo.ne.jp", "rejected"},
		{"5.0.0", "DATA", "550 refused", "mx.example.jp", ""},
	} {
		if got := providerCode(tc.enhanced, tc.cmd, tc.reply, namedIn(tc.scope)); got != tc.want {
			t.Errorf("%q at %s: %q, want %q", tc.reply, tc.scope, got, tc.want)
		}
	}
}
