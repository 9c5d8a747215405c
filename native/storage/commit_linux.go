package storage

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"time"

	"golang.org/x/sys/unix"

	"github.com/twinbox-dev/twinbox/shared/image"
)

// DiffTar writes container id's read-write layer to w as dockerd 20.10
// writes the layer of `docker commit` (shared/image.LayerWriter: the same
// files give the same bytes): overlay whiteouts become ".wh." files and
// opaque directories get their ".wh..wh..opq" marker.
func (s *Store) DiffTar(id string, w io.Writer) error {
	if _, err := s.rootfsMeta(id); err != nil {
		return err
	}
	fd, err := unix.Open(path.Join(s.ContainerDir(id), "diff"), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	lw := image.NewLayerWriter(w, nil)
	c := &layerWalk{lw: lw, links: make(map[[2]uint64]string)}
	if err := c.dir(fd, ""); err != nil {
		return err
	}
	return lw.Close()
}

type layerWalk struct {
	lw    *image.LayerWriter
	links map[[2]uint64]string
}

func (c *layerWalk) dir(fd int, prefix string) error {
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
	for _, n := range names {
		if err := c.entry(fd, n, path.Join(prefix, n)); err != nil {
			if errors.Is(err, unix.ENOENT) {
				continue
			}
			return fmt.Errorf("%s: %w", path.Join(prefix, n), err)
		}
	}
	return nil
}

func (c *layerWalk) entry(dirFd int, name, p string) error {
	var st unix.Stat_t
	if err := unix.Fstatat(dirFd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return err
	}
	e := &image.Entry{
		Path: p, Mode: fileMode(&st) & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky),
		UID: int(st.Uid), GID: int(st.Gid), ModTime: time.Unix(st.Mtim.Unix()),
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		e.Type = image.TypeDir
		fd, err := unix.Openat(dirFd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		if err := c.lw.WriteEntry(e, nil); err != nil {
			return err
		}
		v := make([]byte, 1)
		if n, err := unix.Fgetxattr(fd, opaqueXattr, v); err == nil && n == 1 && v[0] == 'y' {
			o := *e
			o.Type = image.TypeOpaque
			if err := c.lw.WriteEntry(&o, nil); err != nil {
				return err
			}
		}
		return c.dir(fd, p)
	case unix.S_IFREG:
		if st.Nlink > 1 {
			key := [2]uint64{st.Dev, st.Ino}
			if first, ok := c.links[key]; ok {
				e.Type, e.Linkname = image.TypeHardlink, first
				return c.lw.WriteEntry(e, nil)
			}
			c.links[key] = p
		}
		fd, err := unix.Openat(dirFd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		f := os.NewFile(uintptr(fd), name)
		defer f.Close()
		e.Type, e.Size = image.TypeRegular, st.Size
		buf := make([]byte, 256)
		if n, err := unix.Fgetxattr(fd, "security.capability", buf); err == nil {
			e.Xattrs = map[string]string{"security.capability": string(buf[:n])}
		}
		return c.lw.WriteEntry(e, f)
	case unix.S_IFLNK:
		buf := make([]byte, unix.PathMax)
		n, err := unix.Readlinkat(dirFd, name, buf)
		if err != nil {
			return err
		}
		e.Type, e.Linkname = image.TypeSymlink, string(buf[:n])
	case unix.S_IFCHR:
		if st.Rdev == 0 {
			e.Type = image.TypeWhiteout
		} else {
			e.Type = image.TypeCharDevice
			e.Devmajor, e.Devminor = int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev))
		}
	case unix.S_IFBLK:
		e.Type = image.TypeBlockDevice
		e.Devmajor, e.Devminor = int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev))
	case unix.S_IFIFO:
		e.Type = image.TypeFIFO
	default:
		return nil // sockets are not archived
	}
	return c.lw.WriteEntry(e, nil)
}
