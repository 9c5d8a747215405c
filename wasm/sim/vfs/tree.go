package vfs

import "io/fs"

// Tree is a mutable in-memory filesystem: directories, regular files,
// symlinks, device nodes, FIFOs and sockets, with inode numbers, link
// counts, owners, modes and times from its Clock. Volumes, bind-mount
// sources and the tmpfs mounts of a container are Trees.
//
// A Tree is safe for concurrent use. Its root is a directory owned by root
// with mode 0755.
type Tree struct {
	core
}

var _ FS = (*Tree)(nil)

// NewTree returns an empty Tree whose times come from clock (nil:
// time.Now).
func NewTree(clock Clock) *Tree {
	t := &Tree{}
	t.clock = clock
	t.dev = newDev()
	t.up = newInode(fs.ModeDir|0o755, clock.now())
	return t
}
