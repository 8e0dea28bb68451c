package cmd

import (
	"bufio"
	"context"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/smtptool/smtptool/check"
	"github.com/smtptool/smtptool/probe"
	"github.com/smtptool/smtptool/report"
	"github.com/spf13/cobra"
)

type checkOptions struct {
	Domains      []string
	DomainsFile  string
	Probe        bool
	AllowPrivate bool
	Port         int
	CAFile       string
	Selectors    []string
	// MTASTSPort is the policy host's port: 443 but in a test lab.
	MTASTSPort int
}

func newCheckCmd(g *Global) *cobra.Command {
	o := &checkOptions{}
	c := &cobra.Command{
		Use:   "check DOMAIN...",
		Short: "every DNS check for each domain (CI-friendly); --probe adds SMTP/STARTTLS probing of its MX hosts",
		Long: `Runs every check for each domain at once and prints one report per domain:
mx (hosts, addresses, PTR/FCrDNS, null MX), dnssec, spf (lint and lookup
tree), dmarc, dkim, mta-sts, tls-rpt, bimi, dane (TLSA records) and
blocklists (each MX address against the IP lists, the domain against the
domain lists). With --probe it also walks an SMTP session to each MX host up
to STARTTLS, checks the certificate, and matches it against DANE records.
Exit 1 when a finding is at or above --fail-on: put it in CI to guard a
domain's mail configuration.`,
		Example: `  smtptool check example.com
  smtptool check --domains domains.txt --format json
  smtptool check example.com --probe --fail-on warning`,
		RunE: func(c *cobra.Command, args []string) error {
			o.Domains = args
			return runCheck(c.Context(), g, o)
		},
	}
	f := c.Flags()
	f.StringVar(&o.DomainsFile, "domains", "", "read domains from this file, one per line (- for stdin)")
	f.BoolVar(&o.Probe, "probe", false, "also probe each MX host (SMTP, STARTTLS, certificate, DANE)")
	f.BoolVar(&o.AllowPrivate, "allow-private", false, "accept loopback, private and reserved MX addresses (internal systems)")
	f.IntVar(&o.Port, "port", 25, "SMTP port for --probe")
	f.StringArrayVar(&o.Selectors, "selector", nil, "DKIM selector to check (repeatable); default: the common ones")
	f.StringVar(&o.CAFile, "ca-file", "", "trust the CA certificates in this PEM file instead of the system's (probe and MTA-STS)")
	f.IntVar(&o.MTASTSPort, "mta-sts-port", 443, "port of the MTA-STS policy host (for test labs)")
	f.MarkHidden("mta-sts-port")
	return c
}

func runCheck(ctx context.Context, g *Global, o *checkOptions) error {
	domains := o.Domains
	if o.DomainsFile != "" {
		more, err := readDomains(g.io, o.DomainsFile)
		if err != nil {
			return usageError("--domains: %v", err)
		}
		domains = append(domains, more...)
	}
	if len(domains) == 0 {
		return usageError("give at least one domain, or --domains FILE")
	}
	for _, d := range domains {
		if err := validDomain(d); err != nil {
			return err
		}
	}
	po := &probeOptions{Port: o.Port, StartTLS: "auto", QuitAfter: probe.StepStartTLS, CAFile: o.CAFile, AllowPrivate: o.AllowPrivate}
	probeOpts, err := po.runOptions(g)
	if err != nil {
		return err
	}
	probeOpts.AllMX = true
	opts := check.Options{AllowPrivate: o.AllowPrivate, Selectors: o.Selectors, RootCAs: probeOpts.RootCAs,
		MTASTSPort: o.MTASTSPort, Timeout: g.Timeout}
	if o.Probe {
		opts.Probe = &probeOpts
	}
	r, err := g.resolver()
	if err != nil {
		return err
	}
	reports := make([]*report.Report, len(domains))
	failed := make([]bool, len(domains))
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i, d := range domains {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			reports[i], failed[i] = check.Domain(ctx, r, d, opts)
		})
	}
	wg.Wait()
	err = g.render(reports...)
	for _, f := range failed {
		if f && (err == nil || isFindings(err)) {
			return &exitError{code: ExitFailure}
		}
	}
	return err
}

func readDomains(ios *IOStreams, name string) ([]string, error) {
	var r io.Reader = ios.In
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	var out []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		if d := strings.TrimSpace(line); d != "" {
			out = append(out, d)
		}
	}
	return out, sc.Err()
}
