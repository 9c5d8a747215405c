package vfs

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/image"
)

// Layer tars: ImportLayer reads one into a Layer as overlay2's ApplyDiff
// does (archive.Unpack with the overlay whiteout converter), ExportLayer
// writes a layer's own content as overlay2's Diff does (archive.TarWithOptions
// of the diff directory with the converter), ExportMerged a container's
// merged root as `docker export` does.

// DefaultMaxLayerBytes is the largest layer tar ImportLayer reads unless
// told otherwise: the simulator keeps layers in memory.
const DefaultMaxLayerBytes = 512 << 20

// ImportOptions tune ImportLayer.
type ImportOptions struct {
	// MaxBytes is the largest tar accepted; 0 means DefaultMaxLayerBytes.
	MaxBytes int64
	// Clock gives the change times of what is imported and the times of
	// directories the tar does not name (nil: time.Now).
	Clock Clock
}

// layerTar is what a Layer keeps of its tar.
type layerTar struct {
	once   sync.Once
	raw    []byte // the tar it was imported from, or nil
	diffID string
}

// ImportLayer reads an uncompressed layer tar (Docker's layer format, with
// OCI whiteouts ".wh.NAME" and ".wh..wh..opq") and returns it as a layer on
// top of parent (nil for a base layer). The tar's bytes are kept: file
// contents share them, and ExportLayer returns them as they were, so the
// layer's DiffID is the sha256 of what was read.
//
// Hostile tars are refused with backend.InvalidParameter errors, and then
// nothing is made: names that are absolute or lead out with "..", entries
// below a symlink or a file of the same tar, hard links to outside the
// layer, to a directory or to a name the tar has not made, a whiteout for a
// name the tar made, unsupported entry types, malformed or truncated tars,
// and tars larger than opts.MaxBytes. Symlink targets may point anywhere:
// every FS here resolves them inside its root.
func ImportLayer(r io.Reader, parent *Layer, opts *ImportOptions) (*Layer, error) {
	var o ImportOptions
	if opts != nil {
		o = *opts
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxLayerBytes
	}
	raw, err := io.ReadAll(io.LimitReader(r, o.MaxBytes+1))
	if err != nil {
		return nil, err
	}
	return ImportLayerBytes(raw, parent, &o)
}

// ImportLayerBytes is ImportLayer of the tar raw, which the layer keeps
// (the caller must not change it): no copy of a tar already in memory.
func ImportLayerBytes(raw []byte, parent *Layer, opts *ImportOptions) (*Layer, error) {
	var o ImportOptions
	if opts != nil {
		o = *opts
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxLayerBytes
	}
	if int64(len(raw)) > o.MaxBytes {
		return nil, backend.Errorf(backend.InvalidParameter, "layer tar is larger than %d bytes", o.MaxBytes)
	}
	root, err := unpackLayer(raw, o)
	if err != nil {
		return nil, err
	}
	l := newLayer(parent, root)
	l.tar.raw = raw // DiffID hashes it when first asked
	return l, nil
}

// unpacker applies tar entries to a tree of inodes as archive.Unpack
// applies them to a directory.
type unpacker struct {
	root *inode
	now  int64
	dirs []dirTimes // directories named by the tar, whose times are set last
}

type dirTimes struct {
	n     *inode
	mtime int64
}

func badTar(name, format string, args ...any) error {
	return backend.Errorf(backend.InvalidParameter, "tar entry %q: "+format, append([]any{name}, args...)...)
}

// unpackLayer builds a layer's own tree from the tar raw, sharing file
// contents with raw. It does not hash raw: a restored simulator has the
// layers' DiffIDs already, and the sha256 of megabytes is most of what a
// restore in the browser would cost.
func unpackLayer(raw []byte, o ImportOptions) (*inode, error) {
	now := o.Clock.now()
	u := &unpacker{root: newInode(fs.ModeDir|0o755, now), now: now}
	rd := image.NewReader(bytes.NewReader(raw), &image.ReaderOptions{AllowDevices: true, MaxFileSize: o.MaxBytes, NoDigest: true})
	for {
		e, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		var data []byte
		if e.Type == image.TypeRegular && e.Size > 0 {
			data, err = entryData(rd, raw, e.Size)
			if err != nil {
				return nil, err
			}
		}
		if err := u.apply(e, data); err != nil {
			return nil, err
		}
	}
	for _, d := range u.dirs {
		d.n.atime, d.n.mtime = d.mtime, d.mtime
	}
	freezeInPlace(u.root)
	return u.root, nil
}

// entryData returns the current entry's content as a slice of raw when it
// lies there whole (a plain file), else a copy read through rd (a sparse
// file, whose content the tar stores in pieces).
func entryData(rd *image.Reader, raw []byte, size int64) ([]byte, error) {
	off := rd.BytesRead()
	sparse := false
	for k := range rd.Header().PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			sparse = true
		}
	}
	if !sparse && off+size <= int64(len(raw)) {
		return raw[off : off+size : off+size], nil
	}
	data := make([]byte, size)
	if _, err := io.ReadFull(rd, data); err != nil {
		return nil, backend.Errorf(backend.InvalidParameter, "read tar: %w", err)
	}
	return data, nil
}

// dir returns the directory at the clean relative path p, making it and
// its parents (0755, root) when missing, as Unpack's MkdirAll does.
func (u *unpacker) dir(name, p string) (*inode, error) {
	n := u.root
	if p == "." || p == "" {
		return n, nil
	}
	for _, c := range strings.Split(p, "/") {
		child := n.dir[c]
		if child == nil {
			child = newInode(fs.ModeDir|0o755, u.now)
			n.link(c, child)
			n.nlink++
			n.mtime, n.ctime = u.now, u.now
		} else if !child.isDir() {
			return nil, badTar(name, "lies below %q, which is not a directory", p)
		}
		n = child
	}
	return n, nil
}

func splitLast(p string) (dir, base string) {
	i := strings.LastIndexByte(p, '/')
	if i < 0 {
		return ".", p
	}
	return p[:i], p[i+1:]
}

// unlink removes name from dir, whatever it is.
func (u *unpacker) unlink(dir *inode, name string) {
	old := dir.dir[name]
	if old == nil {
		return
	}
	if old.isDir() {
		dir.nlink--
	} else {
		old.nlink--
	}
	delete(dir.dir, name)
	dir.mtime, dir.ctime = u.now, u.now
}

// checkNames refuses what Linux cannot make: a name with an element longer
// than NAME_MAX, a symlink target of PATH_MAX or more.
func checkNames(e *image.Entry) error {
	elems := strings.Split(e.Path, "/")
	for i, c := range elems {
		limit := maxName
		if i == len(elems)-1 && e.Type == image.TypeWhiteout {
			limit -= len(image.WhiteoutPrefix) // the tar named ".wh." + c
		}
		if len(c) > limit {
			return badTar(e.Path, "file name too long")
		}
	}
	if e.Type == image.TypeSymlink && len(e.Linkname) >= maxPath {
		return badTar(e.Path, "symlink target too long")
	}
	return nil
}

func (u *unpacker) apply(e *image.Entry, data []byte) error {
	if err := checkNames(e); err != nil {
		return err
	}
	mtime := e.ModTime.UnixNano()
	switch e.Type {
	case image.TypeOpaque:
		d, err := u.dir(e.Path, e.Path)
		if err != nil {
			return err
		}
		d.flags |= flagOpaque
		return nil
	case image.TypeWhiteout:
		dp, base := splitLast(e.Path)
		d, err := u.dir(e.Path, dp)
		if err != nil {
			return err
		}
		if d.dir[base] != nil {
			// mknod fails with EEXIST in dockerd.
			return badTar(e.Path, "whiteout for a file the layer has")
		}
		// dockerd's mknod gives the whiteout the import's time; twinbox
		// keeps the tar's, which nothing shows but a re-written tar.
		wh := newWhiteout(u.now)
		wh.uid, wh.gid = int32(e.UID), int32(e.GID)
		wh.atime, wh.mtime = mtime, mtime
		d.link(base, wh)
		d.mtime, d.ctime = u.now, u.now
		return nil
	}
	dp, base := splitLast(e.Path)
	d, err := u.dir(e.Path, dp)
	if err != nil {
		return err
	}
	old := d.dir[base]
	var n *inode
	if e.Type == image.TypeDir && old != nil && old.isDir() {
		n = old // merged: only the metadata changes
	} else {
		switch e.Type {
		case image.TypeHardlink:
			n = lookupPath(u.root, e.Linkname)
			if n == nil || n.isDir() || n.isWhiteout() {
				return badTar(e.Path, "hard link to %q, which the layer does not have", e.Linkname)
			}
			if n == old {
				return nil
			}
		default:
			n = newInode(e.FileMode(), u.now)
		}
		u.unlink(d, base)
		switch e.Type {
		case image.TypeHardlink:
			n.nlink++
		case image.TypeRegular:
			n.data = data
			n.flags |= flagShared
		case image.TypeSymlink:
			n.target = e.Linkname
			n.mode = fs.ModeSymlink | 0o777
		case image.TypeCharDevice, image.TypeBlockDevice:
			n.rdev = mkdev(e.Devmajor, e.Devminor)
		}
		if n.isDir() {
			d.nlink++
		}
		d.link(base, n)
		d.mtime, d.ctime = u.now, u.now
	}
	n.uid, n.gid = int32(e.UID), int32(e.GID)
	if !n.isSymlink() {
		n.mode = n.mode.Type() | e.Mode&permBits
	}
	n.atime, n.mtime, n.ctime = mtime, mtime, u.now
	if len(e.Xattrs) > 0 {
		n.xattrs = make(map[string]string, len(e.Xattrs))
		for k, v := range e.Xattrs {
			n.xattrs[k] = v
		}
	}
	if n.isDir() {
		u.dirs = append(u.dirs, dirTimes{n, mtime})
	}
	return nil
}

// mkdev encodes a device number as Linux's makedev does.
func mkdev(major, minor int64) uint64 {
	ma, mi := uint64(major), uint64(minor)
	return (ma&0xfff)<<8 | (mi & 0xff) | (mi&^0xff)<<12 | (ma&^0xfff)<<32
}

func devMajor(dev uint64) int64 { return int64((dev>>8)&0xfff | (dev>>32)&^0xfff) }
func devMinor(dev uint64) int64 { return int64(dev&0xff | (dev>>12)&^0xff) }

// freezeInPlace marks a freshly built tree immutable.
func freezeInPlace(n *inode) {
	n.flags |= flagFrozen
	for _, c := range n.dir {
		if c.flags&flagFrozen == 0 {
			freezeInPlace(c)
		}
	}
}

// ExportLayer returns the layer's own content as an uncompressed tar: the
// tar it was imported from, byte for byte, or, for a layer made by
// NewLayer or Union.Commit, the tar dockerd's overlay2 driver writes for
// the same diff directory (image.LayerWriter's form: Docker's walk order,
// whiteouts as ".wh.NAME", an opaque directory followed by its
// ".wh..wh..opq", hard links after their first name).
func ExportLayer(l *Layer) io.Reader {
	if l.tar.raw != nil {
		return bytes.NewReader(l.tar.raw)
	}
	var buf bytes.Buffer
	buf.Grow(int(l.size) + 1024*(l.nodes+2)) // content, headers and padding
	w := image.NewLayerWriter(&buf, nil)
	seen := map[*inode]string{}
	if err := writeTree(w, l.own, "", true, seen); err != nil {
		// Writing to memory fails only on a bug.
		panic("vfs: export layer: " + err.Error())
	}
	if err := w.Close(); err != nil {
		panic("vfs: export layer: " + err.Error())
	}
	return &buf
}

// DiffID returns "sha256:<hex>" of the layer's tar (ExportLayer).
func (l *Layer) DiffID() string {
	l.tar.once.Do(func() {
		h := sha256.New()
		io.Copy(h, ExportLayer(l))
		l.tar.diffID = "sha256:" + hex.EncodeToString(h.Sum(nil))
	})
	return l.tar.diffID
}

// writeTree writes directory n's entries (at path p, "" for the root) in
// the order of filepath.Walk. With layer set, whiteouts and opaque
// directories are written in the layer form; else (a merged view) there
// are none.
func writeTree(w *image.LayerWriter, n *inode, p string, layer bool, seen map[*inode]string) error {
	names := make([]string, 0, len(n.dir))
	for name := range n.dir {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		c := n.dir[name]
		cp := name
		if p != "" {
			cp = p + "/" + name
		}
		if err := writeNode(w, c, cp, c.nlink, layer, seen); err != nil {
			return err
		}
		if c.isDir() {
			if err := writeTree(w, c, cp, layer, seen); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeNode writes one entry as pkg/archive's addTarFile does.
func writeNode(w *image.LayerWriter, c *inode, p string, nlink uint32, layer bool, seen map[*inode]string) error {
	e := image.Entry{
		Path:    p,
		Mode:    c.mode & permBits,
		UID:     int(c.uid),
		GID:     int(c.gid),
		ModTime: time.Unix(0, c.mtime),
		Xattrs:  c.xattrs,
	}
	var content io.Reader
	switch {
	case layer && c.isWhiteout():
		e.Type = image.TypeWhiteout
		return w.WriteEntry(&e, nil)
	case c.isDir():
		e.Type = image.TypeDir
		if err := w.WriteEntry(&e, nil); err != nil {
			return err
		}
		if layer && c.opaque() {
			e.Type = image.TypeOpaque
			return w.WriteEntry(&e, nil)
		}
		return nil
	case c.isSymlink():
		e.Type = image.TypeSymlink
		e.Linkname = c.target
	case c.isRegular():
		e.Type = image.TypeRegular
		e.Size = int64(len(c.data))
		content = bytes.NewReader(c.data)
	case c.mode&fs.ModeDevice != 0:
		e.Type = image.TypeBlockDevice
		if c.mode&fs.ModeCharDevice != 0 {
			e.Type = image.TypeCharDevice
		}
		e.Devmajor, e.Devminor = devMajor(c.rdev), devMinor(c.rdev)
	case c.mode&fs.ModeNamedPipe != 0:
		e.Type = image.TypeFIFO
	default:
		return nil // sockets have no tar form; pkg/archive skips them
	}
	if nlink > 1 {
		if first, ok := seen[c]; ok {
			e.Type, e.Linkname, e.Size, content = image.TypeHardlink, first, 0, nil
		} else {
			seen[c] = p
		}
	}
	return w.WriteEntry(&e, content)
}

// ExportMerged returns the union's merged filesystem as a tar, as
// `docker export` writes it: every path of the container's root in
// Docker's walk order, without whiteouts, without what is mounted into the
// running container (volumes, /etc/hosts: the init layer's empty files are
// there instead).
func ExportMerged(u *Union) io.Reader {
	u.mu.Lock()
	defer u.mu.Unlock()
	var buf bytes.Buffer
	w := image.NewLayerWriter(&buf, nil)
	if err := u.writeMerged(w, u.root(), "", map[*inode]string{}); err != nil {
		panic("vfs: export: " + err.Error())
	}
	if err := w.Close(); err != nil {
		panic("vfs: export: " + err.Error())
	}
	return &buf
}

func (u *Union) writeMerged(w *image.LayerWriter, d mnode, p string, seen map[*inode]string) error {
	for _, name := range u.mergedNames(d) {
		c, _ := lookupMerged(d, name, true)
		cp := name
		if p != "" {
			cp = p + "/" + name
		}
		if err := writeNode(w, c.top(), cp, u.nlink(c), false, seen); err != nil {
			return err
		}
		if c.top().isDir() {
			if err := u.writeMerged(w, c, cp, seen); err != nil {
				return err
			}
		}
	}
	return nil
}
