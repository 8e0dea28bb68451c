package cmd_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smtptool/smtptool/cmd"
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
