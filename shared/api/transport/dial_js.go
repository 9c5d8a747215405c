//go:build js

package transport

import (
	"context"
	"fmt"
	"net"
)

// dialer returns a DialFunc for a socket. js/wasm has none (the browser
// build calls its engine in process, see InProcess), so it fails; not
// linking net's dialer keeps the browser build smaller.
func dialer(network, addr string) DialFunc {
	return func(ctx context.Context) (net.Conn, error) {
		return nil, &net.OpError{Op: "dial", Net: network, Addr: nil, Err: fmt.Errorf("%s %s: no sockets on js/wasm", network, addr)}
	}
}
