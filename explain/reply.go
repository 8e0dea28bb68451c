// One reply's explanation: its class, what it means, what to do and who
// must act, from the basic and enhanced code tables.

package explain

import (
	"fmt"
	"strings"
)

// Explanation says what a reply means and what to do about it.
type Explanation struct {
	Code      int    `json:"code,omitempty"`
	Enhanced  string `json:"enhanced,omitempty"`
	Meaning   string `json:"meaning"`
	Permanent bool   `json:"permanent"`
	Action    string `json:"action,omitempty"`
	Actor     Actor  `json:"actor,omitempty"`
	Ref       string `json:"ref"`
}

// Reply explains a reply code with its optional enhanced status code. The
// enhanced code is more specific, so its meaning and advice come first
// (RFC 3463 §2).
//
// A code of 0 explains the enhanced code alone; its class then says whether
// the failure is permanent.
func Reply(code int, enhancedCode string) Explanation {
	var e Explanation
	if code != 0 {
		info, _ := Code(code)
		e = Explanation{
			Code: code, Meaning: info.Meaning, Permanent: Permanent(code),
			Action: info.Action, Actor: info.Actor, Ref: info.Ref,
		}
	}
	enh, ok := ParseEnhanced(enhancedCode)
	if !ok {
		return e
	}
	e.Enhanced = enh.String()
	if code == 0 {
		e.Permanent = enh.Class == 5
	}
	if ei, _ := LookupEnhanced(enh); ei.Meaning != "" {
		e.Meaning = ei.Meaning
		if ei.Action != "" {
			e.Action, e.Actor = ei.Action, ei.Actor
		}
		e.Ref = strings.TrimPrefix(e.Ref+", "+ei.Ref, ", ")
	}
	if e.Meaning == "" {
		// RFC 3463 §2: an unregistered subject still has a meaningful class.
		e.Meaning = map[int]string{2: "success", 4: "a persistent transient failure", 5: "a permanent failure"}[enh.Class] +
			fmt.Sprintf(" (%s is not a registered code)", enh)
		e.Ref = "RFC 3463 §2"
	}
	return e
}

// Class is the reply's first digit: 2 success, 3 intermediate, 4
// transient, 5 permanent; from the enhanced code when there is no basic one.
func (e Explanation) Class() int {
	if e.Code != 0 {
		return e.Code / 100
	}
	if enh, ok := ParseEnhanced(e.Enhanced); ok {
		return enh.Class
	}
	return 0
}

// Kind says in words what the class means for the sender.
func (e Explanation) Kind() string {
	switch e.Class() {
	case 5:
		return "permanent failure: do not retry unchanged"
	case 4:
		return "transient failure: retrying later may succeed"
	case 3:
		return "intermediate: the server waits for more"
	case 2:
		return "success"
	}
	return "unknown: no reply or status code was given"
}

// Sentence is the explanation in one line, for a finding's message.
func (e Explanation) Sentence() string {
	code := e.Enhanced
	if e.Code != 0 {
		code = strings.TrimSpace(fmt.Sprintf("%d %s", e.Code, e.Enhanced))
	}
	return fmt.Sprintf("%s means %s (%s)", code, e.Meaning, e.Kind())
}

// SplitEnhanced separates a leading enhanced status code from reply text,
// as servers that support RFC 2034 write it: "5.1.1 User unknown".
func SplitEnhanced(code int, text string) (enhanced, rest string) {
	first, rest, _ := strings.Cut(text, " ")
	if e, ok := ParseEnhanced(first); ok && e.Class == code/100 {
		return first, rest
	}
	return "", text
}
