package cmd

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/smtptool/smtptool/check/message"
	"github.com/smtptool/smtptool/explain"
	"github.com/smtptool/smtptool/report"
	"github.com/spf13/cobra"
)

type messageOptions struct {
	File          string
	MTA           string
	TrustReceived int
	IP            string
	Helo          string
	Sender        string
}

// newMessageCmd builds the command; runF, when set, replaces runMessage.
func newMessageCmd(g *Global, runF func(context.Context, *messageOptions) error) *cobra.Command {
	if runF == nil {
		runF = func(ctx context.Context, o *messageOptions) error { return runMessage(ctx, g, o, nil) }
	}
	o := &messageOptions{}
	c := &cobra.Command{
		Use:   "message FILE|-",
		Short: "one received message: its hops, SPF of the sending IP, DKIM, DMARC alignment, ARC",
		Long: `Analyses a received message (a file, or - for stdin; mbox and any line endings):
the path of Received fields with each hop's delay; SPF (RFC 7208) for the address
that handed it to the receiving organisation (the topmost Received field, or the
one by --mta, or --trust-received N); every DKIM signature (RFC 6376, RFC 8301:
no rsa-sha1, key sizes, t=s, l=); DMARC (RFC 7489) alignment of SPF and DKIM with
the From: domain and the disposition a receiver applies; the ARC sets' structure
(RFC 8617; their signatures are not verified); and what the receivers recorded in
Authentication-Results. A bounce is pointed at smtptool explain.`,
		Example:           "  smtptool message message.eml\n  smtptool message --mta mx.example.com - < message.eml",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(c *cobra.Command, args []string) error {
			o.File = args[0]
			return runF(c.Context(), o)
		},
	}
	f := c.Flags()
	f.StringVar(&o.MTA, "mta", "", "the receiving MTA's `HOST` name: its Received field gives the client")
	f.IntVar(&o.TrustReceived, "trust-received", 1, "the `N`th Received field (1 the topmost) gives the client")
	f.StringVar(&o.IP, "ip", "", "the client `IP` (instead of the Received field's)")
	f.StringVar(&o.Helo, "helo", "", "the client's HELO `NAME`")
	f.StringVar(&o.Sender, "sender", "", "the envelope sender `ADDR` (instead of Return-Path:)")
	return c
}

// runMessage analyses the message; raw, when given, is the message
// already read (explain hands one over).
func runMessage(ctx context.Context, g *Global, o *messageOptions, raw []byte) error {
	if raw == nil {
		var err error
		if raw, err = readInput(ctx, g.io, o.File, maxMessage); err != nil {
			return usageError("reading the message: %v", err)
		}
	}
	opts := message.Options{MTA: o.MTA, TrustReceived: o.TrustReceived, Helo: o.Helo, Sender: o.Sender}
	if o.IP != "" {
		ip, err := netip.ParseAddr(o.IP)
		if err != nil {
			return usageError("--ip: %q is not an IP address", o.IP)
		}
		opts.IP = ip
	}
	if o.TrustReceived < 1 {
		return usageError("--trust-received must be 1 or more")
	}
	if b, err := explain.ParseBounce(raw); err == nil && len(b.Recipients) > 0 && b.Kind != "autoreply" {
		fmt.Fprintln(g.io.ErrOut, "smtptool: this is a bounce ("+b.Kind+"): smtptool explain - reads what failed for whom")
	}
	r, err := g.resolver()
	if err != nil {
		return err
	}
	res, fs, err := message.Analyze(ctx, r, raw, opts)
	if err != nil {
		return usageError("%v", err)
	}
	return g.render(&report.Report{Command: "message", Target: o.File, Checks: []*report.Check{report.NewCheck(message.Name, res, fs)}})
}
