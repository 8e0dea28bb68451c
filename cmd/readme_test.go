package cmd_test

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/smtptool/smtptool/lab"
	"github.com/smtptool/smtptool/lab/labtest"
)

// example is one "$ smtptool …" line of a README code block and the
// output shown under it.
type example struct {
	line   int // of the command in README.md
	args   []string
	output []string
}

// readmeExamples finds the examples of README.md that run against the lab:
// those needing Postfix or a file on stdin are left to the reader.
func readmeExamples(readme string) []example {
	var out []example
	lines := strings.Split(readme, "\n")
	inBlock := false
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if strings.HasPrefix(l, "```") {
			inBlock = !inBlock
			continue
		}
		if !inBlock || !strings.HasPrefix(l, "$ smtptool ") || strings.Contains(l, " < ") {
			continue
		}
		ex := example{line: i + 1, args: shellWords(strings.TrimPrefix(l, "$ smtptool "))}
		for i+1 < len(lines) && !strings.HasPrefix(lines[i+1], "```") && !strings.HasPrefix(lines[i+1], "$ ") {
			i++
			ex.output = append(ex.output, lines[i])
		}
		for len(ex.output) > 0 && strings.TrimSpace(ex.output[len(ex.output)-1]) == "" {
			ex.output = ex.output[:len(ex.output)-1]
		}
		out = append(out, ex)
	}
	return out
}

// shellWords splits a command line as a shell would, double quotes kept
// together.
func shellWords(s string) []string {
	var words []string
	var cur strings.Builder
	quoted, any := false, false
	for _, r := range s {
		switch {
		case r == '"':
			quoted, any = !quoted, true
		case r == ' ' && !quoted:
			if any {
				words = append(words, cur.String())
			}
			cur.Reset()
			any = false
		default:
			cur.WriteRune(r)
			any = true
		}
	}
	if any {
		words = append(words, cur.String())
	}
	return words
}

// labArgs point an example at the lab, as `smtptool lab serve` prints.
func labArgs(t *testing.T, l *lab.Lab, args []string) []string {
	extra := []string{"--resolver", l.DNS.Addr, "--trust-anchor", anchorFile(t, l)}
	switch args[0] {
	case "probe":
		extra = append(extra, "--port", fmt.Sprint(l.Port), "--ca-file", caFile(t, l), "--allow-private")
	case "check":
		extra = append(extra, "--mta-sts-port", fmt.Sprint(l.HTTPSPort), "--ca-file", caFile(t, l), "--allow-private", "--blocklist-private")
	}
	return append(append([]string(nil), args...), extra...)
}

var readmeMasks = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\d+\.\d ms`), "N ms"},
	{regexp.MustCompile(`\d{4}-\d{2}-\d{2}`), "DATE"},
	{regexp.MustCompile(`\((?:in )?\d+ days?\)`), "(N days)"},
	{regexp.MustCompile(`TLS_[A-Z0-9_]+`), "CIPHER"},
	{regexp.MustCompile(`\b[0-9a-f]{20,}…`), "HEX…"}, // TLSA records of the lab's fresh keys
	{regexp.MustCompile(`\bkey \d+`), "key N"},       // and the key tags of its DNSSEC keys
	{regexp.MustCompile(`T\d{2}:\d{2}:\d{2}Z`), "TTIME"},
}

// words is an output, masked, as the words a reader sees: how lines wrap
// and columns align is the terminal's affair.
func words(lines []string) []string {
	text := strings.Join(lines, "\n")
	for _, m := range readmeMasks {
		text = m.re.ReplaceAllString(text, m.with)
	}
	return strings.Fields(text)
}

// The README's examples are what the commands print against the lab: every
// shown line, in order (a line "…" skips what the README leaves out).
// go test ./cmd -run ReadmeExamples -update rewrites the examples that
// show a whole output.
func TestReadmeExamples(t *testing.T) {
	raw, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	l, _ := labtest.ForTest(t, 2*time.Second)
	examples := readmeExamples(readme)
	if len(examples) < 8 {
		t.Fatalf("only %d README examples found", len(examples))
	}
	lines := strings.Split(readme, "\n")
	for k := len(examples) - 1; k >= 0; k-- { // from the end, so that rewriting keeps line numbers
		ex := examples[k]
		r := run(t, nil, "", false, append(labArgs(t, l, ex.args), "--timeout", "2s")...)
		out := strings.ReplaceAll(r.out, fmt.Sprintf(":%d", l.Port), ":25")
		out = strings.ReplaceAll(out, fmt.Sprintf("_%d._tcp", l.Port), "_25._tcp")
		got := strings.Split(strings.TrimRight(out, "\n"), "\n")
		excerpt := false
		for _, o := range ex.output {
			excerpt = excerpt || strings.TrimSpace(o) == "…"
		}
		if *update && !excerpt {
			lines = append(lines[:ex.line], append(got, lines[ex.line+len(ex.output):]...)...)
			continue
		}
		// Each stretch between "…" lines stands in the output, in order.
		have := strings.Join(words(got), " ")
		var segment []string
		pos := 0
		check := func() {
			if len(segment) == 0 {
				return
			}
			want := strings.Join(words(segment), " ")
			i := strings.Index(have[pos:], want)
			if i < 0 {
				t.Errorf("README.md:%d, smtptool %s: the output no longer shows\n%s\n--- it prints:\n%s", ex.line, strings.Join(ex.args, " "), strings.Join(segment, "\n"), r.out)
				return
			}
			pos += i + len(want)
			segment = nil
		}
		for _, o := range ex.output {
			if strings.TrimSpace(o) == "…" {
				check()
				continue
			}
			segment = append(segment, o)
		}
		check()
	}
	if *update {
		if err := os.WriteFile("../README.md", []byte(strings.Join(lines, "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
