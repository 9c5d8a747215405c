// Package buildcontext is the build context of `docker build`: the tar the
// docker CLI 28 makes of a folder (Write, honouring .dockerignore) and what
// dockerd 20.10's classic builder makes of the tar it receives (Read): a
// tree of files with the tarsum of each, from which COPY and ADD take their
// sources and their history hashes.
//
//	var buf bytes.Buffer
//	err := buildcontext.Write(&buf, hostFS, "/home/ann/ctx", excludes)
//	...
//	c, err := buildcontext.Read(&buf)
//	sum, err := c.SourceHash("greet.sh") // "file:a050715f..."
//
// Nothing here touches the real filesystem: the CLI side reads through an
// FS the caller gives, the daemon side keeps the context in memory. Both
// build for js/wasm.
package buildcontext

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/image"
)

// Context is a build context as dockerd holds it once received: the files
// the tar held (later entries replacing earlier ones, as extraction does)
// and the tarsum of each entry.
type Context struct {
	sums  *image.ContextSums // nil for an image's filesystem (see ReadImage)
	nodes map[string]*File   // by clean relative path; "." is the root
	size  int64
	lazy  map[string]string // an image's file hashes, computed when asked
}

// File is one file of a context.
type File struct {
	// Header is the entry's tar header, its Name the clean relative path
	// (a directory's without the trailing slash). Directories the tar only
	// implied have a header made up as dockerd's extraction makes them
	// (mode 0755, owner root).
	Header *tar.Header
	// Data is a regular file's content.
	Data []byte
}

// IsDir reports whether f is a directory.
func (f *File) IsDir() bool { return f.Header.Typeflag == tar.TypeDir }

// IsSymlink reports whether f is a symbolic link.
func (f *File) IsSymlink() bool { return f.Header.Typeflag == tar.TypeSymlink }

// Mode returns f's mode with Go's type bits.
func (f *File) Mode() fs.FileMode { return f.Header.FileInfo().Mode() }

// Errors of Read, worded as dockerd 20.10 words them (its extraction runs
// in a child process, hence the exit status).
func untarError(format string, args ...any) error {
	return backend.Errorf(backend.Internal, "Error processing tar file(exit status 1): "+format, args...)
}

// Read reads a build context tar, possibly compressed (gzip, bzip2, xz), as
// dockerd 20.10 extracts it: names are taken inside the context's root
// ("../x" and "/x" both become "x"), later entries replace earlier ones,
// and missing parent directories are made. Errors (code Internal, as
// dockerd's): "archive/tar: invalid tar header" for something that is no
// tar, "Error processing tar file(exit status 1): unexpected EOF" for a
// truncated one, and that prefix before the reason for an entry that would
// be written through a symlink or a hard link that leads out of the tree.
func Read(r io.Reader) (*Context, error) {
	c, norm, err := read(r)
	if err != nil {
		return nil, err
	}
	// Pass 2: the tarsums, by shared/image's rules.
	sums, err := image.SumContext(bytes.NewReader(norm))
	if err != nil {
		return nil, untarError("%s", err)
	}
	c.sums = sums
	return c, nil
}

// ReadImage reads the tar of an image's filesystem (what a backend's
// CopyOut of "/" gives) as the source of COPY --from. Its hashes are
// those dockerd computes for an image's files (builder/remotecontext's
// lazy source): the tarsum of a header made from the file's stat, with the
// file type in the mode and the owners' names as the host knows them.
func ReadImage(r io.Reader) (*Context, error) {
	c, _, err := read(r)
	if err != nil {
		return nil, err
	}
	c.lazy = map[string]string{}
	return c, nil
}

// read is the first pass of Read: it confines the names, builds the tree
// and returns the tar dockerd's extraction and tarsum effectively see.
func read(r io.Reader) (*Context, []byte, error) {
	dr, _, err := image.Decompress(r)
	if err != nil {
		return nil, nil, backend.Errorf(backend.Internal, "%s", err)
	}
	defer dr.Close()

	// Pass 1: confine the names and keep the content; the result is the
	// tar dockerd's extraction and tarsum effectively see.
	var norm bytes.Buffer
	tw := tar.NewWriter(&norm)
	tr := tar.NewReader(dr)
	c := &Context{nodes: map[string]*File{".": rootDir()}}
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, readError(err)
		}
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		name := confine(hdr.Name)
		if name == "." {
			continue // the root's own entry
		}
		h := *hdr
		h.Name = name
		if h.Typeflag == tar.TypeDir {
			h.Name += "/"
		}
		if h.Typeflag == tar.TypeLink {
			h.Linkname = confine(h.Linkname)
		}
		var data []byte
		if h.Typeflag == tar.TypeReg || h.Typeflag == tar.TypeRegA {
			h.Typeflag = tar.TypeReg
			if data, err = io.ReadAll(tr); err != nil {
				return nil, nil, readError(err)
			}
			h.Size = int64(len(data))
		} else {
			h.Size = 0
		}
		if err := tw.WriteHeader(&h); err != nil {
			return nil, nil, untarError("%s: %v", name, err)
		}
		if _, err := tw.Write(data); err != nil {
			return nil, nil, untarError("%s: %v", name, err)
		}
		if err := c.add(name, &h, data); err != nil {
			return nil, nil, err
		}
		c.size += int64(len(data))
	}
	if err := tw.Close(); err != nil {
		return nil, nil, untarError("%v", err)
	}
	return c, norm.Bytes(), nil
}

func readError(err error) error {
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return untarError("unexpected EOF")
	case errors.Is(err, tar.ErrHeader):
		return backend.Errorf(backend.Internal, "%s", tar.ErrHeader)
	}
	return backend.Errorf(backend.Internal, "%s", err)
}

// confine returns a tar name as a clean path inside the root, as dockerd's
// extraction in a chroot makes it: "../a" and "/a" are "a".
func confine(name string) string {
	c := strings.TrimPrefix(path.Clean("/"+name), "/")
	if c == "" {
		return "."
	}
	return c
}

func rootDir() *File {
	return &File{Header: &tar.Header{Name: ".", Typeflag: tar.TypeDir, Mode: 0o755, Format: tar.FormatPAX}}
}

// add puts an entry into the tree as extraction would: a non-directory
// replaces what was there, a directory keeps an existing directory's
// content, parents are made. An entry whose parent is a symlink or a file,
// or a hard link to something absent or a directory, fails as dockerd's
// extraction fails.
func (c *Context) add(name string, hdr *tar.Header, data []byte) error {
	dir := path.Dir(name)
	for _, d := range ancestors(dir) {
		n, ok := c.nodes[d]
		switch {
		case !ok:
			c.nodes[d] = &File{Header: &tar.Header{Name: d, Typeflag: tar.TypeDir, Mode: 0o755, ModTime: hdr.ModTime, Format: tar.FormatPAX}}
		case n.IsSymlink():
			return untarError("open /%s: lies below symlink /%s", name, d)
		case !n.IsDir():
			return untarError("open /%s: not a directory", name)
		}
	}
	h := *hdr
	h.Name = name
	f := &File{Header: &h, Data: data}
	switch h.Typeflag {
	case tar.TypeDir:
		if old, ok := c.nodes[name]; ok && old.IsDir() {
			old.Header = &h
			return nil
		}
	case tar.TypeLink:
		target, ok := c.nodes[h.Linkname]
		if !ok || target.IsDir() {
			return untarError("link /%s /%s: no such file or directory", h.Linkname, name)
		}
		// A hard link is the same file under another name.
		th := *target.Header
		th.Name = name
		f = &File{Header: &th, Data: target.Data}
	}
	c.remove(name)
	c.nodes[name] = f
	return nil
}

// ancestors returns d and its parents up to (not including) the root,
// outermost first.
func ancestors(d string) []string {
	var out []string
	for ; d != "." && d != "/" && d != ""; d = path.Dir(d) {
		out = append(out, d)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

func (c *Context) remove(name string) {
	delete(c.nodes, name)
	prefix := name + "/"
	for k := range c.nodes {
		if strings.HasPrefix(k, prefix) {
			delete(c.nodes, k)
		}
	}
}

// Remove deletes path p and what lies below it, as dockerd does for a
// Dockerfile or .dockerignore that .dockerignore excludes.
func (c *Context) Remove(p string) {
	p = confine(p)
	if p == "." {
		return
	}
	c.remove(p)
	if c.sums != nil {
		c.sums.Remove(p)
	}
}

// Size is the total size of the regular files the tar held.
func (c *Context) Size() int64 { return c.size }

// maxLinks is how many symlinks a path may go through, as Linux allows.
const maxLinks = 255

// Resolve follows symlinks in p inside the context's root, as dockerd's
// scoped path resolution does (a link to "/etc" or "../../etc" stays in
// the root), and returns the clean relative path reached ("." for the
// root). A final symlink is followed too. Errors: too many links.
func (c *Context) Resolve(p string) (string, error) {
	return c.resolve(p, true)
}

func (c *Context) resolve(p string, followLast bool) (string, error) {
	links := 0
	todo := splitPath(p)
	cur := "."
	for len(todo) > 0 {
		el := todo[0]
		todo = todo[1:]
		switch el {
		case "", ".":
			continue
		case "..":
			cur = path.Dir(cur)
			continue
		}
		next := path.Join(cur, el)
		n, ok := c.nodes[next]
		if !ok || !n.IsSymlink() || (!followLast && len(todo) == 0) {
			cur = next
			continue
		}
		links++
		if links > maxLinks {
			return "", fmt.Errorf("too many links in %s", p)
		}
		target := n.Header.Linkname
		if strings.HasPrefix(target, "/") {
			cur = "."
		}
		todo = append(splitPath(target), todo...)
	}
	return cur, nil
}

func splitPath(p string) []string {
	return strings.Split(strings.Trim(p, "/"), "/")
}

// Lookup returns the file at p, following symlinks in scope (a final one
// too), and its resolved path; ok is false when nothing is there.
func (c *Context) Lookup(p string) (f *File, resolved string, ok bool) {
	r, err := c.Resolve(p)
	if err != nil {
		return nil, "", false
	}
	f, ok = c.nodes[r]
	return f, r, ok
}

// Lstat returns the file at p without following a final symlink.
func (c *Context) Lstat(p string) (*File, bool) {
	r, err := c.resolve(p, false)
	if err != nil {
		return nil, false
	}
	f, ok := c.nodes[r]
	return f, ok
}

// ReadFile returns the content of the regular file p (symlinks followed).
// Errors: fs.ErrNotExist when absent, or not a regular file.
func (c *Context) ReadFile(p string) ([]byte, error) {
	f, _, ok := c.Lookup(p)
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
	}
	if f.Header.Typeflag != tar.TypeReg {
		return nil, &fs.PathError{Op: "read", Path: p, Err: errors.New("is a directory")}
	}
	return f.Data, nil
}

// SourceHash returns the hash a COPY or ADD source p gets in history:
// "file:<tarsum>" for a file, "dir:<sha256>" for a directory (see
// image.ContextSums). Errors: NotFound when p does not exist.
func (c *Context) SourceHash(p string) (string, error) {
	if c.sums != nil {
		return c.sums.SourceHash(p)
	}
	f, r, ok := c.Lookup(p)
	if !ok {
		return "", backend.Errorf(backend.NotFound, "stat %s: file does not exist", p)
	}
	if !f.IsDir() {
		return "file:" + c.Hash(p), nil
	}
	var hashes []string
	if r != "." {
		hashes = append(hashes, c.Hash(r))
	}
	for _, q := range c.Below(r) {
		hashes = append(hashes, c.Hash(q))
	}
	sort.Strings(hashes)
	return dirHash(hashes), nil
}

func dirHash(hashes []string) string {
	sum := sha256.Sum256([]byte(strings.Join(hashes, ",")))
	return "dir:" + hex.EncodeToString(sum[:])
}

// Hash returns the tarsum of the file p leads to, or p itself when the
// context has no entry there, as dockerd's Source.Hash.
func (c *Context) Hash(p string) string {
	if c.sums != nil {
		return c.sums.Hash(p)
	}
	r, err := c.Resolve(p)
	if err != nil {
		return p
	}
	f, ok := c.nodes[r]
	if !ok {
		return r
	}
	if h, ok := c.lazy[r]; ok {
		return h
	}
	h := lazyHash(r, f)
	c.lazy[r] = h
	return h
}

// lazyHash is dockerd's remotecontext.NewFileHash of an image's file: a
// header as archive.FileInfoHeader makes it from the file's stat (type
// bits in the mode, the owners' names from the host's user database) and
// the content.
func lazyHash(name string, f *File) string {
	h := *f.Header
	if h.Typeflag == tar.TypeDir && name != "." {
		name += "/"
	}
	h.Name = name
	mode := h.Mode & 0o7777
	switch h.Typeflag {
	case tar.TypeReg:
		mode |= 0o100000
	case tar.TypeDir:
		mode |= 0o40000
	case tar.TypeSymlink:
		mode |= 0o120000
	case tar.TypeChar:
		mode |= 0o20000
	case tar.TypeBlock:
		mode |= 0o60000
	case tar.TypeFifo:
		mode |= 0o10000
	}
	h.Mode = mode
	if h.Typeflag != tar.TypeReg {
		h.Size = 0
	}
	h.Uname, h.Gname = image.DebianNames(h.Uid, h.Gid)
	hs := sha256.New()
	for _, kv := range [...][2]string{
		{"name", h.Name}, {"mode", strconv.FormatInt(h.Mode, 10)},
		{"uid", strconv.Itoa(h.Uid)}, {"gid", strconv.Itoa(h.Gid)},
		{"size", strconv.FormatInt(h.Size, 10)}, {"typeflag", string([]byte{h.Typeflag})},
		{"linkname", h.Linkname}, {"uname", h.Uname}, {"gname", h.Gname},
		{"devmajor", strconv.FormatInt(h.Devmajor, 10)}, {"devminor", strconv.FormatInt(h.Devminor, 10)},
	} {
		hs.Write([]byte(kv[0] + kv[1]))
	}
	if h.Typeflag == tar.TypeReg {
		hs.Write(f.Data)
	}
	return hex.EncodeToString(hs.Sum(nil))
}

// Paths lists every path of the context but the root, in the order of
// dockerd's walk of its extracted copy (depth first, names sorted in each
// directory): the order in which wildcards match.
func (c *Context) Paths() []string {
	out := make([]string, 0, len(c.nodes))
	for k := range c.nodes {
		if k != "." {
			out = append(out, k)
		}
	}
	sortWalk(out)
	return out
}

// Below lists the paths under directory dir (resolved, clean, "." for the
// root), in walk order, without dir itself and without following symlinks
// below it.
func (c *Context) Below(dir string) []string {
	var out []string
	prefix := dir + "/"
	for k := range c.nodes {
		if k == "." {
			continue
		}
		if dir == "." || strings.HasPrefix(k, prefix) {
			out = append(out, k)
		}
	}
	sortWalk(out)
	return out
}

// File returns the entry at the clean relative path p, without following
// symlinks.
func (c *Context) File(p string) (*File, bool) {
	f, ok := c.nodes[p]
	return f, ok
}

// sortWalk sorts clean relative paths in filepath.Walk's order.
func sortWalk(paths []string) {
	sort.Slice(paths, func(i, j int) bool { return walkLess(paths[i], paths[j]) })
}

func walkLess(a, b string) bool {
	for {
		ae, arest, amore := strings.Cut(a, "/")
		be, brest, bmore := strings.Cut(b, "/")
		if ae != be {
			return ae < be
		}
		if !amore || !bmore {
			return !amore && bmore
		}
		a, b = arest, brest
	}
}
