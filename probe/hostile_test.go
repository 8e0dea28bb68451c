package probe_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/smtptool/smtptool/probe"
	"github.com/smtptool/smtptool/report"
)

// scripted starts an SMTP responder on loopback: banner first, then each
// command line gets what answer returns for it ("" hangs up). It records
// every line received.
func scripted(t *testing.T, banner string, answer func(line string) string) (addr string, received func() []string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	lines := make(chan string, 1000)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				c.Write([]byte(banner + "\r\n"))
				br := bufio.NewReader(c)
				for {
					line, err := br.ReadString('\n')
					if err != nil {
						return
					}
					line = strings.TrimRight(line, "\r\n")
					lines <- line
					a := answer(line)
					if a == "" {
						return
					}
					c.Write([]byte(a + "\r\n"))
				}
			}()
		}
	}()
	return ln.Addr().String(), func() []string {
		var out []string
		for {
			select {
			case l := <-lines:
				out = append(out, l)
			default:
				return out
			}
		}
	}
}

func plainServer(authReply func(line string) string) func(string) string {
	return func(line string) string {
		verb := strings.ToUpper(strings.Fields(line + " x")[0])
		switch verb {
		case "EHLO":
			return "250-hostile.test\r\n250 AUTH PLAIN LOGIN CRAM-MD5 XOAUTH2"
		case "AUTH":
			return authReply(line)
		case "QUIT":
			return "221 bye"
		}
		if strings.HasPrefix(line, "AGFsaWNl") || !strings.Contains(line, " ") {
			return authReply(line)
		}
		return "250 ok"
	}
}

func render(rep *report.Report) string {
	var b strings.Builder
	report.WriteJSON(&b, rep)
	report.WriteText(&b, report.TextOptions{Verbose: true}, rep)
	return b.String()
}

// A server that echoes what it was sent in its refusal must not make the
// credentials appear anywhere: step table, transcript, finding, JSON.
func TestEchoedCredentialsAreRedacted(t *testing.T) {
	const user, secret = "alice", "s3cret-Passw0rd"
	for _, mech := range []string{"PLAIN", "LOGIN", "XOAUTH2", "CRAM-MD5"} {
		t.Run(mech, func(t *testing.T) {
			echo := func(line string) string {
				if strings.HasPrefix(line, "AUTH LOGIN") {
					return "334 VXNlcm5hbWU6"
				}
				if strings.HasPrefix(line, "AUTH CRAM-MD5") {
					return "334 PDEyMzQ1QGhvc3RpbGUudGVzdD4="
				}
				if line == base64.StdEncoding.EncodeToString([]byte(user)) {
					return "334 UGFzc3dvcmQ6"
				}
				return "535-5.7.8 you sent: " + line + "\r\n535 5.7.8 password " + secret + " is wrong"
			}
			addr, _ := scripted(t, "220 hostile.test ESMTP", plainServer(echo))
			rep := &report.Report{Command: "probe", Target: addr}
			res := probe.Walk(context.Background(), probe.Server{Addr: addr}, probe.Options{
				Helo: "probe.test", Timeout: 2 * time.Second, StartTLS: probe.StartTLSNever, InsecureAuth: true,
				Auth: &probe.Auth{User: user, Password: secret, Mech: mech}, QuitAfter: probe.StepAuth,
			})
			rep.Checks = append(rep.Checks, &report.Check{Name: "smtp", Findings: res.Findings, Data: res})
			out := render(rep)
			plain := base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + secret))
			oauth := base64.StdEncoding.EncodeToString([]byte("user=" + user + "\x01auth=Bearer " + secret + "\x01\x01"))
			for _, bad := range []string{secret, base64.StdEncoding.EncodeToString([]byte(secret)), plain, strings.TrimRight(plain, "="), oauth} {
				if strings.Contains(out, bad) {
					t.Errorf("%q leaked:\n%s", bad, out)
				}
			}
			if !strings.Contains(report.IDs(res.Findings...), "smtp.auth-failed") {
				t.Errorf("findings %s", report.IDs(res.Findings...))
			}
		})
	}
}

// CR, LF or NUL in an address or the EHLO name can never reach the server:
// the validators refuse them, and the connection refuses to send them.
func TestCommandInjectionIsRefused(t *testing.T) {
	inject := "c@d.t>\r\nDATA\r\nSubject: x\r\n\r\nbody\r\n.\r\nQUIT\r\nX:<y"
	for _, bad := range []string{inject, "a@b.t\nRSET", "a@b.t\x00", "a\r@b.t", "<a@b.t>", "a@b.t>", "a b@c.t", "a@", "@b.t", "a@b..t", "a@-b.t",
		"a..b@c.t", `"a"b"@c.t`, "a@[1.2.3]", "a@[IPv6:zz]", strings.Repeat("x", 65) + "@b.t", "a@" + strings.Repeat("x.", 130) + "t"} {
		if err := probe.ValidMailbox(bad); !errors.Is(err, probe.ErrBadAddress) {
			t.Errorf("ValidMailbox(%q) = %v", bad, err)
		}
	}
	for _, good := range []string{"a@b.t", "first.last+tag@sub.example.com", `"john doe"@example.com`, `"a\"b"@c.t`, "user@[192.0.2.1]", "user@[IPv6:2001:db8::1]", "jörg@bücher.example", "用户@例子.测试"} {
		if err := probe.ValidMailbox(good); err != nil {
			t.Errorf("ValidMailbox(%q) = %v", good, err)
		}
	}
	for _, bad := range []string{"x.t\r\nMAIL FROM:<a@b>", "x t", "", "-x.t", "[1.2.3.4", "x_y.t"} {
		if err := probe.ValidHelo(bad); err == nil {
			t.Errorf("ValidHelo(%q) passed", bad)
		}
	}
	for _, good := range []string{"probe.test", "[127.0.0.1]", "[IPv6:::1]", "localhost"} {
		if err := probe.ValidHelo(good); err != nil {
			t.Errorf("ValidHelo(%q) = %v", good, err)
		}
	}

	// Even past the validators (a library caller), nothing with CR/LF is sent.
	addr, received := scripted(t, "220 hostile.test ESMTP", plainServer(func(string) string { return "250 ok" }))
	res := probe.Walk(context.Background(), probe.Server{Addr: addr}, probe.Options{
		Helo: "probe.test", Timeout: 2 * time.Second, StartTLS: probe.StartTLSNever, Mail: true,
		From: "a@b.t", Rcpts: []string{inject}, QuitAfter: probe.StepRcpt,
	})
	time.Sleep(50 * time.Millisecond)
	for _, l := range received() {
		if strings.HasPrefix(l, "DATA") || strings.HasPrefix(l, "Subject") || l == "." {
			t.Errorf("the server received %q", l)
		}
	}
	for _, st := range res.Steps {
		if st.Name == probe.StepRcpt && !strings.Contains(st.Error, "CR, LF or NUL") {
			t.Errorf("rcpt step: %+v", st)
		}
	}
}
