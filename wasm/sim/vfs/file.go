package vfs

import (
	"io"
	"io/fs"
	"os"
	"syscall"
)

// maxFileSize bounds a file's size, as a filesystem's limits do.
const maxFileSize = 1 << 40

// file is an open file of a Tree or Union. It keeps its inode: a file
// unlinked or renamed while open stays readable, as on Linux. A file opened
// read-only in a union keeps reading the lower layer's content even if the
// path is copied up later, as overlayfs does.
type file struct {
	c      *core
	n      *inode
	name   string
	flag   int
	off    int64
	closed bool
}

var _ File = (*file)(nil)

func (f *file) Name() string { return f.name }

func (f *file) readable() bool { return f.flag&(os.O_WRONLY|os.O_RDWR) != os.O_WRONLY }
func (f *file) writable() bool { return f.flag&(os.O_WRONLY|os.O_RDWR) != 0 }

func (f *file) check(op string) error {
	if f.closed {
		return pathErr(op, f.name, syscall.EBADF)
	}
	return nil
}

func (f *file) Read(p []byte) (int, error) {
	f.c.mu.Lock()
	defer f.c.mu.Unlock()
	n, err := f.readAt(p, f.off)
	f.off += int64(n)
	return n, err
}

func (f *file) ReadAt(p []byte, off int64) (int, error) {
	f.c.mu.Lock()
	defer f.c.mu.Unlock()
	if off < 0 {
		return 0, pathErr("read", f.name, syscall.EINVAL)
	}
	n, err := f.readAt(p, off)
	if err == nil && n < len(p) {
		err = io.EOF
	}
	return n, err
}

func (f *file) readAt(p []byte, off int64) (int, error) {
	if err := f.check("read"); err != nil {
		return 0, err
	}
	if !f.readable() {
		return 0, pathErr("read", f.name, syscall.EBADF)
	}
	if f.n.isDir() {
		return 0, pathErr("read", f.name, syscall.EISDIR)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if off >= int64(len(f.n.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.n.data[off:])
	f.c.touchAtime(f.n)
	return n, nil
}

func (f *file) Write(p []byte) (int, error) {
	f.c.mu.Lock()
	defer f.c.mu.Unlock()
	if err := f.check("write"); err != nil {
		return 0, err
	}
	if !f.writable() {
		return 0, pathErr("write", f.name, syscall.EBADF)
	}
	if f.flag&os.O_APPEND != 0 {
		f.off = int64(len(f.n.data))
	}
	n, err := f.writeAt(p, f.off)
	f.off += int64(n)
	return n, err
}

func (f *file) writeAt(p []byte, off int64) (int, error) {
	if !f.n.isRegular() {
		// Device nodes, FIFOs and sockets of an in-memory tree have no
		// driver behind them: writes vanish. The kernel mounts the real
		// devices (see Synth).
		return len(p), nil
	}
	end := off + int64(len(p))
	if end > maxFileSize {
		return 0, pathErr("write", f.name, syscall.EFBIG)
	}
	n := f.n
	n.ownData()
	if end > int64(len(n.data)) {
		if end <= int64(cap(n.data)) {
			n.data = n.data[:end]
		} else {
			grown := make([]byte, end, growCap(end))
			copy(grown, n.data)
			n.data = grown
		}
	}
	copy(n.data[off:], p)
	if len(p) > 0 {
		now := f.c.clock.now()
		n.mtime, n.ctime = now, now
	}
	return len(p), nil
}

// growCap leaves room to append without copying each time, but little
// for large files: memory is what the browser has.
func growCap(n int64) int64 {
	if n < 4096 {
		return n * 2
	}
	return n + n/8
}

func (f *file) Seek(offset int64, whence int) (int64, error) {
	f.c.mu.Lock()
	defer f.c.mu.Unlock()
	if err := f.check("seek"); err != nil {
		return 0, err
	}
	var base int64
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		base = f.off
	case io.SeekEnd:
		base = f.n.size()
	default:
		return 0, pathErr("seek", f.name, syscall.EINVAL)
	}
	if base+offset < 0 {
		return 0, pathErr("seek", f.name, syscall.EINVAL)
	}
	f.off = base + offset
	return f.off, nil
}

func (f *file) Close() error {
	f.c.mu.Lock()
	defer f.c.mu.Unlock()
	if f.closed {
		return pathErr("close", f.name, syscall.EBADF)
	}
	f.closed = true
	return nil
}

func (f *file) Stat() (fs.FileInfo, error) {
	f.c.mu.Lock()
	defer f.c.mu.Unlock()
	if err := f.check("stat"); err != nil {
		return nil, err
	}
	nlink := f.n.nlink
	if f.n.isDir() && f.c.ov {
		nlink = 1
	}
	return f.n.info(baseName(f.name), f.c.dev, nlink), nil
}

func (f *file) Truncate(size int64) error {
	f.c.mu.Lock()
	defer f.c.mu.Unlock()
	if err := f.check("truncate"); err != nil {
		return err
	}
	if size < 0 || !f.writable() || !f.n.isRegular() {
		return pathErr("truncate", f.name, syscall.EINVAL)
	}
	if size > maxFileSize {
		return pathErr("truncate", f.name, syscall.EFBIG)
	}
	n := f.n
	if size != int64(len(n.data)) {
		n.ownData()
		if size < int64(len(n.data)) {
			clear(n.data[size:])
			n.data = n.data[:size]
		} else {
			grown := make([]byte, size)
			copy(grown, n.data)
			n.data = grown
		}
	}
	now := f.c.clock.now()
	n.mtime, n.ctime = now, now
	return nil
}
