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
