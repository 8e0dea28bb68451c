package explain

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/transform"
)

// ErrNotABounce is returned for a message that reports no delivery problem.
var ErrNotABounce = errors.New("not a bounce, a delivery status notification or a feedback report")

// Recipient is one failed (or reported) recipient of a bounce.
type Recipient struct {
	Address    string `json:"address"`
	Action     string `json:"action,omitempty"` // failed, delayed, delivered... (RFC 3464 §2.3.3)
	Code       int    `json:"code,omitempty"`
	Enhanced   string `json:"enhanced,omitempty"`
	Permanent  bool   `json:"permanent"`
	RemoteMTA  string `json:"remote_mta,omitempty"`
	Diagnostic string `json:"diagnostic,omitempty"`
	Reason     string `json:"reason"`
}

// Bounce is a parsed bounce message.
type Bounce struct {
	// Kind is dsn (RFC 3464), feedback (RFC 5965), autoreply (RFC 3834),
	// ses (an Amazon SES JSON notification) or text (a non-standard bounce
	// read from its words).
	Kind       string      `json:"kind"`
	Subject    string      `json:"subject,omitempty"`
	From       string      `json:"from,omitempty"`
	Recipients []Recipient `json:"recipients"`
}

// part is one leaf of the MIME tree, decoded to UTF-8 text.
type part struct {
	ctype string
	text  string
}

// ParseBounce reads a message (RFC 5322, mbox "From " line allowed, any
// line endings) and finds what failed for whom.
func ParseBounce(raw []byte) (*Bounce, error) {
	return parseBounce(string(raw), 0)
}

// forwardedBounce finds a bounce quoted whole in a text part: an mbox
// "From MAILER-DAEMON" line and the message after it.
var forwardedBounce = regexp.MustCompile(`(?m)^From MAILER-DAEMON[ \t].*\n`)

func parseBounce(raw string, depth int) (*Bounce, error) {
	raw = normalize(raw)
	msg, err := mail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		return nil, ErrNotABounce
	}
	b := &Bounce{Subject: decodeHeader(msg.Header.Get("Subject")), From: decodeHeader(msg.Header.Get("From"))}
	parts := walk(textproto.MIMEHeader(msg.Header), msg.Body, 0)

	for _, p := range parts {
		if p.ctype == "message/feedback-report" {
			return feedback(b, p, parts), nil
		}
	}
	text := humanText(parts)
	for _, p := range parts {
		if p.ctype == "message/delivery-status" || p.ctype == "message/global-delivery-status" {
			if rs := dsnRecipients(p.text, text); len(rs) > 0 {
				b.Kind, b.Recipients = "dsn", rs
				return b, nil
			}
		}
	}
	if depth < 2 {
		// A notice that forwards the bounce it received (OCN, mailing
		// lists): the forwarded bounce says what failed.
		for _, p := range parts {
			if loc := forwardedBounce.FindStringIndex(p.text); loc != nil && strings.HasPrefix(p.ctype, "text/") {
				if inner, err := parseBounce(p.text[loc[1]:], depth+1); err == nil && len(inner.Recipients) > 0 && inner.Recipients[0].Address != "" {
					return inner, nil
				}
			}
		}
	}
	for _, p := range parts {
		if rs := sesRecipients(p.text); len(rs) > 0 {
			b.Kind, b.Recipients = "ses", rs
			return b, nil
		}
	}
	if strings.EqualFold(strings.TrimSpace(msg.Header.Get("X-Apple-Unsubscribe")), "true") {
		// Apple Mail's unsubscribe request (RFC 2369 List-Unsubscribe by
		// mail): the recipient opted out.
		b.Kind = "feedback"
		b.Recipients = []Recipient{{Address: strings.ToLower(addrPattern.FindString(msg.Header.Get("From"))), Diagnostic: "unsubscribe", Reason: "feedback"}}
		return b, nil
	}
	if autoReply(msg.Header, b.Subject) && !fromDaemon(msg.Header) {
		b.Kind = "autoreply"
		to := addresses(msg.Header.Get("To"))
		if len(to) == 0 {
			to = []string{""}
		}
		for _, a := range to {
			b.Recipients = append(b.Recipients, Recipient{Address: a, Reason: "vacation"})
		}
		return b, nil
	}
	if !looksLikeBounce(msg.Header, b.Subject, text) {
		return nil, ErrNotABounce
	}
	b.Kind = "text"
	b.Recipients = textRecipients(text, append(addresses(msg.Header.Get("From")), addresses(msg.Header.Get("To"))...))
	if len(b.Recipients) == 1 && b.Recipients[0].Address == "" {
		// The text names no one: the returned message says whom it was for.
		if to := originalTo(parts); to != "" {
			b.Recipients[0].Address = to
		}
	}
	return b, nil
}

// originalTo is the first To: address of the returned original message,
// attached (message/rfc822, text/rfc822-headers) or quoted in the text.
func originalTo(parts []part) string {
	for _, p := range parts {
		text := p.text
		if p.ctype != "message/rfc822" && p.ctype != "text/rfc822-headers" {
			loc := originalMarkers.FindStringIndex(text)
			if loc == nil {
				continue
			}
			text = text[loc[0]:]
		}
		for _, line := range strings.Split(text, "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(strings.TrimSpace(k), "to") {
				if as := addresses(v); len(as) > 0 {
					return as[0]
				}
			}
		}
	}
	return ""
}

// fromDaemon reports a message sent by a mail system, not a person.
func fromDaemon(h mail.Header) bool {
	from := strings.ToLower(h.Get("From"))
	return strings.Contains(from, "mailer-daemon") || strings.Contains(from, "postmaster") || strings.Contains(from, "mail delivery")
}

// normalize drops an mbox "From " line and makes every line ending (CRLF,
// or a lone CR of classic Mac mail) LF; it copies only when it must.
func normalize(raw string) string {
	raw = LineEndings(raw)
	if strings.HasPrefix(raw, "From ") {
		if i := strings.IndexByte(raw, '\n'); i >= 0 {
			raw = raw[i+1:]
		}
	}
	return raw
}

// LineEndings makes CRLF and lone CR line endings LF, copying only when
// there is a CR.
func LineEndings(s string) string {
	if !strings.Contains(s, "\r") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

var wordDecoder = &mime.WordDecoder{CharsetReader: charsetReader}

func decodeHeader(s string) string {
	if d, err := wordDecoder.DecodeHeader(s); err == nil {
		return d
	}
	return s
}

func charsetReader(charset string, r io.Reader) (io.Reader, error) {
	enc, err := htmlindex.Get(charset)
	if err != nil {
		return r, nil
	}
	return transform.NewReader(r, enc.NewDecoder()), nil
}

// Limits on what walk keeps of a part, decoded. The input is capped as a
// whole (64 MiB); within it, a delivery-status part is kept whole so that
// every recipient is read (RFC 3464 §2.3: one group per recipient), the
// human text up to textLimit, and the returned original only for its
// headers. Other parts (attachments) are skipped unread.
const (
	textLimit     = 8 << 20
	originalLimit = 1 << 20
	statusLimit   = 64 << 20
)

// keep is how much of a leaf of ctype walk keeps; 0 skips it.
func keep(ctype string) int64 {
	switch {
	case ctype == "message/delivery-status" || ctype == "message/global-delivery-status" || ctype == "message/feedback-report":
		return statusLimit
	case ctype == "message/rfc822" || ctype == "message/global" || ctype == "text/rfc822-headers" || ctype == "message/global-headers":
		return originalLimit
	case strings.HasPrefix(ctype, "text/") || ctype == "application/json":
		return textLimit
	}
	return 0
}

// walk flattens the MIME tree into decoded leaves (RFC 2045, RFC 2046),
// reading multiparts as a stream.
func walk(h textproto.MIMEHeader, body io.Reader, depth int) []part {
	ctype, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || ctype == "" {
		ctype, params = "text/plain", map[string]string{}
	}
	br := bufio.NewReaderSize(body, 4096)
	if h.Get("Content-Type") == "" {
		// The Content-Type was lost (a relay rewrote the headers) but the
		// body may still be a multipart (RFC 2046 §5.1.1): its boundary in
		// the first lines, and its close delimiter further on.
		if head, _ := br.Peek(4096); lostBoundary.Match(preamble(head)) {
			var b strings.Builder
			io.Copy(&b, io.LimitReader(br, statusLimit))
			data := b.String()
			m := lostBoundary.FindSubmatch(preamble([]byte(data[:min(len(data), 4096)])))
			if m != nil && strings.Contains(data, "\n--"+string(m[1])+"--") {
				ctype, params = "multipart/mixed", map[string]string{"boundary": string(m[1])}
			}
			br = bufio.NewReader(strings.NewReader(data))
		}
	}
	if strings.HasPrefix(ctype, "multipart/") && params["boundary"] != "" && depth < 8 {
		// What a multipart without parts holds is read as text: keep the
		// start of it while the parts are looked for.
		seen := &capture{r: br, limit: textLimit}
		var out []part
		mr := multipart.NewReader(seen, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err != nil {
				break
			}
			out = append(out, walk(p.Header, p, depth+1)...)
		}
		if len(out) > 0 {
			return out
		}
		ctype = "text/plain"
		br = bufio.NewReader(io.MultiReader(bytes.NewReader(seen.buf.Bytes()), br))
	}
	limit := keep(ctype)
	if limit == 0 {
		return nil
	}
	var r io.Reader = br
	switch strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding"))) {
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, &unpadded{r: skipSpace{br}})
	case "quoted-printable":
		r = quotedprintable.NewReader(br)
	}
	if cs := params["charset"]; cs != "" && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "us-ascii") {
		r, _ = charsetReader(cs, r)
	}
	var b strings.Builder
	io.Copy(&b, io.LimitReader(r, limit)) // a decoding error keeps what was read
	text := b.String()
	if ctype == "text/html" {
		text = htmlToText(text)
	}
	return []part{{ctype: ctype, text: text}}
}

// capture keeps the first limit bytes read through it.
type capture struct {
	r     io.Reader
	buf   bytes.Buffer
	limit int
}

func (c *capture) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if room := c.limit - c.buf.Len(); room > 0 {
		c.buf.Write(p[:min(n, room)])
	}
	return n, err
}

// skipSpace drops the white space that may stand anywhere in base64 text
// (RFC 2045 §6.8: characters outside the alphabet are ignored).
type skipSpace struct{ r io.Reader }

func (s skipSpace) Read(p []byte) (int, error) {
	for {
		n, err := s.r.Read(p)
		j := 0
		for _, c := range p[:n] {
			if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
				p[j] = c
				j++
			}
		}
		if j > 0 || err != nil {
			return j, err
		}
	}
}

// unpadded supplies the "=" padding that some encoders leave off, at the
// end of the base64 text.
type unpadded struct {
	r    io.Reader
	n    int
	tail []byte
	done bool
}

func (u *unpadded) Read(p []byte) (int, error) {
	if u.done {
		if len(u.tail) == 0 {
			return 0, io.EOF
		}
		n := copy(p, u.tail)
		u.tail = u.tail[n:]
		return n, nil
	}
	n, err := u.r.Read(p)
	for _, c := range p[:n] {
		if c != '=' {
			u.n++
		} else {
			u.n = 0 // padding given: the count restarts
		}
	}
	if err == io.EOF {
		u.done = true
		if r := u.n % 4; r != 0 {
			u.tail = []byte("===")[:4-r]
		}
		if n > 0 {
			return n, nil
		}
		return u.Read(p)
	}
	return n, err
}

// preamble is the first three non-blank lines of a body: where a
// multipart's first boundary must be, after at most a short preamble.
func preamble(data []byte) []byte {
	n := 0
	for i, c := range data {
		if c == '\n' && i > 0 && data[i-1] != '\n' {
			if n++; n == 3 {
				return data[:i]
			}
		}
	}
	return data
}

var lostBoundary = regexp.MustCompile(`(?m)^--([0-9A-Za-z'()+_,./:=?-]{1,70})\s*$`)

var (
	tags       = regexp.MustCompile(`(?s)<[^>]*>`)
	lineBreaks = regexp.MustCompile(`(?i)<br\s*/?>|</p>|</div>|</tr>`)
)

func htmlToText(s string) string {
	s = lineBreaks.ReplaceAllString(s, "\n")
	s = tags.ReplaceAllString(s, " ")
	for _, e := range [][2]string{{"&lt;", "<"}, {"&gt;", ">"}, {"&amp;", "&"}, {"&nbsp;", " "}, {"&quot;", `"`}} {
		s = strings.ReplaceAll(s, e[0], e[1])
	}
	return s
}

// humanText is the bounce's own words: its text parts before the copy of
// the original message.
func humanText(parts []part) string {
	var b strings.Builder
	for _, p := range parts {
		if p.ctype == "message/rfc822" || p.ctype == "text/rfc822-headers" || p.ctype == "message/delivery-status" {
			break
		}
		if strings.HasPrefix(p.ctype, "text/") {
			b.WriteString(p.text)
			b.WriteString("\n")
		}
	}
	return cutOriginal(b.String())
}

// originalMarkers start the copy of the original message in a bounce's text.
var originalMarkers = regexp.MustCompile(`(?im)^\s*(-+\s*)?(original message|this is a copy of the|below this line is a copy|the (headers|text) of (your|the) (original )?message|unsent message below|original (mail|message) as follows|message header follows|the original message (headers? )?(was|is|are|follows)|content-type: message/rfc822|returned message|original message headers)|^(received|return-path|x-original-to|dkim-signature): `)

func cutOriginal(s string) string {
	if loc := originalMarkers.FindStringIndex(s); loc != nil && loc[0] > 0 {
		return s[:loc[0]]
	}
	return s
}

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
	for _, block := range dsnBlocks(text) {
		f := fields(block)
		addr := f["final-recipient"]
		if addr == "" {
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
		if fs := strings.Fields(f["status"]); len(fs) > 0 {
			status = fs[0]
		}
		diag := r.Diagnostic
		if diag == "" {
			diag = said[r.Address]
		}
		if diag == "" {
			diag = human
		}
		// A large DSN repeats the same few diagnostics: each distinct one is
		// classified once.
		key := verdictKey{r.Action, diagType, status, diag, r.Diagnostic != ""}
		v, ok := verdicts[key]
		if !ok {
			v = dsnVerdict(r.Action, diagType, status, diag, r.Diagnostic, human)
			verdicts[key] = v
		}
		r.Code, r.Enhanced, r.Permanent, r.Reason = v.code, v.enhanced, v.permanent, v.reason
		out = append(out, r)
	}
	return out
}

// verdictKey is what a DSN recipient's classification depends on.
type verdictKey struct {
	action, diagType, status, diag string
	own                            bool // diag is the recipient's own Diagnostic-Code
}

type verdict struct {
	code      int
	enhanced  string
	permanent bool
	reason    string
}

// dsnVerdict classifies one DSN recipient from its fields: action, the
// diagnostic's type, status, the diagnostic text (its own, the
// notification's words about it, or the notification's text) and whether
// it had a Diagnostic-Code of its own.
func dsnVerdict(action, diagType, status, diag, diagnostic, human string) verdict {
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
		texts := []string{diag, human}
		if reply := serverReply(diag); reply != "" && reply != diag {
			texts = append([]string{reply}, texts...)
		}
		reason, fromWords := classify(v.code, v.enhanced, texts...)
		v.reason = refine(reason, v.enhanced, diag+"\n"+human)
		vague := generic[v.reason] || !fromWords
		switch {
		case strings.EqualFold(strings.TrimSpace(diagType), "x-unix") && vague:
			// RFC 3464 §2.3.6: an X-Unix diagnostic is the exit status
			// of a local delivery program (a pipe, procmail).
			v.reason = "mailererror"
		case action == "delayed" && vague:
			// RFC 3464 §2.3.3: still retrying, for no stated reason.
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
		v.reason = receiverReason(v.reason, cmp.Or(diagnostic, human), diag+"\n"+human)
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

func feedback(b *Bounce, report part, parts []part) *Bounce {
	b.Kind = "feedback"
	f := fields(report.text)
	// RFC 5965 §3.2: Original-Rcpt-To may repeat, one per recipient.
	var addrs []string
	for _, line := range strings.Split(report.text, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(strings.TrimSpace(k), "original-rcpt-to") {
			addrs = append(addrs, cleanAddress(v))
		}
	}
	if len(addrs) == 0 {
		for _, p := range parts {
			if p.ctype == "message/rfc822" || p.ctype == "text/rfc822-headers" {
				if m, err := mail.ReadMessage(strings.NewReader(p.text)); err == nil {
					addrs = addresses(m.Header.Get("To"))
				}
			}
		}
	}
	if len(addrs) == 0 {
		addrs = []string{""} // one complaint, whoever it was about
	}
	for _, a := range addrs {
		b.Recipients = append(b.Recipients, Recipient{Address: a, Diagnostic: f["feedback-type"], Reason: "feedback"})
	}
	return b
}

// autoReply recognises automatic replies (RFC 3834 §5) and vacation notes.
func autoReply(h mail.Header, subject string) bool {
	if as := strings.ToLower(h.Get("Auto-Submitted")); strings.HasPrefix(as, "auto-replied") {
		return true
	}
	s := strings.ToLower(subject)
	for _, p := range []string{"out of office", "out of the office", "auto-reply", "autoreply", "auto reply", "automatic reply", "vacation", "away from"} {
		if strings.Contains(s, p) {
			return true
		}
	}
	return h.Get("X-Autoreply") != "" || strings.EqualFold(h.Get("Precedence"), "auto_reply")
}

func looksLikeBounce(h mail.Header, subject, text string) bool {
	from := strings.ToLower(h.Get("From"))
	s := strings.ToLower(subject)
	for _, p := range []string{"mailer-daemon", "postmaster", "post_master", "mail delivery", "maildelivery", "bounce"} {
		if strings.Contains(from, p) {
			return true
		}
	}
	for _, p := range []string{"undeliver", "undelivered", "delivery fail", "delivery status", "returned mail", "failure notice", "could not be delivered", "nondeliverable", "non-delivery", "delivery notification", "returned to sender", "mail delivery",
		"エラー", "不達", "未達"} { // Japanese carriers: "error", "undelivered"
		if strings.Contains(s, p) {
			return true
		}
	}
	if h.Get("X-Failed-Recipients") != "" || bounceWords.MatchString(text) {
		return true
	}
	// A mailing list manager (fml, ezmlm, Mailman) refusing a post.
	listHeaders := h.Get("X-MLServer") != "" || h.Get("Mailing-List") != "" || h.Get("List-Id") != "" || h.Get("X-ML-Name") != ""
	return listHeaders && listRefusal.MatchString(s+"\n"+text)
}

var (
	// bounceWords are a delivery failure report's own opening words.
	bounceWords = regexp.MustCompile(`(?i)could not be delivered to|delivery to the following recipients? failed|(couldn't|could not|unable to) deliver (your|the) (message|mail)`)
	listRefusal = regexp.MustCompile(`(?i)not (a )?member|loop alert|duplicated message-id|posting (is )?(not allowed|rejected|restricted)`)
)

// receiverReason applies a big receiver's own wording: found in the
// server's reply it says more than the words of the standards; found
// elsewhere in the bounce it only fills in a generic reason.
func receiverReason(reason, reply, text string) string {
	if rc, ok := RecognizeReceiver(reply); ok {
		return rc.Reason
	}
	if generic[reason] {
		if rc, ok := RecognizeReceiver(text); ok {
			return rc.Reason
		}
	}
	return reason
}

// generic reasons say only that delivery failed, not why.
var generic = map[string]bool{"systemerror": true, "onhold": true, "undefined": true}

var (
	inReplyTo = regexp.MustCompile(`(?i)(?:in reply to|after|smtp command:?)\s+(?:end of )?(rcpt|mail|data|helo|ehlo|starttls|auth|initial connection)\b|\[(rcpt|mail|data)_to\]`)
	// A greeting that turns into a refusal: "220-mx.example 421 ...".
	greetingRefusal = regexp.MustCompile(`^\s*220[ -]\S*\s+[45]\d\d[ -]`)
	transcript      = regexp.MustCompile(`(?im)^\s*>>> (\w+)|^\s*<<< [45]\d\d`)
)

// command finds the SMTP command the failing reply answered: Postfix's
// "in reply to X command", or the last ">>> X" before the first "<<< 5yz"
// of a Sendmail transcript. "" when the bounce does not say.
func command(text string) string {
	if greetingRefusal.MatchString(text) {
		return "INITIAL CONNECTION"
	}
	if m := inReplyTo.FindStringSubmatch(text); m != nil {
		return strings.ToUpper(m[1] + m[2]) // one of the two is empty
	}
	last := ""
	for _, m := range transcript.FindAllStringSubmatch(text, -1) {
		if m[1] == "" {
			return last
		}
		last = strings.ToUpper(m[1])
	}
	return ""
}

// refusedByPolicy reports an enhanced status of a mailbox that refuses
// mail or of a policy refusal (RFC 3463 §3.3, §3.8).
func refusedByPolicy(enhanced string) bool {
	e, ok := ParseEnhanced(enhanced)
	return ok && (e.Subject == 2 && (e.Detail == 0 || e.Detail == 1) || e.Subject == 7)
}

// refine adjusts a reason by the SMTP command that was refused: an unknown
// user reported at DATA, not at RCPT, was refused by a content filter.
func refine(reason, enhanced, text string) string {
	switch cmd := command(text); {
	case reason == "userunknown" && cmd == "DATA" && !strings.HasPrefix(enhanced[min(2, len(enhanced)):], "1."):
		return "filtered"
	case reason == "userunknown" && cmd != "RCPT" && refusedByPolicy(enhanced):
		// "User unknown" with a status that says the mailbox exists but
		// takes no mail (RFC 3463 X.2.0, X.2.1) or that policy refused the
		// message (X.7.x): a filter speaking, not a missing mailbox.
		return "filtered"
	case cmd == "INITIAL CONNECTION" || cmd == "HELO" || cmd == "EHLO":
		// Refused before any address was given: the client was blocked.
		return "blocked"
	case cmd == "MAIL" && (reason == "userunknown" || reason == "hostunknown" || generic[reason]):
		// A reply to MAIL FROM refuses the sender (or its domain), not a
		// recipient.
		return "rejected"
	}
	return reason
}
