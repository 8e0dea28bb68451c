package probe_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/smtptool/smtptool/check/mx"
	"github.com/smtptool/smtptool/dns/dnstest"
	"github.com/smtptool/smtptool/dns/validate"
	"github.com/smtptool/smtptool/lab"
	"github.com/smtptool/smtptool/lab/labtest"
	"github.com/smtptool/smtptool/probe"
	"github.com/smtptool/smtptool/report"
)

func ids(r *report.Report) string { return report.IDs(r.Findings()...) }

func options(l *lab.Lab) probe.RunOptions {
	return probe.RunOptions{
		Options: probe.Options{Helo: "probe.test", Timeout: 2 * time.Second, RootCAs: l.CA.Pool},
		Port:    l.Port,
		MX:      mx.Options{AllowPrivate: true},
	}
}

// Every lab server is wrong in exactly one way and must produce exactly
// that finding; the good ones must produce none.
func TestFindingsPerLabServer(t *testing.T) {
	l, r := labtest.ForTest(t, time.Second)
	for _, tc := range []struct {
		host string
		tune func(*probe.RunOptions)
		want string
	}{
		{"mx1.good.test", nil, ""},
		{"mx2.good.test", func(o *probe.RunOptions) {
			o.Rcpts = []string{"alice@good.test"}
			o.RelayRcpt = "someone@elsewhere.test"
		}, ""},
		{"relay.smtp.test", func(o *probe.RunOptions) { o.RelayRcpt = "someone@elsewhere.test" }, "smtp.open-relay"},
		{"notls.smtp.test", nil, "smtp.starttls-missing"},
		{"authplain.smtp.test", nil, "smtp.auth-before-tls"},
		{"expired.smtp.test", nil, "tls.cert-expired"},
		{"expiring.smtp.test", nil, "tls.cert-expiring"},
		{"selfsigned.smtp.test", nil, "tls.cert-untrusted"},
		{"wrongname.smtp.test", nil, "tls.cert-name-mismatch"},
		{"tls10.smtp.test", nil, "tls.version-old"},
		{"mismatch.smtp.test", nil, "smtp.banner-host-mismatch"},
		{"slow.smtp.test", func(o *probe.RunOptions) { o.Timeout = 10 * time.Second }, "smtp.banner-slow"},
		{"late.smtp.test", nil, "smtp.timeout"},
		{"silent.smtp.test", nil, "smtp.timeout"},
		{"endless.smtp.test", nil, "smtp.protocol-violation"},
		{"longline.smtp.test", nil, "smtp.protocol-violation"},
		{"reset.smtp.test", nil, "smtp.connection-lost"},
		{"busy.smtp.test", nil, "smtp.banner-rejected"},
		{"tlsfail.smtp.test", nil, "smtp.starttls-failed"},
		{"notavail.smtp.test", nil, "smtp.starttls-failed"},
		{"oldhelo.smtp.test", nil, "smtp.ehlo-rejected,smtp.starttls-missing"},
		{"weakkey.smtp.test", nil, "tls.key-weak"},
		{"sha1.smtp.test", nil, "tls.cert-untrusted,tls.sha1-signature"},
		{"nofs.smtp.test", nil, "tls.no-forward-secrecy"},
		{"oldciphers.smtp.test", nil, ""}, // what it also accepts shows only with --tls-scan
		{"oldciphers.smtp.test", func(o *probe.RunOptions) { o.TLSScan = true }, "tls.cipher-weak,tls.version-old"},
		{"mx1.good.test", func(o *probe.RunOptions) { o.TLSScan = true }, ""},
		{"closed.smtp.test", nil, "smtp.connect-failed"},
		{"mx.dane-bad.test", nil, "dane.mismatch"},
		{"mx1.good.test", func(o *probe.RunOptions) { o.From = "blocked@spam.test"; o.Rcpts = []string{"alice@good.test"} }, "smtp.mail-rejected"},
		{"mx1.good.test", func(o *probe.RunOptions) { o.Rcpts = []string{"alice@good.test", "nosuchuser@good.test"} }, "smtp.rcpt-rejected"},
		{"mx1.good.test", func(o *probe.RunOptions) { o.Auth = &probe.Auth{User: "alice", Password: "wrong"} }, "smtp.auth-failed"},
		{"notls.smtp.test", func(o *probe.RunOptions) { o.Auth = &probe.Auth{User: "alice", Password: "x"} }, "smtp.auth-skipped,smtp.starttls-missing"},
	} {
		t.Run(tc.host+" "+tc.want, func(t *testing.T) {
			t.Parallel()
			o := options(l)
			if tc.tune != nil {
				tc.tune(&o)
			}
			// Nothing may take much longer than the per-step timeout: a
			// hostile server cannot hold the probe. The test's own deadline
			// is the bound; reaching it means the probe outran its timeouts.
			ctx, cancel := context.WithTimeout(context.Background(), 4*o.Timeout)
			defer cancel()
			rep, err := probe.Run(ctx, r, fmt.Sprintf("%s:%d", tc.host, l.Port), o)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(rep); got != tc.want {
				t.Errorf("findings %q, want %q", got, tc.want)
				for _, c := range rep.Checks {
					for _, f := range c.Findings {
						t.Logf("  %s: %s", f.ID, f.Message)
					}
				}
			}
			labtest.CheckComplete(t, tc.host, rep.Findings()...)
			if ctx.Err() != nil {
				t.Errorf("the test's deadline (%s, with a %s per-step timeout) ended the probe", 4*o.Timeout, o.Timeout)
			}
		})
	}
}

func session(t *testing.T, rep *report.Report) *probe.Result {
	t.Helper()
	for _, c := range rep.Checks {
		if res, ok := c.Data.(*probe.Result); ok {
			return res
		}
	}
	t.Fatalf("no session in report: %+v", rep.Checks)
	return nil
}

func TestGoodSessionIsWalkedWhole(t *testing.T) {
	l, r := labtest.ForTest(t, time.Second)
	o := options(l)
	o.From, o.Rcpts = "bob@probe.test", []string{"alice@good.test"}
	rep, err := probe.Run(context.Background(), r, "good.test", o)
	if err != nil {
		t.Fatal(err)
	}
	res := session(t, rep)
	var names []string
	for _, s := range res.Steps {
		names = append(names, s.Name)
	}
	if got := strings.Join(names, " "); got != "connect banner ehlo starttls tls ehlo mail rcpt rset quit" {
		t.Fatalf("steps: %s", got)
	}
	if !strings.HasPrefix(res.Banner, "mx1.good.test") || !slices.Contains(res.EHLO, "STARTTLS") || slices.Contains(res.EHLOTLS, "STARTTLS") {
		t.Errorf("banner %q, ehlo %v, ehlo after tls %v", res.Banner, res.EHLO, res.EHLOTLS)
	}
	if !slices.ContainsFunc(res.EHLOTLS, func(e string) bool { return strings.HasPrefix(e, "AUTH ") }) || slices.ContainsFunc(res.EHLO, func(e string) bool { return strings.HasPrefix(e, "AUTH") }) {
		t.Errorf("AUTH should be offered only after TLS: before %v after %v", res.EHLO, res.EHLOTLS)
	}
	if res.TLS == nil || res.TLS.Version != "TLS 1.3" || !res.TLS.Trusted || !res.TLS.NameMatches || len(res.TLS.Chain) != 2 {
		t.Errorf("tls: %+v", res.TLS)
	}
	if l.Messages("mx1.good.test") != 0 {
		t.Error("a message was sent without --data")
	}
}

func TestAuthMechanismsAndRedaction(t *testing.T) {
	l, r := labtest.ForTest(t, time.Second)
	secret := lab.Users["alice"]
	for _, mech := range []string{"", "PLAIN", "LOGIN", "CRAM-MD5"} {
		t.Run(mech, func(t *testing.T) {
			o := options(l)
			o.Auth = &probe.Auth{User: "alice", Password: secret, Mech: mech}
			o.QuitAfter = probe.StepAuth
			rep, err := probe.Run(context.Background(), r, fmt.Sprintf("mx1.good.test:%d", l.Port), o)
			if err != nil {
				t.Fatal(err)
			}
			if ids(rep) != "" {
				t.Fatalf("findings: %v", ids(rep))
			}
			res := session(t, rep)
			last := res.Steps[len(res.Steps)-2] // before QUIT
			if last.Name != probe.StepAuth || last.Reply == nil || last.Reply.Code != 235 {
				t.Fatalf("auth step: %+v", last)
			}
			assertNoSecret(t, rep, secret)
		})
	}
}

// assertNoSecret checks that neither the password nor any base64 form of
// a credential appears anywhere in the rendered output.
func assertNoSecret(t *testing.T, rep *report.Report, secret string) {
	t.Helper()
	var b strings.Builder
	report.WriteJSON(&b, rep)
	report.WriteText(&b, report.TextOptions{Verbose: true}, rep)
	out := b.String()
	for _, bad := range []string{secret, base64.StdEncoding.EncodeToString([]byte("\x00alice\x00" + secret)), base64.StdEncoding.EncodeToString([]byte(secret))} {
		if strings.Contains(out, bad) {
			t.Fatalf("credential %q leaked into the output", bad)
		}
	}
	if !strings.Contains(out, "********") {
		t.Fatal("no redaction marker in the transcript")
	}
}

func TestDataOnlyWhenAsked(t *testing.T) {
	l, r := labtest.ForTest(t, time.Second)
	o := options(l)
	o.From, o.Rcpts = "bob@probe.test", []string{"alice@good.test"}
	o.Data = io.NewSectionReader(strings.NewReader("Subject: test\n\n.leading dot\nbody\n"), 0, 33)
	rep, err := probe.Run(context.Background(), r, fmt.Sprintf("mx1.good.test:%d", l.Port), o)
	if err != nil || ids(rep) != "" {
		t.Fatalf("%v %v", err, ids(rep))
	}
	if got := l.Messages("mx1.good.test"); got != 1 {
		t.Fatalf("messages delivered: %d, want 1", got)
	}
}

func TestImplicitTLS(t *testing.T) {
	l, r := labtest.ForTest(t, time.Second)
	o := options(l)
	o.ImplicitTLS = true
	o.Auth = &probe.Auth{User: "alice", Password: lab.Users["alice"]}
	rep, err := probe.Run(context.Background(), r, fmt.Sprintf("mx1.good.test:%d", l.TLSPort), o)
	if err != nil || ids(rep) != "" {
		t.Fatalf("%v %v", err, ids(rep))
	}
	res := session(t, rep)
	if res.Steps[1].Name != probe.StepTLS || res.TLS == nil || !res.TLS.Trusted {
		t.Fatalf("steps %+v tls %+v", res.Steps, res.TLS)
	}
}

func TestMXOrderAndFallback(t *testing.T) {
	l, r := labtest.ForTest(t, time.Second)
	rep, err := probe.Run(context.Background(), r, "fallback.test", options(l))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Checks) != 2 || !rep.Checks[0].Has("smtp.connect-failed") || rep.Checks[1].Status() != report.StatusOK {
		t.Fatalf("want closed MX then a good one: %+v", rep.Checks)
	}
	if !strings.Contains(rep.Checks[1].Name, "mx2.good.test") {
		t.Errorf("second check: %s", rep.Checks[1].Name)
	}

	o := options(l)
	o.AllMX = true
	rep, err = probe.Run(context.Background(), r, "good.test", o)
	if err != nil || len(rep.Checks) != 2 || rep.Status() != report.StatusOK {
		t.Fatalf("all-mx: %v %+v", err, rep.Checks)
	}
	if !strings.Contains(rep.Checks[0].Name, "mx1.good.test") || !strings.Contains(rep.Checks[1].Name, "mx2.good.test") {
		t.Errorf("all-mx order: %s, %s", rep.Checks[0].Name, rep.Checks[1].Name)
	}
}

func TestIPv6AndAddressTargets(t *testing.T) {
	l, r := labtest.ForTest(t, time.Second)
	o := options(l)
	o.Network = "tcp6"
	rep, err := probe.Run(context.Background(), r, "good.test", o)
	if err != nil || rep.Status() != report.StatusOK || !strings.Contains(rep.Checks[0].Name, "[::1]") {
		t.Fatalf("-6: %v %+v", err, rep.Checks)
	}
	// An address has no name to check the certificate against.
	rep, err = probe.Run(context.Background(), r, fmt.Sprintf("[::1]:%d", l.Port), options(l))
	if err != nil || rep.Status() != report.StatusOK {
		t.Fatalf("[::1]: %v %v", err, ids(rep))
	}
}

func TestQuitAfter(t *testing.T) {
	l, r := labtest.ForTest(t, time.Second)
	for step, want := range map[string]string{
		probe.StepConnect:  "connect",
		probe.StepBanner:   "connect banner quit",
		probe.StepEHLO:     "connect banner ehlo quit",
		probe.StepStartTLS: "connect banner ehlo starttls tls ehlo quit",
	} {
		o := options(l)
		o.QuitAfter = step
		o.Rcpts = []string{"alice@good.test"}
		rep, err := probe.Run(context.Background(), r, fmt.Sprintf("mx1.good.test:%d", l.Port), o)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, s := range session(t, rep).Steps {
			names = append(names, s.Name)
		}
		if got := strings.Join(names, " "); got != want {
			t.Errorf("--quit-after %s: %s, want %s", step, got, want)
		}
	}
}

func TestCancellationEndsTheWalk(t *testing.T) {
	l, r := labtest.ForTest(t, time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	o := options(l)
	o.Timeout = time.Minute
	start := time.Now()
	rep, err := probe.Run(ctx, r, fmt.Sprintf("silent.smtp.test:%d", l.Port), o)
	if err != nil || !rep.Has("smtp.timeout") {
		t.Fatalf("%v %v", err, ids(rep))
	}
	if time.Since(start) > 30*time.Second {
		t.Fatal("cancellation did not end the walk")
	}
}

func TestParseTarget(t *testing.T) {
	for in, want := range map[string]string{
		"example.com":        "example.com:0",
		"mx.example.com:587": "mx.example.com:587",
		"192.0.2.1":          "192.0.2.1:0",
		"192.0.2.1:25":       "192.0.2.1:25",
		"::1":                "::1:0",
		"[2001:db8::1]:25":   "2001:db8::1:25",
	} {
		tg, err := probe.ParseTarget(in)
		host := tg.Host
		if tg.IP.IsValid() {
			host = tg.IP.String()
		}
		if got := fmt.Sprintf("%s:%d", host, tg.Port); err != nil || got != want {
			t.Errorf("ParseTarget(%q) = %s, %v; want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "a b", "host:0", "host:99999", "user@example.com", "http://x"} {
		if _, err := probe.ParseTarget(bad); !errors.Is(err, probe.ErrBadTarget) {
			t.Errorf("ParseTarget(%q) should fail", bad)
		}
	}
}

// blackhole is a dialer on which some addresses never answer, as when a
// firewall drops the SYN: the attempt lasts until its context ends.
type blackhole struct {
	dead map[string]bool
	net.Dialer
}

func (b *blackhole) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if host, _, _ := net.SplitHostPort(addr); b.dead[host] {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return b.Dialer.DialContext(ctx, network, addr)
}

// Two silent MX hosts before a good one cost a head start each, not a
// whole timeout each (RFC 5321 §5.1 order, RFC 8305 §5 pacing); the
// silent ones are still reported.
func TestSilentMXHostsDoNotHoldUpTheGoodOne(t *testing.T) {
	l, labr := labtest.ForTest(t, time.Second)
	good, err := labr.Lookup(context.Background(), "mx1.good.test", mdns.TypeA)
	if err != nil || len(good.Records) == 0 {
		t.Fatalf("lab address: %v", err)
	}
	goodAddr := good.Records[0].(*mdns.A).A.String()
	r := dnstest.New(`
race.test.       300 MX 10 dead1.race.test.
race.test.       300 MX 20 dead2.race.test.
race.test.       300 MX 30 mx1.race.test.
dead1.race.test. 300 A 127.0.0.201
dead2.race.test. 300 A 127.0.0.202
mx1.race.test.   300 A ` + goodAddr)
	o := options(l)
	o.Timeout = time.Minute
	o.Dialer = &blackhole{dead: map[string]bool{"127.0.0.201": true, "127.0.0.202": true}}
	o.Options.StartTLS = probe.StartTLSNever
	// Far below the two minutes that waiting out each timeout would take.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rep, err := probe.Run(ctx, r, "race.test", o)
	if err != nil {
		t.Fatal(err)
	}
	if ctx.Err() != nil {
		t.Fatal("the silent hosts held the walk up to the deadline")
	}
	if len(rep.Checks) != 3 || !rep.Checks[0].Has("smtp.timeout") || !rep.Checks[1].Has("smtp.timeout") {
		t.Fatalf("want two timeouts then the good host: %v", ids(rep))
	}
	if last, ok := rep.Checks[2].Data.(*probe.Result); !ok || !last.Connected || !strings.Contains(rep.Checks[2].Name, "mx1.race.test") {
		t.Fatalf("good host not walked: %s %+v", rep.Checks[2].Name, rep.Checks[2].Data)
	}
}

// With smtptool's own DNSSEC validation, the probe judges DANE as sending
// MTAs do (RFC 7672): a DANE-EE match authenticates the host whatever its
// PKIX state (the findings stay, as information), PKIX usages are not
// used, and a bogus TLSA RRset is an error.
func TestDANEAsSendersEnforceIt(t *testing.T) {
	l, r := labtest.ForTest(t, time.Second)
	v := validate.New(r, l.DNS.Zone.TrustAnchors(), nil)
	for _, tc := range []struct {
		host, want, by string
	}{
		{"mx1.good.test", "", "DANE-EE"},
		{"mx.dane-only.test", "i:tls.cert-untrusted", "DANE-EE"},
		{"mx.dane-rollover.test", "i:tls.cert-name-mismatch", "DANE-EE"},
		{"mx.dane-bad.test", "error:dane.mismatch", ""},
		{"mx.dane-bogus.test", "error:dane.tlsa-bogus", ""},
		{"mx.dane-pkix.test", "", ""},
		{"selfsigned.smtp.test", "error:tls.cert-untrusted", ""}, // no TLSA: the web PKI is all there is
	} {
		t.Run(tc.host, func(t *testing.T) {
			o := options(l)
			o.Validator = v
			rep, err := probe.Run(context.Background(), r, fmt.Sprintf("%s:%d", tc.host, l.Port), o)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range rep.Findings() {
				sev := f.Severity.String()
				if f.Severity == report.Info {
					sev = "i"
				}
				got = append(got, sev+":"+f.ID)
			}
			res := session(t, rep)
			by := ""
			if res.TLS != nil {
				by = res.TLS.DANE
			}
			if strings.Join(got, ",") != tc.want || by != tc.by {
				t.Errorf("findings %q, authenticated by %q; want %q, %q", got, by, tc.want, tc.by)
			}
		})
	}
}
