package vfs

import (
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Namespace is a mount namespace: a root FS with other filesystems mounted
// at paths inside it, as a container sees its files. Volumes and bind mounts
// (directories or single files such as /etc/hosts), tmpfs Trees (/dev/shm)
// and synthetic filesystems (/proc, /sys: see Synth) are mounted on
// directories or files that exist in the namespace; the runtime makes the
// mount point first (in the container's union, which is why Docker lists
// "A /data" for `-v /data`), then mounts.
//
// Paths resolve across mounts as on Linux: a symlink's absolute target
// starts at the namespace's root, ".." leaves a mount to its parent.
// Renaming or linking across mounts fails with EXDEV, removing or renaming
// a mount point with EBUSY. A Namespace is safe for concurrent use.
type Namespace struct {
	mu      sync.RWMutex
	mounts  map[string][]*mount // by canonical path; the last one is on top
	order   []*mount            // in mount order, for Mounts
	devices DeviceOpener
}

var _ FS = (*Namespace)(nil)

// MountOptions describe a mount.
type MountOptions struct {
	// Source is the path inside the mounted filesystem to mount, "/" (or
	// "") for its root: a bind mount of a directory or a single file.
	Source string
	// ReadOnly makes every change fail with EROFS.
	ReadOnly bool
	// Type, Device and Options are what /proc/mounts shows: "overlay",
	// "proc", "tmpfs", "ext4"; "overlay", "/dev/sda1"; "rw,nosuid".
	Type, Device, Options string
}

// MountInfo is one line of a namespace's mount table.
type MountInfo struct {
	Path string
	MountOptions
}

// DeviceOpener opens the device node, FIFO or socket name (in the
// namespace), whose Lstat information is fi, for the kernel that drives it:
// /dev/null, /dev/tty, a FIFO made by mkfifo. It returns a *fs.PathError
// (ENXIO when there is no such device).
type DeviceOpener func(name string, fi fs.FileInfo, flag int) (File, error)

type mount struct {
	path string // canonical path in the namespace
	fs   FS
	sub  string // canonical path of the mounted root inside fs
	opts MountOptions
}

// NewNamespace returns a namespace whose root filesystem is root, mounted
// as opts says (opts.Source is ignored).
func NewNamespace(root FS, opts MountOptions) *Namespace {
	opts.Source = "/"
	if opts.ReadOnly {
		root = ReadOnly(root)
	}
	m := &mount{path: "/", fs: root, sub: "/", opts: opts}
	return &Namespace{mounts: map[string][]*mount{"/": {m}}, order: []*mount{m}}
}

// SetDevices makes open of a device node, FIFO or socket call open instead
// of opening the node's (empty) file. The kernel installs its drivers so.
func (ns *Namespace) SetDevices(open DeviceOpener) {
	ns.mu.Lock()
	ns.devices = open
	ns.mu.Unlock()
}

// Mount mounts fsys (its opts.Source) at target, which must exist in the
// namespace; a final symlink is followed. A directory can only be mounted
// on a directory and a non-directory on a non-directory (ENOTDIR). A mount
// on a mount point hides the earlier one until it is unmounted.
func (ns *Namespace) Mount(target string, fsys FS, opts MountOptions) error {
	if opts.Source == "" {
		opts.Source = "/"
	}
	src, err := fsys.Stat(opts.Source)
	if err != nil {
		return err
	}
	// The source's path must be canonical: bind mounts resolve it once.
	if fi, err := fsys.Lstat(opts.Source); err != nil || fi.Mode()&fs.ModeSymlink != 0 {
		return pathErr("mount", opts.Source, syscall.EINVAL)
	}
	ns.mu.Lock()
	defer ns.mu.Unlock()
	r, e := ns.resolve(target, followAll)
	if e == 0 && !r.found {
		e = syscall.ENOENT
	}
	if e != 0 {
		return pathErr("mount", target, e)
	}
	if r.node.mode.IsDir() != src.IsDir() {
		return pathErr("mount", target, syscall.ENOTDIR)
	}
	if opts.ReadOnly {
		fsys = ReadOnly(fsys)
	}
	m := &mount{path: r.node.path, fs: fsys, sub: opts.Source, opts: opts}
	ns.mounts[m.path] = append(ns.mounts[m.path], m)
	ns.order = append(ns.order, m)
	return nil
}

// Unmount removes the topmost mount at target (not followed). Errors: EINVAL
// when nothing is mounted there, EBUSY when something is mounted below it.
func (ns *Namespace) Unmount(target string) error {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	r, e := ns.resolve(target, followNone)
	if e == 0 && !r.found {
		e = syscall.ENOENT
	}
	if e != 0 {
		return pathErr("umount", target, e)
	}
	p := r.node.path
	stack := ns.mounts[p]
	if p == "/" || len(stack) == 0 {
		return pathErr("umount", target, syscall.EINVAL)
	}
	top := stack[len(stack)-1]
	for q := range ns.mounts {
		if q != p && strings.HasPrefix(q, p+"/") {
			return pathErr("umount", target, syscall.EBUSY)
		}
	}
	if len(stack) == 1 {
		delete(ns.mounts, p)
	} else {
		ns.mounts[p] = stack[:len(stack)-1]
	}
	ns.order = slices.DeleteFunc(ns.order, func(m *mount) bool { return m == top })
	return nil
}

// Mounts lists the mounts in the order they were made, the root first: what
// /proc/mounts shows.
func (ns *Namespace) Mounts() []MountInfo {
	ns.mu.RLock()
	defer ns.mu.RUnlock()
	out := make([]MountInfo, len(ns.order))
	for i, m := range ns.order {
		out[i] = MountInfo{Path: m.path, MountOptions: m.opts}
	}
	return out
}

// nsNode is a node of the namespace: where it is (its canonical path) and
// which filesystem holds it under which name.
type nsNode struct {
	path string
	m    *mount
	rel  string
	mode fs.FileMode // type bits
}

type nsWalker struct{ ns *Namespace }

func joinPath(dir, name string) string {
	if dir == "/" {
		return "/" + name
	}
	return dir + "/" + name
}

func (w nsWalker) lookup(d nsNode, name string) (nsNode, bool, syscall.Errno) {
	p := joinPath(d.path, name)
	if stack := w.ns.mounts[p]; len(stack) > 0 {
		m := stack[len(stack)-1]
		fi, err := m.fs.Lstat(m.sub)
		if err != nil {
			return nsNode{}, false, errnoOrEIO(err)
		}
		return nsNode{path: p, m: m, rel: m.sub, mode: fi.Mode().Type()}, true, 0
	}
	rel := joinPath(d.rel, name)
	fi, err := d.m.fs.Lstat(rel)
	if err != nil {
		if e := errnoOrEIO(err); e != syscall.ENOENT {
			return nsNode{}, false, e
		}
		return nsNode{path: p, m: d.m, rel: rel}, false, 0
	}
	return nsNode{path: p, m: d.m, rel: rel, mode: fi.Mode().Type()}, true, 0
}

func (nsWalker) kind(n nsNode) fs.FileMode { return n.mode }

func (nsWalker) readlink(n nsNode) (string, syscall.Errno) {
	t, err := n.m.fs.Readlink(n.rel)
	if err != nil {
		return "", errnoOrEIO(err)
	}
	return t, 0
}

func errnoOrEIO(err error) syscall.Errno {
	if e := errnoOf(err); e != 0 && e != ^syscall.Errno(0) {
		return e
	}
	return syscall.EIO
}

func (ns *Namespace) root() nsNode {
	m := ns.mounts["/"][len(ns.mounts["/"])-1]
	return nsNode{path: "/", m: m, rel: m.sub, mode: fs.ModeDir}
}

// resolve resolves name; the caller holds ns.mu.
func (ns *Namespace) resolve(name string, mode follow) (resolved[nsNode], syscall.Errno) {
	return resolve[nsNode](nsWalker{ns}, ns.root(), name, mode)
}

// lookup resolves name under the read lock.
func (ns *Namespace) lookup(name string, mode follow) (resolved[nsNode], syscall.Errno) {
	ns.mu.RLock()
	defer ns.mu.RUnlock()
	return ns.resolve(name, mode)
}

// target is the inner name of r's final component, for an operation on the
// entry itself: its parent's inner name and its own name (with a slash when
// the caller gave one).
func target(r *resolved[nsNode]) string {
	if r.self {
		return r.node.rel
	}
	t := joinPath(r.parent().rel, r.name)
	if r.slash {
		t += "/"
	}
	return t
}

// isMountPoint reports whether r's final component is a mount point.
func (ns *Namespace) isMountPoint(r *resolved[nsNode]) bool {
	if r.self {
		return r.node.path == "/" || len(ns.mounts[r.node.path]) > 0
	}
	return len(ns.mounts[joinPath(r.parent().path, r.name)]) > 0
}

// withName gives err the caller's name in place of the inner one.
func withName(err error, name string) error {
	if pe, ok := err.(*fs.PathError); ok {
		return &fs.PathError{Op: pe.Op, Path: name, Err: pe.Err}
	}
	return err
}

// named is a FileInfo under the name the caller used.
type named struct {
	fs.FileInfo
	name string
}

func (n named) Name() string { return n.name }

func (ns *Namespace) stat(op, name string, mode follow) (fs.FileInfo, error) {
	r, e := ns.lookup(name, mode)
	if e != 0 {
		return nil, pathErr(op, name, e)
	}
	if !r.found {
		return nil, pathErr(op, name, syscall.ENOENT)
	}
	if r.slash && !r.node.mode.IsDir() {
		return nil, pathErr(op, name, syscall.ENOTDIR)
	}
	fi, err := r.node.m.fs.Lstat(r.node.rel)
	if err != nil {
		return nil, withName(err, name)
	}
	if bn := baseName(name); fi.Name() != bn {
		return named{fi, bn}, nil
	}
	return fi, nil
}

// Stat implements FS.
func (ns *Namespace) Stat(name string) (fs.FileInfo, error) { return ns.stat("stat", name, followAll) }

// Lstat implements FS.
func (ns *Namespace) Lstat(name string) (fs.FileInfo, error) {
	return ns.stat("lstat", name, followSlash)
}

// ReadDir implements FS. A mount point is listed as the mounted root.
func (ns *Namespace) ReadDir(name string) ([]fs.DirEntry, error) {
	r, e := ns.lookup(name, followAll)
	if e != 0 {
		return nil, pathErr("open", name, e)
	}
	if !r.found {
		return nil, pathErr("open", name, syscall.ENOENT)
	}
	ents, err := r.node.m.fs.ReadDir(r.node.rel)
	if err != nil {
		return nil, withName(err, name)
	}
	ns.mu.RLock()
	defer ns.mu.RUnlock()
	for i, e := range ents {
		p := joinPath(r.node.path, e.Name())
		if stack := ns.mounts[p]; len(stack) > 0 {
			m := stack[len(stack)-1]
			if fi, err := m.fs.Lstat(m.sub); err == nil {
				fi = named{fi, e.Name()}
				ents[i] = &dirEntry{name: e.Name(), mode: fi.Mode(), info: func() (fs.FileInfo, error) { return fi, nil }}
			}
		}
	}
	return ents, nil
}

// Readlink implements FS.
func (ns *Namespace) Readlink(name string) (string, error) {
	r, e := ns.lookup(name, followSlash)
	if e != 0 {
		return "", pathErr("readlink", name, e)
	}
	if !r.found {
		return "", pathErr("readlink", name, syscall.ENOENT)
	}
	t, err := r.node.m.fs.Readlink(r.node.rel)
	return t, withName(err, name)
}

// nsFile is an open file under the name the caller used.
type nsFile struct {
	File
	name string
}

func (f nsFile) Name() string { return f.name }

func (f nsFile) Stat() (fs.FileInfo, error) {
	fi, err := f.File.Stat()
	if err != nil {
		return nil, withName(err, f.name)
	}
	return named{fi, baseName(f.name)}, nil
}

// OpenFile implements FS. Opening a device node, FIFO or socket goes to
// the DeviceOpener when one is set.
func (ns *Namespace) OpenFile(name string, flag int, perm fs.FileMode) (File, error) {
	mode := followAll
	if flag&os.O_CREATE != 0 && flag&os.O_EXCL != 0 {
		mode = followNone
	}
	r, e := ns.lookup(name, mode)
	if e != 0 {
		return nil, pathErr("open", name, e)
	}
	if r.found && !r.self && r.node.mode&(fs.ModeDevice|fs.ModeNamedPipe|fs.ModeSocket) != 0 {
		ns.mu.RLock()
		dev := ns.devices
		ns.mu.RUnlock()
		if dev != nil && !(flag&os.O_CREATE != 0 && flag&os.O_EXCL != 0) {
			fi, err := r.node.m.fs.Lstat(r.node.rel)
			if err != nil {
				return nil, withName(err, name)
			}
			return dev(name, fi, flag)
		}
	}
	m, inner := r.node.m, r.node.rel
	if !r.found {
		m, inner = r.parent().m, target(&r)
	}
	f, err := m.fs.OpenFile(inner, flag, perm)
	if err != nil {
		return nil, withName(err, name)
	}
	return nsFile{f, name}, nil
}

func (ns *Namespace) isMountPointLocked(r *resolved[nsNode]) bool {
	ns.mu.RLock()
	defer ns.mu.RUnlock()
	return ns.isMountPoint(r)
}

// create runs an operation that makes the final component of name in its
// parent's filesystem.
func (ns *Namespace) create(op, name string, do func(fsys FS, inner string) error) error {
	r, e := ns.lookup(name, followNone)
	if e != 0 {
		return pathErr(op, name, e)
	}
	if r.self || (r.found && ns.isMountPointLocked(&r)) {
		return pathErr(op, name, syscall.EEXIST)
	}
	return withName(do(r.parent().m.fs, target(&r)), name)
}

// Mkdir implements FS.
func (ns *Namespace) Mkdir(name string, perm fs.FileMode) error {
	return ns.create("mkdir", name, func(f FS, p string) error { return f.Mkdir(p, perm) })
}

// Symlink implements FS.
func (ns *Namespace) Symlink(oldname, name string) error {
	return ns.create("symlink", name, func(f FS, p string) error { return f.Symlink(oldname, p) })
}

// Mknod implements FS.
func (ns *Namespace) Mknod(name string, mode fs.FileMode, dev uint64) error {
	return ns.create("mknod", name, func(f FS, p string) error { return f.Mknod(p, mode, dev) })
}

// Remove implements FS. A mount point cannot be removed (EBUSY).
func (ns *Namespace) Remove(name string) error {
	r, e := ns.lookup(name, followNone)
	if e != 0 {
		return pathErr("unlink", name, e)
	}
	if r.self {
		switch r.name {
		case ".":
			return pathErr("rmdir", name, syscall.EINVAL)
		case "..":
			return pathErr("rmdir", name, syscall.ENOTEMPTY)
		}
		return pathErr("rmdir", name, syscall.EBUSY)
	}
	if r.found && ns.isMountPointLocked(&r) {
		return pathErr("rmdir", name, syscall.EBUSY)
	}
	return withName(r.parent().m.fs.Remove(target(&r)), name)
}

// Rename implements FS. Both names must be in one mount (else EXDEV) and
// neither may be a mount point or hold one (EBUSY).
func (ns *Namespace) Rename(oldname, newname string) error {
	ro, e := ns.lookup(oldname, followNone)
	if e != 0 {
		return pathErr("rename", oldname, e)
	}
	rn, e := ns.lookup(newname, followNone)
	if e != 0 {
		return pathErr("rename", newname, e)
	}
	if ro.self || rn.self {
		return pathErr("rename", oldname, syscall.EBUSY)
	}
	if !ro.found {
		return pathErr("rename", oldname, syscall.ENOENT)
	}
	ns.mu.RLock()
	busy := ns.isMountPoint(&ro) || (rn.found && ns.isMountPoint(&rn))
	if !busy && ro.node.mode.IsDir() {
		prefix := ro.node.path + "/"
		for p := range ns.mounts {
			if strings.HasPrefix(p, prefix) {
				busy = true
				break
			}
		}
	}
	ns.mu.RUnlock()
	if busy {
		return pathErr("rename", oldname, syscall.EBUSY)
	}
	if ro.parent().m != rn.parent().m {
		return pathErr("rename", oldname, syscall.EXDEV)
	}
	err := ro.parent().m.fs.Rename(target(&ro), target(&rn))
	if pe, ok := err.(*fs.PathError); ok {
		if pe.Path == target(&rn) {
			return withName(err, newname)
		}
		return withName(err, oldname)
	}
	return err
}

// Link implements FS. Both names must be in one mount (else EXDEV).
func (ns *Namespace) Link(oldname, newname string) error {
	ro, e := ns.lookup(oldname, followSlash)
	if e != 0 {
		return pathErr("link", oldname, e)
	}
	if !ro.found {
		return pathErr("link", oldname, syscall.ENOENT)
	}
	rn, e := ns.lookup(newname, followNone)
	if e != 0 {
		return pathErr("link", newname, e)
	}
	if rn.self || (rn.found && ns.isMountPointLocked(&rn)) {
		return pathErr("link", newname, syscall.EEXIST)
	}
	if ro.node.mode.IsDir() {
		return pathErr("link", oldname, syscall.EPERM)
	}
	if ro.node.m != rn.parent().m {
		return pathErr("link", oldname, syscall.EXDEV)
	}
	err := ro.node.m.fs.Link(ro.node.rel, target(&rn))
	if pe, ok := err.(*fs.PathError); ok {
		if pe.Path == ro.node.rel {
			return withName(err, oldname)
		}
		return withName(err, newname)
	}
	return err
}

// change runs an operation on the resolved final component of name.
func (ns *Namespace) change(op, name string, mode follow, do func(fsys FS, inner string) error) error {
	r, e := ns.lookup(name, mode)
	if e != 0 {
		return pathErr(op, name, e)
	}
	if !r.found {
		return pathErr(op, name, syscall.ENOENT)
	}
	if r.slash && !r.node.mode.IsDir() {
		return pathErr(op, name, syscall.ENOTDIR)
	}
	return withName(do(r.node.m.fs, r.node.rel), name)
}

// Chmod implements FS.
func (ns *Namespace) Chmod(name string, mode fs.FileMode) error {
	return ns.change("chmod", name, followAll, func(f FS, p string) error { return f.Chmod(p, mode) })
}

// Lchown implements FS.
func (ns *Namespace) Lchown(name string, uid, gid int) error {
	return ns.change("lchown", name, followSlash, func(f FS, p string) error { return f.Lchown(p, uid, gid) })
}

// Chtimes implements FS.
func (ns *Namespace) Chtimes(name string, atime, mtime time.Time) error {
	return ns.change("utimes", name, followAll, func(f FS, p string) error { return f.Chtimes(p, atime, mtime) })
}
