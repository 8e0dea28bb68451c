package bimi_test

import (
	"context"
	"testing"

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
		_, fs := bimi.Check(context.Background(), dnstest.New(tc.zone), "x.test", bimi.Options{DMARC: tc.dmarc})
		labtest.CheckComplete(t, tc.zone, fs...)
		if got := report.IDs(fs...); got != tc.want {
			t.Errorf("%s %+v: %q, want %q", tc.zone, tc.dmarc, got, tc.want)
		}
	}
}
