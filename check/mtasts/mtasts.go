// Package mtasts checks a domain's MTA-STS policy (RFC 8461): a TXT record
// at _mta-sts.<domain> ("v=STSv1; id=...") announces a policy served over
// HTTPS at https://mta-sts.<domain>/.well-known/mta-sts.txt, which says
// which MX hosts senders may deliver to (mx: patterns) and whether they
// must refuse to deliver without valid TLS (mode: enforce).
package mtasts

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	mdns "github.com/miekg/dns"
	"github.com/smtptool/smtptool/check/tags"
	"github.com/smtptool/smtptool/check/webget"
	"github.com/smtptool/smtptool/dns"
	"github.com/smtptool/smtptool/report"
)

// MaxPolicySize is the largest policy fetched (RFC 8461 §3.3: 64 KiB).
const MaxPolicySize = 64 << 10

// Options say how to fetch the policy.
type Options struct {
	// Port of the policy host (default 443; the lab uses its own).
	Port int
	// RootCAs verify the policy host; nil means the system's roots.
	RootCAs *x509.CertPool
	// Timeout bounds the fetch (default 10s).
	Timeout time.Duration
	// MXHosts gives the domain's MX host names to match against the
	// policy; it is called only once the policy is in hand, so that the MX
	// lookup can run meanwhile. Nil matches nothing.
	MXHosts func() []string
}

func (o Options) mxHosts() []string {
	if o.MXHosts == nil {
		return nil
	}
	return o.MXHosts()
}

// Policy is a parsed policy file (RFC 8461 §3.2).
type Policy struct {
	Version string   `json:"version"`
	Mode    string   `json:"mode"`
	MX      []string `json:"mx"`
	MaxAge  int      `json:"max_age"`
	Raw     string   `json:"raw"`
}

// Result is the check's data.
type Result struct {
	Record string  `json:"record,omitempty"`
	ID     string  `json:"id,omitempty"`
	URL    string  `json:"url,omitempty"`
	Policy *Policy `json:"policy,omitempty"`
}

// Name is the check's name in reports.
const Name = "mta-sts"

var idPattern = regexp.MustCompile(`^[A-Za-z0-9]{1,32}$`)

// Check checks the record, fetches and parses the policy, and matches
// every MX host (Options.MXHosts) against its mx: patterns.
func Check(ctx context.Context, r dns.Resolver, domain string, opts Options) (*Result, []report.Finding) {
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	res := &Result{}
	var fs report.Findings
	name := "_mta-sts." + domain
	ans, err := r.Lookup(ctx, name, mdns.TypeTXT)
	if err != nil {
		fs.Add(report.LookupFailed(err))
		return res, fs
	}
	recs := dns.TXTMatching(ans, func(t string) bool { return strings.HasPrefix(t, "v=STSv1") })
	switch len(recs) {
	case 0:
		fs.Add(report.Finding{ID: "mtasts.missing", Severity: report.Info,
			Message: fmt.Sprintf("%s has no MTA-STS policy: senders deliver over TLS opportunistically, and an attacker can strip it", domain),
			Fix:     fmt.Sprintf(`serve a policy at https://mta-sts.%s/.well-known/mta-sts.txt and publish TXT "v=STSv1; id=20260101T000000" at %s`, domain, name),
			Ref:     "RFC 8461 §3"})
		return res, fs
	case 1:
	default:
		fs.Add(syntax(name, fmt.Sprintf("%d records; exactly one is allowed", len(recs))))
		return res, fs
	}
	res.Record = recs[0]
	// RFC 8461 §3.1: v=STSv1 first, then id= of 1 to 32 alphanumerics.
	id, err := parseRecord(recs[0])
	if err != nil {
		fs.Add(syntax(name, err.Error()))
		return res, fs
	}
	res.ID = id

	res.URL = "https://mta-sts." + domain + "/.well-known/mta-sts.txt"
	body, err := fetch(ctx, r, "mta-sts."+domain, opts)
	if err != nil {
		fs.Add(report.Finding{ID: "mtasts.policy-unavailable", Severity: report.Error,
			Message: fmt.Sprintf("the MTA-STS policy at %s cannot be fetched: %v; senders treat the domain as having no policy", res.URL, err),
			Fix:     fmt.Sprintf("serve the policy over HTTPS at mta-sts.%s with a valid certificate for that name, status 200 and no redirect", domain),
			Ref:     "RFC 8461 §3.3"})
		return res, fs
	}
	pol, problems := ParsePolicy(body)
	res.Policy = pol
	for _, p := range problems {
		fs.Add(report.Finding{ID: "mtasts.policy-invalid", Severity: report.Error,
			Message: fmt.Sprintf("the MTA-STS policy at %s is invalid: %s", res.URL, p),
			Fix:     "serve version: STSv1, mode: enforce|testing|none, one mx: line per MX host or pattern, and max_age: seconds", Ref: "RFC 8461 §3.2"})
	}
	if len(problems) > 0 {
		return res, fs
	}
	switch pol.Mode {
	case "testing":
		fs.Add(report.Finding{ID: "mtasts.testing", Severity: report.Info,
			Message: "the MTA-STS policy is in testing mode: failures are reported (TLS-RPT) but delivery goes on",
			Fix:     "switch to mode: enforce once TLS-RPT reports are clean", Ref: "RFC 8461 §5"})
	case "none":
		// RFC 8461 §3.2, §8.3: mode none withdraws the policy; senders treat
		// the domain as having none.
		fs.Add(report.Finding{ID: "mtasts.mode-none", Severity: report.Warning,
			Message: "the MTA-STS policy is mode: none: it is withdrawn, and senders treat the domain as having no policy",
			Fix:     "serve mode: testing, then mode: enforce (or remove the _mta-sts record once senders' cached policies have expired)", Ref: "RFC 8461 §3.2, §8.3"})
	}
	if pol.MaxAge >= 0 && pol.MaxAge < minMaxAge && pol.Mode != "none" {
		fs.Add(report.Finding{ID: "mtasts.max-age-short", Severity: report.Warning,
			Message: fmt.Sprintf("max_age is %d seconds, under a day: senders soon forget the policy, and an attacker who blocks its refresh can strip TLS", pol.MaxAge),
			Fix:     "set max_age to weeks or more (604800 is a week; 31557600, a year, is the most)", Ref: "RFC 8461 §3.2"})
	}
	if pol.Mode != "none" {
		for _, h := range opts.mxHosts() {
			if !Matches(pol.MX, h) {
				host := strings.TrimSuffix(h, ".")
				why := ""
				if p := tooDeep(pol.MX, host); p != "" {
					// RFC 8461 §4.1: a wildcard matches exactly one label.
					why = fmt.Sprintf("; %s matches only one label in place of its *, and %s is more than one below it", p, host)
				}
				fs.Add(report.Finding{ID: "mtasts.mx-mismatch", Severity: report.Error,
					Message: fmt.Sprintf("the MX host %s matches no mx: line of the MTA-STS policy (%s)%s: enforcing senders will not deliver to it", host, strings.Join(pol.MX, ", "), why),
					Fix:     "add an mx: line for it to the policy (and change the TXT id= so senders refetch)", Ref: "RFC 8461 §4.1"})
			}
		}
	}
	return res, fs
}

func syntax(name, why string) report.Finding {
	return report.Finding{ID: "mtasts.syntax", Severity: report.Error,
		Message: fmt.Sprintf("the MTA-STS record at %s is malformed: %s; senders ignore the policy", name, why),
		Fix:     `publish exactly one record "v=STSv1; id=<1-32 letters or digits>"`, Ref: "RFC 8461 §3.1"}
}

func parseRecord(txt string) (string, error) {
	list, bad := tags.Split(txt)
	if len(bad) > 0 {
		return "", fmt.Errorf("%q is not name=value", bad[0])
	}
	id := ""
	for i, t := range list {
		if i == 0 && (t.Name != "v" || t.Value != "STSv1") {
			return "", errors.New("it must start with v=STSv1")
		}
		if t.Name == "id" {
			if !idPattern.MatchString(t.Value) {
				return "", fmt.Errorf("id=%s is not 1 to 32 letters or digits", t.Value)
			}
			id = t.Value
		}
	}
	if id == "" {
		return "", errors.New("the id= field is missing")
	}
	return id, nil
}

// fetch gets the policy by the rules of RFC 8461 §3.3: HTTPS with a
// verified certificate, no redirects, status 200, text/plain, at most
// 64 KiB, within the timeout.
func fetch(ctx context.Context, r dns.Resolver, host string, opts Options) (string, error) {
	doc, err := webget.Get(ctx, r, "https://"+host+"/.well-known/mta-sts.txt",
		webget.Options{Port: opts.Port, RootCAs: opts.RootCAs, Timeout: opts.Timeout, MaxSize: MaxPolicySize})
	if err != nil {
		return "", err
	}
	if doc.MediaType != "text/plain" {
		return "", fmt.Errorf("the media type is %q, not text/plain", doc.MediaType)
	}
	return string(doc.Body), nil
}

// ParsePolicy reads "key: value" lines (RFC 8461 §3.2). It returns the
// problems that make the policy invalid.
func ParsePolicy(text string) (*Policy, []string) {
	p := &Policy{Raw: text, MaxAge: -1}
	var problems []string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			problems = append(problems, fmt.Sprintf("%q is not key: value", line))
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch k {
		case "version":
			p.Version = v
		case "mode":
			p.Mode = v
		case "mx":
			p.MX = append(p.MX, strings.ToLower(v))
		case "max_age":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 31557600 || strings.ContainsAny(v, "+-") {
				problems = append(problems, fmt.Sprintf("max_age: %s is not 0 to 31557600 seconds", v))
				continue
			}
			p.MaxAge = n
		}
	}
	if p.Version != "STSv1" {
		problems = append(problems, fmt.Sprintf("version is %q, not STSv1", p.Version))
	}
	switch p.Mode {
	case "enforce", "testing", "none":
	default:
		problems = append(problems, fmt.Sprintf("mode is %q, not enforce, testing or none", p.Mode))
	}
	if p.MaxAge < 0 && !slicesHas(problems, "max_age") {
		problems = append(problems, "max_age is missing")
	}
	if len(p.MX) == 0 && p.Mode != "none" {
		problems = append(problems, "there is no mx: line")
	}
	return p, problems
}

func slicesHas(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

// minMaxAge is a day: RFC 8461 §3.2 expects max_age "in the range of weeks
// or greater", and under a day the policy protects little.
const minMaxAge = 86400

// tooDeep returns the wildcard pattern that host falls under by more
// than one label ("*.example.com" for a.b.example.com), or "".
func tooDeep(patterns []string, host string) string {
	host = strings.ToLower(host)
	for _, p := range patterns {
		if suffix, ok := strings.CutPrefix(strings.ToLower(strings.TrimSuffix(p, ".")), "*."); ok && strings.HasSuffix(host, "."+suffix) {
			return p
		}
	}
	return ""
}

// Matches reports whether a host matches an mx: pattern: the exact name,
// or "*.example.com" for exactly one more label (RFC 8461 §4.1).
func Matches(patterns []string, host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, p := range patterns {
		p = strings.ToLower(strings.TrimSuffix(p, "."))
		if suffix, ok := strings.CutPrefix(p, "*."); ok {
			if label, rest, found := strings.Cut(host, "."); found && label != "" && rest == suffix {
				return true
			}
			continue
		}
		if p == host {
			return true
		}
	}
	return false
}

// WriteText shows the record and the policy.
func (res *Result) WriteText(p *report.Printer) {
	if res.Record == "" {
		return
	}
	p.Line(4, p.S(report.Dim, "record: ")+res.Record)
	if res.Policy != nil {
		p.Line(4, fmt.Sprintf("%s%s, mx %s, max_age %d", p.S(report.Dim, "policy: mode "), res.Policy.Mode, strings.Join(res.Policy.MX, " "), res.Policy.MaxAge))
	}
}
