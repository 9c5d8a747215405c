package image

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

// EntryType is the kind of file a layer entry describes.
type EntryType uint8

// The entry types. TypeWhiteout and TypeOpaque are the layer tar's markers
// (see whiteout.go), not files.
const (
	TypeRegular EntryType = iota + 1
	TypeDir
	TypeSymlink
	TypeHardlink // another name for a regular file named earlier in the tar
	TypeCharDevice
	TypeBlockDevice
	TypeFIFO
	TypeWhiteout // Path is deleted from the layers below
	TypeOpaque   // directory Path hides the content of the layers below
)

var typeNames = [...]string{"", "regular file", "directory", "symlink", "hard link",
	"character device", "block device", "fifo", "whiteout", "opaque marker"}

func (t EntryType) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("EntryType(%d)", uint8(t))
}

// Entry is one file of a layer in filesystem terms, as LayerWriter writes it
// and Reader reads it.
type Entry struct {
	// Path is clean, relative to the layer's root and slash-separated:
	// "etc/passwd". It is "." only for the opaque marker of the root.
	Path string
	Type EntryType
	// Mode holds the permission bits and fs.ModeSetuid, fs.ModeSetgid and
	// fs.ModeSticky; no type bits.
	Mode     fs.FileMode
	UID, GID int
	// Uname and Gname are the owner's names recorded in the tar. LayerWriter
	// fills empty ones from its Names function.
	Uname, Gname string
	// Size is the content's length for a regular file, else 0.
	Size int64
	// Linkname is a symlink's target as stored, or the Path of the file a
	// hard link names.
	Linkname string
	ModTime  time.Time
	// Devmajor and Devminor number a device.
	Devmajor, Devminor int64
	// Xattrs are extended attributes ("security.capability").
	Xattrs map[string]string
}

// FileMode returns e's mode with Go's type bits (fs.ModeDir, fs.ModeSymlink,
// ...). Whiteouts and opaque markers have none.
func (e *Entry) FileMode() fs.FileMode {
	m := e.Mode & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
	switch e.Type {
	case TypeDir:
		m |= fs.ModeDir
	case TypeSymlink:
		m |= fs.ModeSymlink
	case TypeCharDevice:
		m |= fs.ModeDevice | fs.ModeCharDevice
	case TypeBlockDevice:
		m |= fs.ModeDevice
	case TypeFIFO:
		m |= fs.ModeNamedPipe
	}
	return m
}

// Unix mode bits as tar headers carry them.
const (
	cISUID  = 0o4000
	cISGID  = 0o2000
	cISVTX  = 0o1000
	cISDIR  = 0o40000
	cISFIFO = 0o10000
	cISREG  = 0o100000
	cISLNK  = 0o120000
	cISBLK  = 0o60000
	cISCHR  = 0o20000
)

func tarMode(m fs.FileMode) int64 {
	mode := int64(m.Perm())
	if m&fs.ModeSetuid != 0 {
		mode |= cISUID
	}
	if m&fs.ModeSetgid != 0 {
		mode |= cISGID
	}
	if m&fs.ModeSticky != 0 {
		mode |= cISVTX
	}
	return mode
}

func fileMode(mode int64) fs.FileMode {
	m := fs.FileMode(mode & 0o777)
	if mode&cISUID != 0 {
		m |= fs.ModeSetuid
	}
	if mode&cISGID != 0 {
		m |= fs.ModeSetgid
	}
	if mode&cISVTX != 0 {
		m |= fs.ModeSticky
	}
	return m
}

// Names returns the user and group names a layer tar records for a file
// owned by uid and gid ("" when the machine has none).
type Names func(uid, gid int) (uname, gname string)

// DebianNames names owners as dockerd does on a Debian host: it looks the IDs
// up in the host's /etc/passwd and /etc/group, which know root (0) and
// nobody/nogroup (65534) among the IDs images use.
func DebianNames(uid, gid int) (uname, gname string) {
	switch uid {
	case 0:
		uname = "root"
	case 65534:
		uname = "nobody"
	}
	switch gid {
	case 0:
		gname = "root"
	case 65534:
		gname = "nogroup"
	}
	return uname, gname
}

// LayerWriter writes a layer tar in the form dockerd 20.10's pkg/archive
// gives the layers it commits, so that the same files always give the same
// bytes and the same DiffID: PAX-format headers, mode with the file type
// bits, directories named with a trailing slash, mtimes truncated to the
// second and no access or change times, owners' names from the host, the
// xattrs as SCHILY.xattr records, whiteouts as empty 0600 files (the second
// and later ones naming the first as Linkname, because overlayfs links all
// whiteouts of a container to one inode) and opaque markers as empty files
// right after their directory. testdata/dockerd-commit-layer.tar, written by
// dockerd 20.10.24 for `docker commit`, is reproduced byte for byte.
//
// The caller writes entries in the order of Docker's walk: depth first, each
// directory's entries sorted by their names on disk (a whiteout sorts by the
// name it deletes), a directory before its entries. WalkOrder sorts a slice
// that way.
type LayerWriter struct {
	tw    *tar.Writer
	names Names
	// whiteout is the path of the first whiteout written. Overlayfs (Linux
	// 5.8 and later) makes every whiteout of a mount a link to one inode,
	// so pkg/archive writes the later ones with the first one's path as
	// their Linkname.
	whiteout string
}

// NewLayerWriter returns a LayerWriter writing to w. names gives the owners'
// names; nil means DebianNames.
func NewLayerWriter(w io.Writer, names Names) *LayerWriter {
	if names == nil {
		names = DebianNames
	}
	return &LayerWriter{tw: tar.NewWriter(w), names: names}
}

// WriteEntry writes e's header and then, for a regular file of non-zero size,
// e.Size bytes read from content. A socket-like entry type has no tar form:
// Docker leaves sockets out of layers.
func (w *LayerWriter) WriteEntry(e *Entry, content io.Reader) error {
	hdr, err := w.header(e)
	if err != nil {
		return err
	}
	if e.Type == TypeWhiteout {
		if w.whiteout == "" {
			w.whiteout = e.Path
		} else {
			hdr.Linkname = w.whiteout
		}
	}
	if err := w.tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("write layer entry %q: %w", e.Path, err)
	}
	if hdr.Typeflag == tar.TypeReg && hdr.Size > 0 {
		if content == nil {
			return fmt.Errorf("write layer entry %q: no content for %d bytes", e.Path, hdr.Size)
		}
		n, err := io.Copy(w.tw, io.LimitReader(content, hdr.Size))
		if err != nil {
			return fmt.Errorf("write layer entry %q: %w", e.Path, err)
		}
		if n != hdr.Size {
			return fmt.Errorf("write layer entry %q: content is %d bytes, want %d", e.Path, n, hdr.Size)
		}
	}
	return nil
}

// header returns the tar header for e.
func (w *LayerWriter) header(e *Entry) (*tar.Header, error) {
	if e.Path == "" || (e.Path == "." && e.Type != TypeOpaque) || path.Clean(e.Path) != e.Path ||
		strings.HasPrefix(e.Path, "/") || strings.HasPrefix(e.Path, "../") || e.Path == ".." {
		return nil, fmt.Errorf("write layer entry %q: path is not clean and relative", e.Path)
	}
	uname, gname := e.Uname, e.Gname
	if uname == "" || gname == "" {
		u, g := w.names(e.UID, e.GID)
		if uname == "" {
			uname = u
		}
		if gname == "" {
			gname = g
		}
	}
	hdr := &tar.Header{
		Name:    e.Path,
		Mode:    tarMode(e.Mode),
		Uid:     e.UID,
		Gid:     e.GID,
		Uname:   uname,
		Gname:   gname,
		ModTime: e.ModTime.Truncate(time.Second),
		Format:  tar.FormatPAX,
	}
	switch e.Type {
	case TypeRegular:
		hdr.Typeflag = tar.TypeReg
		hdr.Mode |= cISREG
		hdr.Size = e.Size
	case TypeDir:
		hdr.Typeflag = tar.TypeDir
		hdr.Mode |= cISDIR
		hdr.Name += "/"
	case TypeSymlink:
		hdr.Typeflag = tar.TypeSymlink
		hdr.Mode |= cISLNK
		hdr.Linkname = e.Linkname
	case TypeHardlink:
		hdr.Typeflag = tar.TypeLink
		hdr.Mode |= cISREG
		hdr.Linkname = e.Linkname
	case TypeCharDevice:
		hdr.Typeflag = tar.TypeChar
		hdr.Mode |= cISCHR
		hdr.Devmajor, hdr.Devminor = e.Devmajor, e.Devminor
	case TypeBlockDevice:
		hdr.Typeflag = tar.TypeBlock
		hdr.Mode |= cISBLK
		hdr.Devmajor, hdr.Devminor = e.Devmajor, e.Devminor
	case TypeFIFO:
		hdr.Typeflag = tar.TypeFifo
		hdr.Mode |= cISFIFO
	case TypeWhiteout:
		// overlayWhiteoutConverter.ConvertWrite renames the 0/0 device and
		// makes it an empty 0600 file.
		hdr.Name = WhiteoutName(e.Path)
		hdr.Typeflag = tar.TypeReg
		hdr.Mode = 0o600
	case TypeOpaque:
		// The marker Docker writes after an opaque directory: a header of
		// its own with no format, mtime or type bits.
		return &tar.Header{
			Typeflag: tar.TypeReg,
			Name:     OpaqueName(e.Path),
			Mode:     int64(e.Mode.Perm()),
			Uid:      e.UID,
			Uname:    uname,
			Gid:      e.GID,
			Gname:    gname,
		}, nil
	default:
		return nil, fmt.Errorf("write layer entry %q: unknown type %v", e.Path, e.Type)
	}
	if len(e.Xattrs) > 0 {
		hdr.PAXRecords = make(map[string]string, len(e.Xattrs))
		for k, v := range e.Xattrs {
			hdr.PAXRecords["SCHILY.xattr."+k] = v
		}
	}
	return hdr, nil
}

// Close writes the end of the archive. It does not close the underlying
// writer.
func (w *LayerWriter) Close() error { return w.tw.Close() }

// WalkOrder sorts entries in the order of Docker's directory walk (Go's
// filepath.Walk: depth first, names sorted within each directory, a
// directory before its content). Whiteouts sort by the name they delete; an
// opaque marker comes right after its directory.
func WalkOrder(entries []Entry) {
	key := func(e *Entry) []string {
		if e.Type == TypeOpaque {
			if e.Path == "." {
				return []string{""}
			}
			return append(strings.Split(e.Path, "/"), "")
		}
		return strings.Split(e.Path, "/")
	}
	sort.SliceStable(entries, func(i, j int) bool {
		a, b := key(&entries[i]), key(&entries[j])
		for k := 0; k < len(a) && k < len(b); k++ {
			if a[k] != b[k] {
				return a[k] < b[k]
			}
		}
		return len(a) < len(b)
	})
}

// ReaderOptions limit what a Reader accepts.
type ReaderOptions struct {
	// AllowDevices accepts character and block devices. Layers may hold
	// them; a build context or a `docker cp` archive should not.
	AllowDevices bool
	// MaxFileSize is the largest regular file accepted; 0 means
	// DefaultMaxFileSize.
	MaxFileSize int64
	// NoDigest skips the sha256 of what is read: DiffID then returns "".
	// For callers that have the digest already or never use it (a tar
	// unpacked for its files alone).
	NoDigest bool
}

// DefaultMaxFileSize is the largest regular file a Reader accepts unless
// told otherwise: 64 GiB.
const DefaultMaxFileSize = 64 << 30

// maxPathLen is Linux's PATH_MAX.
const maxPathLen = 4096

// Reader reads a tar (a layer, a build context, an archive for `docker cp`)
// and checks every entry before handing it out, so that extracting what it
// returns inside a root cannot touch anything outside it. It rejects, with
// InvalidParameter errors naming the entry:
//
//   - absolute names, names with a ".." element, and names longer than 4096
//     bytes;
//   - names below a symlink or a non-directory that the same tar made;
//   - hard links whose target is absolute, has a ".." element, lies below a
//     symlink of the tar or is a directory;
//   - device nodes unless ReaderOptions.AllowDevices, entry types other than
//     files, directories, links, devices and FIFOs, and regular files larger
//     than ReaderOptions.MaxFileSize;
//   - malformed headers and truncated content.
//
// Symlink targets are not checked: they may point anywhere, and whoever
// resolves them must do so inside the root. The root entry ("./") and
// AUFS's own entries at the root (".wh..wh.plnk/...") are skipped; global
// PAX headers are read and ignored.
//
// Reader also computes what a layer store records for the tar: the sha256 of
// every byte read (the DiffID) and the size Docker reports (see Size).
type Reader struct {
	src   *hashingReader
	tr    *tar.Reader
	opts  ReaderOptions
	hdr   *tar.Header
	seen  map[string]EntryType
	size  int64
	done  bool
	err   error
	entry Entry
}

// NewReader returns a Reader of the tar r. opts may be nil.
func NewReader(r io.Reader, opts *ReaderOptions) *Reader {
	src := &hashingReader{r: r}
	rd := &Reader{src: src, tr: tar.NewReader(src), seen: make(map[string]EntryType)}
	if opts != nil {
		rd.opts = *opts
	}
	if !rd.opts.NoDigest {
		src.h = sha256.New()
	}
	if rd.opts.MaxFileSize <= 0 {
		rd.opts.MaxFileSize = DefaultMaxFileSize
	}
	return rd
}

type hashingReader struct {
	r io.Reader
	h hash.Hash // nil: no digest
	n int64
}

func (r *hashingReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if r.h != nil {
		r.h.Write(p[:n])
	}
	r.n += int64(n)
	return n, err
}

func badEntry(name, format string, args ...any) error {
	return backend.Errorf(backend.InvalidParameter, "tar entry %q: %s", name, fmt.Sprintf(format, args...))
}

// tarError gives a malformed or truncated tar the InvalidParameter code and
// leaves other failures (the source's) as they are.
func tarError(err error) error {
	if errors.Is(err, tar.ErrHeader) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, tar.ErrFieldTooLong) || errors.Is(err, tar.ErrInsecurePath) {
		return backend.Errorf(backend.InvalidParameter, "read tar: %w", err)
	}
	return err
}

// Next advances to the next entry and returns it; the Entry is valid until
// the following call. At the end of the tar it reads what follows the
// end-of-archive marker (so that DiffID covers the whole stream) and returns
// io.EOF.
func (r *Reader) Next() (*Entry, error) {
	if r.err != nil {
		return nil, r.err
	}
	for {
		hdr, err := r.tr.Next()
		if err == io.EOF {
			if _, err := io.Copy(io.Discard, r.src); err != nil {
				r.err = err
				return nil, err
			}
			r.done, r.err, r.hdr = true, io.EOF, nil
			return nil, io.EOF
		}
		if err != nil {
			r.err = tarError(err)
			return nil, r.err
		}
		e, skip, err := r.check(hdr)
		if err != nil {
			r.err = err
			return nil, err
		}
		if skip {
			continue
		}
		r.hdr = hdr
		return e, nil
	}
}

// cleanName turns a tar name into a clean relative path, or says why it
// cannot be one. "." is the root.
func cleanName(name string) (string, string) {
	if name == "" {
		return "", "empty name"
	}
	if len(name) > maxPathLen {
		return "", "name too long"
	}
	if strings.HasPrefix(name, "/") {
		return "", "absolute name"
	}
	for _, el := range strings.Split(name, "/") {
		if el == ".." {
			return "", "name leads out of the root"
		}
	}
	return path.Clean(name), ""
}

func (r *Reader) check(hdr *tar.Header) (*Entry, bool, error) {
	if hdr.Typeflag == tar.TypeXGlobalHeader {
		return nil, true, nil
	}
	p, why := cleanName(hdr.Name)
	if why != "" {
		return nil, false, badEntry(hdr.Name, "%s", why)
	}
	if p == "." {
		return nil, true, nil // the root's own entry
	}
	if strings.HasPrefix(p, WhiteoutMetaPrefix) && p != WhiteoutOpaqueDir {
		return nil, true, nil // AUFS metadata
	}
	e := &r.entry
	*e = Entry{
		Path:     p,
		Mode:     fileMode(hdr.Mode),
		UID:      hdr.Uid,
		GID:      hdr.Gid,
		Uname:    hdr.Uname,
		Gname:    hdr.Gname,
		ModTime:  hdr.ModTime,
		Devmajor: hdr.Devmajor,
		Devminor: hdr.Devminor,
	}
	for k, v := range hdr.PAXRecords {
		if x, ok := strings.CutPrefix(k, "SCHILY.xattr."); ok {
			if e.Xattrs == nil {
				e.Xattrs = make(map[string]string)
			}
			e.Xattrs[x] = v
		}
	}
	if err := r.checkParents(hdr.Name, p); err != nil {
		return nil, false, err
	}
	if target, t := ParseWhiteout(p); t != 0 {
		if t == TypeWhiteout {
			if orig := strings.TrimPrefix(path.Base(p), WhiteoutPrefix); orig == "" || orig == "." || orig == ".." {
				return nil, false, badEntry(hdr.Name, "whiteout names no file")
			}
			delete(r.seen, target)
			prefix := target + "/"
			for k := range r.seen {
				if strings.HasPrefix(k, prefix) {
					delete(r.seen, k)
				}
			}
		}
		e.Path, e.Type = target, t
		return e, false, nil
	}
	switch hdr.Typeflag {
	case tar.TypeReg, tar.TypeRegA:
		e.Type = TypeRegular
		if hdr.Size > r.opts.MaxFileSize {
			return nil, false, badEntry(hdr.Name, "file of %d bytes is larger than %d", hdr.Size, r.opts.MaxFileSize)
		}
		e.Size = hdr.Size
		r.size += hdr.Size
	case tar.TypeDir:
		e.Type = TypeDir
	case tar.TypeSymlink:
		e.Type = TypeSymlink
		if hdr.Linkname == "" {
			return nil, false, badEntry(hdr.Name, "symlink without target")
		}
		e.Linkname = hdr.Linkname
		r.size += int64(len(hdr.Linkname))
	case tar.TypeLink:
		e.Type = TypeHardlink
		target, why := cleanName(hdr.Linkname)
		if why != "" || target == "." {
			if why == "" {
				why = "names the root"
			}
			return nil, false, badEntry(hdr.Name, "hard link to %q: %s", hdr.Linkname, why)
		}
		if target == p {
			return nil, false, badEntry(hdr.Name, "hard link to itself")
		}
		if err := r.checkParents(hdr.Name, target); err != nil {
			return nil, false, err
		}
		if r.seen[target] == TypeDir {
			return nil, false, badEntry(hdr.Name, "hard link to directory %q", hdr.Linkname)
		}
		e.Linkname = target
	case tar.TypeChar, tar.TypeBlock:
		if !r.opts.AllowDevices {
			return nil, false, badEntry(hdr.Name, "device nodes are not allowed here")
		}
		e.Type = TypeCharDevice
		if hdr.Typeflag == tar.TypeBlock {
			e.Type = TypeBlockDevice
		}
	case tar.TypeFifo:
		e.Type = TypeFIFO
	default:
		return nil, false, badEntry(hdr.Name, "unsupported entry type %q", hdr.Typeflag)
	}
	if e.Type == TypeHardlink {
		r.seen[p] = TypeRegular
	} else {
		r.seen[p] = e.Type
	}
	return e, false, nil
}

// checkParents rejects a path p whose directories include a symlink or a
// non-directory this tar made.
func (r *Reader) checkParents(name, p string) error {
	for i := 0; i < len(p); i++ {
		if p[i] != '/' {
			continue
		}
		switch t := r.seen[p[:i]]; t {
		case 0, TypeDir:
		case TypeSymlink:
			return badEntry(name, "lies below symlink %q", p[:i])
		default:
			return badEntry(name, "lies below %s %q", t, p[:i])
		}
	}
	return nil
}

// Read reads the current entry's content.
func (r *Reader) Read(p []byte) (int, error) {
	if r.hdr == nil {
		return 0, io.EOF
	}
	n, err := r.tr.Read(p)
	if err != nil && err != io.EOF {
		err = tarError(err)
	}
	return n, err
}

// Header returns the current entry's tar header as read, for callers that
// need the raw fields (the builder's tarsum), or nil.
func (r *Reader) Header() *tar.Header { return r.hdr }

// Size is the size Docker reports for a layer made of the entries read so
// far: the regular files' sizes plus the symlinks' target lengths (what
// Lstat reports for them); directories, devices, whiteouts and hard links
// count 0.
func (r *Reader) Size() int64 { return r.size }

// DiffID returns "sha256:<hex>" of every byte read. It is the tar's DiffID
// once Next has returned io.EOF, and "" before (or with NoDigest).
func (r *Reader) DiffID() string {
	if !r.done || r.src.h == nil {
		return ""
	}
	return "sha256:" + hex.EncodeToString(r.src.h.Sum(nil))
}

// BytesRead is the number of bytes read from the source so far.
func (r *Reader) BytesRead() int64 { return r.src.n }

// ScanLayer reads a whole layer tar with a Reader and returns its DiffID and
// Size.
func ScanLayer(r io.Reader, opts *ReaderOptions) (diffID string, size int64, err error) {
	rd := NewReader(r, opts)
	for {
		_, err := rd.Next()
		if err == io.EOF {
			return rd.DiffID(), rd.Size(), nil
		}
		if err != nil {
			return "", 0, err
		}
	}
}
