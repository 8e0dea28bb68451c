package cmd_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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
// public one would. smtptool runs as its own process (built here), so its
// peak RSS and CPU are its own; beside it, a raw miekg/dns blaster (this
// test binary again, TestBlaster) sends the very questions smtptool asked
// to the same server, as many at once as --dns-in-flight allows. It
// reports domains/s, queries/domain, CPU ms/domain, peak RSS, "ceiling"
// (the blaster's time over smtptool's: 1.0 is the server's own limit) and
// "cpu/query-x" (smtptool's CPU per query over the blaster's). Sizes: 300
// and 3,000 domains; BULK_N sets another (20000), BULK_CONCURRENCY the
// --concurrency (default: check's own).
func BenchmarkBulkDistinct(b *testing.B) {
	sizes := []int{300, 3000}
	if n := envInt("BULK_N", 0); n > 0 {
		sizes = []int{n}
	}
	bin := filepath.Join(b.TempDir(), "smtptool")
	if out, err := exec.Command("go", "build", "-o", bin, "./smtptool").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	for _, n := range sizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) { bulkDistinct(b, bin, n) })
	}
}

// bulkZone is the DNS of n distinct domains of the real shape (see
// BenchmarkBulkDistinct) and their names.
func bulkZone(n int) (string, []string) {
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
	return zone.String(), domains
}

// bulkLab serves bulkZone(n) on loopback until the test ends, and writes
// the list of its domains and its trust anchor for --domains and
// --trust-anchor.
func bulkLab(tb testing.TB, n int) (s *lab.DNSServer, list, anchor string) {
	text, domains := bulkZone(n)
	z := lab.NewZone()
	if err := z.Parse(strings.NewReader(text), ".", "bulk"); err != nil {
		tb.Fatal(err)
	}
	s, err := lab.StartDNS(z)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	dir := tb.TempDir()
	list, anchor = filepath.Join(dir, "domains"), filepath.Join(dir, "anchor")
	os.WriteFile(list, []byte(strings.Join(domains, "\n")+"\n"), 0o600)
	os.WriteFile(anchor, []byte(z.TrustAnchors()[0].String()+"\n"), 0o600)
	return s, list, anchor
}

func bulkDistinct(b *testing.B, bin string, n int) {
	s, list, anchor := bulkLab(b, n)
	s.SetDelay(20 * time.Millisecond)
	questions := filepath.Join(b.TempDir(), "questions")

	var elapsed, blasted, cpu, blastCPU time.Duration
	var queries, blastQueries int64
	var rss int64
	for b.Loop() {
		before := s.Queries()
		args := []string{"check", "--domains", list, "--format", "json", "--resolver", s.Addr, "--trust-anchor", anchor,
			"--allow-private", "--blocklist-private", "--timeout", "5s"}
		if c := envInt("BULK_CONCURRENCY", 0); c > 0 {
			args = append(args, "--concurrency", fmt.Sprint(c))
		}
		c := exec.Command(bin, args...)
		out := &lineCounter{}
		c.Stdout = out
		took, used := runMeasured(b, c)
		elapsed, cpu = elapsed+took, cpu+used
		rss = max(rss, c.ProcessState.SysUsage().(*syscall.Rusage).Maxrss)
		queries += s.Queries() - before
		if out.n.Load() != int64(n) {
			b.Fatalf("%d reports, want %d", out.n.Load(), n)
		}
		var qs strings.Builder
		for q := range s.Asked() {
			qs.WriteString(q + "\n")
			blastQueries++
		}
		os.WriteFile(questions, []byte(qs.String()), 0o600)
		bl := exec.Command(os.Args[0], "-test.run", "^TestBlaster$")
		bl.Env = append(os.Environ(), "BLAST_SERVER="+s.Addr, "BLAST_QUESTIONS="+questions)
		took, used = runMeasured(b, bl)
		blasted, blastCPU = blasted+took, blastCPU+used
	}
	runs := float64(b.N)
	b.ReportMetric(float64(n)*runs/elapsed.Seconds(), "domains/s")
	b.ReportMetric(float64(queries)/float64(n)/runs, "queries/domain")
	b.ReportMetric(float64(cpu.Milliseconds())/float64(n)/runs, "cpu-ms/domain")
	b.ReportMetric(float64(rss)/1024, "peak-RSS-MiB")
	b.ReportMetric(blasted.Seconds()/elapsed.Seconds(), "ceiling")
	b.ReportMetric((float64(cpu)/float64(queries))/(float64(blastCPU)/float64(blastQueries)), "cpu/query-x")
}

// runMeasured runs a command and returns its wall time and its CPU.
func runMeasured(b *testing.B, c *exec.Cmd) (time.Duration, time.Duration) {
	var stderr strings.Builder
	c.Stderr = &stderr
	start := time.Now()
	if err := c.Run(); err != nil {
		if _, ok := err.(*exec.ExitError); !ok || c.ProcessState.ExitCode() > 1 {
			b.Fatalf("%s: %v\n%s", c.Path, err, stderr.String())
		}
	}
	took := time.Since(start)
	return took, c.ProcessState.UserTime() + c.ProcessState.SystemTime()
}

// TestBlaster is BenchmarkBulkDistinct's raw query blaster, run as its own
// process: every question of BLAST_QUESTIONS ("name TYPE", "+dnssec" for
// DO and CD) sent once to BLAST_SERVER, dns.DefaultMaxInFlight at a time,
// a socket each, as fast as the server answers.
func TestBlaster(t *testing.T) {
	server, file := os.Getenv("BLAST_SERVER"), os.Getenv("BLAST_QUESTIONS")
	if server == "" || file == "" {
		t.Skip("run by BenchmarkBulkDistinct")
	}
	text, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	sem := make(chan struct{}, dns.DefaultMaxInFlight)
	var wg sync.WaitGroup
	for q := range strings.Lines(string(text)) {
		f := strings.Fields(q)
		m := new(mdns.Msg)
		m.SetQuestion(f[0], mdns.StringToType[f[1]])
		m.SetEdns0(1232, len(f) > 2)
		m.CheckingDisabled = len(f) > 2
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			c := &mdns.Client{Timeout: 5 * time.Second}
			if _, _, err := c.Exchange(m, server); err != nil {
				t.Errorf("%s: %v", f, err)
			}
		})
	}
	wg.Wait()
}

// The verdicts of a bulk scan do not depend on how many domains are
// checked at once, nor on how few questions may be in flight: the same
// findings for each domain at --concurrency 1 as at 256 with
// --dns-in-flight 8 (no lost answer becomes a false "lookup failed").
func TestVerdictsDoNotDependOnConcurrency(t *testing.T) {
	const n = 200
	s, list, anchor := bulkLab(t, n)
	verdicts := func(extra ...string) map[string]string {
		r := run(t, nil, "", false, append([]string{"check", "--domains", list, "--format", "json", "--resolver", s.Addr,
			"--trust-anchor", anchor, "--allow-private", "--blocklist-private"}, extra...)...)
		out := map[string]string{}
		for _, d := range parseLines(t, r.out) {
			var ids []string
			for _, c := range d.Checks {
				ids = append(ids, c.Name+":"+findingIDs(c.Findings))
			}
			out[d.Target] = strings.Join(ids, " ")
		}
		if len(out) != n {
			t.Fatalf("%d reports, want %d", len(out), n)
		}
		return out
	}
	one, many := verdicts("--concurrency", "1"), verdicts("--concurrency", "256", "--dns-in-flight", "8")
	for d, v := range one {
		if many[d] != v {
			t.Errorf("%s:\n  alone:    %s\n  with 255: %s", d, v, many[d])
		}
	}
}

// -v says what each domain cost: one query for a domain that does not
// exist (RFC 8020 §2), tens for a configured one.
func TestVerboseShowsQueriesPerDomain(t *testing.T) {
	s, list, anchor := bulkLab(t, 10)
	r := run(t, nil, "", false, "check", "--domains", list, "--resolver", s.Addr, "--trust-anchor", anchor, "--format", "json", "-v", "--allow-private")
	for _, want := range []string{";; d00009.bulk.test: 1 DNS queries\n", ";; d00000.bulk.test: "} {
		if !strings.Contains(r.err, want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
	if m := regexp.MustCompile(`;; d00000.bulk.test: (\d+) DNS queries`).FindStringSubmatch(r.err); m == nil || len(m[1]) < 2 {
		t.Errorf("a configured domain: %v", m)
	}
}
