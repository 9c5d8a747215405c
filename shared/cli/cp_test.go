package cli

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"testing"
	"time"
)

// memNode is a file, directory or symlink of memCopyFiles.
type memNode struct {
	mode fs.FileMode
	data []byte
	link string
}

// memCopyFiles is an in-memory CopyFiles whose paths resolve symlinks in
// every component but the last, as a kernel does.
type memCopyFiles struct {
	nodes   map[string]*memNode
	created []string // resolved paths made, in order
}

func newMemCopyFiles(dirs ...string) *memCopyFiles {
	m := &memCopyFiles{nodes: map[string]*memNode{"/": {mode: fs.ModeDir | 0o755}}}
	for _, d := range dirs {
		m.nodes[d] = &memNode{mode: fs.ModeDir | 0o755}
	}
	return m
}

// resolve follows symlinks in name's directories.
func (m *memCopyFiles) resolve(name string) (string, error) {
	name = path.Clean(name)
	if name == "/" {
		return name, nil
	}
	dir, base := path.Split(name)
	cur := "/"
	for _, el := range strings.Split(strings.Trim(dir, "/"), "/") {
		if el == "" {
			continue
		}
		next := path.Join(cur, el)
		for hops := 0; ; hops++ {
			n, ok := m.nodes[next]
			if !ok {
				return "", fs.ErrNotExist
			}
			if n.mode&fs.ModeSymlink == 0 {
				break
			}
			if hops > 10 {
				return "", errors.New("too many links")
			}
			if path.IsAbs(n.link) {
				next = path.Clean(n.link)
			} else {
				next = path.Join(cur, n.link)
			}
		}
		if m.nodes[next].mode&fs.ModeDir == 0 {
			return "", errNotDirectory
		}
		cur = next
	}
	return path.Join(cur, base), nil
}

type memInfo struct {
	name string
	n    *memNode
}

func (i memInfo) Name() string       { return path.Base(i.name) }
func (i memInfo) Size() int64        { return int64(len(i.n.data)) }
func (i memInfo) Mode() fs.FileMode  { return i.n.mode }
func (i memInfo) ModTime() time.Time { return time.Unix(0, 0) }
func (i memInfo) IsDir() bool        { return i.n.mode.IsDir() }
func (i memInfo) Sys() any           { return nil }

func (m *memCopyFiles) Lstat(name string) (fs.FileInfo, error) {
	p, err := m.resolve(name)
	if err != nil {
		return nil, &fs.PathError{Op: "lstat", Path: name, Err: err}
	}
	n, ok := m.nodes[p]
	if !ok {
		return nil, &fs.PathError{Op: "lstat", Path: name, Err: fs.ErrNotExist}
	}
	return memInfo{p, n}, nil
}

func (m *memCopyFiles) ReadDir(name string) ([]fs.DirEntry, error) {
	p, err := m.resolve(name)
	if err != nil {
		return nil, err
	}
	var out []fs.DirEntry
	for k, n := range m.nodes {
		if k != "/" && path.Dir(k) == p {
			out = append(out, fs.FileInfoToDirEntry(memInfo{k, n}))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out, nil
}

func (m *memCopyFiles) Readlink(name string) (string, error) {
	p, err := m.resolve(name)
	if err != nil {
		return "", err
	}
	return m.nodes[p].link, nil
}

func (m *memCopyFiles) Open(name string) (io.ReadCloser, error) {
	p, err := m.resolve(name)
	if err != nil {
		return nil, err
	}
	n, ok := m.nodes[p]
	if !ok {
		return nil, fs.ErrNotExist
	}
	return io.NopCloser(bytes.NewReader(n.data)), nil
}

func (m *memCopyFiles) Create(name string) (io.WriteCloser, error) { return m.WriteFile(name, 0o644) }

func (m *memCopyFiles) make(name string, n *memNode) error {
	p, err := m.resolve(name)
	if err != nil {
		return err
	}
	if parent, ok := m.nodes[path.Dir(p)]; !ok || !parent.mode.IsDir() {
		return fs.ErrNotExist
	}
	m.nodes[p] = n
	m.created = append(m.created, p)
	return nil
}

func (m *memCopyFiles) Mkdir(name string, perm fs.FileMode) error {
	return m.make(name, &memNode{mode: fs.ModeDir | perm})
}

type memWriter struct {
	bytes.Buffer
	n *memNode
}

func (w *memWriter) Close() error { w.n.data = w.Bytes(); return nil }

func (m *memCopyFiles) WriteFile(name string, perm fs.FileMode) (io.WriteCloser, error) {
	n := &memNode{mode: perm}
	if err := m.make(name, n); err != nil {
		return nil, err
	}
	return &memWriter{n: n}, nil
}

func (m *memCopyFiles) Symlink(oldname, newname string) error {
	return m.make(newname, &memNode{mode: fs.ModeSymlink | 0o777, link: oldname})
}

func (m *memCopyFiles) Link(oldname, newname string) error {
	p, err := m.resolve(oldname)
	if err != nil {
		return err
	}
	n, ok := m.nodes[p]
	if !ok {
		return fs.ErrNotExist
	}
	return m.make(newname, n)
}

func (m *memCopyFiles) RemoveAll(name string) error {
	p, err := m.resolve(name)
	if err != nil {
		return nil
	}
	for k := range m.nodes {
		if k == p || strings.HasPrefix(k, p+"/") {
			delete(m.nodes, k)
		}
	}
	return nil
}

func (m *memCopyFiles) Chmod(name string, mode fs.FileMode) error  { return nil }
func (m *memCopyFiles) Chtimes(name string, a, mt time.Time) error { return nil }

type tarEntry struct {
	name, link string
	typ        byte
	body       string
}

func makeTar(t testing.TB, entries ...tarEntry) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Linkname: e.link, Typeflag: e.typ, Mode: 0o644, Size: int64(len(e.body))}
		if e.typ != tar.TypeReg {
			h.Size = 0
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

func TestUntarStaysInDestination(t *testing.T) {
	tests := []struct {
		name    string
		entries []tarEntry
		wantErr string
	}{
		{"dot dot", []tarEntry{{name: "../x", typ: tar.TypeReg, body: "x"}}, `"../x" is outside of "/dest"`},
		{"absolute symlink then a file through it", []tarEntry{
			{name: "a", link: "/etc", typ: tar.TypeSymlink},
			{name: "a/passwd", typ: tar.TypeReg, body: "x"},
		}, `"a/passwd" is outside of "/dest"`},
		{"symlink to a sibling folder", []tarEntry{{name: "a", link: "../destination", typ: tar.TypeSymlink}},
			`invalid symlink "/dest/a" -> "../destination"`},
		{"hard link out", []tarEntry{{name: "h", link: "../etc/passwd", typ: tar.TypeLink}},
			`invalid hardlink "/etc/passwd" -> "../etc/passwd"`},
		{"a tree", []tarEntry{{name: "d/", typ: tar.TypeDir}, {name: "d/f", typ: tar.TypeReg, body: "hi"}, {name: "d/l", link: "f", typ: tar.TypeSymlink}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMemCopyFiles("/dest", "/etc", "/destination")
			err := untar(m, bytes.NewReader(makeTar(t, tt.entries...)), "/dest")
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.wantErr {
				t.Errorf("got error %q, want %q", got, tt.wantErr)
			}
			for _, p := range m.created {
				if !strings.HasPrefix(p, "/dest/") {
					t.Errorf("made %s, outside /dest", p)
				}
			}
		})
	}
}

// FuzzUntar extracts arbitrary tars: nothing may be made outside the
// destination, whatever the entries' names and links.
//
//	go test ./shared/cli -run '^$' -fuzz FuzzUntar -fuzztime 1m
func FuzzUntar(f *testing.F) {
	f.Add(makeTar(f, tarEntry{name: "a", link: "/etc", typ: tar.TypeSymlink}, tarEntry{name: "a/p", typ: tar.TypeReg, body: "x"}))
	f.Add(makeTar(f, tarEntry{name: "d/", typ: tar.TypeDir}, tarEntry{name: "d/../../x", typ: tar.TypeReg}))
	f.Add(makeTar(f, tarEntry{name: "l", link: "..", typ: tar.TypeSymlink}, tarEntry{name: "l/x", typ: tar.TypeReg}))
	f.Fuzz(func(t *testing.T, data []byte) {
		m := newMemCopyFiles("/dest", "/etc")
		_ = untar(m, bytes.NewReader(data), "/dest")
		for _, p := range m.created {
			if !strings.HasPrefix(p, "/dest/") {
				t.Fatalf("made %s, outside /dest", p)
			}
		}
	})
}

func TestPrepareArchiveCopy(t *testing.T) {
	tests := []struct {
		name     string
		src, dst copyInfo
		wantDir  string
		wantErr  error
	}{
		{"into a directory", copyInfo{Path: "/a/f"}, copyInfo{Path: "/d", Exists: true, IsDir: true}, "/d", nil},
		{"directory over a file", copyInfo{Path: "/a", IsDir: true}, copyInfo{Path: "/f", Exists: true}, "", errCannotCopyDir},
		{"file to a new path", copyInfo{Path: "/a/f"}, copyInfo{Path: "/d/g"}, "/d", nil},
		{"file to a missing directory", copyInfo{Path: "/a/f"}, copyInfo{Path: "/d/g/"}, "", errDirNotExists},
		{"directory to a new path", copyInfo{Path: "/a/", IsDir: true}, copyInfo{Path: "/d/new"}, "/d", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, _, err := prepareArchiveCopy(bytes.NewReader(nil), tt.src, tt.dst)
			if dir != tt.wantDir || !errors.Is(err, tt.wantErr) {
				t.Errorf("got %q, %v; want %q, %v", dir, err, tt.wantDir, tt.wantErr)
			}
		})
	}
}

func TestSplitCpArg(t *testing.T) {
	for _, tt := range []struct{ arg, ctr, path string }{
		{"web:/etc", "web", "/etc"},
		{"/abs:x", "", "/abs:x"},
		{"./rel:x", "", "./rel:x"},
		{"file", "", "file"},
		{"web:", "web", ""},
	} {
		if c, p := splitCpArg(tt.arg); c != tt.ctr || p != tt.path {
			t.Errorf("splitCpArg(%q) = %q, %q; want %q, %q", tt.arg, c, p, tt.ctr, tt.path)
		}
	}
}
