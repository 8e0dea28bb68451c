package cmd_test

import (
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/smtptool/smtptool/lab/labtest"
)

// The Postfix that scripts/postfix-lab.sh sets up on 127.0.0.1:25.
const (
	postfixLab  = "/etc/postfix/smtptool-lab"
	postfixHost = "mail.postfix.test"
)

// postfix returns the lab's CA file and the known user's password, or
// skips when no Postfix lab runs here (CI sets SMTPTOOL_REQUIRE_POSTFIX=1
// so that it fails instead).
func postfix(t *testing.T) (caFile, password string) {
	t.Helper()
	pw, err := os.ReadFile(postfixLab + "/password")
	if err == nil {
		var c net.Conn
		if c, err = net.DialTimeout("tcp", "127.0.0.1:25", time.Second); err == nil {
			c.Close()
		}
	}
	if err != nil {
		msg := "no Postfix lab on 127.0.0.1:25 (" + err.Error() + "): run sudo scripts/postfix-lab.sh to set it up"
		if os.Getenv("SMTPTOOL_REQUIRE_POSTFIX") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return postfixLab + "/ca.pem", strings.TrimSpace(string(pw))
}

func TestRealPostfix(t *testing.T) {
	ca, password := postfix(t)
	l, _ := labtest.ForTest(t, time.Second)
	if err := l.DNS.Zone.AddString(postfixHost+". A 127.0.0.1", "1.0.0.127.in-addr.arpa. PTR "+postfixHost+"."); err != nil {
		t.Fatal(err)
	}
	common := []string{postfixHost + ":25", "--resolver", l.DNS.Addr, "--trust-anchor", anchorFile(t, l), "--ca-file", ca, "--helo", "probe.smtptool.test", "--format", "json", "-v"}
	env := map[string]string{"SMTPTOOL_PASSWORD": password}

	// The whole walk, authenticated: banner, both EHLO lists, TLS, AUTH,
	// and the unknown user refused.
	r := run(t, env, "", false, append([]string{"probe", "--auth-user", "alice", "--from", "a@example.test",
		"--rcpt", "nosuchuser@postfix.test", "--rcpt", "alice@postfix.test"}, common...)...)
	docs := parseLines(t, r.out)
	if r.code != 1 || len(docs) != 1 || len(docs[0].Checks) != 1 {
		t.Fatalf("exit %d: %s %s", r.code, r.out, r.err)
	}
	c := docs[0].Checks[0]
	if got := findingIDs(c.Findings); got != "smtp.rcpt-rejected" {
		t.Errorf("findings %s", got)
	}
	d := c.Data
	if !strings.HasPrefix(d["banner"].(string), postfixHost+" ESMTP Postfix") {
		t.Errorf("banner %q", d["banner"])
	}
	ehlo, ehloTLS := strs(d["ehlo"]), strs(d["ehlo_tls"])
	if !slices.Contains(ehlo, "STARTTLS") || slices.ContainsFunc(ehlo, hasPrefix("AUTH")) {
		t.Errorf("EHLO before TLS: %v (STARTTLS, and no AUTH with smtpd_tls_auth_only)", ehlo)
	}
	if !slices.Contains(ehloTLS, "AUTH PLAIN LOGIN CRAM-MD5") || slices.Contains(ehloTLS, "STARTTLS") {
		t.Errorf("EHLO after TLS: %v", ehloTLS)
	}
	tls := d["tls"].(map[string]any)
	if tls["trusted"] != true || tls["name_matches"] != true || !strings.HasPrefix(tls["version"].(string), "TLS 1.") || len(tls["chain"].([]any)) != 2 {
		t.Errorf("tls: %v", tls)
	}
	var steps []string
	for _, s := range d["steps"].([]any) {
		st := s.(map[string]any)
		steps = append(steps, st["name"].(string))
		if st["name"] == "auth" && st["reply"].(map[string]any)["code"] != 235.0 {
			t.Errorf("auth: %v", st)
		}
	}
	if got := strings.Join(steps, " "); got != "connect banner ehlo starttls tls ehlo auth mail rcpt rcpt rset quit" {
		t.Errorf("steps: %s", got)
	}
	if strings.Contains(r.out+r.err, password) {
		t.Fatal("the password was printed")
	}

	// Every mechanism Postfix offers works with the right password.
	for _, mech := range []string{"PLAIN", "LOGIN", "CRAM-MD5"} {
		r := run(t, env, "", false, append([]string{"probe", "--auth-user", "alice", "--auth-mech", mech, "--quit-after", "auth"}, common...)...)
		if r.code != 0 {
			t.Errorf("%s: exit %d %s", mech, r.code, r.out)
		}
	}

	// A wrong password is smtp.auth-failed, explained.
	r = run(t, map[string]string{"SMTPTOOL_PASSWORD": "wrong"}, "", false, append([]string{"probe", "--auth-user", "alice", "--quit-after", "auth"}, common...)...)
	docs = parseLines(t, r.out)
	if got := findingIDs(docs[0].Checks[0].Findings); r.code != 1 || got != "smtp.auth-failed" || !strings.Contains(docs[0].Checks[0].Findings[0].Message, "535") {
		t.Errorf("wrong password: exit %d findings %s %+v", r.code, got, docs[0].Checks[0].Findings)
	}

	// Without AUTH, a foreign recipient is refused: no relaying.
	r = run(t, nil, "", false, append([]string{"probe", "--from", "a@example.test", "--rcpt", "someone@example.net"}, common...)...)
	docs = parseLines(t, r.out)
	if f := docs[0].Checks[0].Findings; r.code != 1 || findingIDs(f) != "smtp.rcpt-rejected" || !strings.Contains(f[0].Message, "Relay access denied") {
		t.Errorf("relay: exit %d %+v", r.code, f)
	}
}

func findingIDs(fs []finding) string {
	var ids []string
	for _, f := range fs {
		if !slices.Contains(ids, f.ID) {
			ids = append(ids, f.ID)
		}
	}
	return strings.Join(ids, ",")
}

func strs(v any) []string {
	var out []string
	for _, s := range v.([]any) {
		out = append(out, s.(string))
	}
	return out
}

func hasPrefix(p string) func(string) bool {
	return func(s string) bool { return strings.HasPrefix(s, p) }
}
