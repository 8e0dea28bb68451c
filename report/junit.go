package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// JUnit XML, as read by GitLab, Jenkins and most CI systems: a testsuite
// per target, a testcase per check; findings at or above failOn are
// failures, the others are kept in system-out.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes the reports as JUnit XML.
func WriteJUnit(w io.Writer, name string, failOn Severity, reports ...*Report) error {
	doc := junitSuites{Name: name}
	for _, r := range reports {
		s := junitSuite{Name: r.Target}
		for _, c := range r.Checks {
			tc := junitCase{Name: c.Name, ClassName: r.Command + "." + r.Target}
			var failing, other []string
			var ids []string
			for _, f := range c.Findings {
				line := fmt.Sprintf("[%s] %s: %s", f.Severity, f.ID, f.Message)
				if f.Fix != "" {
					line += "\n    fix: " + f.Fix
				}
				if f.Ref != "" {
					line += "\n    ref: " + f.Ref
				}
				if f.Severity >= failOn {
					failing = append(failing, line)
					ids = append(ids, f.ID)
				} else {
					other = append(other, line)
				}
			}
			if len(failing) > 0 {
				tc.Failure = &junitFailure{
					Message: fmt.Sprintf("%d finding(s) at or above %s: %s", len(failing), failOn, strings.Join(ids, ", ")),
					Type:    ids[0],
					Text:    strings.Join(failing, "\n"),
				}
				s.Failures++
			}
			tc.SystemOut = strings.Join(other, "\n")
			s.Cases = append(s.Cases, tc)
			s.Tests++
		}
		doc.Suites = append(doc.Suites, s)
		doc.Tests += s.Tests
		doc.Failures += s.Failures
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("report: writing JUnit: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}
