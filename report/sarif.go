package report

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"
)

// Tool describes smtptool in machine formats.
type Tool struct {
	Name, Version, URI string
}

// SARIF builds a SARIF 2.1.0 log (OASIS) of the reports: one run, a rule
// per finding id (its message, fix and reference), a result per finding
// located at the domain it is about. GitHub code scanning reads it.
func SARIF(tool Tool, reports ...*Report) *sarif.Report {
	run := sarif.NewRunWithInformationURI(tool.Name, tool.URI)
	run.Tool.Driver.Version = &tool.Version
	rules := map[string]bool{}
	for _, r := range reports {
		for _, c := range r.Checks {
			for _, f := range c.Findings {
				if !rules[f.ID] {
					rules[f.ID] = true
					rule := run.AddRule(f.ID).WithDescription(f.Message)
					rule.Name = &f.ID
					rule.DefaultConfiguration = &sarif.ReportingConfiguration{Level: sarifLevel(f.Severity)}
					help := f.Fix
					if f.Ref != "" {
						help = strings.TrimSpace(help + " (" + f.Ref + ")")
					}
					rule.Help = &sarif.MultiformatMessageString{Text: &help}
					if u := refURI(f.Ref); u != "" {
						rule.HelpURI = &u
					}
					props := sarif.NewPropertyBag()
					props.Add("ref", f.Ref)
					props.Add("tags", []string{"mail", strings.SplitN(f.ID, ".", 2)[0]})
					rule.Properties = props
				}
				text := f.Message
				if f.Fix != "" {
					text += ". Fix: " + f.Fix
				}
				res := run.CreateResultForRule(f.ID)
				res.Level = sarifLevel(f.Severity)
				res.Message = sarif.NewTextMessage(text)
				name, kind, uri := r.Target, "domain", "dns:"+r.Target
				res.Locations = []*sarif.Location{{
					PhysicalLocation: &sarif.PhysicalLocation{ArtifactLocation: &sarif.ArtifactLocation{URI: &uri}},
					LogicalLocations: []*sarif.LogicalLocation{{Name: &name, Kind: &kind, FullyQualifiedName: ptr(r.Target + "/" + c.Name)}},
				}}
				res.PartialFingerprints = map[string]string{"smtptool/v1": r.Target + "|" + c.Name + "|" + f.ID + "|" + f.Message}
			}
		}
	}
	log := sarif.NewReport()
	log.Schema = "https://json.schemastore.org/sarif-2.1.0.json"
	log.AddRun(run)
	return log
}

func ptr[T any](v T) *T { return &v }

// sarifLevel maps a severity onto SARIF's levels (§3.27.10).
func sarifLevel(s Severity) string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	}
	return "note"
}

var rfcRef = regexp.MustCompile(`RFC (\d+)(?: §([0-9.]+))?`)

// refURI links the first RFC named by a ref to its section.
func refURI(ref string) string {
	m := rfcRef.FindStringSubmatch(ref)
	if m == nil {
		return ""
	}
	u := "https://www.rfc-editor.org/rfc/rfc" + m[1]
	if m[2] != "" {
		u += "#section-" + strings.TrimSuffix(m[2], ".")
	}
	return u
}

// WriteSARIF writes the SARIF log of the reports. go-sarif writes the
// empty lists it does not fill as null, which the SARIF 2.1.0 schema
// refuses (GitHub's upload checks it), so nulls are dropped.
func WriteSARIF(w io.Writer, tool Tool, reports ...*Report) error {
	raw, err := json.Marshal(SARIF(tool, reports...))
	if err != nil {
		return fmt.Errorf("report: writing SARIF: %w", err)
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("report: writing SARIF: %w", err)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(dropNulls(doc)); err != nil {
		return fmt.Errorf("report: writing SARIF: %w", err)
	}
	return nil
}

// dropNulls removes null members from objects, recursively.
func dropNulls(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if x == nil {
				delete(v, k)
				continue
			}
			v[k] = dropNulls(x)
		}
	case []any:
		for i, x := range v {
			v[i] = dropNulls(x)
		}
	}
	return v
}
