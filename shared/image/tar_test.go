package image

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

// rawTar builds a tar from headers as given, with content for regular files
// of non-zero size filled with 'x'. It stops after the header of a file of
// 1 MiB or more.
func rawTar(t testing.TB, hdrs ...*tar.Header) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range hdrs {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatalf("write header %q: %v", h.Name, err)
		}
		if h.Typeflag == tar.TypeReg && h.Size >= 1<<20 {
			return buf.Bytes() // a header whose content never comes
		}
		if h.Typeflag == tar.TypeReg && h.Size > 0 {
			if _, err := tw.Write(bytes.Repeat([]byte("x"), int(h.Size))); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func reg(name string, size int64) *tar.Header {
	return &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: size}
}
func dir(name string) *tar.Header { return &tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: 0o755} }
func symlink(name, target string) *tar.Header {
	return &tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777}
}
func hardlink(name, target string) *tar.Header {
	return &tar.Header{Typeflag: tar.TypeLink, Name: name, Linkname: target, Mode: 0o644}
}

func readAll(data []byte, opts *ReaderOptions) ([]Entry, *Reader, error) {
	return readAllFrom(bytes.NewReader(data), opts)
}

func readAllFrom(r io.Reader, opts *ReaderOptions) ([]Entry, *Reader, error) {
	rd := NewReader(r, opts)
	var out []Entry
	for {
		e, err := rd.Next()
		if err == io.EOF {
			return out, rd, nil
		}
		if err != nil {
			return out, rd, err
		}
		out = append(out, *e)
	}
}

func TestReaderRejectsHostileEntries(t *testing.T) {
	tests := []struct {
		name string
		hdrs []*tar.Header
		opts *ReaderOptions
		want string // the error's text
	}{
		{"absolute name", []*tar.Header{reg("/etc/passwd", 1)}, nil,
			`tar entry "/etc/passwd": absolute name`},
		{"dot-dot", []*tar.Header{reg("../escape", 1)}, nil,
			`tar entry "../escape": name leads out of the root`},
		{"dot-dot inside", []*tar.Header{reg("a/../../escape", 1)}, nil,
			`tar entry "a/../../escape": name leads out of the root`},
		{"harmless-looking dot-dot", []*tar.Header{reg("a/../b", 1)}, nil,
			`tar entry "a/../b": name leads out of the root`},
		{"below a symlink", []*tar.Header{symlink("etc", "/host/etc"), reg("etc/passwd", 1)}, nil,
			`tar entry "etc/passwd": lies below symlink "etc"`},
		{"below a symlink, deeper", []*tar.Header{dir("a/"), symlink("a/b", "../../.."), dir("a/b/c/"), reg("a/b/c/d", 1)}, nil,
			`tar entry "a/b/c/": lies below symlink "a/b"`},
		{"below a file", []*tar.Header{reg("f", 1), reg("f/g", 1)}, nil,
			`tar entry "f/g": lies below regular file "f"`},
		{"hard link out", []*tar.Header{hardlink("h", "../../etc/shadow")}, nil,
			`tar entry "h": hard link to "../../etc/shadow": name leads out of the root`},
		{"hard link absolute", []*tar.Header{hardlink("h", "/etc/shadow")}, nil,
			`tar entry "h": hard link to "/etc/shadow": absolute name`},
		{"hard link through a symlink", []*tar.Header{symlink("l", "/"), hardlink("h", "l/etc/shadow")}, nil,
			`tar entry "h": lies below symlink "l"`},
		{"hard link to a directory", []*tar.Header{dir("d/"), hardlink("h", "d")}, nil,
			`tar entry "h": hard link to directory "d"`},
		{"hard link to itself", []*tar.Header{hardlink("h", "./h")}, nil,
			`tar entry "h": hard link to itself`},
		{"hard link to the root", []*tar.Header{hardlink("h", ".")}, nil,
			`tar entry "h": hard link to ".": names the root`},
		{"char device", []*tar.Header{{Typeflag: tar.TypeChar, Name: "dev/mem", Devmajor: 1, Devminor: 1, Mode: 0o600}}, nil,
			`tar entry "dev/mem": device nodes are not allowed here`},
		{"block device", []*tar.Header{{Typeflag: tar.TypeBlock, Name: "sda", Devmajor: 8, Mode: 0o600}}, nil,
			`tar entry "sda": device nodes are not allowed here`},
		{"absurd size", []*tar.Header{reg("big", 1<<40)}, nil,
			`tar entry "big": file of 1099511627776 bytes is larger than 68719476736`},
		{"size over a set limit", []*tar.Header{reg("f", 100)}, &ReaderOptions{MaxFileSize: 99},
			`tar entry "f": file of 100 bytes is larger than 99`},
		{"whiteout of nothing", []*tar.Header{reg("a/.wh.", 0)}, nil,
			`tar entry "a/.wh.": whiteout names no file`},
		{"whiteout of dot-dot", []*tar.Header{reg(".wh...", 0)}, nil,
			`tar entry ".wh...": whiteout names no file`},
		{"symlink without target", []*tar.Header{symlink("l", "")}, nil,
			`tar entry "l": symlink without target`},
		{"sparse file", []*tar.Header{{Typeflag: tar.TypeGNUSparse, Name: "s", Mode: 0o644, Format: tar.FormatGNU}}, nil,
			`tar entry "s": unsupported entry type 'S'`},
		{"long name", []*tar.Header{reg(strings.Repeat("a/", 2100)+"f", 1)}, nil,
			`tar entry "` + strings.Repeat("a/", 2100) + `f": name too long`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := readAll(rawTar(t, tt.hdrs...), tt.opts)
			if err == nil {
				t.Fatalf("got no error, want %q", tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("got error %q, want %q", err, tt.want)
			}
			if c := backend.CodeOf(err); c != backend.InvalidParameter {
				t.Errorf("got code %v, want InvalidParameter", c)
			}
		})
	}
}

func TestReaderRejectsMalformedTars(t *testing.T) {
	good := rawTar(t, reg("a", 600), reg("b", 10))
	tests := []struct {
		name string
		data []byte
	}{
		{"truncated content", good[:700]},
		{"truncated header", good[:100]},
		{"garbage header", append(bytes.Repeat([]byte{'z'}, 512), good...)},
		{"bad checksum", func() []byte { b := bytes.Clone(good); b[148] = '9'; return b }()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := readAll(tt.data, nil)
			if err == nil {
				t.Fatal("got no error, want one")
			}
			if c := backend.CodeOf(err); c != backend.InvalidParameter {
				t.Errorf("got %v with code %v, want InvalidParameter", err, c)
			}
		})
	}
}

func TestReaderEntries(t *testing.T) {
	mtime := time.Unix(1700000000, 0)
	data := rawTar(t,
		&tar.Header{Typeflag: tar.TypeDir, Name: "./", Mode: 0o700},
		&tar.Header{Typeflag: tar.TypeXGlobalHeader, Name: "pax_global_header", PAXRecords: map[string]string{"comment": "x"}},
		&tar.Header{Typeflag: tar.TypeDir, Name: "./bin/", Mode: 0o755, ModTime: mtime},
		&tar.Header{Typeflag: tar.TypeReg, Name: "./bin/busybox", Mode: 0o4755, Size: 5, Uid: 0, Gid: 0, Uname: "root", Gname: "root"},
		symlink("bin/sh", "busybox"),
		hardlink("bin/bb", "./bin/busybox"),
		&tar.Header{Typeflag: tar.TypeDir, Name: "tmp/", Mode: 0o1777},
		&tar.Header{Typeflag: tar.TypeFifo, Name: "tmp/fifo", Mode: 0o644},
		&tar.Header{Typeflag: tar.TypeReg, Name: "etc/.wh.passwd", Mode: 0o600},
		&tar.Header{Typeflag: tar.TypeReg, Name: "var/.wh..wh..opq", Mode: 0o755},
		&tar.Header{Typeflag: tar.TypeReg, Name: ".wh..wh..opq"},
		&tar.Header{Typeflag: tar.TypeReg, Name: ".wh..wh.plnk/123.456", Size: 3},
		&tar.Header{Typeflag: tar.TypeReg, Name: "cap", Size: 1, Mode: 0o755,
			PAXRecords: map[string]string{"SCHILY.xattr.security.capability": "\x01\x00"}},
		// A symlink replaced by a directory no longer blocks its children.
		symlink("x", "/"),
		dir("x/"),
		reg("x/y", 2),
	)
	got, r, err := readAll(data, nil)
	if err != nil {
		t.Fatalf("got error %v, want none", err)
	}
	want := []struct {
		path string
		typ  EntryType
		mode fs.FileMode
		link string
	}{
		{"bin", TypeDir, 0o755, ""},
		{"bin/busybox", TypeRegular, 0o755 | fs.ModeSetuid, ""},
		{"bin/sh", TypeSymlink, 0o777, "busybox"},
		{"bin/bb", TypeHardlink, 0o644, "bin/busybox"},
		{"tmp", TypeDir, 0o777 | fs.ModeSticky, ""},
		{"tmp/fifo", TypeFIFO, 0o644, ""},
		{"etc/passwd", TypeWhiteout, 0o600, ""},
		{"var", TypeOpaque, 0o755, ""},
		{".", TypeOpaque, 0, ""},
		{"cap", TypeRegular, 0o755, ""},
		{"x", TypeSymlink, 0o777, "/"},
		{"x", TypeDir, 0o755, ""},
		{"x/y", TypeRegular, 0o644, ""},
	}
	if len(got) != len(want) {
		for _, e := range got {
			t.Logf("%s %v", e.Path, e.Type)
		}
		t.Fatalf("got %d entries, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Path != w.path || g.Type != w.typ || g.Mode != w.mode || g.Linkname != w.link {
			t.Errorf("entry %d: got %q %v %v %q, want %q %v %v %q", i, g.Path, g.Type, g.Mode, g.Linkname, w.path, w.typ, w.mode, w.link)
		}
	}
	if got[0].ModTime != mtime {
		t.Errorf("bin mtime: got %v, want %v", got[0].ModTime, mtime)
	}
	if got[9].Xattrs["security.capability"] != "\x01\x00" {
		t.Errorf("cap xattrs: got %q, want security.capability", got[9].Xattrs)
	}
	// busybox 5 + sh's target 7 + cap 1 + x's target 1 + x/y 2; the AUFS
	// entry is skipped, the hard link counts 0.
	if r.Size() != 16 {
		t.Errorf("Size: got %d, want 16", r.Size())
	}
	sum := sha256.Sum256(data)
	if want := "sha256:" + hex.EncodeToString(sum[:]); r.DiffID() != want {
		t.Errorf("DiffID: got %s, want %s", r.DiffID(), want)
	}
}

func TestReaderDiffIDCoversTrailingBytes(t *testing.T) {
	data := append(rawTar(t, reg("a", 3)), make([]byte, 9216)...) // GNU tar pads to 10240-byte records
	_, r, err := readAll(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if want := "sha256:" + hex.EncodeToString(sum[:]); r.DiffID() != want {
		t.Errorf("DiffID: got %s, want %s", r.DiffID(), want)
	}
	if r.BytesRead() != int64(len(data)) {
		t.Errorf("BytesRead: got %d, want %d", r.BytesRead(), len(data))
	}
}

func TestReaderNoDigest(t *testing.T) {
	data := rawTar(t, reg("a", 3))
	entries, r, err := readAll(data, &ReaderOptions{NoDigest: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || r.DiffID() != "" || r.BytesRead() != int64(len(data)) {
		t.Errorf("got %d entries, DiffID %q, %d bytes read; want 1, \"\", %d", len(entries), r.DiffID(), r.BytesRead(), len(data))
	}
}

func TestReaderAllowsDevices(t *testing.T) {
	data := rawTar(t, &tar.Header{Typeflag: tar.TypeChar, Name: "dev/null", Devmajor: 1, Devminor: 3, Mode: 0o666})
	got, _, err := readAll(data, &ReaderOptions{AllowDevices: true})
	if err != nil {
		t.Fatalf("got error %v, want none", err)
	}
	if len(got) != 1 || got[0].Type != TypeCharDevice || got[0].Devmajor != 1 || got[0].Devminor != 3 {
		t.Errorf("got %+v, want char device 1:3", got)
	}
}

func TestReaderReadsContent(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(reg("a", 5))
	tw.Write([]byte("hello"))
	tw.WriteHeader(reg("b", 3))
	tw.Write([]byte("bye"))
	tw.Close()
	r := NewReader(&buf, nil)
	for _, want := range []string{"hello", "bye"} {
		if _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if err != nil || string(got) != want {
			t.Errorf("content: got %q, %v, want %q", got, err, want)
		}
	}
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("Next at end: got %v, want io.EOF", err)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("Next after end: got %v, want io.EOF again", err)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestReaderKeepsSourceErrors(t *testing.T) {
	_, err := NewReader(failingReader{}, nil).Next()
	if err == nil || err.Error() != "disk on fire" || backend.CodeOf(err) != backend.Internal {
		t.Errorf("got %v (code %v), want the source's error uncoded", err, backend.CodeOf(err))
	}
}

func TestWalkOrder(t *testing.T) {
	entries := []Entry{
		{Path: "a-b", Type: TypeRegular},
		{Path: "a/c", Type: TypeWhiteout},
		{Path: "a/b", Type: TypeRegular},
		{Path: "a", Type: TypeOpaque},
		{Path: "a", Type: TypeDir},
		{Path: ".", Type: TypeOpaque},
		{Path: "B", Type: TypeDir},
	}
	WalkOrder(entries)
	var got []string
	for _, e := range entries {
		got = append(got, e.Path+":"+e.Type.String())
	}
	want := ".:opaque marker B:directory a:directory a:opaque marker a/b:regular file a/c:whiteout a-b:regular file"
	if strings.Join(got, " ") != want {
		t.Errorf("got %s, want %s", strings.Join(got, " "), want)
	}
}

func FuzzReader(f *testing.F) {
	f.Add(rawTar(f, dir("./"), dir("bin/"), reg("bin/busybox", 3), symlink("bin/sh", "busybox"), hardlink("bin/h", "bin/busybox")))
	f.Add(rawTar(f, reg("etc/.wh.passwd", 0), reg("var/.wh..wh..opq", 0), reg(".wh..wh.plnk/1", 2)))
	f.Add(rawTar(f, symlink("l", "/"), reg("l/x", 1)))
	f.Add(rawTar(f, &tar.Header{Typeflag: tar.TypeReg, Name: strings.Repeat("long/", 40) + "f", Size: 2, Format: tar.FormatPAX,
		PAXRecords: map[string]string{"SCHILY.xattr.user.a": "b"}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, r, err := readAll(data, &ReaderOptions{MaxFileSize: 1 << 20})
		if err != nil {
			if c := backend.CodeOf(err); c != backend.InvalidParameter {
				t.Fatalf("got %v with code %v, want InvalidParameter", err, c)
			}
			return
		}
		for _, e := range got {
			if strings.HasPrefix(e.Path, "/") || e.Path == ".." || strings.HasPrefix(e.Path, "../") || strings.Contains(e.Path, "/../") {
				t.Fatalf("entry %q escapes the root", e.Path)
			}
			if e.Type == TypeHardlink && (strings.HasPrefix(e.Linkname, "/") || strings.HasPrefix(e.Linkname, "../")) {
				t.Fatalf("hard link %q to %q escapes the root", e.Path, e.Linkname)
			}
			if e.Type == TypeCharDevice || e.Type == TypeBlockDevice {
				t.Fatalf("device %q accepted without AllowDevices", e.Path)
			}
		}
		if !strings.HasPrefix(r.DiffID(), "sha256:") {
			t.Fatalf("DiffID after a complete read: got %q", r.DiffID())
		}
	})
}

// testdata/dockerd-commit-layer.tar is the layer dockerd 20.10.24 (overlay2)
// wrote for `docker commit` of a busybox container that made a directory
// with a setuid file, a hard link, a symlink, a FIFO, a device, files owned
// by nobody and by uid 1000 (named "cloudsdk" on that host), a file with a
// security.capability xattr and an old mtime, a sticky directory and a
// long path, deleted /etc/passwd and /usr, and replaced /var (opaque).
// Reading it and writing the entries back must give the same bytes.
func TestLayerWriterReproducesDockerd(t *testing.T) {
	golden, err := os.ReadFile("testdata/dockerd-commit-layer.tar")
	if err != nil {
		t.Fatal(err)
	}
	r := NewReader(bytes.NewReader(golden), &ReaderOptions{AllowDevices: true})
	var out bytes.Buffer
	w := NewLayerWriter(&out, nil)
	n := 0
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteEntry(e, r); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if n != 21 {
		t.Errorf("got %d entries, want 21", n)
	}
	if !bytes.Equal(out.Bytes(), golden) {
		for i := 0; i < len(golden) && i < out.Len(); i++ {
			if golden[i] != out.Bytes()[i] {
				t.Fatalf("got %d bytes, want %d; first difference at byte %d (entry header at %d): got %q, want %q",
					out.Len(), len(golden), i, i/512*512, out.Bytes()[i/512*512:i/512*512+512], golden[i/512*512:i/512*512+512])
			}
		}
		t.Fatalf("got %d bytes, want %d", out.Len(), len(golden))
	}
	// dockerd reported 1108 as this layer's size (`docker history`):
	// regular files and the symlink's target; the hard link counts once.
	if r.Size() != 1108 {
		t.Errorf("Size: got %d, want 1108", r.Size())
	}
}
