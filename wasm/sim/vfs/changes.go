package vfs

import (
	"slices"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

// Changes lists what the union's read-write tree adds, changes and deletes
// relative to its lower layers: `docker diff`.
//
// dockerd 20.10's overlay2 driver computes this with archive.ChangesDirs
// (daemon/graphdriver/fsdiff.go): it compares the container's merged tree
// with its parent's, path by path. A path only in the new tree is Add, and
// so is everything under it; a path only in the old tree is Delete, and
// nothing under it is listed; a path in both is Modify when its mode, owner
// or device number differ, or, for a non-directory, its size or mtime (to
// the second when either side has no sub-second part); a directory that is
// neither added nor listed but has changes below it is listed as Modify
// just before them; "/" never is. Since the lower layers are shared, only
// paths in the upper tree can differ, so Changes walks the upper tree
// alone: depth first, each directory's entries sorted by name (dockerd's
// order depends on map iteration; twinbox sorts).
func (u *Union) Changes() []backend.Change {
	u.mu.Lock()
	defer u.mu.Unlock()
	var out []backend.Change
	changesDir(&out, "", u.up, u.lower, true)
	return out
}

// changesDir appends the changes inside the directory at p ("" for the
// root), whose upper inode is up and whose inode in the old tree is old (nil
// when there is none). listed says p has been listed already (or is the
// root); if not, and anything inside changed, p is listed as Modify before
// its entries.
func changesDir(out *[]backend.Change, p string, up, old *inode, listed bool) {
	if old != nil && !old.isDir() {
		old = nil
	}
	mark := len(*out)
	if !listed {
		*out = append(*out, backend.Change{Path: p, Kind: backend.Modify})
	}
	start := len(*out)
	names := make([]string, 0, len(up.dir))
	for name := range up.dir {
		names = append(names, name)
	}
	if up.opaque() && old != nil {
		for name := range old.dir {
			if _, ok := up.dir[name]; !ok {
				names = append(names, name)
			}
		}
	}
	slices.Sort(names)
	for _, name := range names {
		cp := p + "/" + name
		c := up.dir[name]
		var oc *inode
		if old != nil {
			oc = old.dir[name]
		}
		switch {
		case c == nil: // hidden by the opaque directory
			*out = append(*out, backend.Change{Path: cp, Kind: backend.Delete})
		case c.isWhiteout():
			if oc != nil {
				*out = append(*out, backend.Change{Path: cp, Kind: backend.Delete})
			}
		case oc == nil:
			*out = append(*out, backend.Change{Path: cp, Kind: backend.Add})
			if c.isDir() {
				addAll(out, cp, c)
			}
		default:
			changed := statDifferent(oc, c)
			if changed {
				*out = append(*out, backend.Change{Path: cp, Kind: backend.Modify})
			}
			if c.isDir() {
				changesDir(out, cp, c, oc, changed)
			}
		}
	}
	if !listed && len(*out) == start {
		*out = (*out)[:mark]
	}
}

// addAll lists everything under the added directory n as Add.
func addAll(out *[]backend.Change, p string, n *inode) {
	names := make([]string, 0, len(n.dir))
	for name, c := range n.dir {
		if !c.isWhiteout() {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		cp := p + "/" + name
		*out = append(*out, backend.Change{Path: cp, Kind: backend.Add})
		if c := n.dir[name]; c.isDir() {
			addAll(out, cp, c)
		}
	}
}

// capability is the xattr ChangesDirs compares besides the stat fields.
const capability = "security.capability"

// statDifferent is archive's statDifferent (changes_unix.go), with
// addChanges's capability check: directories compare mode, owner, device
// number and file capabilities; other files their size and mtime too.
func statDifferent(old, cur *inode) bool {
	if old.mode != cur.mode || old.uid != cur.uid || old.gid != cur.gid || old.rdev != cur.rdev ||
		old.xattrs[capability] != cur.xattrs[capability] {
		return true
	}
	if old.isDir() {
		return false
	}
	return !sameFsTime(old.mtime, cur.mtime) || old.size() != cur.size()
}

// sameFsTime is archive's sameFsTimeSpec: equal, or the same second when
// either has no nanoseconds (tar times are whole seconds).
func sameFsTime(a, b int64) bool {
	const s = 1_000_000_000
	if a == b {
		return true
	}
	return floorDiv(a, s) == floorDiv(b, s) && (a%s == 0 || b%s == 0)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
