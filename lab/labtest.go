package lab

import (
	"testing"
	"time"

	"github.com/smtptool/smtptool/check/resolve"
)

// ForTest starts a lab closed at the end of the test, and a resolver that
// asks it with the given per-lookup timeout.
func ForTest(t testing.TB, timeout time.Duration) (*Lab, *resolve.Resolver) {
	t.Helper()
	l, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	r, err := l.Resolver(timeout)
	if err != nil {
		t.Fatal(err)
	}
	return l, r
}
