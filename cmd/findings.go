package cmd

import (
	"context"

	"github.com/smtptool/smtptool/report"
	"github.com/spf13/cobra"
)

type findingsOptions struct {
	Markdown bool
}

// newFindingsCmd builds the command; runF, when set, replaces runFindings.
func newFindingsCmd(g *Global, runF func(context.Context, *findingsOptions) error) *cobra.Command {
	if runF == nil {
		runF = func(ctx context.Context, o *findingsOptions) error { return runFindings(ctx, g, o) }
	}
	o := &findingsOptions{}
	c := &cobra.Command{
		Use:   "findings",
		Short: "the catalog of finding ids, with severity, condition and ref",
		Long: `Lists every finding id smtptool reports, by area, with its default severity,
what triggers it and the RFC section (or document) whose rule it applies. Ids
are public API: scripts and --expect policies may rely on them; they are never
renamed. --markdown writes the catalog as docs/findings.md is.`,
		Example: "  smtptool findings\n  smtptool findings --format json | jq '.checks[0].data[].id'",
		Args:    cobra.NoArgs,
		RunE:    func(c *cobra.Command, _ []string) error { return runF(c.Context(), o) },
	}
	c.Flags().BoolVar(&o.Markdown, "markdown", false, "write the catalog as Markdown (docs/findings.md)")
	return c
}

func runFindings(_ context.Context, g *Global, o *findingsOptions) error {
	if o.Markdown {
		if err := report.WriteCatalogMarkdown(g.io.Out); err != nil {
			return failure(err)
		}
		return nil
	}
	if g.Format == "text" {
		// A catalog is not a check: no status marks, the list alone.
		p := g.printer()
		report.CatalogData().(report.TextDetails).WriteText(p)
		return nil
	}
	return g.write(&report.Report{Command: "findings", Target: "catalog",
		Checks: []*report.Check{report.NewCheck("catalog", report.CatalogData(), nil)}})
}
