package cmd_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
	"github.com/smtptool/smtptool/cmd"
	"github.com/smtptool/smtptool/dns"
	"github.com/smtptool/smtptool/lab"
	"github.com/smtptool/smtptool/lab/labtest"
)

// lineCounter counts the JSON lines written, and drops them.
type lineCounter struct{ n atomic.Int64 }

func (c *lineCounter) Write(p []byte) (int, error) {
	c.n.Add(int64(strings.Count(string(p), "\n")))
	return len(p), nil
}

// BenchmarkBulkCheck scans 300 domains through the check command with
// 20 ms added to every DNS answer, and reports domains per second and the
// peak heap (the lab's included). The goal: 150 domains/s or more, under
// 100 MiB.
func BenchmarkBulkCheck(b *testing.B) {
	l, _ := labtest.ForTest(b, 5*time.Second)
	var domains []string
	for i := range 300 {
		d := fmt.Sprintf("d%03d.bulk.test", i)
		domains = append(domains, d)
		if err := l.DNS.Zone.AddString(
			d+". MX 10 mx1.good.test.",
			d+`. TXT "v=spf1 mx include:_spf.good.test -all"`,
			"_dmarc."+d+`. TXT "v=DMARC1; p=reject; rua=mailto:dmarc@`+d+`"`,
		); err != nil {
			b.Fatal(err)
		}
	}
	list := filepath.Join(b.TempDir(), "domains")
	if err := os.WriteFile(list, []byte(strings.Join(domains, "\n")+"\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	l.DNS.SetDelay(time.Duration(envInt("BULK_DELAY_MS", 20)) * time.Millisecond)

	var peak atomic.Uint64
	stop := make(chan struct{})
	go func() {
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
				runtime.ReadMemStats(&m)
				if h := m.HeapInuse + m.StackInuse; h > peak.Load() {
					peak.Store(h)
				}
			}
		}
	}()
	var elapsed time.Duration
	for b.Loop() {
		out := &lineCounter{}
		ios := &cmd.IOStreams{In: strings.NewReader(""), Out: out, ErrOut: io.Discard, Getenv: func(string) string { return "" }}
		start := time.Now()
		cmd.Run(context.Background(), ios, []string{"check", "--domains", list, "--format", "json",
			"--resolver", l.DNS.Addr, "--trust-anchor", anchorFile(b, l), "--allow-private", "--blocklist-private", "--mta-sts-port", fmt.Sprint(l.HTTPSPort)})
		elapsed += time.Since(start)
		if out.n.Load() != 300 {
			b.Fatalf("%d reports, want 300", out.n.Load())
		}
	}
	close(stop)
	b.ReportMetric(300*float64(b.N)/elapsed.Seconds(), "domains/s")
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-MiB")
}

func envInt(name string, def int) int {
	var n int
	if _, err := fmt.Sscan(os.Getenv(name), &n); err != nil {
		return def
	}
	return n
}

// BenchmarkBulkDistinct scans domains of the real shape through check:
// each with its own two MX hosts and addresses, SPF and DMARC, one in ten
// not existing and one in five hosted by a shared provider, with 20 ms
// added to every DNS answer; every address goes to the blocklists, as a
// public one would. It reports domains/s, queries/domain, CPU ms/domain
// (this process: the lab's server included), the peak heap, "ceiling":
// smtptool's time against a raw miekg/dns blaster sending the very
// questions it asked to the same server, as many at once as
// --dns-in-flight allows (1.0 is the server's own limit), and
// "cpu/query-x", smtptool's CPU per query against the blaster's (both
// with the server's share). Sizes: 300 and 3,000 domains; BULK_N sets
// another (20000), BULK_CONCURRENCY the --concurrency (default 64).
func BenchmarkBulkDistinct(b *testing.B) {
	sizes := []int{300, 3000}
	if n := envInt("BULK_N", 0); n > 0 {
		sizes = []int{n}
	}
	for _, n := range sizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) { bulkDistinct(b, n) })
	}
}

func bulkDistinct(b *testing.B, n int) {
	var zone strings.Builder
	zone.WriteString("$TTL 300\n")
	zone.WriteString("mx1.provider.test. A 127.200.0.1\nmx2.provider.test. A 127.200.0.2\n_spf.provider.test. TXT \"v=spf1 ip4:127.200.0.0/24 -all\"\n")
	var domains []string
	for i := range n {
		d := fmt.Sprintf("d%05d.bulk.test", i)
		domains = append(domains, d)
		switch {
		case i%10 == 9:
			continue // does not exist
		case i%5 == 4:
			fmt.Fprintf(&zone, "%s. MX 10 mx1.provider.test.\n%s. MX 20 mx2.provider.test.\n%s. TXT \"v=spf1 include:_spf.provider.test -all\"\n", d, d, d)
		default:
			a, c := i/250, i%250
			fmt.Fprintf(&zone, "%s. MX 10 mx1.%s.\n%s. MX 20 mx2.%s.\nmx1.%s. A 127.%d.%d.1\nmx2.%s. A 127.%d.%d.2\n%s. TXT \"v=spf1 mx -all\"\n",
				d, d, d, d, d, 1+a, c, d, 1+a, c, d)
		}
		fmt.Fprintf(&zone, "_dmarc.%s. TXT \"v=DMARC1; p=reject\"\n", d)
	}
	z := lab.NewZone()
	if err := z.Parse(strings.NewReader(zone.String()), ".", "bulk"); err != nil {
		b.Fatal(err)
	}
	s, err := lab.StartDNS(z)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const latency = 20 * time.Millisecond
	s.SetDelay(latency)
	list := filepath.Join(b.TempDir(), "domains")
	if err := os.WriteFile(list, []byte(strings.Join(domains, "\n")+"\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	anchor := filepath.Join(b.TempDir(), "anchor")
	os.WriteFile(anchor, []byte(z.TrustAnchors()[0].String()+"\n"), 0o600)

	var peak atomic.Uint64
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
				runtime.ReadMemStats(&m)
				if h := m.HeapInuse + m.StackInuse; h > peak.Load() {
					peak.Store(h)
				}
			}
		}
	}()
	var elapsed, blasted, cpu, blastCPU time.Duration
	var queries, blastQueries int64
	for b.Loop() {
		before := s.Queries()
		cpu0 := cpuTime()
		out := &lineCounter{}
		ios := &cmd.IOStreams{In: strings.NewReader(""), Out: out, ErrOut: io.Discard, Getenv: func(string) string { return "" }}
		start := time.Now()
		cmd.Run(context.Background(), ios, []string{"check", "--domains", list, "--format", "json", "--concurrency", fmt.Sprint(envInt("BULK_CONCURRENCY", 64)),
			"--resolver", s.Addr, "--trust-anchor", anchor, "--allow-private", "--blocklist-private", "--timeout", "5s"})
		elapsed += time.Since(start)
		cpu += cpuTime() - cpu0
		queries += s.Queries() - before
		if out.n.Load() != int64(n) {
			b.Fatalf("%d reports, want %d", out.n.Load(), n)
		}
		asked := s.Asked()
		cpu0 = cpuTime()
		blasted += blast(b, s.Addr, asked, dns.DefaultMaxInFlight)
		blastCPU += cpuTime() - cpu0
		blastQueries += int64(len(asked))
	}
	runs := float64(b.N)
	b.ReportMetric(float64(n)*runs/elapsed.Seconds(), "domains/s")
	b.ReportMetric(float64(queries)/float64(n)/runs, "queries/domain")
	b.ReportMetric(float64(cpu.Milliseconds())/float64(n)/runs, "cpu-ms/domain")
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-MiB")
	b.ReportMetric(blasted.Seconds()/elapsed.Seconds(), "ceiling")
	b.ReportMetric((float64(cpu)/float64(queries))/(float64(blastCPU)/float64(blastQueries)), "cpu/query-x")
}

// blast sends every question of asked ("name TYPE", "+dnssec" for DO and
// CD) once to addr, inFlight at a time, one socket each, as fast as the
// server answers; it returns how long that took.
func blast(b *testing.B, addr string, asked map[string]int, inFlight int) time.Duration {
	sem := make(chan struct{}, inFlight)
	var wg sync.WaitGroup
	start := time.Now()
	for q := range asked {
		f := strings.Fields(q)
		m := new(mdns.Msg)
		m.SetQuestion(f[0], mdns.StringToType[f[1]])
		m.SetEdns0(1232, len(f) > 2)
		m.CheckingDisabled = len(f) > 2
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			c := &mdns.Client{Timeout: 5 * time.Second}
			if _, _, err := c.Exchange(m, addr); err != nil {
				b.Errorf("blaster: %s: %v", q, err)
			}
		})
	}
	wg.Wait()
	return time.Since(start)
}

// cpuTime is the CPU this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
