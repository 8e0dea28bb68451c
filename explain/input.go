// What a user gives explain: a whole message, a reply code, an enhanced
// status code, or a reply or log line; Analyze tells them apart.

package explain

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
)

// ErrNotAReply is returned for input that holds no reply code.
var ErrNotAReply = errors.New("not a reply code, an enhanced status code or a reply line")

// Result is the explanation of one input.
type Result struct {
	Explanation
	// Text is the server's own words, when a reply line was given.
	Text string `json:"text,omitempty"`
	// Reason is the failure's classification (FINDINGS.md, Sisimai's
	// taxonomy); for a bounce, that of its first recipient.
	Reason string `json:"reason,omitempty"`
	// Receiver is set when the words are those of a known big receiver.
	Receiver *Receiver `json:"receiver,omitempty"`
	// Bounce is set when a whole message was given.
	Bounce     *Bounce     `json:"bounce,omitempty"`
	Recipients []Recipient `json:"recipients,omitempty"`
}

// Analyze explains what a user pasted: a whole bounce message, a reply
// code, an enhanced status code, or a reply or log line.
func Analyze(input string) (*Result, error) {
	// Any line ending reads the same: CRLF, LF, or a classic Mac CR.
	input = LineEndings(input)
	if looksLikeMessage(input) {
		if b, err := parseBounce(input, 0); err == nil && len(b.Recipients) > 0 {
			first := b.Recipients[0]
			r := &Result{Explanation: Reply(first.Code, first.Enhanced), Reason: first.Reason, Bounce: b, Recipients: b.Recipients, Text: first.Diagnostic}
			r.Permanent = first.Permanent
			r.recognize(first.Diagnostic)
			if r.Meaning == "" {
				r.Meaning = map[string]string{"feedback": "a recipient reported the message as spam (RFC 5965 feedback report)",
					"vacation": "an automatic reply, not a failure (RFC 3834)", "delivered": "the message was delivered"}[first.Reason]
			}
			if r.Meaning == "" && r.Class() == 0 {
				// No reply code, no status: a failure whose kind the bounce
				// does not state (RFC 3464 §2.3.4 makes Status required;
				// non-standard bounces often omit it).
				r.Meaning = "delivery failed, but the bounce gives no reply or status code"
			}
			return r, nil
		}
	}
	r, err := Explain(input)
	if err != nil {
		return nil, err
	}
	r.Reason = Classify(r.Code, r.Enhanced, r.Text)
	r.recognize(replyWindow(input, r.Text))
	return r, nil
}

// maxReplyText bounds the words read around a reply for a receiver's
// wording: RFC 5321 §4.5.3.1.5 caps a reply line at 512 octets, and a
// multi-line reply of 200 lines (the probe's limit) fits.
const maxReplyText = 200 * 512

// replyWindow is the part of a pasted text that holds the reply: from the
// line of its words on, at most maxReplyText, so that time stays linear
// in what was pasted however much of it there is.
func replyWindow(input, text string) string {
	start := 0
	if text != "" {
		if i := strings.Index(input, text); i >= 0 {
			start = max(0, strings.LastIndexByte(input[:i], '\n')+1)
		}
	}
	return input[start:min(len(input), start+maxReplyText)]
}

// recognize adds a big receiver's meaning and fix when its words are there;
// its reading of its own words outranks the generic one.
func (r *Result) recognize(text string) {
	if rc, ok := RecognizeReceiver(text); ok {
		r.Receiver = &rc
		if rc.Reason != "" && r.Bounce == nil {
			r.Reason = rc.Reason
		}
	}
}

// LooksLikeMessage tells a message (headers, then a body) from a line.
func LooksLikeMessage(s string) bool { return looksLikeMessage(LineEndings(s)) }

// looksLikeMessage tells a message (headers, then a body) from a line.
func looksLikeMessage(s string) bool {
	head, _, ok := strings.Cut(s, "\n\n")
	if !ok {
		return false
	}
	return strings.HasPrefix(head, "From ") || headerLine.MatchString(head)
}

var (
	headerLine   = regexp.MustCompile(`(?m)^[A-Za-z-]+: `)
	basicOnly    = regexp.MustCompile(`^[2-5][0-5][0-9]$`)
	enhancedOnly = regexp.MustCompile(`^[245]\.[0-9]{1,3}\.[0-9]{1,3}$`)
	// A reply line, possibly inside a log line: "550-5.1.1 text",
	// "550 5.7.1 text", "said: 550 5.1.1 <a@b>: text".
	replyLine = regexp.MustCompile(`(?:^|[\s:(])([2-5][0-5][0-9])([ -])(?:([245]\.[0-9]{1,3}\.[0-9]{1,3})\s*)?(.*)`)
	// An enhanced code with no basic code before it.
	enhancedIn = regexp.MustCompile(`(?:^|[\s(#])([245]\.[0-9]{1,3}\.[0-9]{1,3})(?:[\s).,;:]|$)`)
)

// Explain explains a basic code ("550"), an enhanced code ("5.7.26") or a
// reply line, also one quoted in a log line.
func Explain(input string) (*Result, error) {
	s := strings.TrimSpace(input)
	switch {
	case basicOnly.MatchString(s):
		code, _ := strconv.Atoi(s)
		return &Result{Explanation: Reply(code, "")}, nil
	case enhancedOnly.MatchString(s):
		_, ok := ParseEnhanced(s)
		if !ok {
			return nil, ErrNotAReply
		}
		return &Result{Explanation: Reply(0, s)}, nil
	}
	if m := replyLine.FindStringSubmatch(s); m != nil {
		code, _ := strconv.Atoi(m[1])
		enh := m[3]
		if enh != "" {
			if e, ok := ParseEnhanced(enh); !ok || e.Class != code/100 {
				enh = ""
			}
		}
		return &Result{Explanation: Reply(code, enh), Text: strings.TrimSpace(m[4])}, nil
	}
	if m := enhancedIn.FindStringSubmatch(s); m != nil {
		r, err := Explain(m[1])
		if err != nil {
			return nil, err
		}
		r.Text = s
		return r, nil
	}
	return nil, ErrNotAReply
}
