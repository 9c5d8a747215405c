// Command overlaycheck runs the same file operations on a real overlayfs
// mount (as root, in a scratch directory) and on a vfs.Union over the same
// lower tree, and prints every errno, listing, inode-number or link-count
// difference. It is how the union's overlay behaviour was checked; it is
// not part of the package's tests because vfs may not touch the host.
//
//	go run ./wasm/sim/vfs/testdata/overlaycheck
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

	"github.com/twinbox-dev/twinbox/wasm/sim/vfs"
)

// ops is the subset of operations both sides run.
type ops interface {
	Mkdir(string, fs.FileMode) error
	Remove(string) error
	Rename(string, string) error
	Symlink(string, string) error
	Link(string, string) error
	Chmod(string, fs.FileMode) error
	Write(string, string, int) error
}

type real struct{ root string }

func (r real) p(n string) string {
	return filepath.Join(r.root, n) + map[bool]string{true: "/", false: ""}[strings.HasSuffix(n, "/") && n != "/"]
}
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

func (v virt) Mkdir(n string, m fs.FileMode) error { return v.f.Mkdir(n, m) }
func (v virt) Remove(n string) error               { return v.f.Remove(n) }
func (v virt) Rename(a, b string) error            { return v.f.Rename(a, b) }
func (v virt) Symlink(t, n string) error           { return v.f.Symlink(t, n) }
func (v virt) Link(a, b string) error              { return v.f.Link(a, b) }
func (v virt) Chmod(n string, m fs.FileMode) error { return v.f.Chmod(n, m) }
func (v virt) Write(n, s string, flag int) error {
	f, err := v.f.OpenFile(n, flag, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write([]byte(s))
	f.Close()
	return err
}

func errno(err error) string {
	if err == nil {
		return "ok"
	}
	var e syscall.Errno
	for {
		if x, ok := err.(syscall.Errno); ok {
			e = x
			break
		}
		if pe, ok := err.(*fs.PathError); ok {
			err = pe.Err
			continue
		}
		return err.Error()
	}
	return e.Error()
}

func fixture(o ops) {
	must := func(err error) {
		if err != nil {
			panic(err)
		}
	}
	must(o.Mkdir("/dir", 0o755))
	must(o.Mkdir("/dir/sub", 0o755))
	must(o.Write("/dir/sub/f", "f", os.O_CREATE|os.O_WRONLY))
	must(o.Write("/file", "x", os.O_CREATE|os.O_WRONLY))
	must(o.Link("/file", "/hard"))
	must(o.Symlink("dir", "/ldir"))
	must(o.Symlink("file", "/lfile"))
	must(o.Mkdir("/empty", 0o755))
	must(o.Mkdir("/full", 0o755))
	must(o.Write("/full/a", "", os.O_CREATE|os.O_WRONLY))
}

type step struct {
	name string
	do   func(ops) error
}

var scenarios = [][]step{
	{{"rename lower dir", func(o ops) error { return o.Rename("/dir", "/dir2") }}},
	{{"rename lower empty dir", func(o ops) error { return o.Rename("/empty", "/e2") }}},
	{{"rename lower file", func(o ops) error { return o.Rename("/file", "/f2") }}},
	{{"rename hard link over its twin", func(o ops) error { return o.Rename("/file", "/hard") }}},
	{{"rmdir lower empty", func(o ops) error { return o.Remove("/empty") }}, {"mkdir again", func(o ops) error { return o.Mkdir("/empty", 0o700) }}},
	{{"new dir", func(o ops) error { return o.Mkdir("/n", 0o755) }}, {"write in it", func(o ops) error { return o.Write("/n/x", "1", os.O_CREATE|os.O_WRONLY) }}, {"rename new dir onto lower empty", func(o ops) error { return o.Rename("/n", "/empty") }}},
	{{"new dir", func(o ops) error { return o.Mkdir("/n", 0o755) }}, {"rename onto lower full", func(o ops) error { return o.Rename("/n", "/full") }}},
	{{"rm full/a", func(o ops) error { return o.Remove("/full/a") }}, {"rmdir full", func(o ops) error { return o.Remove("/full") }}},
	{{"rm full/a", func(o ops) error { return o.Remove("/full/a") }}, {"new dir", func(o ops) error { return o.Mkdir("/n", 0o755) }}, {"rename onto emptied merged full", func(o ops) error { return o.Rename("/n", "/full") }}},
	{{"append lower file", func(o ops) error { return o.Write("/file", "y", os.O_WRONLY|os.O_APPEND) }}},
	{{"chmod lower dir", func(o ops) error { return o.Chmod("/dir/sub", 0o700) }}},
	{{"link lower file", func(o ops) error { return o.Link("/file", "/third") }}},
	{{"write deep", func(o ops) error { return o.Write("/dir/sub/g", "g", os.O_CREATE|os.O_WRONLY) }}, {"rename dir/sub (merged)", func(o ops) error { return o.Rename("/dir/sub", "/sub2") }}},
	{{"rm ldir/", func(o ops) error { return o.Remove("/ldir/") }}},
	{{"rename lfile over file", func(o ops) error { return o.Rename("/lfile", "/file") }}},
	{{"remove whiteouted", func(o ops) error { return o.Remove("/file") }}, {"remove again", func(o ops) error { return o.Remove("/file") }}, {"create over whiteout", func(o ops) error { return o.Write("/file", "z", os.O_CREATE|os.O_WRONLY|os.O_EXCL) }}},
	{{"rmdir merged non-empty", func(o ops) error { return o.Remove("/dir") }}},
	{{"mkdir over lower file", func(o ops) error { return o.Mkdir("/file", 0o755) }}},
	{{"mkdir n", func(o ops) error { return o.Mkdir("/n", 0o755) }}, {"mkdir n/a", func(o ops) error { return o.Mkdir("/n/a", 0o755) }}, {"mkdir n/b", func(o ops) error { return o.Mkdir("/n/b", 0o755) }}, {"rmdir n/a", func(o ops) error { return o.Remove("/n/a") }}},
	{{"rm dir/sub/f", func(o ops) error { return o.Remove("/dir/sub/f") }}, {"rmdir dir/sub", func(o ops) error { return o.Remove("/dir/sub") }}, {"rmdir dir", func(o ops) error { return o.Remove("/dir") }}, {"mkdir dir", func(o ops) error { return o.Mkdir("/dir", 0o755) }}, {"mkdir dir/sub", func(o ops) error { return o.Mkdir("/dir/sub", 0o755) }}},
	{{"write new", func(o ops) error { return o.Write("/nf", "1", os.O_CREATE|os.O_WRONLY) }}, {"link it", func(o ops) error { return o.Link("/nf", "/nf2") }}, {"rename twin upper", func(o ops) error { return o.Rename("/nf", "/nf2") }}},
	{{"rm file", func(o ops) error { return o.Remove("/file") }}, {"rename hard onto whiteout", func(o ops) error { return o.Rename("/hard", "/file") }}},
	{{"rename empty into itself", func(o ops) error { return o.Rename("/empty", "/empty/x") }}},
	{{"chmod through symlink", func(o ops) error { return o.Chmod("/ldir", 0o700) }}},
	{{"rename full/a to root", func(o ops) error { return o.Rename("/full/a", "/a") }}, {"rmdir full", func(o ops) error { return o.Remove("/full") }}, {"rename empty over a", func(o ops) error { return o.Rename("/a", "/empty") }}},
	{{"write through lfile", func(o ops) error { return o.Write("/lfile", "q", os.O_WRONLY|os.O_TRUNC) }}},
}

// listing describes every path: type, mode, nlink, size, and whether the
// inode number equals the lower one (copy-up keeps it).
func listing(stat func(string) (fs.FileInfo, error), readdir func(string) ([]string, error), lowerIno map[string]uint64, ino func(fs.FileInfo) uint64) []string {
	var out []string
	var walk func(p string)
	walk = func(p string) {
		names, err := readdir(p)
		if err != nil {
			out = append(out, p+" readdir "+errno(err))
			return
		}
		sort.Strings(names)
		for _, n := range names {
			cp := filepath.Join(p, n)
			fi, err := stat(cp)
			if err != nil {
				out = append(out, cp+" "+errno(err))
				continue
			}
			same := ""
			if li, ok := lowerIno[cp]; ok {
				same = fmt.Sprint(li == ino(fi))
			}
			size := fi.Size()
			if fi.IsDir() {
				size = 0
			}
			nl := ""
			out = append(out, fmt.Sprintf("%s %v size=%d sameino=%s%s", cp, fi.Mode(), size, same, nl))
			if fi.IsDir() {
				walk(cp)
			}
		}
	}
	walk("/")
	return out
}

func main() {
	base, _ := os.MkdirTemp("", "vfsdiff")
	defer os.RemoveAll(base)
	lower := filepath.Join(base, "lower")
	os.Mkdir(lower, 0o755)
	syscall.Umask(0)
	fixture(real{lower})
	// the same lower as a layer
	t := vfs.NewTree(nil)
	fixture(virt{t})
	layer := vfs.NewLayer(nil, t)

	bad := 0
	for i, sc := range scenarios {
		dir := filepath.Join(base, fmt.Sprint(i))
		up, work, mnt := dir+"/u", dir+"/w", dir+"/m"
		for _, d := range []string{up, work, mnt} {
			os.MkdirAll(d, 0o755)
		}
		if out, err := exec.Command("mount", "-t", "overlay", "overlay", "-o", "lowerdir="+lower+",upperdir="+up+",workdir="+work, mnt).CombinedOutput(); err != nil {
			panic(string(out))
		}
		r := real{mnt}
		u := vfs.NewUnion(layer, nil)
		v := virt{u}
		lowerIno := map[string]uint64{}
		vlowerIno := map[string]uint64{}
		filepath.Walk(mnt, func(p string, fi os.FileInfo, err error) error {
			if rel, _ := filepath.Rel(mnt, p); rel != "." {
				lowerIno["/"+rel] = fi.Sys().(*syscall.Stat_t).Ino
				vfi, _ := u.Lstat("/" + rel)
				vlowerIno["/"+rel] = vfs.StatOf(vfi).Ino
			}
			return nil
		})
		for _, st := range sc {
			re, ve := errno(st.do(r)), errno(st.do(v))
			mark := "  "
			if re != ve {
				mark = "!!"
				bad++
			}
			fmt.Printf("%s %d %-40s real=%s vfs=%s\n", mark, i, st.name, re, ve)
		}
		time.Sleep(10 * time.Millisecond)
		rl := listing(func(p string) (fs.FileInfo, error) { return os.Lstat(filepath.Join(mnt, p)) },
			func(p string) ([]string, error) {
				es, err := os.ReadDir(filepath.Join(mnt, p))
				var n []string
				for _, e := range es {
					n = append(n, e.Name())
				}
				return n, err
			}, lowerIno, func(fi fs.FileInfo) uint64 { return fi.Sys().(*syscall.Stat_t).Ino })
		vl := listing(u.Lstat, func(p string) ([]string, error) {
			es, err := u.ReadDir(p)
			var n []string
			for _, e := range es {
				n = append(n, e.Name())
			}
			return n, err
		}, vlowerIno, func(fi fs.FileInfo) uint64 { return vfs.StatOf(fi).Ino })
		if strings.Join(rl, "\n") != strings.Join(vl, "\n") {
			bad++
			fmt.Printf("!! %d listing differs:\nreal:\n  %s\nvfs:\n  %s\n", i, strings.Join(rl, "\n  "), strings.Join(vl, "\n  "))
		}
		// nlink of every path
		for _, p := range []string{"/", "/dir", "/dir/sub", "/empty", "/full", "/file", "/hard", "/n", "/n/b", "/third", "/sub2", "/nf", "/nf2", "/a"} {
			rfi, rerr := os.Lstat(filepath.Join(mnt, p))
			vfi, verr := u.Lstat(p)
			if (rerr == nil) != (verr == nil) {
				continue
			}
			if rerr == nil {
				rn := rfi.Sys().(*syscall.Stat_t).Nlink
				vn := vfs.StatOf(vfi).Nlink
				if uint64(rn) != uint64(vn) {
					bad++
					fmt.Printf("!! %d nlink %s real=%d vfs=%d\n", i, p, rn, vn)
				}
			}
		}
		exec.Command("umount", mnt).Run()
	}
	fmt.Println("differences:", bad)
}
