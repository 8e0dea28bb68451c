// Package report is smtptool's result model: findings grouped into checks,
// checks grouped into one document per target, and the renderers that turn
// documents into text for people and JSON Lines for scripts.
//
// Checks and probes build these values; only renderers write them out.
// The JSON shape is a contract documented in DESIGN.md: field names are
// snake_case, finding ids are stable and never renamed.
package report

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Schema is the version of the JSON document; it changes only when the
// contract changes.
const Schema = 1

// Severity ranks a finding. The zero value is Info.
type Severity int

// Severities from least to most serious.
const (
	Info Severity = iota
	Warning
	Error
)

var severityNames = [...]string{Info: "info", Warning: "warning", Error: "error"}

func (s Severity) String() string {
	if s < Info || s > Error {
		return fmt.Sprintf("Severity(%d)", int(s))
	}
	return severityNames[s]
}

// ParseSeverity reads "info", "warning" or "error".
func ParseSeverity(s string) (Severity, error) {
	for i, name := range severityNames {
		if strings.EqualFold(s, name) {
			return Severity(i), nil
		}
	}
	return Info, fmt.Errorf("unknown severity %q (want info, warning or error)", s)
}

// MarshalText writes the severity's name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a severity's name.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	*s = v
	return err
}

// Finding is one observation about a target: a stable id from FINDINGS.md,
// how serious it is, what is wrong in plain language, how to fix it, and
// the RFC section or documentation that says so.
type Finding struct {
	ID       string   `json:"id"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
	Fix      string   `json:"fix,omitempty"`
	Ref      string   `json:"ref,omitempty"`
	// Inconclusive marks a finding that is no verdict about the target: a
	// lookup or connection the check needed failed (dns.lookup-failed, an
	// SPF temperror). It decides exit code 3, not 1.
	Inconclusive bool `json:"-"`
}

// Status is "ok" or the name of the worst severity found.
type Status string

// StatusOK means no finding at all.
const StatusOK Status = "ok"

func statusOf(worst Severity, any bool) Status {
	if !any {
		return StatusOK
	}
	return Status(worst.String())
}

// Check is the result of one area (mx, spf, one probed host, ...): its
// findings and the data a script may want.
type Check struct {
	Name     string
	Findings []Finding
	// Data is marshalled as "data"; when it implements TextDetails the text
	// renderer shows it too.
	Data any
}

// Add appends findings to the check.
func (c *Check) Add(f ...Finding) { c.Findings = append(c.Findings, f...) }

// Worst returns the highest severity among the findings and whether there
// is any finding at all.
func (c *Check) Worst() (Severity, bool) {
	worst, any := Info, false
	for _, f := range c.Findings {
		if !any || f.Severity > worst {
			worst = f.Severity
		}
		any = true
	}
	return worst, any
}

// Status is "ok" when the check has no findings, else its worst severity.
func (c *Check) Status() Status { return statusOf(c.Worst()) }

// Has reports whether the check carries a finding with the given id.
func (c *Check) Has(id string) bool {
	for _, f := range c.Findings {
		if f.ID == id {
			return true
		}
	}
	return false
}

// MarshalJSON writes the check with its derived status.
func (c Check) MarshalJSON() ([]byte, error) {
	findings := c.Findings
	if findings == nil {
		findings = []Finding{}
	}
	return json.Marshal(struct {
		Name     string    `json:"name"`
		Status   Status    `json:"status"`
		Findings []Finding `json:"findings"`
		Data     any       `json:"data,omitempty"`
	}{c.Name, c.Status(), findings, c.Data})
}

// Report is the document for one target of one command.
type Report struct {
	Command string
	Target  string
	// Unicode is the target's U-label form when it is an IDN, shown beside
	// Target (its A-labels, what was asked) in text; not part of the JSON.
	Unicode string
	Checks  []*Check
	// Queries is how many DNS queries the report cost, when counted (-v);
	// not part of the JSON.
	Queries int64
}

// Worst returns the highest severity over all checks, and whether there is
// any finding at all.
func (r *Report) Worst() (Severity, bool) {
	worst, any := Info, false
	for _, c := range r.Checks {
		if w, ok := c.Worst(); ok && (!any || w > worst) {
			worst, any = w, true
		}
	}
	return worst, any
}

// Status is the worst status of the report's checks.
func (r *Report) Status() Status { return statusOf(r.Worst()) }

// Has reports whether any check carries a finding with the given id.
func (r *Report) Has(id string) bool {
	for _, c := range r.Checks {
		if c.Has(id) {
			return true
		}
	}
	return false
}

// Findings returns the findings of every check, in order.
func (r *Report) Findings() []Finding {
	var out []Finding
	for _, c := range r.Checks {
		out = append(out, c.Findings...)
	}
	return out
}

// IDs returns the distinct ids of findings, sorted and comma-separated: a
// compact summary ("mx.cname,spf.missing").
func IDs(fs ...Finding) string {
	var ids []string
	for _, f := range fs {
		if !slices.Contains(ids, f.ID) {
			ids = append(ids, f.ID)
		}
	}
	slices.Sort(ids)
	return strings.Join(ids, ",")
}

// Outcome is what a set of reports calls for: a finding at or above the
// threshold found with certainty, or else a verdict that could not be
// reached because something asked for failed.
type Outcome int

// Outcomes, from best to worst for a script's purposes.
const (
	Clean        Outcome = iota // nothing certain at or above the threshold, nothing inconclusive
	Inconclusive                // nothing certain at or above the threshold, but a lookup or connection failed
	Failing                     // a certain finding at or above the threshold
)

// Judge decides the outcome of reports against a --fail-on threshold. It is
// the one place that tells "the target has a problem" from "no verdict".
func Judge(threshold Severity, reports ...*Report) Outcome {
	out := Clean
	for _, r := range reports {
		for _, c := range r.Checks {
			for _, f := range c.Findings {
				switch {
				case f.Inconclusive:
					out = Inconclusive
				case f.Severity >= threshold:
					return Failing
				}
			}
		}
	}
	return out
}

// AtLeast reports whether any finding is at or above the given severity.
func (r *Report) AtLeast(s Severity) bool {
	w, any := r.Worst()
	return any && w >= s
}

// MarshalJSON writes the document of DESIGN.md.
func (r Report) MarshalJSON() ([]byte, error) {
	checks := r.Checks
	if checks == nil {
		checks = []*Check{}
	}
	return json.Marshal(struct {
		Schema  int      `json:"schema"`
		Command string   `json:"command"`
		Target  string   `json:"target"`
		Status  Status   `json:"status"`
		Checks  []*Check `json:"checks"`
	}{Schema, r.Command, r.Target, r.Status(), checks})
}
