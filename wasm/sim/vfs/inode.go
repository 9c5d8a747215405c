package vfs

import (
	"errors"
	"io/fs"
	"sync/atomic"
	"syscall"
	"time"
)

// Clock tells a filesystem the time for atime, mtime and ctime. A nil Clock
// is time.Now.
type Clock func() time.Time

func (c Clock) now() int64 {
	if c == nil {
		return time.Now().UnixNano()
	}
	return c().UnixNano()
}

// Inode and device numbers come from process-wide counters so that numbers
// stay unique across the layers and read-write trees that one container's
// root combines. The first numbers look like those of a real disk.
var (
	lastIno atomic.Uint64
	lastDev atomic.Uint64
)

func init() {
	lastIno.Store(1 << 20)
	lastDev.Store(0x2d) // overlay mounts get anonymous devices 0:46 and up
}

func newIno() uint64 { return lastIno.Add(1) }
func newDev() uint64 { return lastDev.Add(1) }

// inode flags.
const (
	// flagFrozen marks an inode of an immutable layer: nothing may change it.
	flagFrozen uint8 = 1 << iota
	// flagOpaque marks an upper directory that hides the lower directories
	// below it (overlayfs's trusted.overlay.opaque=y).
	flagOpaque
	// flagMerged marks a directory of a merged lower tree made from more
	// than one layer's directory; overlayfs reports such a directory with
	// one link.
	flagMerged
	// flagShared marks file data shared with another inode (a layer's, or a
	// snapshot's): it is copied before the first write.
	flagShared
)

// dirSize is what a directory's st_size reports (one ext4 block).
const dirSize = 4096

// inode is a file, directory, symlink, device node, FIFO or socket. In a tree
// made from a tar or a read-write layer, a character device with device
// number 0 is an overlay whiteout.
type inode struct {
	ino    uint64
	mode   fs.FileMode // type and permission bits, Go's encoding
	nlink  uint32
	flags  uint8
	uid    int32
	gid    int32
	rdev   uint64
	atime  int64 // Unix nanoseconds
	mtime  int64
	ctime  int64
	data   []byte            // regular file content
	target string            // symlink target
	dir    map[string]*inode // directory entries; nil when empty
	// xattrs holds extended attributes a layer tar carried
	// ("security.capability"); nil almost always.
	xattrs map[string]string
}

func (n *inode) isDir() bool     { return n.mode&fs.ModeDir != 0 }
func (n *inode) isSymlink() bool { return n.mode&fs.ModeSymlink != 0 }
func (n *inode) isRegular() bool { return n.mode.IsRegular() }
func (n *inode) frozen() bool    { return n.flags&flagFrozen != 0 }
func (n *inode) opaque() bool    { return n.flags&flagOpaque != 0 }

// isWhiteout reports whether n is an overlay whiteout: a character device
// with device number 0/0.
func (n *inode) isWhiteout() bool {
	return n.mode&(fs.ModeDevice|fs.ModeCharDevice) == fs.ModeDevice|fs.ModeCharDevice && n.rdev == 0
}

func newInode(mode fs.FileMode, now int64) *inode {
	n := &inode{ino: newIno(), mode: mode, nlink: 1, atime: now, mtime: now, ctime: now}
	if mode.IsDir() {
		n.nlink = 2
	}
	return n
}

func newWhiteout(now int64) *inode {
	return &inode{ino: newIno(), mode: fs.ModeDevice | fs.ModeCharDevice, nlink: 1, atime: now, mtime: now, ctime: now}
}

// size is st_size.
func (n *inode) size() int64 {
	switch {
	case n.isRegular():
		return int64(len(n.data))
	case n.isDir():
		return dirSize
	case n.isSymlink():
		return int64(len(n.target))
	}
	return 0
}

// blocks is st_blocks as ext4 allocates: whole 4 KiB blocks, none for an
// empty file or a short ("fast") symlink.
func (n *inode) blocks() int64 {
	var sz int64
	switch {
	case n.isRegular():
		sz = int64(len(n.data))
	case n.isDir():
		sz = dirSize
	case n.isSymlink():
		if len(n.target) < 60 {
			return 0
		}
		sz = int64(len(n.target))
	}
	return (sz + 4095) / 4096 * 8
}

// copyUp returns a new inode with n's metadata and content (the content
// shared, to be copied on write). It keeps n's inode number, as overlayfs
// reports the lower st_ino after a copy-up, except for a file with more
// than one link: copy-up breaks lower hard links, so overlayfs reports the
// upper file's own number then. Directory entries are not copied.
func (n *inode) copyUp(now int64) *inode {
	ino := n.ino
	if !n.isDir() && n.nlink > 1 {
		ino = newIno()
	}
	c := &inode{
		ino: ino, mode: n.mode, nlink: 1, uid: n.uid, gid: n.gid, rdev: n.rdev,
		atime: n.atime, mtime: n.mtime, ctime: now, target: n.target, xattrs: n.xattrs,
	}
	if n.isDir() {
		c.nlink = 2
	}
	if n.isRegular() && len(n.data) > 0 {
		c.data = n.data
		c.flags |= flagShared
	}
	return c
}

// setDataWritable makes n's data private before a write.
func (n *inode) ownData() {
	if n.flags&flagShared != 0 {
		n.data = append([]byte(nil), n.data...)
		n.flags &^= flagShared
	}
}

func (n *inode) link(name string, c *inode) {
	if n.dir == nil {
		n.dir = make(map[string]*inode)
	}
	n.dir[name] = c
}

// fileInfo is the fs.FileInfo of every FS in this package.
type fileInfo struct {
	name string
	size int64
	mode fs.FileMode
	st   Stat
}

func (fi *fileInfo) Name() string       { return fi.name }
func (fi *fileInfo) Size() int64        { return fi.size }
func (fi *fileInfo) Mode() fs.FileMode  { return fi.mode }
func (fi *fileInfo) ModTime() time.Time { return fi.st.Mtime }
func (fi *fileInfo) IsDir() bool        { return fi.mode.IsDir() }
func (fi *fileInfo) Sys() any           { return &fi.st }

func (n *inode) info(name string, dev uint64, nlink uint32) *fileInfo {
	return &fileInfo{
		name: name,
		size: n.size(),
		mode: n.mode,
		st: Stat{
			Dev: dev, Ino: n.ino, Nlink: nlink, UID: int(n.uid), GID: int(n.gid), Rdev: n.rdev,
			Atime: time.Unix(0, n.atime), Mtime: time.Unix(0, n.mtime), Ctime: time.Unix(0, n.ctime),
			Blocks: n.blocks(),
		},
	}
}

// dirEntry is the fs.DirEntry of every FS in this package.
type dirEntry struct {
	name string
	mode fs.FileMode
	info func() (fs.FileInfo, error)
}

func (d *dirEntry) Name() string               { return d.name }
func (d *dirEntry) IsDir() bool                { return d.mode.IsDir() }
func (d *dirEntry) Type() fs.FileMode          { return d.mode.Type() }
func (d *dirEntry) Info() (fs.FileInfo, error) { return d.info() }
func (d *dirEntry) String() string             { return fs.FormatDirEntry(d) }

// errnoOf returns the errno in err, 0 for nil, or -1 when err carries
// none.
func errnoOf(err error) syscall.Errno {
	if err == nil {
		return 0
	}
	var e syscall.Errno
	if errors.As(err, &e) {
		return e
	}
	return ^syscall.Errno(0)
}

func pathErr(op, name string, errno syscall.Errno) error {
	return &fs.PathError{Op: op, Path: name, Err: errno}
}

// baseName is the last element of a slash-separated name, for FileInfo.Name.
func baseName(name string) string {
	for len(name) > 1 && name[len(name)-1] == '/' {
		name = name[:len(name)-1]
	}
	if name == "" {
		return "/"
	}
	for i := len(name) - 1; i >= 0; i-- {
		if name[i] == '/' {
			if i == len(name)-1 {
				return "/"
			}
			return name[i+1:]
		}
	}
	return name
}
