package report_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"
	"github.com/smtptool/smtptool/report"
)

var tool = report.Tool{Name: "smtptool", Version: "test", URI: "https://github.com/smtptool/smtptool"}

// The SARIF log validates against the SARIF 2.1.0 JSON schema (OASIS,
// errata 01) that go-sarif embeds, and carries what code scanning shows.
func TestSARIFValidatesAgainstTheSchema(t *testing.T) {
	var b bytes.Buffer
	if err := report.WriteSARIF(&b, tool, sample()...); err != nil {
		t.Fatal(err)
	}
	log, err := sarif.FromBytes(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if err := log.Validate(); err != nil {
		t.Fatalf("schema: %v\n%s", err, b.String())
	}
	var doc struct {
		Version string
		Runs    []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						ID                   string
						Help                 struct{ Text string }
						HelpURI              string
						DefaultConfiguration struct{ Level string }
					}
				}
			}
			Results []struct {
				RuleID    string
				Level     string
				Locations []struct {
					LogicalLocations []struct{ Name, Kind string }
				}
			}
		}
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	run := doc.Runs[0]
	if doc.Version != "2.1.0" || len(run.Tool.Driver.Rules) != 3 || len(run.Results) != 3 {
		t.Fatalf("%+v", doc)
	}
	r := run.Tool.Driver.Rules[1]
	if r.ID != "mx.ptr-missing" || r.DefaultConfiguration.Level != "warning" || !strings.HasPrefix(r.Help.Text, "set a PTR") ||
		r.HelpURI != "https://www.rfc-editor.org/rfc/rfc1912#section-2.1" {
		t.Errorf("rule: %+v", r)
	}
	if res := run.Results[2]; res.RuleID != "tls.cert-expired" || res.Level != "error" || res.Locations[0].LogicalLocations[0].Name != "example.test" {
		t.Errorf("result: %+v", res)
	}
}

func TestJUnitStructure(t *testing.T) {
	var b bytes.Buffer
	if err := report.WriteJUnit(&b, "smtptool check", report.Warning, sample()...); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Suites   []struct {
			Name     string `xml:"name,attr"`
			Tests    int    `xml:"tests,attr"`
			Failures int    `xml:"failures,attr"`
			Cases    []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Type string `xml:"type,attr"`
					Text string `xml:",chardata"`
				} `xml:"failure"`
				SystemOut string `xml:"system-out"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if doc.Tests != 3 || doc.Failures != 2 || len(doc.Suites) != 2 || doc.Suites[0].Failures != 2 || doc.Suites[1].Failures != 0 {
		t.Fatalf("%+v", doc)
	}
	mx := doc.Suites[0].Cases[0]
	if mx.Failure == nil || mx.Failure.Type != "mx.ptr-missing" || !strings.Contains(mx.SystemOut, "mx.no-ipv6") || strings.Contains(mx.Failure.Text, "no-ipv6") {
		t.Errorf("the warning fails, the info stays in system-out: %+v", mx)
	}
}
