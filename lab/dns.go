package lab

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

// Zone is the lab's DNS data: what a recursive resolver would answer.
//
// Zone files are RFC 1035 master files. Lines starting with ";@lab" are
// directives that make the lab misbehave or sign a zone (see sign.go for
// the signing ones):
//
//	;@lab servfail NAME [TYPE]   answer SERVFAIL
//	;@lab refused NAME [TYPE]    answer REFUSED
//	;@lab timeout NAME [TYPE]    never answer
//	;@lab signed [FLAW]          this file's $ORIGIN is a DNSSEC-signed zone
//	;@lab zone                   this file's $ORIGIN is an unsigned zone
//	;@lab bogus NAME TYPE        that RRset's signature does not verify
type Zone struct {
	// Now is the clock of the signatures (default time.Now).
	Now           func() time.Time
	mu            sync.RWMutex
	notValidating bool                 // see SetValidating
	rrs           map[string][]dns.RR  // owner name → records
	names         map[string]bool      // every owner and its ancestors: empty non-terminals exist too
	behave        map[behaveKey]string // (name, type) → "servfail", "refused", "timeout"
	zones         map[string]*zoneInfo // declared zone apexes
	bogus         map[behaveKey]bool   // RRsets whose signatures are broken

	signMu sync.Mutex // guards what signing makes lazily, under mu held for reading
	keys   map[string]*zoneKey
	sigs   map[sigKey][]dns.RR
	chains map[string]*chain
}

type behaveKey struct {
	name  string
	qtype uint16 // 0: every type
}

// NewZone returns an empty zone.
func NewZone() *Zone {
	return &Zone{rrs: map[string][]dns.RR{}, names: map[string]bool{".": true}, behave: map[behaveKey]string{},
		zones: map[string]*zoneInfo{}, bogus: map[behaveKey]bool{},
		keys: map[string]*zoneKey{}, sigs: map[sigKey][]dns.RR{}, chains: map[string]*chain{}}
}

// Parse reads a master file into the zone; origin is the default $ORIGIN.
func (z *Zone) Parse(r io.Reader, origin, file string) error {
	text, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	origin = dns.CanonicalName(origin)
	sc := bufio.NewScanner(strings.NewReader(string(text)))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "$ORIGIN" {
			origin = dns.CanonicalName(f[1])
		}
		rest, ok := strings.CutPrefix(line, ";@lab ")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		switch {
		case len(f) >= 1 && f[0] == "signed":
			z.declareZone(origin, true, f[1:])
		case len(f) == 1 && f[0] == "zone":
			z.declareZone(origin, false, nil)
		case len(f) == 3 && f[0] == "bogus":
			name := f[1]
			if name == "@" {
				name = origin
			} else if !dns.IsFqdn(name) {
				name += "." + origin
			}
			z.mu.Lock()
			z.bogus[behaveKey{canonical(name), dns.StringToType[strings.ToUpper(f[2])]}] = true
			z.mu.Unlock()
		case len(f) >= 2 && (f[0] == "servfail" || f[0] == "refused" || f[0] == "timeout"):
			var qtype uint16
			if len(f) == 3 {
				qtype = dns.StringToType[strings.ToUpper(f[2])]
			}
			z.Misbehave(f[1], qtype, f[0])
		default:
			return fmt.Errorf("%s: bad directive %q", file, line)
		}
	}
	zp := dns.NewZoneParser(strings.NewReader(string(text)), origin, file)
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		z.Add(rr)
	}
	return zp.Err()
}

// canonical writes a name as queries arrive: lower case, in presentation
// form (a space is "\032"), by packing and unpacking it.
func canonical(name string) string {
	buf := make([]byte, 512)
	off, err := dns.PackDomainName(dns.Fqdn(name), buf, 0, nil, false)
	if err != nil {
		return dns.CanonicalName(name)
	}
	n, _, err := dns.UnpackDomainName(buf[:off], 0)
	if err != nil {
		return dns.CanonicalName(name)
	}
	return dns.CanonicalName(n)
}

// Add adds a record.
func (z *Zone) Add(rr dns.RR) {
	z.mu.Lock()
	defer z.mu.Unlock()
	name := canonical(rr.Header().Name)
	for _, old := range z.rrs[name] {
		if dns.IsDuplicate(old, rr) {
			return // RFC 2181 §5: an RRset holds each record once
		}
	}
	z.rrs[name] = append(z.rrs[name], rr)
	for i, end := 0, false; !end; i, end = dns.NextLabel(name, i) {
		z.names[name[i:]] = true
	}
	z.forgetProofs()
}

// AddString adds records written in master-file syntax.
func (z *Zone) AddString(rrs ...string) error {
	for _, s := range rrs {
		rr, err := dns.NewRR(s)
		if err != nil {
			return err
		}
		z.Add(rr)
	}
	return nil
}

// Misbehave makes queries for name (and qtype, or every type for 0) answer
// with "servfail", "refused" or "timeout" (no answer at all).
func (z *Zone) Misbehave(name string, qtype uint16, how string) {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.behave[behaveKey{canonical(name), qtype}] = how
}

// SetValidating says whether the lab answers as a validating resolver
// (the default) or as one that does not validate DNSSEC: never the AD bit,
// never SERVFAIL for bogus data.
func (z *Zone) SetValidating(on bool) {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.notValidating = !on
}

// Sign makes apex a DNSSEC-signed zone, as ";@lab signed" does.
func (z *Zone) Sign(apex string) { z.declareZone(dns.CanonicalName(apex), true, nil) }

func (z *Zone) misbehaviour(name string, qtype uint16) string {
	if how, ok := z.behave[behaveKey{name, qtype}]; ok {
		return how
	}
	return z.behave[behaveKey{name, 0}]
}

// resolve fills m's answer the way a recursive resolver would: CNAMEs are
// followed within the lab, NXDOMAIN when the final name does not exist.
// With do, signatures and proofs of absence come along (RFC 4035 §3.1);
// unless the lab does not validate or cd is set, bogus data is SERVFAIL
// with an Extended DNS Error and secure data has the AD bit (§3.2).
func (z *Zone) resolve(m *dns.Msg, name string, qtype uint16, do, cd bool) {
	z.mu.RLock()
	defer z.mu.RUnlock()
	if how := z.misbehaviour(name, qtype); how != "" {
		m.Rcode = map[string]int{"servfail": dns.RcodeServerFailure, "refused": dns.RcodeRefused}[how]
		return
	}
	owners := []string{name}
	found, ended := false, false
	for range 12 {
		owner := owners[len(owners)-1]
		if !z.names[owner] {
			m.Rcode = dns.RcodeNameError
			ended = true
			break
		}
		records := z.synthesized(owner, qtype)
		var cname []dns.RR
		for _, rr := range z.rrs[owner] {
			switch {
			case rr.Header().Rrtype == qtype:
				records = append(records, rr)
			case rr.Header().Rrtype == dns.TypeCNAME && qtype != dns.TypeCNAME:
				cname = []dns.RR{rr}
			}
		}
		if len(records) > 0 {
			m.Answer = append(m.Answer, records...)
			if do {
				m.Answer = append(m.Answer, z.rrsigs(z.zoneFor(owner, qtype), records)...)
			}
			found, ended = true, true
			break
		}
		if cname == nil {
			ended = true
			break
		}
		m.Answer = append(m.Answer, cname...)
		if do {
			m.Answer = append(m.Answer, z.rrsigs(z.zoneFor(owner, dns.TypeCNAME), cname)...)
		}
		owners = append(owners, canonical(cname[0].(*dns.CNAME).Target))
	}
	if !ended {
		// A chain this long is a loop: real resolvers give up with SERVFAIL.
		m.Answer = nil
		m.Rcode = dns.RcodeServerFailure
		return
	}
	last := owners[len(owners)-1]
	if !found && do {
		info := z.zoneFor(last, qtype)
		soa := z.synthesized(info.apex, dns.TypeSOA)
		m.Ns = append(append(m.Ns, soa...), z.rrsigs(info, soa)...)
		if info.signed {
			m.Ns = append(m.Ns, z.proof(info, last, qtype, m.Rcode == dns.RcodeSuccess)...)
		}
	}
	if z.notValidating {
		return
	}
	authentic := true
	for i, owner := range owners {
		t := qtype
		if i < len(owners)-1 {
			t = dns.TypeCNAME
		}
		a, ede, bogus := z.validation(owner, t)
		if bogus && !cd {
			m.Answer, m.Ns, m.Rcode = nil, nil, dns.RcodeServerFailure
			m.SetEdns0(1232, do)
			opt := m.IsEdns0()
			opt.Option = append(opt.Option, &dns.EDNS0_EDE{InfoCode: ede})
			return
		}
		authentic = authentic && a
	}
	if m.Rcode == dns.RcodeNameError && z.zoneFor(last, qtype).flaws["optout"] {
		authentic = false // RFC 5155 §9.2: an opt-out span may hide a delegation
	}
	m.AuthenticatedData = authentic
}

// DNSServer serves a Zone on loopback over UDP and TCP.
type DNSServer struct {
	Zone *Zone
	// Addr is "127.0.0.1:port", the same port for UDP and TCP.
	Addr string

	delay   atomic.Int64
	queries atomic.Int64
	askedMu sync.Mutex
	asked   map[string]int // "name TYPE" → times asked
	udp     *dns.Server
	tcp     *dns.Server
}

// SetDelay makes every answer wait d first: the lab's way to measure what
// concurrency buys.
func (s *DNSServer) SetDelay(d time.Duration) { s.delay.Store(int64(d)) }

// Asked returns how many times each question ("name TYPE") was asked.
func (s *DNSServer) Asked() map[string]int {
	s.askedMu.Lock()
	defer s.askedMu.Unlock()
	out := make(map[string]int, len(s.asked))
	for k, v := range s.asked {
		out[k] = v
	}
	return out
}

// Queries returns how many queries the server has received.
func (s *DNSServer) Queries() int64 { return s.queries.Load() }

// StartDNS serves z on 127.0.0.1 at a free port, UDP and TCP.
func StartDNS(z *Zone) (*DNSServer, error) {
	s := &DNSServer{Zone: z}
	for range 20 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		// Bulk scans send bursts of thousands of queries: a small socket
		// buffer would drop them, as a real resolver's large one does not.
		pc.(*net.UDPConn).SetReadBuffer(8 << 20)
		l, err := net.Listen("tcp", pc.LocalAddr().String())
		if err != nil {
			pc.Close() // the TCP port is taken: try another
			continue
		}
		s.Addr = pc.LocalAddr().String()
		s.udp = &dns.Server{PacketConn: pc, Handler: s}
		s.tcp = &dns.Server{Listener: l, Handler: s}
		for _, srv := range []*dns.Server{s.udp, s.tcp} {
			started := make(chan struct{})
			srv.NotifyStartedFunc = func() { close(started) }
			go srv.ActivateAndServe()
			<-started
		}
		return s, nil
	}
	return nil, fmt.Errorf("lab: no free port for DNS")
}

// Close stops the server.
func (s *DNSServer) Close() error {
	err := s.udp.Shutdown()
	if err2 := s.tcp.Shutdown(); err == nil {
		err = err2
	}
	return err
}

// ServeDNS answers one query.
func (s *DNSServer) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	s.queries.Add(1)
	if d := time.Duration(s.delay.Load()); d > 0 {
		time.Sleep(d)
	}
	m := new(dns.Msg)
	m.SetReply(req)
	m.RecursionAvailable = true
	if len(req.Question) != 1 {
		m.Rcode = dns.RcodeFormatError
		w.WriteMsg(m)
		return
	}
	q := req.Question[0]
	name := dns.CanonicalName(q.Name)
	s.askedMu.Lock()
	if s.asked == nil {
		s.asked = map[string]int{}
	}
	question := name + " " + dns.TypeToString[q.Qtype]
	if opt := req.IsEdns0(); opt != nil && opt.Do() {
		question += " +dnssec" // asked for validation, apart from the plain question
	}
	s.asked[question]++
	s.askedMu.Unlock()
	s.Zone.mu.RLock()
	how := s.Zone.misbehaviour(name, q.Qtype)
	s.Zone.mu.RUnlock()
	if how == "timeout" {
		return // a silent server
	}
	opt := req.IsEdns0()
	do := opt != nil && opt.Do()
	s.Zone.resolve(m, name, q.Qtype, do, req.CheckingDisabled)
	if !req.AuthenticatedData && opt == nil {
		m.AuthenticatedData = false
	}
	if opt != nil && m.IsEdns0() == nil {
		m.SetEdns0(opt.UDPSize(), do)
	}
	if w.RemoteAddr().Network() == "udp" {
		size := dns.MinMsgSize
		if opt := req.IsEdns0(); opt != nil {
			size = int(opt.UDPSize())
		}
		m.Truncate(size) // sets TC when it does not fit (RFC 1035 §4.2.1)
	}
	w.WriteMsg(m)
}
