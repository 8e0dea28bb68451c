package spf_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/smtptool/smtptool/check/spf"
	"github.com/smtptool/smtptool/dns"
	"github.com/smtptool/smtptool/lab"
)

// BenchmarkIncludeTree evaluates check_host() over a tree of nine
// lookups (three includes of two includes each) with 20 ms added to every
// answer, for an address only the last include lists: the includes are
// asked beside the in-order evaluation, so it costs about the tree's
// depth in round trips ("round-trips"), not its ten questions.
func BenchmarkIncludeTree(b *testing.B) {
	var zone strings.Builder
	zone.WriteString("tree.test. 300 TXT \"v=spf1 include:a.tree.test include:b.tree.test include:c.tree.test -all\"\n")
	for _, p := range []string{"a", "b", "c"} {
		zone.WriteString(p + ".tree.test. 300 TXT \"v=spf1 include:" + p + "1.tree.test include:" + p + "2.tree.test -all\"\n")
		for _, c := range []string{"1", "2"} {
			ip := "192.0.2.1"
			if p+c == "c2" {
				ip = "192.0.2.99"
			}
			zone.WriteString(p + c + ".tree.test. 300 TXT \"v=spf1 ip4:" + ip + " -all\"\n")
		}
	}
	z := lab.NewZone()
	if err := z.Parse(strings.NewReader(zone.String()), ".", "tree"); err != nil {
		b.Fatal(err)
	}
	s, err := lab.StartDNS(z)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const latency = 20 * time.Millisecond
	s.SetDelay(latency)
	var total time.Duration
	for b.Loop() {
		r, err := dns.New(dns.Config{Servers: []string{s.Addr}, Timeout: 5 * time.Second})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		ev := spf.CheckHost(context.Background(), r, spf.Params{IP: netip.MustParseAddr("192.0.2.99"), Domain: "tree.test", Sender: "a@tree.test"})
		total += time.Since(start)
		if ev.Result != spf.ResultPass || ev.Lookups != 9 {
			b.Fatalf("%s after %d lookups, want pass after 9", ev.Result, ev.Lookups)
		}
	}
	b.ReportMetric(float64(total)/float64(b.N)/float64(latency), "round-trips")
}
