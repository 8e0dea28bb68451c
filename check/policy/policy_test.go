package policy_test

import (
	"context"
	"testing"
	"time"

	"github.com/smtptool/smtptool/check/policy"
	"github.com/smtptool/smtptool/lab/labtest"
)

func TestTLSRPT(t *testing.T) {
	_, r := labtest.ForTest(t, time.Second)
	for domain, want := range map[string]string{"good.test": "", "nomx.test": "tlsrpt.missing", "tlsrpt-syntax.test": "tlsrpt.syntax"} {
		c := policy.CheckTLSRPT(context.Background(), r, domain)
		got := ""
		if len(c.Findings) > 0 {
			got = c.Findings[0].ID
		}
		if got != want || len(c.Findings) > 1 {
			t.Errorf("%s: %+v", domain, c.Findings)
		}
	}
}

func TestBIMI(t *testing.T) {
	_, r := labtest.ForTest(t, time.Second)
	enforced := policy.DMARCState{Known: true, Policy: "reject", Percent: 100}
	for _, tc := range []struct {
		domain string
		dmarc  policy.DMARCState
		want   string
	}{
		{"good.test", enforced, ""},
		{"nomx.test", policy.DMARCState{}, ""}, // no BIMI: nothing to say
		{"bimi-syntax.test", enforced, "bimi.syntax"},
		{"bimi-dmarc.test", policy.DMARCState{Known: true, Policy: "none", Percent: 100}, "bimi.dmarc-not-enforced"},
	} {
		c := policy.CheckBIMI(context.Background(), r, tc.domain, tc.dmarc)
		got := ""
		if len(c.Findings) > 0 {
			got = c.Findings[0].ID
		}
		if got != tc.want || len(c.Findings) > 1 {
			t.Errorf("%s: %+v", tc.domain, c.Findings)
		}
	}
}

func FuzzTags(f *testing.F) {
	f.Add("v=TLSRPTv1; rua=mailto:a@b.example")
	f.Add(";=;v")
	f.Fuzz(func(t *testing.T, s string) {
		tags, err := policy.Tags(s, "TLSRPTv1")
		if err == nil && len(tags) > 0 && tags["v"] != "TLSRPTv1" {
			t.Fatalf("%q: %v", s, tags)
		}
	})
}
