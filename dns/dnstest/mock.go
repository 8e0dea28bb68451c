// Package dnstest is an in-memory dns.Resolver for table-driven tests: the
// zone data sits in the test, next to the assertion that relies on it, and
// no socket is opened.
//
// A Mock answers as an authoritative view of its records would
// (RFC 1034 §4.3.2): the records of the type asked, after any CNAME chain;
// no data where the name exists without them, including empty non-terminals
// (RFC 8020 §2: a name exists when a name below it does); NXDOMAIN
// otherwise. Names given to Fail answer SERVFAIL, REFUSED or time out.
package dnstest

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	mdns "github.com/miekg/dns"
	"github.com/smtptool/smtptool/dns"
)

var _ dns.Resolver = (*Mock)(nil)

// Mock is an in-memory resolver. The zero value answers NXDOMAIN to
// everything; it is safe for concurrent use.
type Mock struct {
	// Latency delays every answer, as a distant server would.
	Latency time.Duration

	mu     sync.Mutex
	rrs    map[key][]mdns.RR
	exists map[string]bool
	fails  map[key]error
	signed []string
	log    []string
}

type key struct {
	name  string
	qtype uint16 // 0: every type
}

// New returns a Mock holding the records of zone, in zone-file form
// ($ORIGIN and $TTL allowed, relative names need an $ORIGIN). It panics on
// a record that does not parse: the data is the test's own.
func New(zone string) *Mock {
	m := &Mock{}
	if err := m.Add(zone); err != nil {
		panic(err)
	}
	return m
}

// Add adds the records of zone, in zone-file form.
func (m *Mock) Add(zone string) error {
	zp := mdns.NewZoneParser(strings.NewReader(zone), ".", "dnstest")
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.rrs == nil {
		m.rrs, m.exists = map[key][]mdns.RR{}, map[string]bool{}
	}
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		h := rr.Header()
		name := mdns.CanonicalName(h.Name)
		k := key{name, h.Rrtype}
		m.rrs[k] = append(m.rrs[k], rr)
		for n := name; ; {
			m.exists[n] = true
			i, end := mdns.NextLabel(n, 0)
			if end {
				break
			}
			n = n[i:]
		}
	}
	return zp.Err()
}

// Fail makes lookups of name fail with err (dns.ErrServerFailure,
// dns.ErrRefused, dns.ErrTimeout…): of every type, or only of qtypes.
func (m *Mock) Fail(name string, err error, qtypes ...uint16) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fails == nil {
		m.fails = map[key]error{}
	}
	name = mdns.CanonicalName(name)
	if len(qtypes) == 0 {
		qtypes = []uint16{0}
	}
	for _, t := range qtypes {
		m.fails[key{name, t}] = err
	}
}

// Sign marks the answers for zone and the names below it as authentic
// (the AD bit of a validating resolver).
func (m *Mock) Sign(zone string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.signed = append(m.signed, mdns.CanonicalName(zone))
}

// Queries returns the questions asked so far, in order, as "TYPE name.".
func (m *Mock) Queries() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.log)
}

// Servers names the mock in messages.
func (m *Mock) Servers() []string { return []string{"dnstest"} }

// Lookup answers from the records.
func (m *Mock) Lookup(ctx context.Context, name string, qtype uint16) (*dns.Answer, error) {
	fqdn := mdns.CanonicalName(name)
	typ := mdns.TypeToString[qtype]
	if _, ok := mdns.IsDomainName(fqdn); !ok || fqdn == "." {
		return nil, &dns.LookupError{Name: fqdn, Type: typ, Err: dns.ErrBadName}
	}
	m.mu.Lock()
	m.log = append(m.log, typ+" "+fqdn) // logged when asked, not when answered
	m.mu.Unlock()
	if m.Latency > 0 {
		select {
		case <-time.After(m.Latency):
		case <-ctx.Done():
			return nil, &dns.LookupError{Name: fqdn, Type: typ, Err: ctx.Err()}
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()

	a := &dns.Answer{Name: fqdn, Type: qtype, Server: "dnstest"}
	owner := fqdn
	for range 16 {
		if err := m.failure(owner, qtype); err != nil {
			return nil, &dns.LookupError{Name: fqdn, Type: typ, Server: "dnstest", Err: err}
		}
		a.Authentic = m.isSigned(owner)
		if rrs := m.rrs[key{owner, qtype}]; len(rrs) > 0 {
			a.Records = slices.Clone(rrs)
			return a, nil
		}
		cname := m.rrs[key{owner, mdns.TypeCNAME}]
		if qtype == mdns.TypeCNAME || len(cname) == 0 {
			if !m.exists[owner] {
				a.Rcode = mdns.RcodeNameError
			}
			return a, nil
		}
		owner = mdns.CanonicalName(cname[0].(*mdns.CNAME).Target)
		a.CNAMEs = append(a.CNAMEs, owner)
	}
	return nil, &dns.LookupError{Name: fqdn, Type: typ, Server: "dnstest", Err: dns.ErrCNAMELoop}
}

func (m *Mock) failure(name string, qtype uint16) error {
	if err := m.fails[key{name, qtype}]; err != nil {
		return err
	}
	return m.fails[key{name, 0}]
}

func (m *Mock) isSigned(name string) bool {
	for _, z := range m.signed {
		if mdns.IsSubDomain(z, name) {
			return true
		}
	}
	return false
}

// String lists the mock's records, for failure messages.
func (m *Mock) String() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var lines []string
	for _, rrs := range m.rrs {
		for _, rr := range rrs {
			lines = append(lines, rr.String())
		}
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// ServeDNS answers a query from the mock's records, as a DNS server on
// loopback would (for tests of commands that take --resolver): failures
// are SERVFAIL or REFUSED, and a timeout is no answer at all.
func (m *Mock) ServeDNS(w mdns.ResponseWriter, req *mdns.Msg) {
	m.serve(context.Background(), w, req)
}

func (m *Mock) serve(ctx context.Context, w mdns.ResponseWriter, req *mdns.Msg) {
	if len(req.Question) != 1 {
		return
	}
	q := req.Question[0]
	resp := new(mdns.Msg)
	resp.SetReply(req)
	a, err := m.Lookup(ctx, q.Name, q.Qtype)
	switch {
	case errors.Is(err, dns.ErrTimeout), ctx.Err() != nil:
		return
	case errors.Is(err, dns.ErrRefused):
		resp.Rcode = mdns.RcodeRefused
	case err != nil:
		resp.Rcode = mdns.RcodeServerFailure
	default:
		resp.Rcode, resp.AuthenticatedData = a.Rcode, a.Authentic
		owner := q.Name
		for _, c := range a.CNAMEs {
			resp.Answer = append(resp.Answer, &mdns.CNAME{Hdr: mdns.RR_Header{Name: owner, Rrtype: mdns.TypeCNAME, Class: mdns.ClassINET, Ttl: 300}, Target: c})
			owner = c
		}
		resp.Answer = append(resp.Answer, a.Records...)
	}
	w.WriteMsg(resp)
}

// Serve runs the mock as a DNS server on 127.0.0.1 (UDP and TCP, one port)
// until stop is called; addr is its "ip:port".
func (m *Mock) Serve() (addr string, stop func(), err error) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", pc.LocalAddr().String())
	if err != nil {
		pc.Close()
		return "", nil, err
	}
	// Stopping ends answers still waiting out the Latency.
	ctx, cancel := context.WithCancel(context.Background())
	h := mdns.HandlerFunc(func(w mdns.ResponseWriter, req *mdns.Msg) { m.serve(ctx, w, req) })
	udp := &mdns.Server{PacketConn: pc, Handler: h}
	tcp := &mdns.Server{Listener: ln, Handler: h}
	go udp.ActivateAndServe()
	go tcp.ActivateAndServe()
	return pc.LocalAddr().String(), func() { cancel(); udp.Shutdown(); tcp.Shutdown() }, nil
}
