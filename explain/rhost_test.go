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
		if got := providerMessage(tc.code, tc.enhanced, tc.reply, tc.scope); got != tc.want {
			t.Errorf("%d %s at %s: %q, want %q", tc.code, tc.enhanced, tc.scope, got, tc.want)
		}
	}
}
