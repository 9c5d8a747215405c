// Package client is a small client of the Docker Engine API, the one
// twinbox's docker CLI uses. It speaks API 1.41 (the version dockerd 20.10
// serves) over any transport.DialFunc (a unix socket, TCP, an in-memory
// pipe), or in process, calling the router's http.Handler directly (the
// browser build):
//
//	c := client.New(l.Dial)
//	c := client.NewInProcess(router)
//	id, err := c.ContainerCreate(ctx, client.CreateOptions{Config: &container.Config{Image: "busybox"}})
//
// Requests and answers use the types of github.com/moby/moby/api and
// shared/api/wire. The client negotiates the API version as the docker CLI
// does: it pings the engine once and uses the engine's version when it is
// lower than its own. An error answer becomes an *Error that keeps the HTTP
// status and the daemon's message exactly; its text is Docker's
// ("Error response from daemon: No such container: web").
//
// Attach and exec streams are hijacked connections (HijackedResponse); when
// the container has no TTY, StdCopy separates its stdout and stderr.
package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"

	"github.com/twinbox-dev/twinbox/shared/api/transport"
	"github.com/twinbox-dev/twinbox/shared/api/wire"
)

// MaxVersion is the newest API version the client speaks.
const MaxVersion = wire.APIVersion

// fallbackVersion is the version assumed when the engine's ping does not
// say: the last one before version negotiation existed.
const fallbackVersion = "1.24"

// dummyHost is the Host header of requests over sockets, as docker sends it.
const dummyHost = "api.moby.localhost"

// Client talks to one engine. Its methods are safe for concurrent use.
type Client struct {
	host      string // DOCKER_HOST-style name of the engine, for messages
	userAgent string

	// roundTrip sends a request and returns the answer (see
	// http.RoundTripper); hijack sends one that asks for the connection
	// (attach, exec) and returns the answer's head and the connection,
	// read through r. closeIdle closes idle connections.
	roundTrip func(*http.Request) (*http.Response, error)
	hijack    func(ctx context.Context, req *http.Request) (resp *http.Response, conn net.Conn, r *bufio.Reader, err error)
	closeIdle func()

	mu         sync.Mutex
	version    string // the API version in use; "" until negotiated
	manual     bool   // version fixed by WithVersion: no negotiation
	negotiated bool
	ping       Ping
}

// Option configures a Client.
type Option func(*Client)

// WithVersion fixes the API version (DOCKER_API_VERSION): the client does
// not negotiate. An empty version is ignored.
func WithVersion(v string) Option {
	return func(c *Client) {
		if v = strings.TrimPrefix(v, "v"); v != "" {
			c.version = v
			c.manual = true
		}
	}
}

// WithHost names the engine in connection errors, as DOCKER_HOST does:
// "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is
// the docker daemon running?". The default is that socket.
func WithHost(host string) Option {
	return func(c *Client) { c.host = host }
}

// WithUserAgent sets the User-Agent header; the default is the docker CLI's.
func WithUserAgent(ua string) Option {
	return func(c *Client) { c.userAgent = ua }
}

// New returns a client that reaches the engine through dial.
func New(dial transport.DialFunc, opts ...Option) *Client {
	c := newClient(opts)
	c.roundTrip, c.closeIdle = connRoundTrip(dial)
	c.hijack = func(ctx context.Context, req *http.Request) (*http.Response, net.Conn, *bufio.Reader, error) {
		return dialHijack(ctx, dial, req)
	}
	return c
}

// NewInProcess returns a client of the engine API that h serves in this
// process: each request is a call of h.ServeHTTP (see
// transport.InProcess), with no connection and no HTTP encoding.
func NewInProcess(h http.Handler, opts ...Option) *Client {
	c := newClient(opts)
	t := transport.NewInProcess(h)
	c.roundTrip, c.closeIdle = t.RoundTrip, func() {}
	c.hijack = func(ctx context.Context, req *http.Request) (*http.Response, net.Conn, *bufio.Reader, error) {
		resp, err := t.RoundTrip(req)
		if err != nil {
			return nil, nil, nil, err
		}
		conn, ok := resp.Body.(net.Conn)
		if !ok { // not hijacked: an error answer
			return resp, nil, nil, nil
		}
		return resp, conn, bufio.NewReader(conn), nil
	}
	return c
}

func newClient(opts []Option) *Client {
	c := &Client{
		host:      "unix:///var/run/docker.sock",
		userAgent: "Docker-Client/28.2.2 (linux)",
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Close releases the client's idle connections.
func (c *Client) Close() error {
	c.closeIdle()
	return nil
}

// Host returns the name of the engine given by WithHost.
func (c *Client) Host() string { return c.host }

// Ping is what GET /_ping tells about the engine.
type Ping struct {
	APIVersion     string // Api-Version header
	OSType         string // Ostype header
	Experimental   bool   // Docker-Experimental header
	BuilderVersion string // Builder-Version header
}

// Ping asks the engine for its API version and OS (HEAD /_ping, then GET
// when HEAD is not allowed).
func (c *Client) Ping(ctx context.Context) (Ping, error) {
	resp, err := c.send(ctx, http.MethodHead, "/_ping", nil, nil)
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			return Ping{}, err
		}
		if e.StatusCode == http.StatusInternalServerError {
			return parsePing(resp), err
		}
		resp, err = c.send(ctx, http.MethodGet, "/_ping", nil, nil)
		if err != nil {
			return parsePing(resp), err
		}
	}
	defer drain(resp)
	return parsePing(resp), nil
}

func parsePing(resp *http.Response) Ping {
	if resp == nil {
		return Ping{}
	}
	return Ping{
		APIVersion:     resp.Header.Get("Api-Version"),
		OSType:         resp.Header.Get("Ostype"),
		Experimental:   resp.Header.Get("Docker-Experimental") == "true",
		BuilderVersion: resp.Header.Get("Builder-Version"),
	}
}

// negotiate pings the engine once and settles the API version.
func (c *Client) negotiate(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.manual || c.negotiated {
		return nil
	}
	p, err := c.Ping(ctx)
	if err != nil {
		return err
	}
	c.ping = p
	v := p.APIVersion
	if v == "" {
		v = fallbackVersion
	}
	if c.version == "" {
		c.version = MaxVersion
	}
	if versionLess(v, c.version) {
		c.version = v
	}
	c.negotiated = true
	return nil
}

// NegotiateAPIVersion settles the API version now instead of on the first
// request. Errors: connection failures.
func (c *Client) NegotiateAPIVersion(ctx context.Context) error { return c.negotiate(ctx) }

// Version returns the API version in use: the negotiated one, or MaxVersion
// before the first request.
func (c *Client) Version() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.version == "" {
		return MaxVersion
	}
	return c.version
}

// ServerPing returns what the engine's ping said, once negotiated.
func (c *Client) ServerPing() Ping {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ping
}

// VersionLess reports whether API version a is older than b ("1.24" <
// "1.41").
func VersionLess(a, b string) bool { return versionLess(a, b) }

func versionLess(a, b string) bool {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) || i < len(bs); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			return x < y
		}
	}
	return false
}

// apiPath prefixes p with the API version.
func (c *Client) apiPath(ctx context.Context, p string, query url.Values) (string, error) {
	if err := c.negotiate(ctx); err != nil {
		return "", err
	}
	v := c.Version()
	u := url.URL{Path: path.Join("/v"+v, p), RawQuery: query.Encode()}
	return u.String(), nil
}

// request sends a request to the versioned API and returns the answer. A
// non-nil body is sent as JSON. Errors: *Error for an error answer,
// connection errors.
func (c *Client) request(ctx context.Context, method, p string, query url.Values, body any, header http.Header) (*http.Response, error) {
	var r io.Reader
	if body != nil {
		buf := new(bytes.Buffer)
		if err := json.NewEncoder(buf).Encode(body); err != nil {
			return nil, err
		}
		r = buf
		if header == nil {
			header = http.Header{}
		}
		header.Set("Content-Type", "application/json")
	}
	ap, err := c.apiPath(ctx, p, query)
	if err != nil {
		return nil, err
	}
	return c.send(ctx, method, ap, r, header)
}

// send sends one request as is. On an error answer it returns the response
// (body consumed) with the *Error.
func (c *Client) send(ctx context.Context, method, p string, body io.Reader, header http.Header) (*http.Response, error) {
	req, err := c.newRequest(ctx, method, p, body, header)
	if err != nil {
		return nil, err
	}
	resp, err := c.roundTrip(req)
	if err != nil {
		return nil, c.connError(ctx, err)
	}
	if err := checkResponse(resp); err != nil {
		return resp, err
	}
	return resp, nil
}

func (c *Client) newRequest(ctx context.Context, method, p string, body io.Reader, header http.Header) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, "http://"+dummyHost+p, body)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "text/plain")
	}
	req.Header.Set("User-Agent", c.userAgent)
	return req, nil
}

// connError turns a transport error into Docker's message.
func (c *Client) connError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return &ConnectionError{Host: c.host, Err: err}
}

// ConnectionError says the engine could not be reached.
type ConnectionError struct {
	Host string
	Err  error
}

func (e *ConnectionError) Error() string {
	if e.Host == "" {
		return "Cannot connect to the Docker daemon. Is the docker daemon running on this host?"
	}
	return fmt.Sprintf("Cannot connect to the Docker daemon at %s. Is the docker daemon running?", e.Host)
}

// Unwrap returns the transport's error.
func (e *ConnectionError) Unwrap() error { return e.Err }

// IsConnectionError reports whether err says the engine could not be
// reached.
func IsConnectionError(err error) bool {
	var e *ConnectionError
	return errors.As(err, &e)
}

// decode reads a JSON answer into v and closes the body.
func decode(resp *http.Response, v any) error {
	defer drain(resp)
	return json.NewDecoder(resp.Body).Decode(v)
}

// drain closes a response body after reading what is left of it, so that
// the connection can be reused.
func drain(resp *http.Response) {
	if resp == nil || resp.Body == nil {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
}

// do sends a request whose answer is not needed.
func (c *Client) do(ctx context.Context, method, p string, query url.Values, body any) error {
	resp, err := c.request(ctx, method, p, query, body, nil)
	drain(resp)
	return err
}

// get sends a GET and decodes the JSON answer into v.
func (c *Client) get(ctx context.Context, p string, query url.Values, v any) error {
	resp, err := c.request(ctx, http.MethodGet, p, query, nil, nil)
	if err != nil {
		drain(resp)
		return err
	}
	return decode(resp, v)
}

// getRaw sends a GET and returns the answer's bytes.
func (c *Client) getRaw(ctx context.Context, p string, query url.Values) ([]byte, error) {
	resp, err := c.request(ctx, http.MethodGet, p, query, nil, nil)
	if err != nil {
		drain(resp)
		return nil, err
	}
	defer drain(resp)
	return io.ReadAll(resp.Body)
}

// emptyIDError is what the docker client says for an empty name.
func emptyIDError(kind string) error {
	return &InvalidArgumentError{Msg: "invalid " + kind + " name or ID: value is empty"}
}

// InvalidArgumentError is an argument the client rejects before asking the
// engine.
type InvalidArgumentError struct{ Msg string }

func (e *InvalidArgumentError) Error() string { return e.Msg }

// trimID checks a container, image or exec reference given by a user.
func trimID(kind, id string) (string, error) {
	id = strings.TrimSpace(id)
	if id == "" {
		return "", emptyIDError(kind)
	}
	return id, nil
}

// GetRaw sends a GET of an API path ("/networks/bridge") and returns the
// answer's body as is, for objects the client has no method for.
func (c *Client) GetRaw(ctx context.Context, p string) ([]byte, error) {
	return c.getRaw(ctx, p, nil)
}
