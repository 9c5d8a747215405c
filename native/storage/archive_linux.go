package storage

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

// The functions here work on a container's root directory open as rootFd:
// /proc/PID/root of a running container (its mounts included) or a private
// mount of a stopped one (see Store.WithRoot). Paths are resolved inside it.

func notFound(p string) error {
	return backend.Errorf(backend.NotFound, "Could not find the file %s in container", p)
}

func wrapPathErr(p string, err error) error {
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) {
		return notFound(p)
	}
	return fmt.Errorf("%s: %w", p, err)
}

// Stat describes p inside rootFd without following a final symlink.
func Stat(rootFd int, p string) (backend.PathStat, error) {
	dir, name := splitPath(p)
	parent, err := openIn(rootFd, dir, unix.O_PATH|unix.O_DIRECTORY)
	if err != nil {
		return backend.PathStat{}, wrapPathErr(p, err)
	}
	defer unix.Close(parent)
	var st unix.Stat_t
	if err := unix.Fstatat(parent, name, &st, unix.AT_SYMLINK_NOFOLLOW|unix.AT_EMPTY_PATH); err != nil {
		return backend.PathStat{}, wrapPathErr(p, err)
	}
	ps := backend.PathStat{Name: path.Base(path.Clean("/" + p)), Size: st.Size, Mode: uint32(fileMode(&st)), Mtime: time.Unix(st.Mtim.Unix())}
	if st.Mode&unix.S_IFMT == unix.S_IFLNK {
		target, err := resolve(rootFd, p)
		if err != nil {
			return backend.PathStat{}, wrapPathErr(p, err)
		}
		ps.LinkTarget = target
	}
	return ps, nil
}

// splitPath returns the folder and base name of p cleaned inside the root;
// the root itself is (".", "").
func splitPath(p string) (string, string) {
	c := path.Clean("/" + p)
	if c == "/" {
		return ".", ""
	}
	d, n := path.Split(c)
	return d, n
}

// fileMode converts a stat mode to Go's fs.FileMode bits.
func fileMode(st *unix.Stat_t) fs.FileMode {
	m := fs.FileMode(st.Mode & 0o777)
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		m |= fs.ModeDir
	case unix.S_IFLNK:
		m |= fs.ModeSymlink
	case unix.S_IFCHR:
		m |= fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFBLK:
		m |= fs.ModeDevice
	case unix.S_IFIFO:
		m |= fs.ModeNamedPipe
	case unix.S_IFSOCK:
		m |= fs.ModeSocket
	}
	if st.Mode&unix.S_ISUID != 0 {
		m |= fs.ModeSetuid
	}
	if st.Mode&unix.S_ISGID != 0 {
		m |= fs.ModeSetgid
	}
	if st.Mode&unix.S_ISVTX != 0 {
		m |= fs.ModeSticky
	}
	return m
}

// resolve follows symlinks in p inside the root and returns the absolute
// path it names there.
func resolve(rootFd int, p string) (string, error) {
	todo := strings.Split(strings.Trim(path.Clean("/"+p), "/"), "/")
	done := "/"
	missing := false // once a folder is missing, nothing below is a link
	for links := 0; len(todo) > 0; {
		c := todo[0]
		todo = todo[1:]
		if c == "" || c == "." {
			continue
		}
		if c == ".." {
			done = path.Dir(done)
			continue
		}
		next := path.Join(done, c)
		if missing {
			done = next
			continue
		}
		parent, err := openIn(rootFd, done, unix.O_PATH|unix.O_DIRECTORY)
		if err != nil {
			return "", err
		}
		buf := make([]byte, unix.PathMax)
		n, err := unix.Readlinkat(parent, c, buf)
		unix.Close(parent)
		if err != nil {
			switch {
			case errors.Is(err, unix.EINVAL): // not a symlink
			case errors.Is(err, unix.ENOENT):
				missing = true
			default:
				return "", err
			}
			done = next
			continue
		}
		if links++; links > 40 {
			return "", unix.ELOOP
		}
		target := string(buf[:n])
		if strings.HasPrefix(target, "/") {
			done = "/"
		}
		todo = append(strings.Split(target, "/"), todo...)
	}
	return done, nil
}

// WriteTar writes p inside rootFd (a file, or a folder and its content) to
// w as a tar whose entries are named from p's base name, as `docker cp`
// expects. A final symlink is archived as a link. Volumes and binds are
// included; the content of pseudo filesystems (/proc, /sys, /dev) is not.
func WriteTar(rootFd int, p string, w io.Writer) error { return writeTar(rootFd, p, w, false) }

func writeTar(rootFd int, p string, w io.Writer, rootfsOnly bool) error {
	dir, name := splitPath(p)
	parent, err := openIn(rootFd, dir, unix.O_PATH|unix.O_DIRECTORY)
	if err != nil {
		return wrapPathErr(p, err)
	}
	defer unix.Close(parent)
	t := newTreeWriter(w)
	var st unix.Stat_t
	if err := unix.Fstat(rootFd, &st); err == nil {
		t.rootDev = st.Dev
	}
	t.rootfsOnly = rootfsOnly
	if name == "" {
		var dfd int
		if dfd, err = unix.Openat(parent, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0); err == nil {
			err = t.writeDir(dfd, "")
			unix.Close(dfd)
		}
	} else {
		err = t.writeEntry(parent, name, name)
	}
	if err != nil {
		return wrapPathErr(p, err)
	}
	return t.close()
}

// Export writes the container's root filesystem under rootFd to w
// (`docker export`): no mount's content, as Docker exports the layers.
func Export(rootFd int, w io.Writer) error { return writeTar(rootFd, "/", w, true) }

// CheckPath returns NotFound when p does not exist inside rootFd.
func CheckPath(rootFd int, p string) error {
	_, err := Stat(rootFd, p)
	return err
}

// CopyIn extracts tar r into folder dir inside rootFd (`docker cp` into a
// container). Errors: NotFound for dir; InvalidParameter for a malformed or
// escaping tar; Conflict as opts forbid.
func CopyIn(rootFd int, dir string, r io.Reader, opts backend.CopyOptions) error {
	fd, err := openIn(rootFd, dir, unix.O_PATH|unix.O_DIRECTORY)
	if err != nil {
		return wrapPathErr(dir, err)
	}
	unix.Close(fd)
	resolved, err := resolve(rootFd, dir)
	if err != nil {
		return wrapPathErr(dir, err)
	}
	_, err = extract(rootFd, r, extractOptions{mode: extractCopy, base: strings.TrimPrefix(resolved, "/"), copy: opts})
	return err
}

// CopyTree copies the content of folder srcFd into folder dstFd (a volume's
// copy-up) without following symlinks out of either.
func CopyTree(srcFd, dstFd int) error {
	pr, pw := io.Pipe()
	go func() {
		t := newTreeWriter(pw)
		err := t.writeDir(srcFd, "")
		if err == nil {
			err = t.close()
		}
		pw.CloseWithError(err)
	}()
	_, err := extract(dstFd, pr, extractOptions{mode: extractCopy})
	pr.CloseWithError(err)
	return err
}
