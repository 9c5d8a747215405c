package stream

// Adapted from github.com/docker/docker/pkg/ioutils (v20.10.24, WriteFlusher),
// Apache License 2.0.

import (
	"io"
	"net/http"
	"sync"
)

// WriteFlusher writes to a streamed HTTP response and flushes after every
// Write, so that each message reaches the client at once. Until the first
// Write or Flush nothing has been sent: a handler may still answer with an
// error status (see Flushed). After Close, Write returns io.EOF.
type WriteFlusher struct {
	mu      sync.Mutex
	w       io.Writer
	flush   func()
	flushed bool
	closed  bool
}

// NewWriteFlusher returns a WriteFlusher over w. w is flushed with its
// Flush method (http.Flusher), or through http.NewResponseController when w
// is an http.ResponseWriter that only unwraps to a flusher; otherwise
// flushing does nothing.
func NewWriteFlusher(w io.Writer) *WriteFlusher {
	wf := &WriteFlusher{w: w, flush: func() {}}
	switch f := w.(type) {
	case http.Flusher:
		wf.flush = f.Flush
	case interface{ Flush() error }:
		wf.flush = func() { _ = f.Flush() }
	case http.ResponseWriter:
		rc := http.NewResponseController(f)
		wf.flush = func() { _ = rc.Flush() }
	}
	return wf
}

// Write writes p and flushes.
func (wf *WriteFlusher) Write(p []byte) (int, error) {
	wf.mu.Lock()
	defer wf.mu.Unlock()
	if wf.closed {
		return 0, io.EOF
	}
	n, err := wf.w.Write(p)
	wf.flushed = true
	wf.flush()
	return n, err
}

// Flush sends what was written so far, and the response's status and
// headers if nothing was written yet.
func (wf *WriteFlusher) Flush() {
	wf.mu.Lock()
	defer wf.mu.Unlock()
	if wf.closed {
		return
	}
	wf.flushed = true
	wf.flush()
}

// Flushed reports whether anything was written or flushed: once it is true,
// the response has started and errors must travel in the stream.
func (wf *WriteFlusher) Flushed() bool {
	wf.mu.Lock()
	defer wf.mu.Unlock()
	return wf.flushed
}

// Close stops further writes and flushes; it does not close the underlying
// writer. Closing twice returns io.EOF.
func (wf *WriteFlusher) Close() error {
	wf.mu.Lock()
	defer wf.mu.Unlock()
	if wf.closed {
		return io.EOF
	}
	wf.closed = true
	return nil
}
