package probe

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/smtptool/smtptool/explain"
)

// Limits on what a server may send, so a hostile one cannot exhaust
// memory: RFC 5321 §4.5.3.1.5 caps a reply line at 512 octets including
// CRLF; no standard caps the number of lines, so we allow a few hundred.
const (
	MaxReplyLine  = 512
	MaxReplyLines = 200
)

// Errors a step can end in.
var (
	ErrTimeout        = errors.New("no reply within the timeout")
	ErrConnectionLost = errors.New("the server closed or reset the connection")
	ErrProtocol       = errors.New("protocol violation")
	// ErrUnsafeLine is a command line holding CR, LF or NUL: sent, it would
	// end the command and start another (RFC 5321 §2.3.8).
	ErrUnsafeLine = errors.New("refusing to send a command line with CR, LF or NUL")
)

// Reply is one SMTP reply: a code and its lines (RFC 5321 §4.2).
type Reply struct {
	Code     int      `json:"code"`
	Enhanced string   `json:"enhanced,omitempty"`
	Lines    []string `json:"lines"`
}

// Text returns the reply's lines joined by spaces, enhanced code removed
// from the first.
func (r *Reply) Text() string {
	if r == nil {
		return ""
	}
	lines := append([]string(nil), r.Lines...)
	if r.Enhanced != "" && len(lines) > 0 {
		lines[0] = strings.TrimSpace(strings.TrimPrefix(lines[0], r.Enhanced))
	}
	return strings.Join(lines, " ")
}

// String writes the reply as the server sent it, on one line.
func (r *Reply) String() string {
	if r == nil {
		return ""
	}
	return strings.TrimSpace(fmt.Sprintf("%d %s", r.Code, strings.Join(r.Lines, " / ")))
}

// Positive reports a 2yz or 3yz reply.
func (r *Reply) Positive() bool { return r != nil && r.Code >= 200 && r.Code < 400 }

// Line is one line of the transcript.
type Line struct {
	// AtMS is the time since the connection started, in milliseconds.
	AtMS float64 `json:"at_ms"`
	// Dir is "C" (client), "S" (server) or "*" (what happened, e.g. TLS).
	Dir  string `json:"dir"`
	Text string `json:"text"`
}

// conn is the probe's side of one SMTP connection.
type conn struct {
	nc         net.Conn
	br         *bufio.Reader
	timeout    time.Duration
	start      time.Time
	transcript []Line
	// secrets are the credentials this session sent, in every form; a
	// server that echoes one gets it redacted before anything records it.
	secrets []string
}

func newConn(nc net.Conn, timeout time.Duration, start time.Time) *conn {
	return &conn{nc: nc, br: bufio.NewReaderSize(nc, 2*MaxReplyLine), timeout: timeout, start: start}
}

// minSecret is the shortest secret redacted from replies: shorter ones
// would blot out ordinary words (a 4-octet base64 form always qualifies).
const minSecret = 4

// secret registers a credential the session sends (a password, its base64
// forms) to be redacted from everything the server says.
func (c *conn) secret(forms ...string) {
	for _, f := range forms {
		if len(f) >= minSecret {
			c.secrets = append(c.secrets, f, strings.TrimRight(f, "="))
		}
	}
}

// redact replaces every registered secret in a server's line.
func (c *conn) redact(line string) string {
	for _, s := range c.secrets {
		if s != "" {
			line = strings.ReplaceAll(line, s, redacted)
		}
	}
	return line
}

func (c *conn) record(dir, text string) {
	c.transcript = append(c.transcript, Line{AtMS: msSince(c.start), Dir: dir, Text: text})
}

func msSince(t time.Time) float64 {
	return float64(time.Since(t).Microseconds()) / 1000
}

// send writes one command line; shown is what the transcript records
// (a redacted form for credentials).
func (c *conn) send(line, shown string) error {
	if strings.ContainsAny(line, "\r\n\x00") {
		return ErrUnsafeLine
	}
	c.record("C", shown)
	c.nc.SetWriteDeadline(time.Now().Add(c.timeout))
	_, err := io.WriteString(c.nc, line+"\r\n")
	return classify(err)
}

// readReply reads one possibly multi-line reply within the timeout.
func (c *conn) readReply() (*Reply, error) {
	c.nc.SetReadDeadline(time.Now().Add(c.timeout))
	r := &Reply{}
	for n := 0; ; n++ {
		if n == MaxReplyLines {
			return nil, fmt.Errorf("%w: a reply of more than %d lines", ErrProtocol, MaxReplyLines)
		}
		raw, err := c.br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) || len(raw) > MaxReplyLine {
			return nil, fmt.Errorf("%w: a reply line longer than %d bytes (RFC 5321 §4.5.3.1.5)", ErrProtocol, MaxReplyLine)
		}
		if err != nil {
			if len(raw) > 0 && errors.Is(err, io.EOF) {
				err = fmt.Errorf("%w: the connection closed in the middle of a line", ErrConnectionLost)
			}
			return nil, classify(err)
		}
		line := c.redact(strings.TrimRight(string(raw), "\r\n"))
		c.record("S", line)
		code, more, text, err := parseLine(line)
		if err != nil {
			return nil, err
		}
		if n > 0 && code != r.Code {
			return nil, fmt.Errorf("%w: a multi-line reply changed its code from %d to %d", ErrProtocol, r.Code, code)
		}
		r.Code = code
		r.Lines = append(r.Lines, text)
		if !more {
			break
		}
	}
	r.Enhanced, _ = explain.SplitEnhanced(r.Code, r.Lines[0])
	return r, nil
}

// parseLine reads "250-text", "250 text" or "250" (RFC 5321 §4.2).
func parseLine(line string) (code int, more bool, text string, err error) {
	bad := func(why string) (int, bool, string, error) {
		return 0, false, "", fmt.Errorf("%w: %s in reply line %q", ErrProtocol, why, truncate(line, 60))
	}
	if len(line) < 3 {
		return bad("no reply code")
	}
	code, convErr := strconv.Atoi(line[:3])
	if convErr != nil || line[0] < '2' || line[0] > '5' || line[1] > '5' {
		return bad("no valid reply code")
	}
	if len(line) == 3 {
		return code, false, "", nil
	}
	switch line[3] {
	case '-':
		return code, true, line[4:], nil
	case ' ':
		return code, false, line[4:], nil
	}
	return bad("no space or hyphen after the code")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// classify maps network errors onto the probe's errors.
func classify(err error) error {
	var ne net.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ne) && ne.Timeout():
		return ErrTimeout
	case errors.Is(err, io.EOF), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, net.ErrClosed):
		if errors.Is(err, ErrConnectionLost) {
			return err
		}
		return fmt.Errorf("%w (%v)", ErrConnectionLost, err)
	}
	return err
}
