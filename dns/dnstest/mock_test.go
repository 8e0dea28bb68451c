package dnstest_test

import (
	"context"
	"errors"
	"testing"

	mdns "github.com/miekg/dns"
	"github.com/smtptool/smtptool/dns"
	"github.com/smtptool/smtptool/dns/dnstest"
)

func TestMockAnswersAsAnAuthoritativeView(t *testing.T) {
	m := dnstest.New(`
$ORIGIN m.test.
host      300 A     127.0.0.5
alias     300 CNAME host
loop1     300 CNAME loop2
loop2     300 CNAME loop1
a.b.c     300 TXT   "deep"
`)
	m.Fail("broken.m.test", dns.ErrServerFailure)
	m.Fail("host.m.test", dns.ErrRefused, mdns.TypeAAAA)
	m.Sign("m.test")
	ctx := context.Background()

	a, err := m.Lookup(ctx, "ALIAS.m.test", mdns.TypeA)
	if err != nil || len(a.Records) != 1 || len(a.CNAMEs) != 1 || a.CNAMEs[0] != "host.m.test." || !a.Authentic {
		t.Fatalf("alias: %+v %v", a, err)
	}
	if a, err := m.Lookup(ctx, "host.m.test", mdns.TypeMX); err != nil || !a.NoData() {
		t.Fatalf("no data: %+v %v", a, err)
	}
	// RFC 8020: b.c.m.test exists because a.b.c.m.test does.
	if a, err := m.Lookup(ctx, "b.c.m.test", mdns.TypeTXT); err != nil || !a.NoData() {
		t.Fatalf("empty non-terminal: %+v %v", a, err)
	}
	if a, err := m.Lookup(ctx, "nowhere.m.test", mdns.TypeTXT); err != nil || !a.NXDomain() {
		t.Fatalf("nxdomain: %+v %v", a, err)
	}
	for name, want := range map[string]error{"broken.m.test": dns.ErrServerFailure, "loop1.m.test": dns.ErrCNAMELoop} {
		var le *dns.LookupError
		if _, err := m.Lookup(ctx, name, mdns.TypeA); !errors.As(err, &le) || !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", name, err, want)
		}
	}
	if _, err := m.Lookup(ctx, "host.m.test", mdns.TypeAAAA); !errors.Is(err, dns.ErrRefused) {
		t.Errorf("refused AAAA: %v", err)
	}
	if got := m.Queries(); len(got) != 7 || got[0] != "A alias.m.test." {
		t.Errorf("queries: %q", got)
	}
}
