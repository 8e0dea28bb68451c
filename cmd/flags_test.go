package cmd

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// execute runs one command built with a runF hook on args: flag parsing
// alone, nothing is looked up or connected to.
func execute(t *testing.T, c *cobra.Command, args ...string) error {
	t.Helper()
	c.SetArgs(args)
	c.SetOut(&bytes.Buffer{})
	c.SetErr(&bytes.Buffer{})
	c.SilenceErrors, c.SilenceUsage = true, true
	return c.ExecuteContext(context.Background())
}

func TestFlagsParseIntoOptions(t *testing.T) {
	g := &Global{io: &IOStreams{}}
	var probeGot *probeOptions
	probeCmd := newProbeCmd(g, func(_ context.Context, o *probeOptions) error { probeGot = o; return nil })
	if err := execute(t, probeCmd, "mx.example.test:587", "--from", "a@b.test", "--rcpt", "c@d.test", "--rcpt", "e@f.test",
		"--quit-after", "rcpt", "-4", "--starttls", "require"); err != nil {
		t.Fatal(err)
	}
	if probeGot == nil || !slices.Equal(probeGot.Targets, []string{"mx.example.test:587"}) || probeGot.From != "a@b.test" || !probeGot.FromSet ||
		len(probeGot.Rcpts) != 2 || probeGot.QuitAfter != "rcpt" || !probeGot.IPv4 || probeGot.StartTLS != "require" {
		t.Errorf("probe: %+v", probeGot)
	}

	var checkGot *checkOptions
	checkCmd := newCheckCmd(g, func(_ context.Context, o *checkOptions) error { checkGot = o; return nil })
	if err := execute(t, checkCmd, "a.test", "b.test", "--concurrency", "64", "--shard", "1/4", "--selector", "s1", "--probe", "--allow-private"); err != nil {
		t.Fatal(err)
	}
	if checkGot == nil || len(checkGot.Domains) != 2 || checkGot.Concurrency != 64 || checkGot.Shard != "1/4" || !checkGot.Probe ||
		!checkGot.AllowPrivate || checkGot.BlocklistPrivate || strings.Join(checkGot.Selectors, ",") != "s1" {
		t.Errorf("check: %+v", checkGot)
	}

	var spfGot *spfOptions
	spfCmd := newSPFCmd(g, func(_ context.Context, o *spfOptions) error { spfGot = o; return nil })
	if err := execute(t, spfCmd, "--ip", "192.0.2.1", "--sender", "a@b.test"); err != nil {
		t.Fatal(err)
	}
	if spfGot == nil || spfGot.Domain != "" || spfGot.IP != "192.0.2.1" || spfGot.Sender != "a@b.test" {
		t.Errorf("spf: %+v", spfGot)
	}

	var dkimGot *dkimOptions
	dkimCmd := newDKIMCmd(g, func(_ context.Context, o *dkimOptions) error { dkimGot = o; return nil })
	if err := execute(t, dkimCmd, "x.test", "--selector", "a", "--selector", "b"); err != nil {
		t.Fatal(err)
	}
	if dkimGot == nil || strings.Join(dkimGot.Selectors, ",") != "a,b" || dkimGot.Domains[0] != "x.test" {
		t.Errorf("dkim: %+v", dkimGot)
	}
}
