package vfs

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"syscall"
	"time"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/image"
)

// The archive API (`docker cp`): StatPath, CopyOut and CopyIn work on any
// FS, normally a container's Namespace so that volumes are included, and
// follow dockerd 20.10's daemon/archive.go.

// absPath makes name absolute and clean, keeping a trailing "/" or "/."
// (archive.PreserveTrailingDotOrSeparator).
func absPath(name string) string {
	p := path.Clean("/" + name)
	if path.Base(name) == "." && path.Base(p) != "." {
		if !strings.HasSuffix(p, "/") {
			p += "/"
		}
		p += "."
	}
	if !strings.HasSuffix(p, "/") && strings.HasSuffix(name, "/") {
		p += "/"
	}
	return p
}

// baseOf is filepath.Base.
func baseOf(p string) string {
	p = strings.TrimRight(p, "/")
	if p == "" {
		return "/"
	}
	return p[strings.LastIndexByte(p, '/')+1:]
}

// canonical returns the path name resolves to in fsys, following every
// symlink (a missing final component is kept).
func canonical(fsys FS, name string) (string, error) {
	c := &credFS{fs: fsys}
	r, err := c.resolve("lstat", name, followAll)
	if err != nil {
		return "", err
	}
	if r.found || r.self {
		return r.node.path, nil
	}
	return joinPath(r.parent().path, r.name), nil
}

// resolvePath is container.ResolvePath: the directory part of name with its
// symlinks followed, then the last element as given.
func resolvePath(fsys FS, name string) (resolved, abs string, err error) {
	abs = absPath(name)
	i := strings.LastIndexByte(abs, '/')
	dir, base := abs[:i+1], abs[i+1:]
	rd, err := canonical(fsys, dir)
	if err != nil {
		return "", "", err
	}
	if rd == "/" {
		return "/" + base, abs, nil
	}
	return rd + "/" + base, abs, nil
}

func notFound(err error) error {
	if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ENOTDIR) {
		return backend.WithCode(backend.NotFound, err)
	}
	return err
}

// StatPath describes name in fsys without following a final symlink, as
// the archive API's HEAD request does; LinkTarget is a symlink's target
// fully resolved inside fsys. Errors: NotFound when name does not exist.
func StatPath(fsys FS, name string) (backend.PathStat, error) {
	resolved, abs, err := resolvePath(fsys, name)
	if err != nil {
		return backend.PathStat{}, notFound(err)
	}
	fi, err := fsys.Lstat(resolved)
	if err != nil {
		return backend.PathStat{}, notFound(err)
	}
	st := backend.PathStat{Name: baseOf(abs), Size: fi.Size(), Mode: uint32(fi.Mode()), Mtime: fi.ModTime()}
	if fi.Mode()&fs.ModeSymlink != 0 {
		if st.LinkTarget, err = canonical(fsys, abs); err != nil {
			return backend.PathStat{}, err
		}
	}
	return st, nil
}

// CopyOut returns name (a file, or a directory and everything in it) from
// fsys as a tar whose entries are named from name's base name, as `docker
// cp` reads it: "etc/", "etc/group", ... for /etc; "./", "./group" for
// /etc/. ; a symlink itself unless name ends with "/". Errors: NotFound
// when name does not exist.
func CopyOut(fsys FS, name string) (io.Reader, error) {
	resolved, abs, err := resolvePath(fsys, name)
	if err != nil {
		return nil, notFound(err)
	}
	fi, err := fsys.Lstat(resolved)
	if err != nil {
		return nil, notFound(err)
	}
	rebase := baseOf(abs)
	if rebase == "/" {
		rebase = ""
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	seen := map[uint64]string{}
	if fi.IsDir() {
		src := path.Clean(resolved)
		err = walkFS(fsys, src, ".", func(p, rel string, fi fs.FileInfo) error {
			if rel != "." {
				rel = "./" + rel
			}
			return addFSEntry(tw, fsys, p, strings.Replace(rel, ".", rebase, 1), fi, seen)
		})
	} else {
		err = addFSEntry(tw, fsys, resolved, rebase, fi, seen)
	}
	if err == nil {
		err = tw.Close()
	}
	if err != nil {
		return nil, err
	}
	return &buf, nil
}

// walkFS visits p and everything below it in filepath.Walk's order; rel is
// the path relative to the walk's root.
func walkFS(fsys FS, p, rel string, fn func(p, rel string, fi fs.FileInfo) error) error {
	fi, err := fsys.Lstat(p)
	if err != nil {
		return err
	}
	if err := fn(p, rel, fi); err != nil || !fi.IsDir() {
		return err
	}
	ents, err := fsys.ReadDir(p)
	if err != nil {
		return err
	}
	for _, e := range ents {
		cr := e.Name()
		if rel != "." {
			cr = rel + "/" + e.Name()
		}
		if err := walkFS(fsys, joinPath(p, e.Name()), cr, fn); err != nil {
			return err
		}
	}
	return nil
}

// addFSEntry writes the file at p as pkg/archive's addTarFile writes it,
// named name.
func addFSEntry(tw *tar.Writer, fsys FS, p, name string, fi fs.FileInfo, seen map[uint64]string) error {
	st := StatOf(fi)
	m := fi.Mode()
	hdr := &tar.Header{
		Name:    name,
		Mode:    tarPerm(m),
		Uid:     st.UID,
		Gid:     st.GID,
		ModTime: fi.ModTime().Truncate(time.Second),
		Format:  tar.FormatPAX,
	}
	hdr.Uname, hdr.Gname = image.DebianNames(st.UID, st.GID)
	switch {
	case m.IsDir():
		hdr.Typeflag, hdr.Mode = tar.TypeDir, hdr.Mode|0o40000
		if !strings.HasSuffix(hdr.Name, "/") {
			hdr.Name += "/"
		}
	case m&fs.ModeSymlink != 0:
		t, err := fsys.Readlink(p)
		if err != nil {
			return err
		}
		hdr.Typeflag, hdr.Mode, hdr.Linkname = tar.TypeSymlink, hdr.Mode|0o120000, t
	case m.IsRegular():
		hdr.Typeflag, hdr.Mode, hdr.Size = tar.TypeReg, hdr.Mode|0o100000, fi.Size()
	case m&fs.ModeDevice != 0:
		hdr.Typeflag, hdr.Mode = tar.TypeBlock, hdr.Mode|0o60000
		if m&fs.ModeCharDevice != 0 {
			hdr.Typeflag, hdr.Mode = tar.TypeChar, hdr.Mode&^0o60000|0o20000
		}
		hdr.Devmajor, hdr.Devminor = devMajor(st.Rdev), devMinor(st.Rdev)
	case m&fs.ModeNamedPipe != 0:
		hdr.Typeflag, hdr.Mode = tar.TypeFifo, hdr.Mode|0o10000
	default:
		return nil // sockets have no tar form
	}
	if !m.IsDir() && st.Nlink > 1 {
		if first, ok := seen[st.Ino]; ok {
			hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeLink, first, 0
		} else {
			seen[st.Ino] = name
		}
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if hdr.Typeflag == tar.TypeReg && hdr.Size > 0 {
		f, err := fsys.OpenFile(p, os.O_RDONLY, 0)
		if err != nil {
			return err
		}
		defer f.Close()
		if _, err := io.CopyN(tw, f, hdr.Size); err != nil {
			return err
		}
	}
	return nil
}

func tarPerm(m fs.FileMode) int64 {
	mode := int64(m.Perm())
	if m&fs.ModeSetuid != 0 {
		mode |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		mode |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		mode |= 0o1000
	}
	return mode
}

// CopyIn extracts the tar r into directory dir of fsys (a final symlink
// followed), as the archive API's PUT does (archive.Untar without whiteout
// conversion: ".wh." names are ordinary files here). The whole tar is
// checked before anything is written. Errors: NotFound when dir does not
// exist; InvalidParameter when it is not a directory, or for a malformed
// tar or an entry that would leave dir; Conflict when opts forbid replacing
// a directory by a non-directory or the reverse; the FS's error (EROFS for
// a read-only mount) when a change fails.
func CopyIn(fsys FS, dir string, r io.Reader, opts backend.CopyOptions) error {
	raw, err := io.ReadAll(io.LimitReader(r, DefaultMaxLayerBytes+1))
	if err != nil {
		return err
	}
	if len(raw) > DefaultMaxLayerBytes {
		return backend.Errorf(backend.InvalidParameter, "archive is larger than %d bytes", DefaultMaxLayerBytes)
	}
	ropts := &image.ReaderOptions{AllowDevices: true, MaxFileSize: DefaultMaxLayerBytes}
	if _, _, err := image.ScanLayer(bytes.NewReader(raw), ropts); err != nil {
		return err
	}
	target, err := canonical(fsys, absPath(dir))
	if err != nil {
		return notFound(err)
	}
	fi, err := fsys.Stat(target)
	if err != nil {
		return notFound(err)
	}
	if !fi.IsDir() {
		return backend.Errorf(backend.InvalidParameter, "extraction point is not a directory")
	}
	type dirTime struct {
		p string
		t time.Time
	}
	var dirs []dirTime
	rd := image.NewReader(bytes.NewReader(raw), ropts)
	for {
		e, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		p := e.Path
		switch e.Type {
		case image.TypeWhiteout:
			p, e.Type = image.WhiteoutName(e.Path), image.TypeRegular
		case image.TypeOpaque:
			p, e.Type = image.OpaqueName(e.Path), image.TypeRegular
		}
		full := joinPath(target, p)
		if parent := parentOf(full); parent != "/" {
			if _, err := fsys.Lstat(parent); errors.Is(err, syscall.ENOENT) {
				if err := MkdirAll(fsys, parent, 0o755); err != nil {
					return err
				}
			}
		}
		if cur, err := fsys.Lstat(full); err == nil {
			isDir := e.Type == image.TypeDir
			if opts.NoOverwriteDirNonDir && cur.IsDir() && !isDir {
				return backend.Errorf(backend.Conflict, "cannot overwrite directory %q with non-directory %q", full, target)
			}
			if opts.NoOverwriteDirNonDir && !cur.IsDir() && isDir {
				return backend.Errorf(backend.Conflict, "cannot overwrite non-directory %q with directory %q", full, target)
			}
			if !(cur.IsDir() && isDir) {
				if err := RemoveAll(fsys, full); err != nil {
					return err
				}
			}
		}
		if err := extractEntry(fsys, target, full, e, rd); err != nil {
			return err
		}
		uid, gid := e.UID, e.GID
		if opts.ChownSet {
			uid, gid = opts.UID, opts.GID
		}
		if err := fsys.Lchown(full, uid, gid); err != nil {
			return err
		}
		if e.Type == image.TypeSymlink {
			continue
		}
		if err := fsys.Chmod(full, e.Mode); err != nil {
			return err
		}
		if err := fsys.Chtimes(full, e.ModTime, e.ModTime); err != nil {
			return err
		}
		if e.Type == image.TypeDir {
			dirs = append(dirs, dirTime{full, e.ModTime})
		}
	}
	for _, d := range dirs {
		if err := fsys.Chtimes(d.p, d.t, d.t); err != nil {
			return err
		}
	}
	return nil
}

// extractEntry makes the file e describes at full (archive's
// createTarFile).
func extractEntry(fsys FS, root, full string, e *image.Entry, content io.Reader) error {
	switch e.Type {
	case image.TypeDir:
		if fi, err := fsys.Lstat(full); err == nil && fi.IsDir() {
			return nil
		}
		return fsys.Mkdir(full, e.Mode)
	case image.TypeRegular:
		f, err := fsys.OpenFile(full, os.O_CREATE|os.O_WRONLY, e.Mode)
		if err != nil {
			return err
		}
		_, err = io.Copy(f, content)
		if err1 := f.Close(); err == nil {
			err = err1
		}
		return err
	case image.TypeHardlink:
		return fsys.Link(joinPath(root, e.Linkname), full)
	case image.TypeSymlink:
		return fsys.Symlink(e.Linkname, full)
	case image.TypeCharDevice, image.TypeBlockDevice, image.TypeFIFO:
		return fsys.Mknod(full, e.FileMode(), mkdev(e.Devmajor, e.Devminor))
	}
	return backend.Errorf(backend.InvalidParameter, "tar entry %q: unsupported type %v", e.Path, e.Type)
}
