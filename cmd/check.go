package cmd

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/schollz/progressbar/v3"
	"github.com/smtptool/smtptool/probe"
	"github.com/smtptool/smtptool/report"
	"github.com/smtptool/smtptool/scan"
	"github.com/spf13/cobra"
)

type checkOptions struct {
	Domains          []string
	DomainsFile      string
	Probe            bool
	TLSScan          bool
	AllowPrivate     bool
	BlocklistPrivate bool
	Port             int
	CAFile           string
	Selectors        []string
	Concurrency      int
	Shard            string
	Expect           string
	SARIFFile        string
	// MTASTSPort is the policy host's port: 443 but in a test lab.
	MTASTSPort int
}

// newCheckCmd builds the command; runF, when set, replaces runCheck so that a
// test can check what the flags parse to.
func newCheckCmd(g *Global, runF func(context.Context, *checkOptions) error) *cobra.Command {
	if runF == nil {
		runF = func(ctx context.Context, o *checkOptions) error { return runCheck(ctx, g, o) }
	}
	o := &checkOptions{}
	c := &cobra.Command{
		Use:   "check DOMAIN...",
		Short: "every DNS check for each domain (CI-friendly); --probe adds SMTP/STARTTLS probing of its MX hosts",
		Long: `Runs every check for each domain at once and prints one report per domain:
mx (hosts, addresses, PTR/FCrDNS, null MX), dnssec (validated by smtptool
itself from the IANA root keys, or --trust-anchor's), spf (lint and lookup
tree), dmarc, dkim, mta-sts, tls-rpt, bimi, dane (TLSA records, judged as
sending MTAs judge them) and blocklists (each MX address against the IP
lists, the domain against the domain lists). With --probe it also walks an
SMTP session to each MX host up to STARTTLS, checks the certificate, and
matches it against DANE records.
--expect FILE adds what the domain must publish (a YAML policy).

Domains come from the arguments and from --domains FILE (- for stdin), one per
line; reports are written as each domain finishes (JSON Lines with --format
json), --concurrency at a time, in bounded memory. --shard I/N takes every
N-th domain starting at the I-th (0-based), so N machines can split a list.
--format sarif and junit write one document for code scanning and CI test
reports. Exit 1 when a finding is at or above --fail-on.`,
		Example: `  smtptool check example.com
  smtptool check --domains domains.txt --format json --concurrency 64
  smtptool check example.com --expect mail-policy.yaml --format sarif > smtptool.sarif
  smtptool check --domains all.txt --shard "$JOB_COMPLETION_INDEX/10" --format json`,
		ValidArgsFunction: noFiles,
		RunE: func(c *cobra.Command, args []string) error {
			o.Domains = args
			return runF(c.Context(), o)
		},
	}
	f := c.Flags()
	f.StringVar(&o.DomainsFile, "domains", "", "read domains from this file, one per line (- for stdin)")
	f.BoolVar(&o.Probe, "probe", false, "also probe each MX host (SMTP, STARTTLS, certificate, DANE)")
	f.BoolVar(&o.TLSScan, "tls-scan", false, "with --probe, also try the handshakes of probe --tls-scan (weak ciphers, old versions)")
	f.BoolVar(&o.AllowPrivate, "allow-private", false, "accept loopback, private and reserved MX addresses (internal systems); they are still not sent to blocklists")
	f.BoolVar(&o.BlocklistPrivate, "blocklist-private", false, "send loopback, private and reserved MX addresses to the blocklists too (only for lists of your own)")
	f.IntVar(&o.Port, "port", 25, "SMTP port for --probe")
	f.StringArrayVar(&o.Selectors, "selector", nil, "DKIM selector to check (repeatable); default: the common ones")
	f.StringVar(&o.CAFile, "ca-file", "", "trust the CA certificates in this PEM file instead of the system's (probe and MTA-STS)")
	f.IntVar(&o.Concurrency, "concurrency", 32, "domains checked at once")
	f.StringVar(&o.Shard, "shard", "", "I/N: check only every N-th domain, starting at the I-th (0-based)")
	f.StringVar(&o.Expect, "expect", "", "a YAML policy of what each domain must publish (expect.* findings)")
	f.StringVar(&o.SARIFFile, "sarif", "", "also write the SARIF log to this file (one run for code scanning and the log)")
	f.IntVar(&o.MTASTSPort, "mta-sts-port", 443, "port of the MTA-STS policy host (for test labs)")
	f.MarkHidden("mta-sts-port")
	return c
}

// shard is --shard I/N.
type shard struct{ i, n int }

func parseShard(s string) (shard, error) {
	if s == "" {
		return shard{0, 1}, nil
	}
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return shard{}, fmt.Errorf("--shard %q: want I/N with 0 <= I < N", s)
	}
	return shard{i, n}, nil
}

func runCheck(ctx context.Context, g *Global, o *checkOptions) error {
	sh, err := parseShard(o.Shard)
	if err != nil {
		return usageError("%v", err)
	}
	if o.Concurrency < 1 {
		return usageError("--concurrency must be at least 1")
	}
	if len(o.Domains) == 0 && o.DomainsFile == "" {
		return usageError("give at least one domain, or --domains FILE")
	}
	if o.Domains, err = domainArgs(o.Domains); err != nil {
		return err
	}
	var expect *scan.Expectations
	if o.Expect != "" {
		raw, err := readInput(ctx, g.io, o.Expect, maxSmall)
		if err != nil {
			return usageError("--expect: %v", err)
		}
		if expect, err = scan.ParseExpectations(o.Expect, bytesReader(raw)); err != nil {
			return usageError("--expect: %v", err)
		}
	}
	po := &probeOptions{Port: o.Port, StartTLS: "auto", QuitAfter: probe.StepStartTLS, CAFile: o.CAFile, AllowPrivate: o.AllowPrivate, TLSScan: o.TLSScan}
	probeOpts, err := po.runOptions(ctx, g)
	if err != nil {
		return err
	}
	probeOpts.AllMX = true
	opts := scan.Options{AllowPrivate: o.AllowPrivate, BlocklistPrivate: o.BlocklistPrivate, Selectors: o.Selectors, RootCAs: probeOpts.RootCAs,
		MTASTSPort: o.MTASTSPort, Timeout: g.Timeout, Expect: expect}
	if o.Probe {
		opts.Probe = &probeOpts
	}
	source, total, closeSource, err := domainSource(g.io, o)
	if err != nil {
		return usageError("--domains: %v", err)
	}
	defer closeSource()
	r, err := g.resolver()
	if err != nil {
		return err
	}
	opts.Validator = g.validator(r)
	probeOpts.Validator = opts.Validator

	var bar *progressbar.ProgressBar
	if g.io.ErrTTY {
		if total >= 0 {
			total = (total - sh.i + sh.n - 1) / sh.n
		}
		bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(g.stderr()), progressbar.OptionSetDescription("checking"),
			progressbar.OptionShowCount(), progressbar.OptionClearOnFinish(), progressbar.OptionThrottle(100_000_000))
	}

	var readErr error
	domains := func(yield func(string) bool) {
		readErr = source(func(_ int, d string) bool { return yield(d) })
	}
	reports := scan.Bulk(ctx, r, scan.Shard(domains, sh.i, sh.n), o.Concurrency, opts)

	// Reports are written as they come, except whole-document formats.
	stream := g.Format == "text" || g.Format == "json"
	var collected []*report.Report
	outcome, n := report.Clean, 0
	for rep := range reports {
		outcome = max(outcome, report.Judge(g.failOn(), rep))
		if !stream || o.SARIFFile != "" {
			collected = append(collected, rep)
		}
		if stream {
			// The bar shares the terminal: cleared before a report, drawn
			// again after it, so no frame is left between reports.
			if bar != nil {
				bar.Clear()
			}
			if g.Format == "text" && n > 0 {
				fmt.Fprintln(g.io.Out)
			}
			n++
			if err := g.write(rep); err != nil {
				return err
			}
		}
		if g.Verbose {
			fmt.Fprintf(g.stderr(), ";; %s: %d DNS queries\n", report.Escape(rep.Target), rep.Queries)
		}
		if bar != nil {
			bar.Add(1)
		}
	}
	if bar != nil {
		bar.Finish()
	}
	if readErr != nil {
		return usageError("--domains: %v", readErr)
	}
	if !stream {
		if err := g.write(collected...); err != nil {
			return err
		}
	}
	if o.SARIFFile != "" {
		if err := writeSARIFFile(o.SARIFFile, collected); err != nil {
			return failure(fmt.Errorf("--sarif: %w", err))
		}
	}
	return exitFor(outcome)
}

func writeSARIFFile(name string, reports []*report.Report) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := report.WriteSARIF(f, sarifTool(), reports...); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// domainSource streams the domains of the arguments and of --domains, in
// order, to yield, without reading the file into memory. total is their
// number when it can be known cheaply (-1 for stdin).
func domainSource(ios *IOStreams, o *checkOptions) (source func(yield func(int, string) bool) error, total int, closeFn func(), err error) {
	closeFn = func() {}
	var in io.Reader
	total = len(o.Domains)
	switch o.DomainsFile {
	case "":
	case "-":
		in, total = ios.In, -1
	default:
		f, err := os.Open(o.DomainsFile)
		if err != nil {
			return nil, 0, closeFn, err
		}
		lines, err := countDomains(f)
		if err != nil {
			f.Close()
			return nil, 0, closeFn, err
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			f.Close()
			return nil, 0, closeFn, err
		}
		in, total, closeFn = f, total+lines, func() { f.Close() }
	}
	source = func(yield func(int, string) bool) error {
		i := 0
		for _, d := range o.Domains {
			if !yield(i, d) {
				return nil
			}
			i++
		}
		if in == nil {
			return nil
		}
		sc := bufio.NewScanner(in)
		for sc.Scan() {
			d := domainLine(sc.Text())
			if d == "" {
				continue
			}
			if !yield(i, d) {
				return nil
			}
			i++
		}
		return sc.Err()
	}
	return source, total, closeFn, nil
}

// domainLine is a line without its comment and white space.
func domainLine(line string) string {
	line, _, _ = strings.Cut(line, "#")
	return strings.TrimSpace(line)
}

func countDomains(r io.Reader) (int, error) {
	n := 0
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if domainLine(sc.Text()) != "" {
			n++
		}
	}
	return n, sc.Err()
}
