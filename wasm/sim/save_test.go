package sim

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/wasm/sim/vfs"
)

func TestSaveLoad(t *testing.T) {
	m := newMachine(t)
	// A volume with data, a committed layer, a stopped container with
	// changes (a new file, a changed one, a deletion, an opaque
	// directory) and a running one.
	if _, err := m.b.CreateVolume(m.ctx, "v"); err != nil {
		t.Fatal(err)
	}
	s := spec("write", "/data/f", "in volume")
	s.Mounts = []backend.Mount{{Type: "volume", Source: "v", Destination: "/data"}}
	m.run(t, m.create(t), s)

	changed := m.create(t)
	m.run(t, changed, spec("write", "/etc/passwd", "root2"))
	m.run(t, changed, spec("write", "/root/new", "x"))
	if err := m.b.containers[changed].rootfs.Remove("/etc/group"); err != nil {
		t.Fatal(err)
	}
	opq := m.create(t)
	u := m.b.containers[opq].rootfs
	if err := vfs.RemoveAll(u, "/bin"); err != nil {
		t.Fatal(err)
	}
	if err := u.Mkdir("/bin", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := u.Symlink("/nowhere", "/bin/link"); err != nil {
		t.Fatal(err)
	}
	committed, err := m.b.CommitRootfs(m.ctx, changed)
	if err != nil {
		t.Fatal(err)
	}
	running := m.create(t)
	p, _ := m.start(t, running, spec("sleep", "300s"))
	if err := m.b.CreateNetwork(m.ctx, backend.Network{ID: "n1", Bridge: "br-n1"}); err != nil {
		t.Fatal(err)
	}
	wantChanges, _ := m.b.Changes(m.ctx, changed)

	var saved bytes.Buffer
	if err := m.b.Save(&saved); err != nil {
		t.Fatal(err)
	}
	t.Logf("saved state: %d bytes", saved.Len())
	b, err := Load(bytes.NewReader(saved.Bytes()), Options{Registry: testPrograms})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	p.Signal(backend.SIGKILL)
	wait(t, p)

	if got := readHost(t, b, "/var/lib/docker/volumes/v/_data/f"); got != "in volume\n" {
		t.Errorf("volume: got %q", got)
	}
	if got := readHost(t, b, "/etc/hostname"); got != "twinbox\n" {
		t.Errorf("host file: got %q", got)
	}
	for _, id := range []string{m.base.ChainID, committed.ChainID} {
		l, err := b.Layer(m.ctx, id)
		want, _ := m.b.Layer(m.ctx, id)
		if err != nil || l != want {
			t.Errorf("layer %s: got %+v %v, want %+v", id, l, err, want)
		}
		if l.DiffID != b.layers[id].vl.DiffID() {
			t.Errorf("layer %s: the loaded content's DiffID differs", id)
		}
	}
	gotChanges, err := b.Changes(m.ctx, changed)
	if err != nil || formatChanges(gotChanges) != formatChanges(wantChanges) {
		t.Errorf("diff after load: got %q %v, want %q", formatChanges(gotChanges), err, formatChanges(wantChanges))
	}
	if got := formatChanges(wantChanges); !strings.Contains(got, "D /etc/group") || !strings.Contains(got, "A /root/new") {
		t.Errorf("the saved container lacks the changes the test made: %q", got)
	}
	// The running container ended with the machine.
	r, err := b.Restore(m.ctx, running, backend.Stdio{})
	if err != nil {
		t.Fatal(err)
	}
	if got := wait(t, r); got != 255 {
		t.Errorf("restore after load: got %d, want 255", got)
	}
	// The loaded machine works: containers start, see their files.
	if code, out := runOn(t, b, changed, spec("cat", "/etc/passwd", "/root/new")); code != 0 || out != "root2\nx\n" {
		t.Errorf("run after load: got %d %q", code, out)
	}
	ou := b.containers[opq].rootfs
	if target, err := ou.Readlink("/bin/link"); err != nil || target != "/nowhere" {
		t.Errorf("opaque /bin after load: got %q %v", target, err)
	}
	if _, err := ou.Lstat("/bin/cat"); err == nil {
		t.Errorf("opaque /bin after load shows the image's /bin/cat")
	}
	if got, want := formatChanges(must2(b.Changes(m.ctx, opq))), formatChanges(must2(m.b.Changes(m.ctx, opq))); got != want {
		t.Errorf("diff of the opaque directory after load: got %q, want %q", got, want)
	}
	if br, ok := b.net.Bridge("br-n1"); !ok || br.Link.Name != "br-n1" {
		t.Error("the network's bridge is not on the loaded host")
	}
	if err := b.CreateNetwork(m.ctx, backend.Network{ID: "n1", Bridge: "br-n1"}); !backend.IsConflict(err) {
		t.Errorf("network after load: got %v, want it there", err)
	}
	if _, err := Load(strings.NewReader("garbage"), Options{}); backend.CodeOf(err) != backend.InvalidParameter {
		t.Errorf("load of garbage: got %v, want InvalidParameter", err)
	}
}

func runOn(t *testing.T, b *Backend, id string, s *backend.Spec) (int, string) {
	t.Helper()
	out := &syncBuffer{}
	p, err := b.Start(b.k.Init().Context(), id, s, backend.Stdio{Stdout: out, Stderr: out})
	if err != nil {
		t.Fatal(err)
	}
	return wait(t, p), out.String()
}

func must2[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestSaveShortensBinaries: simulated binaries (a head, then megabytes of
// zeros) on the host and in a container's layer are saved as their heads
// and loaded whole, with their times; a file that only looks like one
// (something after the zeros) is saved as it is.
func TestSaveShortensBinaries(t *testing.T) {
	m := newMachine(t)
	bin := simulatedBinary("tool", hostBinarySize)
	almost := simulatedBinary("fake", hostBinarySize)
	almost[len(almost)-1] = 1
	mtime := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	for p, data := range map[string][]byte{"/usr/local/bin/tool": bin, "/usr/local/bin/fake": almost} {
		if err := vfs.WriteFile(m.b.host, p, data, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := m.b.host.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	id := m.create(t)
	if err := vfs.WriteFile(m.b.containers[id].rootfs, "/root/copy", bin, 0o700); err != nil {
		t.Fatal(err)
	}

	var saved bytes.Buffer
	if err := m.b.Save(&saved); err != nil {
		t.Fatal(err)
	}
	b, err := Load(bytes.NewReader(saved.Bytes()), Options{Registry: testPrograms})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		fsys vfs.FS
		path string
		want []byte
	}{
		{b.host, "/usr/local/bin/tool", bin},
		{b.host, "/usr/local/bin/fake", almost},
		{b.containers[id].rootfs, "/root/copy", bin},
	} {
		got, err := vfs.ReadFile(c.fsys, c.path)
		if err != nil || !bytes.Equal(got, c.want) {
			t.Errorf("%s after Load: %d bytes, %v; want %d bytes as saved", c.path, len(got), err, len(c.want))
		}
	}
	if fi, err := b.host.Lstat("/usr/local/bin/tool"); err != nil || !fi.ModTime().Equal(mtime) || fi.Mode().Perm() != 0o755 {
		t.Errorf("tool after Load: %v, %v; want mode 0755 and mtime %v", fi, err, mtime)
	}

	// What was saved: the heads, and sim.json's list of them.
	files, err := readSaved(bytes.NewReader(saved.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var st savedState
	if err := json.Unmarshal(files["sim.json"], &st); err != nil {
		t.Fatal(err)
	}
	if g := st.grown("host.tar"); g["usr/local/bin/tool"] != hostBinarySize || g["usr/local/bin/fake"] != 0 {
		t.Errorf("host.tar's grown files: %v", g)
	}
	if g := st.grown("containers/" + id + ".tar"); g["root/copy"] != hostBinarySize {
		t.Errorf("the container's grown files: %v", g)
	}
	if n := len(files["host.tar"]); n > 2*hostBinarySize { // fake whole, tool shortened
		t.Errorf("host.tar is %d bytes: the binaries were not shortened", n)
	}
}

// TestElideZeros: a tar's long runs of zeros are left out and put back
// byte for byte, wherever they are; short runs stay.
func TestElideZeros(t *testing.T) {
	mk := func(parts ...any) []byte {
		var b []byte
		for _, p := range parts {
			switch p := p.(type) {
			case int:
				b = append(b, make([]byte, p)...)
			case string:
				b = append(b, p...)
			}
		}
		return b
	}
	for _, data := range [][]byte{
		nil,
		mk("abc"),
		mk(minHole),
		mk(minHole - 1),
		mk("x", 3*minHole, "y"),
		mk(zeroBlock-1, "x", 2*minHole+zeroBlock/2, "y", minHole-zeroBlock, "z", 5*minHole),
	} {
		packed, holes := elideZeros(data)
		got, err := fillHoles(packed, int64(len(data)), holes)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%d bytes, holes %v: got %d bytes back, %v", len(data), holes, len(got), err)
		}
		if len(data) >= 3*minHole && len(packed) > len(data)-2*minHole {
			t.Errorf("%d bytes packed to %d", len(data), len(packed))
		}
	}
	for _, bad := range []struct {
		size  int64
		holes [][2]int64
	}{
		{10, [][2]int64{{5, 10}}},
		{10, [][2]int64{{2, 2}, {1, 2}}},
		{10, [][2]int64{{2, 0}}},
		{1, nil},
		{-1, nil},
	} {
		if _, err := fillHoles([]byte("abcd"), bad.size, bad.holes); err == nil {
			t.Errorf("size %d, holes %v: no error", bad.size, bad.holes)
		}
	}
}

// FuzzFillHoles: whatever a saved state says, fillHoles errs or returns a
// tar of the size it says; it never panics.
func FuzzFillHoles(f *testing.F) {
	f.Add([]byte("abcd"), int64(10), int64(2), int64(6))
	f.Add([]byte{}, int64(0), int64(0), int64(0))
	f.Fuzz(func(t *testing.T, packed []byte, size, off, n int64) {
		size %= 1 << 20
		raw, err := fillHoles(packed, size, [][2]int64{{off, n}})
		if err == nil && int64(len(raw)) != size {
			t.Fatalf("got %d bytes for a size of %d", len(raw), size)
		}
	})
}
