package resolve

import (
	"errors"
	"fmt"

	"github.com/smtptool/smtptool/report"
)

// FailedFinding turns a failed lookup into the dns.lookup-failed finding:
// the check is inconclusive, never "missing".
func FailedFinding(err error) report.Finding {
	query := "a DNS query"
	var le *LookupError
	if errors.As(err, &le) {
		query = le.Query()
	}
	return report.Finding{
		ID:       "dns.lookup-failed",
		Severity: report.Error,
		Message:  fmt.Sprintf("the lookup of %s failed (%v): the result is inconclusive", query, err),
		Fix:      fmt.Sprintf("retry; if it persists, check the domain's name servers (dig +trace %s) or try another --resolver", query),
		Ref:      "RFC 1035 §4.1.1",
	}
}
