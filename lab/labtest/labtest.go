// Package labtest holds the test helpers of the lab, apart from it so that
// the shipped binary (which starts the lab for demo) never links testing.
package labtest

import (
	"testing"
	"time"

	"github.com/smtptool/smtptool/dns"
	"github.com/smtptool/smtptool/lab"
	"github.com/smtptool/smtptool/report"
)

// ForTest starts a lab closed at the end of the test, and a resolver that
// asks it with the given per-lookup timeout.
func ForTest(t testing.TB, timeout time.Duration) (*lab.Lab, *dns.Client) {
	t.Helper()
	l, err := lab.Start(lab.Options{})
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

// CheckComplete fails the test for every finding that lacks a message, a
// fix or a reference: each must say what is wrong, what to do, and which
// rule it applies.
func CheckComplete(t testing.TB, where string, fs ...report.Finding) {
	t.Helper()
	for _, f := range fs {
		if f.Message == "" || f.Fix == "" || f.Ref == "" {
			t.Errorf("%s: finding %s lacks a message, fix or ref: %+v", where, f.ID, f)
		}
	}
}
