package dmarc_test

import (
	"context"
	"testing"
	"time"

	"github.com/smtptool/smtptool/check/dmarc"
	"github.com/smtptool/smtptool/lab"
	"github.com/smtptool/smtptool/report"
)

func TestFindingsPerLabDomain(t *testing.T) {
	_, r := lab.ForTest(t, time.Second)
	for domain, want := range map[string]string{
		"good.test":              "",
		"dmarc-missing.test":     "dmarc.missing",
		"dmarc-multiple.test":    "dmarc.multiple",
		"dmarc-syntax.test":      "dmarc.syntax",
		"dmarc-none.test":        "dmarc.policy-none",
		"dmarc-pct.test":         "dmarc.pct-partial",
		"dmarc-sp.test":          "dmarc.sp-weaker",
		"dmarc-norua.test":       "dmarc.no-rua",
		"dmarc-uri.test":         "dmarc.uri-invalid",
		"dmarc-unauth.test":      "dmarc.rua-unauthorized",
		"sub.dmarc-inherit.test": "dmarc.inherited",
		"dmarc-servfail.test":    "dns.lookup-failed",
	} {
		c, _ := dmarc.Check(context.Background(), r, domain)
		lab.CheckComplete(t, domain, c.Findings...)
		if got := report.IDs(c.Findings...); got != want {
			t.Errorf("%s: findings %q, want %q", domain, got, want)
		}
	}
}

func TestInheritedPolicyIsTheSubdomainPolicy(t *testing.T) {
	_, r := lab.ForTest(t, time.Second)
	_, res := dmarc.Check(context.Background(), r, "sub.dmarc-inherit.test")
	if !res.Inherited || res.Found != "dmarc-inherit.test" || res.Policy != dmarc.Reject {
		t.Fatalf("%+v", res)
	}
	_, res = dmarc.Check(context.Background(), r, "good.test")
	if res.Inherited || res.Policy != dmarc.Reject || res.Record.AlignDKIM != "s" || len(res.Record.RUA) != 2 {
		t.Fatalf("%+v %+v", res, res.Record)
	}
}

func TestParseKeepsInvalidRecords(t *testing.T) {
	for txt, wantErrs := range map[string]int{
		"v=DMARC1; p=reject":                         0,
		"v=DMARC1;p=quarantine;sp=reject;pct=20;":    0,
		"p=reject; v=DMARC1":                         2,
		"; p=reject":                                 1, // v= must be the first tag, empty parts aside
		"v=DMARC1; p=reject; pct=150; adkim=x":       2,
		"v=DMARC1; rua=mailto:a@b.example":           1,
		"v=DMARC1; p=none; fo=1:d:q; ri=0; rf=iodef": 3,
	} {
		rec := dmarc.Parse(txt)
		if rec.Raw != txt || len(rec.Errors) != wantErrs {
			t.Errorf("%q: %d errors %v, want %d", txt, len(rec.Errors), rec.Errors, wantErrs)
		}
	}
}

func TestOrgDomain(t *testing.T) {
	for in, want := range map[string]string{
		"mail.example.com": "example.com", "a.b.example.co.uk": "example.co.uk", "example.com.": "example.com", "x.y.test": "y.test",
	} {
		if got := dmarc.OrgDomain(in); got != want {
			t.Errorf("OrgDomain(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"v=DMARC1; p=reject; rua=mailto:a@b.example!10m", "v=DMARC1", ";;=;", "v=DMARC1; p=none; sp=quarantine; pct=0; fo=0:1:d:s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rec := dmarc.Parse(s)
		if rec.Raw != s || rec.Percent < 0 || rec.Percent > 100 {
			t.Fatalf("%q: %+v", s, rec)
		}
	})
}
