//go:build !js

package client

import (
	"bufio"
	"context"
	"net"
	"net/http"

	"github.com/twinbox-dev/twinbox/shared/api/transport"
)

// connRoundTrip returns how requests travel over connections from dial:
// net/http's client, with a pool of kept-alive connections, and the
// function that closes the idle ones.
func connRoundTrip(dial transport.DialFunc) (func(*http.Request) (*http.Response, error), func()) {
	hc := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return dial(ctx)
		},
		DisableCompression: true,
		MaxIdleConns:       6,
	}}
	return hc.Do, hc.CloseIdleConnections
}

// dialHijack sends req on a new connection from dial and reads the
// answer's head, which is all a hijacked stream's answer has.
func dialHijack(ctx context.Context, dial transport.DialFunc, req *http.Request) (*http.Response, net.Conn, *bufio.Reader, error) {
	conn, err := dial(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	// Unblock the handshake if ctx ends while waiting for the answer.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	resp, r, err := roundTrip(conn, req)
	if !stop() {
		conn.Close()
		if ctx.Err() != nil {
			return nil, nil, nil, ctx.Err()
		}
	}
	if err != nil {
		conn.Close()
		return nil, nil, nil, err
	}
	return resp, conn, r, nil
}

// roundTrip writes req on conn and reads the answer's head.
func roundTrip(conn net.Conn, req *http.Request) (*http.Response, *bufio.Reader, error) {
	if err := req.Write(conn); err != nil {
		return nil, nil, err
	}
	r := bufio.NewReader(conn)
	resp, err := http.ReadResponse(r, req)
	if err != nil {
		return nil, nil, err
	}
	return resp, r, nil
}
