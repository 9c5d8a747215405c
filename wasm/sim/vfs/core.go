package vfs

import (
	"io/fs"
	"os"
	"slices"
	"sync"
	"syscall"
	"time"
)

// core is the filesystem behind Tree and Union: a writable tree of inodes
// (the upper layer) over an optional read-only merged lower tree, with
// overlayfs's rules. Without a lower tree it is a plain filesystem.
type core struct {
	mu    sync.Mutex
	up    *inode // root of the writable tree
	lower *inode // root of the merged lower tree, or nil
	ov    bool   // a union: upper whiteouts hide names
	wh    *inode // the whiteout unlink and rmdir link, shared as the kernel does
	clock Clock
	dev   uint64
}

// mnode is a node of the merged view: its inode in the upper tree, in the
// lower tree, or both (a directory present in both merges them).
type mnode struct {
	up, lo *inode
}

func (n mnode) top() *inode {
	if n.up != nil {
		return n.up
	}
	return n.lo
}

// coreWalker resolves over a core's merged view. In a union (ov true) an
// upper whiteout always hides its name, as in overlayfs; in a plain tree it
// is an ordinary character device.
type coreWalker struct{ ov bool }

func (w coreWalker) lookup(d mnode, name string) (mnode, bool, syscall.Errno) {
	n, ok := lookupMerged(d, name, w.ov)
	return n, ok, 0
}
func (coreWalker) kind(n mnode) fs.FileMode { return n.top().mode.Type() }
func (coreWalker) readlink(n mnode) (string, syscall.Errno) {
	return n.top().target, 0
}

// lookupMerged finds name in the merged directory d as overlayfs does: an
// upper whiteout hides the name; an upper directory that is not opaque
// merges with a lower directory of the same name; anything else in the
// upper hides the lower.
func lookupMerged(d mnode, name string, ov bool) (mnode, bool) {
	var up, lo *inode
	if d.up != nil {
		up = d.up.dir[name]
		if up != nil && ov && up.isWhiteout() {
			return mnode{}, false
		}
	}
	if d.lo != nil {
		lo = d.lo.dir[name]
	}
	if up != nil {
		if lo != nil && up.isDir() && lo.isDir() && !up.opaque() {
			return mnode{up, lo}, true
		}
		return mnode{up: up}, true
	}
	if lo != nil {
		return mnode{lo: lo}, true
	}
	return mnode{}, false
}

func (c *core) root() mnode {
	if c.lower != nil && !c.up.opaque() {
		return mnode{c.up, c.lower}
	}
	return mnode{up: c.up}
}

func (c *core) resolve(name string, mode follow) (resolved[mnode], syscall.Errno) {
	return resolve[mnode](coreWalker{c.ov}, c.root(), name, mode)
}

// nlink is the link count overlayfs reports: 1 for a merged directory.
func (c *core) nlink(n mnode) uint32 {
	t := n.top()
	if t.isDir() && ((n.up != nil && n.lo != nil) || (n.up == nil && n.lo.flags&flagMerged != 0)) {
		return 1
	}
	return t.nlink
}

func (c *core) info(name string, n mnode) *fileInfo {
	return n.top().info(baseName(name), c.dev, c.nlink(n))
}

// lowerHas reports whether the lower tree has an entry name in directory d,
// which the upper tree must then hide with a whiteout when it goes.
func lowerHas(d mnode, name string) bool {
	return d.lo != nil && d.lo.dir[name] != nil
}

// copyUpStack gives every directory of r.stack an upper inode, copying up
// from the lower tree as overlayfs does, and returns the last one's.
func (c *core) copyUpStack(r *resolved[mnode]) *inode {
	now := c.clock.now()
	for i := 1; i < len(r.stack); i++ {
		if r.stack[i].up != nil {
			continue
		}
		parent, name := r.stack[i-1].up, r.names[i-1]
		if u := parent.dir[name]; u != nil && u.isDir() {
			// Copied up already, through another name for this path.
			r.stack[i].up = u
			continue
		}
		u := r.stack[i].lo.copyUp(now)
		parent.link(name, u)
		parent.nlink++
		r.stack[i].up = u
	}
	return r.stack[len(r.stack)-1].up
}

// copyUpNode gives the final node of r an upper inode and returns it. For a
// self resolution (".", the root) it is the stack's last directory.
func (c *core) copyUpNode(r *resolved[mnode]) *inode {
	parent := c.copyUpStack(r)
	if r.self {
		return parent
	}
	if r.node.up != nil {
		return r.node.up
	}
	u := r.node.lo.copyUp(c.clock.now())
	if u.isDir() {
		parent.nlink++
	}
	parent.link(r.name, u)
	r.node.up = u
	return u
}

// isEmpty reports whether the merged directory n has no entries.
func (c *core) isEmpty(n mnode) bool {
	if n.up != nil {
		for _, e := range n.up.dir {
			if !e.isWhiteout() || !c.ov {
				return false
			}
		}
	}
	if n.lo != nil {
		for name := range n.lo.dir {
			if u := n.up.entry(name); u == nil || !u.isWhiteout() {
				return false
			}
		}
	}
	return true
}

func (n *inode) entry(name string) *inode {
	if n == nil {
		return nil
	}
	return n.dir[name]
}

// unlinkEntry removes name from the upper directory parent (an upper inode
// of the merged directory pm), leaving a whiteout when a lower entry must
// stay hidden. Linux (5.8 and later) makes the whiteouts of unlink and
// rmdir hard links of one inode kept in overlayfs's work directory, while
// rename makes its own: shared says which.
func (c *core) unlinkEntry(pm mnode, parent *inode, name string, now int64, shared bool) {
	if old := parent.dir[name]; old != nil && old.isDir() {
		parent.nlink--
	}
	if lowerHas(pm, name) {
		wh := newWhiteout(now)
		if shared {
			if c.wh == nil {
				c.wh = wh // its first link is in the work directory
			}
			wh = c.wh
			wh.nlink++
		}
		parent.link(name, wh)
	} else {
		delete(parent.dir, name)
	}
	parent.mtime, parent.ctime = now, now
}

// linkEntry puts n into the upper directory parent as name, replacing a
// whiteout there; a directory put over a whiteout becomes opaque.
func (c *core) linkEntry(parent *inode, name string, n *inode, now int64) {
	if old := parent.dir[name]; old != nil && old.isWhiteout() {
		old.nlink--
		if n.isDir() {
			n.flags |= flagOpaque
		}
	}
	if n.isDir() {
		parent.nlink++
	}
	parent.link(name, n)
	parent.mtime, parent.ctime = now, now
}

// newChild makes an inode for a new entry of parent, owned by root or by
// the group of a setgid parent.
func (c *core) newChild(parent *inode, mode fs.FileMode, now int64) *inode {
	n := newInode(mode, now)
	if parent.mode&fs.ModeSetgid != 0 {
		n.gid = parent.gid
		if n.isDir() {
			n.mode |= fs.ModeSetgid
		}
	}
	return n
}

const permBits = fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky

// Stat implements FS.
func (c *core) Stat(name string) (fs.FileInfo, error) { return c.stat("stat", name, followAll) }

// Lstat implements FS.
func (c *core) Lstat(name string) (fs.FileInfo, error) { return c.stat("lstat", name, followSlash) }

func (c *core) stat(op, name string, mode follow) (fs.FileInfo, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, e := c.resolve(name, mode)
	if e != 0 {
		return nil, pathErr(op, name, e)
	}
	if !r.found {
		return nil, pathErr(op, name, syscall.ENOENT)
	}
	if r.slash && !r.node.top().isDir() {
		return nil, pathErr(op, name, syscall.ENOTDIR)
	}
	return c.info(name, r.node), nil
}

// ReadDir implements FS.
func (c *core) ReadDir(name string) ([]fs.DirEntry, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, e := c.resolve(name, followAll)
	if e != 0 {
		return nil, pathErr("open", name, e)
	}
	if !r.found {
		return nil, pathErr("open", name, syscall.ENOENT)
	}
	if !r.node.top().isDir() {
		return nil, pathErr("readdir", name, syscall.ENOTDIR)
	}
	d := r.node
	c.touchAtime(d.top())
	names := c.mergedNames(d)
	out := make([]fs.DirEntry, len(names))
	for i, n := range names {
		child, _ := lookupMerged(d, n, c.ov)
		out[i] = &dirEntry{name: n, mode: child.top().mode, info: func() (fs.FileInfo, error) {
			c.mu.Lock()
			defer c.mu.Unlock()
			return child.top().info(n, c.dev, c.nlink(child)), nil
		}}
	}
	return out, nil
}

// mergedNames lists the merged directory d's entries, sorted.
func (c *core) mergedNames(d mnode) []string {
	names := make([]string, 0, len(d.up.entries())+len(d.lo.entries()))
	if d.up != nil {
		for n, e := range d.up.dir {
			if c.ov && e.isWhiteout() {
				continue
			}
			names = append(names, n)
		}
	}
	if d.lo != nil {
		for n := range d.lo.dir {
			if d.up.entry(n) == nil {
				names = append(names, n)
			}
		}
	}
	slices.Sort(names)
	return names
}

func (n *inode) entries() map[string]*inode {
	if n == nil {
		return nil
	}
	return n.dir
}

// touchAtime updates n's access time as relatime does: when it is not after
// the modification or change time, or a day old.
func (c *core) touchAtime(n *inode) {
	if n.frozen() {
		return
	}
	now := c.clock.now()
	if n.atime <= n.mtime || n.atime <= n.ctime || now-n.atime >= int64(24*time.Hour) {
		n.atime = now
	}
}

// Readlink implements FS.
func (c *core) Readlink(name string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, e := c.resolve(name, followSlash)
	if e != 0 {
		return "", pathErr("readlink", name, e)
	}
	if !r.found {
		return "", pathErr("readlink", name, syscall.ENOENT)
	}
	t := r.node.top()
	if !t.isSymlink() {
		return "", pathErr("readlink", name, syscall.EINVAL)
	}
	return t.target, nil
}

// OpenFile implements FS.
func (c *core) OpenFile(name string, flag int, perm fs.FileMode) (File, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	acc := flag & (os.O_RDONLY | os.O_WRONLY | os.O_RDWR)
	write := acc == os.O_WRONLY || acc == os.O_RDWR
	creat := flag&os.O_CREATE != 0
	excl := creat && flag&os.O_EXCL != 0
	mode := followAll
	if excl {
		mode = followNone
	}
	r, e := c.resolve(name, mode)
	if e != 0 {
		return nil, pathErr("open", name, e)
	}
	now := c.clock.now()
	var n *inode
	switch {
	case r.self:
		if write || creat || flag&os.O_TRUNC != 0 {
			return nil, pathErr("open", name, syscall.EISDIR)
		}
		n = r.node.top()
	case !r.found:
		if !creat {
			return nil, pathErr("open", name, syscall.ENOENT)
		}
		if r.slash {
			return nil, pathErr("open", name, syscall.EISDIR)
		}
		parent := c.copyUpStack(&r)
		n = c.newChild(parent, perm&permBits, now)
		c.linkEntry(parent, r.name, n, now)
	default:
		if excl {
			return nil, pathErr("open", name, syscall.EEXIST)
		}
		t := r.node.top()
		if r.slash && !t.isDir() {
			return nil, pathErr("open", name, syscall.ENOTDIR)
		}
		if t.isDir() {
			if write || creat || flag&os.O_TRUNC != 0 {
				return nil, pathErr("open", name, syscall.EISDIR)
			}
			n = t
			break
		}
		if write || flag&os.O_TRUNC != 0 {
			n = c.copyUpNode(&r)
		} else {
			n = t
		}
		if flag&os.O_TRUNC != 0 && n.isRegular() {
			n.data = nil
			n.flags &^= flagShared
			n.mtime, n.ctime = now, now
		}
	}
	return &file{c: c, n: n, name: name, flag: flag}, nil
}

// Mkdir implements FS. perm is used as given (the caller applies its
// umask); setuid and setgid in it are ignored, and a directory made in a
// setgid directory is setgid and has its group.
func (c *core) Mkdir(name string, perm fs.FileMode) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, e := c.resolve(name, followNone)
	if e != 0 {
		return pathErr("mkdir", name, e)
	}
	if r.self || r.found {
		return pathErr("mkdir", name, syscall.EEXIST)
	}
	now := c.clock.now()
	parent := c.copyUpStack(&r)
	n := c.newChild(parent, fs.ModeDir|perm&(fs.ModePerm|fs.ModeSticky), now)
	c.linkEntry(parent, r.name, n, now)
	return nil
}

// Remove implements FS.
func (c *core) Remove(name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, e := c.resolve(name, followNone)
	if e != 0 {
		return pathErr("unlink", name, e)
	}
	if r.self {
		switch r.name {
		case "":
			return pathErr("rmdir", name, syscall.EBUSY)
		case ".":
			return pathErr("rmdir", name, syscall.EINVAL)
		default:
			return pathErr("rmdir", name, syscall.ENOTEMPTY)
		}
	}
	if !r.found {
		return pathErr("unlink", name, syscall.ENOENT)
	}
	t := r.node.top()
	now := c.clock.now()
	if t.isDir() {
		if !c.isEmpty(r.node) {
			return pathErr("rmdir", name, syscall.ENOTEMPTY)
		}
	} else if r.slash {
		return pathErr("unlink", name, syscall.ENOTDIR)
	}
	pm := r.parent()
	parent := c.copyUpStack(&r)
	if u := r.node.up; u != nil && !u.isDir() {
		u.nlink--
		u.ctime = now
	}
	c.unlinkEntry(pm, parent, r.name, now, true)
	return nil
}

// Rename implements FS. In a union, renaming a directory that exists in a
// lower layer fails with EXDEV, as overlayfs does without redirect_dir
// (Docker's default); tools then copy.
func (c *core) Rename(oldname, newname string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	ro, e := c.resolve(oldname, followNone)
	if e != 0 {
		return pathErr("rename", oldname, e)
	}
	rn, e := c.resolve(newname, followNone)
	if e != 0 {
		return pathErr("rename", newname, e)
	}
	if ro.self || rn.self {
		return pathErr("rename", oldname, syscall.EBUSY)
	}
	if !ro.found {
		return pathErr("rename", oldname, syscall.ENOENT)
	}
	ot := ro.node.top()
	if !ot.isDir() && (ro.slash || rn.slash) {
		return pathErr("rename", oldname, syscall.ENOTDIR)
	}
	if rn.found {
		nt := rn.node.top()
		// Two names of one inode: nothing to do. Overlayfs gives each name
		// of a lower hard link an inode of its own, so there the rename
		// goes ahead.
		if nt == ot && (!c.ov || (ro.node.up != nil && rn.node.up != nil)) {
			return nil
		}
		switch {
		case ot.isDir() && !nt.isDir():
			return pathErr("rename", oldname, syscall.ENOTDIR)
		case !ot.isDir() && nt.isDir():
			return pathErr("rename", oldname, syscall.EISDIR)
		}
	}
	if ot.isDir() {
		// The new name may not be inside the directory moved.
		for _, d := range rn.stack {
			if d.top() == ot {
				return pathErr("rename", oldname, syscall.EINVAL)
			}
		}
		if ro.node.lo != nil {
			return pathErr("rename", oldname, syscall.EXDEV)
		}
		if rn.found && !c.isEmpty(rn.node) {
			return pathErr("rename", oldname, syscall.ENOTEMPTY)
		}
	}
	now := c.clock.now()
	n := c.copyUpNode(&ro)
	oldParent := ro.stack[len(ro.stack)-1].up
	// Copying up the old name's parents may have copied up the new name's.
	newParent := c.copyUpStack(&rn)
	opm := ro.parent()
	c.unlinkEntry(opm, oldParent, ro.name, now, false)
	if rn.found && rn.node.up != nil && !rn.node.up.isDir() {
		rn.node.up.nlink--
		rn.node.up.ctime = now
	}
	if old := newParent.dir[rn.name]; old != nil && old.isDir() {
		newParent.nlink--
	}
	if n.isDir() && lowerHas(rn.parent(), rn.name) {
		n.flags |= flagOpaque
	}
	c.linkEntry(newParent, rn.name, n, now)
	n.ctime = now
	return nil
}

// Symlink implements FS.
func (c *core) Symlink(target, name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, e := c.resolve(name, followNone)
	if e != 0 {
		return pathErr("symlink", name, e)
	}
	if r.self || r.found {
		return pathErr("symlink", name, syscall.EEXIST)
	}
	if r.slash || target == "" {
		return pathErr("symlink", name, syscall.ENOENT)
	}
	now := c.clock.now()
	parent := c.copyUpStack(&r)
	n := c.newChild(parent, fs.ModeSymlink|fs.ModePerm, now)
	n.target = target
	c.linkEntry(parent, r.name, n, now)
	return nil
}

// Link implements FS.
func (c *core) Link(oldname, newname string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	ro, e := c.resolve(oldname, followSlash)
	if e != 0 {
		return pathErr("link", oldname, e)
	}
	if !ro.found {
		return pathErr("link", oldname, syscall.ENOENT)
	}
	if ro.self || ro.node.top().isDir() {
		return pathErr("link", oldname, syscall.EPERM)
	}
	if ro.slash {
		return pathErr("link", oldname, syscall.ENOTDIR)
	}
	rn, e := c.resolve(newname, followNone)
	if e != 0 {
		return pathErr("link", newname, e)
	}
	if rn.self || rn.found {
		return pathErr("link", newname, syscall.EEXIST)
	}
	if rn.slash {
		return pathErr("link", newname, syscall.ENOENT)
	}
	now := c.clock.now()
	n := c.copyUpNode(&ro)
	parent := c.copyUpStack(&rn)
	n.nlink++
	n.ctime = now
	c.linkEntry(parent, rn.name, n, now)
	return nil
}

// modify resolves name and applies fn to its upper inode, copied up first.
func (c *core) modify(op, name string, mode follow, fn func(n *inode, now int64)) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, e := c.resolve(name, mode)
	if e != 0 {
		return pathErr(op, name, e)
	}
	if !r.found {
		return pathErr(op, name, syscall.ENOENT)
	}
	if r.slash && !r.node.top().isDir() {
		return pathErr(op, name, syscall.ENOTDIR)
	}
	n := c.copyUpNode(&r)
	now := c.clock.now()
	fn(n, now)
	n.ctime = now
	return nil
}

// Chmod implements FS.
func (c *core) Chmod(name string, mode fs.FileMode) error {
	return c.modify("chmod", name, followAll, func(n *inode, _ int64) {
		n.mode = n.mode.Type() | mode&permBits
	})
}

// Lchown implements FS. As on Linux, changing the owner of a
// non-directory clears its setuid bit, and its setgid bit when it is
// group-executable.
func (c *core) Lchown(name string, uid, gid int) error {
	return c.modify("lchown", name, followSlash, func(n *inode, _ int64) {
		if uid != -1 {
			n.uid = int32(uid)
		}
		if gid != -1 {
			n.gid = int32(gid)
		}
		if !n.isDir() && !n.isSymlink() {
			n.mode &^= fs.ModeSetuid
			if n.mode&0o010 != 0 {
				n.mode &^= fs.ModeSetgid
			}
		}
	})
}

// Chtimes implements FS. A zero time leaves that time unchanged.
func (c *core) Chtimes(name string, atime, mtime time.Time) error {
	return c.modify("utimes", name, followAll, func(n *inode, _ int64) {
		if !atime.IsZero() {
			n.atime = atime.UnixNano()
		}
		if !mtime.IsZero() {
			n.mtime = mtime.UnixNano()
		}
	})
}

// Mknod implements FS.
func (c *core) Mknod(name string, mode fs.FileMode, dev uint64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch mode.Type() {
	case 0, fs.ModeDevice, fs.ModeDevice | fs.ModeCharDevice, fs.ModeNamedPipe, fs.ModeSocket:
	case fs.ModeDir:
		return pathErr("mknod", name, syscall.EPERM)
	default:
		return pathErr("mknod", name, syscall.EINVAL)
	}
	r, e := c.resolve(name, followNone)
	if e != 0 {
		return pathErr("mknod", name, e)
	}
	if r.self || r.found {
		return pathErr("mknod", name, syscall.EEXIST)
	}
	if r.slash {
		return pathErr("mknod", name, syscall.ENOENT)
	}
	now := c.clock.now()
	parent := c.copyUpStack(&r)
	n := c.newChild(parent, mode.Type()|mode&permBits, now)
	if mode&fs.ModeDevice != 0 {
		n.rdev = dev
	}
	c.linkEntry(parent, r.name, n, now)
	return nil
}
