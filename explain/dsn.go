// Delivery status notifications (RFC 3464): the per-recipient field
// groups, and the reply and enhanced codes in their diagnostics.

package explain

import (
	"cmp"
	"regexp"
	"strconv"
	"strings"
)

// dsnRecipients reads the per-recipient fields of a delivery-status part
// (RFC 3464 §2.3).
func dsnRecipients(text, human string) []Recipient {
	// The notification's own words about each recipient ("<a@b>: temporary
	// failure"), for recipients whose fields carry no diagnostic.
	said := map[string]string{}
	for _, l := range listedRecipients(human, nil) {
		said[l.addr] = l.lines
	}
	var out []Recipient
	verdicts := map[verdictKey]verdict{}
	// The notification's words speak of every recipient: each distinct
	// diagnostic is read with at most wideLimit bytes of them.
	w := readWide(human)
	for _, block := range dsnBlocks(text) {
		f := fields(block)
		addr := f["final-recipient"]
		if !internetAddress(addr) && internetAddress(f["original-recipient"]) || addr == "" {
			// RFC 3464 §2.3.1, §2.3.2: the address the sender gave, when
			// the final one is not an Internet address (an X.400 address,
			// a delivery channel's name such as PMDF's "sims-ms-daemon").
			addr = f["original-recipient"]
		}
		if addr == "" {
			continue
		}
		if _, a, ok := strings.Cut(addr, ";"); ok {
			addr = a
		}
		r := Recipient{Address: cleanAddress(addr), Action: strings.ToLower(f["action"]), RemoteMTA: afterSemicolon(f["remote-mta"])}
		diagType, _, _ := strings.Cut(f["diagnostic-code"], ";")
		r.Diagnostic = afterSemicolon(f["diagnostic-code"])
		status := ""
		// RFC 5322 §3.2.2: a comment may stand anywhere in the field.
		if fs := strings.Fields(stripComments(f["status"])); len(fs) > 0 {
			status = fs[0]
		}
		if _, ok := ParseEnhanced(status); !ok && r.Diagnostic == "" {
			// RFC 3464 §2.3.4 wants a status code here; an MTA that
			// writes its words instead ("553 Exceeded maximum inbound
			// message size") gives its diagnostic.
			r.Diagnostic = strings.TrimSpace(f["status"])
		}
		diag := r.Diagnostic
		if diag == "" {
			diag = said[r.Address]
		}
		if diag == "" {
			diag = w.text
		}
		// A large DSN repeats the same few diagnostics: each distinct one is
		// classified once.
		// Who the report is about, for wording that is one provider's own.
		who := r.Address + " " + r.RemoteMTA
		key := verdictKey{r.Action, diagType, status, diag, namedIn(who).key(), r.Diagnostic != ""}
		v, ok := verdicts[key]
		if !ok {
			v = dsnVerdict(r.Action, diagType, status, diag, r.Diagnostic, w, who)
			verdicts[key] = v
		}
		r.Code, r.Enhanced, r.Permanent, r.Reason, r.Command = v.code, v.enhanced, v.permanent, v.reason, v.command
		if c, ok := powerMTACategories[strings.ToLower(strings.TrimSpace(f["x-powermta-bouncecategory"]))]; ok {
			// PowerMTA's own reading of the failure, checked again as
			// Sisimai checks a verdict of one of its "retry" reasons.
			r.Reason = c
			if sisimaiRetried[c] {
				r.Reason = sisimaiRecheck(c, r.Enhanced, folded(bounded(diag)))
			}
		}
		out = append(out, r)
	}
	return out
}

// powerMTACategories are PowerMTA's bounce categories, which its DSNs
// carry in X-PowerMTA-BounceCategory, by the reasons Sisimai
// lhost/powermta.rb gives them ("inactive-mailbox" is a suspended one).
var powerMTACategories = map[string]string{"bad-domain": "hostunknown", "bad-mailbox": "userunknown",
	"inactive-mailbox": "suspend", "message-expired": "expired", "no-answer-from-host": "networkerror",
	"policy-related": "policyviolation", "quota-issues": "mailboxfull", "routing-errors": "systemerror",
	"spam-related": "spamdetected"}

// verdictKey is what a DSN recipient's classification depends on.
type verdictKey struct {
	action, diagType, status, diag string
	providers                      string // the providers who names (named.key)
	own                            bool   // diag is the recipient's own Diagnostic-Code
}

type verdict struct {
	code      int
	enhanced  string
	permanent bool
	reason    string
	command   string
}

// dsnVerdict classifies one DSN recipient from its fields: action, the
// diagnostic's type, status, the diagnostic text (its own, the
// notification's words about it, or the notification's text) and whether
// it had a Diagnostic-Code of its own; who is the recipient and the
// remote MTA.
func dsnVerdict(action, diagType, status, diag, diagnostic string, w *wide, who string) verdict {
	diag, diagnostic = bounded(diag), bounded(diagnostic)
	var v verdict
	v.code, v.enhanced = codes(diag)
	// RFC 3464 §2.3.4, §2.3.6: Status is the reporting MTA's summary;
	// an enhanced code in the remote server's own reply is more exact.
	if _, ok := ParseEnhanced(status); ok && (v.enhanced == "" || !strings.HasSuffix(status, ".0.0") && !replyHasEnhanced(diag)) {
		v.enhanced = status
	}
	v.permanent = strings.HasPrefix(v.enhanced, "5") || v.code >= 500
	switch action {
	case "delivered", "relayed", "expanded":
		v.reason = "delivered"
	default:
		// The remote server's own reply first: a relay may put its own
		// reading before it ("5.1.0 - Unknown address error 550-'5.7.1
		// ... Access denied'").
		texts := []string{diag}
		if reply := serverReply(diag); reply != "" && reply != diag {
			texts = append([]string{reply}, texts...)
		}
		reason, fromWords := classify(v.code, v.enhanced, w, texts...)
		stated := cmp.Or(command(diag), w.command)
		v.command = cmp.Or(stated, commandNamed(diag))
		v.reason = refine(reason, v.enhanced, v.command, stated != "", cmp.Or(knownReason(folded(diag)), w.known))
		vague := generic[v.reason] || !fromWords
		switch {
		case strings.EqualFold(strings.TrimSpace(diagType), "x-unix") && vague:
			// RFC 3464 §2.3.6: an X-Unix diagnostic is the exit status
			// of a local delivery program (a pipe, procmail).
			v.reason = "mailererror"
		case action == "delayed" && vague:
			// RFC 3464 §2.3.3: still retrying, for no stated reason.
			v.reason = "expired"
		case action == "expired" && vague:
			// Not an RFC 3464 action, but some MTAs write it for a message
			// they gave up retrying (Sisimai reason.rb reads it so too).
			v.reason = "expired"
		case action == "failed" && strings.HasPrefix(v.enhanced, "4.") &&
			(generic[v.reason] || strings.HasPrefix(v.enhanced, "4.4.1") || strings.HasPrefix(v.enhanced, "4.4.2")):
			// RFC 3464 §2.3.3: a transient status on a failed recipient
			// means the MTA gave up retrying: after connection failures
			// (X.4.1, X.4.2) or for no stated reason, the message expired.
			v.reason = "expired"
		}
		// Without a Diagnostic-Code, the notification's words are the
		// receiver's own.
		v.reason = receiverReason(v.reason, v.code, v.enhanced, v.command, cmp.Or(diagnostic, w.text), diag, w, who)
	}
	return v
}

// dsnBlocks splits a delivery-status part into its field groups (RFC 3464
// §2.1: separated by blank lines). Some MTAs omit the blank lines, so a
// second recipient field in a group starts a new one.
func dsnBlocks(text string) []string {
	var blocks []string
	var cur []string
	hasFinal, hasOriginal := false, false
	flush := func() {
		if len(cur) > 0 {
			blocks = append(blocks, strings.Join(cur, "\n"))
		}
		cur, hasFinal, hasOriginal = nil, false, false
	}
	for _, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) == "" {
			flush()
			continue
		}
		lower := strings.ToLower(line)
		final := strings.HasPrefix(lower, "final-recipient:")
		original := strings.HasPrefix(lower, "original-recipient:")
		if final && hasFinal || original && hasOriginal {
			flush() // the field repeats: a new recipient begins
		}
		hasFinal, hasOriginal = hasFinal || final, hasOriginal || original
		cur = append(cur, line)
	}
	flush()
	return blocks
}

// fields parses header-style lines with continuations.
func fields(block string) map[string]string {
	f := map[string]string{}
	last := ""
	for _, line := range strings.Split(block, "\n") {
		if (strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t")) && last != "" {
			f[last] += " " + strings.TrimSpace(line)
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		last = strings.ToLower(strings.TrimSpace(k))
		if _, dup := f[last]; !dup {
			f[last] = strings.TrimSpace(v)
		}
	}
	return f
}

func afterSemicolon(s string) string {
	if _, v, ok := strings.Cut(s, ";"); ok {
		return strings.TrimSpace(v)
	}
	return strings.TrimSpace(s)
}

var addrPattern = regexp.MustCompile(`[A-Za-z0-9.!#$%&'*+/=?^_{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+`)

// internetAddress reports a recipient field's address of type rfc822 (RFC
// 3464 §2.3.2) that is an Internet address and nothing more: not a source
// route ("@relay:user@host", RFC 5321 §4.1.2) nor a domain without a dot.
func internetAddress(field string) bool {
	typ, a, ok := strings.Cut(field, ";")
	if !ok || !strings.EqualFold(strings.TrimSpace(typ), "rfc822") {
		return false
	}
	a = strings.Trim(strings.TrimSpace(a), "<>")
	at := strings.LastIndexByte(a, '@')
	return at > 0 && !strings.HasPrefix(a, "@") && strings.Contains(a[at+1:], ".")
}

func cleanAddress(s string) string {
	if m := addrPattern.FindString(s); m != "" {
		return strings.ToLower(m)
	}
	return strings.Trim(strings.TrimSpace(s), "<>")
}

func addresses(s string) []string {
	var out []string
	for _, m := range addrPattern.FindAllString(s, -1) {
		out = append(out, strings.ToLower(m))
	}
	return out
}

var (
	codePattern     = regexp.MustCompile(`(?:^|[^0-9.])([245][0-5][0-9])(?:[ ,-]|$)`)
	enhancedPattern = regexp.MustCompile(`(?:^|[^0-9.])([245]\.[0-9]{1,3}\.[0-9]{1,3})(?:[^0-9.]|$)`)
)

// codes finds the first reply code and enhanced status code in a text:
// the first failure's code, after any positive reply (a "220" greeting
// before the "421" that closed the session).
func codes(s string) (int, string) {
	code, at := 0, 0
	for _, loc := range codePattern.FindAllStringSubmatchIndex(s, -1) {
		c, _ := strconv.Atoi(s[loc[2]:loc[3]])
		if code == 0 || c >= 400 {
			code, at = c, loc[3]
		}
		if c >= 400 {
			break
		}
	}
	// The enhanced code right after the reply code is the server's own
	// ("550-'5.7.1 ..."); others may be a relay's summary before it.
	if m := replyEnhanced.FindStringSubmatch(s[at:]); code != 0 && m != nil && m[1][0]-'0' == byte(code/100) {
		return code, m[1]
	}
	enh := ""
	if m := enhancedPattern.FindStringSubmatch(s); m != nil {
		if e, ok := ParseEnhanced(m[1]); ok && (code == 0 || e.Class == code/100) {
			enh = m[1]
		}
	}
	return code, enh
}

// replyHasEnhanced reports a reply whose code is followed by an enhanced
// code ("550 5.7.1 ...").
func replyHasEnhanced(reply string) bool {
	loc := codePattern.FindStringSubmatchIndex(reply)
	return loc != nil && replyEnhanced.MatchString(reply[loc[3]:])
}

var replyEnhanced = regexp.MustCompile(`^[ '"-]*([245]\.[0-9]{1,3}\.[0-9]{1,3})(?:[^0-9.]|$)`)

// stripComments drops the parenthesised comments of a header field's
// value (RFC 5322 §3.2.2), nested ones included.
func stripComments(v string) string {
	if !strings.Contains(v, "(") {
		return v
	}
	var b strings.Builder
	depth := 0
	for _, c := range v {
		switch {
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
			b.WriteByte(' ')
		case depth == 0:
			b.WriteRune(c)
		}
	}
	return b.String()
}
