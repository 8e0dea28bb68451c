package cmd_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/smtptool/smtptool/lab/labtest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// The text each command prints against the lab, kept in testdata/*.golden
// (go test ./cmd -run Golden -update rewrites them). What changes from run
// to run — ports, timings, dates, certificate hashes — is masked.
func TestTextOutputGolden(t *testing.T) {
	l, _ := labtest.ForTest(t, time.Second)
	ca := caFile(t, l)
	port := fmt.Sprint(l.Port)
	lab := []string{"--resolver", l.DNS.Addr, "--trust-anchor", anchorFile(t, l), "--timeout", "2s"}
	for name, args := range map[string][]string{
		"mx":        {"mx", "good.test", "cname.test", "nullmx.test", "--allow-private"},
		"spf":       {"spf", "spf-lookups.test", "good.test"},
		"spf-ip":    {"spf", "good.test", "--ip", "192.0.2.7"},
		"dmarc":     {"dmarc", "good.test", "dmarc-none.test", "sub.dmarc-inherit.test"},
		"dkim":      {"dkim", "good.test", "--selector", "google", "--selector", "nosuch"},
		"blacklist": {"blacklist", "127.0.0.2", "--allow-private"},
		"explain":   {"explain", "550-5.7.26 Unauthenticated email from example.com is not accepted due to domain's DMARC policy"},
		"probe":     {"probe", "mx1.good.test:" + port, "--ca-file", ca, "--helo", "golden.test", "--from", "a@golden.test", "--rcpt", "alice@good.test", "--rcpt", "nobody@good.test"},
		"check":     {"check", "nomx.test", "--allow-private", "--blocklist-private", "--mta-sts-port", fmt.Sprint(l.HTTPSPort), "--ca-file", ca},
	} {
		t.Run(name, func(t *testing.T) {
			r := run(t, nil, "", false, append(args, lab...)...)
			goldenText(t, name, mask(r.out, l.DNS.Addr, port))
		})
	}
}

var masks = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\d+\.\d ms`), "N ms"},
	{regexp.MustCompile(`\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?`), "DATE"},
	{regexp.MustCompile(`\(in \d+ days?\)|\(\d+ days?\)`), "(N days)"},
	{regexp.MustCompile(`\b[0-9a-f]{64}\b`), "HEX"},
	{regexp.MustCompile(`\b[0-9a-f]{20,}…`), "HEX…"},
	// The TLS 1.3 suite depends on the machine's AES support, and with it
	// the width of the probe table's columns: columns are compared by
	// content, two spaces apart, not by their padding.
	{regexp.MustCompile(`TLS_[A-Z0-9_]+`), "CIPHER"},
	{regexp.MustCompile(`(\S)   +`), "$1  "},
}

func mask(s, dnsAddr, port string) string {
	s = strings.ReplaceAll(s, dnsAddr, "DNS")
	s = strings.ReplaceAll(s, ":"+port, ":PORT")
	s = strings.ReplaceAll(s, "_"+port+"._tcp", "_PORT._tcp")
	for _, m := range masks {
		s = m.re.ReplaceAllString(s, m.with)
	}
	return s
}

func goldenText(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./cmd -run Golden -update writes it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from %s (go test ./cmd -run Golden -update rewrites it):\n%s", name, path, got)
	}
}
