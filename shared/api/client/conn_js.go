//go:build js

package client

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"

	"github.com/twinbox-dev/twinbox/shared/api/transport"
)

// errNoConnections is what a client made with New answers on js/wasm.
var errNoConnections = errors.New("js/wasm: no connections to an engine: use client.NewInProcess")

// connRoundTrip returns how requests travel over connections from dial. On
// js/wasm there are none: the browser build calls its engine in process
// (NewInProcess), and a client made with New fails to connect, as dialling
// a socket fails there. Not linking net/http's client keeps TLS, and the
// certificate code that net/http's types reach, out of the browser build.
func connRoundTrip(dial transport.DialFunc) (func(*http.Request) (*http.Response, error), func()) {
	return func(*http.Request) (*http.Response, error) { return nil, errNoConnections }, func() {}
}

// dialHijack fails: see connRoundTrip.
func dialHijack(ctx context.Context, dial transport.DialFunc, req *http.Request) (*http.Response, net.Conn, *bufio.Reader, error) {
	return nil, nil, nil, errNoConnections
}
