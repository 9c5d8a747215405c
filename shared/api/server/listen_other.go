//go:build !unix

package server

import (
	"fmt"
	"net"
)

// ListenUnix listens on a unix socket at path with mode 0660. Unix sockets
// need a unix system; elsewhere it returns an error.
func ListenUnix(path string) (net.Listener, error) {
	return nil, fmt.Errorf("listen %s: unix sockets need a unix system", path)
}
