package spf

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	mdns "github.com/miekg/dns"
	"github.com/smtptool/smtptool/dns"
	"github.com/smtptool/smtptool/report"
)

// Node is one record in the lookup tree: its terms, each with what it
// costs against the limit of 10 DNS-querying terms (RFC 7208 §4.6.4).
type Node struct {
	Domain string     `json:"domain"`
	Record string     `json:"record,omitempty"`
	Terms  []TermNode `json:"terms,omitempty"`
	// Lookups is what evaluating this record can cost, children included.
	Lookups int `json:"lookups"`
	// Voids counts terms whose lookup finds nothing (known without an IP).
	Voids   int    `json:"void_lookups"`
	Problem string `json:"problem,omitempty"` // no record, syntax error...
}

// TermNode is one term of a record.
type TermNode struct {
	Term  string `json:"term"`
	Cost  int    `json:"cost"` // this term's lookups, its subtree included
	Void  bool   `json:"void,omitempty"`
	Child *Node  `json:"child,omitempty"` // the included or redirected record
	Note  string `json:"note,omitempty"`
}

// Lint is the result of checking a domain's SPF record.
type Lint struct {
	Domain      string `json:"domain"`
	Record      string `json:"record,omitempty"`
	Lookups     int    `json:"lookups"`
	VoidLookups int    `json:"void_lookups"`
	Tree        *Node  `json:"tree,omitempty"`
}

type linter struct {
	ctx      context.Context
	r        dns.Resolver
	mu       sync.Mutex
	findings []report.Finding
}

func (l *linter) add(f report.Finding) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, have := range l.findings {
		if have.ID == f.ID && have.Message == f.Message {
			return
		}
	}
	l.findings = append(l.findings, f)
}

// Name is the check's name in reports.
const Name = "spf"

// Options tune the lint; there is nothing to tune yet.
type Options struct{}

// Check lints a domain's SPF record and every record it includes or
// redirects to.
func Check(ctx context.Context, r dns.Resolver, domain string, _ Options) (*Lint, []report.Finding) {
	domain = strings.TrimSuffix(domain, ".")
	l := &linter{ctx: ctx, r: r}
	res := &Lint{Domain: domain}
	tree := l.walk(domain, nil, true)
	res.Tree = tree
	if tree != nil {
		res.Record, res.Lookups, res.VoidLookups = tree.Record, tree.Lookups, tree.Voids
		l.budget(tree)
	}
	return res, l.findings
}

// fetch finds the one SPF record of a domain: nil with a finding when
// there is none, or when the lookup failed.
func (l *linter) fetch(domain string, top bool, via string) (*Record, string, bool) {
	ans, err := l.r.Lookup(l.ctx, domain, mdns.TypeTXT)
	if err != nil {
		l.add(report.LookupFailed(err))
		return nil, "lookup failed", false
	}
	found := dns.TXTMatching(ans, IsSPF)
	switch {
	case len(found) == 0 && top && ans.NXDomain():
		l.add(report.Finding{ID: "domain.nxdomain", Severity: report.Error,
			Message: domain + " does not exist (NXDOMAIN)", Fix: "check the spelling, or register and delegate the domain", Ref: "RFC 1035 §4.1.1"})
		return nil, "NXDOMAIN", false
	case len(found) == 0 && top:
		l.add(report.Finding{ID: "spf.missing", Severity: report.Warning,
			Message: domain + " publishes no SPF record: receivers cannot tell its servers from forgers",
			Fix:     fmt.Sprintf(`publish a TXT record at %s such as "v=spf1 mx -all" listing every server that sends its mail`, domain),
			Ref:     "RFC 7208 §4.5"})
		return nil, "no SPF record", false
	case len(found) == 0:
		l.add(report.Finding{ID: "spf.include-missing", Severity: report.Error,
			Message: fmt.Sprintf("%s points at %s, which has no SPF record: evaluation ends in permerror", via, domain),
			Fix:     fmt.Sprintf("remove %s, or fix the name (providers document the exact include to use)", via),
			Ref:     "RFC 7208 §5.2, §6.1"})
		return nil, "no SPF record", false
	case len(found) > 1:
		l.add(report.Finding{ID: "spf.multiple", Severity: report.Error,
			Message: fmt.Sprintf("%s has %d SPF records: receivers return permerror", domain, len(found)),
			Fix:     "merge them into one v=spf1 record",
			Ref:     "RFC 7208 §4.5"})
		return nil, "several SPF records", false
	}
	rec, err := Parse(found[0])
	if err != nil {
		var se *SyntaxError
		errors.As(err, &se)
		l.add(report.Finding{ID: "spf.syntax", Severity: report.Error,
			Message: fmt.Sprintf("the SPF record of %s does not parse (%s): receivers return permerror", domain, strings.TrimPrefix(err.Error(), "spf: ")),
			Fix:     "correct the term; the record is: " + found[0],
			Ref:     "RFC 7208 §4.6, §12"})
		return nil, "syntax error", false
	}
	if len(found[0]) > 450 {
		// RFC 7208 §3.4: keep records small enough for a UDP answer.
		l.add(report.Finding{ID: "spf.record-too-long", Severity: report.Warning,
			Message: fmt.Sprintf("the SPF record of %s is %d bytes, over the 450 recommended", domain, len(found[0])),
			Fix:     "move parts into an include, or use ip4/ip6 ranges", Ref: "RFC 7208 §3.4"})
	}
	return rec, "", true
}

// walk builds the tree of a record; path holds the domains above it, to
// find loops.
func (l *linter) walk(domain string, path []string, top bool) *Node {
	via := ""
	if len(path) > 0 {
		via = "an include or redirect in " + path[len(path)-1]
	}
	n := &Node{Domain: domain}
	rec, problem, ok := l.fetch(domain, top, via)
	if !ok {
		n.Problem = problem
		return n
	}
	n.Record = rec.Raw
	path = append(path, strings.ToLower(domain))

	// RFC 7208 §6.1: an all anywhere in the record makes redirect unused.
	var all *Mechanism
	for _, m := range rec.Mechanisms() {
		if m.Name == "all" && all == nil {
			all = m
		}
	}
	afterAll := false
	var wg sync.WaitGroup
	// Goroutines fill their own element: the slice never grows.
	n.Terms = make([]TermNode, len(rec.Terms))
	for i, t := range rec.Terms {
		tn := &n.Terms[i]
		switch {
		case t.Modifier != nil:
			tn.Term = t.Modifier.Raw
			if t.Modifier.Name == "redirect" {
				if all != nil {
					tn.Note = "ignored: the record has an all mechanism"
					l.add(report.Finding{ID: "spf.redirect-ignored", Severity: report.Warning,
						Message: fmt.Sprintf("%s in %s is never used: the all mechanism always matches first", t.Modifier.Raw, domain),
						Fix:     "remove either the redirect or the all mechanism", Ref: "RFC 7208 §6.1"})
				} else {
					tn.Cost = 1
					l.follow(&wg, tn, t.Modifier.Value, "redirect="+t.Modifier.Value, path)
				}
			}
		default:
			m := t.Mechanism
			tn.Term = m.Raw
			if afterAll {
				tn.Note = "never evaluated: it comes after all"
				l.add(report.Finding{ID: "spf.terms-after-all", Severity: report.Warning,
					Message: fmt.Sprintf("%s in %s comes after the all mechanism and is never evaluated", m.Raw, domain),
					Fix:     "move it before all, or remove it", Ref: "RFC 7208 §5.1"})
				break
			}
			l.mechanism(&wg, tn, m, domain, path, top)
			afterAll = afterAll || m.Name == "all"
		}
	}
	wg.Wait()
	for i := range n.Terms {
		t := &n.Terms[i]
		if t.Child != nil {
			t.Cost += t.Child.Lookups
			n.Voids += t.Child.Voids
		}
		if t.Void {
			n.Voids++
		}
		n.Lookups += t.Cost
	}
	if top {
		l.topLevel(rec, all, domain)
	}
	return n
}

// mechanism costs one term and checks what can be known without an IP.
func (l *linter) mechanism(wg *sync.WaitGroup, tn *TermNode, m *Mechanism, domain string, path []string, top bool) {
	switch m.Name {
	case "all":
		switch {
		case m.Qualifier == Pass:
			l.add(report.Finding{ID: "spf.permissive-all", Severity: report.Error,
				Message: fmt.Sprintf("%s in %s lets any host on the internet pass SPF for %s", m.Raw, domain, path[0]),
				Fix:     "end the record with -all (or ~all while testing)", Ref: "RFC 7208 §5.1"})
		case m.Qualifier == Neutral && top:
			l.add(report.Finding{ID: "spf.neutral-all", Severity: report.Warning,
				Message: fmt.Sprintf("?all in %s says nothing about other hosts: forgeries get neutral, not fail", domain),
				Fix:     "end the record with -all (or ~all while testing)", Ref: "RFC 7208 §5.1, §8.2"})
		}
		return
	case "ip4", "ip6":
		return
	case "ptr":
		tn.Cost = 1
		tn.Note = "slow and unreliable; SHOULD NOT be used"
		l.add(report.Finding{ID: "spf.ptr", Severity: report.Warning,
			Message: fmt.Sprintf("%s in %s uses the ptr mechanism, which RFC 7208 says SHOULD NOT be used: it is slow and many receivers skip it", m.Raw, domain),
			Fix:     "replace it with the ip4/ip6 ranges or a/mx of the sending hosts", Ref: "RFC 7208 §5.5"})
		return
	case "include":
		tn.Cost = 1
		l.follow(wg, tn, m.Domain, m.Raw, path)
		return
	}
	// a, mx, exists: one lookup each; without macros we can say whether
	// it finds anything.
	tn.Cost = 1
	target := m.Domain
	if target == "" {
		target = domain
	}
	if strings.Contains(target, "%") {
		tn.Note = "depends on the sender (macros)"
		return
	}
	wg.Go(func() {
		switch m.Name {
		case "a":
			a := dns.LookupAddrs(l.ctx, l.r, target)
			tn.Void = a.Failed() == nil && len(a.Addrs) == 0
		case "exists":
			if ans, err := l.r.Lookup(l.ctx, target, mdns.TypeA); err == nil {
				tn.Void = ans.Empty()
			}
		case "mx":
			ans, err := l.r.Lookup(l.ctx, target, mdns.TypeMX)
			if err != nil {
				return
			}
			tn.Void = ans.Empty()
			if n := len(ans.Records); n > MaxNames {
				l.add(report.Finding{ID: "spf.mx-too-many", Severity: report.Error,
					Message: fmt.Sprintf("%s in %s resolves to %d MX hosts; receivers look up at most %d and return permerror", m.Raw, domain, n, MaxNames),
					Fix:     "list the sending hosts with ip4/ip6 or a: instead", Ref: "RFC 7208 §4.6.4"})
			}
		}
		if tn.Void {
			tn.Note = "finds nothing (a void lookup)"
		}
	})
}

// follow walks an include or redirect target unless it loops.
func (l *linter) follow(wg *sync.WaitGroup, tn *TermNode, spec, term string, path []string) {
	if strings.Contains(spec, "%") {
		tn.Note = "depends on the sender (macros)"
		return
	}
	target := strings.ToLower(strings.TrimSuffix(spec, "."))
	if slices.Contains(path, target) {
		tn.Note = "loops back to " + target
		l.add(report.Finding{ID: "spf.include-loop", Severity: report.Error,
			Message: fmt.Sprintf("%s in %s leads back to %s: evaluation loops until the lookup limit, then permerror", term, path[len(path)-1], target),
			Fix:     "remove the include or redirect that closes the loop", Ref: "RFC 7208 §4.6.4, §5.2"})
		return
	}
	wg.Go(func() { tn.Child = l.walk(target, path, false) })
}

// topLevel checks what only the domain's own record decides.
func (l *linter) topLevel(rec *Record, all *Mechanism, domain string) {
	if all == nil && rec.Redirect == "" {
		l.add(report.Finding{ID: "spf.no-all", Severity: report.Warning,
			Message: fmt.Sprintf("the SPF record of %s has neither all nor redirect: hosts it does not list get neutral", domain),
			Fix:     "end the record with -all (or ~all while testing)", Ref: "RFC 7208 §4.7"})
	}
}

// budget reports the lookup limits with the costliest terms named.
func (l *linter) budget(tree *Node) {
	if tree.Lookups > MaxLookups {
		type cost struct {
			term string
			n    int
		}
		var costs []cost
		for _, t := range tree.Terms {
			if t.Cost > 1 {
				costs = append(costs, cost{t.Term, t.Cost})
			}
		}
		slices.SortFunc(costs, func(a, b cost) int { return b.n - a.n })
		var parts []string
		for _, c := range costs {
			parts = append(parts, fmt.Sprintf("%s costs %d", c.term, c.n))
		}
		fix := "flatten or remove includes, or replace a/mx with ip4/ip6"
		if len(parts) > 0 {
			fix += ": " + strings.Join(parts, ", ")
		}
		l.add(report.Finding{ID: "spf.lookup-limit", Severity: report.Error,
			Message: fmt.Sprintf("SPF needs %d DNS lookups; receivers stop at %d and return permerror", tree.Lookups, MaxLookups),
			Fix:     fix, Ref: "RFC 7208 §4.6.4"})
	}
	if tree.Voids > MaxVoidLookups {
		l.add(report.Finding{ID: "spf.void-lookup-limit", Severity: report.Error,
			Message: fmt.Sprintf("%d terms look up names that do not exist or have no records; receivers allow %d and then return permerror", tree.Voids, MaxVoidLookups),
			Fix:     "remove the a/mx/exists terms that point at nothing", Ref: "RFC 7208 §4.6.4"})
	}
}

// WriteText shows the record as a tree with each term's lookup cost.
func (res *Lint) WriteText(p *report.Printer) {
	if res.Tree == nil || res.Tree.Record == "" {
		return
	}
	style := report.Good
	if res.Lookups > MaxLookups {
		style = report.Bad
	}
	p.Line(4, p.S(report.Dim, "record: ")+res.Record)
	p.Line(4, fmt.Sprintf("%s %s, %s", p.S(report.Dim, "lookups:"),
		p.S(style, fmt.Sprintf("%d of %d", res.Lookups, MaxLookups)),
		fmt.Sprintf("void %d of %d", res.VoidLookups, MaxVoidLookups)))
	var rows [][]report.Cell
	var walk func(n *Node, depth int)
	walk = func(n *Node, depth int) {
		for _, t := range n.Terms {
			cost := ""
			if t.Cost > 0 {
				cost = fmt.Sprint(t.Cost)
			}
			note := t.Note
			if t.Child != nil && t.Child.Problem != "" {
				note = t.Child.Problem
			}
			rows = append(rows, []report.Cell{report.C(strings.Repeat("  ", depth)+t.Term, report.Plain), report.C(cost, report.Bold), report.C(note, report.Dim)})
			if t.Child != nil {
				walk(t.Child, depth+1)
			}
		}
	}
	walk(res.Tree, 0)
	p.Table(4, rows)
}
