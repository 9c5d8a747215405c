// Command changescheck compares Union.Changes with what dockerd 20.10.24
// computes for overlay2: it unpacks a busybox-like image layer and the init
// layer (ExportLayer tars) with dockerd's own archive.Unpack, mounts them
// with a read-write layer on a real overlayfs, runs each script both there
// and on a vfs.Union, and compares archive.ChangesDirs (what overlay2's
// Changes calls in 20.10) of the two mounts with Union.Changes. Run as root:
//
//	cd wasm/sim/vfs/testdata/changescheck && GOFLAGS=-mod=mod go run .
//
// It is a separate module because github.com/docker/docker is no
// dependency of twinbox.
package main

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/docker/docker/pkg/archive"
	"github.com/twinbox-dev/twinbox/wasm/sim/vfs"
)

type ops interface {
	Mkdir(string, fs.FileMode) error
	Remove(string) error
	Rename(string, string) error
	Symlink(string, string) error
	Link(string, string) error
	Chmod(string, fs.FileMode) error
	Lchown(string, int, int) error
	Chtimes(string, time.Time, time.Time) error
	Write(string, string, int) error
}

type real struct{ root string }

func (r real) p(n string) string                   { return filepath.Join(r.root, n) }
func (r real) Mkdir(n string, m fs.FileMode) error { return syscall.Mkdir(r.p(n), uint32(m)) }
func (r real) Remove(n string) error {
	err := syscall.Unlink(r.p(n))
	if err == syscall.EISDIR {
		err = syscall.Rmdir(r.p(n))
	}
	return err
}
func (r real) Rename(a, b string) error            { return syscall.Rename(r.p(a), r.p(b)) }
func (r real) Symlink(t, n string) error           { return syscall.Symlink(t, r.p(n)) }
func (r real) Link(a, b string) error              { return syscall.Link(r.p(a), r.p(b)) }
func (r real) Chmod(n string, m fs.FileMode) error { return syscall.Chmod(r.p(n), uint32(m)) }
func (r real) Lchown(n string, u, g int) error     { return syscall.Lchown(r.p(n), u, g) }
func (r real) Chtimes(n string, a, m time.Time) error {
	return os.Chtimes(r.p(n), a, m)
}
func (r real) Write(n, s string, flag int) error {
	fd, err := syscall.Open(r.p(n), flag|syscall.O_CLOEXEC, 0o644)
	if err != nil {
		return err
	}
	_, err = syscall.Write(fd, []byte(s))
	syscall.Close(fd)
	return err
}

type virt struct{ f vfs.FS }

func (v virt) Mkdir(n string, m fs.FileMode) error    { return v.f.Mkdir(n, m) }
func (v virt) Remove(n string) error                  { return v.f.Remove(n) }
func (v virt) Rename(a, b string) error               { return v.f.Rename(a, b) }
func (v virt) Symlink(t, n string) error              { return v.f.Symlink(t, n) }
func (v virt) Link(a, b string) error                 { return v.f.Link(a, b) }
func (v virt) Chmod(n string, m fs.FileMode) error    { return v.f.Chmod(n, m) }
func (v virt) Lchown(n string, u, g int) error        { return v.f.Lchown(n, u, g) }
func (v virt) Chtimes(n string, a, m time.Time) error { return v.f.Chtimes(n, a, m) }
func (v virt) Write(n, s string, flag int) error {
	f, err := v.f.OpenFile(n, flag, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write([]byte(s))
	f.Close()
	return err
}

func rmAll(o ops, p string, isDir func(string) bool, list func(string) []string) {
	if isDir(p) {
		for _, n := range list(p) {
			rmAll(o, p+"/"+n, isDir, list)
		}
	}
	o.Remove(p)
}

var now = time.Now()

type script struct {
	name string
	do   func(o ops, rm func(string))
}

var scripts = []script{
	{"d1", func(o ops, rm func(string)) {
		o.Write("/NEW-FILE", "", os.O_CREATE|os.O_WRONLY)
		o.Mkdir("/a", 0o755)
		o.Mkdir("/a/b", 0o755)
		o.Write("/a/b/c", "x\n", os.O_CREATE|os.O_WRONLY)
		o.Remove("/bin/ls")
		o.Write("/etc/passwd", "root2\n", os.O_WRONLY|os.O_APPEND)
	}},
	{"d2", func(o ops, rm func(string)) {
		rm("/home")
		o.Mkdir("/home", 0o755)
		o.Write("/home/new", "", os.O_CREATE|os.O_WRONLY)
	}},
	{"d3", func(o ops, rm func(string)) {
		o.Mkdir("/t", 0o755)
		o.Write("/t/x", "", os.O_CREATE|os.O_WRONLY)
		rm("/t")
	}},
	{"d4", func(o ops, rm func(string)) {}},
	{"d5", func(o ops, rm func(string)) {
		o.Mkdir("/data", 0o755)
		o.Write("/outside", "", os.O_CREATE|os.O_WRONLY)
	}},
	{"d6", func(o ops, rm func(string)) {
		o.Rename("/etc/group", "/etc/group2")
		o.Symlink("/tmp", "/tmplink")
		o.Chmod("/etc/passwd", 0o600)
	}},
	{"chmod same", func(o ops, rm func(string)) { o.Chmod("/etc/passwd", 0o644) }},
	{"touch dir", func(o ops, rm func(string)) { o.Chtimes("/etc", now, now) }},
	{"touch file", func(o ops, rm func(string)) { o.Chtimes("/etc/group", now, now) }},
	{"chown dir", func(o ops, rm func(string)) { o.Lchown("/var", 1, 1) }},
	{"file to dir", func(o ops, rm func(string)) {
		o.Remove("/etc/group")
		o.Mkdir("/etc/group", 0o755)
		o.Write("/etc/group/x", "", os.O_CREATE|os.O_WRONLY)
	}},
	{"dir to file", func(o ops, rm func(string)) { rm("/usr"); o.Write("/usr", "", os.O_CREATE|os.O_WRONLY) }},
	{"rm -rf tree", func(o ops, rm func(string)) { rm("/usr") }},
	{"opaque", func(o ops, rm func(string)) { rm("/usr"); o.Mkdir("/usr", 0o755); o.Mkdir("/usr/bin", 0o755) }},
	{"hard link lower", func(o ops, rm func(string)) { o.Link("/bin/busybox", "/bb") }},
	{"write init hosts", func(o ops, rm func(string)) { o.Write("/etc/hosts", "127.0.0.1\n", os.O_WRONLY|os.O_TRUNC) }},
	{"deep", func(o ops, rm func(string)) {
		o.Mkdir("/usr/bin/x", 0o755)
		o.Write("/usr/bin/x/y", "", os.O_CREATE|os.O_WRONLY)
		o.Remove("/bin/cat")
	}},
	{"mv lower file into new dir", func(o ops, rm func(string)) { o.Mkdir("/n", 0o755); o.Rename("/etc/passwd", "/n/p") }},
	{"write same size same second", func(o ops, rm func(string)) { o.Write("/etc/group", "X", os.O_WRONLY) }},
	{"rename dir over", func(o ops, rm func(string)) { o.Mkdir("/n", 0o700); o.Rename("/n", "/home") }},
}

func busybox(t *vfs.Tree) {
	epoch := time.Unix(0, 0)
	for _, d := range []string{"/bin", "/etc", "/home", "/root", "/tmp", "/usr", "/usr/bin", "/usr/sbin", "/var"} {
		t.Mkdir(d, 0o755)
	}
	t.Chmod("/tmp", fs.ModeSticky|0o777)
	t.Chmod("/root", 0o700)
	vfs.WriteFile(t, "/bin/busybox", []byte("\x7fELF busybox"), 0o755)
	for _, a := range []string{"cat", "ls", "sh"} {
		t.Symlink("busybox", "/bin/"+a)
	}
	vfs.WriteFile(t, "/etc/passwd", []byte("root:x:0:0:root:/root:/bin/sh\n"), 0o644)
	vfs.WriteFile(t, "/etc/group", []byte("root:x:0:\n"), 0o644)
	for _, p := range []string{"/", "/bin", "/etc", "/home", "/root", "/tmp", "/usr", "/usr/bin", "/usr/sbin", "/var", "/bin/busybox", "/etc/passwd", "/etc/group"} {
		t.Chtimes(p, epoch, epoch)
	}
}

func unpack(l *vfs.Layer, dir string) {
	os.MkdirAll(dir, 0o755)
	if err := archive.Unpack(vfs.ExportLayer(l), dir, &archive.TarOptions{WhiteoutFormat: archive.OverlayWhiteoutFormat}); err != nil {
		panic(err)
	}
}

func main() {
	base, _ := os.MkdirTemp("", "vfschg")
	defer os.RemoveAll(base)
	syscall.Umask(0)
	t := vfs.NewTree(nil)
	busybox(t)
	image := vfs.NewLayer(nil, t)
	initL := vfs.InitLayer(image, nil)
	unpack(image, base+"/image")
	unpack(initL, base+"/init")
	lowers := base + "/init:" + base + "/image"
	bad := 0
	for i, sc := range scripts {
		d := fmt.Sprintf("%s/%d", base, i)
		for _, x := range []string{"u", "w", "m", "old"} {
			os.MkdirAll(d+"/"+x, 0o755)
		}
		mount := func(opts, at string) {
			if out, err := exec.Command("mount", "-t", "overlay", "overlay", "-o", opts, at).CombinedOutput(); err != nil {
				panic(string(out))
			}
		}
		mount("lowerdir="+lowers+",upperdir="+d+"/u,workdir="+d+"/w", d+"/m")
		mount("lowerdir="+lowers, d+"/old")
		time.Sleep(1100 * time.Millisecond) // a new second, as a container runs later
		r := real{d + "/m"}
		sc.do(r, func(p string) {
			rmAll(r, p, func(p string) bool { fi, err := os.Lstat(r.p(p)); return err == nil && fi.IsDir() },
				func(p string) []string {
					es, _ := os.ReadDir(r.p(p))
					var n []string
					for _, e := range es {
						n = append(n, e.Name())
					}
					return n
				})
		})
		u := vfs.NewUnion(initL, nil)
		v := virt{u}
		sc.do(v, func(p string) { vfs.RemoveAll(u, p) })
		chs, err := archive.ChangesDirs(d+"/m", d+"/old")
		if err != nil {
			panic(err)
		}
		var want, got []string
		for _, c := range chs {
			want = append(want, c.String())
		}
		for _, c := range u.Changes() {
			got = append(got, c.Kind.String()+" "+c.Path)
		}
		sort.Strings(want)
		sort.Strings(got)
		mark := "  "
		if strings.Join(want, ",") != strings.Join(got, ",") {
			mark = "!!"
			bad++
		}
		fmt.Printf("%s %-28s dockerd: %s\n   %-28s vfs:     %s\n", mark, sc.name, strings.Join(want, ", "), "", strings.Join(got, ", "))
		exec.Command("umount", d+"/m").Run()
		exec.Command("umount", d+"/old").Run()
	}
	fmt.Println("differences:", bad)
}
