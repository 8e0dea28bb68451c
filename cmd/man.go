package cmd

import (
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// newManCmd writes the man pages (one per command) with cobra/doc; the
// release build runs it so that archives ship them.
func newManCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "man DIR",
		Short:  "write man pages for every command into DIR",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if err := os.MkdirAll(args[0], 0o755); err != nil {
				return failure(err)
			}
			// No Title: cobra/doc titles each page by its command
			// (SMTPTOOL-CHECK). The version is the binary's own: the release
			// build runs a binary stamped with -ldflags.
			header := &doc.GenManHeader{Section: "1", Source: "smtptool " + versionString()}
			if err := doc.GenManTree(c.Root(), header, args[0]); err != nil {
				return failure(err)
			}
			return nil
		},
	}
}
