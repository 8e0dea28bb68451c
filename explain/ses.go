package explain

import (
	"cmp"
	"encoding/json"
	"strings"
)

// Amazon SES reports bounces, complaints and deliveries as JSON: an SNS
// notification whose Message is itself JSON (the SES notification
// contents). The outer document may arrive with its long line folded.
type sesNotification struct {
	NotificationType string `json:"notificationType"`
	Bounce           struct {
		BounceType        string `json:"bounceType"`
		BouncedRecipients []struct {
			EmailAddress   string `json:"emailAddress"`
			Action         string `json:"action"`
			Status         string `json:"status"`
			DiagnosticCode string `json:"diagnosticCode"`
		} `json:"bouncedRecipients"`
		ReportingMTA string `json:"reportingMTA"`
	} `json:"bounce"`
	Complaint struct {
		ComplainedRecipients []struct {
			EmailAddress string `json:"emailAddress"`
		} `json:"complainedRecipients"`
		ComplaintFeedbackType string `json:"complaintFeedbackType"`
	} `json:"complaint"`
	Delivery struct {
		Recipients   []string `json:"recipients"`
		SMTPResponse string   `json:"smtpResponse"`
	} `json:"delivery"`
}

// sesRecipients reads an SES notification, or returns nil when the text is
// not one.
func sesRecipients(body string) []Recipient {
	body = strings.TrimSpace(body)
	if !strings.HasPrefix(body, "{") || !strings.Contains(body, "notificationType") {
		return nil
	}
	var n sesNotification
	// Unfold the long line; some mail tools mark each fold with "!".
	for _, unfold := range []*strings.Replacer{
		strings.NewReplacer("\n ", "", "\n\t", ""),
		strings.NewReplacer("!\n ", "", "\n ", "", "\n\t", ""),
	} {
		if decodeSES(unfold.Replace(body), &n) {
			break
		}
	}
	var out []Recipient
	switch n.NotificationType {
	case "":
		return nil
	case "Bounce":
		for _, b := range n.Bounce.BouncedRecipients {
			diag := afterSemicolon(b.DiagnosticCode)
			code, enh := codes(diag)
			if _, ok := ParseEnhanced(b.Status); ok {
				enh = b.Status
			}
			stated := command(diag)
			cmd := cmp.Or(stated, commandNamed(diag))
			reason := refine(Classify(code, enh, diag), enh, cmd, stated != "", knownReason(folded(diag)))
			out = append(out, Recipient{Address: strings.ToLower(b.EmailAddress), Action: b.Action, Code: code, Enhanced: enh,
				Permanent: n.Bounce.BounceType == "Permanent", RemoteMTA: afterSemicolon(n.Bounce.ReportingMTA), Command: cmd, Diagnostic: diag, Reason: reason})
		}
	case "Complaint":
		for _, c := range n.Complaint.ComplainedRecipients {
			out = append(out, Recipient{Address: strings.ToLower(c.EmailAddress), Diagnostic: n.Complaint.ComplaintFeedbackType, Reason: "feedback"})
		}
	case "Delivery":
		for _, a := range n.Delivery.Recipients {
			out = append(out, Recipient{Address: strings.ToLower(a), Diagnostic: n.Delivery.SMTPResponse, Reason: "delivered"})
		}
	}
	return out
}

// decodeSES reads an SNS envelope around the notification, or the
// notification itself; text after the JSON (SNS's footer) is ignored.
func decodeSES(text string, n *sesNotification) bool {
	var outer struct {
		Message string `json:"Message"`
	}
	if json.NewDecoder(strings.NewReader(text)).Decode(&outer) == nil && outer.Message != "" {
		return json.Unmarshal([]byte(outer.Message), n) == nil
	}
	return json.NewDecoder(strings.NewReader(text)).Decode(n) == nil
}
