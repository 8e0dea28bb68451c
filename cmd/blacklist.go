package cmd

import (
	"context"
	"errors"
	"time"

	"github.com/smtptool/smtptool/check/dnsbl"
	"github.com/smtptool/smtptool/report"
	"github.com/spf13/cobra"
)

type blacklistOptions struct {
	Targets      []string
	Lists        []string
	ListsFile    string
	AllowPrivate bool
	ListTimeout  time.Duration
}

// newBlacklistCmd builds the command; runF, when set, replaces runBlacklist so that a
// test can check what the flags parse to.
func newBlacklistCmd(g *Global, runF func(context.Context, *blacklistOptions) error) *cobra.Command {
	if runF == nil {
		runF = func(ctx context.Context, o *blacklistOptions) error { return runBlacklist(ctx, g, o) }
	}
	o := &blacklistOptions{}
	c := &cobra.Command{
		Use:     "blacklist TARGET...",
		Aliases: []string{"blocklist", "dnsbl"},
		Short:   "check an IP, or a domain's mail hosts and the domain itself, against DNS blocklists",
		Long: `Asks DNS blocklists (RFC 5782) about an IPv4 or IPv6 address, or about a
domain: its MX addresses against the IP lists and the domain itself against
the domain lists. Every list is asked at once. A listing is decoded (what the
list's return code means), quoted (its TXT record) and linked to the list's
delisting page. Answers that are errors rather than listings, such as
Spamhaus's 127.255.255.254 for queries through public resolvers, are reported
as refusals. Private and reserved addresses are never sent to public lists.`,
		Example: `  smtptool blacklist 192.0.2.25
  smtptool blacklist example.com
  smtptool blacklist example.com --list domain:rhsbl.example.org --list rbl.example.org`,
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: noFiles,
		RunE: func(c *cobra.Command, args []string) error {
			o.Targets = args
			return runF(c.Context(), o)
		},
	}
	f := c.Flags()
	f.StringArrayVar(&o.Lists, "list", nil, "also ask this list: ZONE or ip:ZONE (an IP list), domain:ZONE (a domain list); repeatable")
	f.StringVar(&o.ListsFile, "lists", "", "ask the lists in this file (one per line, as --list) instead of the default set")
	f.BoolVar(&o.AllowPrivate, "allow-private", false, "send loopback, private and reserved addresses too (for lists of your own)")
	f.DurationVar(&o.ListTimeout, "list-timeout", 5*time.Second, "time allowed for each list")
	return c
}

func (o *blacklistOptions) options(ctx context.Context, ios *IOStreams) (dnsbl.Options, error) {
	opts := dnsbl.Options{SendPrivate: o.AllowPrivate, ListTimeout: o.ListTimeout}
	lists := dnsbl.DefaultLists
	if o.ListsFile != "" {
		raw, err := readInput(ctx, ios, o.ListsFile, maxSmall)
		if err != nil {
			return opts, usageError("--lists: %v", err)
		}
		if lists, err = dnsbl.ReadLists(bytesReader(raw)); err != nil {
			return opts, usageError("--lists %s: %v", o.ListsFile, err)
		}
	}
	lists = append([]dnsbl.List(nil), lists...)
	for _, spec := range o.Lists {
		l, err := dnsbl.ParseList(spec)
		if err != nil {
			return opts, usageError("--list: %v", err)
		}
		lists = replaceOrAdd(lists, l)
	}
	if len(lists) == 0 {
		return opts, usageError("no lists to ask")
	}
	opts.Lists = lists
	return opts, nil
}

func replaceOrAdd(lists []dnsbl.List, l dnsbl.List) []dnsbl.List {
	for i := range lists {
		if lists[i].Zone == l.Zone {
			lists[i] = l
			return lists
		}
	}
	return append(lists, l)
}

func runBlacklist(ctx context.Context, g *Global, o *blacklistOptions) error {
	opts, err := o.options(ctx, g.io)
	if err != nil {
		return err
	}
	r, err := g.resolver()
	if err != nil {
		return err
	}
	outcome := report.Clean
	for _, t := range o.Targets {
		rep, err := dnsbl.Run(ctx, r, t, opts)
		if errors.Is(err, dnsbl.ErrBadTarget) {
			return &exitError{ExitUsage, err}
		}
		if err := g.write(rep); err != nil {
			return err
		}
		outcome = max(outcome, report.Judge(g.failOn(), rep))
	}
	return exitFor(outcome)
}
