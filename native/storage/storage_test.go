package storage

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/twinbox-dev/twinbox/native/internal/testrootfs"
	"github.com/twinbox-dev/twinbox/shared/backend"
)

func needRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: overlayfs, whiteout device nodes and mount namespaces")
	}
}

// entry is one tar entry for crafted tars.
type entry struct {
	name, link string
	typ        byte
	body       string
}

func mkTar(t testing.TB, ents ...entry) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range ents {
		h := &tar.Header{Name: e.name, Linkname: e.link, Typeflag: e.typ, Mode: 0o644, Size: int64(len(e.body))}
		if e.typ == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Typeflag != tar.TypeReg {
			h.Size = 0
		}
		if h.Typeflag == tar.TypeDir {
			h.Mode = 0o755
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			tw.Write([]byte(e.body))
		}
	}
	tw.Close()
	return buf.Bytes()
}

func openStore(t testing.TB) *Store {
	t.Helper()
	needRoot(t)
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func busybox(t testing.TB, s *Store) backend.Layer {
	t.Helper()
	data, err := testrootfs.Tar()
	if err != nil {
		t.Skip(err)
	}
	l, err := s.ApplyLayer("", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// outsideFiles lists every file under dir except the store's layers, so a
// test sees anything a tar wrote outside the layer it was applied as.
func snapshot(t testing.TB, dir string) []string {
	var out []string
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil {
			out = append(out, strings.TrimPrefix(p, dir))
		}
		return nil
	})
	slices.Sort(out)
	return out
}

func TestApplyLayerHostile(t *testing.T) {
	tests := []struct {
		name string
		tar  []entry
	}{
		{"dotdot name", []entry{{name: "../evil", body: "x"}}},
		{"dotdot inside", []entry{{name: "a/../../evil", body: "x"}}},
		{"absolute name", []entry{{name: "/evil", body: "x"}}},
		{"symlink up", []entry{{name: "up", link: "../../..", typ: tar.TypeSymlink}}},
		{"symlink up then through", []entry{{name: "d/", typ: tar.TypeDir}, {name: "d/up", link: "../../x", typ: tar.TypeSymlink}, {name: "d/up/evil", body: "x"}}},
		{"hardlink out", []entry{{name: "h", link: "../../../../etc/passwd", typ: tar.TypeLink}}},
		{"hardlink absolute", []entry{{name: "h", link: "/etc/passwd", typ: tar.TypeLink}}},
		{"whiteout dotdot", []entry{{name: ".wh...", body: ""}}},
		{"garbage", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t)
			outer := filepath.Dir(s.Root())
			before := snapshot(t, outer)
			data := mkTar(t, tt.tar...)
			if tt.tar == nil {
				data = bytes.Repeat([]byte("not a tar "), 100)
			}
			_, err := s.ApplyLayer("", bytes.NewReader(data))
			if got := backend.CodeOf(err); got != backend.InvalidParameter {
				t.Errorf("got error %v (code %d), want InvalidParameter", err, got)
			}
			if n := len(s.Layers()); n != 0 {
				t.Errorf("got %d layers stored, want 0", n)
			}
			after := snapshot(t, outer)
			if !slices.Equal(before, after) {
				t.Errorf("got files %q after a refused tar, want %q", after, before)
			}
		})
	}
}

// TestApplyLayerThroughSymlink: an absolute symlink is fine in a layer, and
// entries written through it land inside the layer, never on the machine.
func TestApplyLayerThroughSymlink(t *testing.T) {
	s := openStore(t)
	victim := filepath.Join(t.TempDir(), "victim")
	os.Mkdir(victim, 0o755)
	data := mkTar(t,
		entry{name: "abs", link: victim, typ: tar.TypeSymlink},
		entry{name: "abs/evil", body: "x"},
		entry{name: "rel", link: "abs", typ: tar.TypeSymlink},
		entry{name: "rel/evil2", body: "y"},
	)
	l, err := s.ApplyLayer("", bytes.NewReader(data))
	if err != nil {
		t.Fatalf("got %v, want no error", err)
	}
	if ents, _ := os.ReadDir(victim); len(ents) != 0 {
		t.Errorf("got %d files in the symlink's host target, want 0", len(ents))
	}
	inLayer := filepath.Join(s.layerDir(l.ChainID), "diff", victim, "evil")
	if b, err := os.ReadFile(inLayer); err != nil || string(b) != "x" {
		t.Errorf("got %q, %v in the layer at %s, want \"x\"", b, err, inLayer)
	}
}

func TestApplyLayer(t *testing.T) {
	s := openStore(t)
	base := busybox(t, s)
	data, _ := testrootfs.Tar()
	sum := sha256.Sum256(data)
	if want := "sha256:" + hex.EncodeToString(sum[:]); base.DiffID != want || base.ChainID != want {
		t.Errorf("got DiffID %s ChainID %s, want both %s", base.DiffID, base.ChainID, want)
	}
	again, err := s.ApplyLayer("", bytes.NewReader(data))
	if err != nil || again != base {
		t.Errorf("applying again: got %+v, %v, want %+v", again, err, base)
	}
	top := mkTar(t, entry{name: "bin/.wh.ls"}, entry{name: "etc/.wh..wh..opq"}, entry{name: "etc/only", body: "new"})
	l, err := s.ApplyLayer(base.ChainID, bytes.NewReader(top))
	if err != nil {
		t.Fatal(err)
	}
	if l.Parent != base.ChainID || l.Size != 3 {
		t.Errorf("got parent %s size %d, want %s 3", l.Parent, l.Size, base.ChainID)
	}
	diff := filepath.Join(s.layerDir(l.ChainID), "diff")
	var st unix.Stat_t
	if err := unix.Lstat(filepath.Join(diff, "bin/ls"), &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != 0 {
		t.Errorf("bin/ls: got mode %o rdev %d (%v), want a 0/0 character device", st.Mode, st.Rdev, err)
	}
	v := make([]byte, 4)
	if n, err := unix.Lgetxattr(filepath.Join(diff, "etc"), opaqueXattr, v); err != nil || string(v[:n]) != "y" {
		t.Errorf("etc: got opaque %q (%v), want \"y\"", v[:n], err)
	}
	rc, err := s.LayerTar(l.ChainID)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, top) {
		t.Errorf("LayerTar: got %d bytes, want the %d applied", len(got), len(top))
	}
	if _, err := s.ApplyLayer("sha256:nope", bytes.NewReader(top)); !backend.IsNotFound(err) {
		t.Errorf("unknown parent: got %v, want NotFound", err)
	}
	// Reopening finds the layers again.
	s2, err := Open(s.Root())
	if err != nil || len(s2.Layers()) != 2 {
		t.Errorf("reopened: got %d layers (%v), want 2", len(s2.Layers()), err)
	}
	if err := s.RemoveLayer(l.ChainID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Layer(l.ChainID); !backend.IsNotFound(err) {
		t.Errorf("removed layer: got %v, want NotFound", err)
	}
}

// run does file operations in a container's mounted root, as a process in
// the container would.
func runIn(t *testing.T, s *Store, id string, ops func(root string) error) {
	t.Helper()
	err := s.WithRoot(id, 0, func(fd int) error {
		return ops(filepathFd(fd))
	})
	if err != nil {
		t.Fatal(err)
	}
}

func filepathFd(fd int) string { return "/proc/self/fd/" + itoa(fd) }

func itoa(n int) string {
	return strings.TrimSpace(strings.Replace(string(rune('0'+0)), "0", "", 1)) + fmtInt(n)
}

func fmtInt(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return fmtInt(n/10) + string(rune('0'+n%10))
}

func TestChanges(t *testing.T) {
	tests := []struct {
		name string
		ops  func(r string) error
		want []string
	}{
		{"d1", func(r string) error {
			os.WriteFile(r+"/NEW-FILE", nil, 0o644)
			os.MkdirAll(r+"/a/b", 0o755)
			os.WriteFile(r+"/a/b/c", []byte("x\n"), 0o644)
			os.Remove(r + "/bin/ls")
			f, err := os.OpenFile(r+"/etc/passwd", os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				return err
			}
			f.WriteString("root2\n")
			return f.Close()
		}, []string{"A /NEW-FILE", "A /a", "A /a/b", "A /a/b/c", "C /bin", "D /bin/ls", "C /etc", "C /etc/passwd"}},
		{"d2", func(r string) error {
			os.RemoveAll(r + "/home")
			os.Mkdir(r+"/home", 0o755)
			return os.WriteFile(r+"/home/new", nil, 0o644)
		}, []string{"C /home", "A /home/new"}},
		{"d3", func(r string) error {
			os.Mkdir(r+"/t", 0o755)
			os.WriteFile(r+"/t/x", nil, 0o644)
			return os.RemoveAll(r + "/t")
		}, nil},
		{"d4", func(r string) error { return nil }, nil},
		{"d6", func(r string) error {
			os.Rename(r+"/etc/group", r+"/etc/group2")
			os.Symlink("/tmp", r+"/tmplink")
			return os.Chmod(r+"/etc/passwd", 0o600)
		}, []string{"C /etc", "D /etc/group", "A /etc/group2", "C /etc/passwd", "A /tmplink"}},
	}
	s := openStore(t)
	base := busybox(t, s)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := strings.Repeat(string(rune('a'+i)), 64)
			if err := s.CreateRootfs(id, base.ChainID); err != nil {
				t.Fatal(err)
			}
			defer s.RemoveRootfs(id)
			runIn(t, s, id, tt.ops)
			ch, err := s.Changes(id)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range ch {
				got = append(got, c.Kind.String()+" "+c.Path)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	if err := s.CreateRootfs("x", "sha256:nope"); !backend.IsNotFound(err) {
		t.Errorf("CreateRootfs on a missing parent: got %v, want NotFound", err)
	}
}

func TestCommitAndArchive(t *testing.T) {
	s := openStore(t)
	base := busybox(t, s)
	id := strings.Repeat("c", 64)
	if err := s.CreateRootfs(id, base.ChainID); err != nil {
		t.Fatal(err)
	}
	defer s.RemoveRootfs(id)
	if err := s.CreateRootfs(id, base.ChainID); !backend.IsConflict(err) {
		t.Errorf("second CreateRootfs: got %v, want Conflict", err)
	}
	runIn(t, s, id, func(r string) error {
		os.Remove(r + "/bin/ls")
		os.RemoveAll(r + "/home")
		os.Mkdir(r+"/home", 0o755)
		return os.WriteFile(r+"/hello.txt", []byte("hi\n"), 0o644)
	})
	l, err := s.CommitRootfs(id)
	if err != nil {
		t.Fatal(err)
	}
	if l.Parent != base.ChainID || l.Size != 3 {
		t.Errorf("commit: got parent %s size %d, want %s 3", l.Parent, l.Size, base.ChainID)
	}
	rc, _ := s.LayerTar(l.ChainID)
	var names []string
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		names = append(names, h.Name)
	}
	rc.Close()
	want := []string{"bin/", "bin/.wh.ls", "hello.txt", "home/", "home/.wh..wh..opq"}
	if !slices.Equal(names, want) {
		t.Errorf("commit tar: got %q, want %q", names, want)
	}

	err = s.WithRoot(id, 0, func(fd int) error {
		st, err := Stat(fd, "/bin/sh")
		if err != nil {
			return err
		}
		if st.LinkTarget != "/bin/busybox" || st.Name != "sh" {
			t.Errorf("Stat /bin/sh: got %+v, want link target /bin/busybox", st)
		}
		if _, err := Stat(fd, "/nosuch"); !backend.IsNotFound(err) {
			t.Errorf("Stat /nosuch: got %v, want NotFound", err)
		}
		var buf bytes.Buffer
		if err := WriteTar(fd, "/etc", &buf); err != nil {
			return err
		}
		var got []string
		tr := tar.NewReader(&buf)
		for {
			h, err := tr.Next()
			if err != nil {
				break
			}
			got = append(got, h.Name)
		}
		if want := []string{"etc/", "etc/group", "etc/hostname", "etc/hosts", "etc/mtab", "etc/passwd", "etc/resolv.conf"}; !slices.Equal(got, want) {
			t.Errorf("WriteTar /etc: got %q, want %q", got, want)
		}
		in := mkTar(t, entry{name: "f", body: "in"}, entry{name: "../../out", body: "x"})
		if err := CopyIn(fd, "/tmp", bytes.NewReader(in), backend.CopyOptions{}); backend.CodeOf(err) != backend.InvalidParameter {
			t.Errorf("CopyIn escaping: got %v, want InvalidParameter", err)
		}
		in = mkTar(t, entry{name: "f", body: "in"})
		if err := CopyIn(fd, "/tmp", bytes.NewReader(in), backend.CopyOptions{}); err != nil {
			t.Errorf("CopyIn: got %v, want no error", err)
		}
		if b, err := os.ReadFile(filepathFd(fd) + "/tmp/f"); string(b) != "in" {
			t.Errorf("copied file: got %q, %v, want \"in\"", b, err)
		}
		in = mkTar(t, entry{name: "tmp", body: "file over dir"})
		if err := CopyIn(fd, "/", bytes.NewReader(in), backend.CopyOptions{NoOverwriteDirNonDir: true}); !backend.IsConflict(err) {
			t.Errorf("CopyIn file over dir: got %v, want Conflict", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// FuzzApplyLayer applies arbitrary bytes as a layer: whatever happens, no
// file may appear outside the store's layers.
func FuzzApplyLayer(f *testing.F) {
	f.Add(mkTar(f, entry{name: "../evil", body: "x"}))
	f.Add(mkTar(f, entry{name: "a", link: "/", typ: tar.TypeSymlink}, entry{name: "a/evil", body: "x"}))
	f.Add(mkTar(f, entry{name: "a", link: "..", typ: tar.TypeSymlink}, entry{name: "a/evil", body: "x"}))
	f.Add(mkTar(f, entry{name: "h", link: "../x", typ: tar.TypeLink}))
	f.Add(mkTar(f, entry{name: "d/", typ: tar.TypeDir}, entry{name: "d/.wh.x"}, entry{name: "d/.wh..wh..opq"}))
	needRoot(f)
	outer := f.TempDir()
	s, err := Open(filepath.Join(outer, "root"))
	if err != nil {
		f.Fatal(err)
	}
	before := snapshot(f, outer)
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := s.ApplyLayer("", bytes.NewReader(data))
		if err == nil {
			s.RemoveLayer(l.ChainID)
		}
		if after := snapshot(t, outer); !slices.Equal(before, after) {
			t.Fatalf("got files %q, want %q", after, before)
		}
	})
}

// FuzzCopyIn extracts arbitrary tars into a folder of a root that holds
// hostile symlinks (`docker cp` into a container): nothing may appear
// outside the root.
func FuzzCopyIn(f *testing.F) {
	f.Add(mkTar(f, entry{name: "../evil", body: "x"}))
	f.Add(mkTar(f, entry{name: "up/evil", body: "x"}))
	f.Add(mkTar(f, entry{name: "abs/evil", body: "x"}))
	f.Add(mkTar(f, entry{name: "l", link: "/", typ: tar.TypeSymlink}, entry{name: "l/evil", body: "x"}))
	f.Add(mkTar(f, entry{name: "h", link: "../../x", typ: tar.TypeLink}))
	needRoot(f)
	outer := f.TempDir()
	root := filepath.Join(outer, "root")
	os.MkdirAll(filepath.Join(root, "dir"), 0o755)
	os.Symlink("../../..", filepath.Join(root, "dir", "up"))
	os.Symlink(outer, filepath.Join(root, "dir", "abs"))
	fd, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		f.Fatal(err)
	}
	before := snapshot(f, outer)
	f.Fuzz(func(t *testing.T, data []byte) {
		CopyIn(fd, "/dir", bytes.NewReader(data), backend.CopyOptions{})
		var outside []string
		for _, p := range snapshot(t, outer) {
			if !strings.HasPrefix(p, "/root") && !slices.Contains(before, p) {
				outside = append(outside, p)
			}
		}
		if len(outside) > 0 {
			t.Fatalf("got files outside the root: %q", outside)
		}
	})
}

// TestRemoveRootfs: the container's folder is gone when RemoveRootfs
// returns; its files are deleted in the background from tmp/, which Open
// empties of whatever a stopped daemon left there.
func TestRemoveRootfs(t *testing.T) {
	s := openStore(t)
	base := busybox(t, s)
	id := strings.Repeat("r", 64)
	if err := s.CreateRootfs(id, base.ChainID); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(s.ContainerDir(id), "diff", "f"), []byte("x"), 0o644)
	if err := s.RemoveRootfs(id); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.ContainerDir(id)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("container folder after RemoveRootfs: got %v, want it gone", err)
	}
	if _, err := s.Layout(id); !backend.IsNotFound(err) {
		t.Errorf("Layout after RemoveRootfs: got %v, want NotFound", err)
	}
	tmp := filepath.Join(s.Root(), "tmp")
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if ents, _ := os.ReadDir(tmp); len(ents) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("tmp/ not emptied: %v", snapshot(t, tmp))
		}
	}
	os.MkdirAll(filepath.Join(tmp, "rm-1", "x", "work", "work"), 0)
	if _, err := Open(s.Root()); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("tmp/ after Open: %d entries left, want none", len(ents))
	}
}

// TestLayerSize: a layer's size is overlay2's, directory.Size of what was
// unpacked: regular files, each inode once (a hard link adds nothing),
// and symlinks by their target's length; directories and whiteouts add
// nothing.
func TestLayerSize(t *testing.T) {
	s := openStore(t)
	layer := mkTar(t,
		entry{name: "bin/", typ: tar.TypeDir},
		entry{name: "bin/busybox", body: "0123456789"},
		entry{name: "bin/sh", link: "busybox", typ: tar.TypeSymlink},
		entry{name: "bin/ls", link: "bin/busybox", typ: tar.TypeLink},
		entry{name: "bin/.wh.gone"},
	)
	l, err := s.ApplyLayer("", bytes.NewReader(layer))
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(10 + len("busybox")); l.Size != want {
		t.Errorf("layer size: got %d, want %d (the file once, the symlink's target)", l.Size, want)
	}
}

// TestRemoveRootfsWithoutMeta: a container folder whose rootfs.json is
// missing or torn (a power cut: it is not synced) is removed all the same;
// a name with no folder stays NotFound.
func TestRemoveRootfsWithoutMeta(t *testing.T) {
	s := openStore(t)
	base := busybox(t, s)
	for i, data := range []string{"", "{"} {
		id := strings.Repeat(string(rune('m'+i)), 64)
		if err := s.CreateRootfs(id, base.ChainID); err != nil {
			t.Fatal(err)
		}
		meta := filepath.Join(s.ContainerDir(id), "rootfs.json")
		if data == "" {
			os.Remove(meta)
		} else {
			os.WriteFile(meta, []byte(data), 0o644)
		}
		if err := s.RemoveRootfs(id); err != nil {
			t.Errorf("rootfs.json %q: RemoveRootfs: %v", data, err)
		}
		if _, err := os.Stat(s.ContainerDir(id)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("rootfs.json %q: folder left: %v", data, err)
		}
	}
	if err := s.RemoveRootfs(strings.Repeat("z", 64)); !backend.IsNotFound(err) {
		t.Errorf("no folder: got %v, want NotFound", err)
	}
	if err := s.RemoveRootfs("../containers"); err == nil {
		t.Error("RemoveRootfs ../containers: got no error")
	}
}
