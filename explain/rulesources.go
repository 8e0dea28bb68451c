// The sources of the rules' phrases that are not one of Sisimai's own
// phrases for the same reason (sisimailists.go, knowledge.go, engines.go
// cite those): the reply texts of the standards, the MTAs' sources and the
// system's error messages that MTAs quote. Each key is one alternative of
// a rule in classify.go, as written there; TestAuditRules holds every
// alternative to a source and every source here to a live alternative.
//
// Where a wording's source gives it a different reason than a rule did,
// the rule went, not the source (Courier's "DNS lookup failed." is a
// network error in Sisimai lhost/courier.rb, not an unknown host).

package explain

// ruleSources maps an alternative of the rules to where its words come
// from.
var ruleSources = map[string]string{
	// The standards' own reply texts and status code names.
	`\b[45]\.2\.2\b`:            "RFC 3463 §3.3 (X.2.2 mailbox full)",
	`\b[45]\.3\.4\b`:            "RFC 3463 §3.4 (X.3.4 message too big for system)",
	`\b[45]\.3\.1\b`:            "RFC 3463 §3.4 (X.3.1 mail system full)",
	`\b[45]\.3\.[0-9]\b`:        "RFC 3463 §3.4 (X.3.x mail system status)",
	`\b[45]\.4\.[0-6]\b`:        "RFC 3463 §3.5 (X.4.x network and routing status)",
	`too big for (the )?system`: "RFC 3463 §3.4 (X.3.4 \"Message too big for system\")",
	`exceed(s|ed)? (the )?(administrative|message) (size )?limit`: "RFC 3463 §3.3 (X.2.3 \"Message length exceeds administrative limit\")",
	`bad (recipient|destination mailbox)`:                         "RFC 3463 §3.2 (X.1.1 \"Bad destination mailbox address\"); Postfix smtpd.c (\"501 5.1.3 Bad recipient address syntax\")",
	`must issue a starttls`:                                       "RFC 3207 §4 (530 Must issue a STARTTLS command first)",
	`encryption required`:                                         "RFC 4954 §6 (538 5.7.11 Encryption required for requested authentication mechanism); Postfix smtpd_sasl_proto.c",
	`syntax error`:                                                "RFC 5321 §4.2.3 (500 Syntax error, command unrecognized)",
	`bad sequence`:                                                "RFC 5321 §4.2.3 (503 Bad sequence of commands)",
	`parameter not implemented`:                                   "RFC 5321 §4.2.3 (504 Command parameter not implemented)",
	`command (not )?(unrecognized|recognized|implemented)`:        "RFC 5321 §4.2.3 (500 command unrecognized, 502 Command not implemented); Postfix smtpd.c (\"500 5.5.2 Error: command not recognized\"); Sendmail (\"500 5.5.1 Command unrecognized\")",
	`insufficient system storage`:                                 "RFC 5321 §4.2.3 (452 Requested action not taken: insufficient system storage); Postfix smtpd_check.c",
	`service (is )?(not )?available`:                              "RFC 5321 §4.2.3 (421 Service not available, closing transmission channel); Exim smtp_in.c (\"451 SMTP service not available\")",
	`null mx`:                                                     "RFC 7505 §3 (null MX)",
	`accepts no mail`:                                             "RFC 7505 §4.2 (a domain that accepts no mail)",

	// The system's error messages (POSIX errno, glibc), which MTAs quote
	// after "connect to host:" (Postfix smtp_connect.c, Sendmail
	// deliver.c, Exim transports/smtp.c).
	`connection (refused|timed out|reset|lost|closed)`: "ECONNREFUSED \"Connection refused\", ETIMEDOUT \"Connection timed out\", ECONNRESET \"Connection reset by peer\" (glibc strerror); Exim receive.c (\"SMTP connection lost\"); Courier (\"Connection closed by remote host\")",
	`network (is )?unreachable`:                        "ENETUNREACH \"Network is unreachable\" (glibc strerror); qmail error_str.c (\"network unreachable\")",
	`temporary failure in name resolution`:             "EAI_AGAIN \"Temporary failure in name resolution\" (glibc gai_strerror)",

	// The MTAs' own messages, from their sources.
	`size limit exceeded`:            "Postfix smtpd.c (\"queue file size limit exceeded\")",
	`message size limit`:             "Postfix smtpd.c (\"552 5.3.4 Chunk exceeds message size limit\")",
	`exceeds maximum fixed size`:     "Sendmail (\"552 Message exceeds maximum fixed size (%ld)\")",
	`mail too big`:                   "Exim receive.c (\"mail too big\")",
	`has moved`:                      "Postfix trivial-rewrite resolve.c (relocated_maps: \"5.1.6 User has moved to %s\")",
	`host not found, try again`:      "Postfix dns_strerror.c (TRY_AGAIN: \"Host not found, try again\", a DNS failure that may pass)",
	`name server timeout`:            "Sendmail (\"851 %s: Name server timeout\")",
	`deferred: connection timed out`: "Sendmail (\"Deferred: %s\" with the system's error, as Sisimai lhost/v5sendmail.rb reads it)",
	`addressee unknown`:              "Sendmail (\"550 5.1.1 Addressee unknown\")",
	`undeliverable address`:          "Postfix smtpd_check.c (address verification: \"rejected: undeliverable address\"); Courier (\"Undeliverable address.\")",
	`is not a local domain`:          "Courier (\"%s is not a local domain\")",
	`hostname .{0,40}(does not|doesn'?t) (resolve|match)`: "Postfix smtpd_peer.c (\"hostname %s does not resolve to address %s\")",
	`client host (\S+ )?blocked`:                          "Postfix mail_params.h (default rbl_reply: \"Service unavailable; Client host [%s] blocked using %s\")",
	`refused to talk`:                                     "Postfix smtp_proto.c (\"host %s refused to talk to me: %s\")",
	`starttls failed`:                                     "Courier courieresmtpd (\"STARTTLS failed: %s\")",
	`tls handshake failed`:                                "Postfix tlsproxy_state.c (\"TLS handshake failed for service=%s peer=%s\")",
	`tls is required`:                                     "Postfix smtp_proto.c (\"TLS is required, but host %s refused to start TLS\"); Courier (\"400 STARTTLS is required first.\")",
	`header line is too long`:                             "Exim receive.c (\"552 A message header line is too long\")",
	`disk (is )?full`:                                     "qmail.c (\"qq write error or disk full (#4.3.0)\")",
	`out of disk`:                                         "Sendmail (\"421 4.3.1 Out of disk space for temp file\"); qmail error_str.c (\"out of disk space\")",
	`lost connection`:                                     "Postfix smtp_trouble.c (\"4.4.2 lost connection with %s while %s\")",
	`timed out`:                                           "Postfix smtp_trouble.c (\"conversation with %s timed out while %s\"); qmail.c (\"connection to mail server timed out (#4.4.1)\")",
	`temporar(y|ily) (failure|unavailable|error)`:         "Courier (\"400 Service temporarily unavailable.\"); qmail-lspawn.c (\"Temporary failure in qmail-lspawn.\"); EAGAIN \"Resource temporarily unavailable\" (glibc strerror)",
	`try again later`:                                     "Postfix smtpd.c (\"421 %s Service unavailable - try again later\"); Sendmail (\"451 4.3.2 Please try again later\")",
	`my name was rejected`:                                "qmail-remote.c (\"Connected to ... but my name was rejected\")",

	// Providers' and MTAs' messages as Sisimai's modules quote them, for
	// the reason those modules give.
	`was not delivered within`:                             "au/EZweb's expiry notice (Sisimai lhost/ezweb.rb)",
	`unknown or illegal alias`:                             "iCloud (Sisimai rhost/apple.rb, userunknown)",
	`account does not exist`:                               "GoDaddy (Sisimai rhost/godaddy.rb, userunknown)",
	`relay not allowed`:                                    "Mimecast (\"open relay not allowed\", Sisimai rhost/mimecast.rb, norelaying)",
	`remote server does not support tls`:                   "Gmail's report \"500 Remote server does not support TLS (state 6)\" (quoted in Sisimai lhost/gmail.rb)",
	`multiple .{0,30}addresses in (the )?from`:             "Gmail (\"multiple addresses in from: header are not accepted\", Sisimai rhost/google.rb, notcompliantrfc)",
	`not rfc compliant`:                                    "Yahoo (\"headers are not rfc compliant\", Sisimai rhost/yahooinc.rb, notcompliantrfc)",
	`too many recipients (this|per|an?) (hour|minute|day)`: "GoDaddy IB607 (\"This IP has sent too many to too many recipients this hour\", Sisimai rhost/godaddy.rb, speeding)",
	`not a member`:                                         "fml (\"You are not a member of this mailing list\", Sisimai lhost/fml.rb, rejected)",
	`permission to post`:                                   "Google Groups (\"you may not have permission to post messages to the group\", Sisimai lhost/googlegroups.rb)",
	`unable to connect`:                                    "Outlook.com (\"unable to connect successfully to the destination mail server\", Sisimai lhost/outlook.rb)",
	`duplicated? message-id`:                               "fml (\"Duplicated Message-ID\", Sisimai lhost/fml.rb, systemerror)",
}
