package buildcontext

import (
	"archive/tar"
	"bytes"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// mapFS is an FS over fstest.MapFS rooted at "/": a symlink is a file of
// mode fs.ModeSymlink whose Data is its target.
type mapFS struct{ m fstest.MapFS }

func (f mapFS) rel(name string) string {
	r := strings.TrimPrefix(path.Clean(name), "/")
	if r == "" {
		return "."
	}
	return r
}

func (f mapFS) Lstat(name string) (fs.FileInfo, error) { return f.m.Lstat(f.rel(name)) }

func (f mapFS) ReadDir(name string) ([]fs.DirEntry, error) { return fs.ReadDir(f.m, f.rel(name)) }

func (f mapFS) Readlink(name string) (string, error) { return f.m.ReadLink(f.rel(name)) }

func (f mapFS) Open(name string) (io.ReadCloser, error) { return f.m.Open(f.rel(name)) }

// fsFromTar returns a map FS holding, under dir, the files a tar
// describes, with their modes and times.
func fsFromTar(t *testing.T, data []byte, dir string) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return m
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(tr)
		mode := h.FileInfo().Mode()
		if h.Typeflag == tar.TypeSymlink {
			body = []byte(h.Linkname)
		}
		m[path.Join(dir, strings.TrimSuffix(h.Name, "/"))] = &fstest.MapFile{Data: body, Mode: mode, ModTime: h.ModTime}
	}
}

// TestWriteAsDockerCLI checks Write against testdata/cli-context.tar, the
// context docker CLI 28.2.2 sent for a folder holding a setuid script, a
// fifo, relative and absolute symlinks, a file with a fractional mtime and
// a .dockerignore that excludes a folder, *.log with an exception, and the
// Dockerfile (which the CLI keeps).
func TestWriteAsDockerCLI(t *testing.T) {
	want, err := os.ReadFile("testdata/cli-context.tar")
	if err != nil {
		t.Fatal(err)
	}
	m := fsFromTar(t, want, "ctx")
	// What .dockerignore leaves out.
	mtime := time.Unix(1795433816, 0)
	m["ctx/a.log"] = &fstest.MapFile{Data: []byte("l\n"), Mode: 0o644, ModTime: mtime}
	m["ctx/node_modules"] = &fstest.MapFile{Mode: fs.ModeDir | 0o755, ModTime: mtime}
	m["ctx/node_modules/x"] = &fstest.MapFile{Mode: fs.ModeDir | 0o755, ModTime: mtime}
	m["ctx/node_modules/x/m"] = &fstest.MapFile{Data: []byte("m\n"), Mode: 0o644, ModTime: mtime}
	// A sub-second mtime the CLI truncates.
	m["ctx/sub/a"].ModTime = m["ctx/sub/a"].ModTime.Add(678 * time.Millisecond)
	fsys := mapFS{m}

	excludes, err := ReadDockerignore(fsys, "/ctx")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(excludes, ","), "node_modules,*.log,!sub/*.log,Dockerfile"; got != want {
		t.Fatalf("got patterns %q, want %q", got, want)
	}
	excludes = TrimBuildFilesFromExcludes(excludes, "Dockerfile", false)
	if err := ValidateDir(fsys, "/ctx", excludes); err != nil {
		t.Fatalf("ValidateDir: %v", err)
	}
	var got bytes.Buffer
	if err := Write(&got, fsys, "/ctx", excludes); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("got a tar of %d bytes listing %v, want the CLI's %d bytes listing %v",
			got.Len(), names(t, got.Bytes()), len(want), names(t, want))
	}
}

func names(t *testing.T, data []byte) []string {
	var out []string
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if err != nil {
			return out
		}
		out = append(out, h.Name)
	}
}

func TestWriteExclusions(t *testing.T) {
	mtime := time.Unix(1700000000, 0)
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s), Mode: 0o644, ModTime: mtime} }
	dir := &fstest.MapFile{Mode: fs.ModeDir | 0o755, ModTime: mtime}
	m := fstest.MapFS{
		"c":                dir,
		"c/Dockerfile":     file("FROM x\n"),
		"c/a":              dir,
		"c/a/keep.txt":     file("k"),
		"c/a/drop.txt":     file("d"),
		"c/b":              dir,
		"c/b/x":            file("x"),
		"c/b-c":            file("bc"),
		"c/.dockerignore":  file("a\n!a/keep.txt\nb\n.dockerignore\n"),
		"c/deep":           dir,
		"c/deep/er":        dir,
		"c/deep/er/f.tmp":  file("t"),
		"c/deep/er/f.keep": file("k"),
	}
	tests := []struct {
		name     string
		patterns []string
		want     string
	}{
		{"none", nil, ".dockerignore Dockerfile a/ a/drop.txt a/keep.txt b/ b/x b-c deep/ deep/er/ deep/er/f.keep deep/er/f.tmp"},
		{"dir with exception", []string{"a", "!a/keep.txt"}, ".dockerignore Dockerfile a/keep.txt b/ b/x b-c deep/ deep/er/ deep/er/f.keep deep/er/f.tmp"},
		{"double star", []string{"**/*.tmp"}, ".dockerignore Dockerfile a/ a/drop.txt a/keep.txt b/ b/x b-c deep/ deep/er/ deep/er/f.keep"},
		{"everything but", []string{"*", "!Dockerfile"}, "Dockerfile"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, mapFS{m}, "/c", tt.patterns); err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(names(t, buf.Bytes()), " "); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestValidateDirErrors(t *testing.T) {
	err := ValidateDir(mapFS{fstest.MapFS{}}, "/nosuch", nil)
	if err == nil || err.Error() != "file ('/nosuch') not found or excluded by .dockerignore" {
		t.Errorf("got %v, want the CLI's not-found error", err)
	}
}
