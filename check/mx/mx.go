// Package mx finds where mail for a domain goes (RFC 5321 §5.1): its MX
// hosts in preference order, their addresses, and each address's PTR name
// with forward confirmation (FCrDNS: the PTR name resolves back to the
// address). A domain without MX records falls back to its own A/AAAA
// records (the implicit MX); a single "0 ." record is a null MX (RFC 7505)
// saying the domain accepts no mail.
package mx

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"

	mdns "github.com/miekg/dns"
	"github.com/smtptool/smtptool/dns"
	"github.com/smtptool/smtptool/report"
)

// Options tune the check.
type Options struct {
	// AllowPrivate accepts loopback, private and reserved MX addresses:
	// for internal mail systems and the offline lab.
	AllowPrivate bool
}

// Result is what the check learned; it is the check's JSON data.
type Result struct {
	Domain string `json:"domain"`
	// NullMX is set for a domain that publishes "MX 0 ." (RFC 7505).
	NullMX bool `json:"null_mx"`
	// Implicit is set when there is no MX and the domain itself is the
	// mail host (RFC 5321 §5.1).
	Implicit bool   `json:"implicit"`
	Hosts    []Host `json:"hosts"`
	// Err is the failure of the MX lookup itself: nothing else is known.
	Err error `json:"-"`
	// NXDomain is set when the domain does not exist.
	NXDomain bool `json:"nxdomain,omitempty"`
	// Authentic is the MX answer's AD bit: DNSSEC validated it.
	Authentic bool `json:"dnssec"`
}

// Host is one mail exchanger.
type Host struct {
	Name       string    `json:"name"`
	Preference uint16    `json:"preference"`
	CNAMEs     []string  `json:"cnames,omitempty"`
	Addresses  []Address `json:"addresses"`
	findings   []report.Finding
}

// Address is one address of a host, with its reverse DNS.
type Address struct {
	IP     netip.Addr `json:"ip"`
	PTR    []string   `json:"ptr,omitempty"`
	FCrDNS bool       `json:"fcrdns"`
	// Scope is empty for a public address, else why it is not one.
	Scope    string `json:"scope,omitempty"`
	findings []report.Finding
}

// Name is the check's name in reports.
const Name = "mx"

// Check resolves the domain's mail hosts and returns them with the
// findings of the mx check.
func Check(ctx context.Context, r dns.Resolver, domain string, opts Options) (*Result, []report.Finding) {
	res := &Result{Domain: strings.TrimSuffix(domain, ".")}
	ans, err := r.Lookup(ctx, domain, mdns.TypeMX)
	if err != nil {
		res.Err = err
		return res, []report.Finding{report.LookupFailed(err)}
	}
	res.Authentic = ans.Authentic
	if ans.NXDomain() {
		res.NXDomain = true
		return res, []report.Finding{{
			ID: "domain.nxdomain", Severity: report.Error,
			Message: fmt.Sprintf("%s does not exist (NXDOMAIN)", res.Domain),
			Fix:     "check the spelling, or register and delegate the domain",
			Ref:     "RFC 1035 §4.1.1",
		}}
	}

	var findings []report.Finding
	records := dns.Records[*mdns.MX](ans)
	slices.SortStableFunc(records, func(a, b *mdns.MX) int {
		if a.Preference != b.Preference {
			return int(a.Preference) - int(b.Preference)
		}
		return strings.Compare(a.Mx, b.Mx)
	})
	switch {
	case len(records) == 0:
		// RFC 5321 §5.1: no MX, so the domain itself is the implicit MX.
		res.Implicit = true
		res.Hosts = []Host{{Name: mdns.CanonicalName(domain)}}
		findings = append(findings, report.Finding{
			ID: "mx.missing", Severity: report.Warning,
			Message: fmt.Sprintf("%s has no MX record: senders fall back to its A/AAAA records", res.Domain),
			Fix:     fmt.Sprintf("publish an MX record naming the mail host, or a null MX (%s. MX 0 .) if it takes no mail", res.Domain),
			Ref:     "RFC 5321 §5.1",
		})
	default:
		for _, mx := range records {
			if mx.Mx == "." {
				res.NullMX = true
				continue
			}
			res.Hosts = append(res.Hosts, Host{Name: mdns.CanonicalName(mx.Mx), Preference: mx.Preference})
		}
	}
	if res.NullMX {
		if len(res.Hosts) > 0 {
			// RFC 7505 §3: a null MX must be the only MX record.
			return res, append(findings, report.Finding{
				ID: "mx.null-mixed", Severity: report.Error,
				Message: fmt.Sprintf("%s publishes a null MX (0 .) beside %d other MX records: senders' behaviour is undefined", res.Domain, len(res.Hosts)),
				Fix:     "remove the null MX if the domain takes mail, or every other MX if it does not",
				Ref:     "RFC 7505 §3",
			})
		}
		return res, append(findings, report.Finding{
			ID: "mx.null", Severity: report.Info,
			Message: fmt.Sprintf("%s publishes a null MX (0 .): it accepts no mail", res.Domain),
			Fix:     "nothing to do if the domain sends no mail and takes none; remove it otherwise",
			Ref:     "RFC 7505 §3",
		})
	}

	var wg sync.WaitGroup
	for i := range res.Hosts {
		wg.Go(func() { lookupHost(ctx, r, &res.Hosts[i], res.Implicit, opts) })
	}
	wg.Wait()

	ipv6 := false
	for _, h := range res.Hosts {
		findings = append(findings, h.findings...)
		for _, a := range h.Addresses {
			findings = append(findings, a.findings...)
			ipv6 = ipv6 || a.IP.Is6()
		}
	}
	if !ipv6 && hasAddresses(res.Hosts) {
		findings = append(findings, report.Finding{
			ID: "mx.no-ipv6", Severity: report.Info,
			Message: fmt.Sprintf("no mail host of %s has an IPv6 (AAAA) address", res.Domain),
			Fix:     "add AAAA records (with PTR records) when the mail hosts are reachable over IPv6",
			Ref:     "RFC 3596 §2.1",
		})
	}
	return res, findings
}

func hasAddresses(hosts []Host) bool {
	for _, h := range hosts {
		if len(h.Addresses) > 0 {
			return true
		}
	}
	return false
}

func lookupHost(ctx context.Context, r dns.Resolver, h *Host, implicit bool, opts Options) {
	name := strings.TrimSuffix(h.Name, ".")
	if _, err := netip.ParseAddr(strings.Trim(name, "[]")); err == nil {
		// RFC 5321 §5.1 and RFC 7505 §3: an MX names a host, never an address.
		h.findings = append(h.findings, report.Finding{
			ID: "mx.ip-literal", Severity: report.Error,
			Message: fmt.Sprintf("the MX target %s is an IP address, not a host name: senders look it up as a name and fail", name),
			Fix:     fmt.Sprintf("give the host a name (mail.example A %s) and point the MX at that name", name),
			Ref:     "RFC 5321 §5.1",
		})
		return
	}
	addrs := dns.LookupAddrs(ctx, r, h.Name)
	h.CNAMEs = addrs.CNAMEs
	if len(addrs.CNAMEs) > 0 && !implicit {
		// RFC 2181 §10.3: an MX target must not be an alias.
		h.findings = append(h.findings, report.Finding{
			ID: "mx.cname", Severity: report.Error,
			Message: fmt.Sprintf("the MX target %s is a CNAME alias of %s", name, strings.TrimSuffix(addrs.CNAMEs[len(addrs.CNAMEs)-1], ".")),
			Fix:     fmt.Sprintf("point the MX record at the canonical name %s", strings.TrimSuffix(addrs.CNAMEs[len(addrs.CNAMEs)-1], ".")),
			Ref:     "RFC 2181 §10.3, RFC 5321 §5.1",
		})
	}
	if err := addrs.Failed(); err != nil {
		h.findings = append(h.findings, report.LookupFailed(err))
	}
	if len(addrs.Addrs) == 0 && addrs.Failed() == nil {
		what := "NXDOMAIN"
		if !addrs.NXDomain {
			what = "no A or AAAA record"
		}
		h.findings = append(h.findings, report.Finding{
			ID: "mx.unresolvable", Severity: report.Error,
			Message: fmt.Sprintf("the mail host %s has no address (%s): mail to it cannot be delivered", name, what),
			Fix:     fmt.Sprintf("publish A/AAAA records for %s, or point the MX at a host that has them", name),
			Ref:     "RFC 5321 §5.1",
		})
	}
	h.Addresses = make([]Address, len(addrs.Addrs))
	var wg sync.WaitGroup
	for i, ip := range addrs.Addrs {
		h.Addresses[i].IP = ip
		wg.Go(func() { lookupAddress(ctx, r, name, &h.Addresses[i], opts) })
	}
	wg.Wait()
}

func lookupAddress(ctx context.Context, r dns.Resolver, host string, a *Address, opts Options) {
	a.Scope = Scope(a.IP)
	if a.Scope != "" && !opts.AllowPrivate {
		a.findings = append(a.findings, report.Finding{
			ID: "mx.private-address", Severity: report.Warning,
			Message: fmt.Sprintf("the mail host %s resolves to %s, a %s address that other networks cannot reach", host, a.IP, a.Scope),
			Fix:     "publish the host's public address; keep internal addresses in internal DNS (or pass --allow-private for internal systems)",
			Ref:     "RFC 6890 §2.2.2, §2.2.3",
		})
	}
	names, _, err := dns.LookupPTR(ctx, r, a.IP)
	switch {
	case err != nil:
		a.findings = append(a.findings, report.LookupFailed(err))
		return
	case len(names) == 0:
		a.findings = append(a.findings, report.Finding{
			ID: "mx.ptr-missing", Severity: report.Warning,
			Message: fmt.Sprintf("%s (%s) has no PTR record: many receivers distrust or reject mail from hosts without reverse DNS", a.IP, host),
			Fix:     fmt.Sprintf("ask whoever holds the address block to set the PTR of %s to %s", a.IP, host),
			Ref:     "RFC 1912 §2.1",
		})
		return
	}
	a.PTR = names
	// FCrDNS: some PTR name must resolve back to the address.
	confirmed := make([]bool, len(names))
	var failed error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i, n := range names {
		wg.Go(func() {
			back := dns.LookupAddrs(ctx, r, n)
			confirmed[i] = slices.Contains(back.Addrs, a.IP)
			if err := back.Failed(); err != nil && !confirmed[i] {
				mu.Lock()
				failed = err
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	a.FCrDNS = slices.Contains(confirmed, true)
	switch {
	case a.FCrDNS:
	case failed != nil:
		a.findings = append(a.findings, report.LookupFailed(failed))
	default:
		a.findings = append(a.findings, report.Finding{
			ID: "mx.fcrdns-mismatch", Severity: report.Warning,
			Message: fmt.Sprintf("the PTR of %s is %s, which does not resolve back to %s", a.IP, strings.TrimSuffix(strings.Join(names, ", "), "."), a.IP),
			Fix:     fmt.Sprintf("make the PTR name's A/AAAA record include %s, or set the PTR to %s", a.IP, host),
			Ref:     "RFC 8601 §3 (iprev)",
		})
	}
}

// nonPublic lists the special-purpose blocks of the IANA registries (RFC 6890)
// that are not reachable on the public internet.
var nonPublic = []struct {
	prefix netip.Prefix
	scope  string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "\"this network\""},
	{netip.MustParsePrefix("10.0.0.0/8"), "private"},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared (carrier-grade NAT)"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private"},
	{netip.MustParsePrefix("192.0.0.0/24"), "reserved"},
	{netip.MustParsePrefix("192.0.2.0/24"), "documentation"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking"},
	{netip.MustParsePrefix("198.51.100.0/24"), "documentation"},
	{netip.MustParsePrefix("203.0.113.0/24"), "documentation"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"},
	{netip.MustParsePrefix("::/128"), "unspecified"},
	{netip.MustParsePrefix("::1/128"), "loopback"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "NAT64 local-use"}, // RFC 8215 §3
	{netip.MustParsePrefix("100::/64"), "discard"},
	{netip.MustParsePrefix("2001:db8::/32"), "documentation"},
	{netip.MustParsePrefix("fc00::/7"), "unique local (private)"},
	{netip.MustParsePrefix("fe80::/10"), "link-local"},
	{netip.MustParsePrefix("ff00::/8"), "multicast"},
}

// Scope returns why an address is not publicly routable, or "" when it is.
// An IPv6 address that carries an IPv4 address (EmbeddedIPv4) is judged by
// that address too: a private IPv4 inside NAT64 or 6to4 is still private.
func Scope(ip netip.Addr) string {
	ip = ip.Unmap()
	for _, n := range nonPublic {
		if n.prefix.Contains(ip) {
			return n.scope
		}
	}
	if v4, how, ok := EmbeddedIPv4(ip); ok {
		if scope := Scope(v4); scope != "" {
			return fmt.Sprintf("%s (%s in %s)", scope, v4, how)
		}
	}
	return ""
}

// Prefixes of IPv6 addresses that embed an IPv4 address.
var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96") // RFC 6052 §2.1
	sixToFour = netip.MustParsePrefix("2002::/16")    // RFC 3056 §2
	teredo    = netip.MustParsePrefix("2001::/32")    // RFC 4380 §4
	v4compat  = netip.MustParsePrefix("::/96")        // RFC 4291 §2.5.5.1 (deprecated)
)

// EmbeddedIPv4 returns the IPv4 address an IPv6 address carries, and how:
// NAT64 (RFC 6052), 6to4 (RFC 3056), Teredo's client address (RFC 4380 §4:
// the last 32 bits, inverted) or an IPv4-compatible address (RFC 4291).
func EmbeddedIPv4(ip netip.Addr) (netip.Addr, string, bool) {
	if !ip.Is6() || ip.Is4In6() {
		return netip.Addr{}, "", false
	}
	b := ip.As16()
	last := netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
	switch {
	case nat64.Contains(ip):
		return last, "NAT64", true
	case sixToFour.Contains(ip):
		return netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}), "6to4", true
	case teredo.Contains(ip):
		return netip.AddrFrom4([4]byte{^b[12], ^b[13], ^b[14], ^b[15]}), "Teredo", true
	case v4compat.Contains(ip) && ip != netip.IPv6Unspecified() && ip != netip.IPv6Loopback():
		return last, "an IPv4-compatible address", true
	}
	return netip.Addr{}, "", false
}
