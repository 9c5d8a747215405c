package transport

import (
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// newPipe returns the two ends of an in-memory, buffered, full-duplex
// connection. Unlike net.Pipe, each end can close its write side alone
// (CloseWrite), which hijacked attach and exec streams use to send end of
// input, and reads honour deadlines, which net/http uses to abort a pending
// read.
func newPipe() (*pipeConn, *pipeConn) {
	ab, ba := newHalfPipe(), newHalfPipe()
	return &pipeConn{r: ba, w: ab}, &pipeConn{r: ab, w: ba}
}

// halfPipe carries bytes in one direction.
type halfPipe struct {
	mu       sync.Mutex
	cond     *sync.Cond
	buf      []byte
	wclosed  bool  // the writer will send nothing more: readers get EOF
	werr     error // what readers get instead of EOF, if not nil
	rclosed  bool  // the reader is gone: writers get an error
	rerr     error // what readers get instead of net.ErrClosed, if not nil
	deadline time.Time
	timer    *time.Timer
}

func newHalfPipe() *halfPipe {
	p := &halfPipe{}
	p.cond = sync.NewCond(&p.mu)
	return p
}

// maxBuffered bounds what a writer may get ahead of its reader.
const maxBuffered = 1 << 20

func (p *halfPipe) read(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.buf) == 0 {
		switch {
		case p.rclosed && p.rerr != nil:
			return 0, p.rerr
		case p.rclosed:
			return 0, net.ErrClosed
		case p.wclosed && p.werr != nil:
			return 0, p.werr
		case p.wclosed:
			return 0, io.EOF
		case !p.deadline.IsZero() && !time.Now().Before(p.deadline):
			return 0, os.ErrDeadlineExceeded
		}
		p.cond.Wait()
	}
	n := copy(b, p.buf)
	p.buf = p.buf[n:]
	if len(p.buf) == 0 {
		p.buf = nil
	}
	p.cond.Broadcast()
	return n, nil
}

func (p *halfPipe) write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	written := 0
	for len(b) > 0 {
		for len(p.buf) >= maxBuffered && !p.rclosed && !p.wclosed {
			p.cond.Wait()
		}
		if p.rclosed || p.wclosed {
			return written, io.ErrClosedPipe
		}
		n := min(len(b), maxBuffered-len(p.buf))
		p.buf = append(p.buf, b[:n]...)
		b = b[n:]
		written += n
		p.cond.Broadcast()
	}
	return written, nil
}

func (p *halfPipe) closeWrite() {
	p.mu.Lock()
	p.wclosed = true
	p.cond.Broadcast()
	p.mu.Unlock()
}

// closeWriteError is closeWrite, readers getting err after what was
// written instead of EOF.
func (p *halfPipe) closeWriteError(err error) {
	p.mu.Lock()
	if !p.wclosed {
		p.wclosed, p.werr = true, err
	}
	p.cond.Broadcast()
	p.mu.Unlock()
}

// closeReadError is closeRead, readers getting err at once, what was
// written but not read being dropped.
func (p *halfPipe) closeReadError(err error) {
	p.mu.Lock()
	if !p.rclosed {
		p.rclosed, p.rerr = true, err
	}
	p.buf = nil
	p.cond.Broadcast()
	p.mu.Unlock()
}

func (p *halfPipe) closeRead() {
	p.mu.Lock()
	p.rclosed = true
	p.buf = nil
	p.cond.Broadcast()
	p.mu.Unlock()
}

func (p *halfPipe) setReadDeadline(t time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.deadline = t
	if p.timer != nil {
		p.timer.Stop()
		p.timer = nil
	}
	if !t.IsZero() {
		if d := time.Until(t); d > 0 {
			p.timer = time.AfterFunc(d, func() {
				p.mu.Lock()
				p.cond.Broadcast()
				p.mu.Unlock()
			})
		}
	}
	p.cond.Broadcast()
}

// pipeConn is one end of a pipe: a net.Conn with CloseWrite.
type pipeConn struct {
	r, w *halfPipe
	once sync.Once
}

var _ net.Conn = (*pipeConn)(nil)

func (c *pipeConn) Read(b []byte) (int, error)  { return c.r.read(b) }
func (c *pipeConn) Write(b []byte) (int, error) { return c.w.write(b) }

// CloseWrite ends what this end sends; the peer reads end-of-file.
func (c *pipeConn) CloseWrite() error {
	c.w.closeWrite()
	return nil
}

// CloseRead stops reading; the peer's writes fail.
func (c *pipeConn) CloseRead() error {
	c.r.closeRead()
	return nil
}

// Close closes both directions.
func (c *pipeConn) Close() error {
	c.once.Do(func() {
		c.w.closeWrite()
		c.r.closeRead()
	})
	return nil
}

func (c *pipeConn) LocalAddr() net.Addr  { return pipeAddr{} }
func (c *pipeConn) RemoteAddr() net.Addr { return pipeAddr{} }

// SetDeadline sets the read deadline; writes into the buffer do not block
// long, so write deadlines are not needed.
func (c *pipeConn) SetDeadline(t time.Time) error { return c.SetReadDeadline(t) }

// SetReadDeadline makes pending and later reads fail with
// os.ErrDeadlineExceeded once t passes.
func (c *pipeConn) SetReadDeadline(t time.Time) error {
	c.r.setReadDeadline(t)
	return nil
}

// SetWriteDeadline is accepted and ignored.
func (c *pipeConn) SetWriteDeadline(t time.Time) error { return nil }
