// Package dnssec judges whether a domain's answers are DNSSEC-secure
// (RFC 4033-4035). With a validator (dns/validate) it validates the MX
// answer itself, from the trust anchors down, and compares its verdict
// with the AD bit of the resolver (RFC 4035 §3.2.3, RFC 6840 §5.7): a
// resolver that does not validate, or that calls bogus data authentic, is
// a finding too. Without one (a test resolver) it reads the AD bit alone.
package dnssec

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	mdns "github.com/miekg/dns"
	"github.com/smtptool/smtptool/check/mx"
	"github.com/smtptool/smtptool/dns"
	"github.com/smtptool/smtptool/dns/validate"
	"github.com/smtptool/smtptool/report"
)

// Name is the check's name in reports.
const Name = "dnssec"

// Options give the check the domain's MX result, whose answer it judges.
type Options struct {
	MX *mx.Result
	// Validated is the validator's verdict on the domain's MX answer, from
	// Validate (asked while the MX check runs); nil judges by the AD bit.
	Validated *validate.Result
	// Now is the clock for signature expiry (default time.Now).
	Now func() time.Time
}

// Result is the check's data.
type Result struct {
	// Validated: the MX answer is secure (by smtptool's own validation
	// when it ran, else by the resolver's AD bit).
	Validated bool `json:"validated"`
	// ResolverAD is the resolver's AD bit on the MX answer.
	ResolverAD bool `json:"resolver_ad"`
	// Validation is smtptool's own verdict, when it validated.
	Validation *validate.Result `json:"validation,omitempty"`
}

// Validate asks the validator for the domain's MX answer: the check's
// evidence, gathered beside the MX check.
func Validate(ctx context.Context, v *validate.Validator, domain string) *validate.Result {
	if v == nil {
		return nil
	}
	return v.Validate(ctx, domain, mdns.TypeMX)
}

// Check judges the domain's MX answer. It says nothing when the domain
// does not exist, or when the MX lookup failed for any reason but DNSSEC.
func Check(_ context.Context, r dns.Resolver, domain string, o Options) (*Result, []report.Finding) {
	m := o.MX
	res := &Result{ResolverAD: m != nil && m.Err == nil && m.Authentic, Validation: o.Validated}
	if o.Validated == nil {
		res.Validated = res.ResolverAD
		if m == nil || m.Err != nil || m.NXDomain || m.Authentic {
			return res, nil
		}
		return res, []report.Finding{{ID: "dnssec.unsigned", Severity: report.Info,
			Message: fmt.Sprintf("answers for %s are not DNSSEC-validated (no AD bit from %s): the zone is unsigned, or the resolver does not validate", domain, dns.Address(r)),
			Fix:     "sign the zone with DNSSEC at your DNS host and publish the DS record at the registrar; DANE needs it", Ref: "RFC 4035 §4.3, RFC 7672 §2.2"}}
	}
	v := o.Validated
	res.Validated = v.Status == validate.Secure
	if m == nil || m.NXDomain {
		return res, nil
	}
	var fs report.Findings
	resolver := dns.Address(r)
	switch v.Status {
	case validate.Indeterminate:
		if m.Err == nil {
			fs.Add(report.LookupFailed(v.Err))
		}
	case validate.Bogus:
		fs.Add(Bogus(domain+" MX", v, m.Err))
		if res.ResolverAD {
			fs.Add(report.Finding{ID: "dnssec.resolver-not-validating", Severity: report.Warning,
				Message: fmt.Sprintf("%s set the AD bit on the MX answer for %s, which fails DNSSEC validation: it does not validate, or trusts other anchors, and its answers cannot be relied on", resolver, domain),
				Fix:     "use a validating resolver (Unbound, BIND, Knot Resolver with the IANA root anchors)", Ref: "RFC 4035 §4.9.3"})
		}
	case validate.Insecure:
		fs.Add(unsigned(domain, v))
	case validate.Secure:
		if m.Err == nil && !m.Authentic {
			fs.Add(report.Finding{ID: "dnssec.resolver-not-validating", Severity: report.Info,
				Message: fmt.Sprintf("the answers for %s are DNSSEC-secure (smtptool validated them), but %s does not set the AD bit: it does not validate, so other answers it gives could be forged", domain, resolver),
				Fix:     "use a validating resolver (Unbound, BIND, Knot Resolver) for mail: DANE and MTA-STS rest on its answers", Ref: "RFC 4035 §4.9.3, RFC 6840 §5.7"})
		}
		fs.Add(expiring(domain, v, o.Now)...)
		fs.Add(deprecated(domain, v)...)
	}
	return res, fs
}

// Bogus is the finding for an answer that fails validation; what names
// it ("example.com MX"), and lookupErr is the ordinary lookup's failure,
// whose Extended DNS Error is the resolver's own account.
func Bogus(what string, v *validate.Result, lookupErr error) report.Finding {
	msg := fmt.Sprintf("DNSSEC validation of %s fails: %s. Validating resolvers answer SERVFAIL, so senders behind them cannot reach the domain", what, v.Reason)
	var le *dns.LookupError
	if errors.As(lookupErr, &le) && le.EDE != nil {
		msg += fmt.Sprintf(" (the resolver says: %s)", dns.DescribeEDE(le.EDE))
	}
	zone := strings.TrimSuffix(v.Zone, ".")
	f := report.Finding{ID: "dnssec.bogus", Severity: report.Error, Message: msg}
	switch v.Problem {
	case validate.ProblemExpired, validate.ProblemNotYetValid:
		f.Fix = fmt.Sprintf("re-sign %s now and check that its signer runs (and that its clock is right): signatures must be refreshed well before they expire", zone)
		f.Ref = "RFC 4035 §5.3.1"
	case validate.ProblemDSMismatch:
		f.Fix = fmt.Sprintf("publish at the registrar the DS record of %s's current key-signing key (or remove the DS to stop signing), and keep old and new DS through a rollover", zone)
		f.Ref = "RFC 4035 §5.2"
	case validate.ProblemNoDNSKEY:
		f.Fix = fmt.Sprintf("publish %s's DNSKEY records again, or remove its DS record at the registrar", zone)
		f.Ref = "RFC 4035 §5.2"
	case validate.ProblemUnknownKey:
		f.Fix = fmt.Sprintf("sign %s with a key it publishes (did a key rollover publish signatures before the key?)", zone)
		f.Ref = "RFC 4035 §5.3.1"
	case validate.ProblemDenial:
		f.Fix = fmt.Sprintf("sign all of %s again, its NSEC or NSEC3 chain included: data edited after signing must be signed again", zone)
		f.Ref = "RFC 4035 §5.4"
	default:
		f.Fix = fmt.Sprintf("re-sign %s: records changed after they were signed, lack signatures, or a signature is corrupt", zone)
		f.Ref = "RFC 4035 §5.3"
	}
	return f
}

func unsigned(domain string, v *validate.Result) report.Finding {
	zone := strings.TrimSuffix(v.Zone, ".")
	fix := fmt.Sprintf("sign %s with DNSSEC at its DNS host and publish its DS record at the registrar; DANE needs it", zone)
	if mdns.CountLabel(v.Zone) == 1 {
		fix = fmt.Sprintf("the top-level domain %s is not signed: DNSSEC (and DANE) is not possible below it", zone)
	}
	return report.Finding{ID: "dnssec.unsigned", Severity: report.Info,
		Message: fmt.Sprintf("the answers for %s are provably insecure: the chain of trust ends at the unsigned delegation to %s (no DS record)", domain, zone),
		Fix:     fix, Ref: "RFC 4035 §5.2"}
}

// expiring warns of signatures that end within three days and have less
// than a third of their validity period left: a signer refreshes them long
// before that (RFC 6781 §4.4.2), while an online signer's short-lived ones
// are always near their end.
func expiring(domain string, v *validate.Result, now func() time.Time) []report.Finding {
	if now == nil {
		now = time.Now
	}
	left := v.Expires.Sub(now())
	if v.Expires.IsZero() || left > 3*24*time.Hour || left > v.Lifetime/3 {
		return nil
	}
	return []report.Finding{{ID: "dnssec.expiring", Severity: report.Warning,
		Message: fmt.Sprintf("a DNSSEC signature the answers for %s rest on expires on %s, in %s, with less than a third of its %d-day validity left: re-signing has stopped?",
			domain, v.Expires.UTC().Format(time.DateTime), left.Round(time.Hour), int(v.Lifetime.Hours()/24)),
		Fix: "check the zone's signer (its logs, its keys, its clock); when the signatures expire the domain becomes unreachable for validating resolvers",
		Ref: "RFC 6781 §4.4.2"}}
}

// deprecated warns of RSA/SHA-1 signatures on the chain (RFC 8624 §3.1:
// MUST NOT sign with algorithms 5 and 7).
func deprecated(domain string, v *validate.Result) []report.Finding {
	var old []string
	for _, a := range v.Algorithms {
		if a == validate.Algorithm(mdns.RSASHA1) || a == validate.Algorithm(mdns.RSASHA1NSEC3SHA1) {
			old = append(old, fmt.Sprintf("%d (%s)", a, mdns.AlgorithmToString[uint8(a)]))
		}
	}
	if len(old) == 0 {
		return nil
	}
	slices.Sort(old)
	return []report.Finding{{ID: "dnssec.algorithm-deprecated", Severity: report.Warning,
		Message: fmt.Sprintf("the chain of trust for %s uses algorithm %s: SHA-1 signatures must no longer be made, and validators are dropping them", domain, strings.Join(old, ", ")),
		Fix:     "roll the zone to ECDSA P-256 (algorithm 13) or Ed25519 (15): an algorithm rollover, new DS at the registrar",
		Ref:     "RFC 8624 §3.1"}}
}

// WriteText shows smtptool's verdict on the MX answer and the resolver's.
func (r *Result) WriteText(p *report.Printer) {
	if v := r.Validation; v != nil && v.Status != validate.Indeterminate {
		line := v.Status.String()
		switch v.Status {
		case validate.Secure:
			line += " (chain of trust from the root"
			if !v.Expires.IsZero() {
				line += ", first signature expires " + v.Expires.UTC().Format(time.DateOnly)
			}
			line += ")"
		case validate.Insecure:
			line += " (unsigned delegation to " + strings.TrimSuffix(v.Zone, ".") + ")"
		case validate.Bogus:
			line += " (in " + strings.TrimSuffix(v.Zone, ".") + ")"
		}
		p.Line(4, p.S(report.Dim, "validated:  ")+line)
	}
	ad := "no"
	if r.ResolverAD {
		ad = "yes"
	}
	p.Line(4, p.S(report.Dim, "resolver AD: ")+ad)
}
