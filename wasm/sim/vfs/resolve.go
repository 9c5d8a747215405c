package vfs

import (
	"io/fs"
	"strings"
	"syscall"
)

// Path resolution, shared by every FS in this package: in-memory trees and
// unions resolve over their nodes, mount namespaces and credential checks
// over the FSes they combine. It follows Linux's namei: symlinks resolve
// chroot-like, ".." at the root stays there, a non-directory in the middle
// is ENOTDIR, more than maxSymlinks links is ELOOP, and a trailing slash
// demands a directory.

const (
	maxSymlinks = 40   // Linux's MAXSYMLINKS
	maxName     = 255  // NAME_MAX
	maxPath     = 4096 // PATH_MAX, counting the terminating NUL
)

// follow says whether resolution follows a symlink in the final component.
type follow uint8

const (
	// followNone never follows it: unlink, rmdir, rename, mkdir, symlink,
	// mknod and the new name of link operate on the link itself.
	followNone follow = iota
	// followSlash follows it only when a slash comes after it: lstat,
	// readlink, lchown and the old name of link.
	followSlash
	// followAll always follows it: stat, open, chmod, utimes.
	followAll
)

// walker gives the resolver access to one kind of node.
type walker[N any] interface {
	// lookup finds name in directory dir. It returns an errno to stop the
	// resolution (EACCES when dir may not be searched), else found or not.
	lookup(dir N, name string) (N, bool, syscall.Errno)
	// kind returns the node's type bits (fs.ModeDir, fs.ModeSymlink, ...).
	kind(n N) fs.FileMode
	// readlink returns a symlink's target.
	readlink(n N) (string, syscall.Errno)
}

// resolved is the outcome of a resolution.
type resolved[N any] struct {
	// stack holds the directories from the root to the final component's
	// parent; names[i] is the name of stack[i+1] in stack[i].
	stack []N
	names []string
	// name is the final component. It is "" when the name resolved to the
	// root itself, "." or ".." when it ended so; then self is true, node is
	// the directory reached, and stack's last element is that directory.
	name string
	self bool
	node N
	// found is false when the final component does not exist (the parent
	// does).
	found bool
	// slash is true when the final component is followed by a slash: it
	// must be a directory.
	slash bool
}

// parent is the directory that holds the final component.
func (r *resolved[N]) parent() N { return r.stack[len(r.stack)-1] }

// resolve resolves name from root.
func resolve[N any, W walker[N]](w W, root N, name string, mode follow) (r resolved[N], errno syscall.Errno) {
	if name == "" {
		return r, syscall.ENOENT
	}
	if len(name) >= maxPath {
		return r, syscall.ENAMETOOLONG
	}
	r.stack = append(make([]N, 0, 8), root)
	r.names = make([]string, 0, 8)
	links := 0
	rest := name
	for {
		rest = strings.TrimLeft(rest, "/")
		if rest == "" {
			// The name (or a symlink's target) was only slashes: the root.
			r.stack, r.names = r.stack[:1], r.names[:0]
			r.name, r.self, r.node, r.found, r.slash = "", true, root, true, true
			return r, 0
		}
		comp, after := rest, ""
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			comp, after = rest[:i], rest[i:]
		}
		last := strings.TrimLeft(after, "/") == ""
		slash := last && after != ""
		if len(comp) > maxName {
			return r, syscall.ENAMETOOLONG
		}
		top := r.stack[len(r.stack)-1]
		switch comp {
		case ".", "..":
			if comp == ".." && len(r.stack) > 1 {
				r.stack = r.stack[:len(r.stack)-1]
				r.names = r.names[:len(r.names)-1]
				top = r.stack[len(r.stack)-1]
			}
			if last {
				r.name, r.self, r.node, r.found, r.slash = comp, true, top, true, true
				return r, 0
			}
			rest = after
			continue
		}
		child, ok, e := w.lookup(top, comp)
		if e != 0 {
			return r, e
		}
		kind := fs.FileMode(0)
		if ok {
			kind = w.kind(child)
		}
		if ok && kind&fs.ModeSymlink != 0 && (!last || mode == followAll || (mode == followSlash && slash)) {
			links++
			if links > maxSymlinks {
				return r, syscall.ELOOP
			}
			target, e := w.readlink(child)
			if e != 0 {
				return r, e
			}
			if target == "" {
				return r, syscall.ENOENT
			}
			if target[0] == '/' {
				r.stack, r.names = r.stack[:1], r.names[:0]
			}
			rest = target + after
			continue
		}
		if !last {
			if !ok {
				return r, syscall.ENOENT
			}
			if kind&fs.ModeDir == 0 {
				return r, syscall.ENOTDIR
			}
			r.stack = append(r.stack, child)
			r.names = append(r.names, comp)
			rest = after
			continue
		}
		r.name, r.node, r.found, r.slash = comp, child, ok, slash
		return r, 0
	}
}
