package cmd

import (
	"context"

	"github.com/smtptool/smtptool/check/mx"
	"github.com/smtptool/smtptool/dns"
	"github.com/smtptool/smtptool/report"
	"github.com/spf13/cobra"
)

type mxOptions struct {
	Domains      []string
	AllowPrivate bool
}

func newMXCmd(g *Global) *cobra.Command {
	o := &mxOptions{}
	c := &cobra.Command{
		Use:   "mx DOMAIN...",
		Short: "MX hosts in preference order with addresses, PTR and forward confirmation",
		Long: `Shows where mail for a domain goes: its MX hosts in preference order, each
host's addresses, and each address's PTR name with forward confirmation
(FCrDNS). Reports null MX (RFC 7505), the implicit MX of a domain without
MX records (RFC 5321 §5.1), aliases, unresolvable hosts and more.`,
		Example: "  smtptool mx example.com\n  smtptool mx example.com --format json",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			o.Domains = args
			return runMX(c.Context(), g, o)
		},
	}
	c.Flags().BoolVar(&o.AllowPrivate, "allow-private", false, "accept loopback, private and reserved MX addresses (internal mail systems)")
	return c
}

func runMX(ctx context.Context, g *Global, o *mxOptions) error {
	return perDomain(ctx, g, "mx", o.Domains, func(ctx context.Context, r dns.Resolver, d string) *report.Check {
		check, _ := mx.Check(ctx, r, d, mx.Options{AllowPrivate: o.AllowPrivate})
		return check
	})
}

// perDomain runs one check per domain, one report each.
func perDomain(ctx context.Context, g *Global, command string, domains []string,
	run func(context.Context, dns.Resolver, string) *report.Check) error {
	for _, d := range domains {
		if err := validDomain(d); err != nil {
			return err
		}
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

func validDomain(d string) error {
	if !dns.ValidName(d) {
		return usageError("%q is not a valid domain name", d)
	}
	return nil
}
