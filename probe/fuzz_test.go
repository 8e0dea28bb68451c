package probe

import (
	"bytes"
	"net"
	"strings"
	"testing"
	"time"
)

// pipeConn serves fixed bytes as a connection's input.
type pipeConn struct {
	net.Conn
	r *bytes.Reader
}

func (p pipeConn) Read(b []byte) (int, error)       { return p.r.Read(b) }
func (p pipeConn) SetReadDeadline(time.Time) error  { return nil }
func (p pipeConn) SetWriteDeadline(time.Time) error { return nil }

// FuzzReadReply feeds arbitrary server output to the reply reader: it must
// return a well-formed reply or an error, within its limits, never panic.
func FuzzReadReply(f *testing.F) {
	for _, seed := range []string{
		"220 mx.example.com ESMTP\r\n",
		"250-mx.example.com\r\n250-PIPELINING\r\n250 STARTTLS\r\n",
		"550-5.1.1 The email account\r\n550 5.1.1 does not exist\r\n",
		"250\r\n", "2\r\n", "250-a\r\n251 b\r\n", "999 x\r\n", "250x\r\n", "220 ok\n", "",
		// Terminal control and NUL from a hostile server; an echoed secret.
		"220 mx\x1b]0;owned\x07\x1b[2J\r\n", "250-a\x00b\r\n250 c\x9b\r\n", "535 5.7.8 you sent: c2VjcmV0LXB3\r\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		c := newConn(pipeConn{r: bytes.NewReader(in)}, time.Second, time.Now())
		c.secret("secret-pw", "c2VjcmV0LXB3")
		r, err := c.readReply()
		if err != nil {
			return
		}
		if r.Code < 200 || r.Code > 559 || len(r.Lines) == 0 || len(r.Lines) > MaxReplyLines {
			t.Fatalf("bad reply accepted: %+v", r)
		}
		for _, l := range r.Lines {
			if len(l) > MaxReplyLine {
				t.Fatalf("line over the limit accepted: %d bytes", len(l))
			}
			if strings.Contains(l, "secret-pw") || strings.Contains(l, "c2VjcmV0LXB3") {
				t.Fatalf("a registered secret was not redacted: %q", l)
			}
		}
	})
}
