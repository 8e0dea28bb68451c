package dmarc_test

import (
	"context"
	"strings"
	"testing"

	"github.com/smtptool/smtptool/check/dmarc"
	"github.com/smtptool/smtptool/dns"
	"github.com/smtptool/smtptool/dns/dnstest"
	"github.com/smtptool/smtptool/lab/labtest"
	"github.com/smtptool/smtptool/report"
)

// Each case is a zone wrong in exactly one way, beside the finding it must give.
func TestFindings(t *testing.T) {
	for _, tc := range []struct{ domain, zone, want string }{
		{"good.test", `_dmarc.good.test. 300 TXT "v=DMARC1; p=reject; adkim=s; rua=mailto:dmarc@good.test,mailto:reports@reports.test"
good.test._report._dmarc.reports.test. 300 TXT "v=DMARC1"`, ""},
		{"dmarc-missing.test", `dmarc-missing.test. 300 TXT "v=spf1 -all"`, "dmarc.missing"},
		{"dmarc-multiple.test", `_dmarc.dmarc-multiple.test. 300 TXT "v=DMARC1; p=reject; rua=mailto:d@dmarc-multiple.test"
_dmarc.dmarc-multiple.test. 300 TXT "v=DMARC1; p=none; rua=mailto:d@dmarc-multiple.test"`, "dmarc.multiple"},
		{"dmarc-syntax.test", `_dmarc.dmarc-syntax.test. 300 TXT "v=DMARC1; p=maybe; rua=mailto:d@dmarc-syntax.test"`, "dmarc.syntax"},
		{"dmarc-none.test", `_dmarc.dmarc-none.test. 300 TXT "v=DMARC1; p=none; rua=mailto:d@dmarc-none.test"`, "dmarc.policy-none"},
		{"dmarc-pct.test", `_dmarc.dmarc-pct.test. 300 TXT "v=DMARC1; p=reject; pct=50; rua=mailto:d@dmarc-pct.test"`, "dmarc.pct-partial"},
		{"dmarc-sp.test", `_dmarc.dmarc-sp.test. 300 TXT "v=DMARC1; p=reject; sp=none; rua=mailto:d@dmarc-sp.test"`, "dmarc.sp-weaker"},
		{"dmarc-norua.test", `_dmarc.dmarc-norua.test. 300 TXT "v=DMARC1; p=reject"`, "dmarc.no-rua"},
		{"dmarc-uri.test", `_dmarc.dmarc-uri.test. 300 TXT "v=DMARC1; p=reject; rua=d@dmarc-uri.test"`, "dmarc.uri-invalid"},
		{"dmarc-unauth.test", `_dmarc.dmarc-unauth.test. 300 TXT "v=DMARC1; p=reject; rua=mailto:d@elsewhere.test"
elsewhere.test. 300 TXT "v=spf1 -all"`, "dmarc.rua-unauthorized"},
		{"sub.dmarc-inherit.test", `_dmarc.dmarc-inherit.test. 300 TXT "v=DMARC1; p=reject; rua=mailto:d@dmarc-inherit.test"
sub.dmarc-inherit.test. 300 A 192.0.2.1`, "dmarc.inherited"},
	} {
		_, fs := dmarc.Check(context.Background(), dnstest.New(tc.zone), tc.domain, dmarc.Options{})
		labtest.CheckComplete(t, tc.domain, fs...)
		if got := report.IDs(fs...); got != tc.want {
			t.Errorf("%s: findings %q, want %q", tc.domain, got, tc.want)
		}
	}
}

// A failed lookup is inconclusive, never "missing".
func TestFailedLookupIsNotMissing(t *testing.T) {
	m := dnstest.New(`dmarc-servfail.test. 300 A 192.0.2.1`)
	m.Fail("_dmarc.dmarc-servfail.test", dns.ErrServerFailure)
	res, fs := dmarc.Check(context.Background(), m, "dmarc-servfail.test", dmarc.Options{})
	c := report.NewCheck(dmarc.Name, res, fs)
	if got := report.IDs(fs...); got != "dns.lookup-failed" || report.Judge(report.Error, &report.Report{Checks: []*report.Check{c}}) != report.Inconclusive {
		t.Fatalf("findings %q", got)
	}
}

func TestInheritedPolicyIsTheSubdomainPolicy(t *testing.T) {
	r := dnstest.New(`
_dmarc.dmarc-inherit.test. 300 TXT "v=DMARC1; p=none; sp=reject; rua=mailto:d@dmarc-inherit.test"
sub.dmarc-inherit.test.    300 A   192.0.2.1
_dmarc.good.test.          300 TXT "v=DMARC1; p=reject; adkim=s; rua=mailto:dmarc@good.test,mailto:reports@reports.test"
`)
	res, _ := dmarc.Check(context.Background(), r, "sub.dmarc-inherit.test", dmarc.Options{})
	if !res.Inherited || res.Found != "dmarc-inherit.test" || res.Policy != dmarc.Reject {
		t.Fatalf("%+v", res)
	}
	res, _ = dmarc.Check(context.Background(), r, "good.test", dmarc.Options{})
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

// A record that is there but that receivers discard is dmarc.syntax with
// the record and why, never dmarc.missing (RFC 7489 §6.4, §6.6.3).
func TestNearMissRecordsAreExplained(t *testing.T) {
	for _, tc := range []struct{ txt, why string }{
		{`"p=reject; v=DMARC1"`, "must be the first tag"},
		{`"v=dmarc1; p=reject"`, "exactly, in capitals"},
		{`"v=DMARC1 p=reject"`, "followed by a semicolon"},
		{`"v=spf1 -all"`, "SPF record"},
		{`"p=reject; rua=mailto:d@x.test"`, "does not start with v=DMARC1"},
	} {
		m := dnstest.New("_dmarc.x.test. 300 TXT " + tc.txt + "\nx.test. 300 A 192.0.2.1")
		res, fs := dmarc.Check(context.Background(), m, "x.test", dmarc.Options{})
		labtest.CheckComplete(t, tc.txt, fs...)
		if got := report.IDs(fs...); got != "dmarc.syntax" || !strings.Contains(fs[0].Message, tc.why) || len(res.Ignored) != 1 {
			t.Errorf("%s: %q %+v", tc.txt, got, fs)
		}
	}
	// RFC 7489 §6.4's grammar: the tag name is case-insensitive and white
	// space may surround "=": these are DMARC records.
	for _, txt := range []string{`"V=DMARC1; p=reject; rua=mailto:d@x.test"`, `"v = DMARC1; p=reject; rua=mailto:d@x.test"`, `"v=DMAR" "C1; p=reject; rua=mailto:d@x.test"`} {
		m := dnstest.New("_dmarc.x.test. 300 TXT " + txt)
		if res, fs := dmarc.Check(context.Background(), m, "x.test", dmarc.Options{}); len(fs) != 0 || res.Policy != dmarc.Reject {
			t.Errorf("%s: %+v", txt, fs)
		}
	}
	// A verification token at _dmarc is no DMARC record and no near miss.
	m := dnstest.New(`_dmarc.x.test. 300 TXT "google-site-verification=abc"`)
	if _, fs := dmarc.Check(context.Background(), m, "x.test", dmarc.Options{}); report.IDs(fs...) != "dmarc.missing" {
		t.Errorf("token: %+v", fs)
	}
	// An ignored record at the domain, a real one at its organizational domain.
	m = dnstest.New("_dmarc.sub.x.test. 300 TXT \"p=none; v=DMARC1\"\n_dmarc.x.test. 300 TXT \"v=DMARC1; p=reject; rua=mailto:d@x.test\"")
	if res, fs := dmarc.Check(context.Background(), m, "sub.x.test", dmarc.Options{}); report.IDs(fs...) != "dmarc.inherited,dmarc.syntax" || res.Policy != dmarc.Reject {
		t.Errorf("inherited past an ignored record: %+v", fs)
	}
}

// DMARCbis: t=y, np weaker than p, psd=y on a domain that is not a public
// suffix.
func TestDMARCbisTags(t *testing.T) {
	for txt, want := range map[string]string{
		"v=DMARC1; p=reject; np=none; psd=y; t=y; rua=mailto:d@x.test": "dmarc.np-weaker,dmarc.psd-misused,dmarc.testing",
		"v=DMARC1; p=reject; np=reject; t=n; rua=mailto:d@x.test":      "",
		"v=DMARC1; p=reject; t=maybe; rua=mailto:d@x.test":             "dmarc.syntax",
		"v=DMARC1; p=reject; psd=x; rua=mailto:d@x.test":               "dmarc.syntax",
	} {
		m := dnstest.New(`_dmarc.x.test. 300 TXT "` + txt + `"`)
		_, fs := dmarc.Check(context.Background(), m, "x.test", dmarc.Options{})
		labtest.CheckComplete(t, txt, fs...)
		if got := report.IDs(fs...); got != want {
			t.Errorf("%s: %q, want %q", txt, got, want)
		}
	}
	// psd=y where it belongs: a public suffix (co.uk is on the list).
	m := dnstest.New(`_dmarc.co.uk. 300 TXT "v=DMARC1; p=reject; psd=y; rua=mailto:d@nic.uk"`)
	if _, fs := dmarc.Check(context.Background(), m, "co.uk", dmarc.Options{}); strings.Contains(report.IDs(fs...), "psd-misused") {
		t.Errorf("psd=y on a public suffix: %+v", fs)
	}
}

// The tree walk (DMARCbis §4.10) finds the nearest ancestor's record,
// where RFC 7489 jumps to the organizational domain; the result says which.
func TestTreeWalk(t *testing.T) {
	m := dnstest.New(`
_dmarc.b.x.test.  300 TXT "v=DMARC1; p=quarantine; rua=mailto:d@x.test"
_dmarc.x.test.    300 TXT "v=DMARC1; p=reject; rua=mailto:d@x.test"
`)
	psl, _ := dmarc.Check(context.Background(), m, "a.b.x.test", dmarc.Options{})
	walk, _ := dmarc.Check(context.Background(), m, "a.b.x.test", dmarc.Options{TreeWalk: true})
	if psl.Found != "x.test" || psl.Discovery != "psl" || walk.Found != "b.x.test" || walk.Discovery != "tree-walk" || walk.Policy != dmarc.Quarantine {
		t.Errorf("psl %+v, walk %+v", psl, walk)
	}
	// A long name jumps to its last 7 labels after the first query.
	m = dnstest.New(`_dmarc.x.test. 300 TXT "v=DMARC1; p=reject; rua=mailto:d@x.test"`)
	dmarc.Check(context.Background(), m, "1.2.3.4.5.6.7.8.9.x.test", dmarc.Options{TreeWalk: true})
	q := m.Queries()
	if q[0] != "TXT _dmarc.1.2.3.4.5.6.7.8.9.x.test." || q[1] != "TXT _dmarc.5.6.7.8.9.x.test." {
		t.Errorf("walk %q", q)
	}
}
