// Package probe walks an SMTP session step by step and reports what each
// step showed: connect, banner, EHLO (HELO as a fallback), STARTTLS
// (RFC 3207), EHLO again, AUTH (RFC 4954), MAIL, RCPT, RSET and QUIT
// (RFC 5321), with timings, a transcript and the TLS certificate analysed.
//
// It uses its own small client rather than go-smtp's, which hides the
// banner and the capabilities offered before STARTTLS. It is safe by
// default: no DATA unless asked, no AUTH over a plaintext channel unless
// asked, credentials redacted as the transcript is recorded, and every
// session ended with QUIT.
package probe

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/smtptool/smtptool/check/dane"
	"github.com/smtptool/smtptool/dns/validate"
	"github.com/smtptool/smtptool/explain"
	"github.com/smtptool/smtptool/report"
)

// StartTLS says whether to upgrade the connection.
type StartTLS string

// STARTTLS modes.
const (
	StartTLSAuto    StartTLS = "auto"    // when offered; its absence is a finding
	StartTLSRequire StartTLS = "require" // stop the session without it
	StartTLSNever   StartTLS = "never"   // stay in plaintext
)

// Steps, in the order of a session; QuitAfter names one.
const (
	StepConnect  = "connect"
	StepBanner   = "banner"
	StepEHLO     = "ehlo"
	StepHELO     = "helo"
	StepStartTLS = "starttls"
	StepTLS      = "tls"
	StepAuth     = "auth"
	StepMail     = "mail"
	StepRcpt     = "rcpt"
	StepData     = "data"
	StepRset     = "rset"
	StepQuit     = "quit"
)

// QuitAfterSteps are the values --quit-after takes.
var QuitAfterSteps = []string{StepConnect, StepBanner, StepEHLO, StepStartTLS, StepAuth, StepMail, StepRcpt}

// Options say how to walk the session.
type Options struct {
	Helo  string   // the EHLO/HELO name
	From  string   // MAIL FROM; empty sends the null reverse-path <>
	Rcpts []string // RCPT TO, each its own step
	// Mail sends MAIL FROM even without recipients.
	Mail bool
	// RelayRcpt, when set, is a recipient in a foreign domain: if the
	// server accepts it without AUTH, it is an open relay.
	RelayRcpt    string
	StartTLS     StartTLS
	ImplicitTLS  bool // TLS from the first byte (SMTPS, RFC 8314 §3.3)
	Auth         *Auth
	InsecureAuth bool   // allow AUTH without TLS
	QuitAfter    string // a step name, or "" for the whole walk
	// Data is a message to send with DATA, streamed from its reader (each
	// session reads it from the start); nil never sends one.
	Data *io.SectionReader
	// TLSScan adds, after a session that reached TLS, a few handshakes
	// that each offer only what a server should refuse (RC4, 3DES,
	// static RSA key exchange, TLS 1.0, TLS 1.1), to see what it accepts.
	TLSScan bool
	// offer restricts what one scan handshake offers.
	offer *offer

	Timeout    time.Duration // per step (default 10s)
	SlowBanner time.Duration // a slower greeting is a finding (default 5s)
	// RootCAs verify certificates; nil uses the system's roots.
	RootCAs *x509.CertPool
	// Validator, when set, validates the TLSA records' DNSSEC itself;
	// nil relies on the resolver's AD bit.
	Validator *validate.Validator
	Now       func() time.Time
	Dialer    interface {
		DialContext(ctx context.Context, network, address string) (net.Conn, error)
	}
}

func (o *Options) defaults() {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.SlowBanner <= 0 {
		o.SlowBanner = 5 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Dialer == nil {
		o.Dialer = &net.Dialer{}
	}
	if o.StartTLS == "" {
		o.StartTLS = StartTLSAuto
	}
	if o.Helo == "" {
		o.Helo = "localhost"
	}
}

// Server identifies what to probe.
type Server struct {
	// Name is the host name the certificate and banner should carry (the
	// MX name); empty for an address literal.
	Name string
	// Addr is the "ip:port" to connect to.
	Addr string
	// PTR names of the address, for comparing with the banner.
	PTR []string

	// dial is the outcome of a connection made before the walk (by Run's
	// staggered attempts): the connection, or why there is none.
	dial *dialOutcome
}

// dialOutcome is a connection attempt made before the walk.
type dialOutcome struct {
	conn     net.Conn
	err      error
	took     time.Duration
	overtook bool // no answer yet when another host answered: given up
}

// Result is one walked session.
type Result struct {
	Host       string     `json:"host,omitempty"`
	Address    string     `json:"address"`
	Steps      []Step     `json:"steps"`
	Banner     string     `json:"banner,omitempty"`
	EHLO       []string   `json:"ehlo,omitempty"`     // extensions before TLS
	EHLOTLS    []string   `json:"ehlo_tls,omitempty"` // extensions after TLS
	TLS        *TLSInfo   `json:"tls,omitempty"`
	DANE       *dane.Host `json:"dane,omitempty"`
	Transcript []Line     `json:"transcript"`
	// Connected is set when the TCP connection was made.
	Connected bool             `json:"connected"`
	Findings  []report.Finding `json:"-"`
}

// Step is one command and its reply.
type Step struct {
	Name       string  `json:"name"`
	Sent       string  `json:"sent,omitempty"` // redacted
	Reply      *Reply  `json:"reply,omitempty"`
	DurationMS float64 `json:"duration_ms"`
	Error      string  `json:"error,omitempty"`
}

// session is the state of one walk.
type session struct {
	opts     Options
	srv      Server
	res      *Result
	c        *conn
	tls      bool
	authed   bool
	mailSent bool
	extsNow  []string
	stopped  bool // the connection is unusable: no QUIT
	accepted int  // recipients accepted
}

// Walk probes one server.
func Walk(ctx context.Context, srv Server, opts Options) *Result {
	opts.defaults()
	s := &session{opts: opts, srv: srv, res: &Result{Host: strings.TrimSuffix(srv.Name, "."), Address: srv.Addr}}
	s.walk(ctx)
	if s.c != nil {
		s.res.Transcript = s.c.transcript
		s.c.nc.Close()
	}
	if opts.TLSScan && s.res.TLS != nil {
		s.res.TLS.Scan = scanTLS(ctx, srv, opts)
		s.add(scanFindings(s.res.TLS)...)
	}
	if s.res.Transcript == nil {
		s.res.Transcript = []Line{}
	}
	return s.res
}

func (s *session) add(f ...report.Finding) { s.res.Findings = append(s.res.Findings, f...) }

func (s *session) walk(ctx context.Context) {
	if !s.connect(ctx) {
		return
	}
	// A cancelled context ends any step at once.
	stop := context.AfterFunc(ctx, func() { s.c.nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	if s.opts.QuitAfter == StepConnect {
		s.c.record("*", "closing after connect (--quit-after connect)")
		return
	}
	if s.opts.ImplicitTLS && !s.handshake(StepTLS) {
		return
	}
	defer s.quit()
	if !s.banner() {
		return
	}
	if s.opts.QuitAfter == StepBanner || !s.ehlo(false) || s.opts.QuitAfter == StepEHLO {
		return
	}
	if !s.tls && !s.startTLS() || s.opts.QuitAfter == StepStartTLS {
		return
	}
	if !s.auth() || s.opts.QuitAfter == StepAuth {
		return
	}
	if len(s.opts.Rcpts) == 0 && !s.opts.Mail && s.opts.RelayRcpt == "" && s.opts.Data == nil {
		return
	}
	if !s.mail() || s.opts.QuitAfter == StepMail {
		return
	}
	s.rcpts()
	if s.opts.QuitAfter == StepRcpt || s.opts.Data == nil || s.accepted == 0 {
		return
	}
	s.data()
}

func (s *session) connect(ctx context.Context) bool {
	start := time.Now()
	var nc net.Conn
	var err error
	if d := s.srv.dial; d != nil {
		nc, err, start = d.conn, d.err, start.Add(-d.took)
	} else {
		dctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
		nc, err = s.opts.Dialer.DialContext(dctx, "tcp", s.srv.Addr)
		cancel()
	}
	step := Step{Name: StepConnect, Sent: s.srv.Addr, DurationMS: msSince(start)}
	if d := s.srv.dial; d != nil && d.overtook {
		step.Error = fmt.Sprintf("no answer after %s, when the next MX host had answered: given up", d.took.Round(time.Millisecond))
		s.res.Steps = append(s.res.Steps, step)
		s.add(report.Finding{
			ID: "smtp.timeout", Severity: report.Error,
			Message: fmt.Sprintf("no answer from %s within %s at the connect step, while a less preferred MX host answered: senders wait for it and then move on", s.srv.Addr, d.took.Round(time.Millisecond)),
			Fix:     "check that the server is up and that no firewall silently drops the traffic (or remove its MX record)",
			Ref:     "RFC 5321 §5.1",
		})
		return false
	}
	if err != nil {
		step.Error = err.Error()
		s.res.Steps = append(s.res.Steps, step)
		if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
			s.add(timeoutFinding(StepConnect, s.srv.Addr, s.opts.Timeout))
		} else {
			s.add(report.Finding{
				ID: "smtp.connect-failed", Severity: report.Error,
				Message: fmt.Sprintf("could not connect to %s: %v", s.srv.Addr, unwrapOp(err)),
				Fix:     "check that the mail server runs and listens on this address and port, and that no firewall blocks it (many networks block outbound port 25)",
				Ref:     "RFC 5321 §3.1",
			})
		}
		return false
	}
	s.res.Connected = true
	s.res.Steps = append(s.res.Steps, step)
	s.c = newConn(nc, s.opts.Timeout, start)
	s.c.record("*", "connected to "+nc.RemoteAddr().String())
	return true
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// unwrapOp drops the "dial tcp 1.2.3.4:25:" prefix that repeats the address.
func unwrapOp(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}

// exchange runs one step: send line (unless empty), read the reply.
func (s *session) exchange(name, line, shown string) (*Reply, bool) {
	start := time.Now()
	step := Step{Name: name, Sent: shown}
	var err error
	if line != "" {
		err = s.c.send(line, shown)
	}
	var r *Reply
	if err == nil {
		r, err = s.c.readReply()
	}
	step.Reply, step.DurationMS = r, msSince(start)
	if err != nil {
		step.Error = err.Error()
		s.stopped = true
		s.add(s.failure(name, err))
	}
	s.res.Steps = append(s.res.Steps, step)
	return r, err == nil
}

// failure names what went wrong in a step.
func (s *session) failure(step string, err error) report.Finding {
	switch {
	case errors.Is(err, ErrTimeout):
		return timeoutFinding(step, s.srv.Addr, s.opts.Timeout)
	case errors.Is(err, ErrProtocol):
		return report.Finding{
			ID: "smtp.protocol-violation", Severity: report.Error,
			Message: fmt.Sprintf("at the %s step: %v", step, err),
			Fix:     "the server (or something between, such as a firewall's SMTP inspection) does not speak SMTP correctly; check what listens on this port",
			Ref:     "RFC 5321 §4.2, §4.5.3",
		}
	case errors.Is(err, ErrConnectionLost):
		return report.Finding{
			ID: "smtp.connection-lost", Severity: report.Error,
			Message: fmt.Sprintf("at the %s step: %v", step, err),
			Fix:     "the server dropped the session without a reply: check its logs (crashes, connection limits, tarpitting, or a firewall resetting the connection)",
			Ref:     "RFC 5321 §3.8",
		}
	}
	return report.Finding{
		ID: "smtp.connection-lost", Severity: report.Error,
		Message: fmt.Sprintf("at the %s step: %v", step, err),
		Fix:     "check the server's logs", Ref: "RFC 5321 §3.8",
	}
}

func timeoutFinding(step, addr string, timeout time.Duration) report.Finding {
	return report.Finding{
		ID: "smtp.timeout", Severity: report.Error,
		Message: fmt.Sprintf("no reply from %s within %s at the %s step", addr, timeout, step),
		Fix:     "check that the server is up and not overloaded, and that no firewall silently drops the traffic; --timeout sets how long to wait",
		Ref:     "RFC 5321 §4.5.3.2",
	}
}

// rejected builds the finding for a negative reply, explained.
func rejected(id string, what string, r *Reply) report.Finding {
	e := explain.Reply(r.Code, r.Enhanced)
	reason := explain.Classify(r.Code, r.Enhanced, r.Text())
	fix := e.Action
	if rc, ok := explain.RecognizeReceiver(r.String()); ok {
		// The receiver's own words say more than the codes.
		reason, fix = rc.Reason, rc.Name+": "+rc.Fix
	}
	return report.Finding{
		ID: id, Severity: report.Error,
		Message: fmt.Sprintf("%s: %q; %s; reason: %s", what, r.String(), e.Sentence(), reason),
		Fix:     fix,
		Ref:     e.Ref,
	}
}

func (s *session) banner() bool {
	start := time.Now()
	r, ok := s.exchange(StepBanner, "", "")
	if !ok {
		return false
	}
	s.res.Banner = strings.Join(r.Lines, " ")
	if took := time.Since(start); took > s.opts.SlowBanner {
		s.add(report.Finding{
			ID: "smtp.banner-slow", Severity: report.Warning,
			Message: fmt.Sprintf("the greeting took %s (more than %s): senders may give up or throttle", took.Round(10*time.Millisecond), s.opts.SlowBanner),
			Fix:     "check for slow reverse-DNS or DNSBL lookups at connect time, or a deliberate greet pause (Postfix postscreen_greet_wait)",
			Ref:     "RFC 5321 §4.5.3.2.1",
		})
	}
	if r.Code != 220 {
		// RFC 5321 §3.1: 554 (or 421) instead of 220 refuses the session.
		s.add(rejected("smtp.banner-rejected", "the server refused the session at the greeting", r))
		if r.Code == 421 {
			s.stopped = true // the server closes after 421 (RFC 5321 §3.8)
		}
		return false
	}
	return true
}

// ehlo sends EHLO, falling back to HELO (RFC 5321 §4.1.4). afterTLS marks
// the EHLO required after STARTTLS (RFC 3207 §4.2).
func (s *session) ehlo(afterTLS bool) bool {
	r, ok := s.exchange(StepEHLO, "EHLO "+s.opts.Helo, "EHLO "+s.opts.Helo)
	if !ok {
		return false
	}
	if r.Code != 250 {
		s.add(rejected("smtp.ehlo-rejected", "EHLO was refused", r))
		r, ok = s.exchange(StepHELO, "HELO "+s.opts.Helo, "HELO "+s.opts.Helo)
		if !ok || r.Code != 250 {
			if ok {
				s.add(rejected("smtp.ehlo-rejected", "HELO was refused too", r))
			}
			return false
		}
		s.extsNow = nil
		return true
	}
	s.extsNow = r.Lines[1:]
	if afterTLS {
		s.res.EHLOTLS = s.extsNow
		return true
	}
	s.res.EHLO = s.extsNow
	s.checkBannerHost()
	if !s.tls && s.ext("AUTH") != "" {
		s.add(report.Finding{
			ID: "smtp.auth-before-tls", Severity: report.Warning,
			Message: fmt.Sprintf("AUTH (%s) is offered on an unencrypted connection: clients may send passwords in the clear", s.ext("AUTH")),
			Fix:     "offer AUTH only after STARTTLS (Postfix: smtpd_tls_auth_only = yes)",
			Ref:     "RFC 4954 §4, RFC 8314 §3",
		})
	}
	return true
}

// ext returns the parameters of an EHLO extension, "" when not offered.
func (s *session) ext(name string) string {
	for _, e := range s.extsNow {
		kw, params, _ := strings.Cut(e, " ")
		if strings.EqualFold(kw, name) {
			if params == "" {
				return kw
			}
			return params
		}
	}
	return ""
}

// checkBannerHost compares the host the greeting names with the MX name
// and the PTR names (RFC 5321 §4.3.1: the greeting starts with the
// server's own name).
func (s *session) checkBannerHost() {
	host := strings.ToLower(strings.TrimSuffix(strings.Fields(s.res.Banner + " ")[0], "."))
	if host == "" || !strings.Contains(host, ".") || s.srv.Name == "" && len(s.srv.PTR) == 0 {
		return
	}
	known := []string{strings.ToLower(strings.TrimSuffix(s.srv.Name, "."))}
	for _, p := range s.srv.PTR {
		known = append(known, strings.ToLower(strings.TrimSuffix(p, ".")))
	}
	if slices.Contains(known, host) {
		return
	}
	s.add(report.Finding{
		ID: "smtp.banner-host-mismatch", Severity: report.Info,
		Message: fmt.Sprintf("the greeting names %s, but the host is known as %s", host, strings.Join(slices.Compact(known), ", ")),
		Fix:     "set the server's host name (Postfix: myhostname) to the name in the MX and PTR records",
		Ref:     "RFC 5321 §4.3.1",
	})
}

func (s *session) startTLS() bool {
	offered := s.ext("STARTTLS") != ""
	if s.opts.StartTLS == StartTLSNever {
		return true
	}
	if !offered {
		s.add(report.Finding{
			ID: "smtp.starttls-missing", Severity: report.Error,
			Message: "STARTTLS is not offered: mail to this server travels unencrypted",
			Fix:     "configure a certificate and enable STARTTLS (Postfix: smtpd_tls_security_level = may)",
			Ref:     "RFC 3207 §4, RFC 8461 §5",
		})
		return s.opts.StartTLS != StartTLSRequire
	}
	r, ok := s.exchange(StepStartTLS, "STARTTLS", "STARTTLS")
	if !ok {
		return false
	}
	if r.Code != 220 {
		s.add(rejected("smtp.starttls-failed", "STARTTLS was refused", r))
		return s.opts.StartTLS != StartTLSRequire
	}
	return s.handshake(StepTLS) && s.ehlo(true)
}

// handshake upgrades the connection and analyses the certificate.
func (s *session) handshake(step string) bool {
	start := time.Now()
	name := strings.TrimSuffix(s.srv.Name, ".")
	tc := tls.Client(s.c.nc, tlsConfig(name, s.opts.offer))
	tc.SetDeadline(time.Now().Add(s.opts.Timeout))
	err := tc.Handshake()
	st := Step{Name: step, DurationMS: msSince(start)}
	if err != nil {
		st.Error = err.Error()
		s.res.Steps = append(s.res.Steps, st)
		s.stopped = true
		s.c.record("*", "TLS handshake failed: "+err.Error())
		s.add(report.Finding{
			ID: "smtp.starttls-failed", Severity: report.Error,
			Message: fmt.Sprintf("the TLS handshake failed: %v", classify(err)),
			Fix:     "check the server's TLS configuration: certificate and key files, protocol versions and ciphers (openssl s_client -starttls smtp shows the server's side)",
			Ref:     "RFC 3207 §4.1",
		})
		return false
	}
	cs := tc.ConnectionState()
	s.tls = true
	s.c.nc = tc
	s.c.br.Reset(tc)
	info, findings := analyseTLS(cs, name, s.opts.RootCAs, s.opts.Now())
	s.res.TLS = info
	s.add(findings...)
	st.Sent = fmt.Sprintf("%s %s", info.Version, info.Cipher)
	s.res.Steps = append(s.res.Steps, st)
	s.c.record("*", fmt.Sprintf("TLS established: %s, %s", info.Version, info.Cipher))
	return true
}

func (s *session) auth() bool {
	a := s.opts.Auth
	if a == nil {
		return true
	}
	if !s.tls && !s.opts.InsecureAuth {
		s.add(report.Finding{
			ID: "smtp.auth-skipped", Severity: report.Warning,
			Message: "AUTH was not attempted: the connection is not encrypted, and a password would travel in the clear",
			Fix:     "use STARTTLS or --tls; pass --insecure-auth only for a test server on a trusted network",
			Ref:     "RFC 4954 §4",
		})
		return true
	}
	offered := strings.Fields(strings.ToUpper(s.ext("AUTH")))
	if len(offered) == 0 {
		s.add(report.Finding{
			ID: "smtp.auth-failed", Severity: report.Error,
			Message: "the server does not offer AUTH on this connection",
			Fix:     "authenticate on the submission port (587 with STARTTLS, or 465 with --tls); port 25 usually takes no AUTH",
			Ref:     "RFC 4954 §3, RFC 6409 §3.1, RFC 8314 §3.3",
		})
		return false
	}
	mech, err := chooseMech(a, offered, s.tls)
	if err != nil {
		s.add(report.Finding{ID: "smtp.auth-failed", Severity: report.Error, Message: err.Error(),
			Fix: "choose a mechanism the server offers with --auth-mech", Ref: "RFC 4954 §4"})
		return false
	}
	client := saslClient(a, mech)
	_, ir, _ := client.Start()
	s.c.secret(a.Password, base64.StdEncoding.EncodeToString([]byte(a.Password)))
	line, shown := "AUTH "+mech, "AUTH "+mech
	if ir != nil {
		s.c.secret(encode(ir), string(ir))
		line += " " + encode(ir)
		shown += " " + redacted
	}
	r, ok := s.exchange(StepAuth, line, shown)
	// RFC 4954 §4: 334 carries a base64 challenge; answer until done.
	for n := 0; ok && r.Code == 334 && n < 10; n++ {
		challenge, err := base64.StdEncoding.DecodeString(strings.TrimSpace(r.Text()))
		if err != nil {
			r, ok = s.exchange(StepAuth, "*", "*") // cancel (RFC 4954 §4)
			break
		}
		resp, err := client.Next(challenge)
		if err != nil {
			r, ok = s.exchange(StepAuth, "*", "*")
			break
		}
		s.c.secret(encode(resp))
		r, ok = s.exchange(StepAuth, encode(resp), redacted)
	}
	if !ok {
		return false
	}
	if r.Code != 235 {
		s.add(rejected("smtp.auth-failed", fmt.Sprintf("authentication as %s with %s was refused", a.User, mech), r))
		return false
	}
	s.authed = true
	return true
}

// redacted stands in the transcript for anything that carries a credential.
const redacted = "********"

func encode(b []byte) string {
	if len(b) == 0 {
		return "=" // RFC 4954 §4: an empty initial response
	}
	return base64.StdEncoding.EncodeToString(b)
}

func (s *session) mail() bool {
	cmd := "MAIL FROM:<" + s.opts.From + ">"
	r, ok := s.exchange(StepMail, cmd, cmd)
	if !ok {
		return false
	}
	s.mailSent = true
	if r.Code != 250 {
		s.add(rejected("smtp.mail-rejected", fmt.Sprintf("MAIL FROM:<%s> was refused", s.opts.From), r))
		return false
	}
	return true
}

func (s *session) rcpts() {
	for _, to := range s.opts.Rcpts {
		cmd := "RCPT TO:<" + to + ">"
		r, ok := s.exchange(StepRcpt, cmd, cmd)
		if !ok {
			return
		}
		if r.Code == 250 || r.Code == 251 {
			s.accepted++
			continue
		}
		s.add(rejected("smtp.rcpt-rejected", fmt.Sprintf("RCPT TO:<%s> was refused", to), r))
	}
	if s.opts.RelayRcpt == "" {
		return
	}
	cmd := "RCPT TO:<" + s.opts.RelayRcpt + ">"
	r, ok := s.exchange(StepRcpt, cmd, cmd)
	if ok && (r.Code == 250 || r.Code == 251) && !s.authed {
		// RFC 5321 §3.6.2 and RFC 2505 §2.3: relaying for strangers is abuse.
		s.add(report.Finding{
			ID: "smtp.open-relay", Severity: report.Error,
			Message: fmt.Sprintf("the server accepted a recipient in a foreign domain (%s) without authentication: it relays for anyone", s.opts.RelayRcpt),
			Fix:     "accept mail only for your own domains and relay only for authenticated or trusted clients (Postfix: smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination)",
			Ref:     "RFC 5321 §3.6.2, RFC 2505 §2.3",
		})
	}
}

func (s *session) data() {
	r, ok := s.exchange(StepData, "DATA", "DATA")
	if !ok || r.Code != 354 {
		if ok {
			s.add(rejected("smtp.data-rejected", "DATA was refused", r))
		}
		return
	}
	start := time.Now()
	msg := io.NewSectionReader(s.opts.Data, 0, s.opts.Data.Size())
	s.c.record("C", fmt.Sprintf("(message, %d bytes)", msg.Size()))
	w := bufio.NewWriterSize(deadlineWriter{s.c.nc, s.opts.Timeout}, 32<<10)
	err := writeDotStuffed(w, msg)
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		s.stopped = true
		s.add(s.failure(StepData, classify(err)))
		return
	}
	s.c.record("C", ".")
	r, err = s.c.readReply()
	step := Step{Name: StepData, Sent: "(message)", Reply: r, DurationMS: msSince(start)}
	if err != nil {
		step.Error = err.Error()
		s.stopped = true
		s.add(s.failure(StepData, err))
	} else if r.Code != 250 {
		s.add(rejected("smtp.data-rejected", "the message was refused", r))
	}
	s.res.Steps = append(s.res.Steps, step)
}

// deadlineWriter gives every write to the connection its own deadline, so
// a large message has the timeout per chunk, not for the whole transfer.
type deadlineWriter struct {
	c       net.Conn
	timeout time.Duration
}

func (d deadlineWriter) Write(b []byte) (int, error) {
	d.c.SetWriteDeadline(time.Now().Add(d.timeout))
	return d.c.Write(b)
}

// writeDotStuffed streams a message as DATA's content (RFC 5321 §4.5.2):
// every line ending (CRLF, LF or a lone CR) becomes CRLF, a line starting
// with "." gets another, and the end is CRLF "." CRLF. Memory stays at the
// buffers' size whatever the message's.
func writeDotStuffed(w *bufio.Writer, r io.Reader) error {
	buf := make([]byte, 32<<10)
	lineStart, prevCR, empty := true, false, true
	for {
		n, err := r.Read(buf)
		for _, c := range buf[:n] {
			empty = false
			if prevCR {
				prevCR = false
				if c == '\n' {
					continue // the LF of a CRLF already written
				}
			}
			switch c {
			case '\r', '\n':
				w.WriteString("\r\n")
				lineStart, prevCR = true, c == '\r'
				continue
			case '.':
				if lineStart {
					w.WriteByte('.')
				}
			}
			w.WriteByte(c)
			lineStart = false
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	if !lineStart && !empty {
		w.WriteString("\r\n")
	}
	_, err := w.WriteString(".\r\n")
	return err
}

// quit ends the session politely: RSET if a transaction was started, then
// QUIT (RFC 5321 §4.1.1.5, §4.1.1.10). A failure here is not a finding.
func (s *session) quit() {
	if s.stopped {
		return
	}
	findings := len(s.res.Findings)
	if s.mailSent {
		if _, ok := s.exchange(StepRset, "RSET", "RSET"); !ok {
			s.res.Findings = s.res.Findings[:findings]
			return
		}
	}
	s.exchange(StepQuit, "QUIT", "QUIT")
	s.res.Findings = s.res.Findings[:findings]
}
