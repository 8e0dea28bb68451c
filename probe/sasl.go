package probe

import (
	"crypto/hmac"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/emersion/go-sasl"
)

// Auth is what the probe authenticates with. The password comes from the
// environment, a file or a prompt, never from a flag.
type Auth struct {
	User     string
	Password string
	// Mech forces a mechanism; empty picks the best one offered.
	Mech string
}

// Mechanisms the probe can use, best first when the channel is encrypted.
// Without TLS (only with --insecure-auth), CRAM-MD5 comes first because it
// does not send the password itself (RFC 2195).
var (
	mechsTLS   = []string{"PLAIN", "LOGIN", "CRAM-MD5"}
	mechsPlain = []string{"CRAM-MD5", "PLAIN", "LOGIN"}
)

// Mechanisms are the SASL mechanisms the probe can use.
var Mechanisms = []string{"PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2"}

// chooseMech picks the mechanism to use from those the server offers.
func chooseMech(a *Auth, offered []string, encrypted bool) (string, error) {
	if a.Mech != "" {
		m := strings.ToUpper(a.Mech)
		if !slices.Contains(Mechanisms, m) {
			return "", fmt.Errorf("unsupported mechanism %s (use PLAIN, LOGIN, CRAM-MD5 or XOAUTH2)", m)
		}
		return m, nil
	}
	prefs := mechsTLS
	if !encrypted {
		prefs = mechsPlain
	}
	for _, m := range prefs {
		if slices.Contains(offered, m) {
			return m, nil
		}
	}
	return "", fmt.Errorf("the server offers none of the mechanisms the probe supports (%s): offered %s",
		strings.Join(prefs, ", "), strings.Join(offered, " "))
}

func saslClient(a *Auth, mech string) sasl.Client {
	switch mech {
	case "PLAIN":
		return sasl.NewPlainClient("", a.User, a.Password)
	case "LOGIN":
		return sasl.NewLoginClient(a.User, a.Password)
	case "CRAM-MD5":
		return &cramMD5{a.User, a.Password}
	default:
		return &xoauth2{a.User, a.Password}
	}
}

// cramMD5 is the CRAM-MD5 client (RFC 2195): it answers the server's
// challenge with the user name and HMAC-MD5(password, challenge) in hex.
type cramMD5 struct{ user, password string }

func (c *cramMD5) Start() (string, []byte, error) { return "CRAM-MD5", nil, nil }

func (c *cramMD5) Next(challenge []byte) ([]byte, error) {
	mac := hmac.New(md5.New, []byte(c.password))
	mac.Write(challenge)
	return []byte(c.user + " " + hex.EncodeToString(mac.Sum(nil))), nil
}

// xoauth2 is Google's and Microsoft's XOAUTH2 mechanism: the password is an
// OAuth2 access token. On failure the server sends a JSON challenge, which
// is answered with an empty response so that it sends the final error.
type xoauth2 struct{ user, token string }

func (x *xoauth2) Start() (string, []byte, error) {
	return "XOAUTH2", []byte("user=" + x.user + "\x01auth=Bearer " + x.token + "\x01\x01"), nil
}

func (x *xoauth2) Next([]byte) ([]byte, error) { return []byte{}, nil }
