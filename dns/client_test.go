package dns_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
	"github.com/smtptool/smtptool/dns"
	"github.com/smtptool/smtptool/lab"
)

const zone = `
$ORIGIN r.test.
$TTL 300
;@lab servfail broken.r.test.
;@lab refused refusing.r.test.
;@lab timeout silent.r.test.
;@lab timeout half.r.test. AAAA
host      A     127.0.0.5
host      AAAA  ::1
half      A     127.0.0.6
alias     CNAME host
loop1     CNAME loop2
loop2     CNAME loop1
dangling  CNAME nowhere
a.b.c     TXT   "deep"
`

func startLab(t testing.TB) *lab.DNSServer {
	t.Helper()
	z := lab.NewZone()
	if err := z.Parse(strings.NewReader(zone), "r.test.", "zone"); err != nil {
		t.Fatal(err)
	}
	// A record longer than a 1232-byte UDP answer: it must come over TCP.
	var parts []string
	for i := range 60 {
		parts = append(parts, fmt.Sprintf("%q", fmt.Sprintf("part%02d-%s", i, strings.Repeat("x", 40))))
	}
	if err := z.AddString("big.r.test. TXT " + strings.Join(parts, " ")); err != nil {
		t.Fatal(err)
	}
	z.Sign("signed.test.")
	if err := z.AddString("signed.test. TXT \"v=spf1 -all\""); err != nil {
		t.Fatal(err)
	}
	s, err := lab.StartDNS(z)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newResolver(t testing.TB, s *lab.DNSServer, timeout time.Duration) *dns.Client {
	t.Helper()
	r, err := dns.New(dns.Config{Servers: []string{s.Addr}, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestOutcomesAreDistinct(t *testing.T) {
	s := startLab(t)
	r := newResolver(t, s, 2*time.Second)
	ctx := context.Background()

	a, err := r.Lookup(ctx, "host.r.test", mdns.TypeA)
	if err != nil || len(dns.Records[*mdns.A](a)) != 1 || a.NXDomain() || a.NoData() {
		t.Fatalf("host A: %+v, %v", a, err)
	}
	a, err = r.Lookup(ctx, "host.r.test", mdns.TypeMX)
	if err != nil || !a.NoData() || a.NXDomain() {
		t.Fatalf("host MX should be no-data: %+v, %v", a, err)
	}
	a, err = r.Lookup(ctx, "nosuch.r.test", mdns.TypeA)
	if err != nil || !a.NXDomain() || a.NoData() {
		t.Fatalf("nosuch should be NXDOMAIN: %+v, %v", a, err)
	}
	a, err = r.Lookup(ctx, "b.c.r.test", mdns.TypeTXT)
	if err != nil || !a.NoData() {
		t.Fatalf("an empty non-terminal is no-data, not NXDOMAIN: %+v, %v", a, err)
	}
}

func TestFailuresAreErrorsNotAbsence(t *testing.T) {
	s := startLab(t)
	r := newResolver(t, s, 600*time.Millisecond)
	ctx := context.Background()
	for name, want := range map[string]error{
		"broken.r.test":                     dns.ErrServerFailure,
		"refusing.r.test":                   dns.ErrRefused,
		"silent.r.test":                     dns.ErrTimeout,
		"loop1.r.test":                      dns.ErrServerFailure, // the lab, like real resolvers, gives up on loops
		strings.Repeat("x", 64) + ".r.test": dns.ErrBadName,       // a label over 63 octets
	} {
		a, err := r.Lookup(ctx, name, mdns.TypeA)
		var le *dns.LookupError
		if a != nil || !errors.As(err, &le) || !errors.Is(err, want) {
			t.Errorf("%s: got %+v, %v; want %v", name, a, err, want)
			continue
		}
		if !strings.Contains(le.Query(), "A ") {
			t.Errorf("%s: error does not name the query: %q", name, le.Query())
		}
	}
}

func TestTruncatedAnswerIsReadOverTCP(t *testing.T) {
	s := startLab(t)
	r := newResolver(t, s, 2*time.Second)
	a, err := r.Lookup(context.Background(), "big.r.test", mdns.TypeTXT)
	if err != nil {
		t.Fatal(err)
	}
	txt := dns.TXT(a)
	if len(txt) != 1 || !strings.HasPrefix(txt[0], "part00-") || !strings.Contains(txt[0], "part59-") {
		t.Fatalf("big TXT not read whole: %d records", len(txt))
	}
	if got := r.Queries(); got != 2 {
		t.Errorf("want one UDP and one TCP query, got %d", got)
	}
}

func TestAuthenticDataBit(t *testing.T) {
	s := startLab(t)
	r := newResolver(t, s, 2*time.Second)
	ctx := context.Background()
	a, err := r.Lookup(ctx, "signed.test", mdns.TypeTXT)
	if err != nil || !a.Authentic {
		t.Fatalf("signed.test should be authentic: %+v %v", a, err)
	}
	a, err = r.Lookup(ctx, "host.r.test", mdns.TypeA)
	if err != nil || a.Authentic {
		t.Fatalf("host.r.test should not be authentic: %+v %v", a, err)
	}
}

func TestCNAMEsAreFollowed(t *testing.T) {
	s := startLab(t)
	r := newResolver(t, s, 2*time.Second)
	ctx := context.Background()
	a, err := r.Lookup(ctx, "alias.r.test", mdns.TypeA)
	if err != nil || len(a.Records) != 1 || len(a.CNAMEs) != 1 || a.CNAMEs[0] != "host.r.test." {
		t.Fatalf("alias: %+v %v", a, err)
	}
	a, err = r.Lookup(ctx, "dangling.r.test", mdns.TypeA)
	if err != nil || !a.NXDomain() || len(a.CNAMEs) != 1 {
		t.Fatalf("dangling CNAME should be NXDOMAIN through the alias: %+v %v", a, err)
	}
}

func TestAddrsAndPTR(t *testing.T) {
	s := startLab(t)
	if err := s.Zone.AddString("5.0.0.127.in-addr.arpa. PTR host.r.test."); err != nil {
		t.Fatal(err)
	}
	r := newResolver(t, s, 600*time.Millisecond)
	ctx := context.Background()
	got := dns.LookupAddrs(ctx, r, "host.r.test")
	if got.Failed() != nil || fmt.Sprint(got.Addrs) != "[127.0.0.5 ::1]" {
		t.Fatalf("addrs: %v %v", got.Addrs, got.Failed())
	}
	names, _, err := dns.LookupPTR(ctx, r, got.Addrs[0])
	if err != nil || len(names) != 1 || names[0] != "host.r.test." {
		t.Fatalf("PTR: %v %v", names, err)
	}
	half := dns.LookupAddrs(ctx, r, "half.r.test")
	if !errors.Is(half.Err6, dns.ErrTimeout) || half.Err4 != nil || len(half.Addrs) != 1 {
		t.Fatalf("half: A must succeed and AAAA time out: %+v", half)
	}
}

func TestNothingIsAskedTwice(t *testing.T) {
	s := startLab(t)
	s.SetDelay(50 * time.Millisecond)
	r := newResolver(t, s, 2*time.Second)
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, err := r.Lookup(ctx, "HOST.r.test.", mdns.TypeA); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if _, err := r.Lookup(ctx, "host.r.test", mdns.TypeA); err != nil {
		t.Fatal(err)
	}
	if got := s.Queries(); got != 1 {
		t.Errorf("21 identical lookups reached the server %d times, want 1", got)
	}
}

func TestCallerCancellation(t *testing.T) {
	s := startLab(t)
	r := newResolver(t, s, 5*time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.Lookup(ctx, "silent.r.test", mdns.TypeA); !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
}

func TestParseServer(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1":       "127.0.0.1:53",
		"127.0.0.1:5353":  "127.0.0.1:5353",
		"::1":             "[::1]:53",
		"[::1]:5353":      "[::1]:5353",
		"[::1]":           "[::1]:53",
		"127.0.0.1:65535": "127.0.0.1:65535",
	} {
		if got, err := dns.ParseServer(in); err != nil || got != want {
			t.Errorf("ParseServer(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	// A host name would be looked up through some other server first.
	for _, bad := range []string{"", " ", ":53", "a b", "1.2.3.4:", "ns.example", "nonsense", "ns.example:53",
		"127.0.0.1:99999", "127.0.0.1:53x", "127.0.0.1:0", " 127.0.0.1", "[127.0.0.1]", "[::1", "fe80::1%eth0", "127.0.0.1:-1"} {
		if _, err := dns.ParseServer(bad); err == nil {
			t.Errorf("ParseServer(%q) should fail", bad)
		}
	}
}

// BenchmarkConcurrentLookups shows what concurrency buys with 50 ms of
// injected latency: 50 distinct names cost about one round trip.
func BenchmarkConcurrentLookups(b *testing.B) {
	s := startLab(b)
	s.SetDelay(50 * time.Millisecond)
	for b.Loop() {
		r := newResolver(b, s, 2*time.Second)
		var wg sync.WaitGroup
		for i := range 50 {
			wg.Go(func() { r.Lookup(context.Background(), fmt.Sprintf("n%d.r.test", i), mdns.TypeA) })
		}
		wg.Wait()
	}
}

// The trace callback needs no locking of its own: the race detector fails
// this test if the Resolver ever calls it concurrently.
func TestTraceIsSerialised(t *testing.T) {
	s := startLab(t)
	var seen []string
	r, err := dns.New(dns.Config{Servers: []string{s.Addr}, Timeout: time.Second,
		Trace: func(server, q string, _ time.Duration, _ string, _ error) { seen = append(seen, q) }})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() { r.Lookup(context.Background(), fmt.Sprintf("n%d.r.test", i), mdns.TypeA) })
	}
	wg.Wait()
	if len(seen) != 10 || !strings.HasPrefix(seen[0], "udp A n") {
		t.Fatalf("trace saw %v", seen)
	}
}

// TXT data comes back as the bytes that were published, whatever they are.
func TestTXTBytesRoundTrip(t *testing.T) {
	s := startLab(t)
	raw := "v=spf1 a:\xEF\xBB\xBFx.test \"quoted\" back\\slash \x80 tab\t"
	if err := s.Zone.AddString(`odd.r.test. TXT "` + dns.Escape(raw) + `" "` + dns.Escape("tail") + `"`); err != nil {
		t.Fatal(err)
	}
	r := newResolver(t, s, time.Second)
	a, err := r.Lookup(context.Background(), "odd.r.test", mdns.TypeTXT)
	if err != nil {
		t.Fatal(err)
	}
	if got := dns.TXT(a); len(got) != 1 || got[0] != raw+"tail" {
		t.Fatalf("got %q", got)
	}
}

// hostileDNS starts a server on loopback whose every reply is made by
// reply from the query; it answers over UDP and TCP.
func hostileDNS(t *testing.T, reply func(req *mdns.Msg) *mdns.Msg) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := mdns.HandlerFunc(func(w mdns.ResponseWriter, req *mdns.Msg) { w.WriteMsg(reply(req)) })
	srv := &mdns.Server{PacketConn: pc, Handler: h}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	return pc.LocalAddr().String()
}

// RFC 5452 §9.1: only a reply to the question asked is believed. A reply
// with the right ID to another name, type or class, or a query echoed back
// (QR=0), is a failed lookup: never data, never absence.
func TestRepliesToAnotherQuestionAreFailures(t *testing.T) {
	evil := func(req *mdns.Msg) *mdns.Msg {
		m := new(mdns.Msg)
		m.SetReply(req)
		m.Answer = []mdns.RR{mustRR(t, m.Question[0].Name+" 300 IN TXT \"v=spf1 +all\"")}
		return m
	}
	for name, reply := range map[string]func(*mdns.Msg) *mdns.Msg{
		"another name": func(req *mdns.Msg) *mdns.Msg {
			m := new(mdns.Msg)
			m.SetReply(req)
			m.Question[0].Name = "evil.t."
			m.Answer = []mdns.RR{mustRR(t, "evil.t. 300 IN TXT \"v=spf1 +all\"")}
			return m
		},
		"another type": func(req *mdns.Msg) *mdns.Msg {
			m := evil(req)
			m.Question[0].Qtype = mdns.TypeMX
			return m
		},
		"another class": func(req *mdns.Msg) *mdns.Msg {
			m := evil(req)
			m.Question[0].Qclass = mdns.ClassCHAOS
			return m
		},
		"no question": func(req *mdns.Msg) *mdns.Msg {
			m := evil(req)
			m.Question = nil
			return m
		},
		"two questions": func(req *mdns.Msg) *mdns.Msg {
			m := evil(req)
			m.Question = append(m.Question, mdns.Question{Name: "evil.t.", Qtype: mdns.TypeTXT, Qclass: mdns.ClassINET})
			return m
		},
		"the query echoed (QR=0)": func(req *mdns.Msg) *mdns.Msg { return req.Copy() },
		"an update, not a query": func(req *mdns.Msg) *mdns.Msg {
			m := evil(req)
			m.Opcode = mdns.OpcodeUpdate
			return m
		},
	} {
		addr := hostileDNS(t, reply)
		r, err := dns.New(dns.Config{Servers: []string{addr}, Timeout: 2 * time.Second, Attempts: 1})
		if err != nil {
			t.Fatal(err)
		}
		a, err := r.Lookup(context.Background(), "wrongq.t", mdns.TypeTXT)
		if a != nil || !errors.Is(err, dns.ErrMismatch) {
			t.Errorf("%s: got %+v, %v; want ErrMismatch", name, a, err)
		}
	}
	// The same server answering the question asked, in another case, is believed.
	addr := hostileDNS(t, func(req *mdns.Msg) *mdns.Msg {
		m := evil(req)
		m.Question[0].Name = strings.ToUpper(m.Question[0].Name)
		return m
	})
	r, _ := dns.New(dns.Config{Servers: []string{addr}, Timeout: 2 * time.Second})
	if a, err := r.Lookup(context.Background(), "wrongq.t", mdns.TypeTXT); err != nil || len(dns.TXT(a)) != 1 {
		t.Errorf("0x20 case: %+v, %v", a, err)
	}
}

func mustRR(t *testing.T, s string) mdns.RR {
	rr, err := mdns.NewRR(s)
	if err != nil {
		t.Fatal(err)
	}
	return rr
}

// The cache keeps the most recently used answers up to its size: memory
// stays flat over a bulk scan, and a name asked again soon is not asked
// of the network again.
func TestCacheIsBounded(t *testing.T) {
	s := startLab(t)
	r, err := dns.New(dns.Config{Servers: []string{s.Addr}, Timeout: 2 * time.Second, CacheSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ask := func(name string, wantQueries int64) {
		t.Helper()
		if _, err := r.Lookup(ctx, name, mdns.TypeA); err != nil {
			t.Fatal(err)
		}
		if got := r.Queries(); got != wantQueries {
			t.Fatalf("after %s: %d queries, want %d", name, got, wantQueries)
		}
	}
	ask("c1.r.test", 1)
	ask("c2.r.test", 2)
	ask("c1.r.test", 2) // cached, and now the most recent
	ask("c3.r.test", 3) // c2 is forgotten
	ask("c1.r.test", 3)
	ask("c2.r.test", 4)
}

// No more questions are on the network at once than MaxInFlight, however
// many are asked; and every one is still answered (a question waiting for
// its turn is not timed out).
func TestQueriesInFlightAreCapped(t *testing.T) {
	var mu sync.Mutex
	now, peak := 0, 0
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &mdns.Server{PacketConn: pc, Handler: mdns.HandlerFunc(func(w mdns.ResponseWriter, req *mdns.Msg) {
		mu.Lock()
		now++
		peak = max(peak, now)
		mu.Unlock()
		time.Sleep(20 * time.Millisecond)
		mu.Lock()
		now--
		mu.Unlock()
		m := new(mdns.Msg)
		m.SetRcode(req, mdns.RcodeNameError)
		w.WriteMsg(m)
	})}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })

	r, err := dns.New(dns.Config{Servers: []string{pc.LocalAddr().String()}, Timeout: 2 * time.Second, MaxInFlight: 4})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Go(func() {
			if _, err := r.Lookup(context.Background(), fmt.Sprintf("n%d.cap.test", i), mdns.TypeA); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if peak > 4 || peak < 2 {
		t.Errorf("%d questions on the network at once, want at most 4 (and some at once)", peak)
	}
}

// Replies are matched to queries by ID on a few long-lived sockets: a
// datagram with another ID (late, or forged) is dropped and the real
// reply still read; and a thousand questions use no more than a handful
// of source ports, each random.
func TestRepliesAreMatchedByIDOnFewSockets(t *testing.T) {
	var mu sync.Mutex
	ports := map[string]bool{}
	addr := rawUDP(t, func(pc net.PacketConn, from net.Addr, req *mdns.Msg) {
		mu.Lock()
		ports[from.String()] = true
		mu.Unlock()
		// First a forgery with the ID off by one, then the answer.
		forged := new(mdns.Msg)
		forged.SetReply(req)
		forged.Id++
		forged.Answer = []mdns.RR{mustRR(t, req.Question[0].Name+" 300 IN A 203.0.113.66")}
		b, _ := forged.Pack()
		pc.WriteTo(b, from)
		real := new(mdns.Msg)
		real.SetReply(req)
		real.Answer = []mdns.RR{mustRR(t, req.Question[0].Name+" 300 IN A 192.0.2.1")}
		b, _ = real.Pack()
		pc.WriteTo(b, from)
	})
	r, err := dns.New(dns.Config{Servers: []string{addr}, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 1000 {
		wg.Go(func() {
			a, err := r.Lookup(context.Background(), fmt.Sprintf("n%d.t", i), mdns.TypeA)
			if err != nil || len(a.Records) != 1 || a.Records[0].(*mdns.A).A.String() != "192.0.2.1" {
				t.Errorf("n%d: %v %v", i, a, err)
			}
		})
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(ports) > 4 {
		t.Errorf("1000 questions came from %d source ports, want at most 4", len(ports))
	}
}

// A lost datagram is asked again, and a slow server is still heard: the
// first attempt waits briefly, the last one the rest of the budget.
func TestLossIsRetriedAndSlowAnswersAreTaken(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	addr := rawUDP(t, func(pc net.PacketConn, from net.Addr, req *mdns.Msg) {
		name := req.Question[0].Name
		mu.Lock()
		seen[name]++
		first := seen[name] == 1
		mu.Unlock()
		if strings.HasPrefix(name, "lossy") && first {
			return // the first datagram is lost
		}
		go func() {
			if strings.HasPrefix(name, "slow") {
				time.Sleep(900 * time.Millisecond) // longer than the first waits
			}
			m := new(mdns.Msg)
			m.SetReply(req)
			m.Answer = []mdns.RR{mustRR(t, name+" 300 IN A 192.0.2.7")}
			b, _ := m.Pack()
			pc.WriteTo(b, from)
		}()
	})
	r, err := dns.New(dns.Config{Servers: []string{addr}, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"lossy.t", "slow.t"} {
		if a, err := r.Lookup(context.Background(), name, mdns.TypeA); err != nil || len(a.Records) != 1 {
			t.Errorf("%s: %v %v", name, a, err)
		}
	}
}

// rawUDP serves DNS on loopback by hand, for servers that misbehave in
// ways a dns.Server would not: handle gets each query that unpacks, with
// the socket to answer on.
func rawUDP(t *testing.T, handle func(pc net.PacketConn, from net.Addr, req *mdns.Msg)) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			req := new(mdns.Msg)
			if req.Unpack(buf[:n]) == nil {
				handle(pc, from, req)
			}
		}
	}()
	return pc.LocalAddr().String()
}
