package vfs

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

// fuzzNames are the paths FuzzUnionOps operates on: lower ones (from
// busyboxTree) and new ones, nested.
var fuzzNames = []string{
	"/bin", "/bin/ls", "/bin/busybox", "/etc", "/etc/passwd", "/etc/group", "/home",
	"/usr", "/usr/bin", "/usr/sbin", "/tmp", "/n", "/n/a", "/n/a/b", "/usr/bin/x", "/home/h",
	"/etc/hosts", "/x", "/tmp/t",
}

// applyOps runs the operations data encodes (two bytes each: an
// operation and a path, plus a second path for rename and link) on fsys.
func applyOps(fsys FS, data []byte) {
	for i := 0; i+2 < len(data); i += 3 {
		a := fuzzNames[int(data[i+1])%len(fuzzNames)]
		b := fuzzNames[int(data[i+2])%len(fuzzNames)]
		switch data[i] % 10 {
		case 0:
			fsys.Mkdir(a, 0o755)
		case 1:
			WriteFile(fsys, a, []byte(b), 0o644)
		case 2:
			fsys.Remove(a)
		case 3:
			RemoveAll(fsys, a)
		case 4:
			fsys.Rename(a, b)
		case 5:
			fsys.Link(a, b)
		case 6:
			fsys.Symlink(b, a)
		case 7:
			fsys.Chmod(a, fs.FileMode(data[i+2])&0o777)
		case 8:
			if f, err := fsys.OpenFile(a, os.O_WRONLY|os.O_APPEND, 0); err == nil {
				f.Write([]byte("+"))
				f.Close()
			}
		case 9:
			fsys.Lchown(a, int(data[i+2]%3), -1)
		}
	}
}

// snapshot describes every path of fsys: type, mode, owner, content or
// target.
func snapshot(t *testing.T, fsys FS) string {
	var b strings.Builder
	var walk func(p string)
	walk = func(p string) {
		ents, err := fsys.ReadDir(p)
		if err != nil {
			t.Fatalf("readdir %s: %v", p, err)
		}
		for _, e := range ents {
			cp := joinPath(p, e.Name())
			fi, err := fsys.Lstat(cp)
			if err != nil {
				t.Fatalf("lstat %s: %v", cp, err)
			}
			fmt.Fprintf(&b, "%s %v %d:%d", cp, fi.Mode(), StatOf(fi).UID, StatOf(fi).GID)
			switch {
			case fi.Mode().IsRegular():
				data, err := ReadFile(fsys, cp)
				if err != nil {
					t.Fatalf("read %s: %v", cp, err)
				}
				fmt.Fprintf(&b, " %q", data)
			case fi.Mode()&fs.ModeSymlink != 0:
				l, _ := fsys.Readlink(cp)
				fmt.Fprintf(&b, " -> %s", l)
			}
			b.WriteString("\n")
			if fi.IsDir() {
				walk(cp)
			}
		}
	}
	walk("/")
	return b.String()
}

// FuzzUnionOps runs arbitrary operations in a container and checks that
// committing its read-write layer, writing it as a tar and importing that
// again gives the same files; that every Add and Modify of the diff
// exists and every Delete does not; and that the image stays unchanged.
func FuzzUnionOps(f *testing.F) {
	f.Add([]byte{2, 1, 0, 0, 6, 0, 1, 11, 12})
	f.Add([]byte{3, 6, 0, 0, 6, 0, 4, 15, 11, 4, 11, 6})
	f.Add([]byte{5, 2, 17, 4, 4, 17, 8, 4, 0, 7, 3, 0o177})
	image := NewLayer(nil, busyboxTree(f))
	initL := InitLayer(image, nil)
	before := ""
	f.Fuzz(func(t *testing.T, data []byte) {
		if before == "" {
			before = snapshot(t, NewUnion(initL, nil))
		}
		u := NewUnion(initL, nil)
		applyOps(u, data)
		want := snapshot(t, u)

		raw := &bytes.Buffer{}
		raw.ReadFrom(ExportLayer(u.Commit(initL)))
		l, err := ImportLayer(raw, initL, nil)
		if err != nil {
			t.Fatalf("import of the exported commit: %v", err)
		}
		if got := snapshot(t, NewUnion(l, nil)); got != want {
			t.Fatalf("after commit, export and import:\n%s\nwant\n%s", got, want)
		}
		for _, c := range u.Changes() {
			_, err := u.Lstat(c.Path)
			if (c.Kind == backend.Delete) != (err != nil) {
				t.Fatalf("%v %s: lstat says %v", c.Kind, c.Path, err)
			}
		}
		if got := snapshot(t, NewUnion(initL, nil)); got != before {
			t.Fatalf("the image changed")
		}
	})
}
