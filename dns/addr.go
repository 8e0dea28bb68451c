package dns

import (
	"context"
	"net/netip"
	"sync"

	mdns "github.com/miekg/dns"
)

// Addrs is the result of looking up a host's A and AAAA records together.
type Addrs struct {
	V4, V6     *Answer // nil where that lookup failed
	Err4, Err6 error   // the failures, if any
	Addrs      []netip.Addr
	CNAMEs     []string // aliases followed by either lookup
	Authentic  bool     // every answer had the AD bit
	NXDomain   bool     // the name does not exist
}

// Failed returns the first lookup failure, if any.
func (a *Addrs) Failed() error {
	if a.Err4 != nil {
		return a.Err4
	}
	return a.Err6
}

// LookupAddrs asks for a host's A and AAAA records at once. IPv4 addresses
// come first.
func LookupAddrs(ctx context.Context, r Resolver, host string) *Addrs {
	var out Addrs
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); out.V4, out.Err4 = r.Lookup(ctx, host, mdns.TypeA) }()
	go func() { defer wg.Done(); out.V6, out.Err6 = r.Lookup(ctx, host, mdns.TypeAAAA) }()
	wg.Wait()

	out.Authentic = out.V4 != nil && out.V6 != nil
	for _, a := range []*Answer{out.V4, out.V6} {
		if a == nil {
			continue
		}
		out.Authentic = out.Authentic && a.Authentic
		out.NXDomain = out.NXDomain || a.NXDomain()
		if len(out.CNAMEs) == 0 {
			out.CNAMEs = a.CNAMEs
		}
		out.Addrs = append(out.Addrs, Addresses(a)...)
	}
	return &out
}

// Addresses returns the addresses of an answer's A and AAAA records.
func Addresses(a *Answer) []netip.Addr {
	var out []netip.Addr
	for _, rr := range a.Records {
		switch rr := rr.(type) {
		case *mdns.A:
			if ip, ok := netip.AddrFromSlice(rr.A.To4()); ok {
				out = append(out, ip)
			}
		case *mdns.AAAA:
			if ip, ok := netip.AddrFromSlice(rr.AAAA); ok {
				out = append(out, ip)
			}
		}
	}
	return out
}

// LookupPTR asks for the PTR names of an address (RFC 1035 §3.5, RFC 3596 §2.5).
func LookupPTR(ctx context.Context, r Resolver, ip netip.Addr) ([]string, *Answer, error) {
	name, err := mdns.ReverseAddr(ip.Unmap().String())
	if err != nil {
		return nil, nil, &LookupError{Name: ip.String(), Type: "PTR", Err: ErrBadName}
	}
	a, err := r.Lookup(ctx, name, mdns.TypePTR)
	if err != nil {
		return nil, nil, err
	}
	var names []string
	for _, p := range Records[*mdns.PTR](a) {
		names = append(names, mdns.CanonicalName(p.Ptr))
	}
	return names, a, nil
}
