package netsim

import (
	"context"
	"io"
	"net/netip"
	"syscall"
)

// portKey names a listening TCP socket: its address (the unspecified one
// for all addresses) and port.
type portKey struct {
	addr netip.Addr
	port uint16
}

// Listener is a listening TCP socket.
type Listener struct {
	s      *Stack
	key    portKey
	conns  chan *Conn
	closed chan struct{}
}

// backlog is how many connections wait for Accept before Dial blocks, as
// a listen(2) backlog.
const backlog = 16

// Listen opens a listening TCP socket on addr (the unspecified address:
// all of the stack's addresses). Errors: EADDRINUSE when a socket listens
// on that port already on the same or all addresses; EADDRNOTAVAIL for an
// address the stack does not have.
func (s *Stack) Listen(addr netip.AddrPort) (*Listener, error) {
	s.n.mu.Lock()
	defer s.n.mu.Unlock()
	a := addr.Addr()
	if !a.IsValid() {
		a = netip.IPv4Unspecified()
	}
	if !a.IsUnspecified() && !s.hasAddrLocked(a) {
		return nil, syscall.EADDRNOTAVAIL
	}
	for k := range s.listeners {
		if k.port == addr.Port() && (k.addr == a || k.addr.IsUnspecified() || a.IsUnspecified()) {
			return nil, syscall.EADDRINUSE
		}
	}
	if s == s.n.host {
		for k := range s.n.ports {
			if k.port == addr.Port() && (k.addr == a || k.addr.IsUnspecified() || a.IsUnspecified()) {
				return nil, syscall.EADDRINUSE
			}
		}
	}
	l := &Listener{s: s, key: portKey{a, addr.Port()}, conns: make(chan *Conn, backlog), closed: make(chan struct{})}
	s.listeners[l.key] = l
	return l, nil
}

// Addr returns the address the socket listens on.
func (l *Listener) Addr() netip.AddrPort { return netip.AddrPortFrom(l.key.addr, l.key.port) }

// Accept waits for a connection. Errors: EINVAL once the socket is
// closed; ctx's error when ctx is done first.
func (l *Listener) Accept(ctx context.Context) (*Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, syscall.EINVAL
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Close stops listening; connections not yet accepted are reset.
func (l *Listener) Close() error {
	l.s.n.mu.Lock()
	defer l.s.n.mu.Unlock()
	if l.s.listeners[l.key] == l {
		delete(l.s.listeners, l.key)
	}
	select {
	case <-l.closed:
	default:
		close(l.closed)
	}
	for {
		select {
		case c := <-l.conns:
			c.Close()
		default:
			return nil
		}
	}
}

// Dial connects to a TCP socket listening at dst, from s. A connection to
// one of the host's published ports goes on to the container's address and
// port, as docker-proxy carries it. Errors: ENETUNREACH without a route,
// EHOSTUNREACH when no interface on the link has the next hop's address,
// ETIMEDOUT when packets are dropped (a firewall rule, the outside world),
// ECONNREFUSED when nothing listens.
func (s *Stack) Dial(ctx context.Context, dst netip.AddrPort) (*Conn, error) {
	s.n.mu.Lock()
	l, err := s.dialLocked(dst, 0)
	s.n.mu.Unlock()
	if err != nil {
		return nil, err
	}
	mine, theirs := pipe()
	select {
	case l.conns <- theirs:
		return mine, nil
	case <-l.closed:
		return nil, syscall.ECONNREFUSED
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (s *Stack) dialLocked(dst netip.AddrPort, depth int) (*Listener, error) {
	t, err := s.reachLocked(dst.Addr())
	if err != nil {
		return nil, err
	}
	if t == nil {
		return nil, syscall.ETIMEDOUT
	}
	if l := t.listeners[portKey{dst.Addr(), dst.Port()}]; l != nil {
		return l, nil
	}
	if l := t.listeners[portKey{netip.IPv4Unspecified(), dst.Port()}]; l != nil {
		return l, nil
	}
	if t == s.n.host && depth == 0 {
		to, ok := s.n.ports[portKey{dst.Addr(), dst.Port()}]
		if !ok {
			to, ok = s.n.ports[portKey{netip.IPv4Unspecified(), dst.Port()}]
		}
		if ok {
			return s.n.host.dialLocked(to, depth+1)
		}
	}
	return nil, syscall.ECONNREFUSED
}

// Publish makes the host forward connections to hostIP:hostPort (the
// unspecified address: all of its addresses) to target, as docker-proxy
// does for `-p`. Errors: EADDRINUSE when the port is taken on the host.
func (n *Net) Publish(host netip.AddrPort, target netip.AddrPort) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	a := host.Addr()
	if !a.IsValid() {
		a = netip.IPv4Unspecified()
	}
	k := portKey{a, host.Port()}
	if _, ok := n.ports[k]; ok {
		return syscall.EADDRINUSE
	}
	for lk := range n.host.listeners {
		if lk.port == k.port && (lk.addr == a || lk.addr.IsUnspecified() || a.IsUnspecified()) {
			return syscall.EADDRINUSE
		}
	}
	n.ports[k] = target
	return nil
}

// Unpublish stops forwarding host.
func (n *Net) Unpublish(host netip.AddrPort) {
	n.mu.Lock()
	defer n.mu.Unlock()
	a := host.Addr()
	if !a.IsValid() {
		a = netip.IPv4Unspecified()
	}
	delete(n.ports, portKey{a, host.Port()})
}

// Conn is a TCP connection: a byte stream each way. Writes wait until the
// other side reads (no buffering, as a full socket buffer would have it).
type Conn struct {
	r *io.PipeReader
	w *io.PipeWriter
}

// pipe returns the two ends of a new connection.
func pipe() (*Conn, *Conn) {
	ar, bw := io.Pipe()
	br, aw := io.Pipe()
	return &Conn{r: ar, w: aw}, &Conn{r: br, w: bw}
}

// Read reads what the other side wrote; io.EOF once it closed or shut
// down its writing half.
func (c *Conn) Read(b []byte) (int, error) { return c.r.Read(b) }

// Write sends b to the other side. Errors: io.ErrClosedPipe once either
// side closed the stream.
func (c *Conn) Write(b []byte) (int, error) { return c.w.Write(b) }

// CloseWrite shuts down the writing half (shutdown(SHUT_WR)): the other
// side reads end-of-file; this side can still read.
func (c *Conn) CloseWrite() error { return c.w.Close() }

// Close closes both halves.
func (c *Conn) Close() error {
	c.w.Close()
	return c.r.Close()
}
