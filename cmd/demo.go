package cmd

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/smtptool/smtptool/check/dnsbl"
	"github.com/smtptool/smtptool/check/mx"
	"github.com/smtptool/smtptool/dns/validate"
	"github.com/smtptool/smtptool/lab"
	"github.com/smtptool/smtptool/probe"
	"github.com/smtptool/smtptool/report"
	"github.com/smtptool/smtptool/scan"
	"github.com/spf13/cobra"
)

func newDemoCmd(g *Global) *cobra.Command {
	return &cobra.Command{
		Use:   "demo",
		Short: "run mx, probe, blacklist and check against the built-in offline lab",
		Long: `Starts the offline lab — a DNS server and a dozen SMTP servers on loopback
addresses, some configured well and some wrong in one way each — and runs
real mx, probe, blacklist and check commands against it, printing their real reports. Nothing
leaves this machine.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return runDemo(c.Context(), g) },
	}
}

// demoStep is one command the demo runs against the lab.
type demoStep struct {
	about string
	args  string // as a user would type them, before the lab's flags
	run   func(context.Context) (*report.Report, error)
}

func runDemo(ctx context.Context, g *Global) error {
	l, err := lab.Start(lab.Options{})
	if err != nil {
		return failure(fmt.Errorf("starting the lab: %w", err))
	}
	defer l.Close()
	r, err := g.resolverAt([]string{l.DNS.Addr})
	if err != nil {
		return err
	}
	// The lab's signatures chain to its own root key, not IANA's.
	dir, err := os.MkdirTemp("", "smtptool-demo-")
	if err != nil {
		return failure(err)
	}
	defer os.RemoveAll(dir)
	anchor := filepath.Join(dir, "lab-anchor.ds")
	if err := l.WriteTrustAnchor(anchor); err != nil {
		return failure(err)
	}
	v := validate.New(r, l.DNS.Zone.TrustAnchors(), nil)
	port := fmt.Sprint(l.Port)
	probeOpts := func(tune func(*probe.RunOptions)) probe.RunOptions {
		o := probe.RunOptions{
			Options: probe.Options{Helo: "demo.smtptool.test", Timeout: g.Timeout, RootCAs: l.CA.Pool, Validator: v},
			Port:    l.Port, MX: mx.Options{AllowPrivate: true},
		}
		if tune != nil {
			tune(&o)
		}
		return o
	}
	mxStep := func(about, domain string, allow bool) demoStep {
		flag := ""
		if allow {
			flag = " --allow-private"
		}
		return demoStep{about, "mx " + domain + flag, func(ctx context.Context) (*report.Report, error) {
			res, fs := mx.Check(ctx, r, domain, mx.Options{AllowPrivate: allow})
			return &report.Report{Command: "mx", Target: domain, Checks: []*report.Check{report.NewCheck(mx.Name, res, fs)}}, nil
		}}
	}
	probeStep := func(about, args, target string, tune func(*probe.RunOptions)) demoStep {
		return demoStep{about, "probe " + args, func(ctx context.Context) (*report.Report, error) {
			return probe.Run(ctx, r, target, probeOpts(tune))
		}}
	}
	steps := []demoStep{
		mxStep("A well-configured domain: two MX hosts, forward-confirmed PTRs, IPv6.", "good.test", true),
		mxStep("The same without --allow-private: loopback addresses are not reachable from the internet.", "good.test", false),
		mxStep("An MX that points at an alias (CNAME).", "cname.test", true),
		mxStep("A domain whose name servers fail: inconclusive, never \"missing\".", "servfail.test", true),
		probeStep("The whole walk on the first MX host, with a sender and two recipients.",
			"good.test --helo demo.smtptool.test --from demo@smtptool.test --rcpt alice@good.test --rcpt nobody@good.test --allow-private --port "+port,
			"good.test", func(o *probe.RunOptions) {
				o.From, o.Mail, o.Rcpts = "demo@smtptool.test", true, []string{"alice@good.test", "nobody@good.test"}
			}),
		probeStep("A server whose certificate expired yesterday.", "expired.smtp.test:"+port+" --helo demo.smtptool.test", "expired.smtp.test:"+port, nil),
		probeStep("A server that relays for anyone (the relay test names a reserved domain: nothing is sent).", "relay.smtp.test:"+port+" --helo demo.smtptool.test --relay-test", "relay.smtp.test:"+port,
			func(o *probe.RunOptions) { o.RelayRcpt = relayTestRcpt }),
		{"An address on blocklists: each list's return code decoded, its TXT quoted, its delisting page linked.",
			"blacklist 127.0.0.2 --allow-private", func(ctx context.Context) (*report.Report, error) {
				return dnsbl.Run(ctx, r, "127.0.0.2", dnsbl.Options{SendPrivate: true, ListTimeout: g.Timeout})
			}},
		{"A CI check of a domain: MX, DNSSEC, SPF, DMARC, DKIM, MTA-STS, TLS-RPT, BIMI, DANE, blocklists, and the probe of each MX.",
			"check good.test --probe --helo demo.smtptool.test --allow-private --blocklist-private --port " + port, func(ctx context.Context) (*report.Report, error) {
				po := probeOpts(func(o *probe.RunOptions) { o.AllMX, o.QuitAfter = true, probe.StepStartTLS })
				return scan.Domain(ctx, r, "good.test", scan.Options{AllowPrivate: true, BlocklistPrivate: true, RootCAs: l.CA.Pool,
					MTASTSPort: l.HTTPSPort, Timeout: g.Timeout, Probe: &po, Validator: v}), nil
			}},
		{"A signed domain whose signatures expired two days ago: validating resolvers answer SERVFAIL to every question, and the dnssec check says why.",
			"check dnssec-expired.test", func(ctx context.Context) (*report.Report, error) {
				return scan.Domain(ctx, r, "dnssec-expired.test", scan.Options{Timeout: g.Timeout, Validator: v}), nil
			}},
		probeStep("A host with a self-signed certificate that its DANE-EE record authenticates: what DANE senders check.",
			"mx.dane-only.test:"+port+" --helo demo.smtptool.test", "mx.dane-only.test:"+port, nil),
		probeStep("A server that greets with 421.", "busy.smtp.test:"+port+" --helo demo.smtptool.test", "busy.smtp.test:"+port, nil),
		probeStep("A server whose reply to EHLO never ends: the probe stops it, in bounded memory.", "endless.smtp.test:"+port+" --helo demo.smtptool.test", "endless.smtp.test:"+port, nil),
	}

	text := g.Format == "text"
	say := func(s string) {
		if text {
			fmt.Fprintln(g.io.Out, s)
		} else {
			fmt.Fprintln(g.io.ErrOut, s) // JSON Lines keep stdout to themselves
		}
	}
	intro := fmt.Sprintf("smtptool demo: an offline lab with DNS on %s and %d SMTP servers on 127.0.0.x port %s. ", l.DNS.Addr, len(lab.Hosts)-1, port) +
		"Each command below is what you would type against the lab (smtptool lab serve keeps one up); the reports are real."
	for _, line := range fold(intro, 78) {
		say(line)
	}
	for _, s := range steps {
		rep, err := s.run(ctx)
		if err != nil {
			return failure(err)
		}
		say("")
		say(strings.Repeat("─", 78))
		for _, line := range fold(s.about, 76) {
			say("# " + line)
		}
		// A long command continues on the next line, as a shell takes it.
		cmdLines := fold("$ smtptool "+s.args+" "+labFlags(l, anchor, s.args), 74)
		for i, line := range cmdLines {
			if i < len(cmdLines)-1 {
				line += " \\"
			}
			if i > 0 {
				line = "    " + line
			}
			say(line)
		}
		say("")
		if err := g.write(rep); err != nil {
			return err
		}
	}
	say("")
	for _, line := range fold("Try it yourself: smtptool demo -v shows every SMTP transcript; --format json shows the JSON.", 78) {
		say(line)
	}
	return nil
}

// labFlags are the flags that point a command at the lab: its resolver,
// its DNSSEC trust anchor and, for the commands that use them, its CA
// (SSL_CERT_FILE, which lab serve prints, does the same) and the port of
// its HTTPS host.
func labFlags(l *lab.Lab, anchor, args string) string {
	flags := "--resolver " + l.DNS.Addr + " --trust-anchor " + anchor
	if strings.HasPrefix(args, "check ") {
		flags += fmt.Sprintf(" --mta-sts-port %d", l.HTTPSPort)
	}
	return flags
}

// fold breaks text at spaces into lines of at most width columns.
func fold(text string, width int) []string {
	var lines []string
	cur := ""
	for _, w := range strings.Fields(text) {
		if cur != "" && len(cur)+1+len(w) > width {
			lines = append(lines, cur)
			cur = ""
		}
		if cur != "" {
			cur += " "
		}
		cur += w
	}
	return append(lines, cur)
}
