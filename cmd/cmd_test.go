package cmd_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"
	"github.com/rivo/uniseg"
	"github.com/smtptool/smtptool/cmd"
	"github.com/smtptool/smtptool/lab"
	"github.com/smtptool/smtptool/lab/labtest"
)

type result struct {
	out, err string
	code     cmd.ExitCode
}

// run runs a command line against streams in memory.
func run(t *testing.T, env map[string]string, stdin string, tty bool, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	ios := &cmd.IOStreams{
		In: strings.NewReader(stdin), Out: &out, ErrOut: &errOut, OutTTY: tty,
		Getenv: func(k string) string { return env[k] },
	}
	code := cmd.Run(context.Background(), ios, args)
	return result{out.String(), errOut.String(), code}
}

type finding struct {
	ID       string `json:"id"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
	Fix      string `json:"fix"`
	Ref      string `json:"ref"`
}

// document is the JSON contract of DESIGN.md.
type document struct {
	Schema  int    `json:"schema"`
	Command string `json:"command"`
	Target  string `json:"target"`
	Status  string `json:"status"`
	Checks  []struct {
		Name     string         `json:"name"`
		Status   string         `json:"status"`
		Findings []finding      `json:"findings"`
		Data     map[string]any `json:"data"`
	} `json:"checks"`
}

func parseLines(t *testing.T, out string) []document {
	t.Helper()
	var docs []document
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var d document
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&d); err != nil {
			t.Fatalf("not a contract document: %v\n%s", err, line)
		}
		if d.Schema != 1 || d.Command == "" || d.Target == "" || d.Status == "" || d.Checks == nil {
			t.Fatalf("incomplete document: %s", line)
		}
		for _, c := range d.Checks {
			for _, f := range c.Findings {
				if f.ID == "" || f.Message == "" || (f.Severity != "info" && f.Severity != "warning" && f.Severity != "error") {
					t.Fatalf("bad finding %+v in %s", f, line)
				}
			}
		}
		docs = append(docs, d)
	}
	return docs
}

func TestMXJSONAndExitCodes(t *testing.T) {
	l, _ := labtest.ForTest(t, time.Second)
	res, anchor := "--resolver="+l.DNS.Addr, "--trust-anchor="+anchorFile(t, l)
	for _, tc := range []struct {
		args   []string
		code   cmd.ExitCode
		status string
	}{
		{[]string{"mx", "good.test", "--allow-private"}, cmd.ExitOK, "ok"},
		{[]string{"mx", "nomx.test", "--allow-private"}, cmd.ExitOK, "warning"},
		{[]string{"mx", "nomx.test", "--allow-private", "--fail-on", "warning"}, cmd.ExitFindings, "warning"},
		{[]string{"mx", "nullmx.test", "--fail-on", "info"}, cmd.ExitFindings, "info"},
		{[]string{"mx", "cname.test", "--allow-private"}, cmd.ExitFindings, "error"},
		{[]string{"mx", "nosuch.test"}, cmd.ExitFindings, "error"},
		{[]string{"mx", "servfail.test"}, cmd.ExitFailure, "error"},
	} {
		r := run(t, nil, "", false, append(tc.args, res, anchor, "--format", "json", "--timeout", "1s")...)
		if r.code != tc.code {
			t.Errorf("%v: exit %d, want %d (stderr %q)", tc.args, r.code, tc.code, r.err)
		}
		docs := parseLines(t, r.out)
		if len(docs) != 1 || docs[0].Status != tc.status || docs[0].Command != "mx" || docs[0].Checks[0].Name != "mx" {
			t.Errorf("%v: %+v", tc.args, docs)
		}
	}
	// Several domains: one JSON line each.
	r := run(t, nil, "", false, "mx", "good.test", "nomx.test", res, "--format", "json", "--allow-private")
	if docs := parseLines(t, r.out); len(docs) != 2 || docs[1].Target != "nomx.test" {
		t.Errorf("two domains: %+v", docs)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"mx"},
		{"mx", "not a domain"},
		{"mx", "x.test", "--format", "xml"},
		{"mx", "x.test", "--fail-on", "fatal"},
		{"mx", "x.test", "--resolver", ":53"},
		{"probe", "x.test", "--starttls", "maybe"},
		{"probe", "x.test", "--quit-after", "data"},
		{"probe", "x.test", "-4", "-6"},
		{"probe", "x.test", "--auth-user", "alice"}, // no password and no terminal
		{"probe", "user@x.test"},
		{"explain", "hello there"},
		{"nosuchcommand"},
		{"mx", "x.test", "--no-such-flag"},
	} {
		r := run(t, nil, "", false, args...)
		if r.code != cmd.ExitUsage || r.out != "" || !strings.Contains(r.err, "smtptool:") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, r.code, r.out, r.err)
		}
	}
}

func TestColourOnlyOnATerminal(t *testing.T) {
	l, _ := labtest.ForTest(t, time.Second)
	args := []string{"mx", "cname.test", "--resolver", l.DNS.Addr, "--trust-anchor", anchorFile(t, l)}
	if r := run(t, nil, "", true, args...); !strings.Contains(r.out, "\x1b[") {
		t.Error("no colour on a terminal")
	}
	for name, r := range map[string]result{
		"pipe":       run(t, nil, "", false, args...),
		"NO_COLOR":   run(t, map[string]string{"NO_COLOR": "1"}, "", true, args...),
		"--no-color": run(t, nil, "", true, append(args, "--no-color")...),
		"json":       run(t, nil, "", true, append(args, "--format", "json")...),
	} {
		if strings.Contains(r.out, "\x1b[") {
			t.Errorf("%s: coloured output", name)
		}
	}
	if r := run(t, map[string]string{"CLICOLOR_FORCE": "1"}, "", false, args...); !strings.Contains(r.out, "\x1b[") {
		t.Error("CLICOLOR_FORCE did not force colour")
	}
}

func caFile(t *testing.T, l *lab.Lab) string {
	p := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(p, l.CA.PEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// anchorFile writes the lab's DNSSEC trust anchor for --trust-anchor.
func anchorFile(t testing.TB, l *lab.Lab) string {
	p := filepath.Join(t.TempDir(), "lab-anchor.ds")
	if err := l.WriteTrustAnchor(p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestProbeCommand(t *testing.T) {
	l, _ := labtest.ForTest(t, time.Second)
	secret := lab.Users["alice"]
	common := []string{"--resolver", l.DNS.Addr, "--trust-anchor", anchorFile(t, l), "--ca-file", caFile(t, l), "--port", fmt.Sprint(l.Port), "--allow-private", "--helo", "cli.test"}

	// Password from the environment; JSON follows the contract and never
	// holds the password.
	r := run(t, map[string]string{"SMTPTOOL_PASSWORD": secret}, "", false,
		append([]string{"probe", "good.test", "--auth-user", "alice", "--rcpt", "alice@good.test", "--format", "json", "-v"}, common...)...)
	if r.code != cmd.ExitOK || strings.Contains(r.out+r.err, secret) {
		t.Fatalf("exit %d, stderr %q", r.code, r.err)
	}
	docs := parseLines(t, r.out)
	data := docs[0].Checks[0].Data
	if docs[0].Command != "probe" || data["tls"] == nil || data["transcript"] == nil || len(data["steps"].([]any)) < 8 {
		t.Fatalf("probe data: %v", data)
	}

	// Password from a file; a wrong one fails with exit 1.
	pw := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pw, []byte("wrong\n"), 0o600)
	r = run(t, nil, "", false, append([]string{"probe", "good.test", "--auth-user", "alice", "--auth-password-file", pw}, common...)...)
	if r.code != cmd.ExitFindings || !strings.Contains(r.out, "smtp.auth-failed") {
		t.Fatalf("wrong password: exit %d\n%s", r.code, r.out)
	}

	// Without --ca-file the lab's certificate is untrusted, an error for a
	// host without DANE; mx1.good.test's DANE-EE record authenticates it,
	// which is what DANE senders check (RFC 7672 §3.1.1).
	anchor := anchorFile(t, l)
	r = run(t, nil, "", false, "probe", fmt.Sprintf("relay.smtp.test:%d", l.Port), "--resolver", l.DNS.Addr, "--trust-anchor", anchor)
	if r.code != cmd.ExitFindings || !strings.Contains(r.out, "tls.cert-untrusted") {
		t.Fatalf("system roots: exit %d\n%s", r.code, r.out)
	}
	r = run(t, nil, "", false, "probe", fmt.Sprintf("mx1.good.test:%d", l.Port), "--resolver", l.DNS.Addr, "--trust-anchor", anchor)
	if r.code != cmd.ExitOK || !strings.Contains(r.out, "i tls.cert-untrusted") || !strings.Contains(r.out, "authenticated by DANE-EE ✓") {
		t.Fatalf("system roots, DANE-EE: exit %d\n%s", r.code, r.out)
	}
	// Without the lab's trust anchor, its signatures chain to no IANA key:
	// every answer is bogus, and DANE senders would not deliver.
	r = run(t, nil, "", false, "probe", fmt.Sprintf("mx1.good.test:%d", l.Port), "--resolver", l.DNS.Addr)
	if r.code != cmd.ExitFindings || !strings.Contains(r.out, "dane.tlsa-bogus") {
		t.Fatalf("IANA anchors: exit %d\n%s", r.code, r.out)
	}

	// A prompt is used on a terminal.
	var out, errOut bytes.Buffer
	ios := &cmd.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut, InTTY: true,
		Getenv: func(string) string { return "" }, ReadPassword: func() ([]byte, error) { return []byte(secret), nil }}
	code := cmd.Run(context.Background(), ios, append([]string{"probe", "good.test", "--auth-user", "alice", "--quit-after", "auth"}, common...))
	if code != cmd.ExitOK || !strings.Contains(errOut.String(), "Password:") {
		t.Fatalf("prompt: exit %d, stderr %q\n%s", code, errOut.String(), out.String())
	}
}

func TestExplainCommand(t *testing.T) {
	r := run(t, nil, "", false, "explain", "550-5.1.1 The email account that you tried to reach does not exist", "--format", "json")
	docs := parseLines(t, r.out)
	d := docs[0].Checks[0].Data
	if r.code != cmd.ExitOK || d["code"] != 550.0 || d["enhanced"] != "5.1.1" || d["permanent"] != true {
		t.Fatalf("exit %d data %v", r.code, d)
	}
	r = run(t, nil, "421 4.7.0 Try again later\n", false, "explain", "-")
	if r.code != cmd.ExitOK || !strings.Contains(r.out, "transient") {
		t.Fatalf("stdin: exit %d\n%s", r.code, r.out)
	}
	r = run(t, nil, "", false, "explain", "5.7.26")
	if r.code != cmd.ExitOK || !strings.Contains(r.out, "multiple authentication checks failed") {
		t.Fatalf("5.7.26: %s", r.out)
	}
}

func TestDemoRunsOffline(t *testing.T) {
	r := run(t, nil, "", false, "demo", "--timeout", "2s")
	if r.code != cmd.ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	for _, want := range []string{"mx good.test", "mx.cname", "dns.lookup-failed", "probe good.test", "smtp.rcpt-rejected", "tls.cert-expired", "smtp.open-relay", "smtp.banner-rejected", "smtp.protocol-violation", "dnsbl.listed", "check good.test",
		"dnssec.bogus", "authenticated by DANE-EE"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	// The demo fits an 80-column terminal (wide characters count two).
	for i, line := range strings.Split(r.out, "\n") {
		if w := uniseg.StringWidth(line); w > 80 {
			t.Errorf("demo line %d is %d columns wide: %q", i+1, w, line)
		}
	}
	r = run(t, nil, "", false, "demo", "--format", "json")
	if docs := parseLines(t, r.out); len(docs) != 13 {
		t.Errorf("demo JSON: %d documents", len(docs))
	}
}

func TestVersion(t *testing.T) {
	r := run(t, nil, "", false, "version")
	if r.code != cmd.ExitOK || !strings.HasPrefix(r.out, "smtptool ") || !strings.Contains(r.out, "commit") {
		t.Fatalf("%+v", r)
	}
}

func TestBlacklistCommand(t *testing.T) {
	l, _ := labtest.ForTest(t, time.Second)
	res := []string{"--resolver", l.DNS.Addr, "--trust-anchor", anchorFile(t, l), "--allow-private", "--format", "json"}
	r := run(t, nil, "", false, append([]string{"blacklist", "127.0.0.2", "127.0.0.9", "listedmx.test"}, res...)...)
	docs := parseLines(t, r.out)
	if r.code != cmd.ExitFindings || len(docs) != 3 || docs[0].Status != "error" || docs[1].Status != "ok" || docs[2].Status != "error" {
		t.Fatalf("exit %d: %+v", r.code, docs)
	}
	if lists := docs[0].Checks[0].Data["lists"].([]any); len(lists) < 20 {
		t.Errorf("%d lists", len(lists))
	}
	// --lists replaces the default set; --list adds to it.
	file := filepath.Join(t.TempDir(), "lists")
	os.WriteFile(file, []byte("broken.lab-dnsbl.test\n"), 0o600)
	r = run(t, nil, "", false, append([]string{"blacklist", "127.0.0.2", "--lists", file, "--list", "bl.spamcop.net"}, res...)...)
	docs = parseLines(t, r.out)
	if got := findingIDs(docs[0].Checks[0].Findings); got != "dnsbl.broken,dnsbl.listed" || len(docs[0].Checks[0].Data["lists"].([]any)) != 2 {
		t.Fatalf("custom lists: %s %v", got, docs[0].Checks[0].Data)
	}
	// Private addresses are not sent without --allow-private.
	r = run(t, nil, "", false, "blacklist", "10.1.2.3", "--resolver", l.DNS.Addr, "--trust-anchor", anchorFile(t, l))
	if r.code != cmd.ExitOK || !strings.Contains(r.out, "dnsbl.skipped") {
		t.Fatalf("%d %s", r.code, r.out)
	}
	if r := run(t, nil, "", false, "blacklist", "not a target"); r.code != cmd.ExitUsage {
		t.Fatalf("bad target: exit %d", r.code)
	}
	if r := run(t, nil, "", false, "blacklist", "127.0.0.2", "--list", "x"); r.code != cmd.ExitUsage {
		t.Fatalf("bad list: exit %d", r.code)
	}
}

func TestCheckCommand(t *testing.T) {
	l, _ := labtest.ForTest(t, time.Second)
	common := []string{"--resolver", l.DNS.Addr, "--trust-anchor", anchorFile(t, l), "--allow-private", "--blocklist-private", "--format", "json", "--ca-file", caFile(t, l), "--mta-sts-port", fmt.Sprint(l.HTTPSPort)}
	domains := filepath.Join(t.TempDir(), "domains")
	os.WriteFile(domains, []byte("good.test\n# a comment\nlistedmx.test\n"), 0o600)
	r := run(t, nil, "", false, append([]string{"check", "--domains", domains}, common...)...)
	docs := parseLines(t, r.out)
	sortByTarget(docs)
	if r.code != cmd.ExitFindings || len(docs) != 2 || docs[0].Target != "good.test" || docs[0].Status != "ok" || docs[1].Status != "error" {
		t.Fatalf("exit %d: %+v", r.code, docs)
	}
	var names []string
	for _, c := range docs[0].Checks {
		names = append(names, c.Name)
	}
	if got := strings.Join(names, " | "); got != "mx | dnssec | spf | dmarc | dkim | mta-sts | tlsrpt | bimi | dane | dnsbl 127.0.0.10 | dnsbl ::1 | dnsbl 127.0.0.11 | dnsbl good.test" {
		t.Errorf("checks: %s", got)
	}

	// --probe adds an SMTP check per MX host; stdin works for --domains.
	r = run(t, nil, "good.test\n", false, append([]string{"check", "--domains", "-", "--probe", "--port", fmt.Sprint(l.Port)}, common...)...)
	docs = parseLines(t, r.out)
	if r.code != cmd.ExitOK || len(docs[0].Checks) != 15 || !strings.HasPrefix(docs[0].Checks[13].Name, "smtp mx1.good.test") {
		t.Fatalf("--probe: exit %d %+v", r.code, docs)
	}
	if r := run(t, nil, "", false, append([]string{"check", "servfail.test"}, common...)...); r.code != cmd.ExitFailure {
		t.Errorf("a failed MX lookup: exit %d", r.code)
	}
	if r := run(t, nil, "", false, "check"); r.code != cmd.ExitUsage {
		t.Errorf("no domain: exit %d", r.code)
	}
}

func TestSPFCommand(t *testing.T) {
	l, _ := labtest.ForTest(t, time.Second)
	res := []string{"--resolver", l.DNS.Addr, "--trust-anchor", anchorFile(t, l), "--format", "json"}
	r := run(t, nil, "", false, append([]string{"spf", "spf-lookups.test"}, res...)...)
	docs := parseLines(t, r.out)
	if d := docs[0].Checks[0].Data; r.code != cmd.ExitFindings || d["lookups"] != 12.0 || d["tree"] == nil {
		t.Fatalf("lint: exit %d %v", r.code, d)
	}
	for _, tc := range []struct {
		args   []string
		code   cmd.ExitCode
		result string
	}{
		{[]string{"spf", "good.test", "--ip", "192.0.2.7"}, cmd.ExitOK, "pass"},
		{[]string{"spf", "--ip", "198.51.100.1", "--sender", "bob@good.test"}, cmd.ExitFindings, "fail"},
		{[]string{"spf", "--ip", "127.0.0.10", "--helo", "good.test"}, cmd.ExitOK, "pass"}, // mx matches
		{[]string{"spf", "spf-syntax.test", "--ip", "192.0.2.1"}, cmd.ExitFindings, "permerror"},
		{[]string{"spf", "spf-servfail.test", "--ip", "192.0.2.1"}, cmd.ExitFailure, "temperror"},
	} {
		r := run(t, nil, "", false, append(tc.args, res...)...)
		docs := parseLines(t, r.out)
		if got := docs[0].Checks[0].Data["result"]; r.code != tc.code || got != tc.result {
			t.Errorf("%v: exit %d result %v", tc.args, r.code, got)
		}
	}
	for _, bad := range [][]string{{"spf"}, {"spf", "--ip", "nope", "x.test"}, {"spf", "x.test", "--sender", "a@b.test"}} {
		if r := run(t, nil, "", false, bad...); r.code != cmd.ExitUsage {
			t.Errorf("%v: exit %d", bad, r.code)
		}
	}
	r = run(t, nil, "", false, "spf", "spf-lookups.test", "--resolver", l.DNS.Addr, "--trust-anchor", anchorFile(t, l))
	if !strings.Contains(r.out, "include:big.spf-lookups.test costs 9") || !strings.Contains(r.out, "12 of 10") {
		t.Errorf("tree text:\n%s", r.out)
	}
}

func TestDMARCCommand(t *testing.T) {
	l, _ := labtest.ForTest(t, time.Second)
	r := run(t, nil, "", false, "dmarc", "good.test", "dmarc-none.test", "--resolver", l.DNS.Addr, "--trust-anchor", anchorFile(t, l), "--format", "json")
	docs := parseLines(t, r.out)
	if r.code != cmd.ExitOK || docs[0].Status != "ok" || docs[1].Status != "warning" || docs[0].Checks[0].Data["policy"] != "reject" {
		t.Fatalf("exit %d %+v", r.code, docs)
	}
	r = run(t, nil, "", false, "dmarc", "good.test", "--resolver", l.DNS.Addr, "--trust-anchor", anchorFile(t, l))
	if !strings.Contains(r.out, "policy: reject, pct=100, adkim=s, aspf=r") {
		t.Errorf("text:\n%s", r.out)
	}
}

func TestDKIMCommand(t *testing.T) {
	l, _ := labtest.ForTest(t, time.Second)
	r := run(t, nil, "", false, "dkim", "good.test", "--selector", "google", "--selector", "nosuch", "--resolver", l.DNS.Addr, "--trust-anchor", anchorFile(t, l), "--format", "json")
	docs := parseLines(t, r.out)
	if r.code != cmd.ExitFindings || findingIDs(docs[0].Checks[0].Findings) != "dkim.selector-missing" {
		t.Fatalf("exit %d %+v", r.code, docs)
	}
	r = run(t, nil, "From: a@good.test\r\nSubject: x\r\n\r\nbody\r\n", false, "dkim", "verify", "-", "--resolver", l.DNS.Addr, "--trust-anchor", anchorFile(t, l))
	if r.code != cmd.ExitOK || !strings.Contains(r.out, "dkim.unsigned") {
		t.Fatalf("verify: exit %d %s %s", r.code, r.out, r.err)
	}
}

// Reports stream in completion order; tests put them in a known one.
func sortByTarget(docs []document) {
	slices.SortFunc(docs, func(a, b document) int { return strings.Compare(a.Target, b.Target) })
}

func TestCheckBulkAndFormats(t *testing.T) {
	l, _ := labtest.ForTest(t, time.Second)
	common := []string{"--resolver", l.DNS.Addr, "--trust-anchor", anchorFile(t, l), "--allow-private", "--blocklist-private", "--ca-file", caFile(t, l), "--mta-sts-port", fmt.Sprint(l.HTTPSPort)}
	list := filepath.Join(t.TempDir(), "domains")
	os.WriteFile(list, []byte("good.test\nnomx.test\nnot a domain\nspf-plusall.test\ndmarc-none.test\n"), 0o600)

	// Shards split the list with no overlap and nothing left out.
	var seen []string
	for i := range 3 {
		r := run(t, nil, "", false, append([]string{"check", "--domains", list, "--format", "json", "--shard", fmt.Sprintf("%d/3", i), "--concurrency", "2"}, common...)...)
		for _, d := range parseLines(t, r.out) {
			seen = append(seen, d.Target)
		}
	}
	slices.Sort(seen)
	if got := strings.Join(seen, ","); got != "dmarc-none.test,good.test,nomx.test,not a domain,spf-plusall.test" {
		t.Errorf("shards saw %s", got)
	}

	// A line that is not a domain is a finding, not the end of the scan.
	r := run(t, nil, "", false, append([]string{"check", "--domains", list, "--format", "json"}, common...)...)
	docs := parseLines(t, r.out)
	sortByTarget(docs)
	if r.code != cmd.ExitFindings || len(docs) != 5 || findingIDs(docs[3].Checks[0].Findings) != "check.invalid-domain" {
		t.Fatalf("exit %d %+v", r.code, docs)
	}

	// SARIF and JUnit are single documents.
	r = run(t, nil, "", false, append([]string{"check", "good.test", "spf-plusall.test", "--format", "sarif"}, common...)...)
	log, err := sarif.FromBytes([]byte(r.out))
	if err != nil || log.Validate() != nil || r.code != cmd.ExitFindings {
		t.Fatalf("sarif: exit %d %v\n%s", r.code, err, r.out)
	}
	if !strings.Contains(r.out, `"ruleId": "spf.permissive-all"`) {
		t.Errorf("sarif lacks the finding")
	}
	r = run(t, nil, "", false, append([]string{"check", "good.test", "spf-plusall.test", "--format", "junit"}, common...)...)
	if !strings.HasPrefix(r.out, "<?xml") || !strings.Contains(r.out, `<failure message="1 finding(s) at or above error: spf.permissive-all" type="spf.permissive-all">`) {
		t.Errorf("junit:\n%s", r.out)
	}
	if r := run(t, nil, "", false, "mx", "good.test", "--format", "sarif"); r.code != cmd.ExitUsage {
		t.Errorf("sarif is for check only: exit %d", r.code)
	}

	// --expect adds the expect check.
	r = run(t, nil, "", false, append([]string{"check", "nomx.test", "--expect", "../scan/testdata/expect.yaml", "--format", "json"}, common...)...)
	docs = parseLines(t, r.out)
	if last := docs[0].Checks[len(docs[0].Checks)-1]; last.Name != "expect" || strings.Count(findingIDs(last.Findings), ",") != 8 {
		t.Errorf("expect: %+v", last)
	}
	for _, bad := range [][]string{{"check", "x.test", "--shard", "3/3"}, {"check", "x.test", "--concurrency", "0"}, {"check", "x.test", "--expect", "/nonexistent"}} {
		if r := run(t, nil, "", false, bad...); r.code != cmd.ExitUsage {
			t.Errorf("%v: exit %d", bad, r.code)
		}
	}
}

// The progress bar goes to stderr, and only when stderr is a terminal.
func TestProgressOnlyOnATerminal(t *testing.T) {
	l, _ := labtest.ForTest(t, time.Second)
	args := []string{"check", "good.test", "nomx.test", "--resolver", l.DNS.Addr, "--trust-anchor", anchorFile(t, l), "--allow-private", "--blocklist-private", "--format", "json"}
	var out, errOut bytes.Buffer
	ios := &cmd.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut, ErrTTY: true, Getenv: func(string) string { return "" }}
	cmd.Run(context.Background(), ios, args)
	if !strings.Contains(errOut.String(), "checking") || strings.Contains(out.String(), "checking") {
		t.Errorf("terminal: stderr %q", errOut.String())
	}
	if r := run(t, nil, "", false, args...); r.err != "" {
		t.Errorf("no terminal: stderr %q", r.err)
	}
}

func TestManPages(t *testing.T) {
	dir := t.TempDir()
	if r := run(t, nil, "", false, "man", dir); r.code != cmd.ExitOK {
		t.Fatalf("exit %d %s", r.code, r.err)
	}
	page, err := os.ReadFile(filepath.Join(dir, "smtptool-check.1"))
	// One title per command (the release's page for check is SMTPTOOL-CHECK).
	if err != nil || !strings.Contains(string(page), "--fail-on") || !strings.Contains(string(page), ".TH \"SMTPTOOL-CHECK\"") {
		t.Fatalf("%v\n%s", err, page)
	}
	// The pages carry the version of the binary that wrote them, as the
	// release build stamps it.
	stamped := filepath.Join(t.TempDir(), "smtptool")
	if b, err := exec.Command("go", "build", "-o", stamped, "-ldflags", "-X github.com/smtptool/smtptool/cmd.version=1.2.3", "./smtptool").CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	dir2 := t.TempDir()
	if b, err := exec.Command(stamped, "man", dir2).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if page, _ := os.ReadFile(filepath.Join(dir2, "smtptool-mx.1")); !strings.Contains(string(page), `"smtptool 1.2.3`) || !strings.Contains(string(page), `.TH "SMTPTOOL-MX"`) {
		t.Errorf("stamped page:\n%.300s", page)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) < 10 {
		t.Errorf("%d pages", len(entries))
	}
}

func TestExplainBounce(t *testing.T) {
	raw, err := os.ReadFile("../../shared/corpora/bounces/maildir/bsd/lhost-postfix-01.eml")
	if err != nil {
		raw = []byte("From: MAILER-DAEMON@mx.example.test\nSubject: Undelivered Mail Returned to Sender\n\n" +
			"<bob@example.net>: host mx.example.net[192.0.2.1] said: 550 5.1.1 <bob@example.net>: User unknown (in reply to RCPT TO command)\n")
	}
	r := run(t, nil, string(raw), false, "explain", "-", "--format", "json")
	docs := parseLines(t, r.out)
	d := docs[0].Checks[0].Data
	if r.code != cmd.ExitOK || d["reason"] == nil || d["recipients"] == nil || d["permanent"] != true {
		t.Fatalf("exit %d data %v", r.code, d)
	}
	if r := run(t, nil, "hello\nworld\n", false, "explain", "-"); r.code != cmd.ExitUsage || !strings.Contains(r.err, "not a reply or a bounce") {
		t.Fatalf("garbage: exit %d %q", r.code, r.err)
	}
}
