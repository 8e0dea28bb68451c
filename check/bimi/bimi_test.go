package bimi_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/smtptool/smtptool/check/bimi"
	"github.com/smtptool/smtptool/dns/dnstest"
	"github.com/smtptool/smtptool/lab/labtest"
	"github.com/smtptool/smtptool/report"
)

func TestFindings(t *testing.T) {
	enforced := bimi.DMARCState{Known: true, Policy: "reject", Percent: 100}
	for _, tc := range []struct {
		zone  string
		dmarc bimi.DMARCState
		want  string
	}{
		{`default._bimi.x.test. 300 TXT "v=BIMI1; l=https://x.test/logo.svg"`, enforced, ""},
		{`x.test. 300 TXT "v=spf1 -all"`, bimi.DMARCState{}, ""}, // no BIMI: nothing to say
		{`default._bimi.x.test. 300 TXT "v=BIMI1; l=http://x.test/logo.svg"`, enforced, "bimi.syntax"},
		{`default._bimi.x.test. 300 TXT "v=BIMI1; a=https://x.test/vmc.pem"`, enforced, "bimi.syntax"},
		{`default._bimi.x.test. 300 TXT "v=BIMI1; l=https://x.test/logo.svg"`, bimi.DMARCState{Known: true, Policy: "none", Percent: 100}, "bimi.dmarc-not-enforced"},
		{`default._bimi.x.test. 300 TXT "v=BIMI1; l=https://x.test/logo.svg"`, bimi.DMARCState{Known: true, Policy: "reject", Percent: 50}, "bimi.dmarc-not-enforced"},
		{`default._bimi.x.test. 300 TXT "v=BIMI1; l=https://x.test/logo.svg"`, bimi.DMARCState{}, "bimi.dmarc-not-enforced"},
	} {
		_, fs := bimi.Check(context.Background(), dnstest.New(tc.zone), "x.test", bimi.Options{DMARC: bimi.Given(tc.dmarc)})
		labtest.CheckComplete(t, tc.zone, fs...)
		if got := report.IDs(fs...); got != tc.want {
			t.Errorf("%s %+v: %q, want %q", tc.zone, tc.dmarc, got, tc.want)
		}
	}
}

// The logo and the mark certificate are fetched over HTTPS (the lab's
// host) and checked: SVG Tiny PS, and a PEM leaf with the logotype
// extension and the BIMI key usage.
func TestFetchedDocuments(t *testing.T) {
	l, r := labtest.ForTest(t, time.Second)
	enforced := bimi.DMARCState{Known: true, Policy: "reject", Percent: 100}
	o := bimi.Options{DMARC: bimi.Given(enforced), Fetch: true, Port: l.HTTPSPort, RootCAs: l.CA.Pool, Timeout: 2 * time.Second}
	for domain, want := range map[string]string{
		"good.test":        "",
		"bimi-logo.test":   "bimi.logo-invalid",
		"bimi-nologo.test": "bimi.logo-unavailable",
		"bimi-vmc.test":    "bimi.certificate-invalid",
	} {
		_, fs := bimi.Check(context.Background(), r, domain, o)
		labtest.CheckComplete(t, domain, fs...)
		if got := report.IDs(fs...); got != want {
			t.Errorf("%s: %q, want %q: %+v", domain, got, want, fs)
		}
	}
	// The mark certificate's dates count: a year on, it has expired.
	late := o
	late.Now = func() time.Time { return time.Now().AddDate(1, 0, 0) }
	if _, fs := bimi.Check(context.Background(), r, "good.test", late); report.IDs(fs...) != "bimi.certificate-invalid" || !strings.Contains(fs[0].Message, "expired") {
		t.Errorf("expired: %+v", fs)
	}
}

func TestSVGTinyPS(t *testing.T) {
	for body, want := range map[string]string{
		`<svg version="1.2" baseProfile="tiny-ps" xmlns="http://www.w3.org/2000/svg"><title>x</title></svg>`:                                                                              "",
		`<svg xmlns="http://www.w3.org/2000/svg"><title>x</title></svg>`:                                                                                                                  `version=""`,
		`<svg version="1.2" baseProfile="tiny-ps" xmlns="http://www.w3.org/2000/svg"></svg>`:                                                                                              "no title",
		`<svg version="1.2" baseProfile="tiny-ps" xmlns="http://www.w3.org/2000/svg"><title>x</title><script>1</script></svg>`:                                                            "script",
		`<svg version="1.2" baseProfile="tiny-ps" xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/1999/xlink"><title>x</title><image x:href="https://e.test/a.png"/></svg>`: "outside the document",
		`<html/>`: "not svg",
		`<svg xmlns="http://www.w3.org/2000/svg" version="1.2" baseProfile="tiny-ps"><title>`: "well-formed",
	} {
		got := strings.Join(bimi.SVGTinyPSProblems("image/svg+xml", []byte(body)), "; ")
		if want == "" && got != "" || want != "" && !strings.Contains(got, want) {
			t.Errorf("%s: %q, want %q", body, got, want)
		}
	}
}

// FuzzSVGTinyPS: any document is judged without a panic.
func FuzzSVGTinyPS(f *testing.F) {
	f.Add([]byte(`<svg version="1.2" baseProfile="tiny-ps" xmlns="http://www.w3.org/2000/svg"><title>x</title></svg>`))
	f.Add([]byte(`<svg><script/></svg>`))
	f.Fuzz(func(t *testing.T, b []byte) { bimi.SVGTinyPSProblems("image/svg+xml", b) })
}
