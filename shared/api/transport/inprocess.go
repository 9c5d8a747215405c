package transport

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
)

// InProcess carries requests to an http.Handler in this process by calling
// its ServeHTTP: no connection, no HTTP encoding of the request or of the
// answer's head, and no net/http client or server (so that a program that
// uses only InProcess, the browser build, does not link them, nor TLS).
//
//	t := transport.NewInProcess(router)
//	resp, err := t.RoundTrip(req)
//
// The handler sees the request as a server would: Body never nil,
// ContentLength -1 when unknown, RequestURI set, and a context that ends
// when the client closes the answer's body or the handler returns. The
// answer's body is what the handler writes, through a buffer: it streams,
// and Flush is supported. A handler may take the connection over
// (http.Hijacker), as attach and exec do: it then gets one end of an
// in-memory connection (with CloseWrite) and writes its answer's head on it
// as it would on a socket.
type InProcess struct {
	h http.Handler
}

var _ http.RoundTripper = (*InProcess)(nil)

// NewInProcess returns a transport to h.
func NewInProcess(h http.Handler) *InProcess { return &InProcess{h: h} }

// RoundTrip calls the handler with req and returns its answer once the
// handler has written the head (WriteHeader, a first Write, Flush) or
// returned. When the handler hijacks the connection, the answer is the head
// the handler wrote on the connection, and its Body is the client's end of
// the connection: a net.Conn with CloseWrite, as net/http gives a 101
// answer's Body as an io.ReadWriteCloser. When req's context ends before
// the head, RoundTrip returns the context's error.
func (t *InProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancel(req.Context())
	w := &inProcessWriter{
		method: req.Method,
		path:   req.URL.Path,
		header: http.Header{},
		body:   newHalfPipe(),
		cancel: cancel,
		head:   make(chan inProcessHead, 1),
	}
	go w.serve(t.h, serverRequest(req, ctx))
	var head inProcessHead
	select {
	case head = <-w.head:
	case <-req.Context().Done():
		w.body.closeRead()
		cancel()
		return nil, req.Context().Err()
	}
	if head.conn == nil {
		head.resp.Request = req
		// Reads of the body fail once the request is abandoned, as over a
		// connection.
		if b, ok := head.resp.Body.(*inProcessBody); ok {
			b.stop = context.AfterFunc(req.Context(), func() {
				w.body.closeReadError(req.Context().Err())
				cancel()
			})
		}
		return head.resp, nil
	}
	// Hijacked: read the head the handler writes on the connection, unless
	// the request is abandoned first.
	stop := context.AfterFunc(req.Context(), func() { head.conn.Close() })
	br := bufio.NewReader(head.conn)
	resp, err := readHead(br, req)
	if !stop() {
		head.conn.Close()
		return nil, req.Context().Err()
	}
	if err != nil {
		head.conn.Close()
		return nil, fmt.Errorf("in-process %s %s: read hijacked answer: %w", req.Method, req.URL.Path, err)
	}
	resp.Body = &hijackedConn{pipeConn: head.conn, r: br}
	return resp, nil
}

// serverRequest returns req as a server hands it to a handler.
func serverRequest(req *http.Request, ctx context.Context) *http.Request {
	r := req.Clone(ctx)
	r.RequestURI = req.URL.RequestURI()
	r.RemoteAddr = pipeAddr{}.String()
	if r.Host == "" {
		r.Host = req.URL.Host
	}
	if r.Body == nil || r.Body == http.NoBody {
		r.Body = http.NoBody
		r.ContentLength = 0
	} else {
		r.Body = sendBody(req.Body)
		if r.ContentLength == 0 {
			r.ContentLength = -1
			r.TransferEncoding = []string{"chunked"}
		}
	}
	if r.ContentLength > 0 {
		r.Header.Set("Content-Length", strconv.FormatInt(r.ContentLength, 10))
	}
	return r
}

// sendBody returns the body the handler reads: what a goroutine reads
// from the client's body, ahead of the handler as far as a buffer allows,
// as net/http's client sends a body. (The client's reader thus meets its
// end when a server's would: docker build prints "Sending build context"
// then, whether or not the handler reads the archive to its last byte.)
// Closing it closes the client's body.
func sendBody(body io.ReadCloser) io.ReadCloser {
	p := newHalfPipe()
	b := &requestBody{p: p, body: body}
	go func() {
		buf := make([]byte, 32<<10)
		for {
			n, err := body.Read(buf)
			if n > 0 {
				if _, werr := p.write(buf[:n]); werr != nil {
					b.closeClient()
					return
				}
			}
			if err == io.EOF {
				p.closeWrite()
				b.closeClient()
				return
			}
			if err != nil {
				p.closeWriteError(err)
				b.closeClient()
				return
			}
		}
	}()
	return b
}

// requestBody is a request's body as the handler reads it.
type requestBody struct {
	p    *halfPipe
	body io.ReadCloser // the client's
	once sync.Once
}

func (b *requestBody) Read(p []byte) (int, error) { return b.p.read(p) }

// Close stops the reading of the client's body and closes it.
func (b *requestBody) Close() error {
	b.p.closeRead()
	b.closeClient()
	return nil
}

func (b *requestBody) closeClient() { b.once.Do(func() { b.body.Close() }) }

// inProcessHead is what RoundTrip waits for: an answer, or the client's end
// of a hijacked connection.
type inProcessHead struct {
	resp *http.Response
	conn *pipeConn
}

// inProcessWriter is the http.ResponseWriter of an in-process request.
//
// It keeps no *http.Request: being an interface's value, it would make the
// linker keep the certificate code that http.Request's TLS field reaches.
type inProcessWriter struct {
	method string // the request's
	path   string
	header http.Header
	body   *halfPipe // the answer's body: the handler writes, the client reads
	cancel context.CancelFunc
	head   chan inProcessHead // receives the head once

	mu       sync.Mutex
	status   int  // once the head is sent
	hijacked bool // the handler took the connection over
	done     bool // the handler returned
}

var (
	_ http.ResponseWriter = (*inProcessWriter)(nil)
	_ http.Flusher        = (*inProcessWriter)(nil)
	_ http.Hijacker       = (*inProcessWriter)(nil)
)

// serve runs the handler and ends the answer when it returns. A panic ends
// the body with an error, as net/http's server aborts the connection.
func (w *inProcessWriter) serve(h http.Handler, r *http.Request) {
	var failure error
	defer func() {
		if p := recover(); p != nil {
			failure = fmt.Errorf("in-process %s %s: handler panicked: %v", r.Method, r.URL.Path, p)
		}
		w.finish(failure)
		r.Body.Close()
	}()
	h.ServeHTTP(w, r)
}

func (w *inProcessWriter) finish(failure error) {
	w.mu.Lock()
	w.done = true
	if !w.hijacked {
		w.sendHeadLocked(http.StatusOK, nil)
	}
	w.mu.Unlock()
	if failure != nil {
		w.body.closeWriteError(failure)
	} else {
		w.body.closeWrite()
	}
	w.cancel()
}

func (w *inProcessWriter) Header() http.Header { return w.header }

// WriteHeader sends the head of the answer. Informational statuses other
// than 101 are not sent, and a second call does nothing, as in net/http.
func (w *inProcessWriter) WriteHeader(status int) {
	if status < 100 || status > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", status))
	}
	if status < 200 && status != http.StatusSwitchingProtocols {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.sendHeadLocked(status, nil)
}

// Write sends the head first (200, with a Content-Type sniffed from p
// when the handler set none) and then writes p to the body.
func (w *inProcessWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	switch {
	case w.hijacked:
		w.mu.Unlock()
		return 0, http.ErrHijacked
	case w.done:
		w.mu.Unlock()
		return 0, errors.New("in-process: write after the handler returned")
	}
	w.sendHeadLocked(http.StatusOK, p)
	noBody := w.method == http.MethodHead || !bodyAllowed(w.status)
	w.mu.Unlock()
	if noBody {
		if w.method == http.MethodHead {
			return len(p), nil
		}
		return 0, http.ErrBodyNotAllowed
	}
	n, err := w.body.write(p)
	if err != nil {
		return n, fmt.Errorf("in-process %s %s: write answer: %w", w.method, w.path, err)
	}
	return n, nil
}

// Flush sends the head if it was not sent; the body needs no flushing.
func (w *inProcessWriter) Flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.hijacked {
		w.sendHeadLocked(http.StatusOK, nil)
	}
}

// Hijack gives the handler one end of a new in-memory connection, whose
// other end RoundTrip returns to the client. It fails once the head was
// sent.
func (w *inProcessWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.hijacked:
		return nil, nil, http.ErrHijacked
	case w.status != 0 || w.done:
		return nil, nil, errors.New("in-process: hijack after the answer started")
	}
	w.hijacked = true
	client, server := newPipe()
	w.head <- inProcessHead{conn: client}
	return server, bufio.NewReadWriter(bufio.NewReader(server), bufio.NewWriter(server)), nil
}

// sendHeadLocked sends the head with status unless it was sent. first is
// the first bytes of the body, to sniff a Content-Type from.
func (w *inProcessWriter) sendHeadLocked(status int, first []byte) {
	if w.status != 0 || w.hijacked {
		return
	}
	w.status = status
	h := w.header.Clone()
	if _, ok := h["Content-Type"]; !ok && len(first) > 0 && bodyAllowed(status) && h.Get("Transfer-Encoding") == "" {
		h.Set("Content-Type", http.DetectContentType(first))
	}
	text := http.StatusText(status)
	if text == "" {
		text = "status code " + strconv.Itoa(status)
	}
	resp := &http.Response{
		Status:        strconv.Itoa(status) + " " + text,
		StatusCode:    status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          &inProcessBody{w: w},
		ContentLength: -1,
	}
	if n, err := strconv.ParseInt(h.Get("Content-Length"), 10, 64); err == nil && n >= 0 {
		resp.ContentLength = n
	}
	if w.method == http.MethodHead || !bodyAllowed(status) {
		resp.Body = http.NoBody
		resp.ContentLength = 0
		w.body.closeRead()
	}
	w.head <- inProcessHead{resp: resp}
}

// bodyAllowed reports whether an answer with status may have a body.
func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}

// inProcessBody is the answer's body as the client reads it. Closing it
// before the end ends the request's context, as a client that hangs up
// does.
type inProcessBody struct {
	w    *inProcessWriter
	stop func() bool // unregisters the abandonment of the request
	once sync.Once
}

func (b *inProcessBody) Read(p []byte) (int, error) { return b.w.body.read(p) }

func (b *inProcessBody) Close() error {
	b.once.Do(func() {
		if b.stop != nil {
			b.stop()
		}
		b.w.body.closeRead()
		b.w.cancel()
	})
	return nil
}

// hijackedConn is the client's end of a hijacked connection, reading
// through the buffer that read the answer's head.
type hijackedConn struct {
	*pipeConn
	r *bufio.Reader
}

func (c *hijackedConn) Read(b []byte) (int, error) { return c.r.Read(b) }

var _ io.ReadWriteCloser = (*hijackedConn)(nil)

// readHead reads the status line and headers of an answer written on a
// hijacked connection. (http.ReadResponse would do, but it keeps the
// certificate code reachable through http.Response's TLS field.)
func readHead(br *bufio.Reader, req *http.Request) (*http.Response, error) {
	tp := textproto.NewReader(br)
	line, err := tp.ReadLine()
	if err != nil {
		return nil, noEOF(err)
	}
	proto, status, _ := strings.Cut(line, " ")
	status = strings.TrimLeft(status, " ")
	codeText, _, _ := strings.Cut(status, " ")
	major, minor, ok := http.ParseHTTPVersion(proto)
	code, err := strconv.Atoi(codeText)
	if !ok || err != nil || len(codeText) != 3 || code < 100 {
		return nil, fmt.Errorf("malformed HTTP status line %q", line)
	}
	h, err := tp.ReadMIMEHeader()
	if err != nil {
		return nil, noEOF(err)
	}
	return &http.Response{
		Status:        status,
		StatusCode:    code,
		Proto:         proto,
		ProtoMajor:    major,
		ProtoMinor:    minor,
		Header:        http.Header(h),
		ContentLength: -1,
		Request:       req,
	}, nil
}

// noEOF turns the end of the connection within a head into an error.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
