// Classification: a failure's reason (Sisimai's taxonomy) from the codes
// and the words of the reply.
//
// The precedence, most specific first:
//  1. a decisive enhanced status (decisive: X.2.2 mailbox full, X.7.26
//     authentication…); X.4.7 lets the words name the problem first;
//  2. the words: sourced sentences (knowledge.go), then the rules' phrases;
//     a generic reason gives way to a specific one in a later text;
//  3. Sisimai's per-reason lists (sisimailists.go), when the status names
//     nothing Sisimai itself would keep;
//  4. the status table (byStatus), then the reply code's class;
//  5. refine: the SMTP command that was refused (refine.go);
//  6. the receiver's own wording when the reply is theirs: the providers'
//     documented messages (rhosttables.go), then receivers.go;
//  7. the reporting MTA's own verdict, for an MTA recognised by its headers
//     (engines.go), applied to the bounce's recipients last.

package explain

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// Reasons are the bounce classification of Sisimai, the reference bounce
// classifier, so that results can be compared with it (FINDINGS.md).
var Reasons = []string{"userunknown", "mailboxfull", "hostunknown", "norelaying", "blocked", "spamdetected",
	"virusdetected", "policyviolation", "rejected", "securityerror", "authfailure", "requireptr", "badreputation",
	"toomanyconn", "speeding", "mesgtoobig", "exceedlimit", "contenterror", "notcompliantrfc", "syntaxerror",
	"systemerror", "systemfull", "networkerror", "failedstarttls", "expired", "suspend", "hasmoved", "filtered",
	"notaccept", "onhold", "mailererror", "vacation", "delivered", "feedback", "undefined"}

// rule is a reason and the phrases (regular expressions, matched on lower
// case text) that reveal it. Rules are tried in order: specific first.
type rule struct {
	reason string
	re     *regexp.Regexp
}

func phrases(reason string, ps ...string) rule {
	return rule{reason, regexp.MustCompile(`(?:` + strings.Join(ps, `|`) + `)`)}
}

// dnsFailure is a failed DNS lookup of the destination: a network error
// that, unlike a refused or timed-out connection, names the actual problem
// behind an expiry.
var dnsFailure = phrases("networkerror", `temporary failure in name resolution`, `host name lookup failure`, `name server timeout`, `dns (mx )?lookup failed`, `host not found, try again`)

// rules are compiled when first used, not at start-up: most runs of the
// tool never classify a bounce.
var rules = sync.OnceValue(func() []rule {
	return []rule{
		phrases("expired", `delivery time expired`, `retry timeout exceeded`, `message (has )?expired`,
			`could not be delivered for`,
			`was not delivered within`,
			`delivery attempts? (will continue|expired)`, `message timed out`,
			`(retry|delivery) (period|time) (expired|exceeded)`,
			`failing for a long time`, `did not accept our requests to connect`, `could not deliver for the last`,
			`envelope expired`, `deferred: connection timed out`),
		phrases("mailboxfull", `mailbox (is )?(full|over|exceeded)`, `quota (has been |was )?exceeded`, `over (the )?quota`, `exceed(ed|s)? (the |its )?(mailbox |storage |disk )?quota`,
			`mailbox size limit`, `(mailbox|mail ?box|inbox|mail ?folder) (is |has become )?(currently )?full`,
			`user.{0,30}(has )?(exceeded|over) .{0,20}(quota|storage|limit)`,
			`full mailbox`, `quota violation`, `storage (allocation|quota)`, `\b[45]\.2\.2\b`),
		phrases("mesgtoobig", `size limit exceeded`, `line limit exceeded`, `message (size |length )?(is )?too (big|large|long)`, `message (size |length )?exceeds`, `size (of the message )?exceeds`,
			`size exceeds (fixed|maximum|my databytes)`, `exceeds maximum fixed size`, `mail too big`,
			`too big for (the )?system`, `message size limit`, `\b[45]\.3\.4\b`),
		phrases("exceedlimit", `exceed(s|ed)? (the )?(administrative|message) (size )?limit`),
		phrases("hasmoved", `has moved`),
		phrases("suspend", `(account|mailbox|user|address) (is |has been )?(temporarily )?(disabled|deactivated|suspended|locked|inactive|frozen|blocked by the user)`,
			`inactive (account|mailbox|user)`,
			`this account has been (disabled|suspended)`, `user (is )?(terminated|expired|disabled)`),
		phrases("notaccept", `couldn'?t find a mail exchanger`, `null mx`, `accepts no mail`,
			`indicated no smtp service`, `no mx (records? )?found`),
		dnsFailure,
		phrases("networkerror", `network error`),
		phrases("mailererror", `mailer error`, `command output:`, `command (died|failed|exited)`, `pipe to`, `procmail`),
		phrases("hostunknown", `unrouteable address`, `host (or domain name )?(unknown|not found)`, `unknown (host|domain)`, `domain (name )?(not found|does not exist|unknown)`,
			`no such (host|domain)`, `name or service not known`, `host .{0,40}(could not be found|not found)`, `domain is not reachable`),
		phrases("userunknown", `user unknown`, `unknown user`, `no such (user|mailbox|recipient|address|local user)`, `user (not found|doesn'?t exist|does not exist)`,
			`(mailbox|recipient|address|account|user|destination).{0,40}(does not|doesn'?t|did not) exist`, `does not exist`, `recipient (address )?(unknown|not found|rejected: user)`,
			`unknown (recipient|local[- ]part|address|mailbox|user name)`, `invalid (recipient|mailbox|address|user)`, `(mailbox|recipient) not found`,
			`no (mailbox|account) (here|by that name|for)`, `not (a )?valid (recipient|mailbox|user)`, `recipient address rejected: access denied`, `(doesn'?t|does not) have an? .{0,40}account`, `bad (recipient|destination mailbox)`,
			`address (is )?(unknown|invalid|not found)`, `is not a known user`, `unknown or illegal alias`, `no valid recipients`,
			`not listed in (the )?(domino )?directory`, `recipient .{0,40} (was )?not found`, `mailbox unavailable`, `undeliverable address`, `no such person`,
			`(user|recipient|mailbox) (is )?unknown`, `account does not exist`, `addressee unknown`, `invalid address`),
		phrases("norelaying", `\bno relaying\b`, `not configured to relay`, `relay(ing)? (access )?(denied|not (permitted|allowed))`, `not permitted to relay`, `unable to relay`,
			`is not a local domain`, `relay not allowed`),
		phrases("requireptr", `reverse (dns|lookup|name)`, `no ptr`, `ptr record`, `rdns`, `cannot find your (reverse )?hostname`,
			`hostname .{0,40}(does not|doesn'?t) (resolve|match)`),
		phrases("blocked", `client host (\S+ )?blocked`),
		phrases("spamdetected", `classified as spam`, `rejected (due to|as|for) spam`),
		// SPF, DKIM or DMARC named with a failure (RFC 7372 §3 gives the
		// status codes; the words of a bare mention may be a link or a hint).
		phrases("authfailure", `\b(spf|dkim|dmarc)\b.{0,40}(fail|reject|invalid|not (pass|allowed|permitted|aligned|designate))`,
			`sender policy framework`,
		),
		phrases("failedstarttls", `remote server does not support tls`, `starttls failed`, `tls handshake failed`, `must issue a starttls`, `tls is required`),
		phrases("securityerror", `unauthenticated senders?`, `authentication (is )?required`, `(smtp )?auth(entication)? (failed|rejected|credentials invalid)`, `encryption required`),
		// Reputation and RFC 5322 conformance are narrower than "spam", which
		// their refusals often mention (Sisimai reason.rb tries them first too).
		phrases("badreputation", `(poor|low|bad) reputation`),
		phrases("notcompliantrfc", `multiple .{0,30}addresses in (the )?from`, `rfc ?5322`, `not rfc compliant`),
		phrases("virusdetected", `virus`, `malware`, `infected`),
		phrases("spamdetected", `blacklisted url`, `spam`, `bulk mail`, `unsolicited`, `content filter`, `message content rejected`, `looks like (spam|junk)`),
		// An address (not the client's IP) on a block list refuses the sender.
		phrases("rejected", `address that (has been|is) (blacklisted|blocklisted|blocked)`),
		// qmail-remote.c: "Connected to X but my name was rejected" is its
		// report of a refused HELO.
		phrases("blocked", `my name was rejected`, `not accepting connections`, `invalid ip for sending`, `blocked`, `block ?list`, `black ?list`, `listed (in|on|at)`, `spamhaus`, `spamcop`, `\brbl\b`, `dnsbl`, `barracuda`,
			`client host .{0,60}rejected`, `your ip`, `ip address .{0,40}(rejected|not allowed|banned)`, `banned`,
			`not allowed to (send|connect)`, `dynamic (ip|address)`, `refused to talk`),
		// GoDaddy IB607: "This IP has sent too many to too many recipients
		// this hour" (GoDaddy's bounce codes, as listed in Sisimai rhost/godaddy.rb).
		phrases("speeding", `too many recipients (this|per|an?) (hour|minute|day)`),
		phrases("toomanyconn", `too many recipients`, `connection rate limit`, `too many (connections|concurrent|simultaneous|sessions)`, `connection limit`),
		phrases("speeding", `rate limit`),
		phrases("contenterror", `content (type|error|rejected)`, `(invalid|illegal|bad) (header|mime|character|content)`, `header line is too long`),
		phrases("policyviolation", `header error`, `polic(y|ies)`, `violat`),
		phrases("rejected", `sender (address )?(rejected|denied|refused|blocked|unknown|verify failed|domain)`, `domain of sender`,
			`envelope (sender|from)`, `sender (is )?not (allowed|permitted)`,
			`not (allowed|permitted) to post`, `not a member`, `permission to post`),
		phrases("notaccept", `does not accept (mail|e-?mail)`, `null mx`, `accepts no mail`),
		phrases("syntaxerror", `malformed address`, `parameter not implemented`, `syntax error`, `command (not )?(unrecognized|recognized|implemented)`, `bad sequence`),
		phrases("systemfull", `insufficient system storage`, `disk (is )?full`, `out of disk`, `\b[45]\.3\.1\b`),
		phrases("expired", `in the queue too long`),
		phrases("networkerror", `connection (refused|timed out|reset|lost|closed)`, `no route to host`, `network (is )?unreachable`, `lost connection`, `dns (error|failure|lookup)`,
			`host (is )?(not responding|unreachable|down)`, `could not connect`, `unable to connect`, `timed out`, `routing loop`, `mail loop`, `too many hops`, `\b[45]\.4\.[0-6]\b`),
		phrases("systemerror", `duplicated? message-id`, `system (error|failure)`, `internal (server )?error`, `local error`, `server error`, `temporar(y|ily) (failure|unavailable|error)`, `try again later`,
			`service (is )?(not )?available`, `(service|server|system|host|mailbox|resource) (is )?(currently |temporarily )?unavailable`, `\b[45]\.3\.[0-9]\b`),
	}
})

// byStatus maps enhanced status codes to reasons when the words say
// nothing more specific (RFC 3463, the IANA registry).
var byStatus = map[string]string{
	"1.1": "userunknown", "1.0": "userunknown", "1.2": "hostunknown", "1.3": "userunknown", "1.4": "userunknown", "1.6": "hasmoved",
	"1.7": "rejected", "1.8": "rejected", "1.10": "notaccept", "2.0": "mailboxfull", "2.1": "suspend", "2.2": "mailboxfull",
	"2.3": "exceedlimit", "2.4": "systemerror", "3.0": "systemerror", "3.1": "systemfull", "3.2": "notaccept", "3.3": "systemerror",
	"3.4": "mesgtoobig", "3.5": "systemerror", "4.0": "networkerror", "4.1": "networkerror", "4.2": "networkerror", "4.3": "systemerror",
	"4.4": "hostunknown", "4.5": "toomanyconn", "4.6": "networkerror", "4.7": "expired", "5.0": "syntaxerror", "5.1": "syntaxerror",
	"5.2": "syntaxerror", "5.3": "exceedlimit", "5.4": "syntaxerror", "5.5": "syntaxerror", "6.0": "contenterror", "6.1": "contenterror",
	"7.0": "policyviolation", "7.1": "securityerror", "7.2": "policyviolation", "7.3": "securityerror", "7.4": "securityerror", "7.5": "securityerror", "7.6": "securityerror", "7.7": "securityerror",
	"7.8": "securityerror", "7.9": "securityerror",
	"7.10": "failedstarttls", "7.13": "suspend", "7.17": "hasmoved", "7.20": "authfailure", "7.21": "authfailure", "7.22": "authfailure",
	"7.23": "authfailure", "7.24": "authfailure", "7.25": "requireptr", "7.26": "authfailure", "7.27": "notaccept", "7.28": "speeding",
}

// decisive are enhanced codes that name their reason whatever the words
// around them say.
var decisive = map[string]string{
	"2.2": "mailboxfull", "3.4": "mesgtoobig", "2.3": "exceedlimit", "1.6": "hasmoved", "1.7": "rejected", "1.8": "rejected",
	"7.20": "authfailure", "7.21": "authfailure", "7.22": "authfailure", "7.23": "authfailure", "7.24": "authfailure",
	"7.25": "requireptr", "7.26": "authfailure", "1.10": "notaccept", "7.27": "notaccept",
}

// subjectDetail is "1.1" of "5.1.1".
func subjectDetail(e Enhanced) string { return fmt.Sprintf("%d.%d", e.Subject, e.Detail) }

// Classify names the reason of a failure from its reply code, enhanced
// status code and texts, tried in order (the diagnostic first): a decisive
// enhanced code, then the words of the receivers, which are the most
// specific, then the enhanced code, then the reply code's class.
func Classify(code int, enhanced string, texts ...string) string {
	reason, _ := classify(code, enhanced, nil, texts...)
	return reason
}

// classify is Classify that also tells whether the texts' words named the
// reason, rather than the codes alone; the words of w, when given, are the
// last text, read once per bounce.
func classify(code int, enhanced string, w *wide, own ...string) (reason string, fromWords bool) {
	own = slices.Clone(own)
	for i := range own {
		own[i] = bounded(own[i])
	}
	texts := own
	if w != nil && w.text != "" {
		texts = append(own[:len(own):len(own)], w.text)
	}
	e, known := ParseEnhanced(enhanced)
	if known && e.Class != 2 {
		if r, ok := decisive[subjectDetail(e)]; ok {
			return r, false
		}
		if e.Subject == 4 && e.Detail == 7 {
			// RFC 3463 X.4.7: the message expired, but "the code for the
			// actual problem found when delivery was attempted should be
			// returned rather than this code": the words may name it.
			if r := specificWords(own); r != "" {
				return r, true
			}
			if w != nil && w.specific != "" {
				return w.specific, true
			}
			return "expired", false
		}
	}
	// Sisimai's lists apply unless the status code names a reason Sisimai
	// itself would keep (lib/sisimai/reason.rb: only a missing status, or
	// one of its "retry" reasons, goes on to the words).
	sr, ok := byStatus[subjectDetail(e)]
	listsApply := !known || e.Subject == 0 && e.Detail == 0 || !ok || sisimaiRetried[sr]
	// A generic reason ("service unavailable") in one text gives way to a
	// specific one in the next.
	fallback := ""
	for i, t := range texts {
		// After the diagnostic's own words, a specific status code says
		// more than the generic prose around it.
		if i > 0 && known && e.Class != 2 && (e.Subject != 0 || e.Detail != 0) {
			if r, ok := byStatus[subjectDetail(e)]; ok {
				return r, false
			}
		}
		var r string
		if i == len(own) {
			r = w.words
		} else {
			r = wordsReason(t)
		}
		if r == "" {
			continue
		}
		if r == "expired" && known && e.Class == 4 && e.Subject != 0 && !(e.Subject == 4 && (e.Detail <= 2 || e.Detail == 7)) {
			// "Gave up after retrying" with the status of the problem
			// that kept failing (qmail: "Unable to contact LDAP server.
			// (#4.4.3) ... in the queue too long"): name the problem (RFC
			// 3463 X.4.7). Connection failures (X.4.0-X.4.2) are what an
			// expiry usually means, and say no more.
			if sr, ok := byStatus[subjectDetail(e)]; ok {
				return sr, false
			}
		}
		if !generic[r] {
			return r, true
		}
		if fallback == "" {
			fallback = r
		}
	}
	// No rule knew the words, or only a generic reason: Sisimai's lists
	// may know the texts read as one.
	if listsApply {
		if r := sisimaiWords(own, w); r != "" && !generic[r] {
			return r, true
		}
	}
	if fallback != "" {
		return fallback, true
	}
	if code == 521 || code == 556 {
		// RFC 7504 §3: the host or domain takes no mail, when the reply's
		// words do not say something more exact (servers also send 521
		// for other refusals).
		return "notaccept", false
	}
	if known {
		if e.Class == 2 {
			return "delivered", false
		}
		if r, ok := byStatus[subjectDetail(e)]; ok {
			return r, false
		}
	}
	switch {
	case code >= 200 && code < 300:
		return "delivered", false
	case code%100 > 0 && code%100 < 8 && (code/100 == 4 || code/100 == 5):
		// RFC 5321 §4.2.1: a second digit 0 is a syntax error (501
		// arguments, 502 not implemented, 503 bad sequence, 504
		// parameter; Sisimai reason/syntaxerror.rb reads 401-407 and
		// 501-507 so).
		return "syntaxerror", false
	case code == 525:
		// RFC 5248 (IANA's registry): 525 5.7.13 User Account Disabled
		// (Sisimai reason/suspend.rb).
		return "suspend", false
	case code == 421 || code == 450 || code == 451:
		return "systemerror", false
	case code == 452 || code == 552:
		return "mailboxfull", false
	case code == 550 || code == 553:
		return "userunknown", false
	case code == 554:
		return "rejected", false
	case code > 0:
		return "undefined", false
	}
	return "onhold", false
}

// wordsReason is the reason of the first rule whose phrases a text holds.
func wordsReason(t string) string {
	t = folded(t) // a reply folded over lines is one sentence
	// Gmail's preamble before any reason: not a reason itself.
	t = strings.ReplaceAll(t, "rejected by the recipient domain", "")
	if strings.TrimSpace(t) == "" {
		return ""
	}
	if r := knownReason(t); r != "" {
		return r
	}
	for _, r := range rules() {
		if r.re.MatchString(t) {
			return r.reason
		}
	}
	return ""
}

// sisimaiRetried are the reasons of a status code that Sisimai checks
// against the words again (lib/sisimai/reason.rb, Reason.retry).
var sisimaiRetried = map[string]bool{"undefined": true, "onhold": true, "systemerror": true, "securityerror": true,
	"expired": true, "suspend": true, "networkerror": true, "hostunknown": true, "userunknown": true}

// folded is a text as the sourced lists are matched against it: lower
// case, each run of white space one space (Sisimai::String.sweep), so a
// reply folded over lines reads as one sentence.
func folded(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// sisimaiWords is the reason of the first of Sisimai's lists that the
// texts (and w's) hold (sisimailists.go), "" when none does. As Sisimai
// does, the lists are tried in their order over the whole text, folded.
func sisimaiWords(texts []string, w *wide) string {
	t := folded(strings.Join(texts, " "))
	for i, k := range sisimaiLists {
		if k.matches(t) || w != nil && w.lists != nil && w.lists[i] {
			return k.reason
		}
	}
	return ""
}

// specificWords is the first reason that the texts' words name, other
// than expiry, the generic ones and network errors other than DNS failures
// (a connection that failed is what an expiry usually means).
func specificWords(texts []string) string {
	for _, t := range texts {
		t = folded(t)
		if r := knownReason(t); r != "" {
			return r
		}
		for _, r := range rules() {
			if (r.re == dnsFailure.re || r.reason != "expired" && r.reason != "networkerror" && !generic[r.reason]) && r.re.MatchString(t) {
				return r.reason
			}
		}
	}
	return ""
}
