package report

// Findings collects the findings of one check as it runs: every check area
// returns its typed Result with these, in the order they were found.
type Findings []Finding

// Add appends findings.
func (f *Findings) Add(x ...Finding) { *f = append(*f, x...) }

// NewCheck makes the report check of an area's typed result and its
// findings: what an orchestrator does with every area's Check.
func NewCheck(name string, data any, fs []Finding) *Check {
	return &Check{Name: name, Findings: fs, Data: data}
}

// Skipped is the data of a check that was not run, and why (the domain
// does not exist, say): it shows as "skipped: why", not as "no problems
// found".
type Skipped struct {
	Reason string `json:"skipped"`
}

// WriteText shows why the check was skipped.
func (s Skipped) WriteText(p *Printer) { p.Line(4, p.S(Dim, "skipped: "+s.Reason)) }
