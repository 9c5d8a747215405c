package storage

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"time"

	"golang.org/x/sys/unix"
)

// treeWriter writes a tree to a tar (`docker cp`, `docker export`),
// walking it by descriptors without following symlinks, each folder's
// entries sorted by name. (Layer diffs are written by DiffTar.)
//
// Seen from a running container's root, the tree has the container's own
// mounts: the writer never descends into pseudo filesystems (proc, sysfs,
// devpts, mqueue, tmpfs: they are not in the container's filesystem, and
// reading /proc/kmsg would block), and with rootfsOnly (`docker export`)
// into no other mount at all, a mounted file then being archived empty, as
// the init layer holds it.
type treeWriter struct {
	tw         *tar.Writer
	links      map[[2]uint64]string // (dev, ino) of files with several links → first name
	rootfsOnly bool
	rootDev    uint64
}

func newTreeWriter(w io.Writer) *treeWriter {
	return &treeWriter{tw: tar.NewWriter(w), links: make(map[[2]uint64]string)}
}

const mqueueMagic = 0x19800202 // not in x/sys/unix

// pseudo reports whether the folder open as fd is on a filesystem whose
// content is not files: proc, sysfs, devpts, mqueue, tmpfs, cgroups.
func pseudo(fd int) bool {
	var s unix.Statfs_t
	if unix.Fstatfs(fd, &s) != nil {
		return true
	}
	switch s.Type {
	case unix.PROC_SUPER_MAGIC, unix.SYSFS_MAGIC, unix.DEVPTS_SUPER_MAGIC, mqueueMagic,
		unix.TMPFS_MAGIC, unix.CGROUP_SUPER_MAGIC, unix.CGROUP2_SUPER_MAGIC:
		return true
	}
	return false
}

// writeEntry writes the entry name of folder dirFd as tar name tname, and
// its content when it is a folder.
func (t *treeWriter) writeEntry(dirFd int, name, tname string) error {
	var st unix.Stat_t
	if err := unix.Fstatat(dirFd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return err
	}
	hdr := &tar.Header{
		Name:    tname,
		Mode:    int64(st.Mode & 0o7777),
		Uid:     int(st.Uid),
		Gid:     int(st.Gid),
		ModTime: time.Unix(st.Mtim.Unix()).Truncate(time.Second),
		Format:  tar.FormatPAX,
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		hdr.Typeflag = tar.TypeDir
		if tname != "" && tname[len(tname)-1] != '/' {
			hdr.Name += "/"
		}
		fd, err := unix.Openat(dirFd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		if hdr.Name != "/" && hdr.Name != "./" {
			if err := t.tw.WriteHeader(hdr); err != nil {
				return err
			}
		}
		if t.rootDev != 0 && st.Dev != t.rootDev && (t.rootfsOnly || pseudo(fd)) {
			return nil // a mount point: its folder, not its content
		}
		return t.writeDir(fd, hdr.Name)
	case unix.S_IFREG:
		hdr.Typeflag = tar.TypeReg
		if st.Nlink > 1 {
			key := [2]uint64{st.Dev, st.Ino}
			if first, ok := t.links[key]; ok {
				hdr.Typeflag, hdr.Linkname = tar.TypeLink, first
				return t.tw.WriteHeader(hdr)
			}
			t.links[key] = tname
		}
		fd, err := unix.Openat(dirFd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		f := os.NewFile(uintptr(fd), name)
		defer f.Close()
		hdr.Size = st.Size
		if t.rootfsOnly && t.rootDev != 0 && st.Dev != t.rootDev {
			hdr.Size = 0 // a file mounted over the init layer's empty one
			return t.tw.WriteHeader(hdr)
		}
		if err := t.tw.WriteHeader(hdr); err != nil {
			return err
		}
		n, err := io.CopyN(t.tw, f, st.Size)
		if errors.Is(err, io.EOF) {
			// The file shrank while we read it: pad, as tar must.
			_, err = t.tw.Write(make([]byte, st.Size-n))
		}
		return err
	case unix.S_IFLNK:
		buf := make([]byte, unix.PathMax)
		n, err := unix.Readlinkat(dirFd, name, buf)
		if err != nil {
			return err
		}
		hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, string(buf[:n])
	case unix.S_IFCHR, unix.S_IFBLK:
		hdr.Typeflag = tar.TypeChar
		if st.Mode&unix.S_IFMT == unix.S_IFBLK {
			hdr.Typeflag = tar.TypeBlock
		}
		hdr.Devmajor, hdr.Devminor = int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev))
	case unix.S_IFIFO:
		hdr.Typeflag = tar.TypeFifo
	default:
		return nil // sockets are not archived
	}
	return t.tw.WriteHeader(hdr)
}

// writeDir writes the entries of the open folder fd under tar prefix.
func (t *treeWriter) writeDir(fd int, prefix string) error {
	d, err := unix.Dup(fd)
	if err != nil {
		return err
	}
	f := os.NewFile(uintptr(d), prefix)
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		return err
	}
	slices.Sort(names)
	if prefix == "/" || prefix == "./" {
		prefix = ""
	}
	for _, n := range names {
		if err := t.writeEntry(fd, n, prefix+n); err != nil {
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, unix.ENOENT) {
				continue // removed while we walked
			}
			return fmt.Errorf("%s: %w", prefix+n, err)
		}
	}
	return nil
}

func (t *treeWriter) close() error { return t.tw.Close() }
