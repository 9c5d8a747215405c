// Package vfs is the simulator's filesystem: in-memory trees, read-only
// layers, the union (overlay) filesystem of a container with copy-up,
// whiteouts and opaque directories, `docker diff` computed from the
// read-write layer, layer tars in and out, and mount tables that put volumes,
// bind mounts and synthetic filesystems (/proc) into a container's view.
//
// Everything is in memory and builds for js/wasm; nothing here touches the
// host's filesystem.
//
// # A container's root
//
// Layers come from tars (ImportLayer, for `docker pull`/`load`/ADD) or
// from snapshots (NewLayer of a Tree, Union.Commit). A container's root is
// a Union over Docker's init layer over the image's top layer; its Changes
// are `docker diff`:
//
//	image, err := vfs.ImportLayer(tarReader, nil, nil) // base layer
//	initLayer := vfs.InitLayer(image, clock)            // /etc/hosts, /proc, ... mount points
//	root := vfs.NewUnion(initLayer, clock)              // empty read-write layer
//	...                                                 // the container writes through root
//	changes := root.Changes()                           // []backend.Change
//	layer := root.Commit(image)                         // `docker commit`
//	diffID := layer.DiffID()                            // sha256 of vfs.ExportLayer(layer)
//
// Layers are immutable and shared: a thousand containers of one image share
// its files, and an exited container costs about a kilobyte plus what it
// wrote.
//
// # What a process sees
//
// A Namespace mounts filesystems into the root. The runtime makes each
// mount point in the union first (which is why `-v /data` shows as
// "A /data"), then mounts; WithCred adds a process's permission checks:
//
//	ns := vfs.NewNamespace(root, vfs.MountOptions{Type: "overlay", Device: "overlay"})
//	vfs.MkdirAll(root, "/data", 0o755)
//	ns.Mount("/data", volumeTree, vfs.MountOptions{Type: "ext4"})
//	ns.Mount("/etc/hosts", engineFiles, vfs.MountOptions{Source: "/hosts"}) // a single file
//	ns.Mount("/proc", vfs.SynthFS(procfs), vfs.MountOptions{Type: "proc"})
//	ns.SetDevices(kernelDevices)                      // /dev/null and friends
//	fsys := vfs.WithCred(ns, vfs.Cred{UID: 65534, GID: 65534})
//
// The archive API (`docker cp`) is StatPath, CopyOut and CopyIn on such a
// Namespace; `docker export` is ExportMerged of the union.
//
// # Fidelity
//
// Path resolution and errnos follow Linux (checked against this kernel);
// the union follows overlayfs as Docker's overlay2 driver mounts it
// (copy-up keeps inode numbers, shared whiteout inodes, opaque directories,
// EXDEV for renaming lower directories, one link for merged directories);
// Changes follows dockerd 20.10's overlay2 driver, which compares the
// merged trees (archive.ChangesDirs), not the newer upper-directory walk.
package vfs

import (
	"io"
	"io/fs"
	"time"
)

// FS is a POSIX-like filesystem seen from its root, the interface the
// simulated kernel, shell and applets use.
//
// Names are slash-separated; a relative name is relative to "/". Symlinks
// resolve inside the filesystem as in a chroot: an absolute target starts at
// this root and ".." at the root stays there, so nothing can lead out.
// Resolution fails with ELOOP after 40 links.
//
// Errors are *fs.PathError{Op, Path, Err} whose Err is a syscall.Errno
// (ENOENT, EEXIST, ENOTDIR, EISDIR, ENOTEMPTY, EROFS, EXDEV, EINVAL, ELOOP,
// EACCES, EPERM, EBUSY), so callers can print the message busybox would print
// for that errno. Op is the system call's name ("open", "mkdir", "unlink",
// "rmdir", "rename", "stat", "lstat", "readlink", "symlink", "link",
// "chmod", "lchown", "utimes", "truncate", "readdir").
//
// An FS does no permission checks; WithCred wraps one that does. What an
// FS creates gets perm as given (the caller applies its umask) and belongs
// to root, or to the group of a setgid directory; WithCred gives it to the
// process's user instead. A zero time given to Chtimes leaves that time
// unchanged.
type FS interface {
	// Stat follows a final symlink; Lstat does not.
	Stat(name string) (fs.FileInfo, error)
	Lstat(name string) (fs.FileInfo, error)
	// ReadDir lists a directory's entries sorted by name, without "." and "..".
	ReadDir(name string) ([]fs.DirEntry, error)
	Readlink(name string) (string, error)
	// OpenFile opens with os.O_* flags (O_RDONLY, O_WRONLY, O_RDWR, O_CREATE,
	// O_EXCL, O_TRUNC, O_APPEND). perm applies to a created file. Opening a
	// directory read-only succeeds (its File reads no bytes; use ReadDir).
	OpenFile(name string, flag int, perm fs.FileMode) (File, error)
	Mkdir(name string, perm fs.FileMode) error
	// Remove unlinks a non-directory or removes an empty directory.
	Remove(name string) error
	// Rename moves oldname to newname atomically, replacing a file or an empty
	// directory at newname, like rename(2).
	Rename(oldname, newname string) error
	Symlink(target, name string) error
	// Link makes a hard link: both names share one inode.
	Link(oldname, newname string) error
	// Chmod sets the permission bits (and setuid, setgid, sticky) following
	// a final symlink.
	Chmod(name string, mode fs.FileMode) error
	// Lchown sets owner and group without following a final symlink;
	// -1 leaves a value unchanged.
	Lchown(name string, uid, gid int) error
	// Chtimes sets access and modification times, following a final symlink.
	Chtimes(name string, atime, mtime time.Time) error
	// Mknod makes a device node, FIFO or socket (mode carries the type bits).
	Mknod(name string, mode fs.FileMode, dev uint64) error
}

// File is an open file.
type File interface {
	io.Reader
	io.Writer
	io.Seeker
	io.ReaderAt
	io.Closer
	Stat() (fs.FileInfo, error)
	Truncate(size int64) error
	// Name is the name the file was opened with.
	Name() string
}

// Stat is the inode information behind a FileInfo: fs.FileInfo.Sys()
// returns a *Stat for every FileInfo an FS returns.
type Stat struct {
	Dev   uint64 // the filesystem's device number
	Ino   uint64 // inode number, unique within Dev
	Nlink uint32
	UID   int
	GID   int
	Rdev  uint64 // device number of a device node
	Atime time.Time
	Mtime time.Time
	Ctime time.Time
	// Blocks is the number of 512-byte blocks, as du and ls -s count.
	Blocks int64
}

// StatOf returns fi's *Stat, or a zero Stat when fi did not come from an FS.
func StatOf(fi fs.FileInfo) *Stat {
	if st, ok := fi.Sys().(*Stat); ok {
		return st
	}
	return &Stat{}
}
