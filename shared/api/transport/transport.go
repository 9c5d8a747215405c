// Package transport carries Engine API requests between the client and the
// router: over a unix socket, TCP, or in process.
//
// In process, there are two ways. InProcess calls the router's
// http.Handler directly: no connection and no HTTP encoding, and neither
// net/http's client nor its server is linked; the browser build uses it.
// PipeListener is a net.Listener whose connections are in-memory pipes
// (with half-close, unlike net.Pipe): an http.Server serves the router on
// it and the client dials it, exactly as over a socket; the tests use it.
// Hijacked streams (attach, exec) work over both.
//
//	c := client.NewInProcess(router)
//
//	l := transport.NewPipeListener()
//	go http.Serve(l, router)
//	c := client.New(l.Dial)
package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
)

// DialFunc opens a connection to an engine.
type DialFunc func(ctx context.Context) (net.Conn, error)

// PipeListener is an in-memory net.Listener. Dial returns the client end of a
// new connection whose server end Accept returns.
type PipeListener struct {
	conns  chan net.Conn
	done   chan struct{}
	closer sync.Once
}

// NewPipeListener returns a listener ready to Accept.
func NewPipeListener() *PipeListener {
	return &PipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

// Accept waits for the next Dial.
func (l *PipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close stops the listener; pending and later Dials fail.
func (l *PipeListener) Close() error {
	l.closer.Do(func() { close(l.done) })
	return nil
}

// Addr returns a placeholder address.
func (l *PipeListener) Addr() net.Addr { return pipeAddr{} }

// Dial connects to the listener. It is a DialFunc.
func (l *PipeListener) Dial(ctx context.Context) (net.Conn, error) {
	client, server := newPipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.done:
		client.Close()
		server.Close()
		return nil, fmt.Errorf("dial in-process engine: %w", net.ErrClosed)
	case <-ctx.Done():
		client.Close()
		server.Close()
		return nil, ctx.Err()
	}
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "in-process" }

// ErrBadHost is returned by Parse for a host it cannot use.
var ErrBadHost = errors.New("unsupported host")

// Parse reads a DOCKER_HOST-style address ("unix:///run/twinbox/twinbox.sock",
// "tcp://127.0.0.1:2375") and returns a DialFunc for it.
func Parse(host string) (DialFunc, error) {
	u, err := url.Parse(host)
	if err != nil {
		return nil, fmt.Errorf("parse host %q: %w", host, err)
	}
	switch u.Scheme {
	case "unix":
		path := u.Path
		if u.Host != "" { // unix://relative/path
			path = u.Host + u.Path
		}
		return dialer("unix", path), nil
	case "tcp", "http":
		return dialer("tcp", u.Host), nil
	}
	if !strings.Contains(host, "://") && strings.HasPrefix(host, "/") {
		return dialer("unix", host), nil
	}
	return nil, fmt.Errorf("parse host %q: %w", host, ErrBadHost)
}
