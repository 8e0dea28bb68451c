package lab

import (
	"bufio"
	"net"
	"strings"
	"sync"
	"time"
)

// raw is a hand-written SMTP responder for misbehaviour that go-smtp would
// never show: silence, endless replies, giant lines, resets.
type raw struct {
	banner string // "" never speaks
	// pad is a count of 'x' the banner line goes on with: a huge line
	// made when it is sent, not when the program starts.
	pad     int
	replies map[string]string // verb → reply; the default is "250 2.0.0 Ok"
	// actions take over the connection on a verb; it is closed after.
	actions map[string]func(c net.Conn)
}

// rawDeadline bounds every raw connection: the lab never hangs a test.
const rawDeadline = 2 * time.Minute

func (r *raw) serve(l net.Listener) {
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		wg.Go(func() { r.handle(c) })
	}
}

func (r *raw) handle(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(rawDeadline))
	br := bufio.NewReader(c)
	if r.banner == "" {
		// Silent: read whatever comes until the client gives up.
		for {
			if _, err := br.ReadByte(); err != nil {
				return
			}
		}
	}
	if _, err := c.Write([]byte(r.banner + strings.Repeat("x", r.pad) + "\r\n")); err != nil || strings.HasPrefix(r.banner, "4") || strings.HasPrefix(r.banner, "5") {
		return
	}
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		verb := strings.ToUpper(strings.Fields(line + " x")[0])
		if act, ok := r.actions[verb]; ok {
			act(c)
			return
		}
		reply, ok := r.replies[verb]
		switch {
		case verb == "QUIT":
			c.Write([]byte("221 2.0.0 Bye\r\n"))
			return
		case !ok:
			reply = "250 2.0.0 Ok"
		}
		if _, err := c.Write([]byte(reply + "\r\n")); err != nil {
			return
		}
	}
}

// endless answers with a multi-line reply that never ends (until the
// client leaves or a million lines have gone).
func endless(c net.Conn) {
	w := bufio.NewWriter(c)
	for range 1_000_000 {
		if _, err := w.WriteString("250-and one more extension\r\n"); err != nil {
			return
		}
	}
	w.Flush()
}

// reset drops the connection with a TCP RST.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
}

// notTLS agrees to STARTTLS, then answers the handshake with plain text.
func notTLS(c net.Conn) {
	c.Write([]byte("220 2.0.0 Ready to start TLS\r\n"))
	c.Write([]byte("this is not a TLS server hello\r\n"))
}

// slowListener delays the first bytes each connection writes: a slow
// banner from an otherwise well-behaved server.
type slowListener struct {
	net.Listener
	delay time.Duration
}

func (l slowListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &slowConn{Conn: c, delay: l.delay}, nil
}

type slowConn struct {
	net.Conn
	delay time.Duration
	once  sync.Once
}

func (c *slowConn) Write(b []byte) (int, error) {
	c.once.Do(func() { time.Sleep(c.delay) })
	return c.Conn.Write(b)
}
