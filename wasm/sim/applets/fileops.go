package applets

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/twinbox-dev/twinbox/wasm/sim/vfs"
)

var errPerm = syscall.EPERM

func touchMain(c *cmd) int {
	o, ok := c.getopt(c.args[1:], "chamd:t:r:fh")
	if !ok {
		return 1
	}
	if len(o.args) == 0 {
		return c.usageError()
	}
	now := c.now()
	atime, mtime := now, now
	explicit := false
	if v, ok := o.val("d"); ok {
		t, ok := parseDate(v, now)
		if !ok {
			c.errorf("invalid date '%s'", v)
			return 1
		}
		atime, mtime, explicit = t, t, true
	}
	if v, ok := o.val("t"); ok {
		t, ok := parseDate(v, now)
		if !ok {
			c.errorf("invalid date '%s'", v)
			return 1
		}
		atime, mtime, explicit = t, t, true
	}
	if v, ok := o.val("r"); ok {
		fi, err := c.stat(v)
		if err != nil {
			c.perror(v, err)
			return 1
		}
		st := vfs.StatOf(fi)
		atime, mtime, explicit = st.Atime, fi.ModTime(), true
	}
	onlyA, onlyM := o.has("a") && !o.has("m"), o.has("m") && !o.has("a")
	st := 0
	for _, name := range o.args {
		fi, err := c.stat(name)
		if err != nil && errors.Is(err, fs.ErrNotExist) && !o.has("c") {
			f, cerr := c.openFile(name, os.O_WRONLY|os.O_CREATE, 0o666)
			if cerr != nil {
				c.perror(name, cerr)
				st = 1
				continue
			}
			f.Close()
			if !explicit {
				continue
			}
			fi, err = c.stat(name)
		}
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && o.has("c") {
				continue
			}
			c.perror(name, err)
			st = 1
			continue
		}
		a, m := atime, mtime
		old := vfs.StatOf(fi)
		if onlyA {
			m = fi.ModTime()
		}
		if onlyM {
			a = old.Atime
		}
		if err := c.fs.Chtimes(c.abs(name), a, m); err != nil {
			c.perror(name, err)
			st = 1
		}
	}
	return st
}

// removeTree removes name and, recursively, what it holds.
func (c *cmd) removeTree(name string, force bool) error {
	fi, err := c.lstat(name)
	if err != nil {
		if force && errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	if fi.IsDir() {
		ents, err := c.readDir(name)
		if err != nil {
			return err
		}
		for _, e := range ents {
			child := strings.TrimSuffix(name, "/") + "/" + e.Name()
			if err := c.removeTree(child, force); err != nil {
				c.errorf("can't remove '%s': %s", child, Strerror(err))
				return errReported
			}
		}
	}
	return c.fs.Remove(c.abs(name))
}

// errReported says the error was already printed.
var errReported = errors.New("reported")

func isDotOrDotDot(name string) bool {
	b := baseName(strings.TrimRight(name, "/"))
	return b == "." || b == ".."
}

func rmMain(c *cmd) int {
	o, ok := c.getopt(c.args[1:], "ifRrv")
	if !ok {
		return 1
	}
	force := o.last("i", "f") == "f"
	recursive := o.has("r") || o.has("R")
	if len(o.args) == 0 {
		if force {
			return 0
		}
		return c.usageError()
	}
	st := 0
	for _, name := range o.args {
		if isDotOrDotDot(name) {
			c.errorf("can't remove '.' or '..'")
			st = 1
			continue
		}
		fi, err := c.lstat(name)
		if err != nil {
			if force && errors.Is(err, fs.ErrNotExist) {
				continue
			}
			c.errorf("can't remove '%s': %s", name, Strerror(err))
			st = 1
			continue
		}
		if fi.IsDir() && !recursive {
			c.errorf("'%s' is a directory", name)
			st = 1
			continue
		}
		if recursive {
			err = c.removeTree(name, force)
		} else {
			err = c.fs.Remove(c.abs(name))
		}
		if err == errReported {
			st = 1
			continue
		}
		if err != nil {
			if force && errors.Is(err, fs.ErrNotExist) {
				continue
			}
			c.errorf("can't remove '%s': %s", name, Strerror(err))
			st = 1
			continue
		}
		if o.has("v") {
			c.printf("removed '%s'\n", name)
		}
	}
	return st
}

// parseMode applies a chmod mode to old, as busybox's bb_parse_mode: an
// octal number, or clauses like u+x,go-w,a=rX. A clause without a who
// list is limited by the umask.
func parseMode(spec string, old fs.FileMode, isDir bool, umask fs.FileMode) (fs.FileMode, bool) {
	if spec != "" && spec[0] >= '0' && spec[0] <= '7' {
		n, err := strconv.ParseUint(spec, 8, 32)
		if err != nil || n > 0o7777 {
			return 0, false
		}
		return fromBits(uint32(n)), true
	}
	const (
		suid, sgid, svtx = 0o4000, 0o2000, 0o1000
		rwxu, rwxg, rwxo = 0o700, 0o070, 0o007
	)
	whoMask := map[byte]uint32{'a': suid | sgid | svtx | rwxu | rwxg | rwxo, 'u': suid | rwxu, 'g': sgid | rwxg, 'o': rwxo}
	permMask := map[byte]uint32{'r': 0o444, 'w': 0o222, 'x': 0o111, 'X': 0o111, 's': suid | sgid, 't': svtx}
	mode := unixMode(old) & 0o7777
	dirOrExec := isDir || mode&0o111 != 0
	s := spec
	for len(s) > 0 {
		if s[0] == ',' {
			s = s[1:]
			continue
		}
		who := uint32(0)
		for len(s) > 0 {
			m, ok := whoMask[s[0]]
			if !ok {
				break
			}
			who |= m
			s = s[1:]
			if len(s) == 0 {
				return 0, false
			}
		}
		for {
			if len(s) == 0 {
				return 0, false
			}
			op := s[0]
			if op != '+' && op != '-' {
				if op != '=' {
					return 0, false
				}
				if who != 0 {
					mode &^= who
				} else {
					mode &^= 0o7777
				}
			}
			s = s[1:]
			perm := uint32(0)
			if len(s) > 0 && strings.IndexByte("ugo", s[0]) >= 0 {
				perm = whoMask[s[0]] & (rwxu | rwxg | rwxo) & mode
				for _, pm := range []uint32{0o444, 0o222, 0o111} {
					if perm&pm != 0 {
						perm |= pm
					}
				}
				s = s[1:]
			} else {
				for len(s) > 0 {
					pm, ok := permMask[s[0]]
					if !ok {
						break
					}
					if s[0] != 'X' || dirOrExec {
						perm |= pm
					}
					s = s[1:]
				}
			}
			if perm != 0 {
				limit := who
				if who == 0 {
					limit = ^uint32(umask)
				}
				perm &= limit
				if op == '-' {
					mode &^= perm
				} else {
					mode |= perm
				}
			}
			if len(s) == 0 || s[0] == ',' {
				break
			}
		}
	}
	return fromBits(mode), true
}

// fromBits is the Go FileMode of st_mode's permission bits.
func fromBits(n uint32) fs.FileMode {
	m := fs.FileMode(n & 0o777)
	if n&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if n&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if n&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	return m
}

func chmodMain(c *cmd) int {
	// A mode like -x looks like an option: chmod takes what getopt
	// would reject as the mode.
	args := c.args[1:]
	var flags []string
	var rest []string
	modeSeen := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !modeSeen && len(a) > 1 && a[0] == '-' && strings.Trim(a[1:], "Rcvf") == "" {
			flags = append(flags, a)
			continue
		}
		if a == "--" && !modeSeen {
			rest = append(rest, args[i+1:]...)
			break
		}
		modeSeen = true
		rest = append(rest, a)
	}
	o, ok := c.getopt(flags, "Rcvf")
	if !ok {
		return 1
	}
	if len(rest) < 2 {
		return c.usageError()
	}
	spec := rest[0]
	if _, ok := parseMode(spec, 0, false, 0); !ok {
		c.errorf("invalid mode '%s'", spec)
		return 1
	}
	st := 0
	var walk func(name string, top bool)
	walk = func(name string, top bool) {
		fi, err := c.stat(name)
		if !top {
			if lfi, lerr := c.lstat(name); lerr == nil && lfi.Mode()&fs.ModeSymlink != 0 {
				return
			}
		}
		if err != nil {
			if !o.has("f") {
				c.perror(name, err)
			}
			st = 1
			return
		}
		m, _ := parseMode(spec, fi.Mode(), fi.IsDir(), c.p.Umask())
		if err := c.fs.Chmod(c.abs(name), m); err != nil {
			if !o.has("f") {
				c.perror(name, err)
			}
			st = 1
			return
		}
		if o.has("v") || (o.has("c") && m != fi.Mode()&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)) {
			c.printf("mode of '%s' changed to %04o (%s)\n", name, unixMode(m)&0o7777, modeString(m)[1:])
		}
		if o.has("R") && fi.IsDir() {
			ents, err := c.readDir(name)
			if err != nil {
				c.perror(name, err)
				st = 1
				return
			}
			for _, e := range ents {
				walk(strings.TrimSuffix(name, "/")+"/"+e.Name(), false)
			}
		}
	}
	for _, name := range rest[1:] {
		walk(name, true)
	}
	return st
}

// unixMode is st_mode's bits for a Go FileMode.
func unixMode(m fs.FileMode) uint32 {
	b := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		b |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		b |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		b |= 0o1000
	}
	switch {
	case m&fs.ModeDir != 0:
		b |= 0o040000
	case m&fs.ModeSymlink != 0:
		b |= 0o120000
	case m&fs.ModeNamedPipe != 0:
		b |= 0o010000
	case m&fs.ModeSocket != 0:
		b |= 0o140000
	case m&fs.ModeCharDevice != 0:
		b |= 0o020000
	case m&fs.ModeDevice != 0:
		b |= 0o060000
	default:
		b |= 0o100000
	}
	return b
}

// parseOwner reads chown's USER[:[GROUP]] (or USER.GROUP): -1 for what is
// not changed.
func (c *cmd) parseOwner(spec string) (uid, gid int, ok bool) {
	uid, gid = -1, -1
	user, group, hasGroup := strings.Cut(spec, ":")
	if !hasGroup {
		if u, g, dot := strings.Cut(spec, "."); dot {
			if _, _, found := c.lookupUser(spec); !found {
				user, group, hasGroup = u, g, true
			}
		}
	}
	if user != "" {
		if n, err := strconv.Atoi(user); err == nil && n >= 0 {
			uid = n
		} else if u, g, found := c.lookupUser(user); found {
			uid = u
			if hasGroup && group == "" {
				gid = g
			}
		} else {
			if hasGroup {
				c.errorf("unknown user/group %s", spec)
			} else {
				c.errorf("unknown user %s", user)
			}
			return 0, 0, false
		}
	}
	if group != "" {
		if n, err := strconv.Atoi(group); err == nil && n >= 0 {
			gid = n
		} else if g, found := c.lookupGroup(group); found {
			gid = g
		} else {
			c.errorf("unknown user/group %s", spec)
			return 0, 0, false
		}
	}
	return uid, gid, true
}

func chownMain(c *cmd) int {
	o, ok := c.getopt(c.args[1:], "RhLHPcvf")
	if !ok {
		return 1
	}
	if len(o.args) < 2 {
		return c.usageError()
	}
	uid, gid, ok := c.parseOwner(o.args[0])
	if !ok {
		return 1
	}
	st := 0
	var walk func(name string, top bool)
	walk = func(name string, top bool) {
		fi, err := c.lstat(name)
		if err != nil {
			if !o.has("f") {
				c.perror(name, err)
			}
			st = 1
			return
		}
		target := c.abs(name)
		isLink := fi.Mode()&fs.ModeSymlink != 0
		if isLink && !o.has("h") && (top || o.has("L")) {
			if sfi, err := c.stat(name); err == nil {
				fi = sfi
				if t, err := c.fs.Readlink(target); err == nil {
					if !strings.HasPrefix(t, "/") {
						t = path.Join(path.Dir(target), t)
					}
					target = t
				}
			}
		}
		if err := c.fs.Lchown(target, uid, gid); err != nil {
			if !o.has("f") {
				c.perror(name, err)
			}
			st = 1
			return
		}
		if o.has("v") {
			c.printf("changed ownership of '%s' to %s\n", name, o.args[0])
		}
		if o.has("R") && fi.IsDir() && (!isLink || o.has("L") || (top && o.has("H"))) {
			ents, err := c.readDir(name)
			if err != nil {
				c.perror(name, err)
				st = 1
				return
			}
			for _, e := range ents {
				walk(strings.TrimSuffix(name, "/")+"/"+e.Name(), false)
			}
		}
	}
	for _, name := range o.args[1:] {
		walk(name, true)
	}
	return st
}

func chgrpMain(c *cmd) int {
	args := append([]string{c.args[0]}, c.args[1:]...)
	// chgrp GROUP FILE... is chown :GROUP FILE...
	o, ok := c.getopt(args[1:], "RhLHPcvf")
	if !ok {
		return 1
	}
	if len(o.args) < 2 {
		return c.usageError()
	}
	var flags []string
	for _, x := range o.list {
		flags = append(flags, "-"+x.name)
	}
	nargs := append([]string{"chown"}, flags...)
	nargs = append(nargs, ":"+o.args[0])
	nargs = append(nargs, o.args[1:]...)
	return chownMain(c.withArgs(nargs))
}

func mkdirMain(c *cmd) int {
	o, ok := c.getopt(c.args[1:], "m:pv")
	if !ok {
		return 1
	}
	if len(o.args) == 0 {
		return c.usageError()
	}
	mode := fs.FileMode(0o777)
	explicit := false
	if v, ok := o.val("m"); ok {
		m, ok := parseMode(v, 0o777&^c.p.Umask(), true, 0)
		if !ok {
			c.errorf("invalid mode '%s'", v)
			return 1
		}
		mode, explicit = m, true
	}
	st := 0
	for _, name := range o.args {
		if o.has("p") {
			if err := c.mkdirAll(name, mode, explicit); err != nil {
				st = 1
			}
			continue
		}
		if err := c.fs.Mkdir(c.abs(name), mode&^c.p.Umask()); err != nil {
			c.errorf("can't create directory '%s': %s", name, Strerror(err))
			st = 1
			continue
		}
		if explicit {
			c.fs.Chmod(c.abs(name), mode)
		}
	}
	return st
}

// mkdirAll is mkdir -p: each missing parent is made, and errors name the
// path up to the component that failed.
func (c *cmd) mkdirAll(name string, mode fs.FileMode, explicit bool) error {
	parts := strings.Split(name, "/")
	cur := ""
	for i, part := range parts {
		if i > 0 {
			cur += "/"
		}
		cur += part
		if part == "" || part == "." || part == ".." {
			continue
		}
		last := i == len(parts)-1 || strings.Trim(strings.Join(parts[i+1:], ""), "") == ""
		fi, err := c.stat(cur)
		if err == nil {
			if !fi.IsDir() {
				shown := cur
				if !last {
					shown += "/"
				}
				c.errorf("can't create directory '%s': %s", shown, Strerror(syscall.ENOTDIR))
				return syscall.ENOTDIR
			}
			continue
		}
		perm := fs.FileMode(0o777)&^c.p.Umask() | 0o300
		if last {
			perm = mode &^ c.p.Umask()
			if explicit {
				perm = mode
			}
		}
		if err := c.fs.Mkdir(c.abs(cur), perm.Perm()); err != nil && !errors.Is(err, fs.ErrExist) {
			c.errorf("can't create directory '%s': %s", cur, Strerror(err))
			return err
		}
		if last && explicit {
			c.fs.Chmod(c.abs(cur), mode)
		}
	}
	return nil
}

func rmdirMain(c *cmd) int {
	o, ok := c.getopt(c.args[1:], "pv", "ignore-fail-on-non-empty")
	if !ok {
		return 1
	}
	if len(o.args) == 0 {
		return c.usageError()
	}
	st := 0
	for _, name := range o.args {
		p := strings.TrimRight(name, "/")
		if p == "" {
			p = "/"
		}
		for {
			err := c.rmdir(p)
			if err != nil {
				if !(o.has("ignore-fail-on-non-empty") && Errno(err) == syscall.ENOTEMPTY) {
					c.errorf("'%s': %s", p, Strerror(err))
					st = 1
				}
				break
			}
			if !o.has("p") {
				break
			}
			d := dirName(p)
			if d == p || d == "." {
				break
			}
			p = d
		}
	}
	return st
}

// rmdir removes an empty directory, as rmdir(2): only directories, and
// not ".".
func (c *cmd) rmdir(name string) error {
	if baseName(name) == "." {
		return syscall.EINVAL
	}
	if strings.Trim(c.abs(name), "/") == "" {
		return syscall.EBUSY
	}
	fi, err := c.lstat(name)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return syscall.ENOTDIR
	}
	return c.fs.Remove(c.abs(name))
}

func lnMain(c *cmd) int {
	o, ok := c.getopt(c.args[1:], "sfnbS:vT")
	if !ok {
		return 1
	}
	args := o.args
	if len(args) == 0 {
		return c.usageError()
	}
	if len(args) == 1 {
		args = append(args, baseName(args[0]))
	}
	dest := args[len(args)-1]
	srcs := args[:len(args)-1]
	destIsDir := false
	if !o.has("T") {
		if o.has("n") {
			if fi, err := c.lstat(dest); err == nil && fi.IsDir() {
				destIsDir = true
			}
		} else if fi, err := c.stat(dest); err == nil && fi.IsDir() {
			destIsDir = true
		}
	}
	st := 0
	for _, src := range srcs {
		target := dest
		if destIsDir {
			target = strings.TrimSuffix(dest, "/") + "/" + baseName(src)
		}
		if !o.has("s") {
			if _, err := c.stat(src); err != nil {
				c.perror(src, err)
				st = 1
				continue
			}
		}
		if o.has("f") {
			if fi, err := c.lstat(target); err == nil && !fi.IsDir() {
				c.fs.Remove(c.abs(target))
			}
		}
		var err error
		if o.has("s") {
			err = c.fs.Symlink(src, c.abs(target))
		} else {
			err = c.fs.Link(c.abs(src), c.abs(target))
		}
		if err != nil {
			c.perror(target, err)
			st = 1
			continue
		}
		if o.has("v") {
			arrow := "=>"
			if o.has("s") {
				arrow = "->"
			}
			c.printf("'%s' %s '%s'\n", target, arrow, src)
		}
	}
	return st
}

// copyFile copies src to dst, for cp and for mv across filesystems. flags
// say how: recurse into directories, keep symlinks, preserve mode,
// owners and times.
type copyFlags struct {
	recurse, noDeref, preserve, force, noClobber, interactive, hardlink, symlink, verbose bool
	derefTop                                                                              bool
}

func (c *cmd) copyTree(src, dst string, f copyFlags, top bool) bool {
	var fi fs.FileInfo
	var err error
	if f.noDeref && !(top && f.derefTop) {
		fi, err = c.lstat(src)
	} else {
		fi, err = c.stat(src)
	}
	if err != nil {
		c.errorf("can't stat '%s': %s", src, Strerror(err))
		return false
	}
	st := vfs.StatOf(fi)
	dfi, derr := c.lstat(dst)
	if derr == nil {
		dst2 := vfs.StatOf(dfi)
		if dst2.Dev == st.Dev && dst2.Ino == st.Ino {
			c.errorf("'%s' and '%s' are the same file", src, dst)
			return false
		}
	}
	mode := fi.Mode()
	switch {
	case mode.IsDir():
		if !f.recurse {
			c.errorf("omitting directory '%s'", src)
			return false
		}
		if derr == nil && !dfi.IsDir() {
			c.errorf("target '%s' is not a directory", dst)
			return false
		}
		if derr != nil {
			if err := c.fs.Mkdir(c.abs(dst), mode.Perm()|0o700); err != nil {
				c.errorf("can't create directory '%s': %s", dst, Strerror(err))
				return false
			}
		}
		ents, err := c.readDir(src)
		if err != nil {
			c.errorf("can't open '%s': %s", src, Strerror(err))
			return false
		}
		ok := true
		for _, e := range ents {
			s := strings.TrimSuffix(src, "/") + "/" + e.Name()
			d := strings.TrimSuffix(dst, "/") + "/" + e.Name()
			if !c.copyTree(s, d, f, false) {
				ok = false
			}
		}
		perm := mode &^ c.p.Umask()
		if f.preserve {
			perm = mode
		}
		c.fs.Chmod(c.abs(dst), perm&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky))
		if f.preserve {
			c.fs.Lchown(c.abs(dst), st.UID, st.GID)
			c.fs.Chtimes(c.abs(dst), st.Atime, fi.ModTime())
		}
		return ok
	case mode&fs.ModeSymlink != 0:
		target, err := c.fs.Readlink(c.abs(src))
		if err != nil {
			c.errorf("can't read link '%s': %s", src, Strerror(err))
			return false
		}
		if derr == nil {
			if err := c.fs.Remove(c.abs(dst)); err != nil {
				c.errorf("can't remove '%s': %s", dst, Strerror(err))
				return false
			}
		}
		if err := c.fs.Symlink(target, c.abs(dst)); err != nil {
			c.errorf("can't create symlink '%s' to '%s': %s", dst, target, Strerror(err))
			return false
		}
		if f.preserve {
			c.fs.Lchown(c.abs(dst), st.UID, st.GID)
		}
		return true
	}
	if derr == nil {
		if f.noClobber {
			return true
		}
		if dfi.IsDir() {
			c.errorf("can't create '%s': %s", dst, Strerror(syscall.EISDIR))
			return false
		}
	}
	if f.hardlink || f.symlink {
		if derr == nil && f.force {
			c.fs.Remove(c.abs(dst))
		}
		var err error
		if f.symlink {
			err = c.fs.Symlink(src, c.abs(dst))
		} else {
			err = c.fs.Link(c.abs(src), c.abs(dst))
		}
		if err != nil {
			c.errorf("can't create link '%s': %s", dst, Strerror(err))
			return false
		}
		return true
	}
	if mode&(fs.ModeNamedPipe|fs.ModeDevice|fs.ModeCharDevice|fs.ModeSocket) != 0 && f.recurse {
		if err := c.fs.Mknod(c.abs(dst), mode, st.Rdev); err != nil {
			c.errorf("can't create '%s': %s", dst, Strerror(err))
			return false
		}
		return true
	}
	in, err := c.open(src)
	if err != nil {
		c.errorf("can't open '%s': %s", src, Strerror(err))
		return false
	}
	defer in.Close()
	out, err := c.openFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode.Perm())
	if err != nil && f.force && derr == nil {
		c.fs.Remove(c.abs(dst))
		out, err = c.openFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode.Perm())
	}
	if err != nil {
		c.errorf("can't create '%s': %s", dst, Strerror(err))
		return false
	}
	_, err = io.Copy(out, in)
	out.Close()
	if err != nil {
		c.errorf("write error: %s", Strerror(err))
		return false
	}
	if f.preserve {
		c.fs.Chmod(c.abs(dst), mode&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky))
		c.fs.Lchown(c.abs(dst), st.UID, st.GID)
		c.fs.Chtimes(c.abs(dst), st.Atime, fi.ModTime())
	}
	if f.verbose {
		c.printf("'%s' -> '%s'\n", src, dst)
	}
	return true
}

func cpMain(c *cmd) int {
	o, ok := c.getopt(c.args[1:], "arRPLHpfinlsTudvt:", "parents", "preserve=?", "no-clobber", "force", "recursive")
	if !ok {
		return 1
	}
	f := copyFlags{
		recurse:     o.has("r") || o.has("R") || o.has("a") || o.has("recursive"),
		preserve:    o.has("p") || o.has("a") || o.has("preserve"),
		force:       o.has("f") || o.has("force"),
		noClobber:   o.has("n") || o.has("no-clobber"),
		interactive: o.has("i"),
		hardlink:    o.has("l"),
		symlink:     o.has("s"),
		verbose:     o.has("v"),
	}
	// -r and -a copy symlinks as symlinks, as does -P; -L and -H follow.
	f.noDeref = f.recurse || o.has("P") || o.has("d")
	switch o.last("L", "P", "H") {
	case "L":
		f.noDeref = false
	case "H":
		f.derefTop = true
	}
	args := o.args
	if t, ok := o.val("t"); ok {
		args = append(args, t)
	}
	if len(args) < 2 {
		return c.usageError()
	}
	dest := args[len(args)-1]
	srcs := args[:len(args)-1]
	dfi, derr := c.stat(dest)
	destIsDir := derr == nil && dfi.IsDir() && !o.has("T")
	if len(srcs) > 1 && !destIsDir {
		if derr == nil {
			c.errorf("'%s' is not a directory", dest)
			return 1
		}
		// A destination that does not exist is taken for a directory.
		destIsDir = true
	}
	st := 0
	for _, s := range srcs {
		d := dest
		if destIsDir {
			d = strings.TrimSuffix(dest, "/") + "/" + baseName(s)
		}
		if sfi, err := c.stat(s); err == nil && sfi.IsDir() && f.recurse {
			// Copying a directory into itself.
			as, ad := path.Clean(c.abs(s)), path.Clean(c.abs(d))
			if strings.HasPrefix(ad+"/", as+"/") {
				c.errorf("recursion detected, omitting directory '%s'", d)
				st = 1
				continue
			}
		}
		if !c.copyTree(s, d, f, true) {
			st = 1
		}
	}
	return st
}

func mvMain(c *cmd) int {
	o, ok := c.getopt(c.args[1:], "finTvt:", "no-clobber", "force")
	if !ok {
		return 1
	}
	args := o.args
	if t, ok := o.val("t"); ok {
		args = append(args, t)
	}
	if len(args) < 2 {
		return c.usageError()
	}
	dest := args[len(args)-1]
	srcs := args[:len(args)-1]
	dfi, derr := c.stat(dest)
	destIsDir := derr == nil && dfi.IsDir() && !o.has("T")
	if len(srcs) > 1 && !destIsDir {
		c.errorf("'%s' is not a directory", dest)
		return 1
	}
	st := 0
	for _, s := range srcs {
		d := dest
		if destIsDir {
			d = strings.TrimSuffix(dest, "/") + "/" + baseName(s)
		}
		if o.has("n") || o.has("no-clobber") {
			if _, err := c.lstat(d); err == nil {
				continue
			}
		}
		err := c.fs.Rename(c.abs(s), c.abs(d))
		if err == nil {
			if o.has("v") {
				c.printf("'%s' -> '%s'\n", s, d)
			}
			continue
		}
		if Errno(err) != syscall.EXDEV {
			if Errno(err) == syscall.ENOENT {
				if _, serr := c.lstat(s); serr == nil {
					c.errorf("can't rename '%s': %s", s, Strerror(err))
					st = 1
					continue
				}
			}
			c.errorf("can't rename '%s': %s", s, Strerror(err))
			st = 1
			continue
		}
		// Across filesystems: copy, then remove the source.
		sfi, serr := c.lstat(s)
		if serr != nil {
			c.errorf("can't stat '%s': %s", s, Strerror(serr))
			st = 1
			continue
		}
		if dfi2, e := c.lstat(d); e == nil {
			if dfi2.IsDir() && !sfi.IsDir() {
				c.errorf("can't remove '%s': %s", d, Strerror(syscall.EISDIR))
				st = 1
				continue
			}
			if e := c.removeTree(d, true); e != nil && e != errReported {
				c.errorf("can't remove '%s': %s", d, Strerror(e))
				st = 1
				continue
			}
		}
		if !c.copyTree(s, d, copyFlags{recurse: true, noDeref: true, preserve: true}, true) {
			st = 1
			continue
		}
		if e := c.removeTree(s, false); e != nil {
			if e != errReported {
				c.errorf("can't remove '%s': %s", s, Strerror(e))
			}
			st = 1
		}
	}
	return st
}

// fileTime is a file's time for find and stat, in seconds.
func fileTime(t time.Time) int64 { return t.Unix() }
