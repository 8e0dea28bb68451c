package explain

import (
	"cmp"
	"regexp"
	"slices"
	"strings"
)

// A non-standard bounce lists each failed recipient at the start of a line,
// followed by what the remote server said about it:
//
//	  user@example.com
//	    host mx.example.com [192.0.2.1]
//	    SMTP error from remote mail server after RCPT TO:<user@example.com>:
//	    550 5.1.1 User unknown                                   (Exim)
//	<user@example.com>:
//	192.0.2.1 does not like recipient.                           (qmail)
//	>>> RCPT To:<user@example.com>
//	<<< 550 5.1.1 User unknown
//	550 <user@example.com>... User unknown                       (Sendmail)
//	Recipient address: user@example.com                          (Messaging Server)
//
// Addresses that appear inside a sentence (the sender in "MAIL FROM:<...>",
// "generated from ...") are not recipients.
var (
	recipientLead = regexp.MustCompile(`(?i)^\s*(?:[>*-]+\s*)?(?:(?:original |final |failed )?recipient(?: address)?\s*:\s*(?:rfc822\s*;\s*)?|rcpt to\s*:\s*|address\s*:\s*|[245]\d\d[ -]+)?[<"(\[]?(` + addrPattern.String() + `)`)
	// quotedHeader is a header field of the returned message quoted in the text.
	quotedHeader = regexp.MustCompile(`(?i)^\s*(?:from|to|cc|bcc|reply-to|sender|return-path|message-id|date|subject|received|references|in-reply-to|delivered-to|envelope-to|x-[\w-]+|original-envelope-id|reporting-mta)\s*:`)
	// sessionLine is a line of an SMTP transcript (Sendmail, Exim): it
	// belongs to the recipient line that follows it.
	sessionLine = regexp.MustCompile(`(?i)^\s*(?:>>>|<<<|while talking to |[45]\d\d \S+ \(\w+\)\.\.\. )`)
	// replyStart is where a remote server's reply begins.
	replyStart = regexp.MustCompile(`(?:^|[\s:;(])[45]\d\d(?:[ :-]|$)`)
	// notRecipient marks an address that is the sender or an alias source.
	notRecipient = regexp.MustCompile(`(?i)(?:mail from:?\s*<?|generated from |envelope-from <?|expanded from:?\s*)$`)
)

// listed is a recipient a bounce's text names, with the lines about it.
type listed struct {
	addr, lines string
}

// listedRecipients finds the recipients a bounce's text names, each with
// the lines about it, in order.
func listedRecipients(text string, ignore []string) []listed {
	lines := strings.Split(text, "\n")
	type lead struct {
		line int
		addr string
	}
	var leads []lead
	daemon := func(a string) bool {
		return strings.HasPrefix(a, "mailer-daemon@") || strings.HasPrefix(a, "postmaster@")
	}
	skip := func(a string) bool { return daemon(a) || slices.Contains(ignore, a) }
	for _, keepIgnored := range []bool{false, true} {
		// When the only recipient listed is an address set aside (one
		// who wrote to themselves), take the list as it is.
		for i, line := range lines {
			if quotedHeader.MatchString(line) {
				continue
			}
			m := recipientLead.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			if sentBy(lines, i) {
				continue
			}
			if a := bareAddress(m[1], []int{0, len(m[1])}); !daemon(a) && (keepIgnored || !skip(a)) {
				leads = append(leads, lead{i, a})
			}
		}
		if len(leads) > 0 {
			break
		}
	}
	if len(leads) == 0 {
		// No list: take the addresses named anywhere in the bounce's words.
		for i, line := range lines {
			if quotedHeader.MatchString(line) {
				continue
			}
			for _, loc := range addrPattern.FindAllStringIndex(line, -1) {
				a := bareAddress(line, loc)
				if !skip(a) && !notRecipient.MatchString(line[:loc[0]]) {
					leads = append(leads, lead{i, a})
				}
			}
		}
	}

	// Each recipient's words run from its first line (and the transcript
	// just before it) to where the next recipient's words begin.
	starts := make([]int, len(leads))
	for k, l := range leads {
		starts[k] = l.line
		floor := 0
		if k > 0 {
			floor = leads[k-1].line + 1
		}
		for starts[k] > floor && sessionLine.MatchString(lines[starts[k]-1]) {
			starts[k]--
		}
	}
	var out []listed
	seen := map[string]bool{}
	for k, l := range leads {
		if seen[l.addr] {
			continue
		}
		seen[l.addr] = true
		end := len(lines)
		for n := k + 1; n < len(leads); n++ {
			if leads[n].addr != l.addr {
				end = starts[n]
				break
			}
		}
		end = max(min(end, l.line+12), l.line+1)
		out = append(out, listed{l.addr, strings.TrimSpace(strings.Join(lines[starts[k]:end], "\n"))})
	}
	return out
}

// textRecipients finds failed recipients in a non-standard bounce, each
// with the words the bounce says about it.
func textRecipients(text string, ignore []string) []Recipient {
	list := listedRecipients(text, ignore)
	switch len(list) {
	case 0:
		r := textRecipient("", "", readWide(text), true)
		if r.Reason == "onhold" {
			r.Reason = "undefined" // neither a recipient nor a reason: nothing to go on
		}
		return []Recipient{r}
	case 1:
		return []Recipient{textRecipient(list[0].addr, list[0].lines, readWide(text), true)}
	}
	// With several recipients, the words before the first one's speak of
	// them all; what follows is each one's own, or the returned message.
	before := ""
	if i := strings.Index(text, list[0].lines); i > 0 {
		before = text[:i]
	}
	w := readWide(before)
	var out []Recipient
	for _, l := range list {
		out = append(out, textRecipient(l.addr, l.lines, w, false))
	}
	return out
}

// textRecipient classifies one recipient of a non-standard bounce from the
// remote server's reply, its own lines, then the words of w. The SMTP
// command refused is read from its own lines, and from w's when it is
// the only recipient.
func textRecipient(addr, ctx string, w *wide, only bool) Recipient {
	ctx = bounded(ctx)
	r := Recipient{Address: addr, Diagnostic: ctx}
	reply := serverReply(ctx)
	r.Code, r.Enhanced = codes(reply + "\n" + ctx)
	if r.Code == 0 && r.Enhanced == "" {
		r.Code, r.Enhanced = w.code, w.enhanced
	}
	if reply != "" {
		r.Diagnostic = reply
	}
	if ctx == "" {
		r.Diagnostic = strings.TrimSpace(w.text)
	}
	texts := []string{reply, ctx}
	if reply == "" {
		texts = texts[1:]
	}
	stated, known := command(ctx), knownReason(folded(ctx))
	if only {
		stated, known = cmp.Or(stated, w.command), cmp.Or(known, w.known)
	}
	r.Command = cmp.Or(stated, commandNamed(ctx+"\n"+r.Diagnostic))
	reason, _ := classify(r.Code, r.Enhanced, w, texts...)
	r.Reason = refine(reason, r.Enhanced, r.Command, stated != "", known)
	if generic[r.Reason] && r.Code/100 == 4 && r.Enhanced == "" && !w.stillTrying {
		// A bare transient reply in a final report: the MTA gave up
		// retrying (as for a DSN's failed recipient with a 4.x.x status
		// and no stated reason).
		r.Reason = "expired"
	}
	r.RemoteMTA = remoteHost(ctx)
	r.Reason = receiverReason(r.Reason, r.Code, r.Enhanced, r.Command, reply, ctx, w, r.Address+" "+r.RemoteMTA)
	r.Permanent = r.Code >= 500 || strings.HasPrefix(r.Enhanced, "5")
	return r
}

// serverReply is the first reply of a remote server in a recipient's
// lines: from its code to the end of the reply, continuation lines
// included. "" when the lines hold no reply code.
func serverReply(ctx string) string {
	lines := strings.Split(ctx, "\n")
	for i, line := range lines {
		loc := replyStart.FindStringIndex(line)
		if loc == nil {
			continue
		}
		reply := strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(line[loc[0]:]), ":;("))
		for _, next := range lines[i+1:] {
			t := strings.TrimSpace(next)
			// RFC 5321 §4.2.1: "550-" continues a multiline reply; some
			// bounces wrap a long reply onto indented lines.
			if t == "" || !(strings.HasPrefix(next, " ") || strings.HasPrefix(next, "\t") || multiline.MatchString(t)) {
				break
			}
			reply += " " + t
		}
		return reply
	}
	return ""
}

// stillTrying marks a delay warning, not a final report, in the MTAs'
// words: Sendmail's "Will keep trying until message is %s old" and "THIS
// IS A WARNING MESSAGE ONLY / YOU DO NOT NEED TO RESEND YOUR MESSAGE",
// Postfix's "THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR
// MESSAGE." (bounce_templates.c), Exim's "has not yet been delivered" and
// "Delivery attempts will continue" (deliver.c), Gmail's "Delivery to the
// following recipient has been delayed" (Sisimai lhost/gmail.rb).
var stillTrying = regexp.MustCompile(`(?i)will keep trying|warning message only|do not need to resend|not yet been delivered|delivery attempts will continue|recipient has been delayed`)

var multiline = regexp.MustCompile(`^[45]\d\d-`)

// bareAddress is the address found at loc in line, lower case, without
// what the address pattern takes in but is not part of it: the opening
// quote of 'a@example.net' (an apostrophe may begin a local part, RFC
// 5322 §3.2.3, but not when one also closes the address), and the
// "SMTP=" of Exchange's X.400 form "dda:SMTP=a@example.net" (RFC 2156
// domain-defined attributes).
func bareAddress(line string, loc []int) string {
	a := line[loc[0]:loc[1]]
	if strings.HasPrefix(a, "'") && loc[1] < len(line) && line[loc[1]] == '\'' {
		a = a[1:]
	}
	if len(a) > 5 && strings.EqualFold(a[:5], "smtp=") && strings.Contains(a[5:], "@") {
		a = a[5:]
	}
	return strings.ToLower(a)
}

// wideLimit bounds each text the rules and the receivers' wording are
// matched against (a reply, a recipient's lines, the words a bounce says
// of all its recipients): an SMTP reply line is at most 512 bytes (RFC
// 5321 §4.5.3.1.5), a bounce's explanation a few KB, and what follows is
// the returned message. Reading a bounce then costs its length, however
// many recipients it lists and however long its lines.
const wideLimit = 8 << 10

// bounded is s cut, at a line's end, to at most wideLimit bytes.
func bounded(s string) string {
	if len(s) <= wideLimit {
		return s
	}
	if i := strings.LastIndexByte(s[:wideLimit], '\n'); i > 0 {
		return s[:i]
	}
	return s[:wideLimit]
}

// sentBy reports line i of an Exim bounce naming the sender, not a
// recipient: Exim's deliver.c writes "A message sent by\n\n  <%s>\n\n
// could not be delivered to one or more of its recipients".
func sentBy(lines []string, i int) bool {
	for j := i - 1; j >= 0 && j >= i-2; j-- {
		if l := strings.TrimSpace(lines[j]); l != "" {
			return l == "A message sent by"
		}
	}
	return false
}

// remoteHosts are the MTAs' reports of the host that refused: Postfix's
// "host %s said: %s" and "connect to %s[%s]" (smtp_proto.c,
// smtp_connect.c; the name is "host[address]"), Exim's "host %s [%s]"
// (deliver.c), Sendmail's "... while talking to %s:" (deliver.c), and
// qmail-remote's "Connected to %s but ..." and "%s does not like
// recipient." (qmail-remote.c, which names the address).
var remoteHosts = regexp.MustCompile(`(?i)\bhost ([a-z0-9][a-z0-9.-]*)\[[0-9a-f.:]+\] said:|\bconnect to ([a-z0-9][a-z0-9.-]*)\[[0-9a-f.:]+\]|` +
	`\bhost ([a-z0-9][a-z0-9.-]*) \[[0-9a-f.:]+\]|while talking to ([a-z0-9][a-z0-9.-]*?)\.?:|` +
	`\bconnected to ([0-9a-f.:]+) but |(?m)^\s*([0-9a-f.:]+) (?:does not like recipient|failed after i sent the message|failed on data command)`)

// remoteHost is the remote MTA a recipient's lines name, lower case; ""
// when they name none.
func remoteHost(ctx string) string {
	if m := remoteHosts.FindStringSubmatch(ctx); m != nil {
		return strings.ToLower(strings.Join(m[1:], "")) // one of them is set
	}
	return ""
}
