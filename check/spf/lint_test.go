package spf_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/smtptool/smtptool/check/spf"
	"github.com/smtptool/smtptool/lab/labtest"
	"github.com/smtptool/smtptool/report"
)

// Every spf-*.test lab domain is wrong in exactly one way; good.test in none.
func TestLintFindingsPerLabDomain(t *testing.T) {
	_, r := labtest.ForTest(t, time.Second)
	for domain, want := range map[string]string{
		"good.test":               "",
		"spf-missing.test":        "spf.missing",
		"spf-multiple.test":       "spf.multiple",
		"spf-syntax.test":         "spf.syntax",
		"spf-lookups.test":        "spf.lookup-limit",
		"spf-voids.test":          "spf.void-lookup-limit",
		"spf-includemissing.test": "spf.include-missing",
		"spf-loop.test":           "spf.include-loop",
		"spf-plusall.test":        "spf.permissive-all",
		"spf-neutral.test":        "spf.neutral-all",
		"spf-noall.test":          "spf.no-all",
		"spf-ptr.test":            "spf.ptr",
		"spf-redirect.test":       "spf.redirect-ignored",
		"spf-afterall.test":       "spf.terms-after-all",
		"spf-mxmany.test":         "spf.mx-too-many",
		"spf-long.test":           "spf.record-too-long",
		"spf-servfail.test":       "dns.lookup-failed",
		"nosuch.test":             "domain.nxdomain",
	} {
		_, fs := spf.Check(context.Background(), r, domain, spf.Options{})
		labtest.CheckComplete(t, domain, fs...)
		if got := report.IDs(fs...); got != want {
			t.Errorf("%s: findings %q, want %q", domain, got, want)
		}
	}
}

func TestLookupTreeNamesTheCostlyInclude(t *testing.T) {
	_, r := labtest.ForTest(t, time.Second)
	res, fs := spf.Check(context.Background(), r, "spf-lookups.test", spf.Options{})
	if res.Lookups != 12 || len(res.Tree.Terms) != 3 || res.Tree.Terms[0].Cost != 9 || res.Tree.Terms[1].Cost != 3 {
		t.Fatalf("tree: %d lookups, %+v", res.Lookups, res.Tree.Terms)
	}
	if f := fs[0]; !strings.Contains(f.Message, "12 DNS lookups") || !strings.Contains(f.Fix, "include:big.spf-lookups.test costs 9") {
		t.Errorf("finding: %+v", f)
	}
	good, _ := spf.Check(context.Background(), r, "good.test", spf.Options{})
	if good.Lookups != 2 || good.Tree.Terms[1].Child == nil || good.Tree.Terms[1].Child.Record == "" {
		t.Errorf("good.test tree: %+v", good.Tree)
	}
}

func TestVoidsAreCounted(t *testing.T) {
	_, r := labtest.ForTest(t, time.Second)
	res, _ := spf.Check(context.Background(), r, "spf-voids.test", spf.Options{})
	if res.VoidLookups != 3 || !res.Tree.Terms[0].Void {
		t.Fatalf("%+v", res.Tree)
	}
}
