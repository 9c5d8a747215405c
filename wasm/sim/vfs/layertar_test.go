package vfs

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

// hdr is a tar entry for tests.
type hdr struct {
	name string
	typ  byte
	mode int64
	link string
	body string
	size int64 // overrides len(body) in the header when non-zero
	uid  int
}

func mkTar(t testing.TB, entries ...hdr) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: e.mode, Linkname: e.link,
			Size: int64(len(e.body)), Uid: e.uid, ModTime: time.Unix(1700000000, 0), Format: tar.FormatPAX}
		if e.size != 0 {
			h.Size = e.size
		}
		if h.Mode == 0 {
			h.Mode = 0o644
			if e.typ == tar.TypeDir {
				h.Mode = 0o755
			}
		}
		if e.typ != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if e.typ == tar.TypeReg && e.size == 0 {
			tw.Write([]byte(e.body))
		}
	}
	if err := tw.Close(); err != nil && !strings.Contains(err.Error(), "missed writing") {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func busyboxTar(t testing.TB) []byte {
	t.Helper()
	ents := []hdr{
		{name: "./", typ: tar.TypeDir},
		{name: "./bin/", typ: tar.TypeDir},
		{name: "./bin/busybox", typ: tar.TypeReg, mode: 0o755, body: strings.Repeat("\x00", 2<<20)},
	}
	for i := 0; i < 400; i++ {
		ents = append(ents, hdr{name: fmt.Sprintf("./bin/applet%03d", i), typ: tar.TypeSymlink, mode: 0o777, link: "busybox"})
	}
	ents = append(ents,
		hdr{name: "./etc/", typ: tar.TypeDir},
		hdr{name: "./etc/group", typ: tar.TypeReg, body: "root:x:0:\n"},
		hdr{name: "./etc/passwd", typ: tar.TypeReg, body: "root:x:0:0:root:/root:/bin/sh\n"},
		hdr{name: "./tmp/", typ: tar.TypeDir, mode: 0o1777},
		hdr{name: "./usr/", typ: tar.TypeDir},
		hdr{name: "./usr/bin/", typ: tar.TypeDir},
	)
	return mkTar(t, ents...)
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

func TestImportLayer(t *testing.T) {
	raw := busyboxTar(t)
	l, err := ImportLayer(bytes.NewReader(raw), nil, nil)
	must(t, err)
	got, _ := io.ReadAll(ExportLayer(l))
	if !bytes.Equal(got, raw) {
		t.Fatalf("got a %d-byte export, want the %d bytes imported", len(got), len(raw))
	}
	if l.DiffID() != sha(raw) {
		t.Fatalf("got DiffID %s, want %s", l.DiffID(), sha(raw))
	}
	wantSize := int64(2<<20 + 400*len("busybox") + len("root:x:0:\n") + len("root:x:0:0:root:/root:/bin/sh\n"))
	if l.Size() != wantSize {
		t.Fatalf("got size %d, want %d", l.Size(), wantSize)
	}

	// A second layer deletes, makes opaque and adds.
	raw2 := mkTar(t,
		hdr{name: "bin/.wh.applet000", typ: tar.TypeReg},
		hdr{name: "usr/", typ: tar.TypeDir},
		hdr{name: "usr/.wh..wh..opq", typ: tar.TypeReg},
		hdr{name: "usr/local/", typ: tar.TypeDir},
		hdr{name: "etc/passwd", typ: tar.TypeReg, mode: 0o600, body: "new\n"},
		hdr{name: "etc/pw", typ: tar.TypeLink, link: "etc/passwd", mode: 0o600}, // a link header's metadata applies to the file
	)
	l2, err := ImportLayer(bytes.NewReader(raw2), l, nil)
	must(t, err)
	u := NewUnion(l2, nil)
	fi, err := u.Lstat("/etc/passwd")
	must(t, err)
	_, pw := lstatT(t, u, "/etc/pw")
	for _, tc := range []struct{ name, got, want string }{
		{"whiteout", fmt.Sprint(errnoOf(func() error { _, err := u.Lstat("/bin/applet000"); return err }())), fmt.Sprint(syscall.ENOENT)},
		{"opaque", names(t, u, "/usr"), "local"},
		{"replaced file", must1(ReadFile(u, "/etc/passwd")), "new\n"},
		{"mode", fi.Mode().String(), "-rw-------"},
		{"hard link", fmt.Sprint(pw.Ino == StatOf(fi).Ino, pw.Nlink), "true 2"},
		{"symlink", func() string { s, _ := u.Readlink("/bin/applet001"); return s }(), "busybox"},
		{"mtime from the tar", fi.ModTime().UTC().Format(time.RFC3339), "2023-11-14T22:13:20Z"},
		{"size counts the hard link once", fmt.Sprint(l2.Size()), "4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Fatalf("got %q, want %q", tc.got, tc.want)
			}
		})
	}
}

func TestImportLayerHostile(t *testing.T) {
	for _, tc := range []struct {
		name string
		tar  []byte
	}{
		{"absolute name", mkTar(t, hdr{name: "/etc/passwd", typ: tar.TypeReg})},
		{"dot-dot", mkTar(t, hdr{name: "../x", typ: tar.TypeReg})},
		{"dot-dot inside", mkTar(t, hdr{name: "a/../../x", typ: tar.TypeReg})},
		{"below a symlink", mkTar(t, hdr{name: "l", typ: tar.TypeSymlink, link: "/etc"}, hdr{name: "l/passwd", typ: tar.TypeReg})},
		{"below a symlink leading out", mkTar(t, hdr{name: "l", typ: tar.TypeSymlink, link: "../../../../"}, hdr{name: "l/x", typ: tar.TypeReg})},
		{"below a file", mkTar(t, hdr{name: "f", typ: tar.TypeReg}, hdr{name: "f/x", typ: tar.TypeReg})},
		{"hard link out", mkTar(t, hdr{name: "h", typ: tar.TypeLink, link: "../../etc/shadow"})},
		{"hard link absolute", mkTar(t, hdr{name: "h", typ: tar.TypeLink, link: "/etc/shadow"})},
		{"hard link to nothing", mkTar(t, hdr{name: "h", typ: tar.TypeLink, link: "missing"})},
		{"hard link to a directory", mkTar(t, hdr{name: "d/", typ: tar.TypeDir}, hdr{name: "h", typ: tar.TypeLink, link: "d"})},
		{"hard link through a symlink", mkTar(t, hdr{name: "l", typ: tar.TypeSymlink, link: "/"}, hdr{name: "h", typ: tar.TypeLink, link: "l/etc/passwd"})},
		{"whiteout of its own file", mkTar(t, hdr{name: "f", typ: tar.TypeReg}, hdr{name: ".wh.f", typ: tar.TypeReg})},
		{"huge size, no data", mkTar(t, hdr{name: "f", typ: tar.TypeReg, size: 1 << 40})},
		{"truncated", busyboxTar(t)[:3<<19]},
		{"garbage", bytes.Repeat([]byte("garbage!"), 200)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := ImportLayer(bytes.NewReader(tc.tar), nil, nil)
			if err == nil {
				t.Fatalf("got a layer, want an InvalidParameter error")
			}
			if l != nil || backend.CodeOf(err) != backend.InvalidParameter {
				t.Fatalf("got %v (code %v), want an InvalidParameter error and no layer", err, backend.CodeOf(err))
			}
		})
	}
	t.Run("larger than MaxBytes", func(t *testing.T) {
		_, err := ImportLayer(bytes.NewReader(busyboxTar(t)), nil, &ImportOptions{MaxBytes: 1 << 20})
		if backend.CodeOf(err) != backend.InvalidParameter {
			t.Fatalf("got %v, want InvalidParameter", err)
		}
	})
}

// entries lists a tar's entries as "name type linkname".
func entries(t testing.TB, r io.Reader) []string {
	t.Helper()
	tr := tar.NewReader(r)
	var out []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		s := fmt.Sprintf("%s %c %o", h.Name, h.Typeflag, h.Mode)
		if h.Linkname != "" {
			s += " " + h.Linkname
		}
		out = append(out, s)
	}
}

func TestExportLayer(t *testing.T) {
	clk := newFakeClock()
	image := NewLayer(nil, busyboxTree(t))
	u := NewUnion(InitLayer(image, clk.clock()), clk.clock())
	clk.advance(time.Minute)
	diffScripts["d1"](t, u)
	diffScripts["d2"](t, u)
	must(t, u.Remove("/bin/cat"))
	must(t, u.Link("/etc/passwd", "/etc/pw"))
	l := u.Commit(image)
	got := entries(t, ExportLayer(l))
	want := []string{
		"NEW-FILE 0 100644",
		"a/ 5 40755",
		"a/b/ 5 40755",
		"a/b/c 0 100644",
		"bin/ 5 40755",
		"bin/.wh.cat 0 600",
		"bin/.wh.ls 0 600 bin/cat",
		"etc/ 5 40755",
		"etc/passwd 0 100644",
		"etc/pw 1 100644 etc/passwd",
		"home/ 5 40755",
		"home/.wh..wh..opq 0 755",
		"home/new 0 100644",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The same tree gives the same bytes; importing them gives the layer.
	a, _ := io.ReadAll(ExportLayer(l))
	b, _ := io.ReadAll(ExportLayer(u.Commit(image)))
	if !bytes.Equal(a, b) || l.DiffID() != sha(a) {
		t.Fatalf("got different bytes or DiffID for the same content")
	}
	l2, err := ImportLayer(bytes.NewReader(a), image, nil)
	must(t, err)
	v := NewUnion(l2, nil)
	if got := names(t, v, "/bin"); strings.Contains(got, " ls ") || strings.Contains(got, "cat") {
		t.Fatalf("got %q, want ls and cat deleted", got)
	}
	if got := names(t, v, "/home"); got != "new" {
		t.Fatalf("got %q, want the opaque /home", got)
	}
}

func TestExportMerged(t *testing.T) {
	tr := NewTree(nil)
	must(t, tr.Mkdir("/b", 0o755))
	must(t, WriteFile(tr, "/b/f", []byte("x"), 0o644))
	must(t, tr.Link("/b/f", "/a"))
	must(t, tr.Symlink("b", "/c"))
	u := NewUnion(NewLayer(nil, tr), nil)
	must(t, u.Mkdir("/d", 0o700))
	must(t, u.Mknod("/d/null", fs.ModeDevice|fs.ModeCharDevice|0o666, mkdev(1, 3)))
	must(t, u.Remove("/c"))
	got := entries(t, ExportMerged(u))
	want := []string{"a 0 100644", "b/ 5 40755", "b/f 1 100644 a", "d/ 5 40700", "d/null 3 20666"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestCopyOut(t *testing.T) {
	ns, u, _, _, _ := containerNamespace(t)
	must(t, WriteFile(ns, "/data/f", []byte("in-volume\n"), 0o644))
	must(t, u.Symlink("/tmp", "/tmplink"))
	must(t, WriteFile(u, "/tmp/x", nil, 0o644))
	for _, tc := range []struct {
		path string
		want []string
	}{
		{"/etc/passwd", []string{"passwd 0 100644"}},
		{"/tmp", []string{"tmp/ 5 41777", "tmp/x 0 100644"}},
		{"tmp/", []string{"tmp/ 5 41777", "tmp/x 0 100644"}},
		{"/tmp/.", []string{"./ 5 41777", "./x 0 100644"}},
		{"/tmplink", []string{"tmplink 2 120777 /tmp"}},
		{"/tmplink/", []string{"tmplink/ 5 41777", "tmplink/x 0 100644"}},
		{"/data", []string{"data/ 5 40755", "data/f 0 100644"}},
		{"/etc/hosts", []string{"hosts 0 100644"}},
	} {
		t.Run(tc.path, func(t *testing.T) {
			r, err := CopyOut(ns, tc.path)
			must(t, err)
			got := entries(t, r)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
	t.Run("root", func(t *testing.T) {
		r, err := CopyOut(ns, "/")
		must(t, err)
		got := entries(t, r)
		if got[0] != "/ 5 40755" || got[1] != "/.dockerenv 0 100755" {
			t.Fatalf("got %q..., want \"/\" then \"/.dockerenv\"", got[:2])
		}
	})
	t.Run("missing", func(t *testing.T) {
		if _, err := CopyOut(ns, "/nosuch"); backend.CodeOf(err) != backend.NotFound {
			t.Fatalf("got %v, want NotFound", err)
		}
	})
}

func TestStatPath(t *testing.T) {
	ns, u, _, _, _ := containerNamespace(t)
	must(t, u.Symlink("/tmp", "/tmplink"))
	must(t, u.Symlink("nowhere", "/tmp/dangling"))
	for _, tc := range []struct {
		path, name, link string
		mode             fs.FileMode
	}{
		{"/tmplink", "tmplink", "/tmp", fs.ModeSymlink | 0o777},
		{"/tmp/dangling", "dangling", "/tmp/nowhere", fs.ModeSymlink | 0o777},
		{"/tmplink/", "tmplink", "", fs.ModeDir | fs.ModeSticky | 0o777},
		{"/etc/passwd", "passwd", "", 0o644},
		{"/", "/", "", fs.ModeDir | 0o755},
	} {
		t.Run(tc.path, func(t *testing.T) {
			st, err := StatPath(ns, tc.path)
			must(t, err)
			if st.Name != tc.name || st.LinkTarget != tc.link || fs.FileMode(st.Mode) != tc.mode {
				t.Fatalf("got %q %q %v, want %q %q %v", st.Name, st.LinkTarget, fs.FileMode(st.Mode), tc.name, tc.link, tc.mode)
			}
		})
	}
	if _, err := StatPath(ns, "/nosuch/x"); backend.CodeOf(err) != backend.NotFound {
		t.Fatalf("got %v, want NotFound", err)
	}
}

func TestCopyIn(t *testing.T) {
	good := mkTar(t,
		hdr{name: "d/", typ: tar.TypeDir, mode: 0o750},
		hdr{name: "d/f", typ: tar.TypeReg, body: "content", uid: 1000},
		hdr{name: "d/h", typ: tar.TypeLink, link: "d/f", uid: 1000},
		hdr{name: "d/l", typ: tar.TypeSymlink, link: "f"},
	)
	t.Run("extracts", func(t *testing.T) {
		ns, _, vol, _, _ := containerNamespace(t)
		must(t, CopyIn(ns, "/data", bytes.NewReader(good), backend.CopyOptions{}))
		if got := must1(ReadFile(vol, "/d/l")); got != "content" {
			t.Fatalf("got %q, want the content through the symlink, in the volume", got)
		}
		fi, st := lstatT(t, vol, "/d/f")
		_, hs := lstatT(t, vol, "/d/h")
		_, ds := lstatT(t, vol, "/d")
		if st.UID != 1000 || fi.Mode() != 0o644 || hs.Ino != st.Ino || ds.Mtime.Unix() != 1700000000 {
			t.Fatalf("got uid %d mode %v link ino %d/%d dir mtime %d", st.UID, fi.Mode(), hs.Ino, st.Ino, ds.Mtime.Unix())
		}
	})
	t.Run("chown", func(t *testing.T) {
		ns, u, _, _, _ := containerNamespace(t)
		must(t, CopyIn(ns, "/tmp", bytes.NewReader(good), backend.CopyOptions{ChownSet: true, UID: 7, GID: 8}))
		if _, st := lstatT(t, u, "/tmp/d/f"); st.UID != 7 || st.GID != 8 {
			t.Fatalf("got %d:%d, want 7:8", st.UID, st.GID)
		}
	})
	for _, tc := range []struct {
		name string
		dir  string
		tar  []byte
		opts backend.CopyOptions
		code backend.Code
	}{
		{"escaping entry", "/tmp", mkTar(t, hdr{name: "ok", typ: tar.TypeReg}, hdr{name: "../../etc/x", typ: tar.TypeReg}), backend.CopyOptions{}, backend.InvalidParameter},
		{"missing directory", "/nosuch", good, backend.CopyOptions{}, backend.NotFound},
		{"not a directory", "/etc/passwd", good, backend.CopyOptions{}, backend.InvalidParameter},
		{"directory over a file", "/etc", mkTar(t, hdr{name: "passwd/", typ: tar.TypeDir}), backend.CopyOptions{NoOverwriteDirNonDir: true}, backend.Conflict},
		{"file over a directory", "/", mkTar(t, hdr{name: "etc", typ: tar.TypeReg}), backend.CopyOptions{NoOverwriteDirNonDir: true}, backend.Conflict},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ns, u, _, _, _ := containerNamespace(t)
			before := changeList(u)
			err := CopyIn(ns, tc.dir, bytes.NewReader(tc.tar), tc.opts)
			if backend.CodeOf(err) != tc.code || err == nil {
				t.Fatalf("got %v (code %v), want code %v", err, backend.CodeOf(err), tc.code)
			}
			if after := changeList(u); after != before {
				t.Fatalf("got changes %q, want none", after)
			}
		})
	}
	t.Run("read-only mount", func(t *testing.T) {
		ns, _, _, _, _ := containerNamespace(t)
		err := CopyIn(ns, "/h", bytes.NewReader(good), backend.CopyOptions{})
		if errnoOf(err) != syscall.EROFS {
			t.Fatalf("got %v, want EROFS", err)
		}
	})
	_ = os.O_RDONLY
}

// FuzzImportLayer feeds ImportLayer arbitrary bytes. Whatever it accepts
// must export back byte for byte and be usable in a union (listing,
// reading and removing everything); whatever it refuses must be refused
// with InvalidParameter.
func FuzzImportLayer(f *testing.F) {
	f.Add(mkTar(f, hdr{name: "a/", typ: tar.TypeDir}, hdr{name: "a/b", typ: tar.TypeReg, body: "x"}, hdr{name: "a/.wh.c", typ: tar.TypeReg}))
	f.Add(mkTar(f, hdr{name: "l", typ: tar.TypeSymlink, link: "../../.."}, hdr{name: "h", typ: tar.TypeLink, link: "l"}))
	f.Add(mkTar(f, hdr{name: "d/.wh..wh..opq", typ: tar.TypeReg}, hdr{name: "d/f", typ: tar.TypeReg, body: "y"}, hdr{name: "d/g", typ: tar.TypeLink, link: "d/f"}))
	f.Add(mkTar(f, hdr{name: "../x", typ: tar.TypeReg}))
	f.Add([]byte("not a tar"))
	base := NewLayer(nil, busyboxTree(f))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := ImportLayer(bytes.NewReader(data), base, &ImportOptions{MaxBytes: 1 << 20})
		if err != nil {
			if backend.CodeOf(err) != backend.InvalidParameter {
				t.Fatalf("got %v (code %v), want InvalidParameter", err, backend.CodeOf(err))
			}
			return
		}
		out, _ := io.ReadAll(ExportLayer(l))
		if !bytes.Equal(out, data) {
			t.Fatalf("export differs from import")
		}
		u := NewUnion(l, nil)
		var walk func(p string)
		walk = func(p string) {
			ents, err := u.ReadDir(p)
			if err != nil {
				t.Fatalf("readdir %s: %v", p, err)
			}
			for _, e := range ents {
				cp := joinPath(p, e.Name())
				if e.IsDir() {
					walk(cp)
				} else if e.Type().IsRegular() {
					if _, err := ReadFile(u, cp); err != nil {
						t.Fatalf("read %s: %v", cp, err)
					}
				}
			}
		}
		walk("/")
		if err := RemoveAll(u, "/bin"); err != nil {
			t.Fatalf("rm -rf /bin: %v", err)
		}
		_ = u.Changes()
		_ = ExportLayer(u.Commit(l))
	})
}

// TestExportLayerDockerd imports a layer tar that dockerd 20.10.24 wrote for
// `docker commit` (copied from shared/image/testdata) and writes the same
// tree again: every header field and content must come out as dockerd
// wrote them, except the names of owners the Debian host does not know.
func TestExportLayerDockerd(t *testing.T) {
	raw, err := os.ReadFile("testdata/dockerd-commit-layer.tar")
	must(t, err)
	l, err := ImportLayer(bytes.NewReader(raw), nil, nil)
	must(t, err)
	fresh := newLayer(nil, l.own) // no tar kept: ExportLayer writes one
	want, got := tarHeaders(t, bytes.NewReader(raw)), tarHeaders(t, ExportLayer(fresh))
	if len(got) != len(want) {
		t.Fatalf("got %d entries, want %d:\n%s\nwant\n%s", len(got), len(want), strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d:\ngot  %s\nwant %s", i, got[i], want[i])
		}
	}
}

func tarHeaders(t *testing.T, r io.Reader) []string {
	tr := tar.NewReader(r)
	var out []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		must(t, err)
		body, _ := io.ReadAll(tr)
		if h.Uid != 0 && h.Uid != 65534 {
			h.Uname = ""
		}
		if h.Gid != 0 && h.Gid != 65534 {
			h.Gname = ""
		}
		out = append(out, fmt.Sprintf("%q %c %o %d:%d %s:%s size=%d link=%q mtime=%d dev=%d,%d pax=%v fmt=%v body=%x",
			h.Name, h.Typeflag, h.Mode, h.Uid, h.Gid, h.Uname, h.Gname, h.Size, h.Linkname, h.ModTime.Unix(), h.Devmajor, h.Devminor, h.PAXRecords, h.Format, sha256.Sum256(body)))
	}
}

// FuzzImportLayerEntries builds well-formed tars from a line-based
// description ("TYPE NAME [LINK]" per line; TYPE one of f d l h c p) so
// that the fuzzer explores hostile combinations of names and links rather
// than tar checksums. The properties are FuzzImportLayer's.
func FuzzImportLayerEntries(f *testing.F) {
	f.Add("d a/\nf a/b\nf a/.wh.c\nh a/d a/b")
	f.Add("l l /etc\nf l/passwd")
	f.Add("l l ../..\nh h l")
	f.Add("d d\nf d/.wh..wh..opq\nf d/f\nh d/g d/f\nf .wh.d")
	f.Add("f x\nd x/\nf x/y\nf .wh.x")
	f.Add("f ./a/../b\nh c ./b\np fifo\nc null")
	base := NewLayer(nil, busyboxTree(f))
	f.Fuzz(func(t *testing.T, spec string) {
		var ents []hdr
		for _, line := range strings.Split(spec, "\n") {
			fields := strings.Fields(line)
			if len(fields) < 2 || len(fields) > 3 || len(fields[0]) != 1 {
				continue
			}
			e := hdr{name: fields[1], body: "x"}
			if len(fields) == 3 {
				e.link = fields[2]
			}
			switch fields[0] {
			case "f":
				e.typ = tar.TypeReg
			case "d":
				e.typ = tar.TypeDir
			case "l":
				e.typ = tar.TypeSymlink
			case "h":
				e.typ = tar.TypeLink
			case "c":
				e.typ = tar.TypeChar
			case "p":
				e.typ = tar.TypeFifo
			default:
				continue
			}
			ents = append(ents, e)
		}
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		for _, e := range ents {
			h := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: 0o755, Linkname: e.link, Format: tar.FormatPAX}
			if e.typ == tar.TypeReg {
				h.Size = 1
			}
			if tw.WriteHeader(h) != nil {
				return
			}
			if e.typ == tar.TypeReg {
				tw.Write([]byte("x"))
			}
		}
		tw.Close()
		data := buf.Bytes()
		l, err := ImportLayer(bytes.NewReader(data), base, nil)
		if err != nil {
			if backend.CodeOf(err) != backend.InvalidParameter {
				t.Fatalf("got %v (code %v), want InvalidParameter", err, backend.CodeOf(err))
			}
			return
		}
		u := NewUnion(l, nil)
		if err := RemoveAll(u, "/"); err == nil {
			t.Fatalf("removing / succeeded")
		}
		ents2, err := u.ReadDir("/")
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents2 {
			if err := RemoveAll(u, "/"+e.Name()); err != nil {
				t.Fatalf("rm -rf /%s: %v", e.Name(), err)
			}
		}
		if got := names(t, u, "/"); got != "" {
			t.Fatalf("got %q left after removing everything", got)
		}
		_ = u.Changes()
		_ = ExportLayer(u.Commit(l))
	})
}

func TestEmptyCommit(t *testing.T) {
	image := NewLayer(nil, busyboxTree(t))
	l := NewUnion(InitLayer(image, nil), nil).Commit(image)
	// The DiffID of every empty layer Docker makes: 1024 zero bytes.
	const empty = "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"
	if l.DiffID() != empty || l.Size() != 0 {
		t.Fatalf("got %s size %d, want %s size 0", l.DiffID(), l.Size(), empty)
	}
}
