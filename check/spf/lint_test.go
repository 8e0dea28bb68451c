package spf_test

import (
	"context"
	"strings"
	"testing"

	mdns "github.com/miekg/dns"
	"github.com/smtptool/smtptool/check/spf"
	"github.com/smtptool/smtptool/dns"
	"github.com/smtptool/smtptool/dns/dnstest"
	"github.com/smtptool/smtptool/lab/labtest"
	"github.com/smtptool/smtptool/report"
)

// zone holds the SPF records of these tests.
const zone = `; SPF (RFC 7208) for the lab: good.test is right; every spf-*.test domain is
; wrong in exactly one way, named by the finding it must produce.
$TTL 300

$ORIGIN good.test.
@           MX    10 mx1
@           MX    20 mx2
mx1         A     127.0.0.10
mx2         A     127.0.0.11
@           TXT   "v=spf1 mx include:_spf.good.test -all"
_spf        TXT   "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all"

; spf.missing
$ORIGIN spf-missing.test.
@           A     127.0.0.10

; spf.multiple
$ORIGIN spf-multiple.test.
@           TXT   "v=spf1 mx -all"
@           TXT   "v=spf1 a -all"

; spf.syntax
$ORIGIN spf-syntax.test.
@           TXT   "v=spf1 ip4:192.0.2.300 -all"

; spf.lookup-limit: 2 includes + 8 + 2 = 12 lookups
$ORIGIN spf-lookups.test.
@           TXT   "v=spf1 include:big.spf-lookups.test include:small.spf-lookups.test -all"
big         TXT   "v=spf1 a:mx1.good.test a:mx1.good.test a:mx1.good.test a:mx1.good.test a:mx2.good.test a:mx2.good.test a:mx2.good.test a:mx2.good.test -all"
small       TXT   "v=spf1 a:mx1.good.test a:mx2.good.test -all"

; spf.void-lookup-limit: three names that do not exist
$ORIGIN spf-voids.test.
@           TXT   "v=spf1 a:none1.spf-voids.test a:none2.spf-voids.test a:none3.spf-voids.test -all"

; spf.include-missing
$ORIGIN spf-includemissing.test.
@           TXT   "v=spf1 include:nospf.spf-includemissing.test -all"
nospf       A     192.0.2.1

; spf.include-loop
$ORIGIN spf-loop.test.
@           TXT   "v=spf1 include:loop2.spf-loop.test -all"
loop2       TXT   "v=spf1 include:spf-loop.test -all"

; spf.permissive-all
$ORIGIN spf-plusall.test.
@           TXT   "v=spf1 mx +all"

; spf.neutral-all
$ORIGIN spf-neutral.test.
@           TXT   "v=spf1 mx ?all"

; spf.no-all
$ORIGIN spf-noall.test.
@           TXT   "v=spf1 mx"

; spf.ptr
$ORIGIN spf-ptr.test.
@           TXT   "v=spf1 ptr -all"

; spf.redirect-ignored
$ORIGIN spf-redirect.test.
@           TXT   "v=spf1 mx redirect=good.test -all"

; spf.terms-after-all
$ORIGIN spf-afterall.test.
@           TXT   "v=spf1 mx -all ip4:192.0.2.1"

; spf.mx-too-many: 11 MX hosts
$ORIGIN spf-mxmany.test.
@           TXT   "v=spf1 mx:many.spf-mxmany.test -all"
many        MX    1 mx1.many
many        MX    2 mx2.many
many        MX    3 mx3.many
many        MX    4 mx4.many
many        MX    5 mx5.many
many        MX    6 mx6.many
many        MX    7 mx7.many
many        MX    8 mx8.many
many        MX    9 mx9.many
many        MX    10 mx10.many
many        MX    11 mx11.many

; spf.record-too-long: over 450 bytes
$ORIGIN spf-long.test.
@           TXT   "v=spf1 ip4:198.51.100.1 ip4:198.51.100.2 ip4:198.51.100.3 ip4:198.51.100.4 ip4:198.51.100.5 ip4:198.51.100.6 ip4:198.51.100.7 ip4:198.51.100.8 ip4:198.51.100.9 ip4:198.51.100.10 ip4:198.51.100.11 ip4:" "198.51.100.12 ip4:198.51.100.13 ip4:198.51.100.14 ip4:198.51.100.15 ip4:198.51.100.16 ip4:198.51.100.17 ip4:198.51.100.18 ip4:198.51.100.19 ip4:198.51.100.20 ip4:198.51.100.21 ip4:198.51.100.22 ip4:19" "8.51.100.23 ip4:198.51.100.24 ip4:198.51.100.25 ip4:198.51.100.26 ip4:198.51.100.27 ip4:198.51.100.28 ip4:198.51.100.29 ip4:198.51.100.30 ip4:198.51.100.31 ip4:198.51.100.32 ip4:198.51.100.33 ip4:198." "51.100.34 ip4:198.51.100.35 ip4:198.51.100.36 ip4:198.51.100.37 ip4:198.51.100.38 ip4:198.51.100.39 -all"

; dns.lookup-failed, never spf.missing
$ORIGIN spf-servfail.test.
@           A     127.0.0.10
`

func resolver() *dnstest.Mock {
	m := dnstest.New(zone)
	m.Fail("spf-servfail.test", dns.ErrServerFailure, mdns.TypeTXT)
	return m
}

// Every spf-*.test domain is wrong in exactly one way; good.test in none.
func TestLintFindings(t *testing.T) {
	r := resolver()
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
	r := resolver()
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
	r := resolver()
	res, _ := spf.Check(context.Background(), r, "spf-voids.test", spf.Options{})
	if res.VoidLookups != 3 || !res.Tree.Terms[0].Void {
		t.Fatalf("%+v", res.Tree)
	}
}
