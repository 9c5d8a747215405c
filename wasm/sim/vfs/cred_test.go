package vfs

import (
	"io/fs"
	"os"
	"syscall"
	"testing"
)

func TestWithCred(t *testing.T) {
	nobody := Cred{UID: 65534, GID: 65534}
	other := Cred{UID: 1000, GID: 1000, Groups: []int{50}}
	setup := func(t *testing.T) (*Union, FS) {
		u := container(t, nil)
		must(t, WriteFile(u, "/tmp/rootfile", nil, 0o666))
		must(t, WriteFile(u, "/root/secret", []byte("s"), 0o644))
		must(t, u.Mkdir("/shared", 0o775))
		must(t, u.Lchown("/shared", 0, 50))
		must(t, u.Chmod("/shared", fs.ModeSetgid|0o775))
		must(t, u.Symlink("/root/secret", "/tmp/tosecret"))
		return u, WithCred(u, nobody)
	}
	for _, tc := range []struct {
		name string
		cred Cred
		do   func(FS) error
		want syscall.Errno
	}{
		{"read /etc/passwd", nobody, func(f FS) error { _, err := ReadFile(f, "/etc/passwd"); return err }, 0},
		{"write /etc/passwd", nobody, func(f FS) error { return WriteFile(f, "/etc/passwd", nil, 0o644) }, syscall.EACCES},
		{"truncate read-only open", nobody, func(f FS) error { _, err := f.OpenFile("/etc/passwd", os.O_RDONLY|os.O_TRUNC, 0); return err }, syscall.EACCES},
		{"create in /", nobody, func(f FS) error { return WriteFile(f, "/x", nil, 0o644) }, syscall.EACCES},
		{"mkdir in /", nobody, func(f FS) error { return f.Mkdir("/x", 0o755) }, syscall.EACCES},
		{"create in /tmp", nobody, func(f FS) error { return WriteFile(f, "/tmp/x", nil, 0o644) }, 0},
		{"write a 0666 file", nobody, func(f FS) error { return WriteFile(f, "/tmp/rootfile", []byte("x"), 0o644) }, 0},
		{"remove root's file in sticky /tmp", nobody, func(f FS) error { return f.Remove("/tmp/rootfile") }, syscall.EPERM},
		{"rename root's file in sticky /tmp", nobody, func(f FS) error { return f.Rename("/tmp/rootfile", "/tmp/y") }, syscall.EPERM},
		{"remove from /etc", nobody, func(f FS) error { return f.Remove("/etc/group") }, syscall.EACCES},
		{"search /root", nobody, func(f FS) error { _, err := f.Stat("/root/secret"); return err }, syscall.EACCES},
		{"search /root through a symlink", nobody, func(f FS) error { _, err := ReadFile(f, "/tmp/tosecret"); return err }, syscall.EACCES},
		{"list /root", nobody, func(f FS) error { _, err := f.ReadDir("/root"); return err }, syscall.EACCES},
		{"stat /root itself", nobody, func(f FS) error { _, err := f.Stat("/root"); return err }, 0},
		{"chmod root's file", nobody, func(f FS) error { return f.Chmod("/tmp/rootfile", 0o777) }, syscall.EPERM},
		{"chown own file", nobody, func(f FS) error {
			if err := WriteFile(f, "/tmp/mine", nil, 0o644); err != nil {
				return err
			}
			return f.Lchown("/tmp/mine", 0, -1)
		}, syscall.EPERM},
		{"chgrp own file to own group", other, func(f FS) error {
			if err := WriteFile(f, "/tmp/mine", nil, 0o644); err != nil {
				return err
			}
			return f.Lchown("/tmp/mine", -1, 50)
		}, 0},
		{"mknod a device", nobody, func(f FS) error { return f.Mknod("/tmp/null", fs.ModeDevice|fs.ModeCharDevice|0o666, 0x103) }, syscall.EPERM},
		{"mkfifo", nobody, func(f FS) error { return f.Mknod("/tmp/fifo", fs.ModeNamedPipe|0o644, 0) }, 0},
		{"hard link to root's unreadable file", nobody, func(f FS) error { return f.Link("/etc/passwd", "/tmp/p") }, syscall.EPERM},
		{"utimes root's 0644 file", nobody, func(f FS) error { return f.Chtimes("/etc/passwd", zeroTime, zeroTime) }, syscall.EPERM},
		{"create in a group-writable directory", other, func(f FS) error { return WriteFile(f, "/shared/x", nil, 0o644) }, 0},
		{"create in it as an outsider", nobody, func(f FS) error { return WriteFile(f, "/shared/x", nil, 0o644) }, syscall.EACCES},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, _ := setup(t)
			if got := errnoOf(tc.do(WithCred(u, tc.cred))); got != tc.want {
				t.Fatalf("got %s, want %s", errnoName(got), errnoName(tc.want))
			}
		})
	}

	t.Run("new files belong to the creator", func(t *testing.T) {
		u, f := setup(t)
		must(t, WriteFile(f, "/tmp/x", nil, 0o644))
		must(t, f.Mkdir("/tmp/d", 0o755))
		for _, n := range []string{"/tmp/x", "/tmp/d"} {
			_, st := lstatT(t, u, n)
			if st.UID != 65534 || st.GID != 65534 {
				t.Fatalf("%s: got %d:%d, want 65534:65534", n, st.UID, st.GID)
			}
		}
		g := WithCred(u, other)
		must(t, WriteFile(g, "/shared/y", nil, 0o644))
		if _, st := lstatT(t, u, "/shared/y"); st.UID != 1000 || st.GID != 50 {
			t.Fatalf("got %d:%d, want 1000:50 in a setgid directory", st.UID, st.GID)
		}
	})
	t.Run("root is not checked", func(t *testing.T) {
		u, _ := setup(t)
		if f := WithCred(u, Cred{}); f != FS(u) {
			t.Fatalf("got %T, want the FS itself for root", f)
		}
	})
}

func TestAccess(t *testing.T) {
	u := container(t, nil)
	must(t, WriteFile(u, "/noexec", nil, 0o644))
	must(t, WriteFile(u, "/userexec", nil, 0o744))
	root, nobody := Cred{}, Cred{UID: 65534, GID: 65534}
	for _, tc := range []struct {
		name string
		path string
		mode uint32
		cred Cred
		want syscall.Errno
	}{
		{"root executes busybox", "/bin/sh", XOK, root, 0},
		{"root cannot execute without an x bit", "/noexec", XOK, root, syscall.EACCES},
		{"root writes anything", "/etc/passwd", WOK, root, 0},
		{"nobody executes busybox", "/bin/ls", XOK, nobody, 0},
		{"nobody executes owner-only", "/userexec", XOK, nobody, syscall.EACCES},
		{"nobody reads", "/etc/passwd", ROK, nobody, 0},
		{"nobody writes", "/etc/passwd", WOK, nobody, syscall.EACCES},
		{"missing", "/nosuch", ROK, nobody, syscall.ENOENT},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := errnoOf(Access(u, tc.path, tc.mode, tc.cred)); got != tc.want {
				t.Fatalf("got %s, want %s", errnoName(got), errnoName(tc.want))
			}
		})
	}
}
