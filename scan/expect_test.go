package scan_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/smtptool/smtptool/lab"
	"github.com/smtptool/smtptool/lab/labtest"
	"github.com/smtptool/smtptool/scan"
)

func expectIDs(t *testing.T, l *lab.Lab, domain string, e *scan.Expectations) string {
	t.Helper()
	r, err := l.Resolver(2 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	o := options(l, r)
	o.Expect = e
	rep := scan.Domain(context.Background(), r, domain, o)
	last := rep.Checks[len(rep.Checks)-1]
	if last.Name != "expect" {
		t.Fatalf("no expect check: %s", last.Name)
	}
	var ids []string
	for _, f := range last.Findings {
		ids = append(ids, f.ID)
	}
	slices.Sort(ids)
	return strings.Join(slices.Compact(ids), ",")
}

// Every kind of expectation is met by good.test and missed by lab domains
// that lack it.
func TestExpectations(t *testing.T) {
	l, _ := labtest.ForTest(t, time.Second)
	e, err := scan.LoadExpectations("testdata/expect.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := expectIDs(t, l, "good.test", e); got != "" {
		t.Errorf("good.test: %s", got)
	}
	all := "expect.dkim-selector-missing,expect.dmarc-policy,expect.dmarc-rua-missing,expect.mtasts-mode,expect.mx-missing," +
		"expect.spf-all,expect.spf-include-missing,expect.spf-not-authorized,expect.tlsrpt-missing"
	if got := expectIDs(t, l, "nomx.test", e); got != all {
		t.Errorf("nomx.test misses everything:\n got %s\nwant %s", got, all)
	}
	// One kind at a time.
	for domain, want := range map[string]string{
		"mtasts-testing.test": "expect.mtasts-mode",
		"spf-neutral.test":    "expect.spf-all",
		"dmarc-none.test":     "expect.dmarc-policy",
		"dmarc-testing.test":  "expect.dmarc-testing",
	} {
		got := expectIDs(t, l, domain, e)
		if !strings.Contains(got, want) {
			t.Errorf("%s: %s lacks %s", domain, got, want)
		}
	}
}

func TestLoadExpectationsRejectsBadPolicies(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{
		"unknown key": "mxx: [a.test]\n",
		"bad address": "spf:\n  authorize: [not-an-ip]\n",
		"bad all":     "spf:\n  all: [-al]\n",
		"bad policy":  "dmarc:\n  policy: strict\n",
		"bad mode":    "mta-sts:\n  mode: on\n",
		"bad t":       "dmarc:\n  t: maybe\n",
		"not yaml":    "mx: [\n",
	} {
		p := filepath.Join(dir, "p.yaml")
		os.WriteFile(p, []byte(text), 0o600)
		if _, err := scan.LoadExpectations(p); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}
