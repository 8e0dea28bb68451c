package report

import (
	"errors"
	"fmt"
)

// LookupFailed turns a failed lookup into the dns.lookup-failed finding:
// the check is inconclusive, never "missing". An error that names its
// question (a *dns.LookupError has Query) is named in the message.
func LookupFailed(err error) Finding {
	query := "a DNS query"
	var q interface{ Query() string }
	if errors.As(err, &q) {
		query = q.Query()
	}
	return Finding{
		ID:           "dns.lookup-failed",
		Severity:     Error,
		Message:      fmt.Sprintf("the lookup of %s failed (%v): the result is inconclusive", query, err),
		Fix:          fmt.Sprintf("retry; if it persists, check the domain's name servers (dig +trace %s) or try another --resolver", query),
		Ref:          "RFC 1035 §4.1.1",
		Inconclusive: true,
	}
}
