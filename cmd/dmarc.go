package cmd

import (
	"context"

	"github.com/smtptool/smtptool/check/dmarc"
	"github.com/smtptool/smtptool/dns"
	"github.com/smtptool/smtptool/report"
	"github.com/spf13/cobra"
)

type dmarcOptions struct {
	Domains []string
}

// newDMARCCmd builds the command; runF, when set, replaces runDMARC so that a
// test can check what the flags parse to.
func newDMARCCmd(g *Global, runF func(context.Context, *dmarcOptions) error) *cobra.Command {
	if runF == nil {
		runF = func(ctx context.Context, o *dmarcOptions) error { return runDMARC(ctx, g, o) }
	}
	o := &dmarcOptions{}
	return &cobra.Command{
		Use:   "dmarc DOMAIN...",
		Short: "the DMARC record, organizational-domain fallback, lint and report-destination authorization",
		Long: `Finds the DMARC policy that applies to a domain (its own _dmarc record, or its
organizational domain's), parses it even when it is invalid, and checks it:
policy strength, pct, sp, report addresses, and whether each external report
destination has authorized the reports (RFC 7489 §7.1).`,
		Example:           "  smtptool dmarc example.com",
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: noFiles,
		RunE: func(c *cobra.Command, args []string) error {
			o.Domains = args
			return runF(c.Context(), o)
		},
	}
}

func runDMARC(ctx context.Context, g *Global, o *dmarcOptions) error {
	return perDomain(ctx, g, "dmarc", o.Domains, func(ctx context.Context, r dns.Resolver, d string) *report.Check {
		res, fs := dmarc.Check(ctx, r, d, dmarc.Options{})
		return report.NewCheck(dmarc.Name, res, fs)
	})
}
