package dnsbl

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"
	"sync"

	"github.com/smtptool/smtptool/check/mx"
	"github.com/smtptool/smtptool/dns"
	"github.com/smtptool/smtptool/report"
)

// ErrBadTarget marks a target that is neither an address nor a domain.
var ErrBadTarget = errors.New("dnsbl: not an IP address or a domain")

// Run checks a target: an address against the IP lists; a domain's MX
// addresses against the IP lists and the domain itself against the domain
// lists, all at once.
func Run(ctx context.Context, r dns.Resolver, target string, opts Options) (*report.Report, error) {
	rep := &report.Report{Command: "blacklist", Target: target}
	if ip, err := netip.ParseAddr(strings.Trim(target, "[]")); err == nil {
		res, fs := CheckIP(ctx, r, ip, opts)
		rep.Checks = []*report.Check{report.NewCheck(Name(res.Subject), res, fs)}
		return rep, nil
	}
	target, err := dns.ParseDomain(target)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadTarget, err)
	}
	rep.Target = target
	var domainCheck *report.Check
	var wg sync.WaitGroup
	wg.Go(func() {
		res, fs := Check(ctx, r, target, opts)
		domainCheck = report.NewCheck(Name(res.Subject), res, fs)
	})
	res, findings := mx.Check(ctx, r, target, mx.Options{AllowPrivate: true})
	addrs := MXAddresses(res)
	ipChecks := make([]*report.Check, len(addrs))
	for i, ip := range addrs {
		wg.Go(func() {
			res, fs := CheckIP(ctx, r, ip, opts)
			ipChecks[i] = report.NewCheck(Name(res.Subject), res, fs)
		})
	}
	wg.Wait()
	if len(addrs) == 0 {
		// Say why there was no address to check: a failed lookup, NXDOMAIN, null MX...
		rep.Checks = append(rep.Checks, report.NewCheck(mx.Name, res, findings))
	}
	rep.Checks = append(rep.Checks, ipChecks...)
	rep.Checks = append(rep.Checks, domainCheck)
	return rep, nil
}

// MXAddresses lists the distinct addresses of a domain's mail hosts, in order.
func MXAddresses(res *mx.Result) []netip.Addr {
	var out []netip.Addr
	for _, h := range res.Hosts {
		for _, a := range h.Addresses {
			if !slices.Contains(out, a.IP) {
				out = append(out, a.IP)
			}
		}
	}
	return out
}

// ParseList reads a list given on the command line: "ZONE" (an IP list),
// "ip:ZONE" or "domain:ZONE". A zone of a default list keeps its decoding.
func ParseList(spec string) (List, error) {
	kind, zone, found := strings.Cut(strings.TrimSpace(spec), ":")
	if !found {
		kind, zone = "", kind
	}
	zone = strings.ToLower(strings.TrimSuffix(zone, "."))
	if !dns.ValidName(zone) || !strings.Contains(zone, ".") {
		return List{}, fmt.Errorf("bad list zone %q", spec)
	}
	for _, l := range DefaultLists {
		if l.Zone == zone && (kind == "" || Kind(kind) == l.Kind) {
			return l, nil
		}
	}
	switch Kind(kind) {
	case "", IPList:
		return List{Name: zone, Zone: zone, Kind: IPList, IPv6: true}, nil
	case DomainList:
		return List{Name: zone, Zone: zone, Kind: DomainList}, nil
	}
	return List{}, fmt.Errorf("bad list kind %q in %q (ip or domain)", kind, spec)
}

// ReadLists reads one list per line ("#" starts a comment).
func ReadLists(r io.Reader) ([]List, error) {
	var out []List
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		if strings.TrimSpace(line) == "" {
			continue
		}
		l, err := ParseList(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		out = append(out, l)
	}
	return out, sc.Err()
}

// WriteText shows the lists that did not answer "clean", and a count.
func (res *Result) WriteText(p *report.Printer) {
	if res.Skipped != "" {
		p.Line(4, p.S(report.Dim, "not checked: "+res.Skipped))
		return
	}
	counts := map[Status]int{}
	var rows [][]report.Cell
	for _, lr := range res.Lists {
		counts[lr.Status]++
		if lr.Status == Clean && !p.Verbose {
			continue
		}
		style := map[Status]report.Style{Listed: report.Bad, Clean: report.Good, Refused: report.Warn, Broken: report.Warn, Failed: report.Warn}[lr.Status]
		detail := strings.Join(lr.Reasons, "; ")
		if lr.Status == Failed {
			detail = lr.Error
		}
		rows = append(rows, []report.Cell{report.C(string(lr.Status), style), report.C(lr.List, report.Bold), report.C(strings.Join(lr.Answers, " "), report.Dim), report.C(detail, report.Plain)})
	}
	p.Table(4, rows)
	p.Line(4, p.S(report.Dim, fmt.Sprintf("%d %s lists asked: %d listed, %d clean, %d refused, %d broken, %d no answer",
		len(res.Lists), res.Kind, counts[Listed], counts[Clean], counts[Refused], counts[Broken], counts[Failed])))
}
