package scan

import (
	"context"
	"iter"
	"sync"

	"github.com/smtptool/smtptool/dns"
	"github.com/smtptool/smtptool/report"
)

// Shard keeps every n-th domain of a sequence, starting at the i-th
// (0-based), so that n machines can split one list.
func Shard(domains iter.Seq[string], i, n int) iter.Seq[string] {
	return func(yield func(string) bool) {
		k := 0
		for d := range domains {
			if k%n == i && !yield(d) {
				return
			}
			k++
		}
	}
}

// Bulk checks domains, concurrency of them at once, and yields each
// report as it is done (not in input order). Memory stays bounded: the
// domains are read as the workers take them. A line that is not a domain
// gets a check.invalid-domain report, so one bad line does not stop the
// scan. When ctx is cancelled, the workers stop and the reports of
// domains still unfinished are not yielded; breaking out of the loop
// stops them too.
func Bulk(ctx context.Context, r dns.Resolver, domains iter.Seq[string], concurrency int, o Options) iter.Seq[*report.Report] {
	return func(yield func(*report.Report) bool) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		jobs := make(chan string, concurrency)
		results := make(chan *report.Report, concurrency)
		go func() {
			defer close(jobs)
			for d := range domains {
				select {
				case jobs <- d:
				case <-ctx.Done():
					return
				}
			}
		}()
		var wg sync.WaitGroup
		for range max(concurrency, 1) {
			wg.Go(func() {
				for d := range jobs {
					results <- Line(ctx, r, d, o)
				}
			})
		}
		go func() { wg.Wait(); close(results) }()
		defer func() {
			cancel()
			for range results { // let the workers finish and exit
			}
		}()
		for rep := range results {
			if ctx.Err() != nil || !yield(rep) {
				return
			}
		}
	}
}

// Line checks one line of a domain list: a domain (an IDN in U-labels is
// asked as A-labels), or else a report with the check.invalid-domain
// finding that says why it is not one.
func Line(ctx context.Context, r dns.Resolver, line string, o Options) *report.Report {
	ascii, err := dns.ParseDomain(line)
	if err != nil {
		c := &report.Check{Name: "input"}
		c.Add(report.Finding{ID: "check.invalid-domain", Severity: report.Error,
			Message: err.Error(), Fix: "correct or remove the line", Ref: "RFC 1035 §2.3.1"})
		return &report.Report{Command: "check", Target: line, Checks: []*report.Check{c}}
	}
	ctx, queries := dns.CountQueries(ctx)
	rep := Domain(ctx, r, ascii, o)
	rep.Queries = queries.Load()
	return rep
}
