package vfs

import (
	"io/fs"
	"os"
	"path"
	"strings"
	"syscall"
	"testing"
)

// fakeProc is a tiny /proc: a "self" symlink, one process directory and a
// mounts file.
type fakeProc struct{ mounts string }

func (p fakeProc) Lookup(name string) (SynthNode, bool) {
	switch name {
	case "/", "/1":
		return SynthNode{Mode: fs.ModeDir | 0o555}, true
	case "/self":
		return SynthNode{Mode: fs.ModeSymlink | 0o777, Target: "1"}, true
	case "/mounts", "/1/status":
		return SynthNode{Mode: 0o444}, true
	case "/1/root":
		return SynthNode{Mode: fs.ModeSymlink | 0o777, Target: "/"}, true
	}
	return SynthNode{}, false
}

func (p fakeProc) ReadDir(name string) []string {
	switch name {
	case "/":
		return []string{"self", "mounts", "1"}
	case "/1":
		return []string{"status", "root"}
	}
	return nil
}

func (p fakeProc) Open(name string, flag int) (File, error) {
	if flag&(os.O_WRONLY|os.O_RDWR) != 0 {
		return nil, pathErr("open", name, syscall.EACCES)
	}
	switch name {
	case "/mounts":
		return BytesFile(name, []byte(p.mounts), nil), nil
	case "/1/status":
		return BytesFile(name, []byte("Name:\tsh\n"), nil), nil
	}
	return nil, pathErr("open", name, syscall.ENOENT)
}

// containerNamespace sets up what `docker run -v /data -v $PWD/host:/h:ro`
// gives: the union root, an anonymous volume at /data, a read-only bind
// mount of a host directory at /h, /etc/hosts bind-mounted from the
// engine's file, /proc and a tmpfs /dev/shm.
func containerNamespace(t *testing.T) (ns *Namespace, u *Union, vol, host, files *Tree) {
	t.Helper()
	u = container(t, nil)
	vol, host, files = NewTree(nil), NewTree(nil), NewTree(nil)
	must(t, host.Mkdir("/home", 0o755))
	must(t, host.Mkdir("/home/me", 0o755))
	must(t, host.Mkdir("/home/me/host", 0o755))
	must(t, WriteFile(host, "/home/me/host/file", []byte("from-host\n"), 0o644))
	must(t, WriteFile(files, "/hosts", []byte("127.0.0.1\tlocalhost\n"), 0o644))

	ns = NewNamespace(u, MountOptions{Type: "overlay", Device: "overlay"})
	for _, p := range []string{"/data", "/h"} {
		must(t, MkdirAll(u, p, 0o755)) // the runtime makes mount points
	}
	must(t, ns.Mount("/proc", SynthFS(fakeProc{mounts: "overlay / overlay rw 0 0\n"}), MountOptions{Type: "proc"}))
	must(t, ns.Mount("/dev/shm", NewTree(nil), MountOptions{Type: "tmpfs"}))
	must(t, ns.Mount("/data", vol, MountOptions{Type: "ext4"}))
	must(t, ns.Mount("/h", host, MountOptions{Source: "/home/me/host", ReadOnly: true, Type: "ext4"}))
	must(t, ns.Mount("/etc/hosts", files, MountOptions{Source: "/hosts", Type: "ext4"}))
	return ns, u, vol, host, files
}

func TestNamespace(t *testing.T) {
	ns, u, vol, host, files := containerNamespace(t)

	// What busybox sh -c 'echo in-volume > /data/f; touch /outside' does.
	must(t, WriteFile(ns, "/data/f", []byte("in-volume\n"), 0o644))
	must(t, WriteFile(ns, "/outside", nil, 0o644))

	read := func(fsys FS, name string) string { return must1(ReadFile(fsys, name)) }
	for _, tc := range []struct{ name, got, want string }{
		{"volume holds the write", read(vol, "/f"), "in-volume\n"},
		{"union does not", errnoName(errnoOf(func() error { _, err := u.Lstat("/data/f"); return err }())), errnoName(syscall.ENOENT)},
		{"bind mount of a directory", read(ns, "/h/file"), "from-host\n"},
		{"bind mount of a file", read(ns, "/etc/hosts"), "127.0.0.1\tlocalhost\n"},
		{"synthetic file", read(ns, "/proc/self/status"), "Name:\tsh\n"},
		{"symlink to an absolute path leaves the mount", read(ns, "/proc/1/root/h/file"), "from-host\n"},
		{"/etc/mtab through /proc", read(ns, "/etc/mtab"), "overlay / overlay rw 0 0\n"},
		{".. leaves a mount", read(ns, "/data/../h/../data/f"), "in-volume\n"},
		{"listing shows mounts", names(t, ns, "/proc"), "1 mounts self"},
		{"diff sees the mount points it made, not the mounts", changeList(u), "A /data A /h A /outside"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Fatalf("got %q, want %q", tc.got, tc.want)
			}
		})
	}

	for _, tc := range []struct {
		name string
		do   func() error
		want syscall.Errno
	}{
		{"touch in a read-only bind mount", func() error { return WriteFile(ns, "/h/new", nil, 0o644) }, syscall.EROFS},
		{"write a read-only file", func() error { return WriteFile(ns, "/h/file", nil, 0o644) }, syscall.EROFS},
		{"mkdir in a read-only mount", func() error { return ns.Mkdir("/h/d", 0o755) }, syscall.EROFS},
		{"missing parent in a read-only mount", func() error { return WriteFile(ns, "/h/no/x", nil, 0o644) }, syscall.ENOENT},
		{"rename across mounts", func() error { return ns.Rename("/data/f", "/f") }, syscall.EXDEV},
		{"link across mounts", func() error { return ns.Link("/data/f", "/f") }, syscall.EXDEV},
		{"rename a mount point", func() error { return ns.Rename("/data", "/data2") }, syscall.EBUSY},
		{"rename a directory holding a mount", func() error { return ns.Rename("/dev", "/dev2") }, syscall.EBUSY},
		{"remove a mount point", func() error { return ns.Remove("/data") }, syscall.EBUSY},
		{"remove a file mount point", func() error { return ns.Remove("/etc/hosts") }, syscall.EBUSY},
		{"create in /proc", func() error { return WriteFile(ns, "/proc/x", nil, 0o644) }, syscall.EACCES},
		{"write /proc file", func() error { return WriteFile(ns, "/proc/mounts", nil, 0o644) }, syscall.EACCES},
		{"remove in /proc", func() error { return ns.Remove("/proc/mounts") }, syscall.EPERM},
		{"rename within the root", func() error { return ns.Rename("/outside", "/etc/outside") }, 0},
		{"tmpfs works", func() error { return WriteFile(ns, "/dev/shm/x", nil, 0o644) }, 0},
		{"mount on a missing path", func() error { return ns.Mount("/nosuch", NewTree(nil), MountOptions{}) }, syscall.ENOENT},
		{"mount a directory on a file", func() error { return ns.Mount("/etc/passwd", NewTree(nil), MountOptions{}) }, syscall.ENOTDIR},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := errnoOf(tc.do()); got != tc.want {
				t.Fatalf("got %s, want %s", errnoName(got), errnoName(tc.want))
			}
		})
	}

	t.Run("errors name the caller's path", func(t *testing.T) {
		err := WriteFile(ns, "/h/new", nil, 0o644)
		if got, want := err.Error(), "open /h/new: read-only file system"; got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	})
	t.Run("stat shows the mounted filesystem", func(t *testing.T) {
		_, st := lstatT(t, ns, "/data")
		_, vst := lstatT(t, vol, "/")
		if st.Dev != vst.Dev || st.Ino != vst.Ino {
			t.Fatalf("got dev %d ino %d, want the volume root's %d %d", st.Dev, st.Ino, vst.Dev, vst.Ino)
		}
		fi, err := ns.Stat("/proc/self")
		must(t, err)
		if fi.Name() != "self" || !fi.IsDir() {
			t.Fatalf("got %q dir=%v, want \"self\" dir=true", fi.Name(), fi.IsDir())
		}
	})
	t.Run("writes through a file bind mount reach its source", func(t *testing.T) {
		must(t, WriteFile(ns, "/etc/hosts", []byte("changed\n"), 0o644))
		if got := read(files, "/hosts"); got != "changed\n" {
			t.Fatalf("got %q", got)
		}
		if got := changeList(u); got != "A /data C /etc A /etc/outside A /h" {
			t.Fatalf("got %q, want the earlier rename's changes and not /etc/hosts", got)
		}
	})
	t.Run("unmount uncovers the mount point", func(t *testing.T) {
		must(t, ns.Unmount("/data"))
		if got := names(t, ns, "/data"); got != "" {
			t.Fatalf("got %q, want the empty mount point", got)
		}
		if err := ns.Unmount("/data"); errnoOf(err) != syscall.EINVAL {
			t.Fatalf("got %v, want EINVAL", err)
		}
		if err := ns.Unmount("/dev"); errnoOf(err) != syscall.EINVAL {
			t.Fatalf("got %v, want EINVAL", err)
		}
	})
	t.Run("mount table", func(t *testing.T) {
		var got []string
		for _, m := range ns.Mounts() {
			got = append(got, m.Path+":"+m.Type)
		}
		want := "/:overlay /proc:proc /dev/shm:tmpfs /h:ext4 /etc/hosts:ext4"
		if strings.Join(got, " ") != want {
			t.Fatalf("got %q, want %q", strings.Join(got, " "), want)
		}
	})
	_ = host
}

func changeList(u *Union) string {
	var out []string
	for _, c := range u.Changes() {
		out = append(out, c.Kind.String()+" "+c.Path)
	}
	return strings.Join(out, " ")
}

func TestNamespaceDevices(t *testing.T) {
	u := container(t, nil)
	ns := NewNamespace(u, MountOptions{})
	dev := NewTree(nil)
	must(t, dev.Mknod("/null", fs.ModeDevice|fs.ModeCharDevice|0o666, 1<<8|3))
	must(t, ns.Mount("/dev", dev, MountOptions{Type: "tmpfs"}))
	var opened []string
	ns.SetDevices(func(name string, fi fs.FileInfo, flag int) (File, error) {
		opened = append(opened, name+":"+path.Base(fi.Name()))
		return BytesFile(name, []byte("dev"), fi), nil
	})
	if got := must1(ReadFile(ns, "/dev/null")); got != "dev" {
		t.Fatalf("got %q, want the driver's content", got)
	}
	if len(opened) != 1 || opened[0] != "/dev/null:null" {
		t.Fatalf("got %q, want one open of /dev/null", opened)
	}
}

func TestReadOnlyRoot(t *testing.T) {
	u := container(t, nil)
	ns := NewNamespace(u, MountOptions{ReadOnly: true})
	for _, tc := range []struct {
		name string
		do   func() error
		want syscall.Errno
	}{
		{"create", func() error { return WriteFile(ns, "/x", nil, 0o644) }, syscall.EROFS},
		{"write", func() error { return WriteFile(ns, "/etc/passwd", nil, 0o644) }, syscall.EROFS},
		{"read", func() error { _, err := ReadFile(ns, "/etc/passwd"); return err }, 0},
		{"remove", func() error { return ns.Remove("/etc/passwd") }, syscall.EROFS},
		{"remove missing", func() error { return ns.Remove("/nosuch") }, syscall.ENOENT},
		{"mkdir existing", func() error { return ns.Mkdir("/etc", 0o755) }, syscall.EEXIST},
		{"mkdir", func() error { return ns.Mkdir("/new", 0o755) }, syscall.EROFS},
		{"chmod", func() error { return ns.Chmod("/etc", 0o700) }, syscall.EROFS},
		{"open a directory for writing", func() error { _, err := ns.OpenFile("/etc", os.O_WRONLY, 0); return err }, syscall.EISDIR},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := errnoOf(tc.do()); got != tc.want {
				t.Fatalf("got %s, want %s", errnoName(got), errnoName(tc.want))
			}
		})
	}
	if got := changeList(u); got != "" {
		t.Fatalf("got changes %q, want none", got)
	}
}

func TestSynthFS(t *testing.T) {
	p := SynthFS(fakeProc{mounts: "m\n"})
	for _, tc := range []struct {
		name string
		do   func() error
		want syscall.Errno
	}{
		{"stat self/status", func() error { _, err := p.Stat("/self/status"); return err }, 0},
		{"readlink self", func() error { _, err := p.Readlink("/self"); return err }, 0},
		{"readlink mounts", func() error { _, err := p.Readlink("/mounts"); return err }, syscall.EINVAL},
		{"stat missing", func() error { _, err := p.Stat("/2"); return err }, syscall.ENOENT},
		{"stat mounts/", func() error { _, err := p.Stat("/mounts/"); return err }, syscall.ENOTDIR},
		{"mkdir", func() error { return p.Mkdir("/x", 0o755) }, syscall.EACCES},
		{"mkdir existing", func() error { return p.Mkdir("/1", 0o755) }, syscall.EEXIST},
		{"chmod", func() error { return p.Chmod("/mounts", 0o644) }, syscall.EPERM},
		{"root symlink stays inside", func() error { _, err := p.Stat("/1/root/self/status"); return err }, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := errnoOf(tc.do()); got != tc.want {
				t.Fatalf("got %s, want %s", errnoName(got), errnoName(tc.want))
			}
		})
	}
	fi, err := p.Lstat("/mounts")
	must(t, err)
	fi2, err := p.Lstat("/mounts")
	must(t, err)
	if StatOf(fi).Ino == 0 || StatOf(fi).Ino != StatOf(fi2).Ino {
		t.Fatalf("got inodes %d %d, want a stable non-zero number", StatOf(fi).Ino, StatOf(fi2).Ino)
	}
}
