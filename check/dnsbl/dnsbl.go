// Package dnsbl checks addresses and domains against DNS blocklists
// (RFC 5782). An address a.b.c.d is listed on zone Z when
// d.c.b.a.Z has an A record in 127.0.0.0/8; an IPv6 address is asked in
// reversed nibbles (§2.4); a domain D is asked as D.Z (§2.2). The answer's
// address says why it is listed, per list; a TXT record often says more.
//
// Some answers are errors, not listings (Spamhaus's 127.255.255.x, URIBL's
// and SURBL's 127.0.0.1): they are reported as refusals, with the fix. A
// list that lists its own test entry that must never be listed (127.0.0.1,
// or the name "invalid", §5) is broken, and its answers are ignored.
//
// Every list is asked at once, each with its own timeout, so a run costs
// about one round trip and a slow list delays nobody.
package dnsbl

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	mdns "github.com/miekg/dns"
	"github.com/smtptool/smtptool/check/mx"
	"github.com/smtptool/smtptool/dns"
	"github.com/smtptool/smtptool/report"
)

// Options say which lists to ask and how.
type Options struct {
	// Lists to ask; nil means DefaultLists.
	Lists []List
	// SendPrivate sends loopback, private and reserved addresses too, also
	// those embedded in IPv6 (lists of your own); public lists never see
	// them otherwise. Accepting private MX addresses (mx.Options) is
	// another decision: it never implies this one.
	SendPrivate bool
	// ListTimeout bounds each list (default 5s).
	ListTimeout time.Duration
}

func (o *Options) defaults() {
	if o.Lists == nil {
		o.Lists = DefaultLists
	}
	if o.ListTimeout <= 0 {
		o.ListTimeout = 5 * time.Second
	}
}

// Status of one subject on one list.
type Status string

// Statuses.
const (
	Listed  Status = "listed"
	Clean   Status = "clean"
	Refused Status = "refused" // the list answered with an error code
	Broken  Status = "broken"  // the list lists its test entry: ignored
	Failed  Status = "failed"  // no answer
)

// ListResult is one subject's standing on one list.
type ListResult struct {
	List    string   `json:"list"`
	Zone    string   `json:"zone"`
	Query   string   `json:"query"`
	Status  Status   `json:"status"`
	Answers []string `json:"answers,omitempty"`
	Reasons []string `json:"reasons,omitempty"`
	TXT     string   `json:"txt,omitempty"`
	Delist  string   `json:"delist,omitempty"`
	Error   string   `json:"error,omitempty"`
}

// Result is one subject (an address or a domain) against its lists.
type Result struct {
	Subject string       `json:"subject"`
	Kind    Kind         `json:"kind"`
	Skipped string       `json:"skipped,omitempty"` // why no list was asked
	Lists   []ListResult `json:"lists"`
}

// Name is the name in reports of the check of subject (an address or a
// domain).
func Name(subject string) string { return "dnsbl " + subject }

// CheckIP asks the IP lists about an address.
func CheckIP(ctx context.Context, r dns.Resolver, ip netip.Addr, opts Options) (*Result, []report.Finding) {
	opts.defaults()
	ip = ip.Unmap()
	res := &Result{Subject: ip.String(), Kind: IPList, Lists: []ListResult{}}
	var fs report.Findings
	if scope := mx.Scope(ip); scope != "" && !opts.SendPrivate {
		res.Skipped = scope + " address"
		fs.Add(report.Finding{
			ID: "dnsbl.skipped", Severity: report.Info,
			Message: fmt.Sprintf("%s is a %s address: it is never sent to public blocklists, which list only public addresses", ip, scope),
			Fix:     "check the public address your mail leaves from (send private addresses only to lists of your own: blacklist --allow-private, check --blocklist-private)",
			Ref:     "RFC 5782 §2.1, RFC 6890 §2.2.2, §2.2.3",
		})
		return res, fs
	}
	var lists []List
	for _, l := range opts.Lists {
		if l.Kind == IPList && (ip.Is4() && !l.NoIPv4 || ip.Is6() && l.IPv6) {
			lists = append(lists, l)
		}
	}
	return res, run(ctx, r, reverse(ip), lists, opts, res)
}

// Check asks the domain lists about a domain (RFC 5782 §2.2).
func Check(ctx context.Context, r dns.Resolver, domain string, opts Options) (*Result, []report.Finding) {
	opts.defaults()
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	res := &Result{Subject: domain, Kind: DomainList, Lists: []ListResult{}}
	var lists []List
	for _, l := range opts.Lists {
		if l.Kind == DomainList {
			lists = append(lists, l)
		}
	}
	return res, run(ctx, r, domain, lists, opts, res)
}

// reverse writes an address in the order lists are asked (RFC 5782 §2.1, §2.4).
func reverse(ip netip.Addr) string {
	rev, _ := mdns.ReverseAddr(ip.String()) // "d.c.b.a.in-addr.arpa."
	rev = strings.TrimSuffix(rev, "in-addr.arpa.")
	return strings.TrimSuffix(strings.TrimSuffix(rev, "ip6.arpa."), ".")
}

// testName is the entry a list must never list (RFC 5782 §5).
func testName(l List) string {
	if l.Kind == DomainList {
		return "invalid." + l.Zone
	}
	return "1.0.0.127." + l.Zone
}

func run(ctx context.Context, r dns.Resolver, label string, lists []List, opts Options, res *Result) []report.Finding {
	res.Lists = make([]ListResult, len(lists))
	var wg sync.WaitGroup
	for i, l := range lists {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(ctx, opts.ListTimeout)
			defer cancel()
			res.Lists[i] = ask(ctx, r, label, l)
		})
	}
	wg.Wait()
	var fs []report.Finding
	for i, lr := range res.Lists {
		if f, ok := finding(res.Subject, lists[i], lr); ok {
			fs = append(fs, f)
		}
	}
	return fs
}

// ask queries one list about the subject; only on a listing, its test
// entry (whose only use is to tell a broken list, RFC 5782 §5) and the
// listing's TXT record, at once.
func ask(ctx context.Context, r dns.Resolver, label string, l List) ListResult {
	q := label + "." + l.Zone
	lr := ListResult{List: l.Name, Zone: l.Zone, Query: q, Delist: l.Delist}
	ans, err := r.Lookup(ctx, q, mdns.TypeA)
	if err != nil {
		lr.Status, lr.Error = Failed, err.Error()
		return lr
	}
	for _, a := range dns.Records[*mdns.A](ans) {
		lr.Answers = append(lr.Answers, a.A.String())
	}
	if len(lr.Answers) == 0 {
		lr.Status = Clean
		return lr
	}
	slices.Sort(lr.Answers)
	for _, a := range lr.Answers {
		if why, ok := l.Refusals[a]; ok {
			lr.Status, lr.Reasons = Refused, append(lr.Reasons, why)
		}
	}
	if lr.Status == Refused {
		return lr
	}
	var test, txt *dns.Answer
	var testErr, txtErr error
	var wg sync.WaitGroup
	wg.Go(func() { test, testErr = r.Lookup(ctx, testName(l), mdns.TypeA) })
	wg.Go(func() { txt, txtErr = r.Lookup(ctx, q, mdns.TypeTXT) })
	wg.Wait()
	// RFC 5782 §5: a list that lists its test entry is broken.
	if testErr == nil && !test.Empty() && !refusalOnly(test, l) {
		lr.Status = Broken
		return lr
	}
	lr.Status = Listed
	for _, a := range lr.Answers {
		lr.Reasons = append(lr.Reasons, l.meaning(a)...)
	}
	if txtErr == nil {
		lr.TXT = strings.Join(dns.TXT(txt), " ")
	}
	return lr
}

func refusalOnly(a *dns.Answer, l List) bool {
	for _, rr := range dns.Records[*mdns.A](a) {
		if _, ok := l.Refusals[rr.A.String()]; !ok {
			return false
		}
	}
	return true
}

// meaning decodes one answer address.
func (l List) meaning(answer string) []string {
	if m, ok := l.Codes[answer]; ok {
		return []string{m}
	}
	ip, err := netip.ParseAddr(answer)
	if err != nil || !ip.Is4() {
		return []string{"listed (" + answer + ")"}
	}
	if len(l.Bits) > 0 {
		last := int(ip.As4()[3])
		var out []string
		for _, bit := range []int{2, 4, 8, 16, 32, 64, 128} {
			if last&bit != 0 && l.Bits[bit] != "" {
				out = append(out, l.Bits[bit])
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	if !netip.MustParsePrefix("127.0.0.0/8").Contains(ip) {
		return []string{"answered " + answer + ", outside 127.0.0.0/8: not a valid listing (is the resolver rewriting NXDOMAIN?)"}
	}
	return []string{"listed (" + answer + ")"}
}

func finding(subject string, l List, lr ListResult) (report.Finding, bool) {
	switch lr.Status {
	case Listed:
		msg := fmt.Sprintf("%s is listed on %s (%s): %s", subject, l.Name, strings.Join(lr.Answers, ", "), strings.Join(lr.Reasons, "; "))
		if lr.TXT != "" {
			msg += fmt.Sprintf("; the list says %q", lr.TXT)
		}
		return report.Finding{
			ID: "dnsbl.listed", Severity: report.Error, Message: msg,
			Fix: fmt.Sprintf("find and stop the cause (compromised account or host, open relay, bad list hygiene), then request removal at %s", l.Delist),
			Ref: "RFC 5782 §2",
		}, true
	case Refused:
		return report.Finding{
			ID: "dnsbl.refused", Severity: report.Warning,
			Message: fmt.Sprintf("%s did not answer for %s: %s (%s); the result is inconclusive, not a listing", l.Name, subject, strings.Join(lr.Reasons, "; "), strings.Join(lr.Answers, ", ")),
			Fix:     "query through your own recursive resolver (not a public one such as 8.8.8.8 or 1.1.1.1, nor a busy ISP resolver), or use the list's data-query service with a key",
			Ref:     "RFC 5782 §2.3", Inconclusive: true,
		}, true
	case Broken:
		return report.Finding{
			ID: "dnsbl.broken", Severity: report.Warning,
			Message: fmt.Sprintf("%s lists its own test entry %s, which no list may list: it is broken or shut down, and its answers are ignored", l.Name, testName(l)),
			Fix:     fmt.Sprintf("stop using %s", l.Zone),
			Ref:     "RFC 5782 §5",
		}, true
	case Failed:
		return report.Finding{
			ID: "dnsbl.lookup-failed", Severity: report.Warning,
			Message: fmt.Sprintf("%s did not answer for %s (%s): its verdict is unknown", l.Name, subject, lr.Error),
			Fix:     "retry later; if it lasts, the list may be down or blocking your resolver",
			Ref:     "RFC 5782 §2", Inconclusive: true,
		}, true
	}
	return report.Finding{}, false
}
