package shell

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"strings"
	"syscall"

	"mvdan.cc/sh/v3/interp"

	"github.com/twinbox-dev/twinbox/wasm/sim/applets"
	"github.com/twinbox-dev/twinbox/wasm/sim/vfs"
)

var errIsDir = syscall.EISDIR

// strerror is glibc's text for err's errno.
func strerror(err error) string { return applets.Strerror(err) }

// open is the runner's OpenHandler: redirections open files of the
// process's filesystem. Failures are reported as ash does: "can't open
// FILE: no such file" for input, "can't create FILE: nonexistent
// directory" for output, strerror(3) for other errors.
func (sh *shell) open(ctx context.Context, name string, flag int, perm os.FileMode) (io.ReadWriteCloser, error) {
	hc := interp.HandlerCtx(ctx)
	if src, ok := sh.sources.take(name); ok {
		return nopWriteCloser{strings.NewReader(src)}, nil
	}
	if name == "" {
		return nil, sh.openError(flag, name, syscall.ENOENT)
	}
	p := sh.abs(hc.Dir, name)
	if flag&os.O_CREATE != 0 {
		perm &^= sh.umask()
	}
	f, err := sh.p.FS().OpenFile(p, flag, perm)
	if err != nil {
		return nil, sh.openError(flag, name, err)
	}
	if flag&(os.O_WRONLY|os.O_RDWR) != 0 {
		if fi, err := f.Stat(); err == nil && fi.IsDir() {
			f.Close()
			return nil, sh.openError(flag, name, syscall.EISDIR)
		}
	}
	return &vfsFile{File: f}, nil
}

// openError is the *os.PathError the interpreter prints for a failed
// redirection; its text is ash's message.
func (sh *shell) openError(flag int, name string, err error) error {
	e := applets.Errno(err)
	what, text := "open", "no such file"
	if flag&(os.O_WRONLY|os.O_RDWR) != 0 {
		what, text = "create", "nonexistent directory"
	}
	if e != syscall.ENOENT && e != syscall.ENOTDIR {
		text = strerror(err)
	}
	return &os.PathError{Op: sh.prefix("") + "can't " + what, Path: name, Err: errors.New(text)}
}

// vfsFile adapts a vfs.File to what the runner wants from a redirection.
type vfsFile struct{ vfs.File }

type nopWriteCloser struct{ io.Reader }

func (nopWriteCloser) Write(b []byte) (int, error) { return 0, syscall.EBADF }
func (nopWriteCloser) Close() error                { return nil }

// stat is the runner's StatHandler.
func (sh *shell) stat(ctx context.Context, name string, follow bool) (fs.FileInfo, error) {
	if name == "" {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: syscall.ENOENT}
	}
	hc := interp.HandlerCtx(ctx)
	p := sh.abs(hc.Dir, name)
	if follow {
		return sh.p.FS().Stat(p)
	}
	return sh.p.FS().Lstat(p)
}

// readDir is the runner's ReadDirHandler2, used for globbing.
func (sh *shell) readDir(ctx context.Context, name string) ([]fs.DirEntry, error) {
	hc := interp.HandlerCtx(ctx)
	return sh.p.FS().ReadDir(sh.abs(hc.Dir, name))
}

// access is the runner's AccessHandler: access(2) for the process's
// credentials against the file's mode bits.
func (sh *shell) access(ctx context.Context, name string, mode interp.AccessMode) error {
	hc := interp.HandlerCtx(ctx)
	p := sh.abs(hc.Dir, name)
	fi, err := sh.p.FS().Stat(p)
	if err != nil {
		return err
	}
	if !sh.accessOK(fi, mode) {
		return &fs.PathError{Op: "access", Path: name, Err: syscall.EACCES}
	}
	return nil
}

// accessOK checks permission bits as the kernel does for the process's
// credentials; root passes except for execute, which needs an x bit
// somewhere (or a directory).
func (sh *shell) accessOK(fi fs.FileInfo, mode interp.AccessMode) bool {
	cred := sh.p.Cred()
	perm := fi.Mode().Perm()
	if cred.UID == 0 {
		if mode&interp.AccessExec != 0 && !fi.IsDir() && perm&0o111 == 0 {
			return false
		}
		return true
	}
	st := vfs.StatOf(fi)
	var bits fs.FileMode
	switch {
	case st.UID == cred.UID:
		bits = perm >> 6
	case st.GID == cred.GID || containsInt(cred.Groups, st.GID):
		bits = perm >> 3
	default:
		bits = perm
	}
	bits &= 7
	return fs.FileMode(mode)&^bits == 0
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// umask is the file creation mask for the shell's own redirections.
func (sh *shell) umask() fs.FileMode {
	if sh.umaskSet {
		return sh.umaskVal
	}
	return sh.p.Umask()
}
