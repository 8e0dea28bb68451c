package cmd

import (
	"context"
	"errors"

	"github.com/smtptool/smtptool/check/mx"
	"github.com/smtptool/smtptool/dns"
	"github.com/smtptool/smtptool/report"
	"github.com/spf13/cobra"
)

type mxOptions struct {
	Domains      []string
	AllowPrivate bool
}

// newMXCmd builds the command; runF, when set, replaces runMX so that a
// test can check what the flags parse to.
func newMXCmd(g *Global, runF func(context.Context, *mxOptions) error) *cobra.Command {
	if runF == nil {
		runF = func(ctx context.Context, o *mxOptions) error { return runMX(ctx, g, o) }
	}
	o := &mxOptions{}
	c := &cobra.Command{
		Use:   "mx DOMAIN...",
		Short: "MX hosts in preference order with addresses, PTR and forward confirmation",
		Long: `Shows where mail for a domain goes: its MX hosts in preference order, each
host's addresses, and each address's PTR name with forward confirmation
(FCrDNS). Reports null MX (RFC 7505), the implicit MX of a domain without
MX records (RFC 5321 §5.1), aliases, unresolvable hosts and more.`,
		Example:           "  smtptool mx example.com\n  smtptool mx example.com --format json",
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: noFiles,
		RunE: func(c *cobra.Command, args []string) error {
			o.Domains = args
			return runF(c.Context(), o)
		},
	}
	c.Flags().BoolVar(&o.AllowPrivate, "allow-private", false, "accept loopback, private and reserved MX addresses (internal mail systems)")
	return c
}

func runMX(ctx context.Context, g *Global, o *mxOptions) error {
	return perDomain(ctx, g, "mx", o.Domains, func(ctx context.Context, r dns.Resolver, d string) *report.Check {
		res, fs := mx.Check(ctx, r, d, mx.Options{AllowPrivate: o.AllowPrivate})
		return report.NewCheck(mx.Name, res, fs)
	})
}

// perDomain runs one check per domain, one report each.
func perDomain(ctx context.Context, g *Global, command string, domains []string,
	run func(context.Context, dns.Resolver, string) *report.Check) error {
	domains, err := domainArgs(domains)
	if err != nil {
		return err
	}
	r, err := g.resolver()
	if err != nil {
		return err
	}
	reports := make([]*report.Report, len(domains))
	for i, d := range domains {
		reports[i] = &report.Report{Command: command, Target: d, Checks: []*report.Check{run(ctx, r, d)}}
	}
	return g.render(reports...)
}

// domainArg reads a domain a user gave: an IDN becomes its A-labels (the
// text output shows both forms), and an IP address is a usage error that
// says which commands take one.
func domainArg(d string) (string, error) {
	ascii, err := dns.ParseDomain(d)
	switch {
	case errors.Is(err, dns.ErrIsAddress):
		return "", usageError("%v: blacklist and probe take addresses; this command takes a domain", err)
	case err != nil:
		return "", usageError("%v", err)
	}
	return ascii, nil
}

func domainArgs(ds []string) ([]string, error) {
	out := make([]string, len(ds))
	for i, d := range ds {
		a, err := domainArg(d)
		if err != nil {
			return nil, err
		}
		out[i] = a
	}
	return out, nil
}
