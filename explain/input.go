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
}

var (
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
