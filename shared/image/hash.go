package image

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

// The classic builder names what COPY and ADD copied from the build context
// by a hash in the step's history row ("/bin/sh -c #(nop) COPY
// file:a050715f... in /usr/bin/greet "). dockerd 20.10 computes it from the
// context tar the CLI sent (builder/remotecontext.FromArchive, pkg/tarsum):
//
//   - a file's hash is the tarsum v1 of its tar entry: sha256 over
//     "name"+Name, "mode"+Mode in decimal, "uid", "gid", "size",
//     "typeflag", "linkname", "uname" and "gname" (both always empty),
//     "devmajor", "devminor" (mtime is left out), the xattrs sorted by key,
//     then the content. The docker CLI writes Mode with the permission bits
//     only, uid and gid 0 and no user names; the name is relative to the
//     context, as in the tar.
//   - a path that names a directory hashes as "dir:" + sha256 of the
//     sorted hashes of the directory and everything below it, joined by ","
//     (builder/dockerfile/copy.go walkSource);
//   - several sources hash as "multi:" + sha256 of their hashes joined by
//     "," in the order given.

// NewTarsumHash returns a sha256 hash already fed with hdr's tarsum v1
// header fields; write the entry's content to it and the hex of its Sum is
// the entry's tarsum.
func NewTarsumHash(hdr *tar.Header) hash.Hash {
	h := sha256.New()
	writeTarsumHeader(h, hdr)
	return h
}

func writeTarsumHeader(h io.Writer, hdr *tar.Header) {
	fields := [...][2]string{
		{"name", hdr.Name},
		{"mode", strconv.FormatInt(hdr.Mode, 10)},
		{"uid", strconv.Itoa(hdr.Uid)},
		{"gid", strconv.Itoa(hdr.Gid)},
		{"size", strconv.FormatInt(hdr.Size, 10)},
		{"typeflag", string([]byte{hdr.Typeflag})},
		{"linkname", hdr.Linkname},
		{"uname", ""}, // pkg/tarsum blanks the names for Go 1.10 compatibility
		{"gname", ""},
		{"devmajor", strconv.FormatInt(hdr.Devmajor, 10)},
		{"devminor", strconv.FormatInt(hdr.Devminor, 10)},
	}
	for _, f := range fields {
		io.WriteString(h, f[0]+f[1])
	}
	xattrs := tarXattrs(hdr)
	keys := make([]string, 0, len(xattrs))
	for k := range xattrs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		io.WriteString(h, k+xattrs[k])
	}
}

// tarXattrs returns the xattrs of a header as Go's tar reader reports them
// (SCHILY.xattr PAX records), for headers read or built either way.
func tarXattrs(hdr *tar.Header) map[string]string {
	var out map[string]string
	for k, v := range hdr.PAXRecords {
		if x, ok := strings.CutPrefix(k, "SCHILY.xattr."); ok {
			if out == nil {
				out = make(map[string]string)
			}
			out[x] = v
		}
	}
	// Headers built by hand may still use the deprecated Xattrs.
	for k, v := range hdr.Xattrs {
		if out == nil {
			out = make(map[string]string)
		}
		out[k] = v
	}
	return out
}

// TarsumV1 returns the tarsum v1 of one tar entry (hex, no prefix): hdr's
// fields and then content (nil for none).
func TarsumV1(hdr *tar.Header, content io.Reader) (string, error) {
	h := NewTarsumHash(hdr)
	if content != nil {
		if _, err := io.Copy(h, content); err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// MultiHash is the hash of a COPY or ADD with several sources: "multi:" and
// the sha256 of their hashes joined by ",".
func MultiHash(hashes []string) string {
	return prefixedHash("multi", hashes)
}

func prefixedHash(prefix string, parts []string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, ",")))
	return prefix + ":" + hex.EncodeToString(sum[:])
}

// ContextSums holds what dockerd knows of a build context after receiving
// it: the tarsum of every entry and the tree the entries make once
// extracted, so that it can give COPY and ADD sources the hashes dockerd
// gives them.
type ContextSums struct {
	nodes map[string]*ctxNode // by clean relative path; "." is the root
}

type ctxNode struct {
	dir  bool
	link string // symlink target, if a symlink
	sum  string // tarsum; "" for a directory only implied by its children
}

// SumContext reads a build context tar (decompressed) with a Reader, as
// dockerd extracts it, and returns its sums. Errors: InvalidParameter for a
// malformed or hostile tar.
func SumContext(r io.Reader) (*ContextSums, error) {
	rd := NewReader(r, &ReaderOptions{AllowDevices: true})
	c := &ContextSums{nodes: map[string]*ctxNode{".": {dir: true}}}
	for {
		e, err := rd.Next()
		if err == io.EOF {
			return c, nil
		}
		if err != nil {
			return nil, err
		}
		sum, err := TarsumV1(rd.Header(), rd)
		if err != nil {
			return nil, err
		}
		switch e.Type {
		case TypeWhiteout, TypeOpaque:
			// A context has no layers below: a marker is a plain file.
			p, _ := cleanName(rd.Header().Name)
			c.add(p, &ctxNode{sum: sum})
		case TypeDir:
			c.add(e.Path, &ctxNode{dir: true, sum: sum})
		case TypeSymlink:
			c.add(e.Path, &ctxNode{link: e.Linkname, sum: sum})
		default:
			c.add(e.Path, &ctxNode{sum: sum})
		}
	}
}

func (c *ContextSums) add(p string, n *ctxNode) {
	for d := path.Dir(p); ; d = path.Dir(d) {
		if old, ok := c.nodes[d]; ok && old.dir {
			break
		}
		c.nodes[d] = &ctxNode{dir: true}
		if d == "." {
			break
		}
	}
	if n.dir {
		if old, ok := c.nodes[p]; ok && old.dir && n.sum == "" {
			return
		}
	} else {
		c.Remove(p)
	}
	c.nodes[p] = n
}

// Remove deletes path p and everything below it from the tree, as the
// builder does for a Dockerfile or .dockerignore that .dockerignore lists.
// Hashes of other paths are unaffected.
func (c *ContextSums) Remove(p string) {
	p = path.Clean("/" + p)[1:]
	if p == "" {
		return
	}
	delete(c.nodes, p)
	prefix := p + "/"
	for k := range c.nodes {
		if strings.HasPrefix(k, prefix) {
			delete(c.nodes, k)
		}
	}
}

// resolve follows symlinks in p inside the context's root, as dockerd's
// ResolveScopedPath does, and returns the clean relative path it reaches
// ("." for the root), or "" when there are too many links.
func (c *ContextSums) resolve(p string) string {
	const maxLinks = 255
	links := 0
	todo := strings.Split(strings.Trim(path.Clean("/"+p), "/"), "/")
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
		if !ok || n.link == "" {
			cur = next
			continue
		}
		links++
		if links > maxLinks {
			return ""
		}
		target := n.link
		if strings.HasPrefix(target, "/") {
			cur = "."
		}
		todo = append(strings.Split(strings.Trim(target, "/"), "/"), todo...)
	}
	return cur
}

// Hash returns the hash dockerd keeps for context path p (the tarsum of the
// file p leads to, following symlinks inside the context), or p itself when
// the context has no entry there, as dockerd does.
func (c *ContextSums) Hash(p string) string {
	n, ok := c.nodes[c.resolve(p)]
	if !ok || n.sum == "" {
		return p
	}
	return n.sum
}

// IsDir reports whether context path p, following symlinks, is a directory.
func (c *ContextSums) IsDir(p string) bool {
	n, ok := c.nodes[c.resolve(p)]
	return ok && n.dir
}

// Exists reports whether context path p, following symlinks, exists.
func (c *ContextSums) Exists(p string) bool {
	_, ok := c.nodes[c.resolve(p)]
	return ok
}

// SourceHash returns the hash a COPY or ADD source p (relative to the
// context, without wildcards) gets in history: "file:<tarsum>" for a file,
// "dir:<...>" for a directory. Errors: NotFound when p does not exist.
func (c *ContextSums) SourceHash(p string) (string, error) {
	p = strings.TrimPrefix(path.Clean("/"+p), "/")
	if p == "" {
		p = "."
	}
	full := c.resolve(p)
	n, ok := c.nodes[full]
	if !ok {
		return "", backend.Errorf(backend.NotFound, "stat %s: file does not exist", p)
	}
	if !n.dir {
		return "file:" + c.Hash(p), nil
	}
	var hashes []string
	if full != "." {
		hashes = append(hashes, c.Hash(full))
	}
	prefix := full + "/"
	for k := range c.nodes {
		if full == "." && k != "." || strings.HasPrefix(k, prefix) {
			hashes = append(hashes, c.Hash(k))
		}
	}
	sort.Strings(hashes)
	return prefixedHash("dir", hashes), nil
}

// Paths lists the context's paths (without the root), sorted, for wildcard
// matching.
func (c *ContextSums) Paths() []string {
	out := make([]string, 0, len(c.nodes))
	for k := range c.nodes {
		if k != "." {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
