package vfs

import (
	"hash/fnv"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"syscall"
	"time"
)

// Synth is a filesystem whose content the kernel computes when asked:
// /proc, /sys, /dev. SynthFS turns one into an FS to mount in a Namespace.
//
// Names given to a Synth are clean and absolute within it ("/" is its root,
// "/self/status"), and never pass through a symlink: SynthFS resolves
// symlinks itself (and a Namespace resolves them from the container's root,
// so /proc/self/exe can point at /bin/busybox).
type Synth interface {
	// Lookup describes the node at name, or returns false when there is
	// none.
	Lookup(name string) (SynthNode, bool)
	// ReadDir lists the names in directory name, in any order.
	ReadDir(name string) []string
	// Open opens the regular file or device at name with os.O_* flags. The
	// File is the kernel's: for /proc, content computed at open time
	// (BytesFile helps); for /dev/null, a driver. Errors: *fs.PathError,
	// EACCES for a write to a read-only file.
	Open(name string, flag int) (File, error)
}

// SynthNode describes a node of a Synth.
type SynthNode struct {
	// Mode holds the type and permission bits (fs.ModeDir|0o555 for a /proc
	// directory, fs.ModeSymlink|0o777, 0o444 for most /proc files).
	Mode     fs.FileMode
	UID, GID int
	// Ino is the inode number; 0 derives a stable one from the path.
	Ino uint64
	// Nlink is the link count; 0 means 1 (2 for a directory).
	Nlink uint32
	// Rdev numbers a device node.
	Rdev uint64
	// Size is what stat reports: /proc files report 0.
	Size    int64
	ModTime time.Time
	// Target is a symlink's target.
	Target string
}

// SynthFS returns an FS over s. Reads go to s; creating anything fails with
// EACCES, other changes with EPERM, as on /proc.
func SynthFS(s Synth) FS { return &synthFS{s: s, dev: newDev()} }

type synthFS struct {
	s   Synth
	dev uint64
}

type synthNode struct {
	path string
	n    SynthNode
}

type synthWalker struct{ s Synth }

func (w synthWalker) lookup(d synthNode, name string) (synthNode, bool, syscall.Errno) {
	p := path.Join(d.path, name)
	n, ok := w.s.Lookup(p)
	return synthNode{p, n}, ok, 0
}
func (synthWalker) kind(n synthNode) fs.FileMode { return n.n.Mode.Type() }
func (synthWalker) readlink(n synthNode) (string, syscall.Errno) {
	return n.n.Target, 0
}

func (f *synthFS) resolve(op, name string, mode follow) (resolved[synthNode], error) {
	root, ok := f.s.Lookup("/")
	if !ok {
		return resolved[synthNode]{}, pathErr(op, name, syscall.ENOENT)
	}
	r, e := resolve[synthNode](synthWalker{f.s}, synthNode{"/", root}, name, mode)
	if e != 0 {
		return r, pathErr(op, name, e)
	}
	return r, nil
}

func (f *synthFS) node(op, name string, mode follow) (synthNode, error) {
	r, err := f.resolve(op, name, mode)
	if err != nil {
		return synthNode{}, err
	}
	if !r.found {
		return synthNode{}, pathErr(op, name, syscall.ENOENT)
	}
	if r.slash && !r.node.n.Mode.IsDir() {
		return synthNode{}, pathErr(op, name, syscall.ENOTDIR)
	}
	return r.node, nil
}

func (f *synthFS) info(name string, n synthNode) fs.FileInfo {
	ino := n.n.Ino
	if ino == 0 {
		h := fnv.New32a()
		h.Write([]byte(n.path))
		ino = uint64(h.Sum32()) | 1<<32
	}
	nlink := n.n.Nlink
	if nlink == 0 {
		nlink = 1
		if n.n.Mode.IsDir() {
			nlink = 2
		}
	}
	size := n.n.Size
	if n.n.Mode&fs.ModeSymlink != 0 {
		size = int64(len(n.n.Target))
	}
	mt := n.n.ModTime
	return &fileInfo{name: baseName(name), size: size, mode: n.n.Mode, st: Stat{
		Dev: f.dev, Ino: ino, Nlink: nlink, UID: n.n.UID, GID: n.n.GID, Rdev: n.n.Rdev,
		Atime: mt, Mtime: mt, Ctime: mt,
	}}
}

func (f *synthFS) Stat(name string) (fs.FileInfo, error) {
	n, err := f.node("stat", name, followAll)
	if err != nil {
		return nil, err
	}
	return f.info(name, n), nil
}

func (f *synthFS) Lstat(name string) (fs.FileInfo, error) {
	n, err := f.node("lstat", name, followSlash)
	if err != nil {
		return nil, err
	}
	return f.info(name, n), nil
}

func (f *synthFS) ReadDir(name string) ([]fs.DirEntry, error) {
	d, err := f.node("open", name, followAll)
	if err != nil {
		return nil, err
	}
	if !d.n.Mode.IsDir() {
		return nil, pathErr("readdir", name, syscall.ENOTDIR)
	}
	names := f.s.ReadDir(d.path)
	slices.Sort(names)
	out := make([]fs.DirEntry, 0, len(names))
	for _, n := range names {
		p := path.Join(d.path, n)
		sn, ok := f.s.Lookup(p)
		if !ok {
			continue // gone meanwhile, as a process that exited
		}
		fi := f.info(n, synthNode{p, sn})
		out = append(out, &dirEntry{name: n, mode: sn.Mode, info: func() (fs.FileInfo, error) { return fi, nil }})
	}
	return out, nil
}

func (f *synthFS) Readlink(name string) (string, error) {
	n, err := f.node("readlink", name, followSlash)
	if err != nil {
		return "", err
	}
	if n.n.Mode&fs.ModeSymlink == 0 {
		return "", pathErr("readlink", name, syscall.EINVAL)
	}
	return n.n.Target, nil
}

func (f *synthFS) OpenFile(name string, flag int, perm fs.FileMode) (File, error) {
	r, err := f.resolve("open", name, followAll)
	if err != nil {
		return nil, err
	}
	if !r.found {
		if flag&os.O_CREATE != 0 {
			return nil, pathErr("open", name, syscall.EACCES)
		}
		return nil, pathErr("open", name, syscall.ENOENT)
	}
	if flag&os.O_CREATE != 0 && flag&os.O_EXCL != 0 {
		return nil, pathErr("open", name, syscall.EEXIST)
	}
	if r.slash && !r.node.n.Mode.IsDir() {
		return nil, pathErr("open", name, syscall.ENOTDIR)
	}
	if r.node.n.Mode.IsDir() {
		if flag&(os.O_WRONLY|os.O_RDWR|os.O_CREATE|os.O_TRUNC) != 0 {
			return nil, pathErr("open", name, syscall.EISDIR)
		}
		return BytesFile(name, nil, f.info(name, r.node)), nil
	}
	file, err := f.s.Open(r.node.path, flag)
	if err != nil {
		return nil, withName(err, name)
	}
	return file, nil
}

// make fails as creating name on /proc does: EEXIST, or EACCES when the
// parent exists.
func (f *synthFS) make(op, name string) error {
	r, err := f.resolve(op, name, followNone)
	if err != nil {
		return err
	}
	if r.found || r.self {
		return pathErr(op, name, syscall.EEXIST)
	}
	return pathErr(op, name, syscall.EACCES)
}

func (f *synthFS) change(op, name string, mode follow) error {
	if _, err := f.node(op, name, mode); err != nil {
		return err
	}
	return pathErr(op, name, syscall.EPERM)
}

func (f *synthFS) Mkdir(name string, perm fs.FileMode) error { return f.make("mkdir", name) }
func (f *synthFS) Symlink(target, name string) error         { return f.make("symlink", name) }
func (f *synthFS) Mknod(name string, mode fs.FileMode, dev uint64) error {
	return f.make("mknod", name)
}
func (f *synthFS) Link(oldname, newname string) error { return f.make("link", newname) }
func (f *synthFS) Remove(name string) error           { return f.change("unlink", name, followNone) }
func (f *synthFS) Rename(oldname, newname string) error {
	return f.change("rename", oldname, followNone)
}
func (f *synthFS) Chmod(name string, mode fs.FileMode) error {
	return f.change("chmod", name, followAll)
}
func (f *synthFS) Lchown(name string, uid, gid int) error {
	return f.change("lchown", name, followSlash)
}
func (f *synthFS) Chtimes(name string, atime, mtime time.Time) error {
	return f.change("utimes", name, followAll)
}

// BytesFile returns a read-only File over data, as /proc files are: the
// kernel computes the content at open time. fi is what Stat returns.
// Writes fail with EBADF.
func BytesFile(name string, data []byte, fi fs.FileInfo) File {
	return &bytesFile{name: name, data: data, fi: fi}
}

type bytesFile struct {
	name string
	data []byte
	off  int64
	fi   fs.FileInfo
}

func (b *bytesFile) Name() string               { return b.name }
func (b *bytesFile) Stat() (fs.FileInfo, error) { return b.fi, nil }
func (b *bytesFile) Close() error               { return nil }
func (b *bytesFile) Write(p []byte) (int, error) {
	return 0, pathErr("write", b.name, syscall.EBADF)
}
func (b *bytesFile) Truncate(int64) error { return pathErr("truncate", b.name, syscall.EINVAL) }

func (b *bytesFile) Read(p []byte) (int, error) {
	if b.fi != nil && b.fi.IsDir() {
		return 0, pathErr("read", b.name, syscall.EISDIR)
	}
	if b.off >= int64(len(b.data)) {
		return 0, io.EOF
	}
	n := copy(p, b.data[b.off:])
	b.off += int64(n)
	return n, nil
}

func (b *bytesFile) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, pathErr("read", b.name, syscall.EINVAL)
	}
	if off >= int64(len(b.data)) {
		return 0, io.EOF
	}
	n := copy(p, b.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (b *bytesFile) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		offset += b.off
	case io.SeekEnd:
		offset += int64(len(b.data))
	}
	if offset < 0 {
		return 0, pathErr("seek", b.name, syscall.EINVAL)
	}
	b.off = offset
	return offset, nil
}
