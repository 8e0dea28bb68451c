package scan_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/smtptool/smtptool/dns"
	"github.com/smtptool/smtptool/dns/dnstest"
	"github.com/smtptool/smtptool/dns/validate"
	"github.com/smtptool/smtptool/lab"
	"github.com/smtptool/smtptool/lab/labtest"
	"github.com/smtptool/smtptool/report"
	"github.com/smtptool/smtptool/scan"
)

func options(l *lab.Lab, r *dns.Client) scan.Options {
	return scan.Options{AllowPrivate: true, BlocklistPrivate: true, RootCAs: l.CA.Pool, MTASTSPort: l.HTTPSPort, Timeout: 5 * time.Second,
		Validator: validate.New(r, l.DNS.Zone.TrustAnchors(), nil)}
}

// A well-configured domain is clean on every check, and the whole check
// asks no DNS question twice.
func TestGoodDomainIsCleanAndNothingIsAskedTwice(t *testing.T) {
	l, r := labtest.ForTest(t, 2*time.Second)
	rep := scan.Domain(context.Background(), r, "good.test", options(l, r))
	if report.Judge(report.Info, rep) != report.Clean || rep.Status() != report.StatusOK {
		for _, c := range rep.Checks {
			for _, f := range c.Findings {
				t.Errorf("%s: %s %s", c.Name, f.ID, f.Message)
			}
		}
	}
	if len(rep.Checks) != 13 {
		t.Errorf("%d checks", len(rep.Checks))
	}
	for q, n := range l.DNS.Asked() {
		if n > 1 {
			t.Errorf("%s asked %d times", q, n)
		}
	}
}

// BenchmarkCheckWithLatency runs check on a typical domain (two MX hosts,
// SPF with nested includes, DMARC with an external report address, DKIM,
// TLS-RPT, MTA-STS, BIMI, DANE, blocklists) with 100 ms added to every DNS
// answer. Its longest chain of dependent lookups is MX → A → PTR → A, 4
// round trips (0.4 s); chain-x reports the run's time in those units (the
// goal is ≤ 1.3). A tool that asks one thing at a time needs tens of seconds.
//
// smtptool's own DNSSEC validation (good.test is signed below the lab's
// signed test. and root) starts with the MX question and fetches each
// zone's DS and DNSKEY at once, so it adds no round trip to that chain;
// "ad-bit" is the same check trusting the resolver's AD bit instead.
func BenchmarkCheckWithLatency(b *testing.B) {
	l, _ := labtest.ForTest(b, 5*time.Second)
	l.DNS.SetDelay(100 * time.Millisecond)
	const chain = 400 * time.Millisecond
	for _, validated := range []bool{true, false} {
		name := "validated"
		if !validated {
			name = "ad-bit"
		}
		b.Run(name, func(b *testing.B) {
			var total time.Duration
			for b.Loop() {
				r, err := l.Resolver(5 * time.Second) // a fresh cache each run
				if err != nil {
					b.Fatal(err)
				}
				o := options(l, r)
				if !validated {
					o.Validator = nil
				}
				start := time.Now()
				rep := scan.Domain(context.Background(), r, "good.test", o)
				total += time.Since(start)
				if rep.Status() != report.StatusOK {
					b.Fatalf("good.test is not clean: %s", rep.Status())
				}
			}
			b.ReportMetric(float64(total)/float64(b.N)/float64(chain), "chain-x")
		})
	}
}

// A domain that does not exist costs one question and gets one finding;
// every other check says it was skipped (RFC 8020 §2: nothing exists
// below it).
func TestNonexistentDomainIsOneFinding(t *testing.T) {
	m := dnstest.New(`other.test. 300 A 192.0.2.1`)
	rep := scan.Domain(context.Background(), m, "nxdomain.test", scan.Options{})
	if got := report.IDs(rep.Findings()...); got != "domain.nxdomain" {
		t.Errorf("findings %q", got)
	}
	// One question (the resolver's cache answers mx.Check's asking again).
	if q := slices.Compact(m.Queries()); len(q) != 1 || q[0] != "MX nxdomain.test." {
		t.Errorf("queries %q", q)
	}
	skipped := 0
	for _, c := range rep.Checks[1:] {
		if s, ok := c.Data.(report.Skipped); ok && s.Reason != "" && len(c.Findings) == 0 {
			skipped++
		}
	}
	if skipped != len(rep.Checks)-1 || len(rep.Checks) < 9 {
		t.Errorf("%d of %d checks skipped", skipped, len(rep.Checks))
	}
	var b strings.Builder
	report.WriteText(&b, report.TextOptions{}, rep)
	if !strings.Contains(b.String(), "skipped: the domain does not exist") || strings.Contains(b.String(), "dmarc.missing") {
		t.Errorf("text:\n%s", b.String())
	}
}

// Each DNSSEC and DANE scenario of the lab gets exactly its findings from
// the dnssec and dane checks, by smtptool's own validation.
func TestDNSSECAndDANEScenarios(t *testing.T) {
	l, r := labtest.ForTest(t, 2*time.Second)
	for domain, want := range map[string]string{
		"good.test":                "",
		"nomx.test":                "dnssec.unsigned",
		"dnssec-bogus.test":        "dnssec.bogus",
		"dnssec-expired.test":      "dnssec.bogus",
		"dnssec-expiring.test":     "dnssec.expiring",
		"dnssec-dsmismatch.test":   "dnssec.bogus",
		"dnssec-nodnskey.test":     "dnssec.bogus",
		"dnssec-sha1.test":         "dnssec.algorithm-deprecated",
		"dnssec-optout.test":       "",
		"child.dnssec-optout.test": "dnssec.unsigned dane.mx-insecure",
		"dane-pkix.test":           "dane.pkix-usage",
		"dane-only.test":           "dane.rollover",
		"dane-rollover.test":       "",
		"dane-bogus.test":          "dane.tlsa-bogus",
		"dane-insecure-mx.test":    "dnssec.unsigned dane.mx-insecure",
		"dane-partial.test":        "dane.partial",
	} {
		t.Run(domain, func(t *testing.T) {
			rep := scan.Domain(context.Background(), r, domain, options(l, r))
			var got []string
			for _, c := range rep.Checks {
				if c.Name == "dnssec" || c.Name == "dane" {
					for _, f := range c.Findings {
						got = append(got, f.ID)
					}
				}
			}
			if strings.Join(got, " ") != want {
				t.Errorf("got %q, want %q", got, want)
				for _, c := range rep.Checks {
					for _, f := range c.Findings {
						t.Logf("%s: %s %s", c.Name, f.ID, f.Message)
					}
				}
			}
		})
	}
}

// A resolver that does not validate is told apart from an unsigned zone:
// the validator finds good.test secure, the resolver sets no AD bit.
func TestNonValidatingResolver(t *testing.T) {
	l, r := labtest.ForTest(t, 2*time.Second)
	l.DNS.Zone.SetValidating(false)
	rep := scan.Domain(context.Background(), r, "good.test", options(l, r))
	for _, c := range rep.Checks {
		if c.Name == "dnssec" && report.IDs(c.Findings...) != "dnssec.resolver-not-validating" {
			t.Errorf("%+v", c.Findings)
		}
	}
}
