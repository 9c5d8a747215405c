package baseimage

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/twinbox-dev/twinbox/shared/image"
	"github.com/twinbox-dev/twinbox/wasm/sim/hub"
)

// TestRootfsTarMatchesGNUTar writes a small tree with RootfsTar and with GNU
// tar, invoked as the reference's rootfs.tar was made, and compares the
// bytes.
func TestRootfsTarMatchesGNUTar(t *testing.T) {
	gnu, err := exec.LookPath("tar")
	if err != nil {
		t.Skip("no tar on this machine")
	}
	if out, _ := exec.Command(gnu, "--version").Output(); !strings.Contains(string(out), "GNU tar") {
		t.Skip("tar is not GNU tar")
	}
	content := bytes.Repeat([]byte("0123456789"), 123) // more than two blocks
	files := []File{
		{File: hub.File{Path: ".", Type: image.TypeDir, Mode: 0o700}},
		{File: hub.File{Path: "bin", Type: image.TypeDir, Mode: 0o755}},
		{File: hub.File{Path: "bin/[", Type: image.TypeSymlink, Mode: 0o777, Link: "prog"}},
		{File: hub.File{Path: "bin/prog", Type: image.TypeRegular, Mode: 0o755, Size: int64(len(content))}, Data: content},
		{File: hub.File{Path: "bin/sh", Type: image.TypeSymlink, Mode: 0o777, Link: "prog"}},
		{File: hub.File{Path: "etc", Type: image.TypeDir, Mode: 0o755}},
		{File: hub.File{Path: "etc/empty", Type: image.TypeRegular, Mode: 0o600}, Data: []byte{}},
		{File: hub.File{Path: "etc/passwd", Type: image.TypeRegular, Mode: 0o644, Size: int64(len(passwd))}, Data: []byte(passwd)},
		{File: hub.File{Path: "tmp", Type: image.TypeDir, Mode: 0o777 | fs.ModeSticky}},
	}
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	for _, f := range files {
		p := filepath.Join(root, f.Path)
		switch f.Type {
		case image.TypeDir:
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(p, f.Mode); err != nil {
				t.Fatal(err)
			}
		case image.TypeSymlink:
			if err := os.Symlink(f.Link, p); err != nil {
				t.Fatal(err)
			}
		case image.TypeRegular:
			if err := os.WriteFile(p, f.Data, f.Mode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(p, f.Mode); err != nil {
				t.Fatal(err)
			}
		}
	}
	out := filepath.Join(dir, "rootfs.tar")
	cmd := exec.Command(gnu, "--sort=name", "--mtime=@0", "--owner=0", "--group=0", "--numeric-owner", "-C", root, "-cf", out, ".")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tar: %v: %s", err, msg)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := RootfsTar(files)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		for i := range min(len(got), len(want)) {
			if got[i] != want[i] {
				t.Fatalf("got %d bytes, want %d; first difference at %d: got %q, want %q",
					len(got), len(want), i, got[i/512*512:i/512*512+512], want[i/512*512:i/512*512+512])
			}
		}
		t.Fatalf("got %d bytes, want %d", len(got), len(want))
	}
}

// TestBuildReproducesTheReference builds the base image from busybox-static
// when it is available and compares it with the reference engine's.
func TestBuildReproducesTheReference(t *testing.T) {
	var src *Source
	var err error
	debs, _ := filepath.Glob("../../build/cache/busybox-static_*.deb")
	switch {
	case len(debs) > 0:
		src, err = FromDeb(debs[0])
	default:
		src, err = FromBinary("/bin/busybox")
		if err != nil {
			t.Skipf("busybox-static is not available (run `make base`, or install busybox-static %s): %v", PackageVersion, err)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	if src.Version != PackageVersion {
		t.Skipf("busybox-static is %s, not %s", src.Version, PackageVersion)
	}
	b, err := Build(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Check(); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := b.WriteArchive(&buf); err != nil {
		t.Fatal(err)
	}
	a, err := image.ReadArchive(&buf, &image.MemSpool{})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Images) != 2 || a.Images[1].ID != ImageID || a.Images[1].Parent != ParentID || a.Images[0].ID != ParentID {
		t.Errorf("archive: got %d images, want %s (tagged) with parent %s", len(a.Images), ImageID, ParentID)
	}
}

func TestReadAr(t *testing.T) {
	ar := "!<arch>\n" +
		"debian-binary   0           0     0     100644  4         `\n" + "2.0\n" +
		"odd             0           0     0     100644  3         `\n" + "abc\n"
	m, err := readAr([]byte(ar))
	if err != nil {
		t.Fatal(err)
	}
	if string(m["debian-binary"]) != "2.0\n" || string(m["odd"]) != "abc" {
		t.Errorf("got %q, want debian-binary 2.0 and odd abc", m)
	}
	for _, bad := range []string{"not an archive", "!<arch>\nx               0           0     0     100644  99        `\nshort"} {
		if _, err := readAr([]byte(bad)); err == nil {
			t.Errorf("readAr(%q): got no error", bad)
		}
	}
}
