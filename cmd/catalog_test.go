package cmd_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/smtptool/smtptool/report"
)

// Every finding id the code makes is in report.Catalog, and every id of
// the catalog is made somewhere: the catalog that `smtptool findings`
// prints and docs/findings.md shows cannot drift from the code.
func TestCatalogHasEveryFindingTheCodeMakes(t *testing.T) {
	made := map[string]string{}
	idPattern := regexp.MustCompile(`(?:\bID:\s*|\b(?:rejected|expected)\()"([a-z0-9]+\.[a-z0-9.-]+)"`)
	filepath.WalkDir("..", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") && path != "..") {
			return filepath.SkipDir
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || strings.HasSuffix(path, "catalog.go") {
			return nil
		}
		src, _ := os.ReadFile(path)
		for _, m := range idPattern.FindAllStringSubmatch(string(src), -1) {
			made[m[1]] = path
		}
		return nil
	})
	// dkim verify builds its two ids from the signature's result.
	delete(made, "dkim.signature-")
	made["dkim.signature-failed"], made["dkim.signature-unverified"] = "check/dkim/verify.go", "check/dkim/verify.go"
	if len(made) < 100 {
		t.Fatalf("only %d ids found: the scan is broken", len(made))
	}
	var ids []string
	for _, e := range report.Catalog {
		if slices.Contains(ids, e.ID) {
			t.Errorf("%s is in the catalog twice", e.ID)
		}
		ids = append(ids, e.ID)
		if _, ok := made[e.ID]; !ok {
			t.Errorf("%s is in the catalog but no code makes it", e.ID)
		}
		if e.Condition == "" || e.Ref == "" {
			t.Errorf("%s lacks its condition or ref", e.ID)
		}
	}
	for id, where := range made {
		if !slices.Contains(ids, id) {
			t.Errorf("%s (made in %s) is not in report.Catalog", id, where)
		}
	}
}

// docs/findings.md is `smtptool findings --markdown` (go test ./cmd -run
// FindingsDoc -update rewrites it).
func TestFindingsDocIsCurrent(t *testing.T) {
	r := run(t, nil, "", false, "findings", "--markdown")
	if *update {
		if err := os.WriteFile("../docs/findings.md", []byte(r.out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile("../docs/findings.md")
	if err != nil || string(want) != r.out {
		t.Fatalf("docs/findings.md is not current (go test ./cmd -run FindingsDoc -update): %v", err)
	}
	if r := run(t, nil, "", false, "findings", "--format", "json"); r.code != 0 || !strings.Contains(r.out, `"id":"spf.lookup-limit"`) {
		t.Errorf("json: %d %.200s", r.code, r.out)
	}
}
