package cmd

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/smtptool/smtptool/lab"
	"github.com/spf13/cobra"
)

func newLabCmd(g *Global) *cobra.Command {
	c := &cobra.Command{
		Use:   "lab",
		Short: "the offline lab of the demo and the tests",
	}
	c.AddCommand(&cobra.Command{
		Use:   "serve",
		Short: "keep the offline lab up and print the flags and environment to use it",
		Long: `Starts the offline lab — a DNS server, two dozen SMTP servers on 127.0.0.x and
an HTTPS host for MTA-STS and BIMI, all on loopback — and keeps it up until
Ctrl-C. It prints what to paste so that every command of the README and the
demo can be tried by hand: the environment (SSL_CERT_FILE trusts the lab's
CA) and the flags (--resolver, --trust-anchor for the lab's own DNSSEC root
key, --port, --mta-sts-port).`,
		Example: "  smtptool lab serve\n  # then, in another shell, what it printed, e.g.:\n  smtptool probe mx1.good.test --port 2525 --resolver 127.0.0.1:5353",
		Args:    cobra.NoArgs,
		RunE:    func(c *cobra.Command, _ []string) error { return runLabServe(c.Context(), g) },
	})
	return c
}

func runLabServe(ctx context.Context, g *Global) error {
	l, err := lab.Start(lab.Options{})
	if err != nil {
		return failure(fmt.Errorf("starting the lab: %w", err))
	}
	defer l.Close()
	dir, err := os.MkdirTemp("", "smtptool-lab-")
	if err != nil {
		return failure(err)
	}
	defer os.RemoveAll(dir)
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, l.CA.PEM(), 0o644); err != nil {
		return failure(err)
	}
	anchor := filepath.Join(dir, "lab-anchor.ds")
	if err := l.WriteTrustAnchor(anchor); err != nil {
		return failure(err)
	}
	w := g.io.Out
	fmt.Fprintf(w, "The smtptool lab is up: DNS on %s, SMTP on 127.0.0.x port %d (implicit TLS on %d), HTTPS on %s:%d.\n",
		l.DNS.Addr, l.Port, l.TLSPort, lab.HTTPSIP, l.HTTPSPort)
	fmt.Fprintln(w, "Paste this into another shell; Ctrl-C here stops the lab.")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "export SSL_CERT_FILE=%s\n", ca)
	fmt.Fprintf(w, "LAB='--resolver %s --trust-anchor %s'\n", l.DNS.Addr, anchor)
	fmt.Fprintf(w, "PORT=%d\n", l.Port)
	fmt.Fprintf(w, "MTASTS='--mta-sts-port %d'\n", l.HTTPSPort)
	fmt.Fprintln(w)
	fmt.Fprintln(w, "# for example:")
	fmt.Fprintln(w, "smtptool mx good.test --allow-private $LAB")
	fmt.Fprintln(w, "smtptool probe good.test --port $PORT --allow-private --from a@example.test --rcpt alice@good.test $LAB")
	fmt.Fprintln(w, "smtptool check good.test --probe --port $PORT --allow-private --blocklist-private $MTASTS $LAB")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "# the lab's hosts:")
	for _, h := range lab.Hosts {
		fmt.Fprintf(w, "#   %-22s %-12s %s\n", h.Name, h.IP, h.About)
	}
	<-ctx.Done()
	return nil
}
