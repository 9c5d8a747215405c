package vfs

import (
	"errors"
	"io/fs"
	"syscall"
)

// Union is a container's root filesystem as Docker's overlay2 driver makes
// it: read-only lower layers merged under one read-write upper tree, with
// overlayfs's semantics.
//
//   - Reads see the upper tree where it has an entry, else the lower layers.
//   - Any change to a lower path (open for writing, truncate, chmod, lchown,
//     utimes, link, rename) first copies it up, with its parents, keeping
//     its inode number, owner, mode and times.
//   - Removing a lower path leaves a whiteout in the upper tree; making a
//     directory where one was removed makes it opaque, so the lower
//     directory's entries stay hidden.
//   - Renaming a directory that exists in a lower layer fails with EXDEV
//     (overlay2 mounts without redirect_dir); busybox mv then copies.
//   - A merged directory (in more than one layer) reports one link.
//
// A Union is safe for concurrent use; many unions share their lower Layer.
type Union struct {
	core
	base *Layer
}

var _ FS = (*Union)(nil)

// NewUnion returns a union with an empty read-write tree over lower (nil:
// nothing below, as for an image FROM scratch). Times come from clock (nil:
// time.Now).
func NewUnion(lower *Layer, clock Clock) *Union {
	u := &Union{base: lower}
	u.clock = clock
	u.dev = newDev()
	u.ov = true
	u.lower = lower.root()
	if u.lower == nil {
		u.lower = &inode{ino: newIno(), mode: fs.ModeDir | 0o755, nlink: 2, flags: flagFrozen}
	}
	u.up = newInode(fs.ModeDir|0o755, clock.now())
	return u
}

// Lower returns the layer the union was made on.
func (u *Union) Lower() *Layer { return u.base }

// Commit returns a snapshot of the union's read-write tree as a new layer
// on top of parent: `docker commit`. The union is unchanged and stays
// independent of the layer. parent is normally the image layer under the
// container's init layer, not Lower.
func (u *Union) Commit(parent *Layer) *Layer {
	u.mu.Lock()
	defer u.mu.Unlock()
	return newLayer(parent, freeze(u.up, map[*inode]*inode{}))
}

// InitLayer returns the layer Docker puts between an image and a
// container's read-write layer (daemon/initlayer): empty files and
// directories where the runtime mounts /etc/hosts, /etc/hostname,
// /etc/resolv.conf, /dev/console, /dev/pts, /dev/shm, /proc and /sys, the
// /.dockerenv marker and the /etc/mtab symlink. Because they are in a
// lower layer, `docker diff` never lists them. It is made as dockerd makes
// it, by changing a union over image: non-directories in the way are
// unlinked, existing directories kept, missing ones made with mode 0755.
func InitLayer(image *Layer, clock Clock) *Layer {
	u := NewUnion(image, clock)
	for _, e := range []struct{ path, typ string }{
		{"/dev/pts", "dir"},
		{"/dev/shm", "dir"},
		{"/proc", "dir"},
		{"/sys", "dir"},
		{"/.dockerenv", "file"},
		{"/etc/resolv.conf", "file"},
		{"/etc/hosts", "file"},
		{"/etc/hostname", "file"},
		{"/dev/console", "file"},
		{"/etc/mtab", "/proc/mounts"},
	} {
		parts := splitPath(e.path)
		prev := ""
		for _, p := range parts {
			prev += "/" + p
			if fi, err := u.Lstat(prev); err == nil && !fi.IsDir() {
				_ = u.Remove(prev)
			}
		}
		if _, err := u.Stat(e.path); !errors.Is(err, syscall.ENOENT) {
			continue
		}
		dir := e.path[:len(e.path)-len(parts[len(parts)-1])-1]
		if dir != "" {
			if err := MkdirAll(u, dir, 0o755); err != nil {
				continue
			}
		}
		switch e.typ {
		case "dir":
			_ = MkdirAll(u, e.path, 0o755)
		case "file":
			_ = WriteFile(u, e.path, nil, 0o755)
		default:
			_ = u.Symlink(e.typ, e.path)
		}
	}
	return u.Commit(image)
}
