// Package cmd is smtptool's command line: one file per command, each an
// options struct filled from flags and a run function that does the work
// through check/, probe/ and explain/ and renders report values. Nothing
// here exits: Main returns the exit code for main to use.
package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"time"

	mdns "github.com/miekg/dns"
	"github.com/smtptool/smtptool/dns"
	"github.com/smtptool/smtptool/dns/validate"
	"github.com/smtptool/smtptool/report"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// ExitCode is the process's exit status, a contract (DESIGN.md).
type ExitCode int

// Exit codes.
const (
	ExitOK       ExitCode = 0 // nothing at or above --fail-on
	ExitFindings ExitCode = 1 // a finding at or above --fail-on
	ExitUsage    ExitCode = 2 // bad usage or bad input
	ExitFailure  ExitCode = 3 // the tool could not do its job
	// ExitInterrupted is Ctrl-C (128 + SIGINT, as shells report it).
	ExitInterrupted ExitCode = 130
)

// errInterrupted ends a command that was interrupted.
var errInterrupted = errors.New("interrupted")

// exitError carries an exit code out of a command. A nil err means the
// output already says everything (findings were printed).
type exitError struct {
	code ExitCode
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

func usageError(format string, args ...any) error {
	return &exitError{ExitUsage, fmt.Errorf(format, args...)}
}

func failure(err error) error { return &exitError{ExitFailure, err} }

// IOStreams are where a command reads and writes; tests use buffers.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// OutTTY, InTTY and ErrTTY say whether stdout, stdin and stderr are terminals.
	OutTTY, InTTY, ErrTTY bool
	// Getenv reads the environment (os.Getenv by default).
	Getenv func(string) string
	// Width is stdout's terminal width; 0 (a pipe) means 80 columns.
	Width int
	// ReadPassword reads a password without echo from the terminal.
	ReadPassword func() ([]byte, error)
	// RestoreTerminal saves the terminal's state and returns what restores
	// it (after an interrupted password prompt); nil does nothing.
	RestoreTerminal func() func()
}

// System returns the process's streams.
func System() *IOStreams {
	width := 0
	if w, _, err := term.GetSize(int(os.Stdout.Fd())); err == nil {
		width = w
	}
	return &IOStreams{
		Width: width,
		In:    os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		OutTTY:       term.IsTerminal(int(os.Stdout.Fd())),
		InTTY:        term.IsTerminal(int(os.Stdin.Fd())),
		ErrTTY:       term.IsTerminal(int(os.Stderr.Fd())),
		Getenv:       os.Getenv,
		ReadPassword: readPasswordFromTerminal, RestoreTerminal: saveTerminal,
	}
}

// Global holds the flags every command has.
type Global struct {
	Resolvers   []string
	TrustAnchor string
	anchors     []mdns.RR // read from TrustAnchor
	Timeout     time.Duration
	InFlight    int
	Format      string
	NoColor     bool
	Verbose     bool
	FailOn      string

	io *IOStreams
	// errMu orders the lines -v writes on stderr from many goroutines.
	errMu sync.Mutex
}

// NewRoot builds the command tree on the given streams.
func NewRoot(ios *IOStreams) *cobra.Command {
	g := &Global{io: ios}
	root := &cobra.Command{
		Use:   "smtptool",
		Short: "SMTP and mail-DNS diagnostics: MX, SMTP sessions, TLS, and what replies mean",
		Long: `smtptool answers where mail for a domain goes, whether those servers talk,
whether their TLS is right, and what a reply code means.

Exit codes: 0 nothing at or above --fail-on, 1 a finding at or above it,
2 bad usage or input, 3 no verdict (a lookup or connection failed, nothing certain
at or above --fail-on), 130 interrupted.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       versionString(),
		PersistentPreRunE: func(c *cobra.Command, _ []string) error {
			if err := g.validate(c); err != nil {
				return err
			}
			if c.Name() != "check" {
				return g.onlyStreams(c.Name())
			}
			return nil
		},
	}
	root.SetIn(ios.In)
	root.SetOut(ios.Out)
	root.SetErr(ios.ErrOut)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &exitError{ExitUsage, fmt.Errorf("%w\nRun '%s --help' for usage.", err, c.CommandPath())}
	})
	f := root.PersistentFlags()
	f.StringSliceVar(&g.Resolvers, "resolver", nil, "DNS resolver `IP[:PORT]` to ask, and nothing else (repeatable; default: the system's, from /etc/resolv.conf)")
	f.StringVar(&g.TrustAnchor, "trust-anchor", "", "DNSSEC trust anchors to validate from instead of IANA's root keys: a `FILE` of DS or DNSKEY records (zone-file form), for labs and private roots")
	f.DurationVar(&g.Timeout, "timeout", 10*time.Second, "time allowed for each network operation, a `DURATION` such as 10s or 2m")
	f.IntVar(&g.InFlight, "dns-in-flight", dns.DefaultMaxInFlight, "most DNS questions on the network at once, for the whole run (`N`)")
	f.StringVar(&g.Format, "format", "text", "output `FORMAT`: text or json (JSON Lines, one object per target); check also sarif and junit")
	f.BoolVar(&g.NoColor, "no-color", false, "never colour the output (NO_COLOR, CLICOLOR=0 and TERM=dumb too)")
	f.BoolVarP(&g.Verbose, "verbose", "v", false, "every DNS query on stderr; probe and check --probe also show the SMTP transcript")
	f.StringVar(&g.FailOn, "fail-on", "error", "exit 1 when a finding is at or above this `SEVERITY`: info, warning or error")
	completeWords(root, "format", "text", "json", "sarif", "junit")
	completeWords(root, "fail-on", "info", "warning", "error")

	root.AddCommand(newMXCmd(g, nil), newProbeCmd(g, nil), newSPFCmd(g, nil), newDMARCCmd(g, nil), newDKIMCmd(g, nil), newBlacklistCmd(g, nil),
		newCheckCmd(g, nil), newMessageCmd(g, nil), newExplainCmd(g, nil), newFindingsCmd(g, nil), newDemoCmd(g), newLabCmd(g), newVersionCmd(g), newManCmd(),
		environmentTopic)
	return root
}

// environmentTopic is `smtptool help environment`, as gh has.
var environmentTopic = &cobra.Command{
	Use:   "environment",
	Short: "the environment variables smtptool reads",
	Long: `SMTPTOOL_PASSWORD   the password for probe --auth-user (never a flag value)
NO_COLOR            any value: never colour the output (no-color.org)
CLICOLOR            0: never colour the output
CLICOLOR_FORCE      1 (any value but 0): colour even when stdout is no terminal
TERM                dumb: never colour the output
SSL_CERT_FILE       a PEM file of CA certificates to trust instead of the system's
                    (probe, check --probe, MTA-STS and BIMI fetches; smtptool lab
                    serve prints the lab's)
SSL_CERT_DIR        a directory of such files`,
}

// completeWords completes a flag from a fixed list, without files.
func completeWords(c *cobra.Command, flag string, words ...string) {
	c.RegisterFlagCompletionFunc(flag, func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return words, cobra.ShellCompDirectiveNoFileComp
	})
}

// noFiles is the completion of arguments that are domains or addresses:
// nothing to offer, and no file names.
func noFiles(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return nil, cobra.ShellCompDirectiveNoFileComp
}

func (g *Global) validate(c *cobra.Command) error {
	switch g.Format {
	case "text", "json", "sarif", "junit":
	default:
		return usageError("--format must be text, json, sarif or junit, not %q", g.Format)
	}
	if g.Timeout <= 0 {
		return usageError("--timeout must be positive")
	}
	if g.InFlight < 1 {
		return usageError("--dns-in-flight must be at least 1")
	}
	if _, err := report.ParseSeverity(g.FailOn); err != nil {
		return usageError("--fail-on: %v", err)
	}
	if c.Flags().Changed("resolver") && len(g.Resolvers) == 0 {
		// An unset variable in CI: never fall back to the system's resolvers.
		return usageError("--resolver: empty; give an IP address with an optional port")
	}
	for _, r := range g.Resolvers {
		if _, err := dns.ParseServer(r); err != nil {
			return usageError("--resolver: %v", err)
		}
	}
	if g.TrustAnchor != "" {
		f, err := os.Open(g.TrustAnchor)
		if err != nil {
			return usageError("--trust-anchor: %v", err)
		}
		defer f.Close()
		if g.anchors, err = validate.ReadAnchors(io.LimitReader(f, 1<<20), g.TrustAnchor); err != nil {
			return usageError("--trust-anchor: %v", err)
		}
	}
	return nil
}

// validator is the run's one DNSSEC validator, asking through r and
// trusting --trust-anchor's keys or IANA's.
func (g *Global) validator(r *dns.Client) *validate.Validator {
	return validate.New(r, g.anchors, nil)
}

// resolver builds the run's one DNS client, for the servers of --resolver
// (or the system's).
func (g *Global) resolver() (*dns.Client, error) {
	var servers []string
	for _, r := range g.Resolvers {
		s, _ := dns.ParseServer(r)
		servers = append(servers, s)
	}
	return g.resolverAt(servers)
}

// resolverAt builds a DNS client for the given servers (none: the
// system's), with -v's trace.
func (g *Global) resolverAt(servers []string) (*dns.Client, error) {
	cfg := dns.Config{Timeout: g.Timeout, Servers: servers, MaxInFlight: g.InFlight}
	if g.Verbose {
		w := g.stderr()
		cfg.Trace = func(server, q string, rtt time.Duration, rcode string, err error) {
			if err != nil {
				fmt.Fprintf(w, ";; %s @%s: %s\n", report.Escape(q), server, report.Escape(err.Error()))
				return
			}
			fmt.Fprintf(w, ";; %s @%s: %s in %.1f ms\n", report.Escape(q), server, rcode, float64(rtt.Microseconds())/1000)
		}
	}
	r, err := dns.New(cfg)
	if err != nil {
		return nil, failure(err)
	}
	return r, nil
}

// stderr is the error stream for what several goroutines write at once
// (-v's query trace, the per-domain counts, the progress bar): each write
// whole, in turn.
func (g *Global) stderr() io.Writer { return lockedWriter{&g.errMu, g.io.ErrOut} }

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// printer is a text printer on stdout, for output that is no report.
func (g *Global) printer() *report.Printer {
	p := report.NewPrinter(g.io.Out, g.color())
	p.Width = g.io.Width
	return p
}

// color decides once whether to colour: only on a terminal, never with
// --no-color, NO_COLOR (no-color.org), CLICOLOR=0 or TERM=dumb;
// CLICOLOR_FORCE forces it.
func (g *Global) color() bool {
	if g.Format != "text" || g.NoColor || g.io.Getenv("NO_COLOR") != "" || g.io.Getenv("CLICOLOR") == "0" || g.io.Getenv("TERM") == "dumb" {
		return false
	}
	if v := g.io.Getenv("CLICOLOR_FORCE"); v != "" && v != "0" {
		return true
	}
	return g.io.OutTTY
}

// render writes the reports and returns the exit status they call for.
func (g *Global) render(reports ...*report.Report) error {
	if err := g.write(reports...); err != nil {
		return err
	}
	return g.status(reports...)
}

// write writes reports in the chosen format; SARIF and JUnit are whole
// documents, so they get every report at once.
func (g *Global) write(reports ...*report.Report) error {
	for _, r := range reports {
		if r.Unicode == "" {
			r.Unicode = dns.Unicode(r.Target)
		}
	}
	var err error
	switch g.Format {
	case "json":
		err = report.WriteJSON(g.io.Out, reports...)
	case "sarif":
		err = report.WriteSARIF(g.io.Out, sarifTool(), reports...)
	case "junit":
		err = report.WriteJUnit(g.io.Out, "smtptool", g.failOn(), reports...)
	default:
		err = report.WriteText(g.io.Out, report.TextOptions{Color: g.color(), Verbose: g.Verbose, Width: g.io.Width}, reports...)
	}
	if err != nil {
		return failure(err)
	}
	return nil
}

func sarifTool() report.Tool {
	v, _, _ := buildInfo()
	return report.Tool{Name: "smtptool", Version: v, URI: "https://github.com/smtptool/smtptool"}
}

func (g *Global) failOn() report.Severity {
	s, _ := report.ParseSeverity(g.FailOn)
	return s
}

// status is the exit status the reports call for: the one decision, for
// every command, of exit 1 (a finding at or above --fail-on), exit 3 (no
// verdict: a lookup or connection failed, and nothing certain at or above
// --fail-on was found) or 0.
func (g *Global) status(reports ...*report.Report) error {
	return exitFor(report.Judge(g.failOn(), reports...))
}

func exitFor(o report.Outcome) error {
	switch o {
	case report.Failing:
		return &exitError{code: ExitFindings}
	case report.Inconclusive:
		return &exitError{code: ExitFailure}
	}
	return nil
}

// onlyStreams refuses formats that only check supports.
func (g *Global) onlyStreams(cmd string) error {
	if g.Format == "sarif" || g.Format == "junit" {
		return usageError("--format %s is for check; %s writes text or json", g.Format, cmd)
	}
	return nil
}

// Main runs the command line and returns the exit code. The first Ctrl-C
// cancels the run (commands stop within a second and write nothing more);
// a second one ends the process at once, by the signal's default action.
func Main() ExitCode {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	defer signal.Stop(sig)
	go func() {
		if _, ok := <-sig; ok {
			signal.Reset(os.Interrupt)
			cancel(errInterrupted)
		}
	}()
	return Run(ctx, System(), os.Args[1:])
}

// Run runs one command line on the given streams.
func Run(ctx context.Context, ios *IOStreams, args []string) ExitCode {
	if ios.Getenv == nil {
		ios.Getenv = func(string) string { return "" }
	}
	root := NewRoot(ios)
	root.SetArgs(args)
	ran, err := root.ExecuteContextC(ctx)
	if ctx.Err() != nil {
		// Interrupted (or the caller gave up): whatever the command
		// returned, the run did not finish.
		fmt.Fprintln(ios.ErrOut, "smtptool: interrupted")
		return ExitInterrupted
	}
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if !errors.As(err, &ee) {
		// cobra's own errors: unknown command, wrong number of arguments.
		path := "smtptool"
		if ran != nil {
			path = ran.CommandPath()
		}
		ee = &exitError{ExitUsage, fmt.Errorf("%w\nRun '%s --help' for usage.", err, path)}
	}
	if ee.err != nil {
		// An error may quote what a server or a file said: each of its
		// lines is escaped.
		lines := strings.Split(ee.err.Error(), "\n")
		for i := range lines {
			lines[i] = report.Escape(lines[i])
		}
		fmt.Fprintln(ios.ErrOut, "smtptool:", strings.Join(lines, "\n"))
	}
	return ee.code
}
