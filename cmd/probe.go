package cmd

import (
	"context"
	"crypto/x509"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/smtptool/smtptool/check/mx"
	"github.com/smtptool/smtptool/probe"
	"github.com/smtptool/smtptool/report"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// relayTestRcpt is the foreign recipient of --relay-test: example.net is
// reserved (RFC 2606), so nothing is ever delivered to it.
const relayTestRcpt = "smtptool-relay-test@example.net"

type probeOptions struct {
	Targets      []string
	Port         int
	TLS          bool
	StartTLS     string
	Helo         string
	From         string
	FromSet      bool
	Rcpts        []string
	AuthUser     string
	PasswordFile string
	AuthMech     string
	InsecureAuth bool
	QuitAfter    string
	IPv4, IPv6   bool
	AllMX        bool
	DataFile     string
	RelayTest    bool
	AllowPrivate bool
	CAFile       string
	TLSScan      bool
}

// newProbeCmd builds the command; runF, when set, replaces runProbe so that a
// test can check what the flags parse to.
func newProbeCmd(g *Global, runF func(context.Context, *probeOptions) error) *cobra.Command {
	if runF == nil {
		runF = func(ctx context.Context, o *probeOptions) error { return runProbe(ctx, g, o) }
	}
	o := &probeOptions{}
	c := &cobra.Command{
		Use:   "probe TARGET...",
		Short: "walk an SMTP session: connect, banner, EHLO, STARTTLS, EHLO, AUTH, MAIL, RCPT, QUIT",
		Long: `Walks an SMTP session step by step and shows each step's command, reply and
time, the TLS session and certificate chain, and what every refusal means.

TARGET is a domain (its MX hosts in preference order, stopping at the first
that answers; --all-mx walks all), host:port, an IP address, or [v6]:port.

Safe by default: no DATA unless --data is given, no AUTH without TLS unless
--insecure-auth, and every session ends with QUIT (RSET first after MAIL).
The password for --auth-user comes from SMTPTOOL_PASSWORD, --auth-password-file
or a prompt; it is never printed.`,
		Example: `  smtptool probe example.com
  smtptool probe mail.example.com:587 --auth-user me@example.com
  smtptool probe 192.0.2.25 --from me@example.org --rcpt you@example.com -v`,
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: noFiles,
		RunE: func(c *cobra.Command, args []string) error {
			o.Targets = args
			o.FromSet = c.Flags().Changed("from")
			return runF(c.Context(), o)
		},
	}
	f := c.Flags()
	f.IntVar(&o.Port, "port", 25, "port for targets without one (465 means implicit TLS)")
	f.BoolVar(&o.TLS, "tls", false, "implicit TLS from the first byte (SMTPS, as on port 465)")
	f.StringVar(&o.StartTLS, "starttls", "auto", "auto (use when offered), require (stop without it) or never")
	f.StringVar(&o.Helo, "helo", "", "`NAME` to send with EHLO/HELO (default: this host's name when it is a domain, else localhost; the transcript shows it)")
	f.StringVar(&o.From, "from", "", "MAIL FROM address (empty: the null sender <>)")
	f.StringArrayVar(&o.Rcpts, "rcpt", nil, "RCPT TO address (repeatable)")
	f.StringVar(&o.AuthUser, "auth-user", "", "authenticate as this user (password from SMTPTOOL_PASSWORD, --auth-password-file or a prompt)")
	f.StringVar(&o.PasswordFile, "auth-password-file", "", "read the password from the first line of this file")
	f.StringVar(&o.AuthMech, "auth-mech", "", "PLAIN, LOGIN, CRAM-MD5 or XOAUTH2 (default: the best one offered)")
	f.BoolVar(&o.InsecureAuth, "insecure-auth", false, "allow AUTH on an unencrypted connection")
	f.StringVar(&o.QuitAfter, "quit-after", "", "stop after a step: "+strings.Join(probe.QuitAfterSteps, "|"))
	f.BoolVarP(&o.IPv4, "ipv4", "4", false, "connect over IPv4 only")
	f.BoolVarP(&o.IPv6, "ipv6", "6", false, "connect over IPv6 only")
	f.BoolVar(&o.AllMX, "all-mx", false, "walk every MX host at once, not only the first that answers")
	f.StringVar(&o.DataFile, "data", "", "send this message file with DATA (- for stdin): a real delivery")
	f.BoolVar(&o.RelayTest, "relay-test", false, "also try a recipient in a foreign domain ("+relayTestRcpt+") to detect an open relay")
	f.BoolVar(&o.AllowPrivate, "allow-private", false, "accept loopback, private and reserved MX addresses")
	f.StringVar(&o.CAFile, "ca-file", "", "trust the CA certificates in this PEM file instead of the system's (an internal CA)")
	f.BoolVar(&o.TLSScan, "tls-scan", false, "also try a few handshakes offering only RC4, 3DES, static RSA, TLS 1.0 and TLS 1.1, to see what the server accepts")
	completeWords(c, "starttls", "auto", "require", "never")
	completeWords(c, "quit-after", probe.QuitAfterSteps...)
	completeWords(c, "auth-mech", probe.Mechanisms...)
	return c
}

func runProbe(ctx context.Context, g *Global, o *probeOptions) error {
	ro, err := o.runOptions(ctx, g)
	if err != nil {
		return err
	}
	for _, t := range o.Targets {
		pt, err := probe.ParseTarget(t)
		if err == nil {
			err = pt.Fits(ro.Network)
		}
		if err != nil {
			return &exitError{ExitUsage, err}
		}
	}
	r, err := g.resolver()
	if err != nil {
		return err
	}
	ro.Validator = g.validator(r)
	outcome := report.Clean
	for _, t := range o.Targets {
		rep, err := probe.Run(ctx, r, t, ro)
		if err != nil {
			return &exitError{ExitUsage, err}
		}
		if err := g.write(rep); err != nil {
			return err
		}
		outcome = max(outcome, report.Judge(g.failOn(), rep))
	}
	return exitFor(outcome)
}

func (o *probeOptions) runOptions(ctx context.Context, g *Global) (probe.RunOptions, error) {
	ro := probe.RunOptions{
		Options: probe.Options{
			Helo: o.Helo, From: o.From, Rcpts: o.Rcpts, Mail: o.FromSet,
			StartTLS: probe.StartTLS(o.StartTLS), ImplicitTLS: o.TLS,
			InsecureAuth: o.InsecureAuth, QuitAfter: o.QuitAfter, Timeout: g.Timeout, TLSScan: o.TLSScan,
		},
		Port: o.Port, AllMX: o.AllMX, Network: "tcp",
		MX: mx.Options{AllowPrivate: o.AllowPrivate},
	}
	switch {
	case !slices.Contains([]string{"auto", "require", "never"}, o.StartTLS):
		return ro, usageError("--starttls must be auto, require or never")
	case o.QuitAfter != "" && !slices.Contains(probe.QuitAfterSteps, o.QuitAfter):
		return ro, usageError("--quit-after must be one of %s", strings.Join(probe.QuitAfterSteps, ", "))
	case o.IPv4 && o.IPv6:
		return ro, usageError("-4 and -6 exclude each other")
	case o.Port < 1 || o.Port > 65535:
		return ro, usageError("--port must be 1-65535")
	case o.TLS && o.StartTLS == "require":
		return ro, usageError("--tls and --starttls require exclude each other")
	case o.AuthMech != "" && !slices.Contains(probe.Mechanisms, strings.ToUpper(o.AuthMech)):
		return ro, usageError("--auth-mech must be one of %s", strings.Join(probe.Mechanisms, ", "))
	}
	// Every address is checked before connecting: nothing a user gives may
	// end a command line and start another.
	if o.Helo != "" {
		if err := probe.ValidHelo(o.Helo); err != nil {
			return ro, usageError("--helo: %v", err)
		}
	}
	if o.From != "" {
		if err := probe.ValidMailbox(o.From); err != nil {
			return ro, usageError("--from: %v", err)
		}
	}
	for _, to := range o.Rcpts {
		if err := probe.ValidMailbox(to); err != nil {
			return ro, usageError("--rcpt: %v", err)
		}
	}
	if o.IPv4 {
		ro.Network = "tcp4"
	} else if o.IPv6 {
		ro.Network = "tcp6"
	}
	if ro.Helo == "" {
		ro.Helo = defaultHelo()
	}
	if o.CAFile != "" {
		pem, err := readInput(ctx, g.io, o.CAFile, maxCerts)
		if err != nil {
			return ro, usageError("--ca-file: %v", err)
		}
		ro.RootCAs = x509.NewCertPool()
		if !ro.RootCAs.AppendCertsFromPEM(pem) {
			return ro, usageError("--ca-file: no PEM certificate in %s", o.CAFile)
		}
	}
	if o.RelayTest {
		ro.RelayRcpt = relayTestRcpt
	}
	if o.AuthUser != "" {
		pw, err := password(ctx, g.io, o.PasswordFile)
		if err != nil {
			return ro, err
		}
		ro.Auth = &probe.Auth{User: o.AuthUser, Password: pw, Mech: o.AuthMech}
	} else if o.PasswordFile != "" || o.AuthMech != "" {
		return ro, usageError("--auth-password-file and --auth-mech need --auth-user")
	}
	if o.DataFile != "" {
		if len(o.Rcpts) == 0 {
			return ro, usageError("--data needs at least one --rcpt")
		}
		data, err := openMessage(ctx, g.io, o.DataFile)
		if err != nil {
			return ro, usageError("--data: %v", err)
		}
		ro.Data = data
	}
	return ro, nil
}

// password takes the password from SMTPTOOL_PASSWORD, a file, or a no-echo
// prompt on a terminal — never from a flag value, which would show in ps.
func password(ctx context.Context, ios *IOStreams, file string) (string, error) {
	if file != "" {
		b, err := readInput(ctx, ios, file, maxPassword)
		if err != nil {
			return "", usageError("--auth-password-file: %v", err)
		}
		first, _, _ := strings.Cut(string(b), "\n")
		return strings.TrimRight(first, "\r"), nil
	}
	if pw := ios.Getenv("SMTPTOOL_PASSWORD"); pw != "" {
		return pw, nil
	}
	if !ios.InTTY || ios.ReadPassword == nil {
		return "", usageError("--auth-user needs a password: set SMTPTOOL_PASSWORD or use --auth-password-file")
	}
	fmt.Fprint(ios.ErrOut, "Password: ")
	// Ctrl-C at the prompt ends the run; the terminal gets its echo back.
	restore := func() {}
	if ios.RestoreTerminal != nil {
		restore = ios.RestoreTerminal()
	}
	pw, err := interruptible(ctx, ios.ReadPassword, restore)
	fmt.Fprintln(ios.ErrOut)
	if err != nil {
		return "", usageError("reading the password: %v", err)
	}
	return string(pw), nil
}

func readPasswordFromTerminal() ([]byte, error) { return term.ReadPassword(int(os.Stdin.Fd())) }

// saveTerminal records the terminal's state and returns what puts it back.
func saveTerminal() func() {
	fd := int(os.Stdin.Fd())
	st, err := term.GetState(fd)
	if err != nil {
		return func() {}
	}
	return func() { term.Restore(fd, st) }
}

func defaultHelo() string {
	if h, err := os.Hostname(); err == nil && strings.Contains(h, ".") && probe.ValidHelo(h) == nil {
		return h
	}
	return "localhost"
}
