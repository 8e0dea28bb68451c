package dnssec_test

import (
	"context"
	"testing"

	"github.com/smtptool/smtptool/check/dnssec"
	"github.com/smtptool/smtptool/check/mx"
	"github.com/smtptool/smtptool/dns"
	"github.com/smtptool/smtptool/dns/dnstest"
	"github.com/smtptool/smtptool/report"
)

func TestDNSSEC(t *testing.T) {
	m := dnstest.New(`
signed.test.   300 MX 10 mx.signed.test.
mx.signed.test. 300 A 192.0.2.1
plain.test.    300 MX 10 mx.plain.test.
mx.plain.test. 300 A 192.0.2.2
`)
	m.Sign("signed.test")
	m.Fail("broken.test", dns.ErrServerFailure)
	for domain, want := range map[string]string{"signed.test": "", "plain.test": "dnssec.unsigned", "broken.test": "", "nosuch.test": ""} {
		res, _ := mx.Check(context.Background(), m, domain, mx.Options{})
		v, fs := dnssec.Check(context.Background(), m, domain, dnssec.Options{MX: res})
		if got := report.IDs(fs...); got != want || v.Validated != (domain == "signed.test") {
			t.Errorf("%s: %q validated=%v", domain, got, v.Validated)
		}
	}
}
