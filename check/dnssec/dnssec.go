// Package dnssec judges whether a domain's answers are DNSSEC-validated
// (RFC 4033-4035). Today it reads the AD bit that a validating resolver
// sets on authentic answers (RFC 4035 §3.2.3, RFC 6840 §5.7), from the MX
// answer the mx check already has, so it asks nothing itself.
package dnssec

import (
	"context"
	"fmt"

	"github.com/smtptool/smtptool/check/mx"
	"github.com/smtptool/smtptool/dns"
	"github.com/smtptool/smtptool/report"
)

// Name is the check's name in reports.
const Name = "dnssec"

// Options give the check the domain's MX result, whose answer it reads.
type Options struct {
	MX *mx.Result
}

// Result is the check's data.
type Result struct {
	Validated bool `json:"validated"`
}

// Check reports whether the domain's MX answer was DNSSEC-validated. It
// says nothing when the MX lookup itself failed or the domain does not
// exist. Only a validating resolver sets the bit, so the message names
// the resolver.
func Check(_ context.Context, r dns.Resolver, domain string, o Options) (*Result, []report.Finding) {
	m := o.MX
	res := &Result{Validated: m != nil && m.Authentic}
	if m == nil || m.Err != nil || m.NXDomain || m.Authentic {
		return res, nil
	}
	return res, []report.Finding{{ID: "dnssec.unsigned", Severity: report.Info,
		Message: fmt.Sprintf("answers for %s are not DNSSEC-validated (no AD bit from %s): the zone is unsigned, or the resolver does not validate", domain, dns.Address(r)),
		Fix:     "sign the zone with DNSSEC at your DNS host and publish the DS record at the registrar; DANE needs it", Ref: "RFC 4035 §4.3, RFC 7672 §2.2"}}
}
