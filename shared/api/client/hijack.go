package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
)

// HijackedResponse is a raw connection to a container's or an exec
// process's standard streams, after the engine switched protocols. Writes
// go to the process's stdin; reads return its output: raw with a TTY,
// multiplexed otherwise (see StdCopy).
type HijackedResponse struct {
	Conn   net.Conn      // write stdin here
	Reader *bufio.Reader // read the output here
	// MediaType is the Content-Type of the stream
	// ("application/vnd.docker.raw-stream" or
	// "application/vnd.docker.multiplexed-stream"); API 1.41 engines do not
	// say, and it is then empty.
	MediaType string
}

// Close closes the connection.
func (h *HijackedResponse) Close() error { return h.Conn.Close() }

// CloseWrite signals the end of stdin to the engine by half-closing the
// connection, when the connection can (a unix or TCP socket). Otherwise it
// does nothing.
func (h *HijackedResponse) CloseWrite() error {
	if cw, ok := h.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// postHijacked sends a POST asking to upgrade the connection, as the docker
// client does, and returns the raw connection once the engine switched
// protocols (101). Any other answer is an *Error saying "unable to upgrade
// to tcp, received 404", as the docker client says.
func (c *Client) postHijacked(ctx context.Context, p string, query url.Values, body any) (*HijackedResponse, error) {
	ap, err := c.apiPath(ctx, p, query)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if body != nil {
		if err := json.NewEncoder(&buf).Encode(body); err != nil {
			return nil, err
		}
	}
	req, err := c.newRequest(ctx, http.MethodPost, ap, &buf, nil)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "tcp")

	resp, conn, r, err := c.hijack(ctx, req)
	if err != nil {
		return nil, c.connError(ctx, err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		// The docker client reports any other answer this way, error
		// answers included.
		resp.Body.Close()
		if conn != nil {
			conn.Close()
		}
		return nil, &Error{StatusCode: resp.StatusCode, Message: fmt.Sprintf("unable to upgrade to tcp, received %d", resp.StatusCode), bare: true}
	}
	if conn == nil {
		resp.Body.Close()
		return nil, &Error{StatusCode: resp.StatusCode, Message: "unable to upgrade to tcp: the engine did not take the connection over", bare: true}
	}
	return &HijackedResponse{Conn: &hijackedConn{Conn: conn, r: r}, Reader: r, MediaType: resp.Header.Get("Content-Type")}, nil
}

// hijackedConn reads through the buffered reader that read the answer's
// head, so output the engine sent right after it is not lost, and keeps
// CloseWrite when the underlying connection has it.
type hijackedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *hijackedConn) Read(b []byte) (int, error) { return c.r.Read(b) }

// CloseWrite half-closes the connection when the transport can.
func (c *hijackedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
