package storage

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

// Whiteout names, as the OCI image spec and Docker write them in layer tars.
const (
	whiteoutPrefix = ".wh."
	whiteoutOpaque = ".wh..wh..opq"
	opaqueXattr    = "trusted.overlay.opaque"
)

type extractMode int

const (
	// extractLayer applies a layer tar: OCI whiteouts become overlay ones.
	extractLayer extractMode = iota
	// extractCopy is `docker cp` into a container: names are plain.
	extractCopy
)

// extractOptions tune extract.
type extractOptions struct {
	mode extractMode
	// base is the folder, relative to the root, that names are relative to
	// and that no entry may leave.
	base string
	copy backend.CopyOptions
}

// extractDir extracts a tar into the empty folder dir (a new layer).
func extractDir(dir string, r io.Reader, mode extractMode) (int64, error) {
	fd, err := unix.Open(dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, err
	}
	defer unix.Close(fd)
	return extract(fd, r, extractOptions{mode: mode})
}

// invalid is the error for a tar that is malformed or escapes.
func invalid(format string, args ...any) error {
	return backend.Errorf(backend.InvalidParameter, format, args...)
}

// extract writes the entries of tar r under rootFd. Every path is resolved
// as if rootFd were the root directory (symlinks included: openat2's
// RESOLVE_IN_ROOT), and every file is created relative to a directory so
// resolved, so nothing is ever written outside rootFd, whatever the tar or a
// process changing the tree meanwhile does. It returns the sum of the sizes
// of the regular files.
func extract(rootFd int, r io.Reader, opts extractOptions) (int64, error) {
	tr := tar.NewReader(r)
	var size int64
	type dirAttr struct {
		rel string
		hdr *tar.Header
	}
	var dirs []dirAttr
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return size, invalid("invalid tar header: %v", err)
		}
		switch hdr.Typeflag {
		case tar.TypeXGlobalHeader:
			continue
		case tar.TypeReg, tar.TypeRegA, tar.TypeDir, tar.TypeSymlink, tar.TypeLink,
			tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		default:
			return size, invalid("%s: unhandled tar header type %d", hdr.Name, hdr.Typeflag)
		}
		rel, err := cleanName(hdr.Name)
		if err != nil {
			return size, err
		}
		if rel == "." {
			continue // the root itself
		}
		full := path.Join(opts.base, rel)
		dir, name := path.Split(full)
		if opts.mode == extractLayer && strings.HasPrefix(name, whiteoutPrefix) {
			if err := whiteout(rootFd, dir, name, hdr); err != nil {
				return size, err
			}
			continue
		}
		parent, err := mkdirAllIn(rootFd, dir)
		if err != nil {
			return size, fmt.Errorf("%s: %w", hdr.Name, err)
		}
		err = extractOne(rootFd, parent, name, rel, hdr, tr, opts)
		unix.Close(parent)
		if err != nil {
			return size, err
		}
		switch hdr.Typeflag {
		case tar.TypeReg, tar.TypeRegA:
			size += hdr.Size
		case tar.TypeDir:
			dirs = append(dirs, dirAttr{full, hdr})
		}
	}
	// Directories get their owner, mode and times once their content is in.
	for _, d := range slices.Backward(dirs) {
		fd, err := openIn(rootFd, d.rel, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW)
		if err != nil {
			return size, fmt.Errorf("%s: %w", d.hdr.Name, err)
		}
		err = setAttrs(fd, d.hdr, opts)
		unix.Close(fd)
		if err != nil {
			return size, fmt.Errorf("%s: %w", d.hdr.Name, err)
		}
	}
	return size, nil
}

// cleanName checks a tar entry's name: relative, and not leaving the folder
// it is extracted in.
func cleanName(name string) (string, error) {
	if name == "" {
		return "", invalid("invalid tar header: empty name")
	}
	if strings.HasPrefix(name, "/") {
		return "", invalid("%s: absolute path in archive", name)
	}
	c := path.Clean(name)
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", invalid("%s: path escapes from parent", name)
	}
	return c, nil
}

func extractOne(rootFd, parent int, name, rel string, hdr *tar.Header, r io.Reader, opts extractOptions) error {
	isDir := hdr.Typeflag == tar.TypeDir
	var st unix.Stat_t
	if err := unix.Fstatat(parent, name, &st, unix.AT_SYMLINK_NOFOLLOW); err == nil {
		oldDir := st.Mode&unix.S_IFMT == unix.S_IFDIR
		if opts.copy.NoOverwriteDirNonDir && oldDir != isDir {
			if oldDir {
				return backend.Errorf(backend.Conflict, "cannot overwrite directory %q with non-directory %q", "/"+path.Join(opts.base, rel), rel)
			}
			return backend.Errorf(backend.Conflict, "cannot overwrite non-directory %q with directory %q", "/"+path.Join(opts.base, rel), rel)
		}
		if !(oldDir && isDir) {
			if err := removeAt(parent, name); err != nil {
				return fmt.Errorf("%s: %w", hdr.Name, err)
			}
		}
	}
	mode := uint32(hdr.Mode) & 0o7777
	switch hdr.Typeflag {
	case tar.TypeDir:
		if err := unix.Mkdirat(parent, name, 0o755); err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("%s: %w", hdr.Name, err)
		}
		return nil
	case tar.TypeReg, tar.TypeRegA:
		fd, err := unix.Openat(parent, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
		if err != nil {
			return fmt.Errorf("%s: %w", hdr.Name, err)
		}
		f := os.NewFile(uintptr(fd), name)
		defer f.Close()
		if _, err := io.Copy(f, r); err != nil {
			return invalid("%s: %v", hdr.Name, err)
		}
		return setAttrs(fd, hdr, opts)
	case tar.TypeSymlink:
		if err := checkLink(path.Dir(rel), hdr.Linkname, false); err != nil {
			return invalid("%s: %v", hdr.Name, err)
		}
		if err := unix.Symlinkat(hdr.Linkname, parent, name); err != nil {
			return fmt.Errorf("%s: %w", hdr.Name, err)
		}
	case tar.TypeLink:
		if err := checkLink(".", hdr.Linkname, true); err != nil {
			return invalid("%s: %v", hdr.Name, err)
		}
		tdir, tname := path.Split(path.Join(opts.base, path.Clean(hdr.Linkname)))
		tfd, err := openIn(rootFd, tdir, unix.O_PATH|unix.O_DIRECTORY)
		if err != nil {
			return invalid("%s: hard link target %s: %v", hdr.Name, hdr.Linkname, err)
		}
		err = unix.Linkat(tfd, tname, parent, name, 0)
		unix.Close(tfd)
		if err != nil {
			return invalid("%s: hard link to %s: %v", hdr.Name, hdr.Linkname, err)
		}
		return nil // a hard link shares its target's attributes
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		kind := map[byte]uint32{tar.TypeChar: unix.S_IFCHR, tar.TypeBlock: unix.S_IFBLK, tar.TypeFifo: unix.S_IFIFO}[hdr.Typeflag]
		dev := unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor))
		if err := unix.Mknodat(parent, name, kind|mode, int(dev)); err != nil {
			return fmt.Errorf("%s: %w", hdr.Name, err)
		}
	}
	// Symlinks and device nodes: attributes without following the name.
	uid, gid := owner(hdr, opts)
	if err := unix.Fchownat(parent, name, uid, gid, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("%s: %w", hdr.Name, err)
	}
	if hdr.Typeflag != tar.TypeSymlink {
		// chmod through an O_PATH descriptor, as glibc does for lchmod.
		fd, err := unix.Openat(parent, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("%s: %w", hdr.Name, err)
		}
		err = unix.Chmod(fmt.Sprintf("/proc/self/fd/%d", fd), mode)
		unix.Close(fd)
		if err != nil {
			return fmt.Errorf("%s: %w", hdr.Name, err)
		}
	}
	ts := []unix.Timespec{unix.NsecToTimespec(hdr.ModTime.UnixNano()), unix.NsecToTimespec(hdr.ModTime.UnixNano())}
	if err := unix.UtimesNanoAt(parent, name, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("%s: %w", hdr.Name, err)
	}
	return nil
}

func owner(hdr *tar.Header, opts extractOptions) (int, int) {
	if opts.copy.ChownSet {
		return opts.copy.UID, opts.copy.GID
	}
	return hdr.Uid, hdr.Gid
}

// setAttrs gives the open file fd the owner, mode and modification time of
// hdr.
func setAttrs(fd int, hdr *tar.Header, opts extractOptions) error {
	uid, gid := owner(hdr, opts)
	if err := unix.Fchown(fd, uid, gid); err != nil {
		return fmt.Errorf("%s: %w", hdr.Name, err)
	}
	// After chown, which clears set-user-ID bits.
	if err := unix.Fchmod(fd, uint32(hdr.Mode)&0o7777); err != nil {
		return fmt.Errorf("%s: %w", hdr.Name, err)
	}
	tv := []unix.Timeval{unix.NsecToTimeval(hdr.ModTime.UnixNano()), unix.NsecToTimeval(hdr.ModTime.UnixNano())}
	if err := unix.Futimes(fd, tv); err != nil {
		return fmt.Errorf("%s: %w", hdr.Name, err)
	}
	return nil
}

// checkLink refuses a link whose target, taken from folder dir, leaves the
// root. Absolute symlink targets are resolved in the container's root and
// so cannot leave it; hard link targets must be relative.
func checkLink(dir, target string, hard bool) error {
	if target == "" {
		return errors.New("empty link target")
	}
	if strings.HasPrefix(target, "/") {
		if hard {
			return fmt.Errorf("hard link target %s is absolute", target)
		}
		return nil
	}
	j := path.Join(dir, target)
	if j == ".." || strings.HasPrefix(j, "../") {
		return fmt.Errorf("link target %s escapes from parent", target)
	}
	return nil
}

// whiteout records an OCI whiteout entry as overlayfs does: ".wh..wh..opq"
// marks its folder opaque, ".wh.NAME" becomes a 0/0 character device NAME.
func whiteout(rootFd int, dir, name string, hdr *tar.Header) error {
	parent, err := mkdirAllIn(rootFd, dir)
	if err != nil {
		return fmt.Errorf("%s: %w", hdr.Name, err)
	}
	defer unix.Close(parent)
	if name == whiteoutOpaque {
		fd, err := unix.Openat(parent, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		if err := unix.Fsetxattr(fd, opaqueXattr, []byte("y"), 0); err != nil {
			return fmt.Errorf("%s: set opaque: %w", hdr.Name, err)
		}
		return nil
	}
	orig := strings.TrimPrefix(name, whiteoutPrefix)
	if orig == "" || orig == "." || orig == ".." || strings.HasPrefix(orig, whiteoutPrefix) {
		return invalid("%s: invalid whiteout", hdr.Name)
	}
	if err := removeAt(parent, orig); err != nil {
		return err
	}
	if err := unix.Mknodat(parent, orig, unix.S_IFCHR, 0); err != nil {
		return fmt.Errorf("%s: %w", hdr.Name, err)
	}
	return unix.Fchownat(parent, orig, hdr.Uid, hdr.Gid, unix.AT_SYMLINK_NOFOLLOW)
}

// openIn opens rel under rootFd as if rootFd were "/".
func openIn(rootFd int, rel string, flags int) (int, error) {
	rel = strings.TrimLeft(rel, "/")
	if rel == "" {
		rel = "."
	}
	for {
		fd, err := unix.Openat2(rootFd, rel, &unix.OpenHow{
			Flags:   uint64(flags | unix.O_CLOEXEC),
			Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
		})
		if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
			continue // a rename raced with the lookup
		}
		return fd, err
	}
}

// mkdirAllIn opens folder rel under rootFd (as if it were "/"), creating
// missing folders on the way, the targets of symlinks included (inside the
// root); it returns an O_PATH descriptor.
func mkdirAllIn(rootFd int, rel string) (int, error) {
	fd, err := openIn(rootFd, rel, unix.O_PATH|unix.O_DIRECTORY)
	if err == nil || !errors.Is(err, unix.ENOENT) {
		return fd, err
	}
	resolved, err := resolve(rootFd, rel)
	if err != nil {
		return -1, err
	}
	cur, err := unix.Dup(rootFd)
	if err != nil {
		return -1, err
	}
	done := ""
	for _, c := range strings.Split(strings.Trim(resolved, "/"), "/") {
		if c == "" {
			continue
		}
		done = path.Join(done, c)
		if err := unix.Mkdirat(cur, c, 0o755); err != nil && !errors.Is(err, unix.EEXIST) {
			unix.Close(cur)
			return -1, err
		}
		unix.Close(cur)
		// Reopen from the root: whatever c is now, it is resolved inside.
		if cur, err = openIn(rootFd, done, unix.O_PATH|unix.O_DIRECTORY); err != nil {
			return -1, err
		}
	}
	return cur, nil
}

// removeAt removes name (a file or a whole tree) from the folder dirFd
// without following symlinks.
func removeAt(dirFd int, name string) error {
	err := unix.Unlinkat(dirFd, name, 0)
	if err == nil || errors.Is(err, unix.ENOENT) {
		return nil
	}
	if !errors.Is(err, unix.EISDIR) && !errors.Is(err, unix.EPERM) {
		return err
	}
	fd, err := unix.Openat(dirFd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	f := os.NewFile(uintptr(fd), name)
	names, err := f.Readdirnames(-1)
	if err == nil {
		for _, n := range names {
			if err = removeAt(fd, n); err != nil {
				break
			}
		}
	}
	f.Close()
	if err != nil {
		return err
	}
	return unix.Unlinkat(dirFd, name, unix.AT_REMOVEDIR)
}

// OpenIn opens p inside rootFd as if rootFd were "/" (openat2's
// RESOLVE_IN_ROOT): no symlink or ".." leads out.
func OpenIn(rootFd int, p string, flags int) (int, error) { return openIn(rootFd, p, flags) }

// MkdirIn creates folder p and its parents inside rootFd.
func MkdirIn(rootFd int, p string) error {
	fd, err := mkdirAllIn(rootFd, p)
	if err != nil {
		return err
	}
	return unix.Close(fd)
}

// CreateFileIn creates an empty file p inside rootFd, if missing, with its
// parent folders (a mount point for a file).
func CreateFileIn(rootFd int, p string) error {
	dir, name := path.Split(path.Clean("/" + p))
	parent, err := mkdirAllIn(rootFd, dir)
	if err != nil {
		return err
	}
	defer unix.Close(parent)
	fd, err := unix.Openat(parent, name, unix.O_CREAT|unix.O_WRONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o755)
	if errors.Is(err, unix.EISDIR) {
		return nil
	}
	if err != nil {
		return err
	}
	return unix.Close(fd)
}
