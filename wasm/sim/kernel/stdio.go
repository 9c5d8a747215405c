package kernel

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/wasm/sim/vfs"
)

// ContextReader is a reader whose blocking reads end early, with ctx's
// error, when ctx is done. The kernel's terminals are ContextReaders; other
// readers are made interruptible with a helper goroutine per pending read.
type ContextReader interface {
	ReadContext(ctx context.Context, b []byte) (int, error)
}

// ContextWriter is a writer whose blocking writes end early when ctx is done.
type ContextWriter interface {
	WriteContext(ctx context.Context, b []byte) (int, error)
}

// enter is the start of every kernel call: a frozen or stopped process
// blocks here until it thaws or continues; a killed process gets EINTR.
func (p *Process) enter() error {
	k := p.k
	k.mu.Lock()
	defer k.mu.Unlock()
	for p.state == stateRunning && p.killSig == 0 && (p.cg.frozen || p.stopped) {
		p.gated = true
		p.markIdleLocked()
		k.cond.Wait()
	}
	p.gated = false
	p.calls++
	if p.killSig != 0 {
		return syscall.EINTR
	}
	return nil
}

// block marks the process as sleeping in a kernel call (state S) until the
// returned function is called.
func (p *Process) block() func() {
	p.k.mu.Lock()
	p.waiting++
	p.markIdleLocked()
	p.k.mu.Unlock()
	return func() {
		p.k.mu.Lock()
		p.waiting--
		p.k.mu.Unlock()
	}
}

// interrupted turns a context error into EINTR.
func interrupted(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return syscall.EINTR
	}
	return err
}

// procReader is a process's standard input as its program sees it.
type procReader struct {
	p *Process
	r io.Reader // nil: end-of-file
}

func (r *procReader) Read(b []byte) (int, error) {
	if err := r.p.enter(); err != nil {
		return 0, err
	}
	if r.r == nil {
		return 0, io.EOF
	}
	if len(b) == 0 {
		return 0, nil
	}
	done := r.p.block()
	var n int
	var err error
	if cr, ok := r.r.(ContextReader); ok {
		n, err = cr.ReadContext(r.p.ctx, b)
	} else {
		n, err = r.r.Read(b)
	}
	done()
	// A process frozen while it waited does not return before it thaws.
	if gerr := r.p.enter(); gerr != nil && n == 0 {
		return 0, gerr
	}
	return n, interrupted(err)
}

// procWriter is a process's standard output or error as its program sees it.
type procWriter struct {
	p *Process
	w io.Writer // nil: discard
}

func (w *procWriter) Write(b []byte) (int, error) {
	if err := w.p.enter(); err != nil {
		return 0, err
	}
	if w.w == nil {
		return len(b), nil
	}
	var n int
	var err error
	if cw, ok := w.w.(ContextWriter); ok {
		done := w.p.block()
		n, err = cw.WriteContext(w.p.ctx, b)
		done()
	} else {
		n, err = w.w.Write(b)
	}
	if errors.Is(err, io.ErrClosedPipe) || errors.Is(err, syscall.EPIPE) {
		// Writing to a pipe nobody reads raises SIGPIPE.
		w.p.k.mu.Lock()
		w.p.k.sendLocked(nil, w.p, backend.SIGPIPE)
		w.p.k.mu.Unlock()
		return n, syscall.EPIPE
	}
	return n, interrupted(err)
}

// underlying returns the stream behind a process's own stdio wrapper, so
// that a child given its parent's stream gets the stream itself.
func underlyingReader(r io.Reader) io.Reader {
	if pr, ok := r.(*procReader); ok {
		return pr.r
	}
	return r
}

func underlyingWriter(w io.Writer) io.Writer {
	if pw, ok := w.(*procWriter); ok {
		return pw.w
	}
	return w
}

// interruptible makes r's reads interruptible, unless it is already.
func interruptible(r io.Reader) io.Reader {
	switch r.(type) {
	case nil:
		return nil
	case ContextReader:
		return r
	}
	return &asyncReader{r: r}
}

// asyncReader makes a plain reader's reads interruptible: a helper goroutine
// performs each underlying read, and bytes it gets after the reader gave up
// wait for the next read, so nothing is lost.
type asyncReader struct {
	r      io.Reader
	closed chan struct{} // closed by Input.Close; nil for other readers
	mu     sync.Mutex
	buf    []byte
	err    error
	busy   chan struct{} // closed when the read in flight completes; nil when idle
}

// ReadContext reads from the underlying reader, giving up when ctx is done.
func (a *asyncReader) ReadContext(ctx context.Context, b []byte) (int, error) {
	for {
		a.mu.Lock()
		if len(a.buf) > 0 {
			n := copy(b, a.buf)
			a.buf = a.buf[n:]
			a.mu.Unlock()
			return n, nil
		}
		if a.err != nil {
			err := a.err
			a.mu.Unlock()
			return 0, err
		}
		if a.busy == nil {
			a.busy = make(chan struct{})
			go a.pump(min(max(len(b), 512), 32<<10), a.busy)
		}
		busy := a.busy
		a.mu.Unlock()
		select {
		case <-busy:
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-a.closed:
			return 0, io.EOF
		}
	}
}

func (a *asyncReader) Read(b []byte) (int, error) {
	return a.ReadContext(context.Background(), b)
}

func (a *asyncReader) pump(size int, busy chan struct{}) {
	buf := make([]byte, size)
	n, err := a.r.Read(buf)
	a.mu.Lock()
	a.buf = append(a.buf, buf[:n]...)
	if err != nil {
		a.err = err
	}
	a.busy = nil
	a.mu.Unlock()
	close(busy)
}

// Input is standard input fed from outside the machine (a client's
// stream): its reads are interruptible, and Close ends them with
// end-of-file even while the source blocks, as closing a process's stdin
// pipe does.
type Input struct {
	asyncReader
	once sync.Once
}

// NewInput returns an Input reading r.
func NewInput(r io.Reader) *Input {
	return &Input{asyncReader: asyncReader{r: r, closed: make(chan struct{})}}
}

// Close makes reads return end-of-file once what was read is consumed.
func (in *Input) Close() error {
	in.once.Do(func() {
		in.mu.Lock()
		if in.err == nil {
			in.err = io.EOF
		}
		in.mu.Unlock()
		close(in.closed)
	})
	return nil
}

// gatedFS is a process's filesystem: every call is a kernel call, so a
// frozen or stopped process blocks there.
type gatedFS struct {
	p  *Process
	fs vfs.FS
}

func (g *gatedFS) Stat(name string) (fs.FileInfo, error) {
	if err := g.p.enter(); err != nil {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: err}
	}
	real, self := g.p.procSelf(name)
	fi, err := g.fs.Stat(real)
	return fi, selfErr(err, name, self)
}

func (g *gatedFS) Lstat(name string) (fs.FileInfo, error) {
	if err := g.p.enter(); err != nil {
		return nil, &fs.PathError{Op: "lstat", Path: name, Err: err}
	}
	real, self := g.p.procSelf(name)
	fi, err := g.fs.Lstat(real)
	return fi, selfErr(err, name, self)
}

func (g *gatedFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if err := g.p.enter(); err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: err}
	}
	real, self := g.p.procSelf(name)
	ents, err := g.fs.ReadDir(real)
	return ents, selfErr(err, name, self)
}

func (g *gatedFS) Readlink(name string) (string, error) {
	if err := g.p.enter(); err != nil {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: err}
	}
	real, self := g.p.procSelf(name)
	target, err := g.fs.Readlink(real)
	return target, selfErr(err, name, self)
}

func (g *gatedFS) OpenFile(name string, flag int, perm fs.FileMode) (vfs.File, error) {
	if err := g.p.enter(); err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	g.p.k.mu.Lock()
	umask := g.p.umask
	g.p.k.mu.Unlock()
	real, self := g.p.procSelf(name)
	f, err := g.fs.OpenFile(real, flag, perm&^umask)
	if err != nil {
		return nil, selfErr(err, name, self)
	}
	return &gatedFile{p: g.p, File: f}, nil
}

// procSelf turns /proc/self (and /proc/thread-self) into /proc/PID, the
// process's PID in its namespace, as procfs resolves them for the caller.
// It reports whether it did.
func (p *Process) procSelf(name string) (string, bool) {
	clean := strings.TrimPrefix(name, "/")
	for _, self := range []string{"proc/self", "proc/thread-self"} {
		if rest, ok := strings.CutPrefix(clean, self); ok && (rest == "" || rest[0] == '/') {
			return "/proc/" + strconv.Itoa(p.NSPID()) + rest, true
		}
	}
	return name, false
}

// selfErr names the path the program gave in an error about a rewritten one.
func selfErr(err error, name string, self bool) error {
	var pe *fs.PathError
	if self && errors.As(err, &pe) {
		return &fs.PathError{Op: pe.Op, Path: name, Err: pe.Err}
	}
	return err
}

func (g *gatedFS) Mkdir(name string, perm fs.FileMode) error {
	return g.call("mkdir", name, func() error {
		g.p.k.mu.Lock()
		umask := g.p.umask
		g.p.k.mu.Unlock()
		return g.fs.Mkdir(name, perm&^umask)
	})
}

func (g *gatedFS) Remove(name string) error {
	return g.call("unlink", name, func() error { return g.fs.Remove(name) })
}

func (g *gatedFS) Rename(oldname, newname string) error {
	return g.call("rename", oldname, func() error { return g.fs.Rename(oldname, newname) })
}

func (g *gatedFS) Symlink(target, name string) error {
	return g.call("symlink", name, func() error { return g.fs.Symlink(target, name) })
}

func (g *gatedFS) Link(oldname, newname string) error {
	return g.call("link", newname, func() error { return g.fs.Link(oldname, newname) })
}

func (g *gatedFS) Chmod(name string, mode fs.FileMode) error {
	return g.call("chmod", name, func() error { return g.fs.Chmod(name, mode) })
}

func (g *gatedFS) Lchown(name string, uid, gid int) error {
	return g.call("lchown", name, func() error { return g.fs.Lchown(name, uid, gid) })
}

func (g *gatedFS) Chtimes(name string, atime, mtime time.Time) error {
	return g.call("utimes", name, func() error { return g.fs.Chtimes(name, atime, mtime) })
}

func (g *gatedFS) Mknod(name string, mode fs.FileMode, dev uint64) error {
	return g.call("mknod", name, func() error { return g.fs.Mknod(name, mode, dev) })
}

func (g *gatedFS) call(op, name string, f func() error) error {
	if err := g.p.enter(); err != nil {
		return &fs.PathError{Op: op, Path: name, Err: err}
	}
	return f()
}

// gatedFile is a file a process opened.
type gatedFile struct {
	p *Process
	vfs.File
}

func (f *gatedFile) Read(b []byte) (int, error) {
	if err := f.p.enter(); err != nil {
		return 0, err
	}
	if cr, ok := f.File.(ContextReader); ok {
		// A terminal or pipe: the read may block.
		done := f.p.block()
		n, err := cr.ReadContext(f.p.ctx, b)
		done()
		return n, interrupted(err)
	}
	return f.File.Read(b)
}

func (f *gatedFile) ReadAt(b []byte, off int64) (int, error) {
	if err := f.p.enter(); err != nil {
		return 0, err
	}
	return f.File.ReadAt(b, off)
}

func (f *gatedFile) Write(b []byte) (int, error) {
	if err := f.p.enter(); err != nil {
		return 0, err
	}
	return f.File.Write(b)
}

func (f *gatedFile) Seek(off int64, whence int) (int64, error) {
	if err := f.p.enter(); err != nil {
		return 0, err
	}
	return f.File.Seek(off, whence)
}

func (f *gatedFile) Truncate(size int64) error {
	if err := f.p.enter(); err != nil {
		return err
	}
	return f.File.Truncate(size)
}
