package cmd_test

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smtptool/smtptool/cmd"
)

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// lab serve keeps the lab up and prints flags that work: a command run
// with them while it serves gets the lab's answers; Ctrl-C stops it.
func TestLabServePrintsWorkingFlags(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	ios := &cmd.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &bytes.Buffer{}, Getenv: func(string) string { return "" }}
	done := make(chan cmd.ExitCode, 1)
	go func() { done <- cmd.Run(ctx, ios, []string{"lab", "serve"}) }()
	resolver := regexp.MustCompile(`LAB='--resolver (\S+) --trust-anchor (\S+)'`)
	var m []string
	for deadline := time.Now().Add(30 * time.Second); m == nil && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		m = resolver.FindStringSubmatch(out.String())
	}
	if m == nil || !strings.Contains(out.String(), "export SSL_CERT_FILE=") {
		t.Fatalf("lab serve printed:\n%s", out.String())
	}
	r := run(t, nil, "", false, "mx", "good.test", "--allow-private", "--resolver", m[1], "--format", "json")
	if r.code != cmd.ExitOK || !strings.Contains(r.out, "mx1.good.test") {
		t.Errorf("mx against the served lab: exit %d\n%s%s", r.code, r.out, r.err)
	}
	// Its trust anchor validates the lab's signed zones.
	r = run(t, nil, "", false, "check", "dnssec-expired.test", "--resolver", m[1], "--trust-anchor", m[2], "--format", "json")
	if r.code != cmd.ExitFindings || !strings.Contains(r.out, `"dnssec.bogus"`) || !strings.Contains(r.out, "expired on") {
		t.Errorf("check of a bogus domain against the served lab: exit %d\n%s%s", r.code, r.out, r.err)
	}
	cancel()
	if code := <-done; code != cmd.ExitInterrupted {
		t.Errorf("exit %d", code)
	}
}
