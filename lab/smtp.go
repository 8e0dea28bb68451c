package lab

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Users are the mailboxes of the lab's well-behaved servers, with their
// passwords.
var Users = map[string]string{"alice": "wonderland-secret", "postmaster": "postmaster-secret"}

// backend is a well-behaved mail server built on go-smtp: it delivers to
// Users at its own domains, rejects unknown users, refuses to relay for
// unauthenticated clients (unless openRelay) and refuses the sender
// blocked@... as a policy rejection.
type backend struct {
	domains   []string
	openRelay bool

	mu       sync.Mutex
	messages int // messages accepted with DATA
}

func (b *backend) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{b: b}, nil }

type session struct {
	b      *backend
	authed bool
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain, sasl.Login, "CRAM-MD5"} }

func (s *session) Auth(mech string) (sasl.Server, error) {
	check := func(user, pass string) error {
		if want, ok := Users[user]; ok && hmac.Equal([]byte(want), []byte(pass)) {
			s.authed = true
			return nil
		}
		return smtp.ErrAuthFailed
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(_, user, pass string) error { return check(user, pass) }), nil
	case sasl.Login:
		return &loginServer{check: check}, nil
	case "CRAM-MD5":
		return &cramServer{verify: func(user string, digest []byte, challenge []byte) error {
			mac := hmac.New(md5.New, []byte(Users[user]))
			mac.Write(challenge)
			if _, ok := Users[user]; ok && hmac.Equal(mac.Sum(nil), digest) {
				s.authed = true
				return nil
			}
			return smtp.ErrAuthFailed
		}}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if strings.HasPrefix(from, "blocked@") {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "<" + from + ">: Sender address rejected: Access denied"}
	}
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	user, domain, _ := strings.Cut(strings.ToLower(to), "@")
	if slices.Contains(s.b.domains, domain) {
		if _, ok := Users[user]; !ok {
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "<" + to + ">: Recipient address rejected: User unknown in local recipient table"}
		}
		return nil
	}
	if !s.authed && !s.b.openRelay {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "<" + to + ">: Relay access denied"}
	}
	return nil
}

func (s *session) Data(r io.Reader) error {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	s.b.mu.Lock()
	s.b.messages++
	s.b.mu.Unlock()
	return nil
}

func (s *session) Reset()        {}
func (s *session) Logout() error { return nil }

// loginServer is the server side of the LOGIN mechanism
// (draft-murchison-sasl-login): "Username:", then "Password:".
type loginServer struct {
	check func(user, pass string) error
	user  *string
}

func (l *loginServer) Next(resp []byte) ([]byte, bool, error) {
	switch {
	case resp == nil && l.user == nil:
		return []byte("Username:"), false, nil
	case l.user == nil:
		u := string(resp)
		l.user = &u
		return []byte("Password:"), false, nil
	default:
		return nil, true, l.check(*l.user, string(resp))
	}
}

// cramServer is the server side of CRAM-MD5 (RFC 2195): a challenge, then
// "user hex(HMAC-MD5(password, challenge))".
type cramServer struct {
	verify    func(user string, digest, challenge []byte) error
	challenge []byte
}

func (c *cramServer) Next(resp []byte) ([]byte, bool, error) {
	if c.challenge == nil {
		c.challenge = fmt.Appendf(nil, "<%s.%d@lab.test>", rand.Text()[:12], time.Now().UnixNano())
		return c.challenge, false, nil
	}
	user, digest, ok := strings.Cut(string(resp), " ")
	raw, err := hex.DecodeString(digest)
	if !ok || err != nil {
		return nil, true, errors.New("malformed CRAM-MD5 response")
	}
	return nil, true, c.verify(user, raw, c.challenge)
}
