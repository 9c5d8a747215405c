package buildcontext

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"strings"
	"testing"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

// ent describes one tar entry: "name" file with data, "name/" directory,
// "name -> target" symlink, "name => target" hard link.
type ent struct{ spec, data string }

func mkTar(t testing.TB, ents ...ent) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range ents {
		h := &tar.Header{Name: e.spec, Mode: 0o644, Typeflag: tar.TypeReg, Size: int64(len(e.data))}
		switch {
		case strings.Contains(e.spec, " -> "):
			h.Name, h.Linkname, _ = strings.Cut(e.spec, " -> ")
			h.Typeflag, h.Size, h.Mode = tar.TypeSymlink, 0, 0o777
		case strings.Contains(e.spec, " => "):
			h.Name, h.Linkname, _ = strings.Cut(e.spec, " => ")
			h.Typeflag, h.Size = tar.TypeLink, 0
		case strings.HasSuffix(e.spec, "/"):
			h.Typeflag, h.Size, h.Mode = tar.TypeDir, 0, 0o755
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			tw.Write([]byte(e.data))
		}
	}
	tw.Close()
	return buf.Bytes()
}

func TestReadCLIContext(t *testing.T) {
	data, err := os.ReadFile("testdata/cli-context.tar")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Read(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path     string
		resolved string
		hash     string // prefix of SourceHash
	}{
		{"greet.sh", "greet.sh", "file:"},
		{"sub/l", "greet.sh", "file:"},
		{"abs", "etc/passwd", ""}, // in scope, and absent
		{"sub", "sub", "dir:"},
		{"./sub/../greet.sh", "greet.sh", "file:"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			r, err := c.Resolve(tt.path)
			if err != nil || r != tt.resolved {
				t.Errorf("got Resolve %q, %v; want %q", r, err, tt.resolved)
			}
			h, err := c.SourceHash(tt.path)
			if tt.hash == "" {
				if !backend.IsNotFound(err) {
					t.Errorf("got hash %q, %v; want NotFound", h, err)
				}
				return
			}
			if err != nil || !strings.HasPrefix(h, tt.hash) {
				t.Errorf("got hash %q, %v; want a %s hash", h, err, tt.hash)
			}
		})
	}
	// A link hashes as the file it leads to.
	if a, b := c.Hash("sub/l"), c.Hash("greet.sh"); a != b {
		t.Errorf("got hash %s for the link, want %s (its target's)", a, b)
	}
	if got := strings.Join(c.Paths(), " "); got != ".dockerignore Dockerfile abs fifo greet.sh keep.d keep.d/k sub sub/a sub/b sub/b/c sub/b.log sub/l" {
		t.Errorf("got paths %q", got)
	}
	c.Remove("Dockerfile")
	if _, err := c.ReadFile("Dockerfile"); err == nil {
		t.Errorf("got the Dockerfile after Remove, want it gone")
	}
}

func TestReadNames(t *testing.T) {
	tests := []struct {
		name    string
		tar     []byte
		want    string // "path=data" pairs of regular files, in walk order
		wantErr string
	}{
		{name: "dotdot confined", tar: mkTar(t, ent{"../evil", "x"}, ent{"Dockerfile", "FROM a"}), want: "Dockerfile=FROM a evil=x"},
		{name: "absolute confined", tar: mkTar(t, ent{"/abs/f", "x"}), want: "abs/f=x"},
		{name: "later replaces", tar: mkTar(t, ent{"d/f", "1"}, ent{"d", "file now"}), want: "d=file now"},
		{name: "dir keeps content", tar: mkTar(t, ent{"d/f", "1"}, ent{"d/", ""}), want: "d/f=1"},
		{name: "hard link", tar: mkTar(t, ent{"a", "same"}, ent{"b => a", ""}), want: "a=same b=same"},
		{name: "symlink out is kept", tar: mkTar(t, ent{"l -> ../../etc", ""}), want: ""},
		{name: "below symlink", tar: mkTar(t, ent{"l -> /tmp", ""}, ent{"l/x", "x"}),
			wantErr: "Error processing tar file(exit status 1): open /l/x: lies below symlink /l"},
		{name: "hard link out", tar: mkTar(t, ent{"h => ../../etc/passwd", ""}),
			wantErr: "Error processing tar file(exit status 1): link /etc/passwd /h: no such file or directory"},
		{name: "below a file", tar: mkTar(t, ent{"f", "x"}, ent{"f/g", "y"}),
			wantErr: "Error processing tar file(exit status 1): open /f/g: not a directory"},
		{name: "garbage", tar: bytes.Repeat([]byte("not a tar "), 100), wantErr: "archive/tar: invalid tar header"},
		{name: "truncated", tar: mkTar(t, ent{"Dockerfile", strings.Repeat("FROM a\n", 200)})[:700],
			wantErr: "Error processing tar file(exit status 1): unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Read(bytes.NewReader(tt.tar))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("got error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range c.Paths() {
				f, _ := c.File(p)
				if f.Header.Typeflag == tar.TypeReg {
					got = append(got, p+"="+string(f.Data))
				}
			}
			if g := strings.Join(got, " "); g != tt.want {
				t.Errorf("got files %q, want %q", g, tt.want)
			}
		})
	}
}

func TestReadCompressed(t *testing.T) {
	raw := mkTar(t, ent{"Dockerfile", "FROM busybox\n"})
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(raw)
	zw.Close()
	c, err := Read(&gz)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := c.ReadFile("Dockerfile"); err != nil || string(b) != "FROM busybox\n" {
		t.Errorf("got %q, %v; want the Dockerfile", b, err)
	}
}

func TestResolveLoop(t *testing.T) {
	c, err := Read(bytes.NewReader(mkTar(t, ent{"a -> b", ""}, ent{"b -> a", ""})))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Resolve("a"); err == nil {
		t.Errorf("got no error resolving a symlink loop, want too many links")
	}
}

// FuzzRead feeds arbitrary bytes to Read: it must return a context or an
// error, never panic, and every path it keeps must be clean and inside the
// root, with symlink resolution staying inside too.
func FuzzRead(f *testing.F) {
	f.Add(mkTar(f, ent{"Dockerfile", "FROM busybox\n"}, ent{"sub/", ""}, ent{"sub/l -> ../Dockerfile", ""}))
	f.Add(mkTar(f, ent{"../x", "x"}, ent{"/y", "y"}, ent{"l -> /etc", ""}, ent{"h => x", ""}))
	f.Add(mkTar(f, ent{"a -> b", ""}, ent{"b -> a/c", ""}))
	if data, err := os.ReadFile("testdata/cli-context.tar"); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Read(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, p := range c.Paths() {
			if p == "" || strings.HasPrefix(p, "/") || p == ".." || strings.HasPrefix(p, "../") || strings.Contains(p, "/../") {
				t.Fatalf("path %q escapes the root", p)
			}
			if r, err := c.Resolve(p); err == nil && (strings.HasPrefix(r, "..") || strings.HasPrefix(r, "/")) {
				t.Fatalf("path %q resolves to %q, outside the root", p, r)
			}
			c.SourceHash(p)
		}
	})
}
