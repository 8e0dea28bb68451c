package cmd

import (
	"context"

	"github.com/smtptool/smtptool/check/dmarc"
	"github.com/smtptool/smtptool/dns"
	"github.com/smtptool/smtptool/report"
	"github.com/spf13/cobra"
)

func newDMARCCmd(g *Global) *cobra.Command {
	return &cobra.Command{
		Use:   "dmarc DOMAIN...",
		Short: "the DMARC record, organizational-domain fallback, lint and report-destination authorization",
		Long: `Finds the DMARC policy that applies to a domain (its own _dmarc record, or its
organizational domain's), parses it even when it is invalid, and checks it:
policy strength, pct, sp, report addresses, and whether each external report
destination has authorized the reports (RFC 7489 §7.1).`,
		Example: "  smtptool dmarc example.com",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return runDMARC(c.Context(), g, args)
		},
	}
}

func runDMARC(ctx context.Context, g *Global, domains []string) error {
	return perDomain(ctx, g, "dmarc", domains, func(ctx context.Context, r dns.Resolver, d string) *report.Check {
		c, _ := dmarc.Check(ctx, r, d)
		return c
	})
}
