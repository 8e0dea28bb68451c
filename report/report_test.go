package report_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/smtptool/smtptool/report"
)

var update = flag.Bool("update", false, "rewrite the golden files")

type table struct{}

func (table) WriteText(p *report.Printer) {
	p.Table(4, [][]report.Cell{
		{report.C("10", report.Dim), report.C("mx1.example.test", report.Bold), report.C("192.0.2.1", report.Plain)},
		{report.C("20", report.Dim), report.C("mx2.example.test", report.Bold), report.C("2001:db8::25", report.Good)},
	})
}

func sample() []*report.Report {
	return []*report.Report{
		{Command: "mx", Target: "example.test", Checks: []*report.Check{
			{Name: "mx", Data: table{}, Findings: []report.Finding{
				{ID: "mx.no-ipv6", Severity: report.Info, Message: "no IPv6", Fix: "add AAAA", Ref: "RFC 3596"},
				{ID: "mx.ptr-missing", Severity: report.Warning, Message: "no PTR for 192.0.2.1", Fix: "set a PTR", Ref: "RFC 1912 §2.1"},
			}},
			{Name: "smtp", Findings: []report.Finding{{ID: "tls.cert-expired", Severity: report.Error, Message: "expired", Ref: "RFC 5280"}}},
		}},
		{Command: "mx", Target: "ok.test", Checks: []*report.Check{{Name: "mx"}}},
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test ./report -update rewrites it):\n%s", name, got)
	}
}

func TestTextGolden(t *testing.T) {
	for name, colour := range map[string]bool{"text.golden": false, "text-color.golden": true} {
		var b bytes.Buffer
		if err := report.WriteText(&b, report.TextOptions{Color: colour}, sample()...); err != nil {
			t.Fatal(err)
		}
		golden(t, name, b.Bytes())
	}
}

func TestJSONGolden(t *testing.T) {
	var b bytes.Buffer
	if err := report.WriteJSON(&b, sample()...); err != nil {
		t.Fatal(err)
	}
	golden(t, "json.golden", b.Bytes())
	// Each line is one document, and statuses are derived from findings.
	lines := bytes.Split(bytes.TrimSpace(b.Bytes()), []byte("\n"))
	var doc struct {
		Status string
		Checks []struct{ Status string }
	}
	if len(lines) != 2 || json.Unmarshal(lines[0], &doc) != nil || doc.Status != "error" || doc.Checks[0].Status != "warning" || doc.Checks[1].Status != "error" {
		t.Fatalf("statuses: %s", lines[0])
	}
}

func TestSeverity(t *testing.T) {
	for _, s := range []report.Severity{report.Info, report.Warning, report.Error} {
		got, err := report.ParseSeverity(s.String())
		if err != nil || got != s {
			t.Errorf("%v: %v %v", s, got, err)
		}
	}
	if _, err := report.ParseSeverity("fatal"); err == nil {
		t.Error("fatal accepted")
	}
	r := sample()[0]
	if !r.AtLeast(report.Error) || !r.Has("mx.ptr-missing") || r.Has("nope") || sample()[1].AtLeast(report.Info) {
		t.Error("AtLeast/Has")
	}
}

// Text from outside never reaches the terminal raw: no ESC sequences that
// retitle or move, no BEL, CR, NUL, C1 or broken UTF-8; colour written by
// the Printer itself stays.
func TestTextEscapesControlCharacters(t *testing.T) {
	hostile := "220 mx\x1b]0;owned\x07 \x1b[2J\rfake\x00 \u009b31m \xff ok\tend ünï"
	rep := &report.Report{Command: "probe", Target: "x.test", Checks: []*report.Check{{Name: "smtp " + hostile,
		Findings: []report.Finding{{ID: "smtp.banner-rejected", Severity: report.Error, Message: hostile, Fix: hostile, Ref: "RFC 5321 §4.2"}}}}}
	for _, useColor := range []bool{false, true} {
		var b strings.Builder
		if err := report.WriteText(&b, report.TextOptions{Color: useColor}, rep); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		for _, bad := range []string{"\x1b]", "\x07", "\x1b[2J", "\r", "\x00", "\u009b", "\xff"} {
			if strings.Contains(out, bad) {
				t.Errorf("color=%v: %q reached the terminal:\n%q", useColor, bad, out)
			}
		}
		if !strings.Contains(out, `\x1b]0;owned\x07`) || !strings.Contains(out, "ok\tend ünï") {
			t.Errorf("color=%v: escaped text not shown:\n%q", useColor, out)
		}
		if useColor != strings.Contains(out, "\x1b[") {
			t.Errorf("color=%v: colour sequences wrong:\n%q", useColor, out)
		}
	}
}

// FuzzEscape: whatever comes from outside, the escaped text holds no
// control character and reads back as UTF-8.
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"220 ok", "\x1b]0;t\x07", "a\rb\x00c", "\u009b31m", "\xff\xfe", "ünï\tcode"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := report.Escape(s)
		if !utf8.ValidString(e) {
			t.Fatalf("%q escaped to invalid UTF-8 %q", s, e)
		}
		for _, r := range e {
			if r < 0x20 && r != '\t' || r == 0x7f || r >= 0x80 && r <= 0x9f {
				t.Fatalf("%q escaped to %q, which holds %U", s, e, r)
			}
		}
	})
}
