package vfs

import (
	"io/fs"
	"os"
	"slices"
	"syscall"
	"time"
)

// Cred is who a process is, for permission checks.
type Cred struct {
	UID, GID int
	Groups   []int // supplementary groups
}

// Access bits for Access, as access(2) numbers them.
const (
	ROK = 4
	WOK = 2
	XOK = 1
)

// WithCred returns a view of fsys that checks permissions as Linux does for
// a process with credentials cred, failing with EACCES (or EPERM where
// Linux does):
//
//   - every directory a path passes through needs search (x) permission,
//     symlinks' targets included;
//   - opening for reading needs r, for writing or truncating w; listing a
//     directory needs r;
//   - making, removing or renaming an entry needs w and x on its directory;
//     in a sticky directory (/tmp) only the entry's or the directory's
//     owner may remove or rename it (EPERM);
//   - chmod and utimes with explicit times need the owner (EPERM); chmod by
//     someone outside the file's group clears setgid; only root changes an
//     owner, and the owner may change the group to one of its groups;
//   - mknod of a device needs root (EPERM); a hard link to a file one may
//     not read and write needs its owner (fs.protected_hardlinks).
//
// What is created belongs to cred's user and group, or to the directory's
// group when the directory is setgid. Root (UID 0) has Docker's default
// capabilities, which bypass all of this: WithCred returns fsys itself.
func WithCred(fsys FS, cred Cred) FS {
	if cred.UID == 0 {
		return fsys
	}
	return &credFS{fs: fsys, cred: cred}
}

// Access checks whether cred may access name (following a final symlink)
// for the ROK, WOK and XOK bits in mode, as access(2) does with the real
// IDs. Root may read and write anything, and execute a file when any of
// its x bits is set. The error is a *fs.PathError: EACCES, or the lookup's.
func Access(fsys FS, name string, mode uint32, cred Cred) error {
	c := &credFS{fs: fsys, cred: cred}
	n, err := c.node("access", name, followAll)
	if err != nil {
		return err
	}
	if cred.UID == 0 {
		if mode&XOK != 0 && !n.fi.IsDir() && n.fi.Mode()&0o111 == 0 {
			return pathErr("access", name, syscall.EACCES)
		}
		return nil
	}
	if !c.may(n.fi, mode) {
		return pathErr("access", name, syscall.EACCES)
	}
	return nil
}

type credFS struct {
	fs   FS
	cred Cred
}

// credNode is a node seen through credFS: its canonical path in fs.
type credNode struct {
	path string
	fi   fs.FileInfo
}

type credWalker struct{ c *credFS }

func (w credWalker) lookup(d credNode, name string) (credNode, bool, syscall.Errno) {
	if w.c.cred.UID != 0 && !w.c.may(d.fi, XOK) {
		return credNode{}, false, syscall.EACCES
	}
	p := joinPath(d.path, name)
	fi, err := w.c.fs.Lstat(p)
	if err != nil {
		if e := errnoOrEIO(err); e != syscall.ENOENT {
			return credNode{}, false, e
		}
		return credNode{path: p}, false, 0
	}
	return credNode{p, fi}, true, 0
}

func (credWalker) kind(n credNode) fs.FileMode { return n.fi.Mode().Type() }

func (w credWalker) readlink(n credNode) (string, syscall.Errno) {
	t, err := w.c.fs.Readlink(n.path)
	if err != nil {
		return "", errnoOrEIO(err)
	}
	return t, 0
}

func (c *credFS) inGroup(gid int) bool {
	return gid == c.cred.GID || slices.Contains(c.cred.Groups, gid)
}

// may reports whether the credentials have the access bits want on fi.
func (c *credFS) may(fi fs.FileInfo, want uint32) bool {
	st := StatOf(fi)
	perm := uint32(fi.Mode().Perm())
	switch {
	case st.UID == c.cred.UID:
		perm >>= 6
	case c.inGroup(st.GID):
		perm >>= 3
	}
	return perm&7&want == want
}

func (c *credFS) owns(fi fs.FileInfo) bool { return StatOf(fi).UID == c.cred.UID }

func (c *credFS) resolve(op, name string, mode follow) (resolved[credNode], error) {
	rootInfo, err := c.fs.Stat("/")
	if err != nil {
		return resolved[credNode]{}, withName(err, name)
	}
	r, e := resolve[credNode](credWalker{c}, credNode{"/", rootInfo}, name, mode)
	if e != 0 {
		return r, pathErr(op, name, e)
	}
	return r, nil
}

// node resolves name to an existing node.
func (c *credFS) node(op, name string, mode follow) (credNode, error) {
	r, err := c.resolve(op, name, mode)
	if err != nil {
		return credNode{}, err
	}
	if !r.found {
		return credNode{}, pathErr(op, name, syscall.ENOENT)
	}
	if r.slash && !r.node.fi.IsDir() {
		return credNode{}, pathErr(op, name, syscall.ENOTDIR)
	}
	return r.node, nil
}

// entry resolves name for an operation on the entry itself and checks
// that its directory may be written.
func (c *credFS) entry(op, name string, mode follow) (resolved[credNode], string, error) {
	r, err := c.resolve(op, name, mode)
	if err != nil {
		return r, "", err
	}
	if r.self {
		return r, r.node.path, nil // the FS itself says what is wrong
	}
	dir := r.parent()
	if !c.may(dir.fi, WOK|XOK) {
		return r, "", pathErr(op, name, syscall.EACCES)
	}
	p := joinPath(dir.path, r.name)
	if r.slash {
		p += "/"
	}
	return r, p, nil
}

// stickyDenied reports whether the sticky bit of dir keeps the
// credentials from removing or renaming n.
func (c *credFS) stickyDenied(dir credNode, n credNode) bool {
	return dir.fi.Mode()&fs.ModeSticky != 0 && !c.owns(n.fi) && !c.owns(dir.fi)
}

// chown gives what was made at p to the credentials' user and group, or
// to the directory's group when it is setgid.
func (c *credFS) chown(p string, dir credNode) error {
	gid := c.cred.GID
	if dir.fi.Mode()&fs.ModeSetgid != 0 {
		gid = StatOf(dir.fi).GID
	}
	return c.fs.Lchown(trimSlash(p), c.cred.UID, gid)
}

func (c *credFS) Stat(name string) (fs.FileInfo, error) {
	n, err := c.node("stat", name, followAll)
	if err != nil {
		return nil, err
	}
	return named{n.fi, baseName(name)}, nil
}

func (c *credFS) Lstat(name string) (fs.FileInfo, error) {
	n, err := c.node("lstat", name, followSlash)
	if err != nil {
		return nil, err
	}
	return named{n.fi, baseName(name)}, nil
}

func (c *credFS) ReadDir(name string) ([]fs.DirEntry, error) {
	n, err := c.node("open", name, followAll)
	if err != nil {
		return nil, err
	}
	if n.fi.IsDir() && !c.may(n.fi, ROK) {
		return nil, pathErr("open", name, syscall.EACCES)
	}
	ents, err := c.fs.ReadDir(n.path)
	return ents, withName(err, name)
}

func (c *credFS) Readlink(name string) (string, error) {
	n, err := c.node("readlink", name, followSlash)
	if err != nil {
		return "", err
	}
	t, err := c.fs.Readlink(n.path)
	return t, withName(err, name)
}

func (c *credFS) OpenFile(name string, flag int, perm fs.FileMode) (File, error) {
	mode := followAll
	excl := flag&os.O_CREATE != 0 && flag&os.O_EXCL != 0
	if excl {
		mode = followNone
	}
	r, err := c.resolve("open", name, mode)
	if err != nil {
		return nil, err
	}
	if !r.found && flag&os.O_CREATE != 0 && !r.self && !r.slash {
		dir := r.parent()
		if !c.may(dir.fi, WOK|XOK) {
			return nil, pathErr("open", name, syscall.EACCES)
		}
		p := joinPath(dir.path, r.name)
		f, err := c.fs.OpenFile(p, flag, perm)
		if err != nil {
			return nil, withName(err, name)
		}
		if err := c.chown(p, dir); err != nil {
			f.Close()
			return nil, withName(err, name)
		}
		return nsFile{f, name}, nil
	}
	if r.found && !excl {
		want := uint32(0)
		switch flag & (os.O_RDONLY | os.O_WRONLY | os.O_RDWR) {
		case os.O_RDONLY:
			want = ROK
		case os.O_WRONLY:
			want = WOK
		default:
			want = ROK | WOK
		}
		if flag&os.O_TRUNC != 0 {
			want |= WOK
		}
		if !r.node.fi.IsDir() || want == ROK {
			if !c.may(r.node.fi, want) {
				return nil, pathErr("open", name, syscall.EACCES)
			}
		}
	}
	p := r.node.path
	if !r.found && !r.self {
		p = joinPath(r.parent().path, r.name)
		if r.slash {
			p += "/"
		}
	}
	f, err := c.fs.OpenFile(p, flag, perm)
	if err != nil {
		return nil, withName(err, name)
	}
	return nsFile{f, name}, nil
}

// make runs an operation that creates name, then gives it to the caller.
func (c *credFS) make(op, name string, do func(p string) error) error {
	r, p, err := c.entry(op, name, followNone)
	if err != nil {
		return err
	}
	if err := do(p); err != nil || r.self {
		return withName(err, name)
	}
	return withName(c.chown(p, r.parent()), name)
}

func (c *credFS) Mkdir(name string, perm fs.FileMode) error {
	return c.make("mkdir", name, func(p string) error { return c.fs.Mkdir(p, perm) })
}

func (c *credFS) Symlink(target, name string) error {
	return c.make("symlink", name, func(p string) error { return c.fs.Symlink(target, p) })
}

func (c *credFS) Mknod(name string, mode fs.FileMode, dev uint64) error {
	if mode&fs.ModeDevice != 0 {
		return pathErr("mknod", name, syscall.EPERM)
	}
	return c.make("mknod", name, func(p string) error { return c.fs.Mknod(p, mode, dev) })
}

func (c *credFS) Remove(name string) error {
	r, p, err := c.entry("unlink", name, followNone)
	if err != nil {
		return err
	}
	if r.found && !r.self && c.stickyDenied(r.parent(), r.node) {
		return pathErr("unlink", name, syscall.EPERM)
	}
	return withName(c.fs.Remove(p), name)
}

func (c *credFS) Rename(oldname, newname string) error {
	ro, po, err := c.entry("rename", oldname, followNone)
	if err != nil {
		return err
	}
	rn, pn, err := c.entry("rename", newname, followNone)
	if err != nil {
		return err
	}
	if ro.found && !ro.self {
		if c.stickyDenied(ro.parent(), ro.node) || (rn.found && !rn.self && c.stickyDenied(rn.parent(), rn.node)) {
			return pathErr("rename", oldname, syscall.EPERM)
		}
		// Moving a directory elsewhere rewrites its "..".
		if ro.node.fi.IsDir() && !rn.self && ro.parent().path != rn.parent().path && !c.may(ro.node.fi, WOK) {
			return pathErr("rename", oldname, syscall.EACCES)
		}
	}
	err = c.fs.Rename(po, pn)
	if pe, ok := err.(*fs.PathError); ok && pe.Path == pn {
		return withName(err, newname)
	}
	return withName(err, oldname)
}

func (c *credFS) Link(oldname, newname string) error {
	o, err := c.node("link", oldname, followSlash)
	if err != nil {
		return err
	}
	if !o.fi.IsDir() && !c.owns(o.fi) {
		m := o.fi.Mode()
		if !m.IsRegular() || m&fs.ModeSetuid != 0 || (m&fs.ModeSetgid != 0 && m&0o010 != 0) || !c.may(o.fi, ROK|WOK) {
			return pathErr("link", oldname, syscall.EPERM)
		}
	}
	_, pn, err := c.entry("link", newname, followNone)
	if err != nil {
		return err
	}
	err = c.fs.Link(o.path, pn)
	if pe, ok := err.(*fs.PathError); ok && pe.Path == o.path {
		return withName(err, oldname)
	}
	return withName(err, newname)
}

func (c *credFS) Chmod(name string, mode fs.FileMode) error {
	n, err := c.node("chmod", name, followAll)
	if err != nil {
		return err
	}
	if !c.owns(n.fi) {
		return pathErr("chmod", name, syscall.EPERM)
	}
	if !n.fi.IsDir() && !c.inGroup(StatOf(n.fi).GID) {
		mode &^= fs.ModeSetgid
	}
	return withName(c.fs.Chmod(n.path, mode), name)
}

func (c *credFS) Lchown(name string, uid, gid int) error {
	n, err := c.node("lchown", name, followSlash)
	if err != nil {
		return err
	}
	st := StatOf(n.fi)
	if (uid != -1 && uid != st.UID) || !c.owns(n.fi) || (gid != -1 && gid != st.GID && !c.inGroup(gid)) {
		return pathErr("lchown", name, syscall.EPERM)
	}
	return withName(c.fs.Lchown(n.path, uid, gid), name)
}

func (c *credFS) Chtimes(name string, atime, mtime time.Time) error {
	n, err := c.node("utimes", name, followAll)
	if err != nil {
		return err
	}
	// Setting the times to "now" needs only write permission; twinbox's
	// Chtimes cannot tell "now" from explicit times, so write permission
	// is enough for either.
	if !c.owns(n.fi) && !c.may(n.fi, WOK) {
		return pathErr("utimes", name, syscall.EPERM)
	}
	return withName(c.fs.Chtimes(n.path, atime, mtime), name)
}
