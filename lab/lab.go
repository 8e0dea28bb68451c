// Package lab is smtptool's offline world: an in-process DNS server and a
// set of SMTP servers on loopback addresses, some configured well and some
// wrong in exactly one way each. Tests run against it, and `smtptool demo`
// starts it so that a user can watch the tool work with no network at all.
//
// Every lab host listens on its own loopback address (127.0.0.x) at one
// shared port, Lab.Port; DNS gives each its A and PTR records. The lab's
// certificates come from a CA made at start-up, trusted only through
// Lab.CA.Pool.
package lab

import (
	"crypto/tls"
	"crypto/x509"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-smtp"
	mdns "github.com/miekg/dns"
	"github.com/smtptool/smtptool/check/dane"
	"github.com/smtptool/smtptool/dns"
)

//go:embed zones/*.zone
var zoneFiles embed.FS

// Host is one lab mail server: its name, its loopback address and what it
// is like. The names are the lab's vocabulary for tests and the demo.
type Host struct {
	Name string
	IP   string
	// What it does; one line for the demo and for people reading tests.
	About string
	start func(l *Lab, h Host, ls []net.Listener) error
}

// Hosts lists every lab server.
var Hosts = []Host{
	{"mx1.good.test", "127.0.0.10", "well configured: STARTTLS, AUTH after TLS, valid certificate", good(nil)},
	{"mx2.good.test", "127.0.0.11", "well configured, second MX", good(nil)},
	{"relay.smtp.test", "127.0.0.30", "an open relay", good(func(b *backend, s *smtp.Server) { b.openRelay = true })},
	{"notls.smtp.test", "127.0.0.31", "offers no STARTTLS", good(func(b *backend, s *smtp.Server) { s.TLSConfig = nil })},
	{"authplain.smtp.test", "127.0.0.32", "offers AUTH before STARTTLS", good(func(b *backend, s *smtp.Server) { s.AllowInsecureAuth = true })},
	{"expired.smtp.test", "127.0.0.33", "an expired certificate", withCert(LeafOptions{NotBefore: -100 * 24 * time.Hour, NotAfter: -24 * time.Hour})},
	{"expiring.smtp.test", "127.0.0.34", "a 90-day certificate that expires in 5 days, past its renewal point", withCert(LeafOptions{NotBefore: -85 * 24 * time.Hour, NotAfter: 5 * 24 * time.Hour})},
	{"selfsigned.smtp.test", "127.0.0.35", "a self-signed certificate", withCert(LeafOptions{SelfSigned: true})},
	{"wrongname.smtp.test", "127.0.0.36", "a certificate for another name", withCert(LeafOptions{Names: []string{"someone-else.test"}})},
	{"tls10.smtp.test", "127.0.0.37", "negotiates TLS 1.0 at most", good(func(b *backend, s *smtp.Server) {
		s.TLSConfig.MinVersion, s.TLSConfig.MaxVersion = tls.VersionTLS10, tls.VersionTLS10
	})},
	{"mismatch.smtp.test", "127.0.0.38", "greets with another host's name", good(func(b *backend, s *smtp.Server) { s.Domain = "mail.elsewhere.test" })},
	{"slow.smtp.test", "127.0.0.39", "greets after 6 seconds", slow(6 * time.Second)},
	{"late.smtp.test", "127.0.0.40", "greets after 30 seconds", slow(30 * time.Second)},
	{"silent.smtp.test", "127.0.0.41", "accepts the connection and never speaks", rawHost(&raw{})},
	{"endless.smtp.test", "127.0.0.42", "answers EHLO with a multi-line reply that never ends", rawHost(&raw{
		banner: "220 endless.smtp.test ESMTP", actions: map[string]func(net.Conn){"EHLO": endless}})},
	{"longline.smtp.test", "127.0.0.43", "greets with a 4 MiB line", rawHost(&raw{banner: "220 ", pad: 4 << 20})},
	{"reset.smtp.test", "127.0.0.44", "resets the connection after the banner", rawHost(&raw{
		banner: "220 reset.smtp.test ESMTP", actions: map[string]func(net.Conn){"EHLO": reset}})},
	{"busy.smtp.test", "127.0.0.45", "greets with 421 and hangs up", rawHost(&raw{banner: "421 4.3.2 busy.smtp.test Service not available, closing transmission channel"})},
	{"tlsfail.smtp.test", "127.0.0.46", "accepts STARTTLS, then fails the handshake", rawHost(&raw{
		banner:  "220 tlsfail.smtp.test ESMTP",
		replies: map[string]string{"EHLO": "250-tlsfail.smtp.test\r\n250-PIPELINING\r\n250 STARTTLS"},
		actions: map[string]func(net.Conn){"STARTTLS": notTLS}})},
	{"notavail.smtp.test", "127.0.0.47", "answers STARTTLS with 454", rawHost(&raw{
		banner: "220 notavail.smtp.test ESMTP",
		replies: map[string]string{"EHLO": "250-notavail.smtp.test\r\n250-PIPELINING\r\n250 STARTTLS",
			"STARTTLS": "454 4.7.0 TLS not available due to local problem"}})},
	{"oldhelo.smtp.test", "127.0.0.48", "refuses EHLO, accepts HELO", rawHost(&raw{
		banner:  "220 oldhelo.smtp.test SMTP",
		replies: map[string]string{"EHLO": "502 5.5.2 Error: command not recognized", "HELO": "250 oldhelo.smtp.test"}})},
	{"closed.smtp.test", "127.0.0.49", "nothing listens: the connection is refused", nil},
	{"mx.dane-bad.test", "127.0.0.50", "presents a certificate that its (DNSSEC-signed) TLSA record does not match", good(nil)},
	{"mx.dane-pkix.test", "127.0.0.55", "DNSSEC-signed, with only a PKIX-EE (1 1 1) TLSA record, which SMTP senders do not use", good(nil)},
	{"mx.dane-only.test", "127.0.0.56", "a self-signed certificate that its one DANE-EE (3 1 1) record authenticates", withCert(LeafOptions{SelfSigned: true})},
	{"mx.dane-rollover.test", "127.0.0.57", "a certificate for another name, with DANE-EE records for the current and the next key", withCert(LeafOptions{Names: []string{"old-name.dane-rollover.test"}})},
	{"mx.dane-bogus.test", "127.0.0.58", "TLSA records whose DNSSEC signature does not verify: DANE senders defer", good(nil)},
	{"weakkey.smtp.test", "127.0.0.51", "a certificate with a 1024-bit RSA key", withCert(LeafOptions{RSABits: 1024})},
	{"sha1.smtp.test", "127.0.0.52", "a certificate signed with SHA-1", withCert(LeafOptions{SHA1: true})},
	{"nofs.smtp.test", "127.0.0.53", "negotiates static RSA key exchange: no forward secrecy", withTLS(LeafOptions{RSABits: 2048}, func(c *tls.Config) {
		c.MaxVersion = tls.VersionTLS12
		c.CipherSuites = []uint16{tls.TLS_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_RSA_WITH_AES_256_GCM_SHA384}
	})},
	{"oldciphers.smtp.test", "127.0.0.54", "prefers modern TLS, but also accepts 3DES, RC4 and TLS 1.0 (seen with --tls-scan)", withTLS(LeafOptions{RSABits: 2048}, func(c *tls.Config) {
		c.MinVersion = tls.VersionTLS10
		c.CipherSuites = []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
			tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA, tls.TLS_RSA_WITH_RC4_128_SHA, tls.TLS_ECDHE_RSA_WITH_RC4_128_SHA}
	})},
}

// Options tune a lab.
type Options struct {
	// Now is the lab's clock for certificates (default time.Now).
	Now func() time.Time
}

// Lab is a running lab.
type Lab struct {
	DNS *DNSServer
	CA  *CA
	// Port is the SMTP port of every lab host.
	Port int
	// TLSPort is the implicit-TLS (SMTPS, RFC 8314) port of mx1.good.test.
	TLSPort int
	// HTTPSPort is the port of the HTTPS host that serves MTA-STS policies.
	HTTPSPort int

	now      func() time.Time
	closers  []func() error
	backends map[string]*backend
}

// Start builds the lab: DNS from the embedded zone files plus the hosts'
// records, the CA, and every host's server.
func Start(opts Options) (_ *Lab, err error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	l := &Lab{now: opts.Now, backends: map[string]*backend{}}
	defer func() {
		if err != nil {
			l.Close()
		}
	}()
	if l.CA, err = NewCA(opts.Now); err != nil {
		return nil, err
	}
	zone, err := labZone()
	if err != nil {
		return nil, err
	}
	if l.DNS, err = StartDNS(zone); err != nil {
		return nil, err
	}
	l.closers = append(l.closers, l.DNS.Close)
	if err := l.startHosts(); err != nil {
		return nil, err
	}
	if err := l.startHTTPS(); err != nil {
		return nil, err
	}
	return l, nil
}

func labZone() (*Zone, error) {
	z := NewZone()
	files, err := fs.Glob(zoneFiles, "zones/*.zone")
	if err != nil {
		return nil, err
	}
	for _, name := range files {
		f, err := zoneFiles.Open(name)
		if err != nil {
			return nil, err
		}
		err = z.Parse(f, ".", name)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("lab: %w", err)
		}
	}
	for _, h := range Hosts {
		rev, err := mdns.ReverseAddr(h.IP)
		if err != nil {
			return nil, err
		}
		if err := z.AddString(h.Name+". 300 IN A "+h.IP, rev+" 300 IN PTR "+h.Name+"."); err != nil {
			return nil, err
		}
	}
	return z, nil
}

// startHosts finds a port free on every host's address and starts them all
// on it.
func (l *Lab) startHosts() error {
	for range 20 {
		listeners, port, err := listenAll()
		if errors.Is(err, errPortTaken) {
			continue
		}
		if err != nil {
			return err
		}
		l.Port = port
		for _, h := range Hosts {
			ls := listeners[h.Name]
			if h.start == nil {
				continue
			}
			if err := h.start(l, h, ls); err != nil {
				return fmt.Errorf("lab: starting %s: %w", h.Name, err)
			}
		}
		return l.startImplicitTLS()
	}
	return errors.New("lab: no port free on every lab address")
}

var errPortTaken = errors.New("port taken")

// listenAll listens on one port on every host's address (and on ::1 for
// mx1.good.test, which has an AAAA record).
func listenAll() (map[string][]net.Listener, int, error) {
	first, err := net.Listen("tcp", Hosts[0].IP+":0")
	if err != nil {
		return nil, 0, err
	}
	port := first.Addr().(*net.TCPAddr).Port
	out := map[string][]net.Listener{Hosts[0].Name: {first}}
	closeAll := func() {
		for _, ls := range out {
			for _, l := range ls {
				l.Close()
			}
		}
	}
	addrs := []struct{ host, ip string }{{"mx1.good.test", "::1"}}
	for _, h := range Hosts[1:] {
		if h.start != nil {
			addrs = append(addrs, struct{ host, ip string }{h.Name, h.IP})
		}
	}
	for _, a := range addrs {
		ln, err := net.Listen("tcp", net.JoinHostPort(a.ip, fmt.Sprint(port)))
		if err != nil {
			closeAll()
			return nil, 0, errPortTaken
		}
		out[a.host] = append(out[a.host], ln)
	}
	return out, port, nil
}

func (l *Lab) startImplicitTLS() error {
	ln, err := net.Listen("tcp", Hosts[0].IP+":0")
	if err != nil {
		return err
	}
	l.TLSPort = ln.Addr().(*net.TCPAddr).Port
	cert, err := l.CA.Leaf(LeafOptions{Names: []string{Hosts[0].Name}})
	if err != nil {
		ln.Close()
		return err
	}
	tl := tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}})
	return good(func(b *backend, s *smtp.Server) { s.TLSConfig = nil })(l, Hosts[0], []net.Listener{tl})
}

// good is a well-behaved go-smtp server, changed by tweak if given.
func good(tweak func(*backend, *smtp.Server)) func(*Lab, Host, []net.Listener) error {
	return func(l *Lab, h Host, ls []net.Listener) error {
		cert, err := l.CA.Leaf(LeafOptions{Names: []string{h.Name}})
		if err != nil {
			return err
		}
		return l.serveSMTP(h, ls, cert, tweak)
	}
}

// withCert is a well-behaved server presenting a certificate made by o.
func withCert(o LeafOptions) func(*Lab, Host, []net.Listener) error {
	return func(l *Lab, h Host, ls []net.Listener) error {
		if o.Names == nil {
			o.Names = []string{h.Name}
		}
		cert, err := l.CA.Leaf(o)
		if err != nil {
			return err
		}
		return l.serveSMTP(h, ls, cert, nil)
	}
}

// withTLS is a well-behaved server with a certificate made by o and its
// TLS configuration tuned.
func withTLS(o LeafOptions, tune func(*tls.Config)) func(*Lab, Host, []net.Listener) error {
	return func(l *Lab, h Host, ls []net.Listener) error {
		o.Names = []string{h.Name}
		cert, err := l.CA.Leaf(o)
		if err != nil {
			return err
		}
		return l.serveSMTP(h, ls, cert, func(b *backend, s *smtp.Server) { tune(s.TLSConfig) })
	}
}

// slow is a well-behaved server whose greeting comes after d.
func slow(d time.Duration) func(*Lab, Host, []net.Listener) error {
	return func(l *Lab, h Host, ls []net.Listener) error {
		for i := range ls {
			ls[i] = slowListener{ls[i], d}
		}
		return good(nil)(l, h, ls)
	}
}

func rawHost(r *raw) func(*Lab, Host, []net.Listener) error {
	return func(l *Lab, h Host, ls []net.Listener) error {
		for _, ln := range ls {
			go r.serve(ln)
			l.closers = append(l.closers, ln.Close)
		}
		return nil
	}
}

func (l *Lab) serveSMTP(h Host, ls []net.Listener, cert tls.Certificate, tweak func(*backend, *smtp.Server)) error {
	domain := h.Name[strings.Index(h.Name, ".")+1:]
	b := l.backends[h.Name] // one mail store per host, whatever the port
	if b == nil {
		b = &backend{domains: []string{domain}}
	}
	s := smtp.NewServer(b)
	s.Domain = h.Name
	s.ReadTimeout = time.Minute
	s.WriteTimeout = time.Minute
	s.MaxMessageBytes = 10 << 20
	s.MaxRecipients = 50
	s.ErrorLog = discardLogger{}
	s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	if tweak != nil {
		tweak(b, s)
	}
	l.backends[h.Name] = b
	if err := l.publishTLSA(h.Name, cert); err != nil {
		return err
	}
	for _, ln := range ls {
		go s.Serve(ln)
	}
	l.closers = append(l.closers, s.Close)
	return nil
}

// tlsaStyle is how a lab host's TLSA records relate to its certificate.
type tlsaStyle int

const (
	tlsaMatching tlsaStyle = iota // 3 1 1 of its key and 2 1 1 of the lab CA: rollover-ready (RFC 7671 §8)
	tlsaWrong                     // a 3 1 1 record of no key
	tlsaPKIX                      // 1 1 1 of its key: PKIX-EE, unusable for SMTP (RFC 7672 §3.1.3)
	tlsaSingle                    // one 3 1 1 record and nothing for the next key
	tlsaRollover                  // 3 1 1 of its key and of the next one
)

// tlsaHosts get TLSA records for their certificate.
var tlsaHosts = map[string]tlsaStyle{
	"mx1.good.test": tlsaMatching, "mx2.good.test": tlsaMatching, "mx.dane-bad.test": tlsaWrong,
	"mx.dane-pkix.test": tlsaPKIX, "mx.dane-only.test": tlsaSingle, "mx.dane-rollover.test": tlsaRollover,
	"mx.dane-bogus.test": tlsaMatching,
}

// publishTLSA publishes a host's TLSA records (RFC 7672) at port 25 and
// at the lab's port, where probes connect.
func (l *Lab) publishTLSA(host string, cert tls.Certificate) error {
	style, ok := tlsaHosts[host]
	if !ok {
		return nil
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		return err
	}
	own := dane.Record(leaf)
	var recs []dane.TLSA
	switch style {
	case tlsaMatching:
		ta := dane.Record(l.CA.Cert)
		ta.Usage = 2
		recs = []dane.TLSA{own, ta}
	case tlsaWrong:
		recs = []dane.TLSA{{Usage: 3, Selector: 1, MatchingType: 1, Data: strings.Repeat("00", 32)}}
	case tlsaPKIX:
		own.Usage = 1
		recs = []dane.TLSA{own}
	case tlsaSingle:
		recs = []dane.TLSA{own}
	case tlsaRollover:
		next, err := l.CA.Leaf(LeafOptions{Names: []string{host}})
		if err != nil {
			return err
		}
		nextLeaf, err := x509.ParseCertificate(next.Certificate[0])
		if err != nil {
			return err
		}
		recs = []dane.TLSA{own, dane.Record(nextLeaf)}
	}
	// A TLSA RRset a zone file makes bogus at port 25 is bogus at the
	// lab's port too, where probes look.
	l.DNS.Zone.mu.Lock()
	if l.DNS.Zone.bogus[behaveKey{dane.TLSAName(host, 25) + ".", mdns.TypeTLSA}] {
		l.DNS.Zone.bogus[behaveKey{dane.TLSAName(host, l.Port) + ".", mdns.TypeTLSA}] = true
	}
	l.DNS.Zone.mu.Unlock()
	for _, port := range []int{25, l.Port} {
		for _, rec := range recs {
			rr := fmt.Sprintf("%s. 300 IN TLSA %s", dane.TLSAName(host, port), rec)
			if err := l.DNS.Zone.AddString(rr); err != nil {
				return err
			}
		}
	}
	return nil
}

type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}
func (discardLogger) Println(...any)        {}

// Messages returns how many messages a well-behaved host accepted with DATA.
func (l *Lab) Messages(host string) int {
	b := l.backends[host]
	if b == nil {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.messages
}

// Resolver returns a DNS client that asks the lab.
func (l *Lab) Resolver(timeout time.Duration) (*dns.Client, error) {
	return dns.New(dns.Config{Servers: []string{l.DNS.Addr}, Timeout: timeout})
}

// Close stops every server.
func (l *Lab) Close() error {
	var errs []error
	for i := len(l.closers) - 1; i >= 0; i-- {
		if err := l.closers[i](); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	l.closers = nil
	return errors.Join(errs...)
}
