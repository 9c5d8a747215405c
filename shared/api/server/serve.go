package server

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"
)

// Server serves an Engine API handler on listeners and shuts down
// gracefully: requests in flight and hijacked attach and exec streams may
// finish first.
type Server struct {
	srv *http.Server

	mu       sync.Mutex
	conns    map[net.Conn]struct{} // open connections
	hijacked map[net.Conn]struct{} // of which net/http gave up
	closed   chan struct{}         // signalled when a hijacked connection closes
}

// NewServer returns a Server for h.
func NewServer(h http.Handler) *Server {
	s := &Server{
		conns:    map[net.Conn]struct{}{},
		hijacked: map[net.Conn]struct{}{},
		closed:   make(chan struct{}, 1),
	}
	s.srv = &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Minute,
		ConnState:         s.connState,
	}
	return s
}

// Serve accepts connections on l until Shutdown or Close; it then returns
// nil. Serve may be called for several listeners.
func (s *Server) Serve(l net.Listener) error {
	err := s.srv.Serve(&trackingListener{Listener: l, s: s})
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting connections and waits for requests in flight
// and hijacked streams to end; when ctx is done first, it closes what is
// left and returns ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	if err := s.srv.Shutdown(ctx); err != nil {
		s.closeHijacked()
		return err
	}
	for {
		s.mu.Lock()
		n := len(s.hijacked)
		s.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-s.closed:
		case <-ctx.Done():
			s.closeHijacked()
			return ctx.Err()
		}
	}
}

// Close closes the listeners and every connection at once.
func (s *Server) Close() error {
	err := s.srv.Close()
	s.closeHijacked()
	return err
}

func (s *Server) closeHijacked() {
	s.mu.Lock()
	conns := make([]net.Conn, 0, len(s.hijacked))
	for c := range s.hijacked {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

func (s *Server) connState(c net.Conn, state http.ConnState) {
	if state != http.StateHijacked {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.conns[c]; ok {
		s.hijacked[c] = struct{}{}
	}
}

func (s *Server) forget(c net.Conn) {
	s.mu.Lock()
	_, wasHijacked := s.hijacked[c]
	delete(s.conns, c)
	delete(s.hijacked, c)
	s.mu.Unlock()
	if wasHijacked {
		select {
		case s.closed <- struct{}{}:
		default:
		}
	}
}

// trackingListener wraps accepted connections so the Server learns when a
// hijacked one closes.
type trackingListener struct {
	net.Listener
	s *Server
}

func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	var tc net.Conn
	base := &trackedConn{Conn: c, s: l.s}
	if _, ok := c.(interface{ CloseWrite() error }); ok {
		tc = &trackedHalfCloser{base}
	} else {
		tc = base
	}
	base.self = tc
	l.s.mu.Lock()
	l.s.conns[tc] = struct{}{}
	l.s.mu.Unlock()
	return tc, nil
}

type trackedConn struct {
	net.Conn
	s    *Server
	self net.Conn // the value handed out, the key in the Server's maps
	once sync.Once
}

func (c *trackedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.s.forget(c.self) })
	return err
}

// trackedHalfCloser is a trackedConn over a connection that can close its
// writing side alone (unix and TCP sockets).
type trackedHalfCloser struct{ *trackedConn }

// CloseWrite closes the writing side: the client reads to the end.
func (c *trackedHalfCloser) CloseWrite() error {
	return c.Conn.(interface{ CloseWrite() error }).CloseWrite()
}
