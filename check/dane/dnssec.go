package dane

import (
	"fmt"

	"github.com/smtptool/smtptool/check/mx"
	"github.com/smtptool/smtptool/report"
)

// DNSSEC reports whether the domain's answers are DNSSEC-validated, from
// the AD bit of its MX answer (RFC 4035 §3.2.3, RFC 6840 §5.7). It says
// nothing when the MX lookup itself failed. Only a validating resolver
// sets the bit, so the message names the resolver.
func DNSSEC(res *mx.Result, resolver string) *report.Check {
	c := &report.Check{Name: "dnssec", Data: map[string]bool{"validated": res.Authentic}}
	if res.Err != nil || res.NXDomain || res.Authentic {
		return c
	}
	c.Add(report.Finding{ID: "dnssec.unsigned", Severity: report.Info,
		Message: fmt.Sprintf("answers for %s are not DNSSEC-validated (no AD bit from %s): the zone is unsigned, or the resolver does not validate", res.Domain, resolver),
		Fix:     "sign the zone with DNSSEC at your DNS host and publish the DS record at the registrar; DANE needs it", Ref: "RFC 4035 §4.3, RFC 7672 §2.2"})
	return c
}
