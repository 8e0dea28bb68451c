// Package dmarc checks a domain's DMARC policy (RFC 7489, with DMARCbis
// clarifications): the "v=DMARC1" TXT record at _dmarc.<domain>, or at
// _dmarc.<organizational domain> when the domain has none (§6.6.3; the
// organizational domain comes from the public suffix list). The record says
// what receivers do with mail that fails SPF and DKIM alignment (p=, sp=,
// pct=) and where to send reports (rua=, ruf=). A report address in
// another organization must be authorized there by a record at
// <domain>._report._dmarc.<destination> (§7.1).
package dmarc

import (
	"context"
	"fmt"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"sync"

	mdns "github.com/miekg/dns"
	"github.com/smtptool/smtptool/check/tags"
	"github.com/smtptool/smtptool/dns"
	"github.com/smtptool/smtptool/report"
	"golang.org/x/net/publicsuffix"
)

// Policy is a p=, sp= or np= value.
type Policy string

// Policies, weakest first.
const (
	None       Policy = "none"
	Quarantine Policy = "quarantine"
	Reject     Policy = "reject"
)

func (p Policy) strength() int { return slices.Index([]Policy{None, Quarantine, Reject}, p) }

// Record is a parsed DMARC record. It is kept, with its raw text, even
// when some tags are invalid.
type Record struct {
	Raw             string            `json:"raw"`
	Tags            map[string]string `json:"tags"`
	Policy          Policy            `json:"p,omitempty"`  // "p"
	SubdomainPolicy Policy            `json:"sp,omitempty"` // "sp"; p when absent
	Percent         int               `json:"pct"`          // "pct", 100 when absent
	AlignDKIM       string            `json:"adkim"`        // "adkim": r or s
	AlignSPF        string            `json:"aspf"`         // "aspf": r or s
	RUA             []string          `json:"rua,omitempty"`
	RUF             []string          `json:"ruf,omitempty"`
	// DMARCbis (draft-ietf-dmarc-dmarcbis): np= for non-existent
	// subdomains (sp, or p, when absent), t=y for testing, psd= for
	// public suffix operators.
	NonexistentPolicy Policy `json:"np,omitempty"`
	Testing           bool   `json:"t,omitempty"`
	PSD               string `json:"psd,omitempty"`
	// Errors lists what does not parse (RFC 7489 §6.3).
	Errors []string `json:"errors,omitempty"`
}

// IsDMARC reports whether a TXT record is a DMARC record: v=DMARC1 first
// (RFC 7489 §6.4: dmarc-version = "v" *WSP "=" *WSP %x44.4d.41.52.43.31,
// so the tag name is case-insensitive, white space may surround "=", and
// "DMARC1" is exact).
func IsDMARC(txt string) bool {
	tag, value, _ := strings.Cut(strings.SplitN(txt, ";", 2)[0], "=")
	return strings.EqualFold(strings.TrimLeft(strings.TrimRight(tag, " \t"), " \t"), "v") && strings.TrimRight(strings.TrimLeft(value, " \t"), " \t") == "DMARC1"
}

// ignoredReason says why a TXT record at _dmarc that is not a DMARC record
// looks like one that was meant to be, or false when it does not (a
// verification token, say). Receivers discard such records (RFC 7489
// §6.6.3 step 2), so the owner needs to hear why.
func ignoredReason(txt string) (string, bool) {
	t := strings.TrimSpace(txt)
	lower := strings.ToLower(t)
	first, _, _ := strings.Cut(t, ";")
	tag, value, _ := strings.Cut(first, "=")
	tag, value = strings.TrimSpace(tag), strings.TrimSpace(value)
	switch {
	case strings.HasPrefix(lower, "v=spf1"):
		return "it is an SPF record, which belongs at the domain itself, not at _dmarc", true
	case strings.EqualFold(tag, "v") && strings.EqualFold(value, "DMARC1"):
		return fmt.Sprintf("v=%s must be written v=DMARC1 exactly, in capitals", value), true
	case strings.EqualFold(tag, "v") && strings.HasPrefix(strings.ToUpper(value), "DMARC1"):
		return "v=DMARC1 must be followed by a semicolon before the next tag", true
	case strings.Contains(lower, "v=dmarc1"), strings.Contains(lower, "v = dmarc1"):
		return "v=DMARC1 must be the first tag", true
	case strings.Contains(lower, "dmarc"), tagPresent(lower, "p"), tagPresent(lower, "rua"):
		return "it does not start with v=DMARC1", true
	}
	return "", false
}

// tagPresent reports a "name=" tag in a lower-cased tag list.
func tagPresent(lower, name string) bool {
	for _, part := range strings.Split(lower, ";") {
		if k, _, ok := strings.Cut(part, "="); ok && strings.TrimSpace(k) == name {
			return true
		}
	}
	return false
}

// Parse reads a tag list (RFC 7489 §6.3, §6.4). Problems are collected in
// Record.Errors; the record is returned whatever they are.
func Parse(txt string) *Record {
	r := &Record{Raw: txt, Tags: map[string]string{}, Percent: 100, AlignDKIM: "r", AlignSPF: "r"}
	bad := func(format string, args ...any) { r.Errors = append(r.Errors, fmt.Sprintf(format, args...)) }
	list, notTags := tags.Split(txt)
	for _, part := range notTags {
		bad("%q is not tag=value", part)
	}
	for i, t := range list {
		tag, value := strings.ToLower(t.Name), t.Value
		if _, dup := r.Tags[tag]; dup {
			bad("the %s tag appears twice", tag)
		}
		r.Tags[tag] = value
		if i == 0 && (tag != "v" || value != "DMARC1") {
			bad(`the record must start with "v=DMARC1"`)
		}
		switch tag {
		case "v":
			if i != 0 {
				bad("v= must be the first tag")
			}
		case "p", "sp", "np":
			p := Policy(strings.ToLower(value))
			if p.strength() < 0 {
				bad("%s=%s is not none, quarantine or reject", tag, value)
				continue
			}
			switch tag {
			case "p":
				r.Policy = p
			case "sp":
				r.SubdomainPolicy = p
			default:
				r.NonexistentPolicy = p
			}
		case "t":
			// DMARCbis §5.3 (t=): y or n.
			switch strings.ToLower(value) {
			case "y":
				r.Testing = true
			case "n":
			default:
				bad("t=%s is not y or n", value)
			}
		case "psd":
			// DMARCbis §5.3 (psd=): y, n or u.
			if v := strings.ToLower(value); v == "y" || v == "n" || v == "u" {
				r.PSD = v
			} else {
				bad("psd=%s is not y, n or u", value)
			}
		case "pct":
			n, err := strconv.Atoi(value)
			if err != nil || n < 0 || n > 100 {
				bad("pct=%s is not a number from 0 to 100", value)
				continue
			}
			r.Percent = n
		case "adkim", "aspf":
			if value != "r" && value != "s" {
				bad("%s=%s is not r (relaxed) or s (strict)", tag, value)
				continue
			}
			if tag == "adkim" {
				r.AlignDKIM = value
			} else {
				r.AlignSPF = value
			}
		case "rua", "ruf":
			var uris []string
			for _, u := range strings.Split(value, ",") {
				uris = append(uris, strings.TrimSpace(u))
			}
			if tag == "rua" {
				r.RUA = uris
			} else {
				r.RUF = uris
			}
		case "fo":
			for _, o := range strings.Split(value, ":") {
				if o = strings.TrimSpace(o); o != "0" && o != "1" && o != "d" && o != "s" {
					bad("fo=%s: %q is not 0, 1, d or s", value, o)
				}
			}
		case "ri":
			if n, err := strconv.ParseUint(value, 10, 32); err != nil || n == 0 {
				bad("ri=%s is not a positive number of seconds", value)
			}
		case "rf":
			if !strings.EqualFold(value, "afrf") {
				bad("rf=%s: afrf is the only report format", value)
			}
		}
	}
	if _, ok := r.Tags["p"]; !ok {
		bad("the required p= tag is missing")
	}
	if r.SubdomainPolicy == "" {
		r.SubdomainPolicy = r.Policy
	}
	if r.NonexistentPolicy == "" {
		r.NonexistentPolicy = r.SubdomainPolicy
	}
	return r
}

// reportAddress reads a rua/ruf URI: mailto:addr with an optional !size
// suffix (RFC 7489 §6.4). It returns the address's domain.
func reportAddress(uri string) (string, error) {
	rest, ok := strings.CutPrefix(strings.ToLower(uri), "mailto:")
	if !ok {
		return "", fmt.Errorf("%q is not a mailto: URI", uri)
	}
	if i := strings.LastIndexByte(rest, '!'); i >= 0 {
		size := strings.TrimRight(rest[i+1:], "kmgt")
		if _, err := strconv.ParseUint(size, 10, 64); err != nil {
			return "", fmt.Errorf("%q has a bad size limit", uri)
		}
		rest = rest[:i]
	}
	addr, err := mail.ParseAddress(rest)
	if err != nil {
		return "", fmt.Errorf("%q is not a valid address", uri)
	}
	_, domain, _ := strings.Cut(addr.Address, "@")
	if !dns.ValidName(domain) || !strings.Contains(domain, ".") {
		return "", fmt.Errorf("%q has no valid domain", uri)
	}
	return domain, nil
}

// isPublicSuffix reports whether a domain is on the public suffix list.
func isPublicSuffix(domain string) bool {
	ps, _ := publicsuffix.PublicSuffix(strings.ToLower(strings.TrimSuffix(domain, ".")))
	return ps == strings.ToLower(strings.TrimSuffix(domain, "."))
}

// OrgDomain is the organizational domain (RFC 7489 §3.2): the public
// suffix plus one label.
func OrgDomain(domain string) string {
	d := strings.ToLower(strings.TrimSuffix(domain, "."))
	org, err := publicsuffix.EffectiveTLDPlusOne(d)
	if err != nil {
		return d
	}
	return org
}

// Result is what the check learned; the check's JSON data.
type Result struct {
	Domain string `json:"domain"`
	// Found is the domain whose _dmarc record applies (the organizational
	// domain, or an ancestor in a tree walk, when inherited).
	Found     string  `json:"found_at,omitempty"`
	Inherited bool    `json:"inherited"`
	Record    *Record `json:"record,omitempty"`
	// Policy is the policy that applies to Domain: p, or sp when inherited.
	Policy Policy `json:"policy,omitempty"`
	// Discovery is how the policy domain was found: "psl" (RFC 7489
	// §6.6.3, the organizational domain from the public suffix list) or
	// "tree-walk" (DMARCbis §4.10).
	Discovery string `json:"discovery"`
	// Ignored are TXT records at a _dmarc name that look meant as DMARC
	// records but that receivers discard.
	Ignored []Ignored `json:"ignored,omitempty"`
}

// Ignored is a record receivers discard, and why.
type Ignored struct {
	Name   string `json:"name"`
	Record string `json:"record"`
	Why    string `json:"why"`
}

// Name is the check's name in reports.
const Name = "dmarc"

// Options tune the check.
type Options struct {
	// TreeWalk finds the policy domain by DMARCbis's tree walk (§4.10)
	// instead of RFC 7489's organizational domain (§6.6.3), the default.
	TreeWalk bool
}

// maxWalk is DMARCbis §4.10's bound: a name of more than 7 labels jumps
// to its last 7 after the first query.
const maxWalk = 7

// Check discovers, parses and lints the DMARC policy of a domain.
func Check(ctx context.Context, r dns.Resolver, domain string, o Options) (*Result, []report.Finding) {
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	res := &Result{Domain: domain, Discovery: "psl"}
	if o.TreeWalk {
		res.Discovery = "tree-walk"
	}
	var fs report.Findings

	var records []string
	found := ""
	for _, name := range candidates(domain, o.TreeWalk) {
		valid, ignored, err := lookup(ctx, r, name)
		if err != nil {
			fs.Add(report.LookupFailed(err))
			return res, fs
		}
		res.Ignored = append(res.Ignored, ignored...)
		records, found = valid, name
		// RFC 7489 §6.6.3 step 4: several records end the discovery; a
		// tree walk (DMARCbis §4.10 step 3) goes on past them.
		if len(valid) == 1 || len(valid) > 1 && !o.TreeWalk {
			break
		}
	}
	for _, ig := range res.Ignored {
		fs.Add(report.Finding{ID: "dmarc.syntax", Severity: report.Error,
			Message: fmt.Sprintf("_dmarc.%s has a record that receivers ignore: %q: %s", ig.Name, ig.Record, ig.Why),
			Fix:     fmt.Sprintf(`publish it as "v=DMARC1; p=…" at _dmarc.%s, with v=DMARC1 first, exactly so`, ig.Name),
			Ref:     "RFC 7489 §6.4, §6.6.3"})
	}
	switch len(records) {
	case 0:
		if len(res.Ignored) == 0 {
			fs.Add(report.Finding{ID: "dmarc.missing", Severity: report.Warning,
				Message: fmt.Sprintf("%s has no DMARC record (nor has its organizational domain): receivers apply no policy to forged mail", domain),
				Fix:     fmt.Sprintf(`publish TXT at _dmarc.%s: "v=DMARC1; p=none; rua=mailto:dmarc-reports@%s", then move to quarantine and reject`, OrgDomain(domain), OrgDomain(domain)),
				Ref:     "RFC 7489 §6.1"})
		}
		return res, fs
	case 1:
	default:
		fs.Add(report.Finding{ID: "dmarc.multiple", Severity: report.Error,
			Message: fmt.Sprintf("_dmarc.%s has %d DMARC records: receivers ignore them all", found, len(records)),
			Fix:     "keep exactly one v=DMARC1 record", Ref: "RFC 7489 §6.6.3"})
		return res, fs
	}
	rec := Parse(records[0])
	res.Found, res.Record = found, rec
	res.Inherited = found != domain
	res.Policy = rec.Policy
	if res.Inherited {
		res.Policy = rec.SubdomainPolicy
		how := "its organizational domain (RFC 7489 §6.6.3)"
		if o.TreeWalk {
			how = "the first ancestor with a record (DMARCbis tree walk)"
		}
		fs.Add(report.Finding{ID: "dmarc.inherited", Severity: report.Info,
			Message: fmt.Sprintf("%s has no DMARC record of its own: the policy of %s, %s, applies (sp=%s)", domain, found, how, rec.SubdomainPolicy),
			Fix:     fmt.Sprintf("nothing to do if that is intended; otherwise publish _dmarc.%s", domain),
			Ref:     "RFC 7489 §6.6.3"})
	}
	lint(ctx, r, &fs, rec, found)
	return res, fs
}

// candidates are the names whose _dmarc records are asked in turn: the
// domain, then its organizational domain (RFC 7489 §6.6.3); or, in a
// tree walk (DMARCbis §4.10), each ancestor up to the top-level domain,
// jumping to the last 7 labels of a longer name.
func candidates(domain string, treeWalk bool) []string {
	out := []string{domain}
	if !treeWalk {
		if org := OrgDomain(domain); org != domain {
			out = append(out, org)
		}
		return out
	}
	labels := strings.Split(domain, ".")
	if len(labels) > maxWalk+1 {
		labels = labels[len(labels)-maxWalk-1:]
	}
	for len(labels) > 1 {
		labels = labels[1:]
		out = append(out, strings.Join(labels, "."))
	}
	return out
}

// lookup returns the DMARC records at _dmarc.<domain>, and those that
// receivers discard though they were meant as DMARC records.
func lookup(ctx context.Context, r dns.Resolver, domain string) (valid []string, ignored []Ignored, err error) {
	ans, err := r.Lookup(ctx, "_dmarc."+domain, mdns.TypeTXT)
	if err != nil {
		return nil, nil, err
	}
	for _, t := range dns.TXT(ans) {
		if IsDMARC(t) {
			valid = append(valid, t)
		} else if why, ok := ignoredReason(t); ok {
			ignored = append(ignored, Ignored{Name: domain, Record: t, Why: why})
		}
	}
	return valid, ignored, nil
}

func lint(ctx context.Context, r dns.Resolver, fs *report.Findings, rec *Record, domain string) {
	for _, e := range rec.Errors {
		fs.Add(report.Finding{ID: "dmarc.syntax", Severity: report.Error,
			Message: fmt.Sprintf("the DMARC record of %s is malformed: %s", domain, e),
			Fix:     "correct the record: " + rec.Raw, Ref: "RFC 7489 §6.3, §6.4"})
	}
	if rec.Policy == None {
		fs.Add(report.Finding{ID: "dmarc.policy-none", Severity: report.Warning,
			Message: fmt.Sprintf("the DMARC policy of %s is p=none: forged mail is only reported, never stopped", domain),
			Fix:     "once the reports show all legitimate mail aligned, move to p=quarantine, then p=reject", Ref: "RFC 7489 §6.3"})
	}
	if rec.Percent < 100 {
		fs.Add(report.Finding{ID: "dmarc.pct-partial", Severity: report.Warning,
			Message: fmt.Sprintf("pct=%d: the policy applies to only %d%% of failing mail", rec.Percent, rec.Percent),
			Fix:     "raise pct to 100 (or remove it) once the policy is safe", Ref: "RFC 7489 §6.3"})
	}
	if rec.Policy.strength() >= 0 && rec.SubdomainPolicy.strength() >= 0 && rec.SubdomainPolicy.strength() < rec.Policy.strength() {
		fs.Add(report.Finding{ID: "dmarc.sp-weaker", Severity: report.Warning,
			Message: fmt.Sprintf("sp=%s is weaker than p=%s: forgers can use any subdomain of %s", rec.SubdomainPolicy, rec.Policy, domain),
			Fix:     "remove sp= (subdomains then inherit p) or set it as strong as p", Ref: "RFC 7489 §6.3"})
	}
	if rec.Testing {
		// DMARCbis §5.3 (t=y): receivers apply the policy one step lower
		// (reject as quarantine, quarantine as none).
		fs.Add(report.Finding{ID: "dmarc.testing", Severity: report.Warning,
			Message: fmt.Sprintf("the DMARC policy of %s is in test mode (t=y): receivers apply it one step lower than p=%s", domain, rec.Policy),
			Fix:     "remove t=y (or set t=n) once the reports show all legitimate mail aligned", Ref: "draft-ietf-dmarc-dmarcbis §5.3"})
	}
	if _, given := rec.Tags["np"]; given && rec.Policy.strength() >= 0 && rec.NonexistentPolicy.strength() >= 0 && rec.NonexistentPolicy.strength() < rec.Policy.strength() {
		fs.Add(report.Finding{ID: "dmarc.np-weaker", Severity: report.Warning,
			Message: fmt.Sprintf("np=%s is weaker than p=%s: forgers can use subdomains of %s that do not exist", rec.NonexistentPolicy, rec.Policy, domain),
			Fix:     "remove np= (non-existent subdomains then take sp, or p) or set it to reject", Ref: "draft-ietf-dmarc-dmarcbis §5.3"})
	}
	if rec.PSD == "y" && !isPublicSuffix(domain) {
		fs.Add(report.Finding{ID: "dmarc.psd-misused", Severity: report.Warning,
			Message: fmt.Sprintf("%s publishes psd=y, but it is not a public suffix: receivers walking the tree take it for a public suffix operator, and its subdomains for organizations of their own", domain),
			Fix:     "remove psd=y (it is only for public suffix operators such as TLD registries)", Ref: "draft-ietf-dmarc-dmarcbis §5.3"})
	}
	if len(rec.RUA) == 0 {
		fs.Add(report.Finding{ID: "dmarc.no-rua", Severity: report.Info,
			Message: fmt.Sprintf("the DMARC record of %s asks for no aggregate reports: you cannot see who sends as you", domain),
			Fix:     fmt.Sprintf("add rua=mailto:dmarc-reports@%s (or a report-processing service's address)", domain), Ref: "RFC 7489 §7.2"})
	}
	checkDestinations(ctx, r, fs, rec, domain)
}

// checkDestinations validates rua/ruf URIs and, for each external
// destination, its authorization record (RFC 7489 §7.1).
func checkDestinations(ctx context.Context, r dns.Resolver, fs *report.Findings, rec *Record, domain string) {
	var external []string
	for _, uri := range append(append([]string(nil), rec.RUA...), rec.RUF...) {
		dest, err := reportAddress(uri)
		if err != nil {
			fs.Add(report.Finding{ID: "dmarc.uri-invalid", Severity: report.Error,
				Message: fmt.Sprintf("the report destination %s: receivers will not send reports there", err),
				Fix:     "write each destination as mailto:address@domain", Ref: "RFC 7489 §6.4"})
			continue
		}
		if OrgDomain(dest) != OrgDomain(domain) && !slices.Contains(external, dest) {
			external = append(external, dest)
		}
	}
	findings := make([]*report.Finding, len(external))
	var wg sync.WaitGroup
	for i, dest := range external {
		wg.Go(func() {
			name := domain + "._report._dmarc." + dest
			ans, err := r.Lookup(ctx, name, mdns.TypeTXT)
			if err != nil {
				f := report.LookupFailed(err)
				findings[i] = &f
				return
			}
			for _, t := range dns.TXT(ans) {
				if strings.HasPrefix(t, "v=DMARC1") {
					return
				}
			}
			findings[i] = &report.Finding{ID: "dmarc.rua-unauthorized", Severity: report.Warning,
				Message: fmt.Sprintf("reports go to %s, which has not authorized them: there is no \"v=DMARC1\" at %s, so receivers will not send them", dest, name),
				Fix:     fmt.Sprintf(`ask the owner of %s to publish TXT "v=DMARC1" at %s`, dest, name),
				Ref:     "RFC 7489 §7.1"}
		})
	}
	wg.Wait()
	for _, f := range findings {
		if f != nil {
			fs.Add(*f)
		}
	}
}

// WriteText shows the record and the policy that applies.
func (res *Result) WriteText(p *report.Printer) {
	if res.Record == nil {
		return
	}
	p.Line(4, p.S(report.Dim, "record: ")+res.Record.Raw)
	where := ""
	if res.Inherited {
		where = " (inherited from " + res.Found + ")"
	}
	style := map[Policy]report.Style{Reject: report.Good, Quarantine: report.Good, None: report.Warn}[res.Policy]
	p.Line(4, fmt.Sprintf("%s%s%s, pct=%d, adkim=%s, aspf=%s", p.S(report.Dim, "policy: "), p.S(style, string(res.Policy)), where,
		res.Record.Percent, res.Record.AlignDKIM, res.Record.AlignSPF))
}
