package cmd

import (
	"context"

	"github.com/smtptool/smtptool/check/dkim"
	"github.com/smtptool/smtptool/dns"
	"github.com/smtptool/smtptool/report"
	"github.com/spf13/cobra"
)

type dkimOptions struct {
	Domains   []string
	Selectors []string
}

// newDKIMCmd builds the command; runF, when set, replaces runDKIM so that a
// test can check what the flags parse to.
func newDKIMCmd(g *Global, runF func(context.Context, *dkimOptions) error) *cobra.Command {
	if runF == nil {
		runF = func(ctx context.Context, o *dkimOptions) error { return runDKIM(ctx, g, o) }
	}
	o := &dkimOptions{}
	c := &cobra.Command{
		Use:   "dkim DOMAIN...",
		Short: "DKIM key records for --selector S, or a sweep of common selectors; dkim verify checks a message",
		Long: `Looks up DKIM public keys at <selector>._domainkey.<domain> and checks them:
key type and size (from the key itself), revoked keys, testing mode, syntax.
Without --selector it tries the selectors of the big mail providers and says
which it tried (selectors cannot be listed through DNS).`,
		Example: `  smtptool dkim example.com
  smtptool dkim example.com --selector google --selector s1
  smtptool dkim verify message.eml`,
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: noFiles,
		RunE: func(c *cobra.Command, args []string) error {
			o.Domains = args
			return runF(c.Context(), o)
		},
	}
	c.Flags().StringArrayVar(&o.Selectors, "selector", nil, "a selector to look up (repeatable); default: the common ones")
	c.AddCommand(&cobra.Command{
		Use:   "verify FILE|-",
		Short: "verify the DKIM signatures of a message (- reads it from stdin)",
		Args:  cobra.ExactArgs(1),
		RunE:  func(c *cobra.Command, args []string) error { return runDKIMVerify(c.Context(), g, args[0]) },
	})
	return c
}

func runDKIM(ctx context.Context, g *Global, o *dkimOptions) error {
	return perDomain(ctx, g, "dkim", o.Domains, func(ctx context.Context, r dns.Resolver, d string) *report.Check {
		res, fs := dkim.Check(ctx, r, d, dkim.Options{Selectors: o.Selectors})
		return report.NewCheck(dkim.Name, res, fs)
	})
}

func runDKIMVerify(ctx context.Context, g *Global, file string) error {
	msg, err := readInput(ctx, g.io, file, maxMessage)
	if err != nil {
		return usageError("reading the message: %v", err)
	}
	r, err := g.resolver()
	if err != nil {
		return err
	}
	check, err := dkim.Verify(ctx, r, bytesReader(msg))
	if err != nil {
		return usageError("%v", err)
	}
	return g.render(&report.Report{Command: "dkim verify", Target: file, Checks: []*report.Check{check}})
}
