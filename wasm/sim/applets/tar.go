package applets

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"syscall"

	"github.com/twinbox-dev/twinbox/wasm/sim/vfs"
)

// tarMain is busybox's tar: create (c), extract (x) or list (t) the
// archive -f FILE ("-" or none: standard input or output), in the folder
// -C DIR, gzip-compressed with -z; v lists the names (tv as busybox's long
// listing). As busybox, a first argument without a dash is a bundle of
// options ("tar cf x.tar ."), names are stored as given ("./data.txt"),
// leading "/" is stripped, and extraction restores modes, times and, for
// root, owners.
func tarMain(c *cmd) int {
	args := c.args[1:]
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		args = append([]string{"-" + args[0]}, args[1:]...)
	}
	o, ok := c.getopt(args, "cxtf:C:vzO")
	if !ok {
		return 1
	}
	mode := o.last("c", "x", "t")
	if mode == "" || o.has("c") && o.has("x") || o.has("c") && o.has("t") || o.has("x") && o.has("t") {
		return c.usageError()
	}
	file, _ := o.val("f")
	if file == "" {
		file = "-"
	}
	t := &tarRun{c: c, dir: c.p.Dir(), verbose: o.count("v"), gz: o.has("z"), toStdout: o.has("O")}
	if d, ok := o.val("C"); ok {
		t.dir = c.abs(d)
		if fi, err := c.fs.Stat(t.dir); err != nil || !fi.IsDir() {
			if err == nil {
				err = syscall.ENOTDIR
			}
			c.errorf("can't change directory to '%s': %s", d, Strerror(err))
			return 1
		}
	}
	if mode == "c" {
		if len(o.args) == 0 {
			c.errorf("empty archive")
			return 1
		}
		return t.create(file, o.args)
	}
	return t.read(file, mode == "x", o.args)
}

type tarRun struct {
	c        *cmd
	dir      string // -C, absolute
	verbose  int
	gz       bool
	toStdout bool // -O: extract files to standard output
	status   int
}

// at is name relative to the -C folder.
func (t *tarRun) at(name string) string {
	if strings.HasPrefix(name, "/") {
		return name
	}
	return path.Join(t.dir, name)
}

func (t *tarRun) create(file string, names []string) int {
	c := t.c
	var w io.Writer = c.out
	list := io.Writer(c.out)
	if file != "-" {
		f, err := c.openFile(file, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666)
		if err != nil {
			c.errorf("can't open '%s': %s", file, Strerror(err))
			return 1
		}
		defer f.Close()
		w = f
	} else {
		list = c.p.Stderr()
	}
	var gz *gzip.Writer
	if t.gz {
		gz = gzip.NewWriter(w)
		w = gz
	}
	tw := tar.NewWriter(w)
	for _, n := range names {
		t.add(tw, list, n)
	}
	err := tw.Close()
	if gz != nil && err == nil {
		err = gz.Close()
	}
	if err != nil {
		c.errorf("write error: %s", Strerror(err))
		return 1
	}
	if t.status != 0 {
		c.errorf("error exit delayed from previous errors")
	}
	return t.status
}

// add writes name, and what is under it when it is a folder.
func (t *tarRun) add(tw *tar.Writer, list io.Writer, name string) {
	c := t.c
	fi, err := c.fs.Lstat(t.at(name))
	if err != nil {
		c.errorf("%s: %s", name, Strerror(err))
		t.status = 1
		return
	}
	stored := strings.TrimLeft(name, "/")
	if stored == "" {
		stored = "./"
	}
	h := &tar.Header{Name: stored, Mode: int64(unixMode(fi.Mode()) & 0o7777), ModTime: fi.ModTime(), Format: tar.FormatGNU}
	st := vfs.StatOf(fi)
	h.Uid, h.Gid = st.UID, st.GID
	h.Uname, h.Gname = c.userName(st.UID), c.groupName(st.GID)
	switch {
	case fi.IsDir():
		h.Typeflag = tar.TypeDir
		if !strings.HasSuffix(h.Name, "/") {
			h.Name += "/"
		}
	case fi.Mode()&fs.ModeSymlink != 0:
		h.Typeflag = tar.TypeSymlink
		if h.Linkname, err = c.fs.Readlink(t.at(name)); err != nil {
			c.errorf("%s: %s", name, Strerror(err))
			t.status = 1
			return
		}
	case fi.Mode().IsRegular():
		h.Typeflag = tar.TypeReg
		h.Size = fi.Size()
	default:
		c.errorf("%s: unknown file type", name)
		t.status = 1
		return
	}
	if err := tw.WriteHeader(h); err != nil {
		c.errorf("write error: %s", Strerror(err))
		t.status = 1
		return
	}
	if t.verbose > 0 {
		fmt.Fprintln(list, h.Name)
	}
	if h.Typeflag == tar.TypeReg {
		f, err := c.fs.OpenFile(t.at(name), os.O_RDONLY, 0)
		if err != nil {
			c.errorf("can't open '%s': %s", name, Strerror(err))
			t.status = 1
			return
		}
		_, err = io.Copy(tw, f)
		f.Close()
		if err != nil {
			c.errorf("%s: %s", name, Strerror(err))
			t.status = 1
		}
		return
	}
	if h.Typeflag == tar.TypeDir {
		ents, err := c.fs.ReadDir(t.at(name))
		if err != nil {
			c.errorf("%s: %s", name, Strerror(err))
			t.status = 1
			return
		}
		for _, e := range ents {
			child := strings.TrimSuffix(name, "/") + "/" + e.Name()
			if name == "/" {
				child = "/" + e.Name()
			}
			t.add(tw, list, child)
		}
	}
}

// read lists or extracts the archive; names, when given, pick members.
func (t *tarRun) read(file string, extract bool, names []string) int {
	c := t.c
	var r io.Reader
	if file == "-" {
		r = c.stdin()
	} else {
		f, err := c.open(file)
		if err != nil {
			c.errorf("can't open '%s': %s", file, Strerror(err))
			return 1
		}
		defer f.Close()
		r = f
	}
	if t.gz {
		zr, err := gzip.NewReader(r)
		if err != nil {
			c.errorf("invalid magic")
			return 1
		}
		r = zr
	}
	tr := tar.NewReader(r)
	seen := map[string]bool{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				c.errorf("short read")
			} else {
				c.errorf("invalid tar magic")
			}
			return 1
		}
		if len(names) > 0 && !tarWanted(h.Name, names, seen) {
			continue
		}
		if !extract || t.verbose > 0 {
			t.list(h, extract)
		}
		if extract {
			t.extract(h, tr)
		}
	}
	for _, n := range names {
		if !seen[n] {
			c.errorf("%s: not found in archive", n)
			t.status = 1
		}
	}
	return t.status
}

func tarWanted(name string, names []string, seen map[string]bool) bool {
	clean := strings.TrimSuffix(name, "/")
	for _, n := range names {
		m := strings.TrimSuffix(n, "/")
		if clean == m || strings.HasPrefix(clean, m+"/") {
			seen[n] = true
			return true
		}
	}
	return false
}

// list prints a member: its name, or busybox's long line with tv.
func (t *tarRun) list(h *tar.Header, extract bool) {
	c := t.c
	if t.verbose < 1 || extract && t.verbose < 2 {
		if !t.toStdout || !extract {
			c.println(h.Name)
		}
		return
	}
	m := fromBits(uint32(h.Mode) & 0o7777)
	switch h.Typeflag {
	case tar.TypeDir:
		m |= fs.ModeDir
	case tar.TypeSymlink:
		m |= fs.ModeSymlink
	}
	owner := h.Uname
	if owner == "" {
		owner = fmt.Sprint(h.Uid)
	}
	group := h.Gname
	if group == "" {
		group = fmt.Sprint(h.Gid)
	}
	line := fmt.Sprintf("%s %s/%s %9d %s %s", modeString(m), owner, group, h.Size, h.ModTime.UTC().Format("2006-01-02 15:04:05"), h.Name)
	if h.Typeflag == tar.TypeSymlink {
		line += " -> " + h.Linkname
	}
	c.println(line)
}

// extract writes a member under the -C folder.
func (t *tarRun) extract(h *tar.Header, r io.Reader) {
	c := t.c
	name := strings.TrimLeft(h.Name, "/")
	if name == "" || name == "./" {
		return
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			c.errorf("skipping unsafe path: %s", h.Name)
			return
		}
	}
	dst := path.Join(t.dir, name)
	if t.toStdout {
		if h.Typeflag == tar.TypeReg {
			io.Copy(c.out, r)
		}
		return
	}
	mode := fromBits(uint32(h.Mode) & 0o7777)
	if err := c.mkdirAll(path.Dir(dst), 0o755, false); err != nil {
		c.errorf("can't create directory '%s': %s", path.Dir(name), Strerror(err))
		t.status = 1
		return
	}
	switch h.Typeflag {
	case tar.TypeDir:
		if err := c.fs.Mkdir(dst, mode); err != nil && !errors.Is(err, fs.ErrExist) {
			c.errorf("can't make dir %s: %s", name, Strerror(err))
			t.status = 1
			return
		}
		c.fs.Chmod(dst, mode)
	case tar.TypeSymlink:
		c.fs.Remove(dst)
		if err := c.fs.Symlink(h.Linkname, dst); err != nil {
			c.errorf("can't create symlink '%s' to '%s': %s", name, h.Linkname, Strerror(err))
			t.status = 1
			return
		}
	case tar.TypeReg, tar.TypeRegA:
		if fi, err := c.fs.Lstat(dst); err == nil && !fi.IsDir() {
			c.fs.Remove(dst) // busybox unlinks first
		}
		f, err := c.fs.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
		if err != nil {
			c.errorf("can't open '%s': %s", name, Strerror(err))
			t.status = 1
			return
		}
		_, err = io.Copy(f, r)
		f.Close()
		if err != nil {
			c.errorf("%s: %s", name, Strerror(err))
			t.status = 1
			return
		}
		c.fs.Chmod(dst, mode)
	default:
		return // devices, FIFOs and hard links are not simulated
	}
	if c.p.Cred().UID == 0 {
		c.fs.Lchown(dst, h.Uid, h.Gid)
	}
	if h.Typeflag != tar.TypeSymlink {
		c.fs.Chtimes(dst, h.ModTime, h.ModTime)
	}
}
