package cmd_test

import (
	"strings"
	"testing"

	"github.com/smtptool/smtptool/cmd"
)

// What a user meets in --help, errors and completion.
func TestHelpAndCompletion(t *testing.T) {
	r := run(t, nil, "", false, "--help")
	for _, want := range []string{"--resolver IP[:PORT]", "--timeout DURATION", "--format FORMAT", "--fail-on SEVERITY", "130 interrupted"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("--help lacks %q", want)
		}
	}
	if strings.Contains(r.out, "strings") || strings.Contains(r.out, "show the SMTP transcript and") {
		t.Errorf("--help shows flag types or promises a transcript everywhere:\n%s", r.out)
	}
	if r := run(t, nil, "", false, "explain", "--help"); !strings.Contains(r.out, "bounce") || !strings.Contains(r.out, "stdin") {
		t.Errorf("explain --help does not mention bounces on stdin")
	}
	// The words of a reply may come unquoted.
	if r := run(t, nil, "", false, "explain", "550", "5.1.1", "user", "unknown"); r.code != cmd.ExitOK || !strings.Contains(r.out, "550 5.1.1") {
		t.Errorf("unquoted explain: %d %s %s", r.code, r.out, r.err)
	}
	// A missing argument says where the usage is.
	if r := run(t, nil, "", false, "mx"); r.code != cmd.ExitUsage || !strings.Contains(r.err, "Run 'smtptool mx --help' for usage.") {
		t.Errorf("mx alone: %q", r.err)
	}
	if r := run(t, nil, "", false, "help", "environment"); !strings.Contains(r.out, "SMTPTOOL_PASSWORD") || !strings.Contains(r.out, "CLICOLOR_FORCE") {
		t.Errorf("help environment:\n%s", r.out)
	}
	// An --expect typo names the key and the line, not Go types.
	r = run(t, nil, "mxx: [a.test]\n", false, "check", "x.test", "--expect", "-")
	if r.code != cmd.ExitUsage || strings.Contains(r.err, "scan.") || !strings.Contains(r.err, "mxx") {
		t.Errorf("expect typo: %q", r.err)
	}
	// Enumerated flags complete their values; domains complete no files.
	for args, want := range map[string]string{
		"probe x --starttls ":   "require",
		"probe x --quit-after ": "rcpt",
		"probe x --auth-mech ":  "XOAUTH2",
		"check x --format ":     "sarif",
		"mx x --fail-on ":       "warning",
	} {
		r := run(t, nil, "", false, append([]string{"__complete"}, append(strings.Fields(args), "")...)...)
		if !strings.Contains(r.out, want) || !strings.Contains(r.out, ":4") {
			t.Errorf("completion of %q: %q", args, r.out)
		}
	}
	if r := run(t, nil, "", false, "__complete", "mx", ""); !strings.HasPrefix(strings.TrimSpace(r.out), ":4") {
		t.Errorf("domain completion offers files: %q", r.out)
	}
}

// Colour is off with CLICOLOR=0 and TERM=dumb, even on a terminal.
func TestColourRules(t *testing.T) {
	for env, want := range map[string]bool{"": true, "CLICOLOR=0": false, "TERM=dumb": false, "NO_COLOR=1": false} {
		e := map[string]string{}
		if k, v, ok := strings.Cut(env, "="); ok {
			e[k] = v
		}
		r := run(t, e, "", true, "explain", "550")
		if got := strings.Contains(r.out, "\x1b["); got != want {
			t.Errorf("%q: colour %v, want %v", env, got, want)
		}
	}
}
