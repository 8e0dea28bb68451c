package mtasts_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/smtptool/smtptool/check/mtasts"
	"github.com/smtptool/smtptool/lab/labtest"
	"github.com/smtptool/smtptool/report"
)

func TestFindingsPerLabDomain(t *testing.T) {
	l, r := labtest.ForTest(t, time.Second)
	mxs := func() []string { return []string{"mx1.good.test.", "mx2.good.test."} }
	opts := mtasts.Options{Port: l.HTTPSPort, RootCAs: l.CA.Pool, Timeout: 2 * time.Second, MXHosts: mxs}
	for domain, want := range map[string]string{
		"good.test":            "",
		"nomx.test":            "mtasts.missing",
		"mtasts-syntax.test":   "mtasts.syntax",
		"mtasts-unavail.test":  "mtasts.policy-unavailable",
		"mtasts-redirect.test": "mtasts.policy-unavailable",
		"mtasts-html.test":     "mtasts.policy-unavailable",
		"mtasts-invalid.test":  "mtasts.policy-invalid",
		"mtasts-mismatch.test": "mtasts.mx-mismatch",
		"mtasts-testing.test":  "mtasts.testing",
		"mtasts-none.test":     "mtasts.mode-none",
		"mtasts-shortage.test": "mtasts.max-age-short",
		"mtasts-longage.test":  "mtasts.policy-invalid",
		"servfail.test":        "",
	} {
		_, fs := mtasts.Check(context.Background(), r, domain, opts)
		labtest.CheckComplete(t, domain, fs...)
		if domain == "servfail.test" {
			want = "mtasts.missing" // only its MX lookup fails
		}
		if got := report.IDs(fs...); got != want {
			t.Errorf("%s: findings %q, want %q %+v", domain, got, want, fs)
		}
	}
	// A wildcard matches one label only, and the finding says so.
	deep := mtasts.Options{Port: l.HTTPSPort, RootCAs: l.CA.Pool, Timeout: 2 * time.Second, MXHosts: func() []string { return []string{"a.mx.good.test."} }}
	if _, fs := mtasts.Check(context.Background(), r, "mtasts-deep.test", deep); report.IDs(fs...) != "mtasts.mx-mismatch" || !strings.Contains(fs[0].Message, "matches only one label") {
		t.Errorf("too deep: %+v", fs)
	}
	// The policy host's certificate is verified: without the lab's CA it fails.
	_, fs := mtasts.Check(context.Background(), r, "good.test", mtasts.Options{Port: l.HTTPSPort, Timeout: 2 * time.Second, MXHosts: mxs})
	if len(fs) != 1 || fs[0].ID != "mtasts.policy-unavailable" || !strings.Contains(fs[0].Message, "certificate") {
		t.Errorf("untrusted certificate: %+v", fs)
	}
}

func TestMatches(t *testing.T) {
	pats := []string{"mx1.example.com", "*.example.net"}
	for host, want := range map[string]bool{
		"mx1.example.com": true, "MX1.example.com.": true, "mx2.example.com": false,
		"a.example.net": true, "a.b.example.net": false, "example.net": false,
	} {
		if got := mtasts.Matches(pats, host); got != want {
			t.Errorf("Matches(%s) = %v", host, got)
		}
	}
}

func FuzzParsePolicy(f *testing.F) {
	f.Add("version: STSv1\r\nmode: enforce\r\nmx: *.example.com\r\nmax_age: 86400\r\n")
	f.Add("mode:none\nmax_age:-1")
	f.Fuzz(func(t *testing.T, s string) {
		p, problems := mtasts.ParsePolicy(s)
		if len(problems) == 0 && (p.Version != "STSv1" || p.MaxAge < 0 || p.Mode == "enforce" && len(p.MX) == 0) {
			t.Fatalf("%q accepted: %+v", s, p)
		}
	})
}
