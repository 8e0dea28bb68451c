package mx_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
	"github.com/smtptool/smtptool/check/mx"
	"github.com/smtptool/smtptool/dns"
	"github.com/smtptool/smtptool/dns/dnstest"
	"github.com/smtptool/smtptool/lab/labtest"
	"github.com/smtptool/smtptool/report"
)

// zone holds the mail domains of these tests: good.test is configured
// well; every other domain is wrong in exactly one way, named by the
// finding it must produce.
const zone = `
$TTL 300
$ORIGIN good.test.
@           MX    10 mx1
@           MX    20 mx2
mx1         A     127.0.0.10
mx1         AAAA  ::1
mx2         A     127.0.0.11
10.0.0.127.in-addr.arpa.  PTR  mx1.good.test.
11.0.0.127.in-addr.arpa.  PTR  mx2.good.test.
1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.  PTR  mx1.good.test.

$ORIGIN nomx.test.
@           A     127.0.0.10
@           AAAA  ::1

$ORIGIN nullmx.test.
@           MX    0 .

$ORIGIN nullmixed.test.
@           MX    0 .
@           MX    10 mx1.good.test.

$ORIGIN cname.test.
@           MX    10 mail
mail        CNAME mx1.good.test.

$ORIGIN ipliteral.test.
@           MX    10 127.0.0.10.

$ORIGIN unresolvable.test.
@           MX    10 gone

$ORIGIN private.test.
@           MX    10 mx
mx          A     10.1.2.3
mx          AAAA  ::1
3.2.1.10.in-addr.arpa.  PTR  mx.private.test.

$ORIGIN noipv6.test.
@           MX    10 mx2.good.test.

$ORIGIN noptr.test.
@           MX    10 mx
mx          A     127.0.0.20
mx          AAAA  ::1

$ORIGIN fcrdns.test.
@           MX    10 mx
mx          A     127.0.0.21
mx          AAAA  ::1
other       A     127.0.0.99
21.0.0.127.in-addr.arpa.  PTR  other.fcrdns.test.

$ORIGIN servfail.test.
@           A     127.0.0.10
$ORIGIN timeout.test.
@           A     127.0.0.10
$ORIGIN hostfail.test.
@           MX    10 mx
`

func resolver() *dnstest.Mock {
	m := dnstest.New(zone)
	m.Sign("good.test")
	m.Fail("servfail.test", dns.ErrServerFailure, mdns.TypeMX)
	m.Fail("timeout.test", dns.ErrTimeout, mdns.TypeMX)
	m.Fail("mx.hostfail.test", dns.ErrServerFailure)
	return m
}

// Every domain is wrong in exactly one way and must produce exactly that
// finding; good.test must produce none.
func TestFindings(t *testing.T) {
	r := resolver()
	opts := mx.Options{AllowPrivate: true}
	for _, tc := range []struct {
		domain string
		opts   mx.Options
		want   string
	}{
		{"good.test", opts, ""},
		{"nosuch.test", opts, "domain.nxdomain"},
		{"nomx.test", opts, "mx.missing"},
		{"nullmx.test", opts, "mx.null"},
		{"nullmixed.test", opts, "mx.null-mixed"},
		{"cname.test", opts, "mx.cname"},
		{"ipliteral.test", opts, "mx.ip-literal"},
		{"unresolvable.test", opts, "mx.unresolvable"},
		{"private.test", mx.Options{}, "mx.private-address"},
		{"noipv6.test", opts, "mx.no-ipv6"},
		{"noptr.test", opts, "mx.ptr-missing"},
		{"fcrdns.test", opts, "mx.fcrdns-mismatch"},
		{"servfail.test", opts, "dns.lookup-failed"},
		{"timeout.test", opts, "dns.lookup-failed"},
		{"hostfail.test", opts, "dns.lookup-failed"},
	} {
		t.Run(tc.domain, func(t *testing.T) {
			_, fs := mx.Check(context.Background(), r, tc.domain, tc.opts)
			if got := report.IDs(fs...); got != tc.want {
				t.Errorf("findings %q, want %q: %+v", got, tc.want, fs)
			}
			labtest.CheckComplete(t, tc.domain, fs...)
		})
	}
}

func TestGoodDomainHosts(t *testing.T) {
	r := resolver()
	res, _ := mx.Check(context.Background(), r, "good.test", mx.Options{AllowPrivate: true})
	if len(res.Hosts) != 2 || res.Hosts[0].Name != "mx1.good.test." || res.Hosts[1].Name != "mx2.good.test." {
		t.Fatalf("hosts not in preference order: %+v", res.Hosts)
	}
	h := res.Hosts[0]
	if len(h.Addresses) != 2 || h.Addresses[0].IP != netip.MustParseAddr("127.0.0.10") || h.Addresses[1].IP != netip.MustParseAddr("::1") {
		t.Fatalf("mx1 addresses: %+v", h.Addresses)
	}
	for _, a := range h.Addresses {
		if !a.FCrDNS || len(a.PTR) != 1 || a.PTR[0] != "mx1.good.test." || a.Scope != "loopback" {
			t.Errorf("address %v: %+v", a.IP, a)
		}
	}
}

func TestPrivateAddressIsFlaggedByDefault(t *testing.T) {
	r := resolver()
	_, fs := mx.Check(context.Background(), r, "good.test", mx.Options{})
	if got := report.IDs(fs...); got != "mx.private-address" {
		t.Fatalf("loopback MX addresses should be flagged without AllowPrivate, got %q", got)
	}
}

func TestImplicitMX(t *testing.T) {
	r := resolver()
	res, _ := mx.Check(context.Background(), r, "nomx.test", mx.Options{AllowPrivate: true})
	if !res.Implicit || len(res.Hosts) != 1 || res.Hosts[0].Name != "nomx.test." || len(res.Hosts[0].Addresses) != 2 {
		t.Fatalf("implicit MX: %+v", res)
	}
}

// The lookup fails within the resolver's timeout, whatever the server does.
func TestSilentResolverEndsInAFinding(t *testing.T) {
	_, r := labtest.ForTest(t, 300*time.Millisecond)
	res, fs := mx.Check(context.Background(), r, "timeout.test", mx.Options{})
	if res.Err == nil || len(fs) != 1 || fs[0].ID != "dns.lookup-failed" || !strings.Contains(fs[0].Message, "MX timeout.test.") {
		t.Fatalf("got %+v %+v", res, fs)
	}
}

func TestScope(t *testing.T) {
	for ip, want := range map[string]string{
		"8.8.8.8": "", "2a00:1450::1": "", "10.0.0.1": "private", "127.0.0.1": "loopback",
		"::1": "loopback", "192.0.2.1": "documentation", "::ffff:192.168.1.1": "private", "fd00::1": "unique local (private)",
		// An embedded IPv4 address is judged by its own class.
		"64:ff9b::10.1.2.3":                    "private (10.1.2.3 in NAT64)",
		"64:ff9b::7f00:1":                      "loopback (127.0.0.1 in NAT64)",
		"64:ff9b::8.8.8.8":                     "",
		"64:ff9b:1::1":                         "NAT64 local-use",
		"2002:c0a8:0101::1":                    "private (192.168.1.1 in 6to4)",
		"2002:0808:0808::1":                    "",
		"2001:0:4136:e378:8000:63bf:f5ff:fffe": "private (10.0.0.1 in Teredo)",
		"::10.0.0.1":                           "private (10.0.0.1 in an IPv4-compatible address)",
		"::127.0.0.2":                          "loopback (127.0.0.2 in an IPv4-compatible address)",
	} {
		if got := mx.Scope(netip.MustParseAddr(ip)); got != want {
			t.Errorf("Scope(%s) = %q, want %q", ip, got, want)
		}
	}
}
