package report

import (
	"fmt"
	"io"
	"strings"
)

// Entry is one finding id of the catalog: what triggers it, how serious
// it is by default, and the rule it applies.
type Entry struct {
	ID        string   `json:"id"`
	Severity  Severity `json:"severity"`
	Condition string   `json:"condition"`
	Ref       string   `json:"ref"`
}

// Catalog lists every finding id the tool reports, by area. Ids are
// public API: never renamed (cmd/catalog_test.go checks that every id the
// code makes is here, and every id here is made).
var Catalog = []Entry{
	{"domain.nxdomain", Error, "the domain does not exist (NXDOMAIN); the other checks are skipped", "RFC 1035 §4.1.1, RFC 8020 §2"},
	{"dns.lookup-failed", Error, "a lookup failed (SERVFAIL, timeout, REFUSED, a reply to another question): the check is inconclusive (exit 3), never \"missing\"", "RFC 1035 §4.1.1, RFC 5452 §9.1"},
	{"dnssec.unsigned", Info, "the domain's answers are provably insecure: the chain of trust ends at an unsigned delegation, named (without smtptool's validation: no AD bit from the resolver)", "RFC 4035 §5.2"},
	{"dnssec.bogus", Error, "DNSSEC validation fails, with the zone, key tag and reason: expired or not-yet-valid signature, no DNSKEY matching the DS, missing DNSKEY or RRSIG, broken denial proof; validating resolvers answer SERVFAIL", "RFC 4035 §5.2, §5.3, §5.4"},
	{"dnssec.expiring", Warning, "a signature the answers rest on expires within 3 days, with less than a third of its validity period left", "RFC 6781 §4.4.2"},
	{"dnssec.algorithm-deprecated", Warning, "the chain of trust uses RSASHA1 or RSASHA1-NSEC3-SHA1, which must no longer sign", "RFC 8624 §3.1"},
	{"dnssec.resolver-not-validating", Info, "the resolver does not set AD on answers smtptool validated as secure (warning when it sets AD on bogus data)", "RFC 4035 §4.9.3, RFC 6840 §5.7"},
	{"check.invalid-domain", Error, "a line of --domains is not a domain name", "RFC 1035 §2.3.1"},

	{"mx.missing", Warning, "no MX: senders fall back to the A/AAAA record", "RFC 5321 §5.1"},
	{"mx.null", Info, "a null MX (0 .): the domain accepts no mail", "RFC 7505 §3"},
	{"mx.null-mixed", Error, "a null MX alongside other MX records", "RFC 7505 §3"},
	{"mx.cname", Error, "an MX target is a CNAME alias", "RFC 2181 §10.3, RFC 5321 §5.1"},
	{"mx.ip-literal", Error, "an MX target is an IP address, not a host name", "RFC 5321 §5.1"},
	{"mx.unresolvable", Error, "an MX target has no A/AAAA (NXDOMAIN or no data)", "RFC 5321 §5.1"},
	{"mx.private-address", Warning, "an MX target resolves to a loopback, private or reserved address (also inside NAT64, 6to4, Teredo)", "RFC 6890 §2.2.2, §2.2.3"},
	{"mx.no-ipv6", Info, "no MX host has an AAAA record", "RFC 3596 §2.1"},
	{"mx.ptr-missing", Warning, "an MX address has no PTR record", "RFC 1912 §2.1"},
	{"mx.fcrdns-mismatch", Warning, "the PTR name does not resolve back to the address", "RFC 8601 §3 (iprev)"},

	{"spf.missing", Warning, "no v=spf1 TXT record", "RFC 7208 §4.5"},
	{"spf.multiple", Error, "more than one v=spf1 record (permerror)", "RFC 7208 §4.5"},
	{"spf.syntax", Error, "a term does not parse: unknown mechanism, bad CIDR or IP, bad macro, duplicate modifier", "RFC 7208 §4.6"},
	{"spf.lookup-limit", Error, "more than 10 DNS-querying terms, counted through includes and redirects", "RFC 7208 §4.6.4"},
	{"spf.void-lookup-limit", Error, "more than 2 lookups that return NXDOMAIN or no data", "RFC 7208 §4.6.4"},
	{"spf.include-missing", Error, "an include or redirect target has no SPF record (permerror)", "RFC 7208 §5.2, §6.1"},
	{"spf.include-loop", Error, "an include/redirect chain leads back to a record already on the path", "RFC 7208 §4.6.4, §5.2"},
	{"spf.permissive-all", Error, "+all (or a bare all): any host may send", "RFC 7208 §5.1"},
	{"spf.neutral-all", Warning, "?all: says nothing about other hosts", "RFC 7208 §5.1, §8.2"},
	{"spf.no-all", Warning, "neither all nor redirect: the result for others defaults to neutral", "RFC 7208 §4.7"},
	{"spf.ptr", Warning, "the ptr mechanism, which should not be used", "RFC 7208 §5.5"},
	{"spf.redirect-ignored", Warning, "redirect= beside an all mechanism is never used", "RFC 7208 §6.1"},
	{"spf.terms-after-all", Warning, "terms after all are never evaluated", "RFC 7208 §5.1"},
	{"spf.mx-too-many", Error, "an mx term resolves to more than 10 MX names", "RFC 7208 §4.6.4"},
	{"spf.record-too-long", Warning, "the record is over 450 bytes and may not fit a UDP answer", "RFC 7208 §3.4"},
	{"spf.not-permitted", Error, "spf --ip: the address is not permitted (fail, softfail, neutral or none)", "RFC 7208 §2.6"},
	{"spf.evaluation-error", Error, "spf --ip: the evaluation ends in permerror or temperror (temperror is inconclusive)", "RFC 7208 §2.6"},

	{"dmarc.missing", Warning, "no DMARC record for the domain or its organizational domain", "RFC 7489 §6.1"},
	{"dmarc.multiple", Error, "more than one v=DMARC1 record (treated as none)", "RFC 7489 §6.6.3"},
	{"dmarc.syntax", Error, "a record receivers ignore (v=DMARC1 not first, wrong case, an SPF record at _dmarc…) or a tag value that is invalid", "RFC 7489 §6.3, §6.4"},
	{"dmarc.policy-none", Warning, "p=none: monitoring only, nothing is enforced", "RFC 7489 §6.3"},
	{"dmarc.pct-partial", Warning, "pct below 100", "RFC 7489 §6.3"},
	{"dmarc.sp-weaker", Warning, "sp is weaker than p", "RFC 7489 §6.3"},
	{"dmarc.np-weaker", Warning, "np (non-existent subdomains) is weaker than p", "draft-ietf-dmarc-dmarcbis §5.3"},
	{"dmarc.testing", Warning, "t=y: receivers apply the policy one step lower", "draft-ietf-dmarc-dmarcbis §5.3"},
	{"dmarc.psd-misused", Warning, "psd=y on a domain that is not a public suffix", "draft-ietf-dmarc-dmarcbis §5.3"},
	{"dmarc.no-rua", Info, "no aggregate report address", "RFC 7489 §7.2"},
	{"dmarc.uri-invalid", Error, "a rua/ruf entry is not a valid mailto: URI", "RFC 7489 §6.4"},
	{"dmarc.rua-unauthorized", Warning, "an external report domain lacks <domain>._report._dmarc.<dest> \"v=DMARC1\"", "RFC 7489 §7.1"},
	{"dmarc.inherited", Info, "the policy comes from the organizational domain's record (or an ancestor's in a tree walk)", "RFC 7489 §6.6.3"},

	{"dkim.selector-missing", Error, "a selector given with --selector has no key record", "RFC 6376 §3.6.2"},
	{"dkim.none-found", Warning, "no key found at any common selector (the ones tried are listed)", "RFC 6376 §3.6.2"},
	{"dkim.revoked", Warning, "p= is empty: the key is revoked", "RFC 6376 §3.6.1"},
	{"dkim.key-weak", Error, "an RSA key under 1024 bits (error) or under 2048 bits (warning)", "RFC 8301 §3.2"},
	{"dkim.key-invalid", Error, "the key does not decode or parse", "RFC 6376 §3.6.1"},
	{"dkim.key-sha1-only", Error, "h= allows only sha1, which receivers no longer accept", "RFC 8301 §3.1, RFC 6376 §3.6.1"},
	{"dkim.multiple-records", Error, "several TXT records at one selector: the key verifiers use is undefined", "RFC 6376 §3.6.2.2"},
	{"dkim.ed25519-only", Warning, "every key found is Ed25519: receivers that verify only RSA see no valid signature", "RFC 8463 §5, RFC 6376 §4.2"},
	{"dkim.syntax", Error, "the tag list is malformed, or k=/h= names an unknown algorithm", "RFC 6376 §3.6.1"},
	{"dkim.testing", Info, "t=y: the domain is testing DKIM", "RFC 6376 §3.6.1"},
	{"dkim.unsigned", Warning, "dkim verify: the message has no DKIM-Signature", "RFC 6376 §3.5"},
	{"dkim.signature-failed", Error, "dkim verify: a signature does not verify", "RFC 6376 §6.1"},
	{"dkim.signature-unverified", Error, "dkim verify: a signature could not be checked (the key lookup failed)", "RFC 6376 §6.1"},

	{"mtasts.missing", Info, "no _mta-sts record", "RFC 8461 §3"},
	{"mtasts.syntax", Error, "the _mta-sts TXT record is malformed", "RFC 8461 §3.1"},
	{"mtasts.policy-unavailable", Error, "the policy cannot be fetched over HTTPS (DNS, TLS, status, redirect, media type)", "RFC 8461 §3.3"},
	{"mtasts.policy-invalid", Error, "the policy file is malformed (max_age over 31557600 included)", "RFC 8461 §3.2"},
	{"mtasts.mx-mismatch", Error, "an MX host is matched by no mx: pattern (a wildcard matches one label only)", "RFC 8461 §4.1"},
	{"mtasts.testing", Info, "mode: testing", "RFC 8461 §5"},
	{"mtasts.mode-none", Warning, "mode: none: the policy is withdrawn", "RFC 8461 §3.2, §8.3"},
	{"mtasts.max-age-short", Warning, "max_age under a day", "RFC 8461 §3.2"},
	{"tlsrpt.missing", Info, "no _smtp._tls record", "RFC 8460 §3"},
	{"tlsrpt.syntax", Error, "the TLS-RPT record is malformed", "RFC 8460 §3"},
	{"bimi.syntax", Error, "the BIMI record is malformed", "draft-brand-indicators-for-message-identification §4.2"},
	{"bimi.dmarc-not-enforced", Warning, "a BIMI record while DMARC is p=none or pct<100", "draft-brand-indicators-for-message-identification §4.3, RFC 7489 §6.3"},
	{"bimi.logo-unavailable", Error, "the l= logo cannot be fetched over HTTPS", "draft-brand-indicators-for-message-identification §4.2"},
	{"bimi.logo-invalid", Error, "the logo is not SVG Tiny PS (profile, title, no script, no external reference, 32 KiB)", "draft-svg-tiny-ps-abrotman"},
	{"bimi.certificate-unavailable", Error, "the a= mark certificate cannot be fetched over HTTPS", "draft-brand-indicators-for-message-identification §4.2"},
	{"bimi.certificate-invalid", Error, "the mark certificate is not PEM, lacks the logotype extension or the BIMI key usage, or is expired", "RFC 3709 §4.1, draft-fetch-validation-vmc-wchuang"},
	{"dane.tlsa-unsigned", Warning, "TLSA records exist but are not DNSSEC-validated", "RFC 7672 §2.2"},
	{"dane.mismatch", Error, "no usable TLSA record matches the certificate the server presents", "RFC 7672 §3.1"},
	{"dane.tlsa-bogus", Error, "the TLSA RRset fails DNSSEC validation: DANE senders will not deliver, and defer", "RFC 7672 §2.2"},
	{"dane.pkix-usage", Warning, "TLSA records of usage 0 or 1 (PKIX-TA, PKIX-EE), which SMTP senders do not use", "RFC 7672 §3.1.3"},
	{"dane.mx-insecure", Warning, "signed TLSA records, but the domain's MX RRset is not secure, so senders do not use DANE", "RFC 7672 §2.2.1"},
	{"dane.host-insecure", Warning, "signed TLSA records, but the host's address records are not secure, so senders do not use DANE", "RFC 7672 §2.2.2"},
	{"dane.partial", Warning, "some MX hosts have TLSA records, others not", "RFC 7672 §2.2.1"},
	{"dane.rollover", Info, "a single DANE-EE record: advice for the next key (3 1 1 for it beside the current one, or 3 1 1 + 2 1 1)", "RFC 7671 §8.1"},

	{"dnsbl.listed", Error, "an address or domain is listed (the return code decoded, the delisting page linked)", "RFC 5782 §2"},
	{"dnsbl.refused", Warning, "the list refused to answer (e.g. Spamhaus 127.255.255.254 through a public resolver): inconclusive", "RFC 5782 §2.3"},
	{"dnsbl.lookup-failed", Warning, "the list did not answer: inconclusive", "RFC 5782 §2"},
	{"dnsbl.broken", Warning, "the list lists its own test entry that no list may list: its answers are ignored", "RFC 5782 §5"},
	{"dnsbl.skipped", Info, "a private or reserved address is never sent to public lists", "RFC 5782 §2.1, RFC 6890 §2.2.2, §2.2.3"},

	{"smtp.connect-failed", Error, "the TCP connection was refused or unreachable, or no MX host has a usable address", "RFC 5321 §3.1"},
	{"smtp.timeout", Error, "no reply within the timeout (the step is named)", "RFC 5321 §4.5.3.2"},
	{"smtp.connection-lost", Error, "the server closed or reset the connection without a reply", "RFC 5321 §3.8"},
	{"smtp.protocol-violation", Error, "a malformed reply, a line over 512 bytes, or an endless multi-line reply", "RFC 5321 §4.2, §4.5.3"},
	{"smtp.banner-rejected", Error, "the greeting is 4xx/5xx", "RFC 5321 §3.1"},
	{"smtp.banner-slow", Warning, "the greeting took longer than 5 s", "RFC 5321 §4.5.3.2"},
	{"smtp.banner-host-mismatch", Info, "the greeting's host name differs from the PTR and the MX name", "RFC 5321 §4.2"},
	{"smtp.ehlo-rejected", Error, "EHLO refused (HELO tried)", "RFC 5321 §4.1.1.1"},
	{"smtp.starttls-missing", Error, "STARTTLS is not offered", "RFC 3207 §4, RFC 8461 §5"},
	{"smtp.starttls-failed", Error, "STARTTLS refused or the handshake failed", "RFC 3207 §4.1"},
	{"smtp.auth-before-tls", Warning, "AUTH offered on an unencrypted connection", "RFC 4954 §4"},
	{"smtp.auth-skipped", Warning, "AUTH was not attempted on an unencrypted connection (without --insecure-auth)", "RFC 4954 §4"},
	{"smtp.auth-failed", Error, "authentication refused, or no mechanism to use", "RFC 4954 §4"},
	{"smtp.mail-rejected", Error, "MAIL FROM refused", "RFC 5321 §4.2"},
	{"smtp.rcpt-rejected", Error, "RCPT TO refused", "RFC 5321 §4.2"},
	{"smtp.data-rejected", Error, "DATA or the message refused", "RFC 5321 §4.2"},
	{"smtp.open-relay", Error, "--relay-test: a recipient in a foreign domain was accepted without AUTH", "RFC 5321 §3.6.2"},
	{"tls.cert-expired", Error, "the certificate has expired or is not yet valid", "RFC 5280 §4.1.2.5"},
	{"tls.cert-expiring", Warning, "less than a third of the certificate's own lifetime remains (always under 2 days)", "RFC 5280 §4.1.2.5, Let's Encrypt Integration Guide (renew with a third of the lifetime left)"},
	{"tls.cert-untrusted", Error, "the chain does not lead to a trusted root, or a certificate of it is not valid now", "RFC 8461 §4.2, RFC 5280 §6"},
	{"tls.cert-name-mismatch", Error, "the certificate does not name the MX host", "RFC 8461 §4.2, RFC 6125 §6"},
	{"tls.version-old", Warning, "TLS 1.0 or 1.1 negotiated, or accepted (--tls-scan)", "RFC 8996 §2, §3"},
	{"tls.key-weak", Warning, "an RSA key under 2048 bits in the chain", "RFC 9325 §4.5, NIST SP 800-131A Rev. 2"},
	{"tls.sha1-signature", Warning, "a certificate below the root is signed with SHA-1", "RFC 9155 §2, NIST SP 800-131A Rev. 2"},
	{"tls.no-forward-secrecy", Warning, "static RSA key exchange negotiated, or accepted (--tls-scan)", "RFC 9325 §4.1"},
	{"tls.cipher-weak", Error, "--tls-scan: RC4 (error) or 3DES (warning) accepted", "RFC 7465 §2, RFC 9325 §4.1"},

	{"message.spf-fail", Warning, "message: SPF for the client address is fail or softfail", "RFC 7208 §2.6"},
	{"message.dkim-fail", Warning, "message: a DKIM signature does not verify (body or header changed, key missing, rsa-sha1, t=s violated, key too small)", "RFC 6376 §6.1"},
	{"message.dkim-weak", Warning, "message: rsa-sha1, an RSA key under 2048 bits, or l= body length", "RFC 8301 §3.1, RFC 6376 §8.2"},
	{"message.dmarc-fail", Error, "message: neither aligned SPF nor aligned DKIM passes (which failed and why, and the disposition)", "RFC 7489 §4.2, §6.6"},
	{"message.dmarc-unaligned", Warning, "message: SPF or DKIM passes, but for a domain not aligned with From:", "RFC 7489 §3.1"},
	{"message.from-invalid", Error, "message: no From:, several, or several addresses in it", "RFC 7489 §6.6.1"},
	{"message.arc-broken", Warning, "message: the ARC sets are incomplete, misnumbered, or a seal says cv=fail", "RFC 8617 §5.2"},
	{"message.hop-slow", Info, "message: a hop took over 5 minutes", "RFC 5321 §4.4"},
	{"message.received-invalid", Info, "message: a Received field cannot be read, or times go backwards", "RFC 5321 §4.4"},

	{"expect.mx-missing", Error, "--expect: an expected MX host is not there", "the --expect policy file"},
	{"expect.spf-include-missing", Error, "--expect: the SPF record does not reach an expected include", "the --expect policy file"},
	{"expect.spf-not-authorized", Error, "--expect: check_host() does not pass an expected address", "the --expect policy file"},
	{"expect.spf-all", Error, "--expect: the SPF record does not end as expected", "the --expect policy file"},
	{"expect.dmarc-policy", Error, "--expect: the DMARC policy is weaker than expected", "the --expect policy file"},
	{"expect.dmarc-rua-missing", Error, "--expect: an expected report address is not in rua=", "the --expect policy file"},
	{"expect.dmarc-testing", Error, "--expect: the record's t= is not the expected one", "the --expect policy file"},
	{"expect.dkim-selector-missing", Error, "--expect: an expected selector has no (unrevoked) key", "the --expect policy file"},
	{"expect.mtasts-mode", Error, "--expect: the MTA-STS mode is not the expected one", "the --expect policy file"},
	{"expect.tlsrpt-missing", Error, "--expect: no TLS-RPT record", "the --expect policy file"},
}

// Lookup returns the catalog entry of an id.
func Lookup(id string) (Entry, bool) {
	for _, e := range Catalog {
		if e.ID == id {
			return e, true
		}
	}
	return Entry{}, false
}

// WriteCatalogMarkdown writes the catalog as docs/findings.md: a table
// per area.
func WriteCatalogMarkdown(w io.Writer) error {
	var b strings.Builder
	b.WriteString("# Finding catalog\n\nEvery finding id smtptool reports, with its default severity, what triggers it and the rule it\napplies. Generated by `smtptool findings --markdown`; a test keeps it current. Ids are\npublic API: they are never renamed.\n")
	area := ""
	for _, e := range Catalog {
		if a, _, _ := strings.Cut(e.ID, "."); a != area {
			area = a
			fmt.Fprintf(&b, "\n## %s\n\n| id | severity | condition | ref |\n|---|---|---|---|\n", area)
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", e.ID, e.Severity, strings.ReplaceAll(e.Condition, "|", "\\|"), e.Ref)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// catalogData renders the catalog in text.
type catalogData []Entry

// CatalogData is the catalog as a check's data: its JSON is the entries,
// its text a list by area.
func CatalogData() any { return catalogData(Catalog) }

// WriteText lists the entries by area.
func (c catalogData) WriteText(p *Printer) {
	area := ""
	for _, e := range c {
		if a, _, _ := strings.Cut(e.ID, "."); a != area {
			if area != "" {
				p.Line(0, "")
			}
			area = a
			p.Line(0, p.S(Bold, area))
		}
		p.Line(2, fmt.Sprintf("%s  %s", p.S(severityStyle(e.Severity), e.ID), p.S(Dim, e.Severity.String())))
		p.Line(6, e.Condition)
		p.Line(6, p.S(Dim, "ref: "+e.Ref))
	}
}
