package dnsbl_test

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
	"github.com/smtptool/smtptool/check/dnsbl"
	"github.com/smtptool/smtptool/dns"
	"github.com/smtptool/smtptool/dns/dnstest"
	"github.com/smtptool/smtptool/lab/labtest"
	"github.com/smtptool/smtptool/report"
)

var private = dnsbl.Options{SendPrivate: true, ListTimeout: time.Second}

// zone holds the blocklists' answers of these tests. The names are those
// of real lists so that their real definitions (return-code tables,
// refusal codes) are what the tests exercise; the subjects are loopback
// and documentation addresses.
const zone = `; Blocklist answers for "smtptool blacklist", served only on loopback: the
; names are those of real lists so that their real definitions (return-code
; tables, refusal codes) are what the tests exercise. Subjects are loopback
; and documentation addresses (the tests pass --allow-private).
$TTL 300

; 127.0.0.2 — RFC 5782's test address — is listed with reasons and TXT.
2.0.0.127.zen.spamhaus.org.        A    127.0.0.2
2.0.0.127.zen.spamhaus.org.        A    127.0.0.4
2.0.0.127.zen.spamhaus.org.        TXT  "Listed by SBL, see https://check.spamhaus.org/sbl/query/SBL2"
2.0.0.127.bl.spamcop.net.          A    127.0.0.2
2.0.0.127.bl.spamcop.net.          TXT  "Blocked - see https://www.spamcop.net/bl.shtml?127.0.0.2"
2.0.0.127.all.spamrats.com.        A    127.0.0.38

; 127.0.0.3: Spamhaus refuses the query (a public resolver).
3.0.0.127.zen.spamhaus.org.        A    127.255.255.254

; 2001:db8::25 is listed on ZEN over IPv6 (nibble form, RFC 5782 §2.4).
5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.zen.spamhaus.org. A 127.0.0.3

; A broken list that lists everything, its test entry 127.0.0.1 included.
1.0.0.127.broken.lab-dnsbl.test.   A    127.0.0.2
2.0.0.127.broken.lab-dnsbl.test.   A    127.0.0.2


; A domain on domain lists.
listed.test.dbl.spamhaus.org.      A    127.0.1.2
listed.test.dbl.spamhaus.org.      TXT  "https://check.spamhaus.org/listed/?searchterm=listed.test"
listed.test.multi.surbl.org.       A    127.0.0.72
; URIBL refuses (127.0.0.1 is its refusal code, bit 0x1).
listed.test.multi.uribl.com.       A    127.0.0.1

; A domain whose mail host is 127.0.0.2.
$ORIGIN listedmx.test.
@        MX    10 mx
mx       A     127.0.0.2

$ORIGIN servfail.test.
@        A     127.0.0.10
`

func resolver() *dnstest.Mock {
	m := dnstest.New(zone)
	m.Fail("servfail.test", dns.ErrServerFailure, mdns.TypeMX)
	return m
}

// checkIP and checkDomain give the area's result and findings as the
// report check they become.
func checkIP(ctx context.Context, r dns.Resolver, ip netip.Addr, o dnsbl.Options) *report.Check {
	res, fs := dnsbl.CheckIP(ctx, r, ip, o)
	return report.NewCheck(dnsbl.Name(res.Subject), res, fs)
}

func checkDomain(ctx context.Context, r dns.Resolver, domain string, o dnsbl.Options) *report.Check {
	res, fs := dnsbl.Check(ctx, r, domain, o)
	return report.NewCheck(dnsbl.Name(res.Subject), res, fs)
}

func byList(c *report.Check) map[string]dnsbl.ListResult {
	out := map[string]dnsbl.ListResult{}
	for _, lr := range c.Data.(*dnsbl.Result).Lists {
		out[lr.Zone] = lr
	}
	return out
}

func ids(c *report.Check) []string {
	var out []string
	for _, f := range c.Findings {
		out = append(out, f.ID)
	}
	slices.Sort(out)
	return out
}

func TestListedWithDecodedReasons(t *testing.T) {
	r := resolver()
	c := checkIP(context.Background(), r, netip.MustParseAddr("127.0.0.2"), private)
	lists := byList(c)
	zen := lists["zen.spamhaus.org"]
	if zen.Status != dnsbl.Listed || strings.Join(zen.Answers, ",") != "127.0.0.2,127.0.0.4" ||
		!strings.HasPrefix(zen.Reasons[0], "SBL:") || !strings.HasPrefix(zen.Reasons[1], "XBL:") || !strings.Contains(zen.TXT, "SBL2") {
		t.Errorf("zen: %+v", zen)
	}
	if rats := lists["all.spamrats.com"]; rats.Status != dnsbl.Listed || !strings.HasPrefix(rats.Reasons[0], "RATS-Spam") {
		t.Errorf("spamrats: %+v", rats)
	}
	if got := strings.Join(ids(c), ","); got != "dnsbl.listed,dnsbl.listed,dnsbl.listed" {
		t.Errorf("findings %s", got)
	}
	for _, f := range c.Findings {
		if !strings.Contains(f.Fix, "https://") {
			t.Errorf("no delisting page in %q", f.Fix)
		}
	}
	if n := len(lists); n < 20 {
		t.Errorf("only %d IP lists asked", n)
	}
	for zone, lr := range lists {
		if zone != "zen.spamhaus.org" && zone != "bl.spamcop.net" && zone != "all.spamrats.com" && lr.Status != dnsbl.Clean {
			t.Errorf("%s: %+v", zone, lr)
		}
	}
}

func TestNotListed(t *testing.T) {
	r := resolver()
	c := checkIP(context.Background(), r, netip.MustParseAddr("127.0.0.9"), private)
	if len(c.Findings) != 0 || c.Status() != report.StatusOK {
		t.Fatalf("%+v", c.Findings)
	}
	// A clean answer asks nothing more: the test entries (RFC 5782 §5) and
	// the TXT records are for listings only, one question per list.
	if q := r.Queries(); len(q) != len(c.Data.(*dnsbl.Result).Lists) || slices.ContainsFunc(q, func(s string) bool { return strings.HasPrefix(s, "A 1.0.0.127.") }) {
		t.Errorf("queries for a clean address: %q", q)
	}
}

func TestRefusedIsNotListed(t *testing.T) {
	r := resolver()
	c := checkIP(context.Background(), r, netip.MustParseAddr("127.0.0.3"), private)
	if got := strings.Join(ids(c), ","); got != "dnsbl.refused" || !strings.Contains(c.Findings[0].Message, "public or open resolver") {
		t.Fatalf("%s %+v", got, c.Findings)
	}
	d := checkDomain(context.Background(), r, "listed.test", private)
	if got := strings.Join(ids(d), ","); got != "dnsbl.listed,dnsbl.listed,dnsbl.refused" {
		t.Fatalf("domain: %s", got)
	}
	lists := byList(d)
	if s := lists["multi.surbl.org"]; s.Status != dnsbl.Listed || strings.Join(s.Reasons, "|") != "PH: phishing|ABUSE: spam and abuse" {
		t.Errorf("surbl bitmask: %+v", s)
	}
	if u := lists["multi.uribl.com"]; u.Status != dnsbl.Refused {
		t.Errorf("uribl 127.0.0.1 must be a refusal: %+v", u)
	}
	if dbl := lists["dbl.spamhaus.org"]; dbl.Reasons[0] != "a spam domain" {
		t.Errorf("dbl: %+v", dbl)
	}
}

func TestBrokenListIsIgnored(t *testing.T) {
	r := resolver()
	broken, _ := dnsbl.ParseList("broken.lab-dnsbl.test")
	c := checkIP(context.Background(), r, netip.MustParseAddr("127.0.0.2"), dnsbl.Options{Lists: []dnsbl.List{broken}, SendPrivate: true})
	if got := strings.Join(ids(c), ","); got != "dnsbl.broken" {
		t.Fatalf("%s", got)
	}
}

func TestIPv6InNibbleForm(t *testing.T) {
	r := resolver()
	c := checkIP(context.Background(), r, netip.MustParseAddr("2001:db8::25"), private)
	zen := byList(c)["zen.spamhaus.org"]
	if zen.Status != dnsbl.Listed || !strings.HasPrefix(zen.Query, "5.2.0.0.") || !strings.HasPrefix(zen.Reasons[0], "SBL CSS") {
		t.Fatalf("%+v", zen)
	}
	for _, lr := range c.Data.(*dnsbl.Result).Lists {
		if l := lr.Zone; l == "bl.spamcop.net" {
			t.Errorf("an IPv4-only list was asked about an IPv6 address")
		}
	}
}

func TestPrivateAddressesStayPrivate(t *testing.T) {
	r := resolver()
	c := checkIP(context.Background(), r, netip.MustParseAddr("10.1.2.3"), dnsbl.Options{})
	if got := strings.Join(ids(c), ","); got != "dnsbl.skipped" || len(r.Queries()) != 0 {
		t.Fatalf("%s, queries %q", got, r.Queries())
	}
}

// A list that never answers ends in its own finding within the per-list
// timeout and does not hold the others back.
func TestSilentListDelaysNobody(t *testing.T) {
	_, r := labtest.ForTest(t, 10*time.Second)
	silent, _ := dnsbl.ParseList("silent.lab-dnsbl.test")
	zen, _ := dnsbl.ParseList("zen.spamhaus.org")
	// The resolver would wait 10 s; the per-list timeout must end it first.
	// The test's own deadline is the bound: reaching it fails the test.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c := checkIP(ctx, r, netip.MustParseAddr("127.0.0.2"),
		dnsbl.Options{Lists: []dnsbl.List{silent, zen}, SendPrivate: true, ListTimeout: 300 * time.Millisecond})
	if got := strings.Join(ids(c), ","); got != "dnsbl.listed,dnsbl.lookup-failed" || ctx.Err() != nil {
		t.Fatalf("%s (deadline reached: %v)", got, ctx.Err())
	}
}

func TestDomainTarget(t *testing.T) {
	r := resolver()
	rep, err := dnsbl.Run(context.Background(), r, "listedmx.test", private)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Checks) != 2 || rep.Checks[0].Name != "dnsbl 127.0.0.2" || !rep.Checks[0].Has("dnsbl.listed") || rep.Checks[1].Name != "dnsbl listedmx.test" {
		t.Fatalf("%+v", rep.Checks)
	}
	rep, err = dnsbl.Run(context.Background(), r, "servfail.test", private)
	if err != nil || !rep.Has("dns.lookup-failed") {
		t.Fatalf("a failed MX lookup must be said: %v %+v", err, rep.Checks)
	}
	if _, err := dnsbl.Run(context.Background(), r, "not a domain", private); err == nil {
		t.Fatal("bad target accepted")
	}
}

func TestParseList(t *testing.T) {
	for spec, want := range map[string]string{
		"zen.spamhaus.org":        "Spamhaus ZEN ip",
		"domain:dbl.spamhaus.org": "Spamhaus DBL domain",
		"ip:rbl.example.test":     "rbl.example.test ip",
		"domain:rhs.example.test": "rhs.example.test domain",
	} {
		l, err := dnsbl.ParseList(spec)
		if got := l.Name + " " + string(l.Kind); err != nil || got != want {
			t.Errorf("%s: %q %v", spec, got, err)
		}
	}
	for _, bad := range []string{"", "nodot", "url:x.test", "a b.test"} {
		if _, err := dnsbl.ParseList(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	lists, err := dnsbl.ReadLists(strings.NewReader("# mine\nzen.spamhaus.org\n\ndomain:rhs.example.test # comment\n"))
	if err != nil || len(lists) != 2 {
		t.Fatalf("%v %v", lists, err)
	}
}

func TestDefaultListSet(t *testing.T) {
	ip, domain := 0, 0
	zones := map[string]bool{}
	for _, l := range dnsbl.DefaultLists {
		if zones[l.Zone] {
			t.Errorf("duplicate %s", l.Zone)
		}
		zones[l.Zone] = true
		if l.Delist == "" || l.Name == "" || len(l.Codes)+len(l.Bits) == 0 {
			t.Errorf("%s lacks a name, decoding or delisting page", l.Zone)
		}
		if l.Kind == dnsbl.IPList {
			ip++
		} else {
			domain++
		}
	}
	if ip < 20 || domain < 5 {
		t.Errorf("%d IP lists and %d domain lists; want at least 20 and 5", ip, domain)
	}
}

// BenchmarkAllListsOneRoundTrip asks every default IP list about a clean
// address with 50 ms added to every DNS answer: concurrency keeps a run at
// about one round trip (~50 ms), where asking in turn would take 25 × 2.
func BenchmarkAllListsOneRoundTrip(b *testing.B) {
	l, _ := labtest.ForTest(b, 5*time.Second)
	l.DNS.SetDelay(50 * time.Millisecond)
	for b.Loop() {
		r, err := l.Resolver(5 * time.Second) // a fresh cache each run
		if err != nil {
			b.Fatal(err)
		}
		c := checkIP(context.Background(), r, netip.MustParseAddr("127.0.0.9"), private)
		if len(c.Findings) != 0 {
			b.Fatal(c.Findings)
		}
	}
}
