package netsim

import (
	"context"
	"io"
	"net/netip"
	"slices"
	"sync"
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
	dual   bool // opened on "::"
	conns  chan *Conn
	closed chan struct{}
}

// backlog is how many connections wait for Accept before Dial blocks, as
// a listen(2) backlog.
const backlog = 16

// Listen opens a listening TCP socket on addr (the unspecified address:
// all of the stack's addresses; the IPv6 one, "::", is a dual-stack socket
// that takes IPv4 connections too, as busybox's servers open). Errors: EADDRINUSE when a socket listens
// on that port already on the same or all addresses; EADDRNOTAVAIL for an
// address the stack does not have.
func (s *Stack) Listen(addr netip.AddrPort) (*Listener, error) {
	s.n.mu.Lock()
	defer s.n.mu.Unlock()
	a := addr.Addr()
	dual := a.Is6() && a.IsUnspecified()
	if !a.IsValid() || dual {
		a = netip.IPv4Unspecified()
	}
	if !a.Is4() {
		return nil, syscall.EADDRNOTAVAIL
	}
	if !a.IsUnspecified() && !s.hasAddrLocked(a) {
		return nil, syscall.EADDRNOTAVAIL
	}
	if s.listeningLocked(a, addr.Port()) {
		return nil, syscall.EADDRINUSE
	}
	if s == s.n.host {
		for k := range s.n.ports {
			if k.port == addr.Port() && (k.addr == a || k.addr.IsUnspecified() || a.IsUnspecified()) {
				return nil, syscall.EADDRINUSE
			}
		}
	}
	l := &Listener{s: s, key: portKey{a, addr.Port()}, dual: dual, conns: make(chan *Conn, backlog), closed: make(chan struct{})}
	s.listeners[l.key] = l
	return l, nil
}

// Listeners returns the addresses the stack's TCP sockets listen on,
// sorted.
func (s *Stack) Listeners() []netip.AddrPort {
	s.n.mu.Lock()
	defer s.n.mu.Unlock()
	out := make([]netip.AddrPort, 0, len(s.listeners))
	for k, l := range s.listeners {
		a := k.addr
		if l.dual {
			a = netip.IPv6Unspecified()
		}
		out = append(out, netip.AddrPortFrom(a, k.port))
	}
	slices.SortFunc(out, func(a, b netip.AddrPort) int { return a.Compare(b) })
	return out
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
	if l.s.listeners[l.key] == l {
		delete(l.s.listeners, l.key)
	}
	select {
	case <-l.closed:
	default:
		close(l.closed)
	}
	l.s.n.mu.Unlock()
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
	l, from, to, err := s.dialLocked(dst, 0)
	var p path
	var ends [2]*Endpoint4
	if err == nil {
		ends = s.n.connectLocked(s, dst, from, to, l)
		p = from.pathLocked(l.s, to)
		// The handshake: SYN, SYN-ACK, ACK.
		p.countLocked(synFrame)
		p.reverse().countLocked(synFrame)
		p.countLocked(tcpHeaders)
	}
	s.n.mu.Unlock()
	if err != nil {
		return nil, err
	}
	mine, theirs := pipe(s.n, p)
	mine.ep, theirs.ep = ends[0], ends[1]
	select {
	case l.conns <- theirs:
		return mine, nil
	case <-l.closed:
		return nil, syscall.ECONNREFUSED
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// dialLocked finds the socket listening at dst, from s, and the stack and
// address of the connection's last leg (the host's, to the container, for
// a published port).
func (s *Stack) dialLocked(dst netip.AddrPort, depth int) (*Listener, *Stack, netip.Addr, error) {
	t, err := s.reachLocked(dst.Addr())
	if err != nil {
		return nil, nil, netip.Addr{}, err
	}
	if t == nil {
		return nil, nil, netip.Addr{}, syscall.ETIMEDOUT
	}
	if l := t.listeners[portKey{dst.Addr(), dst.Port()}]; l != nil {
		return l, s, dst.Addr(), nil
	}
	if l := t.listeners[portKey{netip.IPv4Unspecified(), dst.Port()}]; l != nil {
		return l, s, dst.Addr(), nil
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
	return nil, nil, netip.Addr{}, syscall.ECONNREFUSED
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
	if n.host.listeningLocked(a, k.port) {
		return syscall.EADDRINUSE
	}
	n.ports[k] = target
	return nil
}

// HostPortFree reports whether no socket of the host's listens on host's
// port where a published port on host would clash with it.
func (n *Net) HostPortFree(host netip.AddrPort) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	a := host.Addr()
	if !a.IsValid() {
		a = netip.IPv4Unspecified()
	}
	return !n.host.listeningLocked(a, host.Port())
}

// listeningLocked reports whether a socket of s listens on port at a, at
// all addresses, or (a unspecified) at any. n.mu is held.
func (s *Stack) listeningLocked(a netip.Addr, port uint16) bool {
	for k := range s.listeners {
		if k.port == port && (k.addr == a || k.addr.IsUnspecified() || a.IsUnspecified()) {
			return true
		}
	}
	return false
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

// Frame sizes of TCP: a SYN with its options, and the headers of every
// other segment (Ethernet 14, IP 20, TCP 32 with timestamps).
const (
	synFrame   = 74
	tcpHeaders = 66
	tcpMSS     = 1448
)

// Conn is a TCP connection: a byte stream each way, with a socket buffer
// of sockBuf bytes: a write waits only while the buffer is full, and what
// is in it still arrives after the writer closes, as TCP delivers it
// before the FIN.
type Conn struct {
	r  *stream
	w  *stream
	n  *Net
	p  path       // from this end to the other
	ep *Endpoint4 // this end's socket, as netstat lists it
}

// sockBuf is the size of a connection's buffer in each direction.
const sockBuf = 64 << 10

// pipe returns the two ends of a new connection along p.
func pipe(n *Net, p path) (*Conn, *Conn) {
	ab, ba := newStream(), newStream()
	return &Conn{r: ba, w: ab, n: n, p: p}, &Conn{r: ab, w: ba, n: n, p: p.reverse()}
}

// stream is one direction of a connection.
type stream struct {
	mu       sync.Mutex
	cond     sync.Cond
	buf      []byte
	eof      bool // the writer closed: end-of-file once buf is drained
	shutRead bool // the reader closed: writes fail
}

func newStream() *stream {
	s := &stream{}
	s.cond.L = &s.mu
	return s
}

func (s *stream) write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for len(b) > 0 {
		for len(s.buf) >= sockBuf && !s.shutRead && !s.eof {
			s.cond.Wait()
		}
		if s.shutRead || s.eof {
			return n, io.ErrClosedPipe
		}
		k := min(len(b), sockBuf-len(s.buf))
		s.buf = append(s.buf, b[:k]...)
		b, n = b[k:], n+k
		s.cond.Broadcast()
	}
	return n, nil
}

func (s *stream) read(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.buf) == 0 && !s.eof && !s.shutRead {
		s.cond.Wait()
	}
	if s.shutRead {
		return 0, io.ErrClosedPipe
	}
	if len(s.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(b, s.buf)
	s.buf = s.buf[n:]
	s.cond.Broadcast()
	return n, nil
}

func (s *stream) closeWrite() {
	s.mu.Lock()
	s.eof = true
	s.cond.Broadcast()
	s.mu.Unlock()
}

func (s *stream) closeRead() {
	s.mu.Lock()
	s.shutRead = true
	s.buf = nil
	s.cond.Broadcast()
	s.mu.Unlock()
}

// Read reads what the other side wrote; io.EOF once it closed or shut
// down its writing half.
func (c *Conn) Read(b []byte) (int, error) { return c.r.read(b) }

// Write sends b to the other side. Errors: io.ErrClosedPipe once either
// side closed the stream.
func (c *Conn) Write(b []byte) (int, error) {
	n, err := c.w.write(b)
	if n > 0 {
		c.n.mu.Lock()
		for left := n; left > 0; left -= tcpMSS {
			c.p.countLocked(min(left, tcpMSS) + tcpHeaders)
		}
		c.p.reverse().countLocked(tcpHeaders)
		c.n.mu.Unlock()
	}
	return n, err
}

// CloseWrite shuts down the writing half (shutdown(SHUT_WR)): the other
// side reads end-of-file; this side can still read.
func (c *Conn) CloseWrite() error {
	c.fin()
	c.w.closeWrite()
	return nil
}

// Close closes both halves.
func (c *Conn) Close() error {
	c.fin()
	c.w.closeWrite()
	c.r.closeRead()
	return nil
}

// fin counts this side's FIN and its ACK, once, and closes this end's
// socket.
func (c *Conn) fin() {
	c.n.mu.Lock()
	defer c.n.mu.Unlock()
	if c.ep != nil {
		delete(c.ep.s.conns, c.ep)
		c.ep = nil
	}
	if c.p.out == nil && c.p.in == nil {
		return
	}
	c.p.countLocked(tcpHeaders)
	c.p.reverse().countLocked(tcpHeaders)
	c.p = path{}
}

// Endpoint4 is one end of an established TCP connection, as netstat
// lists it: its local and foreign addresses.
type Endpoint4 struct {
	s              *Stack
	Local, Foreign netip.AddrPort
}

// connectLocked records the two ends of a new connection from s to dst,
// which l accepts at address to from stack from (the host's, for a
// published port, as docker-proxy connects from its end of the bridge):
// the client's with the next ephemeral port, the server's on the port it
// listens on.
func (n *Net) connectLocked(s *Stack, dst netip.AddrPort, from *Stack, to netip.Addr, l *Listener) [2]*Endpoint4 {
	src, _ := s.sourceLocked(dst.Addr())
	client := &Endpoint4{s: s, Local: netip.AddrPortFrom(src, n.ephemeralLocked()), Foreign: dst}
	server := &Endpoint4{s: l.s, Local: netip.AddrPortFrom(to, l.key.port), Foreign: client.Local}
	if from != s {
		fsrc, _ := from.sourceLocked(to)
		server.Foreign = netip.AddrPortFrom(fsrc, n.ephemeralLocked())
	}
	s.conns[client] = struct{}{}
	l.s.conns[server] = struct{}{}
	return [2]*Endpoint4{client, server}
}

// ephemeralLocked is the next local port of an outgoing connection, in
// Linux's default range 32768-60999.
func (n *Net) ephemeralLocked() uint16 {
	p := uint16(32768 + n.ephemeral%28232)
	n.ephemeral++
	return p
}

// Connections returns the stack's established TCP connections, by local
// address.
func (s *Stack) Connections() []Endpoint4 {
	s.n.mu.Lock()
	defer s.n.mu.Unlock()
	out := make([]Endpoint4, 0, len(s.conns))
	for e := range s.conns {
		out = append(out, *e)
	}
	slices.SortFunc(out, func(a, b Endpoint4) int {
		if c := a.Local.Compare(b.Local); c != 0 {
			return c
		}
		return a.Foreign.Compare(b.Foreign)
	})
	return out
}
