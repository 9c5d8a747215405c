package vfs

import (
	"sync"
	"syscall"
)

// Layer is an immutable filesystem layer: its own content, as an overlay2
// diff directory holds it (overlay whiteouts for deleted paths, opaque
// directories that hide what is below), on top of a parent layer.
//
// Layers are shared, never copied: any number of unions and child layers
// use one Layer, and a layer's merged view (itself over its parents) shares
// every file and every directory it does not change with its parent's.
// A Layer is safe for concurrent use.
type Layer struct {
	parent *Layer
	own    *inode // frozen root of the layer's own content
	size   int64
	nodes  int // entries in own, to size a tar

	mergeOnce sync.Once
	merged    *inode // frozen root of the merged view

	tar layerTar
}

// NewLayer makes a layer from a snapshot of t's content, on top of parent
// (nil for a base layer). In t, a character device with device number 0/0
// is a whiteout, as in an overlay upper directory; MarkOpaque marks opaque
// directories. t stays usable and independent of the layer.
func NewLayer(parent *Layer, t *Tree) *Layer {
	t.mu.Lock()
	defer t.mu.Unlock()
	return newLayer(parent, freeze(t.up, map[*inode]*inode{}))
}

func newLayer(parent *Layer, own *inode) *Layer {
	l := &Layer{parent: parent, own: own}
	l.size, l.nodes = regularSize(own, map[*inode]bool{})
	return l
}

// Parent returns the layer below l, or nil.
func (l *Layer) Parent() *Layer { return l.parent }

// Size is the size Docker reports for the layer: what overlay2's ApplyDiff
// returns, directory.Size of the layer's own content, the sum of the Lstat
// sizes of everything but directories, each inode once. So regular files
// count their length, symlinks the length of their target (busybox's 268
// applet links make up the 1,876 bytes between its binary and files and the
// 1,984,234 the reference reports), whiteouts and devices nothing.
func (l *Layer) Size() int64 { return l.size }

// FS returns a read-only view of the layer merged with its parents, as a
// container built on it would first see it. Writes fail with EROFS.
func (l *Layer) FS() FS {
	t := &Tree{}
	t.up = l.root()
	t.dev = newDev()
	return ReadOnly(t)
}

// root returns the merged view's root, computing it on first use.
func (l *Layer) root() *inode {
	if l == nil {
		return nil
	}
	l.mergeOnce.Do(func() {
		l.merged = mergeDir(l.parent.root(), l.own)
	})
	return l.merged
}

// mergeDir merges a layer's own directory own over the merged directory
// lower (nil when there is none) as overlayfs stacks lower layers:
// whiteouts delete, an opaque directory hides everything below it, a
// non-directory replaces. Subtrees without whiteouts and without a
// directory below are shared as they are.
func mergeDir(lower, own *inode) *inode {
	if lower == nil || !lower.isDir() || own.opaque() {
		return clean(own)
	}
	m := *own
	m.flags = flagFrozen | flagMerged
	m.dir = make(map[string]*inode, len(lower.dir)+len(own.dir))
	for name, c := range lower.dir {
		m.dir[name] = c
	}
	for name, c := range own.dir {
		switch {
		case c.isWhiteout():
			delete(m.dir, name)
		case c.isDir():
			m.dir[name] = mergeDir(lower.dir[name], c)
		default:
			m.dir[name] = c
		}
	}
	return &m
}

// clean returns directory n without whiteouts, which mean nothing where
// there is nothing below, sharing n when it has none.
func clean(n *inode) *inode {
	if !hasWhiteouts(n) {
		return n
	}
	m := *n
	m.flags &^= flagOpaque
	m.dir = make(map[string]*inode, len(n.dir))
	for name, c := range n.dir {
		switch {
		case c.isWhiteout():
		case c.isDir():
			m.dir[name] = clean(c)
		default:
			m.dir[name] = c
		}
	}
	return &m
}

func hasWhiteouts(n *inode) bool {
	for _, c := range n.dir {
		if c.isWhiteout() || (c.isDir() && hasWhiteouts(c)) {
			return true
		}
	}
	return false
}

// freeze returns a frozen deep copy of n. Hard links stay shared (seen maps
// originals to copies); file content is shared and marked so in n, which
// then copies it before its next write.
func freeze(n *inode, seen map[*inode]*inode) *inode {
	if c, ok := seen[n]; ok {
		return c
	}
	c := *n
	c.flags = n.flags&flagOpaque | flagFrozen
	if n.isRegular() && len(n.data) > 0 {
		n.flags |= flagShared
		c.data = n.data[:len(n.data):len(n.data)]
	}
	if n.dir != nil {
		c.dir = make(map[string]*inode, len(n.dir))
		for name, e := range n.dir {
			c.dir[name] = freeze(e, seen)
		}
	}
	if !n.isDir() && n.nlink > 1 {
		seen[n] = &c
	}
	return &c
}

// regularSize returns the layer size of the tree below n (see Size) and
// the number of its entries.
func regularSize(n *inode, seen map[*inode]bool) (sum int64, nodes int) {
	for _, c := range n.dir {
		nodes++
		switch {
		case c.isDir():
			s, k := regularSize(c, seen)
			sum += s
			nodes += k
		default:
			if c.nlink > 1 {
				if seen[c] {
					continue
				}
				seen[c] = true
			}
			sum += c.size()
		}
	}
	return sum, nodes
}

// MarkOpaque marks directory name of t opaque, as overlayfs's
// trusted.overlay.opaque=y does: in a layer made from t, it hides the
// content of the same directory in the layers below.
func (t *Tree) MarkOpaque(name string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	n, err := t.dir("setxattr", name, followNone)
	if err != nil {
		return err
	}
	n.flags |= flagOpaque
	return nil
}

// dir returns directory name's inode; t.mu is held. Errors name op.
func (t *Tree) dir(op, name string, mode follow) (*inode, error) {
	r, e := t.resolve(name, mode)
	if e == 0 && !r.found {
		e = syscall.ENOENT
	}
	if e != 0 {
		return nil, pathErr(op, name, e)
	}
	n := r.node.top()
	if !n.isDir() {
		return nil, pathErr(op, name, syscall.ENOTDIR)
	}
	return n, nil
}

// lookupPath finds a clean absolute path in a tree of inodes without
// following symlinks, or returns nil.
func lookupPath(root *inode, p string) *inode {
	n := root
	for _, c := range splitPath(p) {
		if n == nil || !n.isDir() {
			return nil
		}
		n = n.dir[c]
	}
	return n
}

func splitPath(p string) []string {
	var out []string
	start := -1
	for i := 0; i <= len(p); i++ {
		if i == len(p) || p[i] == '/' {
			if start >= 0 {
				out = append(out, p[start:i])
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
	return out
}

// Size is the size Docker reports for the union's read-write layer
// (`docker ps -s`, `docker system df`): that of a layer committed from it.
func (u *Union) Size() int64 {
	u.mu.Lock()
	defer u.mu.Unlock()
	s, _ := regularSize(u.up, map[*inode]bool{})
	return s
}

// DirSize returns what Docker's directory.Size reports for directory name
// (a volume's size): the Lstat sizes of everything below it but
// directories, each inode once.
func (t *Tree) DirSize(name string) (int64, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n, err := t.dir("lstat", name, followAll)
	if err != nil {
		return 0, err
	}
	s, _ := regularSize(n, map[*inode]bool{})
	return s, nil
}
