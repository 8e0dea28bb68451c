// Package explain knows what SMTP replies mean: the basic reply codes of
// RFC 5321 §4.2 (and the extensions that added codes), the enhanced status
// codes of RFC 3463 and the IANA "Enumerated Status Codes" registry, and how
// to turn a reply into a sentence a person can act on.
package explain

import (
	"fmt"
	"strconv"
	"strings"
)

// Actor names who must act on a failure.
type Actor string

// Who can fix it.
const (
	Sender         Actor = "sender"          // the person or program sending
	SendingAdmin   Actor = "sending admin"   // whoever runs the sending server
	RecipientAdmin Actor = "recipient admin" // whoever runs the receiving server
	Nobody         Actor = ""                // success, or simply retry
)

// CodeInfo explains a basic three-digit reply code.
type CodeInfo struct {
	Code    int
	Meaning string // what the server said, in plain words
	Action  string // what to do about it
	Actor   Actor
	Ref     string
}

// basic lists the reply codes of RFC 5321 §4.2.3 and those added by
// RFC 3207 (STARTTLS), RFC 4954 (AUTH) and RFC 7504 (521/556).
var basic = map[int]CodeInfo{
	211: {Meaning: "system status or help reply", Ref: "RFC 5321 §4.2.3"},
	214: {Meaning: "help message", Ref: "RFC 5321 §4.2.3"},
	220: {Meaning: "the service is ready", Ref: "RFC 5321 §4.2.3"},
	221: {Meaning: "the service is closing the connection", Ref: "RFC 5321 §4.2.3"},
	235: {Meaning: "authentication succeeded", Ref: "RFC 4954 §6"},
	250: {Meaning: "the requested action was completed", Ref: "RFC 5321 §4.2.3"},
	251: {Meaning: "the user is not local; the server will forward the message", Ref: "RFC 5321 §3.4"},
	252: {Meaning: "the server cannot verify the user but will accept the message and attempt delivery", Ref: "RFC 5321 §3.5.3"},
	334: {Meaning: "authentication continues: the server sent a challenge", Ref: "RFC 4954 §4"},
	354: {Meaning: "the server is ready for the message text, ended by <CRLF>.<CRLF>", Ref: "RFC 5321 §4.2.3"},

	421: {Meaning: "the service is not available and is closing the connection", Action: "retry later; if it lasts, the server may be overloaded, in maintenance, or rate-limiting your address", Actor: RecipientAdmin, Ref: "RFC 5321 §4.2.3"},
	432: {Meaning: "a password transition is needed", Action: "change the password through the provider's normal channel, then retry", Actor: Sender, Ref: "RFC 4954 §6"},
	450: {Meaning: "the mailbox is unavailable for now (busy, locked, or blocked by a temporary policy such as greylisting)", Action: "retry later; a correct MTA will do so by itself", Actor: Nobody, Ref: "RFC 5321 §4.2.3"},
	451: {Meaning: "the server aborted the action because of a local error", Action: "retry later; if it lasts, ask the receiving server's admin", Actor: RecipientAdmin, Ref: "RFC 5321 §4.2.3"},
	452: {Meaning: "the server has insufficient storage, or too many recipients were given", Action: "retry later, or send to fewer recipients per message", Actor: RecipientAdmin, Ref: "RFC 5321 §4.2.3"},
	454: {Meaning: "TLS or authentication is temporarily unavailable", Action: "retry later; the receiving server has a TLS or authentication back-end problem", Actor: RecipientAdmin, Ref: "RFC 3207 §4, RFC 4954 §6"},
	455: {Meaning: "the server cannot accommodate the parameters given", Action: "retry later or without the MAIL/RCPT parameters", Actor: Sender, Ref: "RFC 5321 §4.2.3"},

	500: {Meaning: "syntax error: the command was not recognised (or the line was too long)", Action: "the client sent something the server does not understand; check the client software", Actor: SendingAdmin, Ref: "RFC 5321 §4.2.3"},
	501: {Meaning: "syntax error in the command's parameters or arguments", Action: "check the address or argument syntax the client sent", Actor: SendingAdmin, Ref: "RFC 5321 §4.2.3"},
	502: {Meaning: "the command is not implemented", Action: "use a command the server supports (for EHLO, fall back to HELO)", Actor: SendingAdmin, Ref: "RFC 5321 §4.2.3"},
	503: {Meaning: "bad sequence of commands", Action: "the client sent commands out of order (e.g. RCPT before MAIL, or MAIL before authenticating where it is required)", Actor: SendingAdmin, Ref: "RFC 5321 §4.2.3"},
	504: {Meaning: "a command parameter is not implemented", Action: "retry without the unsupported parameter or mechanism", Actor: SendingAdmin, Ref: "RFC 5321 §4.2.3"},
	521: {Meaning: "the host does not accept mail", Action: "the domain takes no mail: stop sending to it", Actor: Sender, Ref: "RFC 7504 §3"},
	525: {Meaning: "the user's account is disabled", Action: "stop sending to it; reach the person another way", Actor: Sender, Ref: "RFC 5248 §2.4"},
	530: {Meaning: "authentication is required (or STARTTLS must come first)", Action: "authenticate, after STARTTLS, before sending", Actor: Sender, Ref: "RFC 4954 §6, RFC 3207 §4"},
	534: {Meaning: "the authentication mechanism is too weak", Action: "use a stronger mechanism, or turn on the provider's app-password or modern-auth option", Actor: Sender, Ref: "RFC 4954 §6"},
	535: {Meaning: "the credentials were rejected", Action: "check the user name and password (many providers need an app password or OAuth2)", Actor: Sender, Ref: "RFC 4954 §6"},
	538: {Meaning: "encryption is required for the requested authentication mechanism", Action: "issue STARTTLS before AUTH", Actor: Sender, Ref: "RFC 4954 §6"},
	550: {Meaning: "the mailbox is unavailable or the action was refused by policy", Action: "read the text: an unknown user needs a corrected address; a policy rejection needs the sending side fixed (reputation, SPF/DKIM/DMARC, reverse DNS)", Actor: Sender, Ref: "RFC 5321 §4.2.3"},
	551: {Meaning: "the user is not local; the server will not forward", Action: "send to the forwarding address the reply gives", Actor: Sender, Ref: "RFC 5321 §3.4"},
	552: {Meaning: "the action was aborted: storage allocation exceeded (mailbox full or message too large)", Action: "send a smaller message, or ask the recipient to free space", Actor: Sender, Ref: "RFC 5321 §4.2.3"},
	553: {Meaning: "the mailbox name is not allowed (bad syntax, or the sender address is refused)", Action: "check the address syntax, and that you may send as that address", Actor: Sender, Ref: "RFC 5321 §4.2.3"},
	554: {Meaning: "the transaction failed (or, as a greeting, no SMTP service here)", Action: "read the text: usually a policy or reputation rejection of the sending server", Actor: SendingAdmin, Ref: "RFC 5321 §4.2.3"},
	555: {Meaning: "MAIL FROM or RCPT TO parameters were not recognised or not implemented", Action: "retry without the unsupported parameters", Actor: SendingAdmin, Ref: "RFC 5321 §4.2.3"},
	556: {Meaning: "the recipient's domain does not accept mail", Action: "the domain takes no mail (null MX): stop sending to it", Actor: Sender, Ref: "RFC 7504 §3"},
}

// Code explains a basic reply code. Unknown codes are explained by their
// first digit (RFC 5321 §4.2.1).
func Code(code int) (CodeInfo, bool) {
	if info, ok := basic[code]; ok {
		info.Code = code
		return info, true
	}
	info := CodeInfo{Code: code, Ref: "RFC 5321 §4.2.1"}
	switch code / 100 {
	case 2:
		info.Meaning = "success"
	case 3:
		info.Meaning = "the server waits for more input"
	case 4:
		info.Meaning, info.Action = "a transient failure", "retry later"
	case 5:
		info.Meaning, info.Action = "a permanent failure", "do not retry unchanged; read the text"
	default:
		return info, false
	}
	return info, false
}

// Permanent reports whether a code is a permanent failure (5yz), as opposed
// to a transient one (4yz) or success (RFC 5321 §4.2.1).
func Permanent(code int) bool { return code >= 500 && code < 600 }

// Enhanced is a parsed enhanced status code, class.subject.detail (RFC 3463 §2).
type Enhanced struct {
	Class, Subject, Detail int
}

// ParseEnhanced reads "5.7.26"; the class must be 2, 4 or 5, the subject
// at most three digits and the detail at most three (RFC 3463 §2).
func ParseEnhanced(s string) (Enhanced, bool) {
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return Enhanced{}, false
	}
	var n [3]int
	for i, p := range parts {
		if p == "" || len(p) > 3 || (i == 0 && len(p) != 1) {
			return Enhanced{}, false
		}
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 {
			return Enhanced{}, false
		}
		n[i] = v
	}
	if n[0] != 2 && n[0] != 4 && n[0] != 5 {
		return Enhanced{}, false
	}
	return Enhanced{n[0], n[1], n[2]}, true
}

func (e Enhanced) String() string { return fmt.Sprintf("%d.%d.%d", e.Class, e.Subject, e.Detail) }

// EnhancedInfo explains a subject.detail pair.
type EnhancedInfo struct {
	Meaning string
	Action  string
	Actor   Actor
	Ref     string
}

type sd struct{ subject, detail int }

// enhanced lists the subject.detail codes of RFC 3463 §3 and the IANA
// registry, with the RFC that defined each.
var enhanced = map[sd]EnhancedInfo{
	{0, 0}:  {"other undefined status", "read the text", Nobody, "RFC 3463 §3.1"},
	{1, 0}:  {"other address status", "check the addresses", Sender, "RFC 3463 §3.2"},
	{1, 1}:  {"bad destination mailbox address: the mailbox does not exist", "check the recipient's address for typos; remove it from lists if it bounces again", Sender, "RFC 3463 §3.2"},
	{1, 2}:  {"bad destination system address: the recipient's domain or host does not exist or takes no mail", "check the domain part of the address", Sender, "RFC 3463 §3.2"},
	{1, 3}:  {"bad destination mailbox address syntax", "correct the address syntax", Sender, "RFC 3463 §3.2"},
	{1, 4}:  {"destination mailbox address ambiguous", "use a more specific address", Sender, "RFC 3463 §3.2"},
	{1, 5}:  {"destination address valid", "", Nobody, "RFC 3463 §3.2"},
	{1, 6}:  {"the mailbox has moved and there is no forwarding address", "find the recipient's new address", Sender, "RFC 3463 §3.2"},
	{1, 7}:  {"bad sender's mailbox address syntax", "correct the sender address (MAIL FROM)", SendingAdmin, "RFC 3463 §3.2"},
	{1, 8}:  {"bad sender's system address: the sender's domain does not resolve or takes no mail", "make the sender domain resolve (MX or A) and accept bounces", SendingAdmin, "RFC 3463 §3.2"},
	{1, 9}:  {"the message was relayed to a non-compliant mailer", "", Nobody, "RFC 3886"},
	{1, 10}: {"the recipient's domain has a null MX: it accepts no mail", "stop sending to this domain", Sender, "RFC 7505 §4.2"},
	{2, 0}:  {"other or undefined mailbox status", "retry later or contact the recipient another way", Sender, "RFC 3463 §3.3"},
	{2, 1}:  {"the mailbox is disabled and not accepting messages", "contact the recipient another way", Sender, "RFC 3463 §3.3"},
	{2, 2}:  {"the mailbox is full", "retry later, or ask the recipient to free space", Sender, "RFC 3463 §3.3"},
	{2, 3}:  {"the message is longer than the mailbox's administrative limit", "send a smaller message (share large files by link)", Sender, "RFC 3463 §3.3"},
	{2, 4}:  {"a mailing list expansion problem", "tell the list's owner", RecipientAdmin, "RFC 3463 §3.3"},
	{3, 0}:  {"other or undefined mail system status", "retry later; ask the receiving server's admin if it lasts", RecipientAdmin, "RFC 3463 §3.4"},
	{3, 1}:  {"the mail system is full", "retry later", RecipientAdmin, "RFC 3463 §3.4"},
	{3, 2}:  {"the system is not accepting network messages", "retry later", RecipientAdmin, "RFC 3463 §3.4"},
	{3, 3}:  {"the system is not capable of the selected features", "send without the feature (e.g. 8BITMIME, SMTPUTF8)", SendingAdmin, "RFC 3463 §3.4"},
	{3, 4}:  {"the message is too big for the system", "send a smaller message", Sender, "RFC 3463 §3.4"},
	{3, 5}:  {"the receiving system is incorrectly configured", "tell the receiving server's admin", RecipientAdmin, "RFC 3463 §3.4"},
	{3, 6}:  {"the requested priority was changed", "", Nobody, "RFC 6710 §9"},
	{4, 0}:  {"other or undefined network or routing status", "retry later", SendingAdmin, "RFC 3463 §3.5"},
	{4, 1}:  {"no answer from the host", "check that the receiving host is up and reachable on port 25", RecipientAdmin, "RFC 3463 §3.5"},
	{4, 2}:  {"bad connection", "retry later", SendingAdmin, "RFC 3463 §3.5"},
	{4, 3}:  {"directory (DNS) server failure", "retry later; check the sending server's resolver and the recipient domain's DNS", SendingAdmin, "RFC 3463 §3.5"},
	{4, 4}:  {"unable to route: no MX or address for the recipient's domain", "check the recipient domain's MX records", RecipientAdmin, "RFC 3463 §3.5"},
	{4, 5}:  {"mail system congestion", "retry later", Nobody, "RFC 3463 §3.5"},
	{4, 6}:  {"a routing loop was detected", "fix the MX or forwarding configuration that sends the message in a circle", RecipientAdmin, "RFC 3463 §3.5"},
	{4, 7}:  {"delivery time expired: the message could not be delivered in time", "check why the receiving server was unreachable or deferring", SendingAdmin, "RFC 3463 §3.5"},
	{5, 0}:  {"other or undefined protocol status", "read the text", SendingAdmin, "RFC 3463 §3.6"},
	{5, 1}:  {"invalid command", "check the client software", SendingAdmin, "RFC 3463 §3.6"},
	{5, 2}:  {"syntax error", "check the client software", SendingAdmin, "RFC 3463 §3.6"},
	{5, 3}:  {"too many recipients", "send to fewer recipients per message", Sender, "RFC 3463 §3.6"},
	{5, 4}:  {"invalid command arguments", "check the arguments the client sent", SendingAdmin, "RFC 3463 §3.6"},
	{5, 5}:  {"wrong protocol version", "check the client software", SendingAdmin, "RFC 3463 §3.6"},
	{5, 6}:  {"the authentication exchange line is too long", "use a mechanism with shorter lines or an initial response", SendingAdmin, "RFC 4954 §6"},
	{6, 0}:  {"other or undefined media error", "check the message's format", Sender, "RFC 3463 §3.7"},
	{6, 1}:  {"media not supported", "send in a supported format", Sender, "RFC 3463 §3.7"},
	{6, 2}:  {"conversion required and prohibited", "send in a format the recipient accepts", Sender, "RFC 3463 §3.7"},
	{6, 3}:  {"conversion required but not supported", "send in a format the recipient accepts", Sender, "RFC 3463 §3.7"},
	{6, 4}:  {"conversion with loss performed", "", Nobody, "RFC 3463 §3.7"},
	{6, 5}:  {"conversion failed", "send in a simpler format", Sender, "RFC 3463 §3.7"},
	{6, 6}:  {"the message content is not available", "", SendingAdmin, "RFC 4468 §5"},
	{6, 7}:  {"non-ASCII addresses are not permitted for that sender or recipient", "use an ASCII address", Sender, "RFC 6531 §3.6"},
	{6, 8}:  {"a UTF-8 string reply is required but not permitted by the client", "", SendingAdmin, "RFC 6531 §3.6"},
	{6, 9}:  {"a UTF-8 header message cannot be transferred to one or more recipients", "send without UTF-8 headers", Sender, "RFC 6531 §3.6"},
	{6, 10}: {"a UTF-8 string reply is required but not permitted by the client", "", SendingAdmin, "RFC 6531 §3.6"},
	{7, 0}:  {"other or undefined security status", "read the text: usually a policy rejection", SendingAdmin, "RFC 3463 §3.8"},
	{7, 1}:  {"delivery not authorized, message refused (policy, reputation, or relaying denied)", "if relaying: authenticate or send through your own provider; if policy: check the sending IP's reputation and authentication", SendingAdmin, "RFC 3463 §3.8"},
	{7, 2}:  {"mailing list expansion prohibited", "ask the list's owner for permission", Sender, "RFC 3463 §3.8"},
	{7, 3}:  {"security conversion required but not possible", "", SendingAdmin, "RFC 3463 §3.8"},
	{7, 4}:  {"security features not supported", "", SendingAdmin, "RFC 3463 §3.8"},
	{7, 5}:  {"cryptographic failure", "", SendingAdmin, "RFC 3463 §3.8"},
	{7, 6}:  {"cryptographic algorithm not supported", "", SendingAdmin, "RFC 3463 §3.8"},
	{7, 7}:  {"message integrity failure", "", SendingAdmin, "RFC 3463 §3.8"},
	{7, 8}:  {"authentication credentials invalid", "check the user name and password (or app password / OAuth2 token)", Sender, "RFC 4954 §6"},
	{7, 9}:  {"the authentication mechanism is too weak", "use a stronger mechanism", Sender, "RFC 4954 §6"},
	{7, 10}: {"encryption needed", "use STARTTLS or implicit TLS", SendingAdmin, "RFC 5248 §2.4"},
	{7, 11}: {"encryption required for the requested authentication mechanism", "issue STARTTLS before AUTH", Sender, "RFC 4954 §6"},
	{7, 12}: {"a password transition is needed", "change the password, then retry", Sender, "RFC 4954 §6"},
	{7, 13}: {"the user account is disabled", "contact the provider", Sender, "RFC 5248 §2.4"},
	{7, 14}: {"a trust relationship is required", "", SendingAdmin, "RFC 5248 §2.4"},
	{7, 15}: {"the priority level is too low", "", Sender, "RFC 6710 §9"},
	{7, 16}: {"the message is too big for the specified priority", "", Sender, "RFC 6710 §9"},
	{7, 17}: {"the mailbox owner has changed", "confirm the recipient's address", Sender, "RFC 7293 §4"},
	{7, 18}: {"the domain owner has changed", "confirm the recipient's address", Sender, "RFC 7293 §4"},
	{7, 19}: {"the RRVS test cannot be completed", "", SendingAdmin, "RFC 7293 §4"},
	{7, 20}: {"no passing DKIM signature was found", "sign outgoing mail with DKIM and publish the key", SendingAdmin, "RFC 7372 §3.1"},
	{7, 21}: {"no acceptable DKIM signature was found", "sign with an accepted algorithm and key size (RSA ≥ 1024 bits, preferably 2048, or Ed25519)", SendingAdmin, "RFC 7372 §3.1"},
	{7, 22}: {"no valid author-matched DKIM signature was found", "sign with the From: domain (d= aligned with the author)", SendingAdmin, "RFC 7372 §3.1"},
	{7, 23}: {"SPF validation failed: the sending IP is not authorised by the sender domain's SPF record", "add the sending server to the domain's SPF record", SendingAdmin, "RFC 7372 §3.2"},
	{7, 24}: {"SPF validation error (temperror or permerror)", "fix the SPF record's syntax and lookup count (smtptool spf DOMAIN)", SendingAdmin, "RFC 7372 §3.2"},
	{7, 25}: {"reverse DNS validation failed: the sending IP has no PTR, or the PTR does not resolve back", "set a PTR for the sending IP that resolves back to it", SendingAdmin, "RFC 7372 §3.3"},
	{7, 26}: {"multiple authentication checks failed (SPF, DKIM, DMARC)", "publish SPF, sign with DKIM and align both with the From: domain for DMARC", SendingAdmin, "RFC 7372 §3.4"},
	{7, 27}: {"the sender's domain has a null MX: it cannot receive replies", "send from a domain that accepts mail", SendingAdmin, "RFC 7505 §4.3"},
	{7, 28}: {"mail flood detected: too many similar messages", "slow down and check for a compromised account or a runaway script", SendingAdmin, "IANA SMTP Enhanced Status Codes registry"},
	{7, 29}: {"ARC validation failure", "check the forwarding chain's ARC signatures", SendingAdmin, "RFC 8617 §5.2"},
	{7, 30}: {"REQUIRETLS support required", "the path cannot honour REQUIRETLS", SendingAdmin, "RFC 8689 §5"},
}

// LookupEnhanced explains an enhanced status code.
func LookupEnhanced(e Enhanced) (EnhancedInfo, bool) {
	info, ok := enhanced[sd{e.Subject, e.Detail}]
	if !ok {
		// RFC 3463 §3: an unknown detail is read as its subject's X.Y.0.
		info, ok = enhanced[sd{e.Subject, 0}]
		return info, false
	}
	return info, ok
}
