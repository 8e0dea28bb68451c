// Package dns is smtptool's one DNS client, built on miekg/dns, behind the
// Resolver interface that every check takes.
//
// Every lookup the tool makes goes through a Client: the system's
// resolvers from /etc/resolv.conf or the servers given with --resolver.
// Queries carry EDNS0 (RFC 6891) with a 1232-byte buffer and set the AD bit
// to ask a validating resolver whether the answer is DNSSEC-authentic
// (RFC 6840 §5.7). A truncated UDP answer is asked again over TCP
// (RFC 7766 §5), like dig. Each query has a time budget shared by its
// attempts and servers.
//
// Answers tell three outcomes apart, because a check must never report a
// missing record when the lookup failed:
//   - NXDOMAIN: the name does not exist (Answer.NXDomain),
//   - no data: the name exists but has no record of that type (Answer.NoData),
//   - failure: SERVFAIL, REFUSED, timeouts, network errors (a *LookupError).
//
// A Client caches every answer for its lifetime (one run of the tool) and
// de-duplicates identical queries in flight, so nothing is asked twice.
//
// Only answers to the question asked are believed (RFC 5452 §9.1): a reply
// must be a response (QR=1) to a standard query with exactly the question
// that was sent, by name (case-insensitively), type and class. Anything
// else is a failed lookup, never data and never absence.
//
// This package imports nothing of the project: findings about failed
// lookups are made by report.LookupFailed.
package dns

import (
	"bytes"
	"cmp"
	"container/list"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/idna"

	mdns "github.com/miekg/dns"
)

// Errors a LookupError wraps.
var (
	ErrServerFailure = errors.New("server failure (SERVFAIL)")
	ErrRefused       = errors.New("query refused (REFUSED)")
	ErrTimeout       = errors.New("no answer within the timeout")
	ErrCNAMELoop     = errors.New("CNAME chain loops or is too long")
	ErrBadName       = errors.New("not a valid domain name")
	// ErrMismatch is a reply that does not answer the question sent: not a
	// response, not a standard query, or another name, type or class
	// (RFC 5452 §9.1). It is never taken for data or for absence.
	ErrMismatch = errors.New("the reply does not answer the question asked (RFC 5452 §9.1)")
)

// LookupError is a failed lookup: no server gave a usable answer.
type LookupError struct {
	Name   string // the name asked, as a FQDN
	Type   string // the record type asked, e.g. "MX"
	Server string // the last server asked
	Err    error
	// EDE is the Extended DNS Error the server gave with its failure
	// (RFC 8914), nil when it gave none.
	EDE *mdns.EDNS0_EDE
}

func (e *LookupError) Error() string {
	msg := fmt.Sprintf("lookup %s %s: %v", e.Type, e.Name, e.Err)
	if e.Server != "" {
		msg = fmt.Sprintf("lookup %s %s on %s: %v", e.Type, e.Name, e.Server, e.Err)
	}
	if e.EDE != nil {
		msg += " (" + DescribeEDE(e.EDE) + ")"
	}
	return msg
}

// DescribeEDE writes an Extended DNS Error for people: its code, the
// name RFC 8914 §4 gives it, and the server's own text, if any.
func DescribeEDE(e *mdns.EDNS0_EDE) string {
	s := fmt.Sprintf("EDE %d", e.InfoCode)
	if name, ok := mdns.ExtendedErrorCodeToString[e.InfoCode]; ok {
		s += " " + name
	}
	if t := strings.TrimSpace(e.ExtraText); t != "" {
		s += ": " + Escape(t)
	}
	return s
}

func (e *LookupError) Unwrap() error { return e.Err }

// Query names the question, e.g. "MX example.com.".
func (e *LookupError) Query() string { return e.Type + " " + e.Name }

// Answer is a successful response: NOERROR or NXDOMAIN.
type Answer struct {
	Name      string    // the name asked, as a FQDN
	Type      uint16    // the type asked
	Rcode     int       // mdns.RcodeSuccess or mdns.RcodeNameError
	Records   []mdns.RR // records of Type for Name, after any CNAME chain
	CNAMEs    []string  // aliases followed, in order: Name → CNAMEs[0] → ...
	Authentic bool      // the AD bit: a validating resolver checked the DNSSEC chain
	Server    string    // the server that answered
}

// NXDomain reports whether the name does not exist.
func (a *Answer) NXDomain() bool { return a.Rcode == mdns.RcodeNameError }

// NoData reports whether the name exists but has no record of the type.
func (a *Answer) NoData() bool { return a.Rcode == mdns.RcodeSuccess && len(a.Records) == 0 }

// Empty reports whether there are no records: NXDOMAIN or no data.
func (a *Answer) Empty() bool { return len(a.Records) == 0 }

// Records returns the answer's records of type T.
func Records[T mdns.RR](a *Answer) []T {
	var out []T
	for _, rr := range a.Records {
		if t, ok := rr.(T); ok {
			out = append(out, t)
		}
	}
	return out
}

// TXT returns each TXT record's character-strings joined, as RFC 7208 §3.3
// and RFC 6376 §3.6.2.2 require, as the bytes that were published.
func TXT(a *Answer) []string {
	var out []string
	for _, t := range Records[*mdns.TXT](a) {
		var b strings.Builder
		for _, s := range t.Txt {
			b.WriteString(Unescape(s))
		}
		out = append(out, b.String())
	}
	return out
}

// TXTMatching returns the answer's TXT records (as TXT joins them) that
// keep accepts: the records of one kind ("v=spf1", "v=DMARC1") at a name.
func TXTMatching(a *Answer, keep func(string) bool) []string {
	var out []string
	for _, t := range TXT(a) {
		if keep(t) {
			out = append(out, t)
		}
	}
	return out
}

// Unescape turns a character-string from miekg/dns's presentation form
// (\" \\ \DDD, RFC 1035 §5.1) back into its bytes.
func Unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		if i+3 < len(s) && isDigit(s[i+1]) && isDigit(s[i+2]) && isDigit(s[i+3]) {
			b.WriteByte(byte((int(s[i+1]-'0')*100 + int(s[i+2]-'0')*10 + int(s[i+3]-'0')) & 0xff))
			i += 3
			continue
		}
		b.WriteByte(s[i+1])
		i++
	}
	return b.String()
}

// Escape writes bytes as a character-string in presentation form, the
// inverse of Unescape.
func Escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < ' ' || c > '~':
			fmt.Fprintf(&b, "\\%03d", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// Resolver answers DNS questions: a Client on the network, or a
// dnstest.Mock in tests. Lookup returns an Answer for NOERROR and NXDOMAIN,
// and an error (a *LookupError) for anything else.
type Resolver interface {
	Lookup(ctx context.Context, name string, qtype uint16) (*Answer, error)
}

// DNSSECQuerier hands over whole responses for DNSSEC validation: asked
// with DO (RFC 4035 §3.2.1) so that they carry RRSIG, NSEC and NSEC3
// records, and with CD (RFC 4035 §3.2.2) so that a validating resolver
// hands over data that fails its validation instead of SERVFAIL, for the
// validator to say why. NOERROR and NXDOMAIN are responses; anything else
// is a *LookupError, as for Lookup.
type DNSSECQuerier interface {
	QueryDNSSEC(ctx context.Context, name string, qtype uint16) (*mdns.Msg, error)
}

var (
	_ Resolver      = (*Client)(nil)
	_ DNSSECQuerier = (*Client)(nil)
)

// Config says how to reach DNS.
type Config struct {
	// Servers are "host:port" addresses; empty means the system's resolvers.
	Servers []string
	// Timeout bounds one lookup, all attempts and servers included
	// (default 10s).
	Timeout time.Duration
	// Attempts is how many times each server is tried (default 3), each
	// waiting twice as long as the one before.
	Attempts int
	// Trace, when set, is told of every query sent to the network; the
	// Resolver calls it from one goroutine at a time.
	Trace func(server, question string, rtt time.Duration, rcode string, err error)
	// CacheSize bounds the answers kept (default DefaultCacheSize): the
	// least recently used go first, so memory stays flat in a bulk scan
	// while the names many domains share (provider includes, blocklist
	// zones) stay cached.
	CacheSize int
	// MaxInFlight caps the questions on the network at once for the whole
	// run (default DefaultMaxInFlight): more only fills the server's and
	// the socket's queues, and lost answers become false lookup failures.
	// A question waiting for its turn is not yet timed.
	MaxInFlight int
}

// DefaultMaxInFlight is what a local recursive resolver answers without
// dropping (Unbound's default num-queries-per-thread is 512; half of it
// leaves room for other clients).
const DefaultMaxInFlight = 256

// DefaultCacheSize is several hundred domains' worth of answers (a
// domain's check asks some tens of questions), a few tens of MiB.
const DefaultCacheSize = 50_000

// Client is the Resolver that asks servers on the network. It is safe for
// concurrent use; its cache is bounded (Config.CacheSize).
type Client struct {
	servers  []string
	timeout  time.Duration
	attempts int
	trace    func(string, string, time.Duration, string, error)
	traceMu  sync.Mutex

	mu        sync.Mutex
	cache     map[cacheKey]*entry
	recent    list.List // answered entries, the most recently used first
	cacheSize int
	queries   atomic.Int64
	inFlight  chan struct{} // a token per question on the network

	// the long-lived UDP sockets by server (udp.go)
	poolMu sync.Mutex
	pools  map[string]*udpPool
}

type cacheKey struct {
	name   string
	qtype  uint16
	dnssec bool // asked with DO and CD, kept whole
}

// entry is one question's answer; done is closed when it is known. While it
// is open, other askers wait on it instead of asking again.
type entry struct {
	done chan struct{}
	ans  *Answer
	msg  *mdns.Msg // the whole response, for DNSSEC questions only
	err  error
	key  cacheKey
	used *list.Element // in Client.recent once answered
}

// SystemConfigFile is where the system's resolvers are read from.
const SystemConfigFile = "/etc/resolv.conf"

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	r := &Client{
		servers:  cfg.Servers,
		timeout:  cfg.Timeout,
		attempts: cfg.Attempts,
		trace:    cfg.Trace,
		cache:    map[cacheKey]*entry{},
	}
	r.cacheSize = cfg.CacheSize
	if r.cacheSize <= 0 {
		r.cacheSize = DefaultCacheSize
	}
	r.inFlight = make(chan struct{}, cmp.Or(max(cfg.MaxInFlight, 0), DefaultMaxInFlight))
	if r.timeout <= 0 {
		r.timeout = 10 * time.Second
	}
	if r.attempts <= 0 {
		r.attempts = 3
	}
	if len(r.servers) == 0 {
		cc, err := mdns.ClientConfigFromFile(SystemConfigFile)
		if err != nil {
			return nil, fmt.Errorf("resolve: reading system resolvers: %w (use --resolver)", err)
		}
		for _, s := range cc.Servers {
			r.servers = append(r.servers, net.JoinHostPort(s, cc.Port))
		}
		if len(r.servers) == 0 {
			return nil, fmt.Errorf("resolve: no nameserver in %s (use --resolver)", SystemConfigFile)
		}
	}
	return r, nil
}

// ParseServer reads a --resolver value: an IP address, IP:port or
// [v6]:port, the port 1–65535 and 53 by default. A host name is refused:
// resolving it would ask some other server first, and with --resolver
// nothing is asked of any other server.
func ParseServer(s string) (string, error) {
	if s == "" || strings.TrimSpace(s) != s {
		return "", fmt.Errorf("bad resolver address %q: want an IP address with an optional port", s)
	}
	if ip, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")); err == nil && ip.Zone() == "" {
		if strings.HasPrefix(s, "[") != strings.HasSuffix(s, "]") || (strings.HasPrefix(s, "[") && !ip.Is6()) {
			return "", fmt.Errorf("bad resolver address %q", s)
		}
		return net.JoinHostPort(ip.String(), "53"), nil
	}
	ap, err := netip.ParseAddrPort(s)
	if err != nil || ap.Addr().Zone() != "" {
		return "", fmt.Errorf("bad resolver address %q: want an IP address with an optional port (1-65535), not a host name", s)
	}
	if ap.Port() == 0 {
		return "", fmt.Errorf("bad resolver address %q: the port must be 1-65535", s)
	}
	return ap.String(), nil
}

// ErrIsAddress is an IP address given where a domain name is expected.
var ErrIsAddress = errors.New("an IP address, not a domain name")

// ParseDomain reads a domain name a user gave. ASCII is taken as it is
// (underscores too, as in _spf.example.com); a name with other characters
// is an IDN, converted to its A-labels by UTS #46 with the lookup profile
// (RFC 5891 §5.5, golang.org/x/net/idna), since DNS carries only those.
// An IP address is refused with ErrIsAddress, so that the caller can point
// to the commands that take one.
func ParseDomain(s string) (string, error) {
	if _, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
		return "", fmt.Errorf("%q is %w", s, ErrIsAddress)
	}
	ascii := s
	if !isASCII(s) {
		a, err := idna.Lookup.ToASCII(s)
		if err != nil {
			return "", fmt.Errorf("%q is not a valid domain name (%v)", s, err)
		}
		ascii = a
	}
	if !ValidName(ascii) {
		return "", fmt.Errorf("%q is not a valid domain name", s)
	}
	return ascii, nil
}

// Unicode returns the U-label form of an A-label name for display, or ""
// when it has none (no xn-- label, or one that does not decode).
func Unicode(ascii string) string {
	if !strings.Contains(strings.ToLower(ascii), "xn--") {
		return ""
	}
	u, err := idna.Lookup.ToUnicode(ascii)
	if err != nil || u == ascii {
		return ""
	}
	return u
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// ValidName reports whether s can be asked as a domain name: it parses
// (RFC 1035 §2.3.4 lengths) and holds no white space or characters that
// mark an address, URL or e-mail address.
func ValidName(s string) bool {
	_, ok := mdns.IsDomainName(s)
	return ok && s != "" && s != "." && !strings.ContainsAny(s, " \t\r\n/@:[]\\")
}

// Servers returns the addresses the client asks.
func (r *Client) Servers() []string { return r.servers }

// Address names the servers a Resolver asks, for messages; "the resolver"
// when it cannot say.
func Address(r Resolver) string {
	if s, ok := r.(interface{ Servers() []string }); ok && len(s.Servers()) > 0 {
		return strings.Join(s.Servers(), ", ")
	}
	return "the resolver"
}

// Queries returns how many queries went to the network so far.
func (r *Client) Queries() int64 { return r.queries.Load() }

// Lookup asks for records of qtype at name. It returns an Answer for
// NOERROR and NXDOMAIN, and a *LookupError for anything else.
func (r *Client) Lookup(ctx context.Context, name string, qtype uint16) (*Answer, error) {
	e, err := r.ask1(ctx, name, qtype, false)
	if err != nil {
		return nil, err
	}
	return e.ans, e.err
}

// QueryDNSSEC asks for name and qtype with DO and CD set and returns the
// whole response (see DNSSECQuerier). It is cached and de-duplicated as
// Lookup is, apart from it: the two answers can differ. The message is
// shared by every caller: read it, or Copy it before changing (or
// packing) it.
func (r *Client) QueryDNSSEC(ctx context.Context, name string, qtype uint16) (*mdns.Msg, error) {
	e, err := r.ask1(ctx, name, qtype, true)
	if err != nil {
		return nil, err
	}
	return e.msg, e.err
}

// ask1 returns the cache entry of a question once it is answered: asked
// here if nobody has asked it yet, or waited for if somebody is asking.
// The error is the caller's giving up; the entry holds the lookup's own.
func (r *Client) ask1(ctx context.Context, name string, qtype uint16, dnssec bool) (*entry, error) {
	fqdn := mdns.CanonicalName(name)
	typ := mdns.TypeToString[qtype]
	// Any name DNS can carry may be asked (SPF macros build names with
	// spaces and punctuation); ValidName is for what users type. The root
	// is asked only for DNSSEC: its keys anchor the chain of trust.
	if _, ok := mdns.IsDomainName(fqdn); !ok || fqdn == "." && !dnssec {
		return nil, &LookupError{Name: fqdn, Type: typ, Err: ErrBadName}
	}
	key := cacheKey{fqdn, qtype, dnssec}

	r.mu.Lock()
	e, found := r.cache[key]
	switch {
	case !found:
		e = &entry{done: make(chan struct{}), key: key}
		r.cache[key] = e
		// The query runs on its own: a caller that gives up must not
		// cancel it for the others waiting on the same entry. It is
		// bounded by r.timeout.
		go func() {
			r.inFlight <- struct{}{}
			defer func() { <-r.inFlight }()
			resp, server, err := r.exchange(context.WithoutCancel(ctx), fqdn, qtype, dnssec)
			switch {
			case err != nil:
				e.err = err
			case dnssec:
				e.msg = resp
			default:
				e.ans, e.err = answerFrom(resp, fqdn, qtype, server)
			}
			r.answered(e) // before done: who sees the answer sees the cache after it
			close(e.done)
		}()
	case e.used != nil:
		r.recent.MoveToFront(e.used)
	}
	r.mu.Unlock()

	select {
	case <-e.done:
		return e, nil
	case <-ctx.Done():
		return nil, &LookupError{Name: fqdn, Type: typ, Err: ctx.Err()}
	}
}

// answered puts an entry among the recent ones, and forgets the least
// recently used beyond the cache's size. Entries still being asked are
// never forgotten, so a question in flight is asked once.
func (r *Client) answered(e *entry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e.used = r.recent.PushFront(e)
	for r.recent.Len() > r.cacheSize {
		old := r.recent.Remove(r.recent.Back()).(*entry)
		delete(r.cache, old.key)
	}
}

// firstWait is how long the first attempt waits for its answer: about
// what a resolver takes on a cache miss (Unbound starts its retransmit
// timer at 376 ms), so that a lost packet costs little.
const firstWait = 400 * time.Millisecond

// exchange asks the servers in turn until one gives NOERROR or NXDOMAIN.
// A lost packet is retried soon, then later: each attempt waits twice as
// long as the one before, and the last one the rest of the lookup's time
// budget, so a slow answer is still taken.
func (r *Client) exchange(ctx context.Context, fqdn string, qtype uint16, dnssec bool) (*mdns.Msg, string, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	tries := r.attempts * len(r.servers)
	deadline, _ := ctx.Deadline()
	wait := min(firstWait, r.timeout)

	lastErr := &LookupError{Name: fqdn, Type: mdns.TypeToString[qtype], Err: ErrTimeout}
	for i := 0; i < tries && ctx.Err() == nil; i, wait = i+1, wait*2 {
		if i == tries-1 {
			wait = time.Until(deadline) // the last attempt has what is left
		}
		server := r.servers[i%len(r.servers)]
		resp, err := r.ask(ctx, server, fqdn, qtype, dnssec, wait)
		lastErr.Server = server
		if err != nil {
			lastErr.Err = err
			continue
		}
		lastErr.EDE = extendedError(resp)
		switch {
		case resp.Rcode == mdns.RcodeSuccess || resp.Rcode == mdns.RcodeNameError:
			return resp, server, nil
		case resp.Rcode == mdns.RcodeRefused:
			lastErr.Err = ErrRefused
		case resp.Rcode == mdns.RcodeServerFailure:
			lastErr.Err = ErrServerFailure
		default:
			lastErr.Err = fmt.Errorf("server answered %s", mdns.RcodeToString[resp.Rcode])
		}
	}
	return nil, "", lastErr
}

// extendedError returns a response's first Extended DNS Error (RFC 8914).
func extendedError(resp *mdns.Msg) *mdns.EDNS0_EDE {
	if opt := resp.IsEdns0(); opt != nil {
		for _, o := range opt.Option {
			if e, ok := o.(*mdns.EDNS0_EDE); ok {
				return e
			}
		}
	}
	return nil
}

// ask sends one query to one server, over UDP and then over TCP if the
// answer was truncated (RFC 7766 §5).
func (r *Client) ask(ctx context.Context, server, fqdn string, qtype uint16, dnssec bool, timeout time.Duration) (*mdns.Msg, error) {
	m := new(mdns.Msg)
	m.SetQuestion(fqdn, qtype)
	m.RecursionDesired = true
	m.AuthenticatedData = true // RFC 6840 §5.7: ask for the AD bit without DO
	m.SetEdns0(1232, dnssec)   // the DNS flag day 2020 buffer size
	m.CheckingDisabled = dnssec

	resp, err := r.send(ctx, "udp", server, m, timeout)
	if err == nil && resp.Truncated {
		resp, err = r.send(ctx, "tcp", server, m, timeout)
	}
	return resp, err
}

// answers checks that a reply answers the question: QR set, a standard
// query, exactly the one question by name (case-insensitively), type and
// class (RFC 5452 §9.1). miekg/dns has already matched the ID.
func answers(resp *mdns.Msg, q mdns.Question) error {
	if !resp.Response || resp.Opcode != mdns.OpcodeQuery || len(resp.Question) != 1 {
		return ErrMismatch
	}
	got := resp.Question[0]
	if got.Qtype != q.Qtype || got.Qclass != q.Qclass || !sameName(got.Name, q.Name) {
		return ErrMismatch
	}
	return nil
}

// sameName compares two names in their wire form, ASCII case-insensitively
// (RFC 4343 §3): presentation forms differ for the same name ("a b" is
// sent as given and comes back as "a\\032b").
func sameName(a, b string) bool {
	if strings.EqualFold(a, b) {
		return true
	}
	wa, wb := make([]byte, 256), make([]byte, 256)
	na, errA := mdns.PackDomainName(a, wa, 0, nil, false)
	nb, errB := mdns.PackDomainName(b, wb, 0, nil, false)
	return errA == nil && errB == nil && bytes.EqualFold(wa[:na], wb[:nb])
}

// queryCounter is the context key of CountQueries' counter.
type queryCounter struct{}

// CountQueries returns a context whose lookups count the queries they send
// to the network in n: what one domain's check costs, for -v. A question
// already answered or asked by another context is not counted again.
func CountQueries(ctx context.Context) (context.Context, *atomic.Int64) {
	n := new(atomic.Int64)
	return context.WithValue(ctx, queryCounter{}, n), n
}

func (r *Client) send(ctx context.Context, network, server string, m *mdns.Msg, timeout time.Duration) (*mdns.Msg, error) {
	r.queries.Add(1)
	if n, ok := ctx.Value(queryCounter{}).(*atomic.Int64); ok {
		n.Add(1)
	}
	c := &mdns.Client{Net: network, Timeout: timeout}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var resp *mdns.Msg
	var rtt time.Duration
	var err error
	if network == "udp" {
		p := r.pool(server)
		for range 2 { // a socket that closed under us is opened again, once
			var sock *udpSocket
			if sock, err = p.socket(ctx); err == nil {
				resp, rtt, err = sock.exchange(ctx, m, timeout)
			}
			if !errors.Is(err, errSocketClosed) {
				break
			}
		}
		if err == nil {
			err = answers(resp, m.Question[0])
		}
	} else {
		resp, rtt, err = c.ExchangeContext(ctx, m, server)
		if err == nil {
			err = answers(resp, m.Question[0])
		}
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() || errors.Is(err, context.DeadlineExceeded) {
		err = ErrTimeout
	}
	if r.trace != nil {
		rcode := ""
		if resp != nil {
			rcode = mdns.RcodeToString[resp.Rcode]
		}
		r.traceMu.Lock()
		defer r.traceMu.Unlock()
		r.trace(server, network+" "+mdns.TypeToString[m.Question[0].Qtype]+" "+m.Question[0].Name, rtt, rcode, err)
	}
	return resp, err
}

// answerFrom keeps the records of qtype owned by fqdn or by the end of its
// CNAME chain (RFC 1034 §3.6.2).
func answerFrom(resp *mdns.Msg, fqdn string, qtype uint16, server string) (*Answer, error) {
	a := &Answer{Name: fqdn, Type: qtype, Rcode: resp.Rcode, Authentic: resp.AuthenticatedData, Server: server}
	// answers checked that the reply's question is fqdn; owner names come
	// back in the same presentation form as it (a space is "\\032").
	owner := resp.Question[0].Name
	seen := map[string]bool{owner: true}
	for {
		var next string
		for _, rr := range resp.Answer {
			h := rr.Header()
			if !strings.EqualFold(h.Name, owner) {
				continue
			}
			switch {
			case h.Rrtype == qtype:
				a.Records = append(a.Records, rr)
			case h.Rrtype == mdns.TypeCNAME && qtype != mdns.TypeCNAME:
				next = mdns.CanonicalName(rr.(*mdns.CNAME).Target)
			}
		}
		if len(a.Records) > 0 || next == "" {
			return a, nil
		}
		if seen[next] || len(seen) > 16 {
			return nil, &LookupError{Name: fqdn, Type: mdns.TypeToString[qtype], Server: server, Err: ErrCNAMELoop}
		}
		seen[next] = true
		a.CNAMEs = append(a.CNAMEs, next)
		owner = next
	}
}
