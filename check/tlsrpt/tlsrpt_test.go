package tlsrpt_test

import (
	"context"
	"testing"

	"github.com/smtptool/smtptool/check/tlsrpt"
	"github.com/smtptool/smtptool/dns"
	"github.com/smtptool/smtptool/dns/dnstest"
	"github.com/smtptool/smtptool/lab/labtest"
	"github.com/smtptool/smtptool/report"
)

func TestFindings(t *testing.T) {
	for _, tc := range []struct{ zone, want string }{
		{`_smtp._tls.x.test. 300 TXT "v=TLSRPTv1; rua=mailto:tls-reports@x.test"`, ""},
		{`_smtp._tls.x.test. 300 TXT "v=TLSRPTv1; rua=https://reports.example/tlsrpt,mailto:a@x.test"`, ""},
		{`x.test. 300 TXT "v=spf1 -all"`, "tlsrpt.missing"},
		{`_smtp._tls.x.test. 300 TXT "v=TLSRPTv1; rua=tls-reports@x.test"`, "tlsrpt.syntax"},
		{`_smtp._tls.x.test. 300 TXT "v=TLSRPTv1"`, "tlsrpt.syntax"},
		{`_smtp._tls.x.test. 300 TXT "v=TLSRPTv1; rua=mailto:a@x.test; rua=mailto:b@x.test"`, "tlsrpt.syntax"},
		{"_smtp._tls.x.test. 300 TXT \"v=TLSRPTv1; rua=mailto:a@x.test\"\n_smtp._tls.x.test. 300 TXT \"v=TLSRPTv1; rua=mailto:b@x.test\"", "tlsrpt.syntax"},
	} {
		res, fs := tlsrpt.Check(context.Background(), dnstest.New(tc.zone), "x.test", tlsrpt.Options{})
		labtest.CheckComplete(t, tc.zone, fs...)
		if got := report.IDs(fs...); got != tc.want || res == nil {
			t.Errorf("%s: %q, want %q", tc.zone, got, tc.want)
		}
	}
	m := dnstest.New(`x.test. 300 A 192.0.2.1`)
	m.Fail("_smtp._tls.x.test", dns.ErrServerFailure)
	if _, fs := tlsrpt.Check(context.Background(), m, "x.test", tlsrpt.Options{}); report.IDs(fs...) != "dns.lookup-failed" {
		t.Errorf("servfail: %v", fs)
	}
}
