package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	mdns "github.com/miekg/dns"
	"github.com/smtptool/smtptool/check/dane"
	"github.com/smtptool/smtptool/check/mx"
	"github.com/smtptool/smtptool/dns"
	"github.com/smtptool/smtptool/dns/validate"
	"github.com/smtptool/smtptool/report"
)

// Target is what the user asked to probe.
type Target struct {
	Host string     // a name, or empty for an address
	IP   netip.Addr // set for an address literal
	Port int        // 0 when not given
}

// ErrBadTarget marks a target that cannot be parsed.
var ErrBadTarget = errors.New("probe: bad target")

// ParseTarget reads "domain", "host:port", "1.2.3.4", "1.2.3.4:587",
// "::1" or "[::1]:25".
func ParseTarget(s string) (Target, error) {
	s = strings.TrimSpace(s)
	if ip, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
		return Target{IP: ip.Unmap()}, nil
	}
	var t Target
	host := s
	if h, p, err := net.SplitHostPort(s); err == nil {
		port, err := strconv.Atoi(p)
		if err != nil || port < 1 || port > 65535 {
			return t, fmt.Errorf("%w: bad port in %q", ErrBadTarget, s)
		}
		t.Port, host = port, h
		if ip, err := netip.ParseAddr(host); err == nil {
			t.IP = ip.Unmap()
			return t, nil
		}
	}
	ascii, err := dns.ParseDomain(host)
	if err != nil {
		return t, fmt.Errorf("%w: %q is not a domain, host or address", ErrBadTarget, s)
	}
	t.Host = strings.TrimSuffix(ascii, ".")
	return t, nil
}

// Fits checks an address target against the network asked for: -4 and
// -6 bind address targets too, so an IPv6 address with -4 is refused.
func (t Target) Fits(network string) error {
	if !t.IP.IsValid() || network == "tcp" || network == "" {
		return nil
	}
	if network == "tcp4" && !t.IP.Is4() {
		return fmt.Errorf("%w: %s is an IPv6 address, but -4 asks for IPv4 only", ErrBadTarget, t.IP)
	}
	if network == "tcp6" && !t.IP.Is6() {
		return fmt.Errorf("%w: %s is an IPv4 address, but -6 asks for IPv6 only", ErrBadTarget, t.IP)
	}
	return nil
}

// RunOptions extend Options with how to find servers.
type RunOptions struct {
	Options
	// Port is used when the target names none (default 25).
	Port int
	// AllMX walks every MX host at once instead of stopping at the first
	// that answers.
	AllMX bool
	// Network is "tcp" (both), "tcp4" or "tcp6".
	Network string
	MX      mx.Options
}

// Run probes a target: an address or host:port directly, a name through
// its MX hosts in preference order (RFC 5321 §5.1). It returns an error
// only for a target that cannot be parsed.
func Run(ctx context.Context, r dns.Resolver, target string, o RunOptions) (*report.Report, error) {
	t, err := ParseTarget(target)
	if err != nil {
		return nil, err
	}
	port := t.Port
	if port == 0 {
		port = o.Port
	}
	if port == 0 {
		port = 25
	}
	if port == 465 {
		o.ImplicitTLS = true // RFC 8314 §3.3: submissions port
	}
	rep := &report.Report{Command: "probe", Target: target}

	var candidates [][]Server // per host, its addresses in order
	// Senders use DANE for a domain only when its MX RRset is secure
	// (RFC 7672 §2.2.1); a host named directly is its own TLSA base.
	mxInsecure := ""
	switch {
	case t.IP.IsValid():
		if err := t.Fits(o.Network); err != nil {
			return nil, err
		}
		ptr, _, _ := dns.LookupPTR(ctx, r, t.IP)
		candidates = [][]Server{{{Addr: net.JoinHostPort(t.IP.String(), fmt.Sprint(port)), PTR: ptr}}}
	case t.Port != 0:
		host := mx.Host{Name: mdns.CanonicalName(t.Host)}
		addrs := dns.LookupAddrs(ctx, r, t.Host)
		if len(addrs.Addrs) == 0 {
			rep.Checks = append(rep.Checks, noAddress(t.Host, addrs))
			return rep, nil
		}
		for _, ip := range addrs.Addrs {
			names, _, _ := dns.LookupPTR(ctx, r, ip)
			host.Addresses = append(host.Addresses, mx.Address{IP: ip, PTR: names})
		}
		candidates = [][]Server{servers(host, port, o.Network)}
	default:
		res, findings := mx.Check(ctx, r, t.Host, o.MX)
		check := report.NewCheck(mx.Name, res, findings)
		switch {
		case o.Validator != nil:
			if v := o.Validator.Validate(ctx, t.Host, mdns.TypeMX); v.Status != validate.Secure {
				mxInsecure = fmt.Sprintf("the MX RRset of %s is %s", t.Host, v.Status)
			}
		case !res.Authentic:
			mxInsecure = fmt.Sprintf("the MX RRset of %s is not DNSSEC-validated", t.Host)
		}
		for _, h := range res.Hosts {
			if s := servers(h, port, o.Network); len(s) > 0 {
				candidates = append(candidates, s)
			}
		}
		if len(candidates) == 0 {
			if len(check.Findings) == 0 || res.NullMX && len(res.Hosts) == 0 {
				check.Add(report.Finding{
					ID: "smtp.connect-failed", Severity: report.Error,
					Message: fmt.Sprintf("%s has no mail host with a usable address to probe", t.Host),
					Fix:     "publish MX records whose hosts have A/AAAA records (check -4/-6)",
					Ref:     "RFC 5321 §5.1",
				})
			}
			rep.Checks = append(rep.Checks, check)
			return rep, nil
		}
	}

	results := make([][]*Result, len(candidates))
	walkHost := func(i int) {
		for _, srv := range candidates[i] {
			res := Walk(ctx, srv, o.Options)
			results[i] = append(results[i], res)
			if res.Connected {
				return
			}
		}
	}
	if o.AllMX {
		var wg sync.WaitGroup
		for i := range candidates {
			wg.Go(func() { walkHost(i) })
		}
		wg.Wait()
	} else {
		// Like an MTA: the hosts in preference order until one answers
		// (RFC 5321 §5.1), but without waiting out a whole timeout on a
		// silent one: each attempt gets a head start, then the next is
		// begun beside it (as RFC 8305 §5 does for addresses).
		flat := []Server{}
		host := []int{}
		for i, srvs := range candidates {
			for _, srv := range srvs {
				flat, host = append(flat, srv), append(host, i)
			}
		}
		outcomes := race(ctx, flat, o.Options)
		for k, srv := range flat {
			if outcomes[k] == nil {
				break // never begun: an earlier one answered
			}
			srv.dial = outcomes[k]
			res := Walk(ctx, srv, o.Options)
			results[host[k]] = append(results[host[k]], res)
			if res.Connected {
				break
			}
		}
	}
	for _, rs := range results {
		for _, res := range rs {
			matchDANE(ctx, r, res, o.Options, mxInsecure)
			rep.Checks = append(rep.Checks, &report.Check{Name: checkName(res), Findings: res.Findings, Data: res})
		}
	}
	return rep, nil
}

// HeadStart is how long a connection attempt runs alone before the next
// MX host (or address) is tried beside it.
const HeadStart = time.Second

// race connects to the servers in order, each begun HeadStart after the
// one before (at once after one fails), until one answers. The outcomes
// are in the servers' order; those never begun are nil; an attempt still
// pending when another answered is given up (overtook). Only the first
// connection made is kept open.
func race(ctx context.Context, servers []Server, o Options) []*dialOutcome {
	o.defaults()
	out := make([]*dialOutcome, len(servers))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type done struct {
		k    int
		conn net.Conn
		err  error
	}
	finished := make(chan done, len(servers))
	starts := make([]time.Time, len(servers))
	begin := func(k int) {
		starts[k] = time.Now()
		out[k] = &dialOutcome{}
		go func() {
			dctx, stop := context.WithTimeout(ctx, o.Timeout)
			defer stop()
			c, err := o.Dialer.DialContext(dctx, "tcp", servers[k].Addr)
			finished <- done{k, c, err}
		}()
	}
	next, pending, winner := 0, 0, -1
	if len(servers) > 0 {
		begin(0)
		next, pending = 1, 1
	}
	timer := time.NewTimer(HeadStart)
	defer timer.Stop()
	for pending > 0 && winner < 0 {
		select {
		case d := <-finished:
			pending--
			out[d.k].conn, out[d.k].err, out[d.k].took = d.conn, d.err, time.Since(starts[d.k])
			if d.err == nil {
				winner = d.k
				break
			}
			if next < len(servers) && pending == 0 {
				begin(next)
				next, pending = next+1, pending+1
				timer.Reset(HeadStart)
			}
		case <-timer.C:
			if next < len(servers) {
				begin(next)
				next, pending = next+1, pending+1
				timer.Reset(HeadStart)
			}
		}
	}
	cancel()
	// The attempts still pending were overtaken; a late connection is closed.
	for k := range out {
		if o := out[k]; o != nil && o.conn == nil && o.err == nil {
			o.overtook, o.took = true, time.Since(starts[k])
		}
	}
	for ; pending > 0; pending-- {
		if d := <-finished; d.conn != nil && d.k != winner {
			d.conn.Close()
		}
	}
	return out
}

// matchDANE judges the session as a DANE sender would (RFC 7672): when
// the host's TLSA records are secure, the presented chain must match a
// DANE-TA or DANE-EE record. Under DANE-EE the web PKI is not what a
// sender checks (§3.1.1): its findings become information. A bogus TLSA
// RRset makes DANE senders defer the mail (§2.2).
func matchDANE(ctx context.Context, r dns.Resolver, res *Result, o Options, mxInsecure string) {
	if res.TLS == nil || res.Host == "" {
		return
	}
	_, p, _ := net.SplitHostPort(res.Address)
	port, _ := strconv.Atoi(p)
	h, err := dane.Lookup(ctx, r, o.Validator, res.Host, port)
	if err != nil || len(h.Records) == 0 && !h.Bogus() {
		return
	}
	res.DANE = h
	if mxInsecure != "" {
		h.Unused = mxInsecure + ": senders do not use DANE for it (RFC 7672 §2.2.1)"
		return
	}
	if h.Bogus() {
		res.Findings = append(res.Findings, dane.BogusFinding(h))
		return
	}
	if !h.Authentic || !slices.ContainsFunc(h.Records, dane.TLSA.Usable) {
		return // unusable: without DNSSEC, or PKIX usages only (the dane check says so)
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	switch dane.Authenticate(h.Records, res.TLS.State.PeerCertificates, res.Host, now()) {
	case 0:
		res.Findings = append(res.Findings, report.Finding{ID: "dane.mismatch", Severity: report.Error,
			Message: fmt.Sprintf("no TLSA record at %s matches the certificate %s presents: DANE senders will not deliver", h.Name, res.Host),
			Fix:     "publish a TLSA record for the current certificate (3 1 1 <sha256 of its public key>) before rolling keys, and keep the old one until caches expire",
			Ref:     "RFC 7672 §3.1, RFC 7671 §8"})
	case 3:
		res.TLS.DANE = "DANE-EE"
		demote(res.Findings, "DANE-EE (a TLSA 3 x x record) authenticates this host: DANE senders check neither its issuer, names nor dates (RFC 7672 §3.1.1)",
			"tls.cert-untrusted", "tls.cert-name-mismatch", "tls.cert-expired", "tls.cert-expiring")
	case 2:
		res.TLS.DANE = "DANE-TA"
		demote(res.Findings, "DANE-TA (a TLSA 2 x x record) authenticates this host's chain: DANE senders trust that issuer instead of the web PKI (RFC 7672 §3.1.2)",
			"tls.cert-untrusted")
	}
}

// demote makes the findings of the given ids information, saying why.
func demote(fs []report.Finding, why string, ids ...string) {
	for i := range fs {
		if slices.Contains(ids, fs[i].ID) && fs[i].Severity > report.Info {
			fs[i].Severity = report.Info
			fs[i].Message += "; " + why
		}
	}
}

// servers lists the addresses of an MX host to try, filtered by network.
func servers(h mx.Host, port int, network string) []Server {
	var out []Server
	for _, a := range h.Addresses {
		if network == "tcp4" && !a.IP.Is4() || network == "tcp6" && !a.IP.Is6() {
			continue
		}
		out = append(out, Server{Name: h.Name, Addr: net.JoinHostPort(a.IP.String(), fmt.Sprint(port)), PTR: a.PTR})
	}
	return out
}

func noAddress(host string, a *dns.Addrs) *report.Check {
	c := &report.Check{Name: "dns"}
	if err := a.Failed(); err != nil {
		c.Add(report.LookupFailed(err))
		return c
	}
	c.Add(report.Finding{
		ID: "smtp.connect-failed", Severity: report.Error,
		Message: fmt.Sprintf("%s has no A or AAAA record: there is nothing to connect to", host),
		Fix:     "check the host name, or publish its address records",
		Ref:     "RFC 5321 §5.1",
	})
	return c
}

func checkName(r *Result) string {
	if r.Host == "" {
		return "smtp " + r.Address
	}
	return fmt.Sprintf("smtp %s [%s]", r.Host, r.Address)
}
