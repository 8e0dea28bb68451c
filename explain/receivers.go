package explain

import (
	"regexp"
	"strings"
	"sync"
)

// Receiver is what a big mailbox provider or filter means by its own
// wording, and what fixes it. Their replies carry codes that mean little
// on their own (550 5.7.1 covers a dozen causes); their words and tags do.
type Receiver struct {
	Name    string `json:"name"`
	Meaning string `json:"meaning"`
	Fix     string `json:"fix"`
	// Reason is the classification the wording implies.
	Reason string `json:"-"`
	re     *regexp.Regexp
	// at, when set, names the provider's hosts and domains: its wording
	// means what it says only when the bounce is about them (as in
	// Sisimai's lib/sisimai/rhost.rb, which applies a provider's table
	// only to its own remote hosts or recipient domains).
	at *regexp.Regexp
}

func receiver(name, pattern, reason, meaning, fix string) Receiver {
	return Receiver{Name: name, Meaning: meaning, Fix: fix, Reason: reason, re: regexp.MustCompile(`(?i)` + pattern), at: providerHosts[name]}
}

// providerHosts are the host and domain names of the providers whose
// wording is their own: their MX hosts (as published in their MX records
// and in Sisimai's rhost.rb) and their mail domains.
var providerHosts = map[string]*regexp.Regexp{
	"Gmail":             regexp.MustCompile(`(?i)\b(google\.com|gmail\.com|googlemail\.com)\b`),
	"Google Groups":     regexp.MustCompile(`(?i)\bgoogle(groups)?\.com\b`),
	"Microsoft":         regexp.MustCompile(`(?i)\b(outlook\.com|hotmail\.[a-z.]+|live\.[a-z.]+|msn\.com|microsoft\.com|office365\.com)\b`),
	"Yahoo":             regexp.MustCompile(`(?i)\b(yahoo(dns)?\.[a-z.]+|aol\.com|ymail\.com)\b`),
	"Apple iCloud":      regexp.MustCompile(`(?i)\b(icloud\.com|me\.com|mac\.com|apple\.com)\b`),
	"Mimecast":          regexp.MustCompile(`(?i)\bmimecast\.(com|co\.za|net)\b`),
	"au (KDDI)":         regexp.MustCompile(`(?i)\b(ezweb\.ne\.jp|au\.com|kddi\.com)\b`),
	"Orange / La Poste": regexp.MustCompile(`(?i)\b(orange\.(fr|com)|wanadoo\.fr|laposte\.(net|fr))\b`),
}

// receivers lists the wording of the big receivers, most specific first.
// receivers are compiled when first used.
var receivers = sync.OnceValue(func() []Receiver {
	return []Receiver{
		// Gmail (support.google.com/mail/answer/3726730)
		receiver("Gmail", `5\.7\.26.{0,200}(dmarc|unauthenticated)|unauthenticated email from .{0,80} is not accepted due to domain's dmarc policy`, "authfailure",
			"Gmail rejected the message because it fails the sender domain's DMARC policy: neither SPF nor DKIM passed in alignment with the From: domain",
			"publish SPF for the sending servers and sign with DKIM using the From: domain (d= aligned), then check with smtptool spf/dkim/dmarc; see Google's sender guidelines"),
		receiver("Gmail", `5\.7\.27.{0,120}spf|does not (pass|designate) .{0,40}spf|sender is unauthenticated`, "authfailure",
			"Gmail requires SPF or DKIM authentication and the message had neither passing",
			"authorize the sending IP in the domain's SPF record and sign with DKIM"),
		receiver("Gmail", `likely unsolicited mail|has been blocked. to protect our users from spam|unusual rate of unsolicited mail`, "spamdetected",
			"Gmail's filters judged the message (or the sending IP's recent mail) as spam",
			"check the domain and IP in Google Postmaster Tools, authenticate with SPF, DKIM and DMARC, honour unsubscribes and keep the complaint rate under 0.3%"),
		receiver("Gmail", `receiving mail (too quickly|at a rate that prevents)|user you are trying to contact is receiving mail`, "speeding",
			"the Gmail recipient receives mail faster than Gmail accepts for one mailbox",
			"slow down and retry later; the message will usually go through"),
		receiver("Gmail", `ip address sending this message does not have a ptr record|does not have a ptr record setup`, "requireptr",
			"Gmail requires a PTR record that matches the sending IP",
			"set the sending IP's PTR to a host name whose A/AAAA record points back to it (forward-confirmed reverse DNS)"),
		receiver("Gmail", `the email account that you tried to reach does not exist`, "userunknown",
			"the Gmail address does not exist",
			"check the address; remove it from the list if it keeps bouncing"),
		receiver("Gmail", `the email account that you tried to reach is disabled`, "suspend",
			"the Gmail account exists but is disabled",
			"stop sending to it; try another way to reach the person"),
		receiver("Gmail", `(inbox|mailbox) is out of (storage )?space|account that you tried to reach is over quota`, "mailboxfull",
			"the Gmail mailbox is full", "retry later or contact the recipient another way"),

		receiver("Gmail", `blocked because its content presents a potential( security issue)?`, "policyviolation",
			"Gmail blocked the message for a potential security issue in its content, usually an attachment type it refuses (support.google.com/mail/answer/6590)",
			"send the file another way (a link, or an archive type Gmail accepts) and check links in the message"),
		receiver("Gmail", `'send mail as'|p=customfromdenied`, "rejected",
			"Gmail refused to send from an address added with 'Send mail as': the settings of that address (its SMTP server, its authentication) are wrong or out of date",
			"fix the 'Send mail as' settings for the address in Gmail (server, port, credentials), or send from the Gmail address"),

		// Google Groups (every language of its bounce links its help center)
		receiver("Google Groups", `groups\.google\.com/support|you may not have permission to post|may not exist, or you may not have permission`, "rejected",
			"the Google Group does not exist, or does not accept posts from your address",
			"check the group's address; join it or ask its owner to allow your address to post"),

		// Microsoft 365 and Outlook.com (learn.microsoft.com: NDR codes)
		receiver("Microsoft", `part of their network is on our block list|\(S3150\)|\(S3140\)|banned sending ip|5\.7\.(606|511)`, "blocked",
			"Outlook.com / Microsoft 365 blocks the sending IP (its own block list)",
			"request delisting at https://sender.office.com (Microsoft 365) or the Outlook.com delist portal; fix what made it send spam first"),
		receiver("Microsoft", `recipient address rejected: access denied|5\.4\.1 .{0,80}access denied|as\(201806281\)`, "userunknown",
			"Microsoft 365 directory-based edge blocking: the recipient does not exist in the organization's directory",
			"check the address; the recipient's admin must add it if it should exist"),
		receiver("Microsoft", `4\.7\.650|temporarily rate limited due to ip reputation|5\.7\.708|traffic not accepted from this ip`, "badreputation",
			"Microsoft rate-limits or refuses the IP because of its reputation (often a new IP without history)",
			"warm up the IP gradually, authenticate with SPF/DKIM/DMARC, and join Microsoft SNDS/JMRP to see its standing"),
		receiver("Microsoft", `5\.7\.(1|133|134).{0,120}(not authorized to send to|delivery not authorized|restricted to)|sender not authorized`, "filtered",
			"the recipient (a group or a mailbox) accepts mail only from allowed senders",
			"ask the recipient's admin to allow your address, or send from an address they accept"),

		receiver("Microsoft", `\bsc-00[1-5]\b|messages from \[?\d+\.\d+\.\d+\.\d+\]? weren't sent`, "blocked",
			"Outlook.com refuses mail from the sending IP (SC codes: its reputation, or too much unwanted mail from it)",
			"stop what sends unwanted mail from the IP, then request mitigation through the Outlook.com sender support form"),

		// Yahoo and AOL (senders.yahooinc.com/smtp-error-codes)
		receiver("Yahoo", `\[ts0[1-4]\]|temporarily deferred due to unexpected volume or user complaints`, "badreputation",
			"Yahoo/AOL defers mail from the IP because of its volume or user complaints (TSS04: reputation)",
			"slow down, remove unengaged recipients, honour unsubscribes, and check the IP in the Yahoo Sender Hub; it retries by itself"),
		receiver("Yahoo", `\[tss09\]|all messages from .{0,60} will be permanently deferred`, "blocked",
			"Yahoo/AOL permanently defers the IP (TSS09)", "open a ticket through the Yahoo Sender Hub after fixing the cause"),
		receiver("Yahoo", `message not accepted for policy reasons`, "policyviolation",
			"Yahoo/AOL refused the message for policy reasons (content, authentication or reputation)",
			"authenticate with SPF, DKIM and DMARC, and check the content and links; see the Yahoo sender requirements"),
		receiver("Yahoo", `this user doesn't have an? .{0,20}account`, "userunknown",
			"the Yahoo/AOL address does not exist", "check the address; remove it from the list"),

		// Apple iCloud (support.apple.com/HT204137)
		receiver("Apple iCloud", `\[cs0[0-9]\]|icloud.{0,80}(rejected|blocked)|message rejected due to local policy`, "policyviolation",
			"iCloud Mail refused the message by its local policy (CS codes: reputation, authentication or content)",
			"authenticate with SPF, DKIM and DMARC and check the sending IP's reputation; iCloud's postmaster page (support.apple.com/HT204137) lists the CS codes"),

		// Proofpoint (its refusals link its own ipcheck.proofpoint.com and
		// support.proofpoint.com/dnsbl-lookup, as Sisimai rhost/apple.rb quotes)
		receiver("Proofpoint", `ipcheck\.proofpoint\.com|support\.proofpoint\.com/dnsbl-lookup|proofpoint dynamic reputation`, "blocked",
			"Proofpoint's reputation service blocks the sending IP",
			"check and request removal at https://ipcheck.proofpoint.com"),

		// Mimecast (community.mimecast.com: "Mimecast SMTP Error Codes")
		receiver("Mimecast", `anti-spoofing policy`, "policyviolation",
			"Mimecast refused a message claiming to come from the recipient's own domain (anti-spoofing)",
			"send through the recipient organisation's authorised servers, or ask its admin for a spoofing exception"),
		receiver("Mimecast", `envelope blocked|administrative prohibition`, "filtered",
			"a Mimecast policy (often a user's or admin's block entry) refuses this sender",
			"ask the recipient or their admin to remove the block"),
		receiver("Mimecast", `rejected due to security policies`, "virusdetected",
			"Mimecast found a signature in the message: a virus, or a spam score above its maximum",
			"scan the attachments and check the content and links; ask the recipient's admin to release it if it is legitimate"),
		receiver("Mimecast", `mimecast.{0,80}(spam|virus)`, "spamdetected",
			"Mimecast's security scanning refused the message", "check the content and attachments; ask the recipient's admin to release it if it is legitimate"),
		receiver("Mimecast", `(spf|dkim|dmarc) sender invalid - envelope rejected`, "authfailure",
			"Mimecast's DNS authentication check failed (SPF, DKIM or DMARC) for the sender",
			"publish the sending IPs in SPF, sign with a DKIM key that matches DNS, and align with the From: domain"),
		receiver("Mimecast", `local ct ip reputation`, "badreputation",
			"Mimecast refused the message because of the sending IP's reputation",
			"ask the recipient's admin for a permitted-senders entry, and request a review of the IP from Mimecast"),
		receiver("Mimecast", `this route requires (encryption|tls|high-strength ciphers)`, "failedstarttls",
			"the recipient's Mimecast policy requires TLS (1.2 or later, strong ciphers) and the connection did not meet it",
			"enable STARTTLS with TLS 1.2+ and current ciphers on the sending server"),
		receiver("Mimecast", `maximum email size exceeded`, "mesgtoobig",
			"the message is larger than the recipient's Mimecast size policy allows", "send a smaller message, or share large files by link"),

		// Barracuda (its refusals name its reputation service,
		// barracudacentral.org)
		receiver("Barracuda", `barracuda reputation|barracudanetworks\.com/reputation|barracudacentral`, "blocked",
			"the Barracuda Reputation Block List lists the sending IP",
			"request removal at https://www.barracudacentral.org/rbl/removal-request after fixing the cause"),

		// Spamhaus, through any receiver's DNSBL check (a listing's refusal
		// names it and links spamhaus.org, e.g. Postfix's default rbl_reply)
		receiver("Spamhaus", `spamhaus`, "blocked",
			"the receiver refused the sending IP because Spamhaus lists it (ZEN: SBL, XBL, PBL, CSS)",
			"look the IP up and follow the removal steps at https://check.spamhaus.org; a PBL listing means the IP should send through your provider's relay"),

		// Postfix defaults (postfix.org/postconf.5.html)
		receiver("Postfix", `client host rejected: cannot find your (reverse )?hostname`, "requireptr",
			"Postfix (reject_unknown_client_hostname) refuses clients whose IP has no forward-confirmed PTR",
			"set a PTR for the sending IP whose name resolves back to it"),
		receiver("Postfix", `helo command rejected: need fully-qualified hostname|helo command rejected: host not found`, "blocked",
			"Postfix refuses the HELO name: it must be a fully qualified, resolvable host name",
			"configure the sending server to greet with its real FQDN (Postfix: myhostname)"),
		receiver("Postfix", `sender address rejected: domain not found`, "rejected",
			"Postfix (reject_unknown_sender_domain) refuses a sender domain without MX or A records",
			"use a sender address whose domain resolves (MX or A) and accepts bounces"),
		receiver("Postfix", `user unknown in (local|virtual) (recipient|mailbox|alias) table`, "userunknown",
			"Postfix has no such mailbox", "check the address"),

		// au by KDDI (www.au.com/support/service/internet/trouble/mail/01/):
		// a recipient's reception filter refuses after DATA with no address in
		// the reply; an address that does not exist is named in it.
		receiver("au (KDDI)", `[45]\d\d:? : user unknown`, "filtered",
			"the au (ezweb.ne.jp / au.com) recipient's reception settings refuse mail from this sender or domain",
			"ask the recipient to allow your address or domain in their au mail filter settings"),
		// With the address before "user unknown" it is the mailbox that is
		// missing (Sisimai rhost/kddi.rb).
		receiver("au (KDDI)", `>: user unknown`, "userunknown",
			"the au (ezweb.ne.jp / au.com) address does not exist", "check the address; remove it from the list"),
		receiver("au (KDDI)", `the user\(s\) account is disabled`, "suspend",
			"the au (ezweb.ne.jp) account is suspended or cancelled", "stop sending to it; reach the person another way"),
		receiver("au (KDDI)", `each of the following recipients was rejected by a remote mail server`, "filtered",
			"an au (ezweb.ne.jp) recipient's filter refused the message",
			"ask the recipient to allow your address or domain in their au mail filter settings"),

		// Orange and La Poste tag each refusal with a numbered code, e.g.
		// "OFR_506 [506]" or "LPN007_416" (Orange postmaster documentation).
		orange(`101|102|103|510|999`, "blocked", "Orange / La Poste block the sending IP (its reputation, or a block list such as Spamhaus)",
			"find the cause (spam, a compromised account), fix it, then ask for removal through the Orange or La Poste postmaster pages"),
		orange(`104`, "toomanyconn", "too many connections from the sending IP", "open fewer simultaneous connections to Orange"),
		orange(`305|402`, "securityerror", "the sender must authenticate", "authenticate (SMTP AUTH) before sending through this server"),
		orange(`401|517`, "authfailure", "the message failed SPF or DMARC verification", "publish SPF for the sending servers and align SPF or DKIM with the From: domain"),
		orange(`403|405|415|421`, "rejected", "the sender address is invalid or not owned by the authenticated user", "send from a valid address that the account may use"),
		orange(`416`, "userunknown", "the recipient address does not exist", "check the address; remove it from the list"),
		orange(`417`, "mailboxfull", "the recipient's mailbox is full", "retry later or reach the recipient another way"),
		orange(`420|426`, "suspend", "the recipient's account is archived or blocked", "stop sending to it"),
		orange(`505`, "systemerror", "Orange refused the message for now (service refused, try later)", "retry later; it usually goes through"),
		orange(`506`, "spamdetected", "Orange's filter judged the message as spam", "check the content, links and authentication of the message"),
		orange(`514`, "mesgtoobig", "the message is larger than Orange accepts", "send a smaller message, or share large files by link"),
		orange(`630`, "policyviolation", "Orange / La Poste refused the client host by policy", "check the sending host's reverse DNS and reputation"),

		// Amazon SES (docs.aws.amazon.com/ses: verifying identities)
		receiver("Amazon SES", `email address is not verified|identities failed the check`, "norelaying",
			"Amazon SES will not send from an address or domain that is not verified in the region (sandbox or unverified identity)",
			"verify the sending address or domain in that SES region, or send from a verified identity"),

		// Exim defaults (acl.c: "Sender verify failed"; smtp_in.c:
		// "Verification failed for <%s>")
		receiver("Exim", `sender verify failed|verification failed for <`, "rejected",
			"Exim's sender verification could not confirm the sender address (its domain or a callout failed)",
			"use a sender address that exists and accepts mail (bounces come back to it)"),
	}
})

// orange is one group of Orange / La Poste refusal codes.
func orange(codes, reason, meaning, fix string) Receiver {
	return receiver("Orange / La Poste", `\b(?:ofr|lpn|lpnaaa|ouk)\d*_(?:`+codes+`)\b`, reason, meaning, fix)
}

// RecognizeReceiver finds a big receiver's wording in a reply given on
// its own, without the bounce that would say who sent it.
func RecognizeReceiver(text string) (Receiver, bool) {
	anyone := named{receiver: map[string]bool{}}
	for name := range providerHosts {
		anyone.receiver[name] = true
	}
	return recognize(text, anyone)
}

// recognize finds a big receiver's wording in text within a bounce: a
// provider's own wording counts only when the bounce names that provider
// (n).
func recognize(text string, n named) (Receiver, bool) {
	t := strings.ToLower(bounded(text))
	for _, r := range receivers() {
		if r.re.MatchString(t) && (r.at == nil || n.receiver[r.Name]) {
			return r, true
		}
	}
	return Receiver{}, false
}
