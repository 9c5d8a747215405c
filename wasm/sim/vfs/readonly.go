package vfs

import (
	"io/fs"
	"os"
	"syscall"
	"time"
)

// ReadOnly returns a view of fsys that refuses every change with EROFS, as
// a read-only mount does: `-v /host:/h:ro`, a read-only root filesystem.
// Checks that come first on Linux still come first: a missing parent is
// ENOENT, a missing file opened without O_CREATE is ENOENT.
func ReadOnly(fsys FS) FS { return readOnly{fsys} }

type readOnly struct{ fs FS }

func (r readOnly) Stat(name string) (fs.FileInfo, error)      { return r.fs.Stat(name) }
func (r readOnly) Lstat(name string) (fs.FileInfo, error)     { return r.fs.Lstat(name) }
func (r readOnly) ReadDir(name string) ([]fs.DirEntry, error) { return r.fs.ReadDir(name) }
func (r readOnly) Readlink(name string) (string, error)       { return r.fs.Readlink(name) }

func (r readOnly) OpenFile(name string, flag int, perm fs.FileMode) (File, error) {
	acc := flag & (os.O_RDONLY | os.O_WRONLY | os.O_RDWR)
	if acc == os.O_RDONLY && flag&(os.O_CREATE|os.O_TRUNC) == 0 {
		return r.fs.OpenFile(name, flag, perm)
	}
	// open(2) on a read-only filesystem: an existing file is EROFS (or
	// EISDIR for a directory), a missing one EROFS with O_CREAT, else
	// the lookup's error.
	fi, err := r.fs.Stat(name)
	switch {
	case err == nil && fi.IsDir():
		return nil, pathErr("open", name, syscall.EISDIR)
	case err == nil, flag&os.O_CREATE != 0 && errnoIs(err, syscall.ENOENT) && r.parentExists(name):
		return nil, pathErr("open", name, syscall.EROFS)
	}
	return nil, err
}

// parentExists reports whether the directory holding name exists, so that
// creating name would reach the filesystem (and fail with EROFS).
func (r readOnly) parentExists(name string) bool {
	fi, err := r.fs.Stat(parentOf(name))
	return err == nil && fi.IsDir()
}

// parentOf returns name's directory for a lookup: "name/.." would follow a
// symlink in the last component, so it cuts the last component instead.
func parentOf(name string) string {
	name = trimSlash(name)
	for i := len(name) - 1; i >= 0; i-- {
		if name[i] == '/' {
			if i == 0 {
				return "/"
			}
			return name[:i]
		}
	}
	return "/"
}

// create fails as creating name on a read-only filesystem does: EEXIST
// when it exists, EROFS when its parent does, else the lookup's error.
func (r readOnly) create(op, name string) error {
	if _, err := r.fs.Lstat(name); err == nil {
		return pathErr(op, name, syscall.EEXIST)
	} else if !errnoIs(err, syscall.ENOENT) {
		return retag(err, op)
	}
	if !r.parentExists(name) {
		_, err := r.fs.Stat(parentOf(name))
		if err == nil {
			return pathErr(op, name, syscall.ENOTDIR)
		}
		return retag(err, op)
	}
	return pathErr(op, name, syscall.EROFS)
}

// change fails as changing an existing name does: EROFS, or the lookup's
// error.
func (r readOnly) change(op, name string, follow bool) error {
	var err error
	if follow {
		_, err = r.fs.Stat(name)
	} else {
		_, err = r.fs.Lstat(name)
	}
	if err != nil {
		return retag(err, op)
	}
	return pathErr(op, name, syscall.EROFS)
}

func (r readOnly) Mkdir(name string, perm fs.FileMode) error { return r.create("mkdir", name) }
func (r readOnly) Remove(name string) error                  { return r.change("unlink", name, false) }
func (r readOnly) Rename(oldname, newname string) error      { return r.change("rename", oldname, false) }
func (r readOnly) Symlink(target, name string) error         { return r.create("symlink", name) }
func (r readOnly) Link(oldname, newname string) error        { return r.create("link", newname) }
func (r readOnly) Chmod(name string, mode fs.FileMode) error { return r.change("chmod", name, true) }
func (r readOnly) Lchown(name string, uid, gid int) error    { return r.change("lchown", name, false) }
func (r readOnly) Chtimes(name string, atime, mtime time.Time) error {
	return r.change("utimes", name, true)
}
func (r readOnly) Mknod(name string, mode fs.FileMode, dev uint64) error {
	return r.create("mknod", name)
}

func errnoIs(err error, e syscall.Errno) bool {
	pe, ok := err.(*fs.PathError)
	if ok {
		err = pe.Err
	}
	got, ok := err.(syscall.Errno)
	return ok && got == e
}

// retag returns err with op as its operation.
func retag(err error, op string) error {
	if pe, ok := err.(*fs.PathError); ok && pe.Op != op {
		return &fs.PathError{Op: op, Path: pe.Path, Err: pe.Err}
	}
	return err
}
