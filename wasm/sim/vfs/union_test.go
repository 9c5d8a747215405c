package vfs

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// busyboxApplets are some of the symlinks busybox:latest has in /bin.
var zeroTime time.Time

var busyboxApplets = []string{"cat", "chmod", "cp", "echo", "ln", "ls", "mkdir", "mv", "rm", "sh", "touch"}

// busyboxTree builds a small tree shaped like the reference's busybox
// image (see testdata/02-diff.sh): /bin/busybox and applet symlinks,
// /etc/passwd and /etc/group, empty /root, /tmp (1777), /var, /home,
// /usr/bin and /usr/sbin, every time at the epoch as in rootfs.tar.
func busyboxTree(t testing.TB) *Tree {
	t.Helper()
	epoch := time.Unix(0, 0)
	tr := NewTree(func() time.Time { return epoch })
	for _, d := range []string{"/bin", "/etc", "/home", "/root", "/tmp", "/usr", "/usr/bin", "/usr/sbin", "/var"} {
		if err := tr.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(tr.Chmod("/tmp", fs.ModeSticky|0o777))
	must(tr.Chmod("/root", 0o700))
	must(WriteFile(tr, "/bin/busybox", []byte("\x7fELF\x02\x01\x01\x00twinbox-binary:busybox\n"), 0o755))
	for _, a := range busyboxApplets {
		must(tr.Symlink("busybox", "/bin/"+a))
	}
	must(WriteFile(tr, "/etc/passwd", []byte("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n"), 0o644))
	must(WriteFile(tr, "/etc/group", []byte("root:x:0:\nnogroup:x:65534:\n"), 0o644))
	return tr
}

// container returns a union as Docker makes a container's root: busybox,
// the init layer, and an empty read-write tree.
func container(t testing.TB, clk Clock) *Union {
	t.Helper()
	image := NewLayer(nil, busyboxTree(t))
	return NewUnion(InitLayer(image, clk), clk)
}

// diffScripts performs on a container root what each `docker run` of
// testdata/02-diff.sh does to its filesystem, the way busybox does it.
var diffScripts = map[string]func(t *testing.T, u *Union){
	"d1": func(t *testing.T, u *Union) {
		// touch /NEW-FILE; mkdir -p /a/b; echo x > /a/b/c; rm /bin/ls; echo root2 >> /etc/passwd
		must(t, WriteFile(u, "/NEW-FILE", nil, 0o644))
		must(t, MkdirAll(u, "/a/b", 0o755))
		must(t, WriteFile(u, "/a/b/c", []byte("x\n"), 0o644))
		must(t, u.Remove("/bin/ls"))
		f, err := u.OpenFile("/etc/passwd", os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o666)
		must(t, err)
		_, err = f.Write([]byte("root2\n"))
		must(t, err)
		must(t, f.Close())
	},
	"d2": func(t *testing.T, u *Union) {
		// rm -rf /home; mkdir /home; touch /home/new
		must(t, RemoveAll(u, "/home"))
		must(t, u.Mkdir("/home", 0o755))
		must(t, WriteFile(u, "/home/new", nil, 0o644))
	},
	"d3": func(t *testing.T, u *Union) {
		// mkdir /t; touch /t/x; rm -rf /t
		must(t, u.Mkdir("/t", 0o755))
		must(t, WriteFile(u, "/t/x", nil, 0o644))
		must(t, RemoveAll(u, "/t"))
	},
	"d4": func(t *testing.T, u *Union) {}, // true
	"d5": func(t *testing.T, u *Union) {
		// -v /data: the runtime makes the mount point in the container's
		// layer; what the shell writes into /data goes to the volume.
		must(t, MkdirAll(u, "/data", 0o755))
		must(t, WriteFile(u, "/outside", nil, 0o644))
	},
	"d6": func(t *testing.T, u *Union) {
		// mv /etc/group /etc/group2; ln -s /tmp /tmplink; chmod 600 /etc/passwd
		must(t, u.Rename("/etc/group", "/etc/group2"))
		must(t, u.Symlink("/tmp", "/tmplink"))
		must(t, u.Chmod("/etc/passwd", 0o600))
	},
}

// referenceDiffs reads, from the reference transcript, what
// `docker diff NAME | sort` printed for each container.
func referenceDiffs(t *testing.T) map[string][]string {
	b, err := os.ReadFile("testdata/02-diff.txt")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	var cur string
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case strings.HasPrefix(line, "$ docker diff "):
			f := strings.Fields(line)
			cur = f[3]
			out[cur] = []string{}
		case strings.HasPrefix(line, "[exit"), strings.HasPrefix(line, "$ "):
			cur = ""
		case cur != "":
			out[cur] = append(out[cur], line)
		}
	}
	return out
}

func TestChangesReference(t *testing.T) {
	want := referenceDiffs(t)
	if len(want) != 7 { // d1-d6 and nosuch
		t.Fatalf("got %d diffs in the reference, want 7", len(want))
	}
	for name, script := range diffScripts {
		t.Run(name, func(t *testing.T) {
			clk := newFakeClock()
			u := container(t, clk.clock())
			clk.advance(time.Minute)
			script(t, u)
			var got []string
			for _, c := range u.Changes() {
				got = append(got, c.Kind.String()+" "+c.Path)
			}
			slices.Sort(got)
			if strings.Join(got, "\n") != strings.Join(want[name], "\n") {
				t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want[name], "\n"))
			}
		})
	}
}

func TestChangesOrder(t *testing.T) {
	clk := newFakeClock()
	u := container(t, clk.clock())
	clk.advance(time.Minute)
	diffScripts["d1"](t, u)
	must(t, u.Remove("/bin/cat"))
	must(t, u.Mkdir("/usr/bin/x", 0o755))
	var got []string
	for _, c := range u.Changes() {
		got = append(got, c.Kind.String()+" "+c.Path)
	}
	want := []string{
		"A /NEW-FILE", "A /a", "A /a/b", "A /a/b/c",
		"C /bin", "D /bin/cat", "D /bin/ls",
		"C /etc", "C /etc/passwd",
		"C /usr", "C /usr/bin", "A /usr/bin/x",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestChangesCases(t *testing.T) {
	for _, tc := range []struct {
		name   string
		script func(t *testing.T, u *Union)
		want   []string
	}{
		{"chmod to the same mode copies up but changes nothing", func(t *testing.T, u *Union) {
			must(t, u.Chmod("/etc/passwd", 0o644))
		}, nil},
		{"touching a directory changes nothing", func(t *testing.T, u *Union) {
			must(t, u.Chtimes("/etc", time.Now(), time.Now()))
		}, nil},
		{"touching a file changes it", func(t *testing.T, u *Union) {
			must(t, u.Chtimes("/etc/group", time.Now(), time.Now()))
		}, []string{"C /etc", "C /etc/group"}},
		{"chown of a directory", func(t *testing.T, u *Union) {
			must(t, u.Lchown("/var", 1, 1))
		}, []string{"C /var"}},
		{"file replaced by a directory", func(t *testing.T, u *Union) {
			must(t, u.Remove("/etc/group"))
			must(t, u.Mkdir("/etc/group", 0o755))
			must(t, WriteFile(u, "/etc/group/x", nil, 0o644))
		}, []string{"C /etc", "C /etc/group", "A /etc/group/x"}},
		{"directory replaced by a file", func(t *testing.T, u *Union) {
			must(t, RemoveAll(u, "/usr"))
			must(t, WriteFile(u, "/usr", nil, 0o644))
		}, []string{"C /usr"}},
		{"rm -rf of a tree lists only its top", func(t *testing.T, u *Union) {
			must(t, RemoveAll(u, "/usr"))
		}, []string{"D /usr"}},
		{"opaque directory lists what it hides", func(t *testing.T, u *Union) {
			must(t, RemoveAll(u, "/usr"))
			must(t, u.Mkdir("/usr", 0o755))
			must(t, u.Mkdir("/usr/bin", 0o755))
		}, []string{"C /usr", "D /usr/sbin"}},
		{"hard link to a lower file", func(t *testing.T, u *Union) {
			must(t, u.Link("/bin/busybox", "/bb"))
		}, []string{"A /bb"}},
		{"write to the init layer's /etc/hosts", func(t *testing.T, u *Union) {
			must(t, WriteFile(u, "/etc/hosts", []byte("127.0.0.1 localhost\n"), 0o644))
		}, []string{"C /etc", "C /etc/hosts"}},
		{"busybox mv of a lower directory copies it", func(t *testing.T, u *Union) {
			if err := u.Rename("/home", "/home2"); errnoOf(err) != syscall.EXDEV {
				t.Fatalf("got %v, want EXDEV", err)
			}
			must(t, u.Mkdir("/home2", 0o755))
			must(t, u.Remove("/home"))
		}, []string{"D /home", "A /home2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newFakeClock()
			u := container(t, clk.clock())
			clk.advance(time.Minute)
			tc.script(t, u)
			var got []string
			for _, c := range u.Changes() {
				got = append(got, c.Kind.String()+" "+c.Path)
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func names(t *testing.T, fsys FS, dir string) string {
	t.Helper()
	ents, err := fsys.ReadDir(dir)
	must(t, err)
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return strings.Join(out, " ")
}

func lstatT(t *testing.T, fsys FS, name string) (fs.FileInfo, *Stat) {
	t.Helper()
	fi, err := fsys.Lstat(name)
	must(t, err)
	return fi, StatOf(fi)
}

func TestUnionCopyUp(t *testing.T) {
	clk := newFakeClock()
	image := NewLayer(nil, busyboxTree(t))
	u := NewUnion(image, clk.clock())
	other := NewUnion(image, clk.clock())
	_, before := lstatT(t, u, "/etc/passwd")
	_, dirBefore := lstatT(t, u, "/etc")

	// A reader opened before the copy-up keeps the lower content.
	r, err := u.OpenFile("/etc/passwd", os.O_RDONLY, 0)
	must(t, err)
	clk.advance(time.Hour)
	f, err := u.OpenFile("/etc/passwd", os.O_WRONLY|os.O_TRUNC, 0)
	must(t, err)
	f.Write([]byte("new\n"))
	f.Close()

	fi, after := lstatT(t, u, "/etc/passwd")
	_, dirAfter := lstatT(t, u, "/etc")
	old, _ := io.ReadAll(r)
	otherContent, _ := ReadFile(other, "/etc/passwd")
	for _, tc := range []struct {
		name      string
		got, want any
	}{
		{"inode number kept", after.Ino, before.Ino},
		{"directory inode number kept", dirAfter.Ino, dirBefore.Ino},
		{"directory mtime kept", dirAfter.Mtime.UnixNano(), dirBefore.Mtime.UnixNano()},
		{"mode kept", fi.Mode(), fs.FileMode(0o644)},
		{"content is new", must1(ReadFile(u, "/etc/passwd")), "new\n"},
		{"old reader sees the lower file", string(old), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n"},
		{"other container sees the lower file", string(otherContent), string(old)},
		{"mtime is the write's", after.Mtime.UnixNano(), clk.t.UnixNano()},
		{"merged directory has one link", dirAfter.Nlink, uint32(1)},
		{"lower-only directory has its own links", must2(t, u, "/usr").Nlink, uint32(4)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Fatalf("got %v, want %v", tc.got, tc.want)
			}
		})
	}
}

func must1(b []byte, err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	return string(b)
}

func must2(t *testing.T, fsys FS, name string) *Stat {
	_, st := lstatT(t, fsys, name)
	return st
}

func TestUnionWhiteoutsAndOpaque(t *testing.T) {
	u := container(t, nil)
	must(t, u.Remove("/bin/ls"))
	must(t, RemoveAll(u, "/usr"))
	if _, err := u.Lstat("/bin/ls"); errnoOf(err) != syscall.ENOENT {
		t.Fatalf("got %v, want ENOENT for a whited-out file", err)
	}
	if got, want := names(t, u, "/bin"), "busybox cat chmod cp echo ln mkdir mv rm sh touch"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	must(t, u.Mkdir("/usr", 0o755))
	if got := names(t, u, "/usr"); got != "" {
		t.Fatalf("got %q, want an empty opaque /usr", got)
	}
	// The layer below is untouched.
	if got, want := names(t, u.Lower().FS(), "/usr"), "bin sbin"; got != want {
		t.Fatalf("got %q, want %q in the lower layer", got, want)
	}
	// Removing a merged directory needs it empty as merged.
	if err := u.Remove("/etc"); errnoOf(err) != syscall.ENOTEMPTY {
		t.Fatalf("got %v, want ENOTEMPTY", err)
	}
	for _, n := range []string{"group", "hostname", "hosts", "mtab", "passwd", "resolv.conf"} {
		must(t, u.Remove("/etc/"+n))
	}
	must(t, u.Remove("/etc"))
	if _, err := u.Stat("/etc"); errnoOf(err) != syscall.ENOENT {
		t.Fatalf("got %v, want ENOENT", err)
	}
}

func TestUnionRename(t *testing.T) {
	for _, tc := range []struct {
		name   string
		script func(u *Union) error
		want   syscall.Errno
		check  func(t *testing.T, u *Union)
	}{
		{"lower directory", func(u *Union) error { return u.Rename("/usr", "/usr2") }, syscall.EXDEV, nil},
		{"merged directory", func(u *Union) error {
			WriteFile(u, "/usr/bin/x", nil, 0o644)
			return u.Rename("/usr", "/usr2")
		}, syscall.EXDEV, nil},
		{"new directory", func(u *Union) error {
			u.Mkdir("/n", 0o755)
			return u.Rename("/n", "/m")
		}, 0, nil},
		{"lower file", func(u *Union) error { return u.Rename("/etc/group", "/tmp/g") }, 0, func(t *testing.T, u *Union) {
			if got := must1(ReadFile(u, "/tmp/g")); got != "root:x:0:\nnogroup:x:65534:\n" {
				t.Fatalf("got %q", got)
			}
			if _, err := u.Lstat("/etc/group"); errnoOf(err) != syscall.ENOENT {
				t.Fatalf("got %v, want ENOENT", err)
			}
		}},
		{"new directory onto a removed lower one", func(u *Union) error {
			RemoveAll(u, "/usr")
			u.Mkdir("/n", 0o755)
			WriteFile(u, "/n/z", nil, 0o644)
			return u.Rename("/n", "/usr")
		}, 0, func(t *testing.T, u *Union) {
			if got := names(t, u, "/usr"); got != "z" {
				t.Fatalf("got %q, want %q: the moved directory must be opaque", got, "z")
			}
		}},
		{"new directory onto an empty lower one", func(u *Union) error {
			u.Mkdir("/n", 0o755)
			WriteFile(u, "/n/z", nil, 0o644)
			return u.Rename("/n", "/home")
		}, 0, func(t *testing.T, u *Union) {
			if got := names(t, u, "/home"); got != "z" {
				t.Fatalf("got %q, want %q", got, "z")
			}
		}},
		{"a lower hard link over its twin", func(u *Union) error {
			return u.Rename("/bin/busybox", "/bin/bb2")
		}, 0, func(t *testing.T, u *Union) {
			// Overlayfs gives each name its own inode, so rename(2) does
			// not see one file twice: the old name goes.
			if _, err := u.Lstat("/bin/busybox"); errnoOf(err) != syscall.ENOENT {
				t.Fatalf("got %v, want ENOENT", err)
			}
		}},
		{"an upper hard link over its twin", func(u *Union) error {
			WriteFile(u, "/n", nil, 0o644)
			u.Link("/n", "/n2")
			return u.Rename("/n", "/n2")
		}, 0, func(t *testing.T, u *Union) {
			if _, err := u.Lstat("/n"); err != nil {
				t.Fatalf("got %v, want both names kept", err)
			}
		}},
		{"onto a non-empty merged directory", func(u *Union) error {
			u.Mkdir("/n", 0o755)
			return u.Rename("/n", "/usr")
		}, syscall.ENOTEMPTY, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := busyboxTree(t)
			must(t, tr.Link("/bin/busybox", "/bin/bb2"))
			u := NewUnion(NewLayer(nil, tr), nil)
			if got := errnoOf(tc.script(u)); got != tc.want {
				t.Fatalf("got %s, want %s", errnoName(got), errnoName(tc.want))
			}
			if tc.check != nil {
				tc.check(t, u)
			}
		})
	}
}

func TestUnionHardLinks(t *testing.T) {
	tr := busyboxTree(t)
	must(t, tr.Link("/bin/busybox", "/bin/bb2"))
	u := NewUnion(NewLayer(nil, tr), nil)
	_, a := lstatT(t, u, "/bin/busybox")
	_, b := lstatT(t, u, "/bin/bb2")
	if a.Ino != b.Ino || a.Nlink != 2 {
		t.Fatalf("got inodes %d %d links %d, want one inode with 2 links", a.Ino, b.Ino, a.Nlink)
	}
	must(t, u.Link("/bin/busybox", "/bb"))
	_, c := lstatT(t, u, "/bb")
	_, a = lstatT(t, u, "/bin/busybox")
	_, b = lstatT(t, u, "/bin/bb2")
	// Copy-up breaks the lower hard link (overlay2 runs without index=on):
	// the copy and the new link share an inode with 2 links, under a new
	// number (overlayfs keeps the lower st_ino only for files with one
	// link); the other lower name keeps the lower inode.
	if c.Nlink != 2 || a.Nlink != 2 || b.Nlink != 2 || c.Ino != a.Ino || a.Ino == b.Ino {
		t.Fatalf("got links %d %d %d inodes %d %d %d, want 2 2 2 and the first two equal", c.Nlink, a.Nlink, b.Nlink, c.Ino, a.Ino, b.Ino)
	}
	must(t, WriteFile(u, "/bb", []byte("changed"), 0o755))
	if got := must1(ReadFile(u, "/bin/busybox")); got != "changed" {
		t.Fatalf("got %q, want the linked file changed", got)
	}
	if got := must1(ReadFile(u, "/bin/bb2")); got == "changed" {
		t.Fatalf("got %q, want the other lower name unchanged", got)
	}
}

func TestLayerStack(t *testing.T) {
	base := busyboxTree(t)
	l1 := NewLayer(nil, base)

	// A second layer, as a tar would make it: a whiteout, an opaque
	// directory, a new file.
	t2 := NewTree(nil)
	must(t, t2.Mkdir("/bin", 0o755))
	must(t, t2.Mknod("/bin/ls", fs.ModeDevice|fs.ModeCharDevice, 0))
	must(t, t2.Mkdir("/usr", 0o755))
	must(t, t2.MarkOpaque("/usr"))
	must(t, t2.Mkdir("/usr/local", 0o755))
	must(t, WriteFile(t2, "/hello", []byte("hi"), 0o644))
	l2 := NewLayer(l1, t2)

	// Changing the trees later changes no layer.
	must(t, base.Remove("/etc/passwd"))
	must(t, WriteFile(t2, "/hello", []byte("changed"), 0o644))

	u := NewUnion(l2, nil)
	for _, tc := range []struct{ name, got, want string }{
		{"whiteout hides", names(t, u, "/bin"), "busybox cat chmod cp echo ln mkdir mv rm sh touch"},
		{"opaque hides", names(t, u, "/usr"), "local"},
		{"root merges", names(t, u, "/"), "bin etc hello home root tmp usr var"},
		{"layer content is a snapshot", must1(ReadFile(u, "/hello")), "hi"},
		{"lower content is a snapshot", must1(ReadFile(u, "/etc/group")), "root:x:0:\nnogroup:x:65534:\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Fatalf("got %q, want %q", tc.got, tc.want)
			}
		})
	}
	if got, want := l2.Size(), int64(2); got != want { // "hi"; the whiteout counts 0
		t.Fatalf("got size %d, want %d", got, want)
	}
	if _, st := lstatT(t, u, "/bin"); st.Nlink != 1 {
		t.Fatalf("got %d links for a directory merged from two layers, want 1", st.Nlink)
	}
}

func TestCommit(t *testing.T) {
	image := NewLayer(nil, busyboxTree(t))
	u := NewUnion(InitLayer(image, nil), nil)
	must(t, WriteFile(u, "/f", []byte("one"), 0o644))
	must(t, u.Remove("/bin/ls"))
	l := u.Commit(image)
	must(t, WriteFile(u, "/f", []byte("two"), 0o644))
	v := NewUnion(l, nil)
	if got := must1(ReadFile(v, "/f")); got != "one" {
		t.Fatalf("got %q, want %q from the committed layer", got, "one")
	}
	if _, err := v.Lstat("/bin/ls"); errnoOf(err) != syscall.ENOENT {
		t.Fatalf("got %v, want ENOENT", err)
	}
	if _, err := v.Lstat("/etc/hosts"); errnoOf(err) != syscall.ENOENT {
		t.Fatalf("got %v, want no init-layer file in a layer committed on the image", err)
	}
	if got := must1(ReadFile(u, "/f")); got != "two" {
		t.Fatalf("got %q, want %q in the container", got, "two")
	}
}

// TestUnionConcurrent runs writers in many containers over one image at
// once, with diffs and commits in between; run with -race.
func TestUnionConcurrent(t *testing.T) {
	image := NewLayer(nil, busyboxTree(t))
	init := InitLayer(image, nil)
	done := make(chan string)
	for c := 0; c < 4; c++ {
		go func() {
			u := NewUnion(init, nil)
			ns := NewNamespace(u, MountOptions{})
			inner := make(chan error)
			for w := 0; w < 3; w++ {
				go func() {
					for i := 0; i < 50; i++ {
						name := fmt.Sprintf("/tmp/w%d-%d", w, i)
						if err := WriteFile(ns, name, []byte("x"), 0o644); err != nil {
							inner <- err
							return
						}
						f, err := ns.OpenFile("/etc/passwd", os.O_WRONLY|os.O_APPEND, 0)
						if err != nil {
							inner <- err
							return
						}
						f.Write([]byte("x\n"))
						f.Close()
						u.Changes()
						if _, err := ns.ReadDir("/tmp"); err != nil {
							inner <- err
							return
						}
					}
					inner <- nil
				}()
			}
			msg := ""
			for w := 0; w < 3; w++ {
				if err := <-inner; err != nil {
					msg = err.Error()
				}
			}
			if msg == "" {
				l := u.Commit(image)
				ents, err := NewUnion(l, nil).ReadDir("/tmp")
				if err != nil || len(ents) != 150 {
					msg = fmt.Sprintf("got %d files in the commit (%v), want 150", len(ents), err)
				}
			}
			done <- msg
		}()
	}
	for c := 0; c < 4; c++ {
		if msg := <-done; msg != "" {
			t.Error(msg)
		}
	}
	if got := must1(ReadFile(NewUnion(init, nil), "/etc/group")); got != "root:x:0:\nnogroup:x:65534:\n" {
		t.Fatalf("got %q, want the shared layer unchanged", got)
	}
}
