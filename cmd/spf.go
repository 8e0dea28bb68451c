package cmd

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/smtptool/smtptool/check/spf"
	"github.com/smtptool/smtptool/dns"
	"github.com/smtptool/smtptool/report"
	"github.com/spf13/cobra"
)

type spfOptions struct {
	Domain, IP, Sender, Helo string
}

// newSPFCmd builds the command; runF, when set, replaces runSPF so that a
// test can check what the flags parse to.
func newSPFCmd(g *Global, runF func(context.Context, *spfOptions) error) *cobra.Command {
	if runF == nil {
		runF = func(ctx context.Context, o *spfOptions) error { return runSPF(ctx, g, o) }
	}
	o := &spfOptions{}
	c := &cobra.Command{
		Use:   "spf [DOMAIN]",
		Short: "parse and lint an SPF record with its lookup tree; with --ip, evaluate check_host()",
		Long: `Without --ip: fetches the domain's SPF record and every record it includes or
redirects to, and shows them as a tree with the DNS-lookup cost of each term,
the total against the limit of 10 and the void lookups against 2, with a
finding for each problem (RFC 7208).

With --ip: evaluates check_host() for that address, as a receiver would, and
prints the result: pass, fail, softfail, neutral, none, permerror or
temperror (JSON: data.result). DOMAIN defaults to the --sender's domain, or
to the --helo name when the sender is empty (RFC 7208 §2.3, §2.4).`,
		Example: `  smtptool spf example.com
  smtptool spf example.com --ip 192.0.2.25
  smtptool spf --ip 192.0.2.25 --sender bounce@example.com`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: noFiles,
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.Domain = args[0]
			}
			return runF(c.Context(), o)
		},
	}
	f := c.Flags()
	f.StringVar(&o.IP, "ip", "", "evaluate check_host() for this sending address")
	f.StringVar(&o.Sender, "sender", "", "with --ip: the MAIL FROM address")
	f.StringVar(&o.Helo, "helo", "", "with --ip: the HELO/EHLO name")
	return c
}

func runSPF(ctx context.Context, g *Global, o *spfOptions) error {
	if o.IP == "" {
		if o.Sender != "" || o.Helo != "" {
			return usageError("--sender and --helo go with --ip")
		}
		if o.Domain == "" {
			return usageError("give a DOMAIN, or --ip with --sender or --helo")
		}
		d, err := domainArg(o.Domain)
		if err != nil {
			return err
		}
		o.Domain = d
		r, err := g.resolver()
		if err != nil {
			return err
		}
		res, fs := spf.Check(ctx, r, o.Domain, spf.Options{})
		return g.render(&report.Report{Command: "spf", Target: o.Domain, Checks: []*report.Check{report.NewCheck(spf.Name, res, fs)}})
	}

	ip, err := netip.ParseAddr(o.IP)
	if err != nil {
		return usageError("--ip: %q is not an IP address", o.IP)
	}
	if o.Domain == "" && o.Sender == "" && o.Helo == "" {
		return usageError("give a DOMAIN, --sender or --helo")
	}
	if o.Domain != "" {
		if o.Domain, err = domainArg(o.Domain); err != nil {
			return err
		}
	}
	// IDNs in the sender's domain and the HELO name are asked as A-labels.
	if local, d, ok := strings.Cut(o.Sender, "@"); ok && d != "" {
		if d, err = domainArg(d); err != nil {
			return err
		}
		o.Sender = local + "@" + d
	}
	if a, err := dns.ParseDomain(o.Helo); err == nil {
		o.Helo = a
	}
	r, err := g.resolver()
	if err != nil {
		return err
	}
	// RFC 7208 §2.3, §2.4: with no DOMAIN, check_host takes the sender's
	// domain, else the HELO name (spf.CheckHost applies it).
	ev := spf.CheckHost(ctx, r, spf.Params{IP: ip, Sender: o.Sender, Helo: o.Helo, Domain: o.Domain})
	domain := ev.Domain
	c := &report.Check{Name: "spf check_host", Data: spfEvaluation{ev, ip}}
	switch ev.Result {
	case spf.ResultPass:
	case spf.ResultPermError, spf.ResultTempError:
		c.Add(report.Finding{ID: "spf.evaluation-error", Severity: report.Error,
			Message: fmt.Sprintf("SPF evaluation for %s at %s ends in %s: %s", ip, domain, ev.Result, ev.Reason),
			Fix:     "run smtptool spf " + domain + " to see what is wrong with the record", Ref: "RFC 7208 §2.6",
			Inconclusive: ev.Result == spf.ResultTempError})
	default:
		c.Add(report.Finding{ID: "spf.not-permitted", Severity: report.Error,
			Message: fmt.Sprintf("%s is not permitted to send for %s: SPF %s (%s)", ip, domain, ev.Result, ev.Reason),
			Fix:     fmt.Sprintf("if %s is a legitimate sender, add it to the SPF record of %s (ip4:/ip6: or an include of its provider)", ip, domain),
			Ref:     "RFC 7208 §2.6"})
	}
	return g.render(&report.Report{Command: "spf", Target: domain, Checks: []*report.Check{c}})
}

// spfEvaluation renders a check_host() result.
type spfEvaluation struct {
	*spf.Evaluation
	ip netip.Addr
}

func (e spfEvaluation) MarshalJSON() ([]byte, error) { return jsonOf(e.Evaluation) }

func (e spfEvaluation) WriteText(p *report.Printer) {
	style := map[spf.Result]report.Style{spf.ResultPass: report.Good, spf.ResultFail: report.Bad,
		spf.ResultPermError: report.Bad, spf.ResultTempError: report.Warn, spf.ResultSoftFail: report.Warn}[e.Result]
	rows := [][]report.Cell{
		{report.C("result", report.Dim), report.C(string(e.Result), style)},
		{report.C("ip", report.Dim), report.C(e.ip.String(), report.Plain)},
		{report.C("why", report.Dim), report.C(e.Reason, report.Plain)},
		{report.C("lookups", report.Dim), report.C(fmt.Sprintf("%d of %d, void %d of %d", e.Lookups, spf.MaxLookups, e.VoidLookups, spf.MaxVoidLookups), report.Plain)},
	}
	if e.Explanation != "" {
		rows = append(rows, []report.Cell{report.C("explanation", report.Dim), report.C(e.Explanation, report.Plain)})
	}
	p.Fields(4, rows)
}
