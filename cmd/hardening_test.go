package cmd_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
	"github.com/smtptool/smtptool/cmd"
	"github.com/smtptool/smtptool/dns/dnstest"
	"github.com/smtptool/smtptool/lab/labtest"
)

// dnsAnswering starts a DNS server on loopback whose replies reply makes.
func dnsAnswering(t *testing.T, reply func(req *mdns.Msg) *mdns.Msg) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &mdns.Server{PacketConn: pc, Handler: mdns.HandlerFunc(func(w mdns.ResponseWriter, req *mdns.Msg) { w.WriteMsg(reply(req)) })}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	return pc.LocalAddr().String()
}

// tripwire listens on loopback for connections that must not come:
// untouched fails the test if one came.
func tripwire(t *testing.T) (addr string, untouched func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	connected := make(chan struct{}, 100)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			connected <- struct{}{}
			c.Close()
		}
	}()
	return ln.Addr().String(), func() {
		t.Helper()
		select {
		case <-connected:
			t.Error("a connection was made despite the bad input")
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func servfail(req *mdns.Msg) *mdns.Msg {
	m := new(mdns.Msg)
	m.SetRcode(req, mdns.RcodeServerFailure)
	return m
}

// The same SERVFAIL is "no verdict" (exit 3) from every command.
func TestSERVFAILExits3FromEveryCommand(t *testing.T) {
	res := []string{"--resolver", dnsAnswering(t, servfail), "--timeout", "2s"}
	for _, args := range [][]string{
		{"mx", "sf.test"},
		{"dmarc", "sf.test"},
		{"dkim", "sf.test", "--selector", "s1"},
		{"dkim", "sf.test"},
		{"spf", "sf.test"},
		{"spf", "sf.test", "--ip", "192.0.2.1"},
		{"check", "sf.test"},
		{"probe", "sf.test"},
		{"blacklist", "sf.test"},
		{"blacklist", "1.2.3.4"}, // asked of the loopback server only
	} {
		for _, format := range []string{"text", "json"} {
			r := run(t, nil, "", false, append(append(args, "--format", format), res...)...)
			if r.code != cmd.ExitFailure {
				t.Errorf("%v --format %s: exit %d, want 3\n%s%s", args, format, r.code, r.out, r.err)
			}
		}
	}
}

// A reply to another question is a failed lookup, not the other name's
// records (RFC 5452 §9.1): `mx wrongq.t` must not list evil.t's MX.
func TestReplyToAnotherQuestionIsInconclusive(t *testing.T) {
	addr := dnsAnswering(t, func(req *mdns.Msg) *mdns.Msg {
		m := new(mdns.Msg)
		m.SetReply(req)
		m.Question[0].Name = "evil.t."
		mx, _ := mdns.NewRR("evil.t. 300 IN MX 10 mail.evil.t.")
		txt, _ := mdns.NewRR(`evil.t. 300 IN TXT "v=spf1 +all"`)
		m.Answer = []mdns.RR{mx, txt}
		return m
	})
	for _, cmdline := range [][]string{{"mx", "wrongq.t"}, {"spf", "wrongq.t"}, {"dmarc", "wrongq.t"}} {
		r := run(t, nil, "", false, append(cmdline, "--resolver", addr, "--format", "json", "--timeout", "2s")...)
		if r.code != cmd.ExitFailure || strings.Contains(r.out, "evil") || strings.Contains(r.out, "+all") || !strings.Contains(r.out, "dns.lookup-failed") {
			t.Errorf("%v: exit %d\n%s", cmdline, r.code, r.out)
		}
	}
}

// --resolver takes an IP address and an optional port, nothing else; an
// empty value (an unset variable in CI) never falls back to the system's.
func TestResolverFlagIsAnAddress(t *testing.T) {
	for _, v := range []string{"", "nonsense", "ns.example", "127.0.0.1:99999", "127.0.0.1:53x", "127.0.0.1:0", "[::1"} {
		r := run(t, nil, "", false, "mx", "example.test", "--resolver", v)
		if r.code != cmd.ExitUsage || !strings.Contains(r.err, "--resolver") {
			t.Errorf("--resolver %q: exit %d %s", v, r.code, r.err)
		}
	}
}

// Addresses, the EHLO name and the mechanism are checked at flag parsing:
// exit 2, and nothing is connected to (the target is a listener that
// fails the test if anyone arrives).
func TestProbeInputIsValidatedBeforeConnecting(t *testing.T) {
	target, untouched := tripwire(t)
	for _, args := range [][]string{
		{"--rcpt", "c@d.t>\r\nDATA\r\n.\r\nQUIT\r\nX:<y"},
		{"--rcpt", "a@b.t\n"},
		{"--from", "a@b.t\x00"},
		{"--from", "a@b.t>\r\nRSET"},
		{"--helo", "x.t\r\nMAIL FROM:<a@b.t>"},
		{"--helo", "bad name"},
		{"--auth-user", "u", "--auth-mech", "FOO", "--insecure-auth"},
	} {
		r := run(t, map[string]string{"SMTPTOOL_PASSWORD": "pw"}, "", false, append([]string{"probe", target, "--resolver", "127.0.0.1:9"}, args...)...)
		if r.code != cmd.ExitUsage {
			t.Errorf("%q: exit %d %s", args, r.code, r.err)
		}
	}
	untouched()
}

// Every file or stdin read has a size cap: /dev/zero is exit 2 with a
// clear message, never an exhausted memory.
func TestEndlessInputsAreRefused(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	res := []string{"--resolver", "127.0.0.1:9", "--timeout", "1s"}
	for _, args := range [][]string{
		{"probe", "127.0.0.1:9", "--auth-user", "u", "--auth-password-file", "/dev/zero", "--insecure-auth"},
		{"probe", "127.0.0.1:9", "--ca-file", "/dev/zero"},
		{"check", "x.test", "--ca-file", "/dev/zero"},
		{"dkim", "verify", "/dev/zero"},
		{"check", "x.test", "--expect", "/dev/zero"},
		{"blacklist", "1.2.3.4", "--lists", "/dev/zero"},
		{"probe", "127.0.0.1:9", "--rcpt", "a@b.t", "--data", "/dev/zero"},
	} {
		r := run(t, nil, "", false, append(args, res...)...)
		if r.code != cmd.ExitUsage || !strings.Contains(r.err, "smtptool:") {
			t.Errorf("%v: exit %d %s", args, r.code, r.err)
		}
	}
}

// Accepting private MX addresses and sending them to public blocklists are
// two decisions: check --allow-private asks no list about 10.x, 127.x or a
// private IPv4 inside NAT64/6to4; --blocklist-private does.
func TestPrivateAddressesStayPrivate(t *testing.T) {
	m := dnstest.New(`
priv.test.        300 MX   10 mx.priv.test.
mx.priv.test.     300 A    10.1.2.3
mx.priv.test.     300 AAAA 64:ff9b::10.1.2.4
mx2.priv.test.    300 AAAA 2002:c0a8:0101::1
priv.test.        300 MX   20 mx2.priv.test.
`)
	addr, stop, err := m.Serve()
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	// An IP list is asked about a reversed address: "3.2.1.10.zen…" or
	// nibbles; PTR lookups of the MX addresses (.arpa) go to the resolver.
	ipListQuery := regexp.MustCompile(`^[A-Z]+ ([0-9a-f]{1,3}\.){4}`)
	asked := func() []string {
		var lists []string
		for _, q := range m.Queries() {
			if ipListQuery.MatchString(q) && !strings.HasSuffix(q, ".arpa.") {
				lists = append(lists, q)
			}
		}
		return lists
	}
	r := run(t, nil, "", false, "check", "priv.test", "--allow-private", "--resolver", addr, "--format", "json", "--timeout", "2s")
	if got := asked(); len(got) != 0 || !strings.Contains(r.out, "dnsbl.skipped") {
		t.Errorf("check --allow-private asked the lists: %q\n%s", got, r.out)
	}
	for _, target := range []string{"10.1.2.3", "64:ff9b::10.1.2.4", "2002:c0a8:0101::1", "::10.1.2.3", "2001:0:4136:e378:8000:63bf:f5ff:fffe"} {
		r := run(t, nil, "", false, "blacklist", target, "--resolver", addr, "--format", "json")
		if got := asked(); len(got) != 0 || !strings.Contains(r.out, "dnsbl.skipped") {
			t.Errorf("blacklist %s asked the lists: %q\n%s", target, got, r.out)
		}
	}
	run(t, nil, "", false, "check", "priv.test", "--allow-private", "--blocklist-private", "--resolver", addr, "--format", "json", "--timeout", "2s")
	if len(asked()) == 0 {
		t.Error("--blocklist-private sent nothing to the lists")
	}
}

// An IDN is asked as its A-labels (UTS #46), and the text shows both forms.
func TestIDNDomainsAreAskedAsALabels(t *testing.T) {
	m := dnstest.New(`
xn--bcher-kva.example.      300 MX  10 mx.xn--bcher-kva.example.
mx.xn--bcher-kva.example.   300 A   192.0.2.25
_dmarc.xn--bcher-kva.example. 300 TXT "v=DMARC1; p=reject; rua=mailto:d@xn--bcher-kva.example"
`)
	addr, stop, err := m.Serve()
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	r := run(t, nil, "", false, "mx", "bücher.example", "--resolver", addr, "--allow-private")
	if !strings.Contains(r.out, "xn--bcher-kva.example (bücher.example)") || !strings.Contains(r.out, "mx.xn--bcher-kva.example") {
		t.Errorf("mx text:\n%s", r.out)
	}
	r = run(t, nil, "", false, "dmarc", "BÜCHER.example", "--resolver", addr, "--format", "json")
	if docs := parseLines(t, r.out); docs[0].Target != "xn--bcher-kva.example" || docs[0].Checks[0].Data["policy"] != "reject" {
		t.Errorf("dmarc json: %s", r.out)
	}
	for _, q := range m.Queries() {
		if !isASCII(q) {
			t.Errorf("asked a raw UTF-8 name: %q", q)
		}
	}
	if r := run(t, nil, "", false, "mx", "bü\u200dcher.example", "--resolver", addr); r.code != cmd.ExitUsage {
		t.Errorf("a name UTS #46 refuses: exit %d", r.code)
	}
}

func isASCII(s string) bool {
	for _, c := range []byte(s) {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// An IP address where a domain is expected is exit 2 with a hint, before
// anything is asked.
func TestIPAddressWhereADomainIsExpected(t *testing.T) {
	for _, args := range [][]string{{"mx", "127.0.0.10"}, {"dmarc", "127.0.0.10"}, {"dkim", "::1"}, {"spf", "192.0.2.1"}, {"check", "[127.0.0.1]"}, {"spf", "--ip", "192.0.2.1", "--sender", "a@127.0.0.1"}} {
		r := run(t, nil, "", false, append(args, "--resolver", "127.0.0.1:9")...)
		if r.code != cmd.ExitUsage || !strings.Contains(r.err, "IP address") || !strings.Contains(r.err, "blacklist and probe") {
			t.Errorf("%v: exit %d %s", args, r.code, r.err)
		}
	}
}

// Ctrl-C (the run's context cancelled) stops a bulk check promptly, writes
// no report for the unfinished domains, and exits 130.
func TestInterruptStopsABulkCheck(t *testing.T) {
	m := dnstest.New(`slow.test. 300 A 192.0.2.1`)
	m.Latency = 20 * time.Second // every answer: far longer than the test waits
	addr, stop, err := m.Serve()
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	var domains strings.Builder
	for i := range 200 {
		fmt.Fprintf(&domains, "d%d.slow.test\n", i)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut bytes.Buffer
	ios := &cmd.IOStreams{In: strings.NewReader(domains.String()), Out: &out, ErrOut: &errOut, Getenv: func(string) string { return "" }}
	done := make(chan cmd.ExitCode, 1)
	go func() {
		done <- cmd.Run(ctx, ios, []string{"check", "--domains", "-", "--resolver", addr, "--timeout", "30s", "--format", "json", "--concurrency", "32"})
	}()
	for len(m.Queries()) == 0 {
		time.Sleep(10 * time.Millisecond) // the run is under way
	}
	cancel()
	select {
	case code := <-done:
		if code != cmd.ExitInterrupted || out.Len() != 0 {
			t.Errorf("exit %d, output %q", code, out.String())
		}
	case <-time.After(10 * time.Second): // a bound on a hang, not a speed measurement
		t.Fatal("the interrupted check did not stop")
	}
}

// Ctrl-C at a blocking stdin read (explain -, a password prompt) ends it.
func TestInterruptEndsABlockingRead(t *testing.T) {
	for _, args := range [][]string{{"explain", "-"}, {"dkim", "verify", "-"}, {"probe", "127.0.0.1:9", "--auth-user", "u", "--insecure-auth"}} {
		pr, pw := io.Pipe() // a stdin that never delivers
		ctx, cancel := context.WithCancel(context.Background())
		var out, errOut bytes.Buffer
		ios := &cmd.IOStreams{In: pr, Out: &out, ErrOut: &errOut, InTTY: true, Getenv: func(string) string { return "" },
			ReadPassword: func() ([]byte, error) { select {} }}
		done := make(chan cmd.ExitCode, 1)
		go func() { done <- cmd.Run(ctx, ios, append(args, "--resolver", "127.0.0.1:9")) }()
		time.Sleep(50 * time.Millisecond)
		cancel()
		select {
		case code := <-done:
			if code != cmd.ExitInterrupted {
				t.Errorf("%v: exit %d", args, code)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%v: the read was not interrupted", args)
		}
		pw.Close()
	}
}

// -4 and -6 bind address targets too: a mismatch is exit 2 before any
// target is probed.
func TestAddressFamilyFlagsBindAddressTargets(t *testing.T) {
	target, untouched := tripwire(t)
	for _, args := range [][]string{{target, "-6"}, {"[::1]:25", "-4"}, {target, "::1", "-4"}} {
		r := run(t, nil, "", false, append([]string{"probe", "--resolver", "127.0.0.1:9"}, args...)...)
		if r.code != cmd.ExitUsage || !strings.Contains(r.err, "asks for IPv") {
			t.Errorf("%v: exit %d %s", args, r.code, r.err)
		}
	}
	untouched()
}

// message analyses a received message against the lab; explain - hands
// over a message that is no bounce, and message points a bounce at explain.
func TestMessageCommand(t *testing.T) {
	l, _ := labtest.ForTest(t, time.Second)
	r := run(t, nil, "", false, "message", "testdata/dmarc-fail.eml", "--resolver", l.DNS.Addr, "--trust-anchor", anchorFile(t, l), "--format", "json")
	docs := parseLines(t, r.out)
	d := docs[0].Checks[0].Data
	if r.code != cmd.ExitFindings || !strings.Contains(r.out, `"id":"message.dmarc-fail"`) || !strings.Contains(r.out, `"id":"message.spf-fail"`) || d["dmarc"].(map[string]any)["result"] != "fail" {
		t.Errorf("message: exit %d %s", r.code, r.out)
	}
	raw, _ := os.ReadFile("testdata/dmarc-fail.eml")
	r = run(t, nil, string(raw), false, "explain", "-", "--resolver", l.DNS.Addr, "--trust-anchor", anchorFile(t, l))
	if !strings.Contains(r.err, "not a bounce") || !strings.Contains(r.out, "message.dmarc-fail") {
		t.Errorf("explain - on a message: %s %s", r.out, r.err)
	}
	bounce := "From: MAILER-DAEMON@x.test\nTo: a@b.test\nSubject: Undelivered Mail Returned to Sender\n\n<bob@c.test>: host c.test said: 550 5.1.1 no such user\n"
	if r = run(t, nil, bounce, false, "message", "-", "--resolver", l.DNS.Addr, "--trust-anchor", anchorFile(t, l)); !strings.Contains(r.err, "smtptool explain") {
		t.Errorf("message on a bounce: %s", r.err)
	}
	if r = run(t, nil, "", false, "message", "testdata/dmarc-fail.eml", "--ip", "nope"); r.code != cmd.ExitUsage {
		t.Errorf("--ip nope: %d", r.code)
	}
}
