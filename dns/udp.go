package dns

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	mdns "github.com/miekg/dns"
)

// A Client keeps a few long-lived UDP sockets per server and matches each
// reply to its query by ID, instead of a socket (a dial and a close) per
// question: a bulk scan asks hundreds of thousands. Each socket is
// connected, so the kernel drops datagrams from anyone but the server;
// each has its own random source port, and every query a random ID
// (RFC 5452 §9.2: ID and port together make a reply hard to forge). The
// reply must then answer the question asked (answers, RFC 5452 §9.1).

// socketsPerServer is how many UDP sockets a client keeps per server.
const socketsPerServer = 4

// socketIdle is how long a socket with nothing to wait for stays open.
const socketIdle = 30 * time.Second

type udpPool struct {
	server string
	next   atomic.Uint32
	mu     sync.Mutex
	socks  [socketsPerServer]*udpSocket
}

type udpSocket struct {
	conn    *net.UDPConn
	mu      sync.Mutex
	waiting map[uint16]*udpWaiter
	closed  bool
}

type udpWaiter struct {
	reply chan []byte
}

var errSocketClosed = errors.New("the UDP socket closed")

// pool returns the client's sockets to a server.
func (r *Client) pool(server string) *udpPool {
	r.poolMu.Lock()
	defer r.poolMu.Unlock()
	if r.pools == nil {
		r.pools = map[string]*udpPool{}
	}
	p := r.pools[server]
	if p == nil {
		p = &udpPool{server: server}
		r.pools[server] = p
	}
	return p
}

// socket returns one of the pool's sockets in turn, opening it if needed.
func (p *udpPool) socket(ctx context.Context) (*udpSocket, error) {
	i := p.next.Add(1) % socketsPerServer
	p.mu.Lock()
	defer p.mu.Unlock()
	if s := p.socks[i]; s != nil && !s.isClosed() {
		return s, nil
	}
	nc, err := (&net.Dialer{}).DialContext(ctx, "udp", p.server)
	if err != nil {
		return nil, err
	}
	conn := nc.(*net.UDPConn)
	conn.SetReadBuffer(4 << 20) // bursts of answers must not be dropped
	s := &udpSocket{conn: conn, waiting: map[uint16]*udpWaiter{}}
	p.socks[i] = s
	go s.read()
	return s, nil
}

func (s *udpSocket) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// read hands each datagram to the query waiting for its ID; one nobody
// waits for (late, or forged) is dropped. An idle socket closes itself.
func (s *udpSocket) read() {
	buf := make([]byte, 65535)
	for {
		s.conn.SetReadDeadline(time.Now().Add(socketIdle))
		n, err := s.conn.Read(buf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				s.mu.Lock()
				idle := len(s.waiting) == 0
				if idle {
					s.closed = true
				}
				s.mu.Unlock()
				if !idle {
					continue
				}
			}
			s.close()
			return
		}
		if n < 12 {
			continue // not even a header
		}
		id := uint16(buf[0])<<8 | uint16(buf[1])
		s.mu.Lock()
		w := s.waiting[id]
		delete(s.waiting, id)
		s.mu.Unlock()
		if w != nil {
			w.reply <- append([]byte(nil), buf[:n]...)
		}
	}
}

// close ends the socket and fails every query still waiting on it.
func (s *udpSocket) close() {
	s.mu.Lock()
	s.closed = true
	waiting := s.waiting
	s.waiting = map[uint16]*udpWaiter{}
	s.mu.Unlock()
	s.conn.Close()
	for _, w := range waiting {
		close(w.reply)
	}
}

// exchange sends m with a fresh random ID and waits for the datagram that
// carries it, until the timeout. The reply is unpacked, not yet checked.
func (s *udpSocket) exchange(ctx context.Context, m *mdns.Msg, timeout time.Duration) (*mdns.Msg, time.Duration, error) {
	w := &udpWaiter{reply: make(chan []byte, 1)}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, 0, errSocketClosed
	}
	for {
		m.Id = mdns.Id()
		if _, taken := s.waiting[m.Id]; !taken {
			break
		}
	}
	s.waiting[m.Id] = w
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		if s.waiting[m.Id] == w {
			delete(s.waiting, m.Id)
		}
		s.mu.Unlock()
	}()

	wire, err := m.Pack()
	if err != nil {
		return nil, 0, err
	}
	start := time.Now()
	if _, err := s.conn.Write(wire); err != nil {
		return nil, 0, err
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case b, ok := <-w.reply:
		if !ok {
			return nil, 0, errSocketClosed
		}
		resp := new(mdns.Msg)
		if err := resp.Unpack(b); err != nil {
			return nil, 0, err
		}
		return resp, time.Since(start), nil
	case <-timer.C:
		return nil, 0, ErrTimeout
	case <-ctx.Done():
		return nil, 0, ctx.Err()
	}
}
