package cmd_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
	"github.com/smtptool/smtptool/cmd"
	"github.com/smtptool/smtptool/dns"
	"github.com/smtptool/smtptool/dns/validate"
)

// The real-world DNSSEC differential: zones signed by ldns (NLnet Labs'
// ldns-signzone, not smtptool's lab signer), each wrong in one way, served
// by Knot, validated by Unbound and by BIND's delv; smtptool asked through
// Unbound and directly of Knot (where only its own validation can tell)
// must reach the same verdict as they do on every case.
//
// Needs knotd, unbound, delv, ldns-keygen and ldns-signzone (Debian:
// knot unbound bind9-dnsutils ldnsutils); skipped without them unless
// SMTPTOOL_REQUIRE_DNSSEC_REFS is set, as .ci/run sets it.

// refZone is one zone of the world: its records, how it is signed, and
// what is done to it after signing.
type refZone struct {
	name    string
	records string
	signed  bool
	algo    string   // ldns-keygen's algorithm; "" is ECDSAP256SHA256
	sign    []string // more ldns-signzone options
	after   func(signed string) string
	wrongDS bool // the parent publishes the DS of another key
}

var refWorld = []refZone{
	{name: ".", signed: true},
	{name: "lab.", records: "ns A 127.0.0.1\n"},
	{name: "test.", signed: true},
	{name: "good.test.", signed: true, records: `@ MX 10 mx
mx A 127.0.0.1
alias CNAME mx
_25._tcp.mx TLSA 3 1 1 3b7e9c1d02c1b45e6f9a3d7c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0918
`},
	{name: "unsigned.test.", records: "@ MX 10 mx.good.test.\n"},
	{name: "bogus.test.", signed: true, records: "@ MX 10 mx.good.test.\n",
		after: func(z string) string { return strings.Replace(z, "MX\t10 mx.good.test.", "MX\t20 mx.good.test.", 1) }},
	{name: "expired.test.", signed: true, records: "@ MX 10 mx.good.test.\n", sign: []string{"-i", "20250101", "-e", "20250201"}},
	{name: "dsmismatch.test.", signed: true, records: "@ MX 10 mx.good.test.\n", wrongDS: true},
	{name: "nodnskey.test.", signed: true, records: "@ MX 10 mx.good.test.\n", after: func(z string) string {
		return regexp.MustCompile(`(?m)^\S+\s+\d+\s+IN\s+DNSKEY\s.*\n`).ReplaceAllString(z, "")
	}},
	{name: "optout.test.", signed: true, sign: []string{"-n", "-p", "-t", "0"}, records: "@ MX 10 mx.good.test.\n"},
	{name: "child.optout.test.", records: "@ MX 10 mx.good.test.\n"},
	{name: "sha1.test.", signed: true, algo: "RSASHA1", records: "@ MX 10 mx.good.test.\n"},
	{name: "insecuremx.test.", records: "@ MX 10 mx.good.test.\n"},
	{name: "danebogus.test.", signed: true, records: `@ MX 10 mx
mx A 127.0.0.1
_25._tcp.mx TLSA 3 1 1 3b7e9c1d02c1b45e6f9a3d7c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0918
`, after: func(z string) string {
		return strings.Replace(z, "3b7e9c1d02c1b45e6f9a3d7c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0918", "4b7e9c1d02c1b45e6f9a3d7c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0918", 1)
	}},
}

// refCases are the questions and the verdict every validator must reach.
var refCases = []struct {
	name  string
	qtype uint16
	want  validate.Status
}{
	{"good.test", mdns.TypeMX, validate.Secure},
	{"mx.good.test", mdns.TypeA, validate.Secure},
	{"alias.good.test", mdns.TypeA, validate.Secure},                  // a CNAME, both RRsets signed
	{"_25._tcp.mx.good.test", mdns.TypeTLSA, validate.Secure},         // DANE's question
	{"nosuch.good.test", mdns.TypeA, validate.Secure},                 // NXDOMAIN proven by NSEC
	{"mx.good.test", mdns.TypeAAAA, validate.Secure},                  // no data, proven by NSEC
	{"unsigned.test", mdns.TypeMX, validate.Insecure},                 // no DS in test.
	{"ns.lab", mdns.TypeA, validate.Insecure},                         // an unsigned TLD
	{"bogus.test", mdns.TypeMX, validate.Bogus},                       // changed after signing
	{"expired.test", mdns.TypeMX, validate.Bogus},                     // signatures expired in 2025
	{"dsmismatch.test", mdns.TypeMX, validate.Bogus},                  // the DS is for another key
	{"nodnskey.test", mdns.TypeMX, validate.Bogus},                    // DS, but no DNSKEY
	{"optout.test", mdns.TypeMX, validate.Secure},                     // NSEC3 with opt-out
	{"child.optout.test", mdns.TypeMX, validate.Insecure},             // in an opt-out span
	{"sha1.test", mdns.TypeMX, validate.Secure},                       // RSASHA1 still validates
	{"insecuremx.test", mdns.TypeMX, validate.Insecure},               // unsigned domain, signed MX host
	{"_25._tcp.mx.danebogus.test", mdns.TypeTLSA, validate.Bogus},     // a bogus TLSA RRset
	{"mx.danebogus.test", mdns.TypeA, validate.Secure},                // beside a bogus RRset
	{"nosuch.optout.test", mdns.TypeA, validate.Insecure},             // NXDOMAIN under opt-out
	{"_25._tcp.mx.insecuremx.test", mdns.TypeTLSA, validate.Insecure}, // NXDOMAIN in an unsigned zone
	{"mx.good.test", mdns.TypeTXT, validate.Secure},                   // no data again, another type
	{"child.optout.test", mdns.TypeDS, validate.Secure},               // the opt-out proof itself
	{"good.test", mdns.TypeDS, validate.Secure},                       // a DS RRset
	{"nosuch.test", mdns.TypeMX, validate.Secure},                     // NXDOMAIN in a TLD
	{"dsmismatch.test", mdns.TypeDS, validate.Secure},                 // the wrong DS is signed
	{"expired.test", mdns.TypeDS, validate.Secure},                    // the parent's side is fine
	{"nodnskey.test", mdns.TypeDNSKEY, validate.Bogus},                // the missing keys
	{"_25._tcp.mx.good.test", mdns.TypeA, validate.Secure},            // no data below a name
	{"_tcp.mx.good.test", mdns.TypeTLSA, validate.Secure},             // an empty non-terminal
}

// refDiffers are the documented disagreements: the question, the
// reference that differs, and the rule smtptool follows instead.
var refDiffers = map[string][2]string{
	// Unbound sets no AD bit either; BIND's delv calls it fully validated.
	"nosuch.optout.test A": {"delv against Knot", "RFC 5155 §9.2: what an NSEC3 opt-out span covers may be an unsigned delegation, so an NXDOMAIN proven by it is not authenticated"},
}

func TestDNSSECAgreesWithUnboundAndDelv(t *testing.T) {
	for _, tool := range []string{"knotd", "unbound", "delv", "ldns-keygen", "ldns-signzone"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("SMTPTOOL_REQUIRE_DNSSEC_REFS") != "" {
				t.Fatalf("%s is required (SMTPTOOL_REQUIRE_DNSSEC_REFS): %v", tool, err)
			}
			t.Skipf("%s not installed (apt-get install knot unbound bind9-dnsutils ldnsutils): the DNSSEC differential is skipped", tool)
		}
	}
	dir := t.TempDir()
	rootDS := signWorld(t, dir, refWorld)
	anchor := filepath.Join(dir, "root.ds")
	if err := os.WriteFile(anchor, []byte(rootDS+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	knot := startKnot(t, dir, refWorld)
	unbound := startUnbound(t, dir, freeAddr(t), knot, anchor)
	delvAnchor := filepath.Join(dir, "delv.anchor")
	ds := strings.Fields(rootDS) // . IN DS tag alg digesttype digest
	os.WriteFile(delvAnchor, []byte(fmt.Sprintf("trust-anchors {\n  \".\" static-ds %s %s %s \"%s\";\n};\n", ds[3], ds[4], ds[5], ds[6])), 0o644)

	anchors, err := validate.ReadAnchors(strings.NewReader(rootDS), "root.ds")
	if err != nil {
		t.Fatal(err)
	}
	client := func(addr string) *dns.Client {
		c, err := dns.New(dns.Config{Servers: []string{addr}, Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	viaUnbound, viaKnot := client(unbound), client(knot)
	ours := map[string]*validate.Validator{
		"smtptool via Unbound":  validate.New(viaUnbound, anchors, nil),
		"smtptool against Knot": validate.New(viaKnot, anchors, nil),
	}
	for _, tc := range refCases {
		q := tc.name + " " + mdns.TypeToString[tc.qtype]
		t.Run(q, func(t *testing.T) {
			ctx := context.Background()
			got := map[string]validate.Status{
				"delv against Knot": delvVerdict(t, knot, delvAnchor, tc.name, tc.qtype),
				"Unbound":           unboundVerdict(ctx, viaUnbound, tc.name, tc.qtype),
			}
			for who, v := range ours {
				r := v.Validate(ctx, tc.name, tc.qtype)
				got[who] = r.Status
				if r.Status == validate.Bogus && r.Reason == "" {
					t.Errorf("%s: bogus without a reason", who)
				}
			}
			differs := refDiffers[q]
			for who, s := range got {
				switch {
				case who == differs[0] && s == tc.want:
					t.Errorf("%s now agrees (%v): drop the documented difference (%s)", who, s, differs[1])
				case who != differs[0] && s != tc.want:
					t.Errorf("%s: %v, want %v (all: %v)", who, s, tc.want, got)
				}
			}
		})
	}

	// The command line reaches the same verdict, through Unbound: a bogus
	// domain is a finding (exit 1), not an inconclusive lookup.
	for domain, want := range map[string]string{"good.test": "secure", "unsigned.test": "insecure", "expired.test": "bogus", "dsmismatch.test": "bogus"} {
		r := run(t, nil, "", false, "check", domain, "--resolver", unbound, "--trust-anchor", anchor, "--format", "json", "--timeout", "3s")
		var doc struct {
			Checks []struct {
				Name string `json:"name"`
				Data struct {
					Validation struct {
						Status string `json:"status"`
					} `json:"validation"`
				} `json:"data"`
			} `json:"checks"`
		}
		if err := json.Unmarshal([]byte(r.out), &doc); err != nil {
			t.Fatalf("check %s: %v\n%s", domain, err, r.out)
		}
		for _, c := range doc.Checks {
			if c.Name == "dnssec" && c.Data.Validation.Status != want {
				t.Errorf("check %s: dnssec %q, want %q", domain, c.Data.Validation.Status, want)
			}
		}
		if want == "bogus" && r.code != cmd.ExitFindings {
			t.Errorf("check %s: exit %d, want %d", domain, r.code, cmd.ExitFindings)
		}
	}
}

// signWorld writes, signs and spoils the zones of refWorld in dir, and
// returns the root's DS record.
func signWorld(t *testing.T, dir string, world []refZone) string {
	t.Helper()
	keys := map[string]string{} // zone → key base name
	ds := map[string]string{}   // zone → the DS its parent publishes
	ldns := func(tool string, args ...string) string {
		c := exec.Command(tool, args...)
		c.Dir = dir
		out, err := c.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", tool, args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	keygen := func(zone, algo string) string {
		if algo == "" {
			algo = "ECDSAP256SHA256"
		}
		args := []string{"-a", algo, "-k", "-r", "/dev/urandom"}
		if algo == "RSASHA1" {
			args = append(args, "-b", "2048")
		}
		return ldns("ldns-keygen", append(args, zone)...)
	}
	readDS := func(base string) string {
		b, err := os.ReadFile(filepath.Join(dir, base+".ds"))
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(b))
	}
	for _, z := range world {
		if !z.signed {
			continue
		}
		keys[z.name] = keygen(z.name, z.algo)
		ds[z.name] = readDS(keys[z.name])
		if z.wrongDS {
			ds[z.name] = readDS(keygen(z.name, ""))
		}
	}
	// Children first, so that each parent can list its delegations.
	for i := len(world) - 1; i >= 0; i-- {
		z := world[i]
		var b strings.Builder
		fmt.Fprintf(&b, "$ORIGIN %s\n$TTL 300\n@ SOA ns.lab. hostmaster.lab. 1 3600 600 86400 300\n@ NS ns.lab.\n%s", z.name, z.records)
		for _, child := range world {
			if child.name != z.name && parentZone(world, child.name) == z.name {
				fmt.Fprintf(&b, "%s NS ns.lab.\n", child.name)
				if d := ds[child.name]; d != "" {
					b.WriteString(d + "\n")
				}
			}
		}
		file := filepath.Join(dir, zoneFile(z.name))
		if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		if !z.signed {
			continue
		}
		ldns("ldns-signzone", append(append([]string{"-o", z.name, "-f", file + ".signed"}, z.sign...), zoneFile(z.name), keys[z.name])...)
		if z.after != nil {
			signed, err := os.ReadFile(file + ".signed")
			if err != nil {
				t.Fatal(err)
			}
			if spoiled := z.after(string(signed)); spoiled != string(signed) {
				os.WriteFile(file+".signed", []byte(spoiled), 0o644)
			} else {
				t.Fatalf("%s: the spoiling changed nothing", z.name)
			}
		}
	}
	return ds["."]
}

// parentZone is the zone of the world that holds name's delegation.
func parentZone(world []refZone, name string) string {
	if name == "." {
		return ""
	}
	for p := parentName(name); ; p = parentName(p) {
		for _, z := range world {
			if z.name == p {
				return p
			}
		}
		if p == "." {
			return "."
		}
	}
}

func parentName(name string) string {
	i, end := mdns.NextLabel(name, 0)
	if end {
		return "."
	}
	return name[i:]
}

func zoneFile(name string) string {
	if name == "." {
		return "root.zone"
	}
	return strings.TrimSuffix(name, ".") + ".zone"
}

// freeAddr returns a loopback address with a port free for UDP and TCP.
func freeAddr(t *testing.T) string {
	t.Helper()
	for range 20 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := pc.LocalAddr().String()
		ln, err := net.Listen("tcp", addr)
		pc.Close()
		if err == nil {
			ln.Close()
			return addr
		}
	}
	t.Fatal("no free port")
	return ""
}

// daemon starts a server in the foreground, stopped at the test's end,
// and waits until it answers a question.
func daemon(t *testing.T, addr, probe string, name string, args ...string) {
	t.Helper()
	c := exec.Command(name, args...)
	log, _ := os.Create(filepath.Join(t.TempDir(), name+".log"))
	c.Stdout, c.Stderr = log, log
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Process.Kill(); c.Wait() })
	m := new(mdns.Msg)
	m.SetQuestion(probe, mdns.TypeSOA)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if r, _, err := (&mdns.Client{Timeout: 300 * time.Millisecond}).Exchange(m, addr); err == nil && r.Rcode == mdns.RcodeSuccess {
			return
		}
	}
	out, _ := os.ReadFile(log.Name())
	t.Fatalf("%s did not answer on %s:\n%s", name, addr, out)
}

func startKnot(t *testing.T, dir string, world []refZone) string {
	addr := freeAddr(t)
	var conf strings.Builder
	fmt.Fprintf(&conf, "server:\n  listen: %s\n  rundir: %s\n", strings.Replace(addr, ":", "@", 1), dir)
	if os.Geteuid() == 0 {
		conf.WriteString("  user: root\n")
	}
	fmt.Fprintf(&conf, "database:\n  storage: %s/knotdb\nlog:\n  - target: stderr\n    any: warning\n", dir)
	fmt.Fprintf(&conf, "template:\n  - id: default\n    storage: %s\n    zonefile-sync: -1\n    zonefile-load: whole\n    journal-content: none\nzone:\n", dir)
	for _, z := range world {
		file := zoneFile(z.name)
		if z.signed {
			file += ".signed"
		}
		fmt.Fprintf(&conf, "  - domain: \"%s\"\n    file: %s\n", z.name, file)
	}
	path := filepath.Join(dir, "knot.conf")
	os.WriteFile(path, []byte(conf.String()), 0o644)
	daemon(t, addr, ".", "knotd", "-c", path)
	return addr
}

// startUnbound runs Unbound validating from the world's root key,
// forwarding every question to Knot: it never asks anything else (root
// hints point at an unused loopback address; forwarding overrides them).
func startUnbound(t *testing.T, dir, addr, knot, anchor string) string {
	host, port, _ := net.SplitHostPort(addr)
	hints := filepath.Join(dir, "root.hints")
	os.WriteFile(hints, []byte(". 3600 NS ns.hints.invalid.\nns.hints.invalid. 3600 A 127.0.0.254\n"), 0o644)
	conf := fmt.Sprintf(`server:
  interface: %s
  port: %s
  do-not-query-localhost: no
  username: ""
  chroot: ""
  directory: "%s"
  pidfile: "%s/unbound.pid"
  use-syslog: no
  logfile: ""
  verbosity: 1
  ede: yes
  val-log-level: 2
  do-ip6: no
  qname-minimisation: no
  module-config: "validator iterator"
  trust-anchor-file: "%s"
  root-hints: "%s"
  access-control: 127.0.0.0/8 allow
  local-zone: "test." nodefault
forward-zone:
  name: "."
  forward-addr: %s
`, host, port, dir, dir, anchor, hints, strings.Replace(knot, ":", "@", 1))
	path := filepath.Join(dir, "unbound.conf")
	os.WriteFile(path, []byte(conf), 0o644)
	daemon(t, addr, "test.", "unbound", "-d", "-c", path)
	return addr
}

// delvVerdict runs BIND's delv against Knot: it fetches the chain itself,
// with CD set, and validates from the trust anchor, as smtptool does.
func delvVerdict(t *testing.T, server, anchor, name string, qtype uint16) validate.Status {
	host, port, _ := net.SplitHostPort(server)
	out, _ := exec.Command("delv", "@"+host, "-p", port, "-a", anchor, "+root=.", "+nortrace", name, mdns.TypeToString[qtype]).CombinedOutput()
	s := string(out)
	switch {
	case strings.Contains(s, "fully validated"):
		return validate.Secure
	case strings.Contains(s, "unsigned answer"):
		return validate.Insecure
	case strings.Contains(s, "resolution failed"):
		return validate.Bogus
	}
	t.Logf("delv %s %s: %s", name, mdns.TypeToString[qtype], s)
	return validate.Indeterminate
}

// unboundVerdict reads Unbound's answer: the AD bit for secure, SERVFAIL
// for bogus (RFC 4035 §3.2.3, §5.5).
func unboundVerdict(ctx context.Context, c *dns.Client, name string, qtype uint16) validate.Status {
	ans, err := c.Lookup(ctx, name, qtype)
	switch {
	case errors.Is(err, dns.ErrServerFailure):
		return validate.Bogus
	case err != nil:
		return validate.Indeterminate
	case ans.Authentic:
		return validate.Secure
	}
	return validate.Insecure
}

// The DANE differential: Postfix's posttls-finger and smtptool's probe
// connect to the real Postfix of scripts/postfix-lab.sh under domains
// whose TLSA records are right, wrong, unusable or bogus, and must agree
// on each: authenticated (a DANE sender delivers), refused (it defers),
// or unauthenticated TLS (DANE does not apply).
//
// posttls-finger asks the system's resolver, so this runs where
// /etc/resolv.conf names 127.0.0.53 with trust-ad, as
// scripts/netns-tests.sh arranges in its own mount namespace; the test
// runs Unbound there. Elsewhere it skips (fails under
// SMTPTOOL_REQUIRE_DNSSEC_REFS).
func TestDANEAgreesWithPostfix(t *testing.T) {
	require := func(format string, args ...any) {
		t.Helper()
		msg := fmt.Sprintf(format, args...)
		if os.Getenv("SMTPTOOL_REQUIRE_DNSSEC_REFS") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	for _, tool := range []string{"knotd", "unbound", "posttls-finger", "ldns-keygen", "ldns-signzone", "openssl"} {
		if _, err := exec.LookPath(tool); err != nil {
			require("%s not installed: the DANE differential is skipped", tool)
		}
	}
	if conf, _ := os.ReadFile("/etc/resolv.conf"); !regexp.MustCompile(`(?m)^nameserver 127\.0\.0\.53\s*$`).Match(conf) || !strings.Contains(string(conf), "trust-ad") {
		require("/etc/resolv.conf does not name 127.0.0.53 with trust-ad (posttls-finger asks the system's resolver): run the suite through scripts/netns-tests.sh")
	}
	caFile, _ := postfix(t)
	spki := func() string {
		out, err := exec.Command("sh", "-c", "openssl x509 -in "+postfixLab+"/server.crt -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum").Output()
		if err != nil {
			t.Fatal(err)
		}
		return strings.Fields(string(out))[0]
	}
	caDER, err := exec.Command("sh", "-c", "openssl x509 -in "+caFile+" -outform DER | sha256sum").Output()
	if err != nil {
		t.Fatal(err)
	}
	ee, ta := spki(), strings.Fields(string(caDER))[0]
	zeros := strings.Repeat("0", 64)
	host := func(name, tlsa string) string {
		out := "@ MX 10 " + name + "\n" + name + " A 127.0.0.1\n"
		for _, rec := range strings.Split(tlsa, ";") {
			if rec != "" {
				out += "_25._tcp." + name + " TLSA " + rec + "\n"
			}
		}
		return out
	}
	world := []refZone{
		{name: ".", signed: true},
		{name: "lab.", records: "ns A 127.0.0.1\n"},
		{name: "test.", signed: true},
		// DANE-TA: the lab CA, and the certificate names the host.
		{name: "postfix.test.", signed: true, records: host("mail", "2 0 1 "+ta)},
		// DANE-EE: the server's key; names and issuer are not checked.
		{name: "dane-ee.test.", signed: true, records: host("mail", "3 1 1 "+ee)},
		// DANE-TA for a host the certificate does not name.
		{name: "dane-ta-name.test.", signed: true, records: host("mail", "2 0 1 "+ta)},
		{name: "dane-wrong.test.", signed: true, records: host("mail", "3 1 1 "+zeros)},
		// a rollover: the next key's record beside the current one
		{name: "dane-rollover.test.", signed: true, records: host("mail", "3 1 1 "+zeros+";3 1 1 "+ee)},
		// PKIX-EE only: unusable for SMTP (RFC 7672 §3.1.3)
		{name: "dane-pkix.test.", signed: true, records: host("mail", "1 1 1 "+ee)},
		{name: "dane-bogus.test.", signed: true, records: host("mail", "3 1 1 "+ee), after: func(z string) string {
			return strings.Replace(z, ee, zeros, 1)
		}},
		// an unsigned domain whose MX host has valid TLSA records
		{name: "dane-insecure-mx.test.", records: "@ MX 10 mail.dane-ee.test.\n"},
		// signed, and no TLSA records: DANE does not apply
		{name: "dane-none.test.", signed: true, records: host("mail", "")},
	}
	dir := t.TempDir()
	rootDS := signWorld(t, dir, world)
	anchor := filepath.Join(dir, "root.ds")
	os.WriteFile(anchor, []byte(rootDS+"\n"), 0o644)
	knot := startKnot(t, dir, world)
	unbound := startUnbound(t, dir, "127.0.0.53:53", knot, anchor)

	for _, tc := range []struct{ domain, want string }{
		{"postfix.test", "authenticated"},
		{"dane-ee.test", "authenticated"},
		{"dane-ta-name.test", "refused"},
		{"dane-wrong.test", "refused"},
		{"dane-rollover.test", "authenticated"},
		{"dane-pkix.test", "unauthenticated"},
		{"dane-bogus.test", "refused"},
		{"dane-insecure-mx.test", "unauthenticated"},
		{"dane-none.test", "unauthenticated"},
	} {
		t.Run(tc.domain, func(t *testing.T) {
			out, _ := exec.Command("posttls-finger", "-v", "-c", "-l", "dane", "-t", "5", "-T", "10", tc.domain).CombinedOutput()
			postfixSays := posttlsVerdict(string(out))
			r := run(t, nil, "", false, "probe", tc.domain, "--resolver", unbound, "--trust-anchor", anchor, "--quit-after", "starttls", "--format", "json", "--timeout", "5s")
			oursSays := probeVerdict(t, r.out)
			if postfixSays != tc.want || oursSays != tc.want {
				t.Errorf("posttls-finger: %s, smtptool: %s; want %s\nposttls-finger said:\n%s\nsmtptool said:\n%s", postfixSays, oursSays, tc.want, out, r.out)
			}
		})
	}
}

// posttlsVerdict reads posttls-finger's account (with -v) of a session at
// the "dane" level: verified, a DANE failure (a TLSA lookup error, or a
// chain that its usable TLSA records do not authenticate), or DANE not
// applying (no usable TLSA records, an insecure MX RRset).
func posttlsVerdict(out string) string {
	switch {
	case strings.Contains(out, "Verified TLS connection established"):
		return "authenticated"
	case strings.Contains(out, "TLSA lookup error"):
		return "refused"
	case strings.Contains(out, "TLSA records found, resorting to"), strings.Contains(out, "MX RRset insecure"):
		return "unauthenticated"
	case strings.Contains(out, "server certificate verification failed"):
		return "refused"
	case strings.Contains(out, "TLS connection established"):
		return "unauthenticated"
	}
	return "unknown"
}

// probeVerdict reads smtptool's: authenticated by a TLSA record, refused
// for a DANE failure, or TLS without DANE.
func probeVerdict(t *testing.T, out string) string {
	var doc struct {
		Checks []struct {
			Findings []finding `json:"findings"`
			Data     struct {
				TLS *struct {
					DANE string `json:"dane_authenticated"`
				} `json:"tls"`
			} `json:"data"`
		} `json:"checks"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	verdict := "unknown"
	for _, c := range doc.Checks {
		for _, f := range c.Findings {
			if f.ID == "dane.mismatch" || f.ID == "dane.tlsa-bogus" {
				return "refused"
			}
		}
		if c.Data.TLS != nil {
			verdict = "unauthenticated"
			if c.Data.TLS.DANE != "" {
				return "authenticated"
			}
		}
	}
	return verdict
}
