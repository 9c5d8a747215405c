//go:build !js

package transport

import (
	"context"
	"net"
)

// dialer returns a DialFunc for a socket.
func dialer(network, addr string) DialFunc {
	return func(ctx context.Context) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
}
