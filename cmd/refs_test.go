package cmd_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// Every finding's ref is a literal string, so that grepping "RFC 7208
// §4.6.4" finds the finding a user sees; each part of it names an RFC with
// a section, or a named document (a draft, a provider's guide).
func TestRefsAreLiteralAndNameASection(t *testing.T) {
	refField := regexp.MustCompile(`\bRef:\s*(.+?)(?:,\s*\w+:|\}|,?\s*$)`)
	literal := regexp.MustCompile(`^"([^"]*)"`)
	rfc := regexp.MustCompile(`^RFC \d{3,4} §\d+(\.\d+)*( \([^)]+\))?$`)
	section := regexp.MustCompile(`^§\d+(\.\d+)*$`)
	n := 0
	err := filepath.WalkDir("..", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != ".." {
			if d != nil && d.IsDir() {
				return filepath.SkipDir
			}
			return err
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(src), "\n") {
			m := refField.FindStringSubmatch(line)
			if m == nil || strings.HasPrefix(strings.TrimSpace(line), "//") {
				continue
			}
			where := path + ":" + strconv.Itoa(i+1)
			value := strings.TrimSpace(m[1])
			if strings.HasSuffix(value, ".Ref") {
				continue // passed through from a table that this test reads too
			}
			lit := literal.FindStringSubmatch(value)
			if lit == nil {
				t.Errorf("%s: Ref is not a literal string: %s", where, value)
				continue
			}
			n++
			lastRFC := false
			for _, part := range strings.Split(lit[1], ", ") {
				switch {
				case strings.HasPrefix(part, "RFC "):
					if !rfc.MatchString(part) {
						t.Errorf("%s: %q names an RFC without a section", where, part)
					}
					lastRFC = true
				case section.MatchString(part):
					if !lastRFC {
						t.Errorf("%s: section %q follows no RFC", where, part)
					}
				case len(strings.Fields(part)) < 2 && !strings.HasPrefix(part, "draft-"):
					t.Errorf("%s: %q is neither an RFC section nor a named document", where, part)
				default:
					lastRFC = false
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 100 {
		t.Fatalf("only %d refs found: the scan is broken", n)
	}
}
