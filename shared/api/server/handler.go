package server

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"path"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/twinbox-dev/twinbox/shared/api/wire"
	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/engine"
)

// DefaultServerVersion is the daemon version in the Server header of every
// answer, that of the reference daemon.
const DefaultServerVersion = "20.10.24+dfsg1"

// Options configure a Handler. The zero value serves like the reference
// dockerd: version 20.10.24+dfsg1 on linux, experimental off, no builder.
type Options struct {
	// Build runs POST /build; nil answers 501 Not Implemented.
	Build BuildFunc
	// ServerVersion is the daemon version in the Server header;
	// "" means DefaultServerVersion.
	ServerVersion string
	// Experimental is reported in the Docker-Experimental header.
	Experimental bool
	// Logf receives failures the client cannot see: errors answered with a
	// status of 500 or more, panics, errors after a stream started. nil
	// discards them.
	Logf func(format string, args ...any)
}

// Handler is the Engine API router: an http.Handler over an engine. Its
// methods are safe for concurrent use.
type Handler struct {
	api          api
	opts         Options
	server       string // the Server header
	experimental string // the Docker-Experimental header
	routes       []route
}

// New returns the Engine API handler over e.
func New(e *engine.Engine, opts Options) *Handler {
	return newHandler(e, opts)
}

func newHandler(a api, opts Options) *Handler {
	if opts.ServerVersion == "" {
		opts.ServerVersion = DefaultServerVersion
	}
	h := &Handler{
		api:          a,
		opts:         opts,
		server:       "Docker/" + opts.ServerVersion + " (linux)",
		experimental: "false",
	}
	if opts.Experimental {
		h.experimental = "true"
	}
	h.routes = h.table()
	return h
}

func (h *Handler) logf(format string, args ...any) {
	if h.opts.Logf != nil {
		h.opts.Logf(format, args...)
	}
}

// handlerFunc serves one route. It returns an error to answer with, unless
// it already started its answer.
type handlerFunc func(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error

// vars are the variables of a matched route.
type vars struct {
	version string // the API version of the request: from the /vX.Y prefix or the default
	name    string // the path variable ({name} or {id}), URL-decoded
}

// route is one entry of the routing table. Its path has at most one
// variable, which matches any text, slashes included, as dockerd's
// {name:.*}.
type route struct {
	method  string
	pattern string
	prefix  string // the text before the variable (the whole path without one)
	suffix  string // the text after the variable
	hasVar  bool
	h       handlerFunc
}

func newRoute(method, pattern string, h handlerFunc) route {
	r := route{method: method, pattern: pattern, prefix: pattern, h: h}
	if i := strings.IndexByte(pattern, '{'); i >= 0 {
		j := strings.IndexByte(pattern[i:], '}') + i
		r.prefix, r.suffix, r.hasVar = pattern[:i], pattern[j+1:], true
	}
	return r
}

// match reports whether p matches the route's pattern and returns the
// variable. As with a regular expression ^prefix(.*)suffix$, the variable
// may be empty.
func (rt *route) match(p string) (string, bool) {
	if !rt.hasVar {
		return "", p == rt.prefix
	}
	if len(p) < len(rt.prefix)+len(rt.suffix) || !strings.HasPrefix(p, rt.prefix) || !strings.HasSuffix(p, rt.suffix) {
		return "", false
	}
	return p[len(rt.prefix) : len(p)-len(rt.suffix)], true
}

// splitVersion splits "/v1.41/containers/json" into "1.41" and
// "/containers/json", as dockerd's /v{version:[0-9.]+} prefix does.
func splitVersion(p string) (version, rest string, ok bool) {
	if !strings.HasPrefix(p, "/v") {
		return "", "", false
	}
	i := 2
	for i < len(p) && (p[i] == '.' || p[i] >= '0' && p[i] <= '9') {
		i++
	}
	if i == 2 || i == len(p) || p[i] != '/' {
		return "", "", false
	}
	return p[2:i], p[i:], true
}

// cleanPath is gorilla/mux's cleanPath: path.Clean that keeps a trailing
// slash.
func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	if p[len(p)-1] == '/' && np != "/" {
		np += "/"
	}
	return np
}

var errPageNotFound = backend.Errorf(backend.NotFound, "page not found")

// ServeHTTP routes the request as dockerd 20.10's router does: an unclean
// path is redirected (301) to its clean form; routes are tried in order, each
// with and without a /vX.Y prefix; a path that matches no route for the
// method answers 404 "page not found" without the API headers.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if cp := cleanPath(p); cp != p {
		u := *r.URL
		u.Path = cp
		w.Header().Set("Location", u.String())
		w.WriteHeader(http.StatusMovedPermanently)
		return
	}
	version, rest, versioned := splitVersion(p)
	for i := range h.routes {
		rt := &h.routes[i]
		if rt.method != r.Method {
			continue
		}
		if versioned {
			if name, ok := rt.match(rest); ok {
				h.serve(w, r, rt, vars{version: version, name: name})
				return
			}
		}
		if name, ok := rt.match(p); ok {
			h.serve(w, r, rt, vars{name: name})
			return
		}
	}
	// The catch-all /v{version}/{path:.*} keeps the version, which decides
	// the error's format.
	h.writeError(w, version, errPageNotFound)
}

// serve runs a matched route through dockerd's middlewares: the version
// check (which sets Server, Api-Version and Ostype), then the experimental
// header; a panic becomes a 500.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, rt *route, v vars) {
	rw := &responseWriter{ResponseWriter: w}
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			h.logf("panic serving %s %s: %v\n%s", r.Method, r.URL.Path, p, debug.Stack())
			err := backend.Errorf(backend.Internal, "panic: %v", p)
			switch {
			case rw.hijacked():
				rw.closeHijacked()
			case !rw.started.Load():
				h.writeError(rw, v.version, err)
			}
		}
	}()

	w.Header().Set("Server", h.server)
	w.Header().Set("Api-Version", wire.APIVersion)
	w.Header().Set("Ostype", "linux")
	requested := v.version
	if v.version == "" {
		v.version = wire.APIVersion
	}
	var err error
	switch {
	case versionLess(v.version, wire.MinAPIVersion):
		err = backend.Errorf(backend.InvalidParameter, "client version %s is too old. Minimum supported API version is %s, please upgrade your client to a newer version", v.version, wire.MinAPIVersion)
	case compareVersions(v.version, wire.APIVersion) > 0:
		err = backend.Errorf(backend.InvalidParameter, "client version %s is too new. Maximum supported API version is %s", v.version, wire.APIVersion)
	default:
		w.Header().Set("Docker-Experimental", h.experimental)
		err = rt.h(r.Context(), rw, r, v)
	}
	if err == nil {
		return
	}
	if status := backend.CodeOf(err).HTTPStatus(); status >= 500 {
		h.logf("Handler for %s %s returned error: %v", r.Method, r.URL.Path, err)
	}
	if rw.started.Load() || rw.hijacked() {
		h.logf("error after the answer started, %s %s: %v", r.Method, r.URL.Path, err)
		return
	}
	h.writeError(rw, requested, err)
}

// writeError answers with err's status and {"message": "..."}, or with
// plain text for clients older than API 1.24, as dockerd's makeErrorHandler.
func (h *Handler) writeError(w http.ResponseWriter, version string, err error) {
	status := backend.CodeOf(err).HTTPStatus()
	if version == "" || compareVersions(version, "1.23") > 0 {
		_ = writeJSON(w, status, &wire.ErrorResponse{Message: err.Error()})
		return
	}
	http.Error(w, err.Error(), status)
}

// responseWriter remembers whether the answer started and whether the
// connection was hijacked, so that errors and panics are answered only when
// they still can be. It passes Flush and Hijack through.
type responseWriter struct {
	http.ResponseWriter
	started atomic.Bool

	mu   sync.Mutex
	conn net.Conn // once hijacked
}

func (w *responseWriter) WriteHeader(status int) {
	if status >= 200 || status == http.StatusSwitchingProtocols {
		w.started.Store(true)
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *responseWriter) Write(p []byte) (int, error) {
	w.started.Store(true)
	return w.ResponseWriter.Write(p)
}

// Flush sends the status and headers, and what was written so far.
func (w *responseWriter) Flush() {
	w.started.Store(true)
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack takes the connection over (see http.Hijacker).
func (w *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	w.mu.Lock()
	w.conn = conn
	w.mu.Unlock()
	return conn, brw, nil
}

// Unwrap returns the wrapped writer, for http.ResponseController.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *responseWriter) hijacked() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.conn != nil
}

func (w *responseWriter) closeHijacked() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.conn != nil {
		w.conn.Close()
	}
}

// notImplemented is the answer of a route the engine offers no method for.
func notImplemented(what string) handlerFunc {
	return func(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
		return backend.Errorf(backend.NotImplemented, "not implemented: %s", what)
	}
}
