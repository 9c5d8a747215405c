package native

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
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

// fixture is a native backend with the busybox layer and helpers to run
// containers on it.
type fixture struct {
	t    *testing.T
	b    *Backend
	root string
	base string
	n    int
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: the native backend uses namespaces, overlayfs, cgroups and netlink")
	}
	data, err := testrootfs.Tar()
	if err != nil {
		t.Skip(err)
	}
	root := filepath.Join(t.TempDir(), "root")
	b, err := New(Options{Root: root, CgroupParent: "twinbox-test-native", DefaultBridge: testBridge})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		b.Close()
		b.cg.RemoveParent()
	})
	l, err := b.ApplyLayer(context.Background(), "", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, b: b, root: root, base: l.ChainID}
}

type buffer struct {
	mu chanMutex
	b  bytes.Buffer
}

type chanMutex chan struct{}

func (b *buffer) Write(p []byte) (int, error) {
	b.lock()
	defer b.unlock()
	return b.b.Write(p)
}

func (b *buffer) String() string {
	b.lock()
	defer b.unlock()
	return b.b.String()
}

func (b *buffer) lock() {
	if b.mu == nil {
		b.mu = make(chanMutex, 1)
	}
	b.mu <- struct{}{}
}

func (b *buffer) unlock() { <-b.mu }

func (f *fixture) create() string {
	f.n++
	id := fmt.Sprintf("%064x", f.n)
	if err := f.b.CreateRootfs(context.Background(), id, f.base); err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { f.b.RemoveRootfs(context.Background(), id) })
	return id
}

func spec(args ...string) *backend.Spec {
	return &backend.Spec{
		Process: backend.ProcessSpec{Args: args, Env: []string{"PATH=/bin"}, Cwd: "/"},
		Network: backend.NetworkSpec{Mode: "none"},
		Files:   map[string][]byte{"/etc/hosts": []byte("127.0.0.1\tlocalhost\n"), "/etc/hostname": []byte("h\n"), "/etc/resolv.conf": []byte("nameserver 8.8.8.8\n")},
	}
}

// start starts spec in container id; the process is killed at the end.
func (f *fixture) start(id string, s *backend.Spec, stdio backend.Stdio) backend.Process {
	p, err := f.b.Start(context.Background(), id, s, stdio)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() {
		p.Signal(backend.SIGKILL)
		p.Wait(context.Background())
	})
	return p
}

func wait(t *testing.T, p backend.Process) backend.ExitStatus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := p.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func (f *fixture) run(id string, s *backend.Spec) (string, int) {
	var out buffer
	p := f.start(id, s, backend.Stdio{Stdout: &out, Stderr: &out})
	st := wait(f.t, p)
	return out.String(), st.Code
}

// TestMountsAndDiff: the files Docker bind-mounts are not in docker diff,
// volume mount points are; read-only binds are read-only; a new volume gets
// the image's content.
func TestMountsAndDiff(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	host := t.TempDir()
	os.WriteFile(filepath.Join(host, "file"), []byte("from-host\n"), 0o644)
	if _, err := f.b.CreateVolume(ctx, "v1"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.b.CreateVolume(ctx, "v1"); !backend.IsConflict(err) {
		t.Errorf("second CreateVolume: got %v, want Conflict", err)
	}
	if _, err := f.b.CreateVolume(ctx, "etcvol"); err != nil {
		t.Fatal(err)
	}
	s := spec("sh", "-c", "cat /etc/hostname /h/file; touch /h/new 2>&1; echo in-volume > /data/f; touch /outside; ls /etcv")
	s.Mounts = []backend.Mount{
		{Type: "bind", Source: host, Destination: "/h", ReadOnly: true},
		{Type: "volume", Source: "v1", Destination: "/data"},
		{Type: "volume", Source: "etcvol", Destination: "/etcv", CopyUp: true},
		{Type: "tmpfs", Destination: "/tmp"},
	}
	id := f.create()
	// /etcv exists in the image for the copy-up: make it through CopyIn.
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	tw.WriteHeader(&tar.Header{Name: "etcv/", Typeflag: tar.TypeDir, Mode: 0o700, Uid: 1000, Gid: 1000})
	tw.WriteHeader(&tar.Header{Name: "etcv/seed", Typeflag: tar.TypeReg, Mode: 0o644, Size: 2})
	tw.Write([]byte("s\n"))
	tw.Close()
	if err := f.b.CopyIn(ctx, id, "/", &tb, backend.CopyOptions{}); err != nil {
		t.Fatal(err)
	}
	out, code := f.run(id, s)
	want := "h\nfrom-host\ntouch: /h/new: Read-only file system\nseed\n"
	if out != want || code != 0 {
		t.Errorf("got %q exit %d, want %q", out, code, want)
	}
	if data, _ := os.ReadFile(filepath.Join(f.root, "volumes/v1/_data/f")); string(data) != "in-volume\n" {
		t.Errorf("volume content: got %q, want \"in-volume\\n\"", data)
	}
	// The copied-up volume's root has the image folder's owner and mode.
	var st unix.Stat_t
	if err := unix.Stat(filepath.Join(f.root, "volumes/etcvol/_data"), &st); err != nil || st.Uid != 1000 || st.Gid != 1000 || st.Mode&0o7777 != 0o700 {
		t.Errorf("copied-up volume root: got uid %d gid %d mode %o (%v), want 1000 1000 700", st.Uid, st.Gid, st.Mode&0o7777, err)
	}
	ch, err := f.b.Changes(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range ch {
		got = append(got, c.Kind.String()+" "+c.Path)
	}
	slices.Sort(got)
	if want := []string{"A /data", "A /etcv", "A /etcv/seed", "A /h", "A /outside"}; !slices.Equal(got, want) {
		t.Errorf("diff: got %q, want %q", got, want)
	}
	// Stopped, the archive operations still see the volume.
	rc, err := f.b.CopyOut(ctx, id, "/data/f")
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(rc)
	h, err := tr.Next()
	body, _ := io.ReadAll(tr)
	rc.Close()
	if err != nil || h.Name != "f" || string(body) != "in-volume\n" {
		t.Errorf("CopyOut of a stopped container's volume file: got %v %v %q", h, err, body)
	}
	if err := f.b.RemoveVolume(ctx, "v1"); err != nil {
		t.Fatal(err)
	}
	if err := f.b.RemoveVolume(ctx, "v1"); !backend.IsNotFound(err) {
		t.Errorf("second RemoveVolume: got %v, want NotFound", err)
	}
}

// TestCopyInRunning: a running container's symlinks cannot send `docker cp`
// outside its root, and copies land where the container sees them.
func TestCopyInRunning(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id := f.create()
	victim := t.TempDir()
	// The host path exists inside the container too, so both links resolve.
	f.start(id, spec("sh", "-c", "mkdir -p "+victim+"; ln -s "+victim+" /tmp/out; ln -s / /tmp/up; touch /tmp/ready; sleep 300"), backend.Stdio{})
	for i := 0; i < 500; i++ {
		if _, err := f.b.StatPath(ctx, id, "/tmp/ready"); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, dir := range []string{"/tmp/out", "/tmp/up" + victim} {
		var tb bytes.Buffer
		tw := tar.NewWriter(&tb)
		tw.WriteHeader(&tar.Header{Name: "planted", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1})
		tw.Write([]byte("x"))
		tw.Close()
		if err := f.b.CopyIn(ctx, id, dir, &tb, backend.CopyOptions{}); err != nil {
			t.Errorf("CopyIn to %s: got %v, want the copy inside the container", dir, err)
		}
	}
	if ents, _ := os.ReadDir(victim); len(ents) != 0 {
		t.Errorf("got %d files in the host folder the symlinks name, want 0", len(ents))
	}
	st, err := f.b.StatPath(ctx, id, victim+"/planted")
	if err != nil || st.Size != 1 {
		t.Errorf("the copy inside the container: got %+v, %v", st, err)
	}
	// docker export of the running container: its files, not its mounts.
	rc, err := f.b.ExportRootfs(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]int64{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err != nil {
			if err != io.EOF {
				t.Errorf("export: %v", err)
			}
			break
		}
		names[h.Name] = h.Size
	}
	rc.Close()
	for name, want := range map[string]int64{"proc/": 0, "etc/hosts": 0, "bin/busybox": 1} {
		if size, ok := names[name]; !ok || (want == 0 && size != 0) {
			t.Errorf("export: %s: got size %d (present %v)", name, size, ok)
		}
	}
	if _, ok := names["proc/1/"]; ok {
		t.Errorf("export: got /proc's content, want only the folder")
	}
	st, err = f.b.StatPath(ctx, id, "/tmp/out")
	if err != nil || st.LinkTarget != victim {
		t.Errorf("StatPath of a symlink: got %+v, %v, want link target %s", st, err, victim)
	}
}

// TestDaemonRestart: a container keeps running when the backend goes away;
// a new backend on the same root restores it, or its exit status.
func TestDaemonRestart(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id := f.create()
	p := f.start(id, spec("sh", "-c", "sleep 300; true"), backend.Stdio{})
	if _, err := New(Options{Root: f.root, CgroupParent: "twinbox-test-native"}); err == nil {
		t.Errorf("a second backend on a locked root: got no error, want one")
	}
	f.b.Close()
	b2, err := New(Options{Root: f.root, CgroupParent: "twinbox-test-native", DefaultBridge: testBridge})
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	var out buffer
	p2, err := b2.Restore(ctx, id, backend.Stdio{Stdout: &out})
	if err != nil {
		t.Fatal(err)
	}
	if p2.Pid() != p.Pid() {
		t.Errorf("restored PID: got %d, want %d", p2.Pid(), p.Pid())
	}
	var ps []backend.ProcessInfo
	// Until the shell's child has become sleep (it is "exe" while busybox
	// re-executes itself for the applet).
	for i := 0; i < 500 && (len(ps) < 2 || ps[1].Comm != "sleep"); i++ {
		if ps, err = b2.Processes(ctx, id); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if len(ps) != 2 || ps[0].Comm != "sh" || ps[1].Comm != "sleep" || ps[0].PID != p.Pid() {
		t.Errorf("Processes after restore: got %+v, want sh (PID %d) and its sleep", ps, p.Pid())
	}
	p2.Signal(backend.SIGKILL)
	if st := wait(t, p2); st.Code != 137 {
		t.Errorf("restored process: got exit %d, want 137", st.Code)
	}
	b3, err := New(Options{Root: f.root + "-other", CgroupParent: "twinbox-test-native"})
	if err != nil {
		t.Fatal(err)
	}
	b3.Close()
	if _, err := b2.Start(ctx, strings.Repeat("f", 64), spec("true"), backend.Stdio{}); !backend.IsNotFound(err) {
		t.Errorf("Start without a rootfs: got %v, want NotFound", err)
	}
}

func TestDescribe(t *testing.T) {
	f := newFixture(t)
	d, err := f.b.Describe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if d.Driver != "overlay2" || d.DefaultBridge != testBridge || !d.DefaultSubnet.IsValid() || d.DefaultSubnet.Bits() != 16 ||
		d.RootDir != f.root || d.OSType != "linux" || d.NCPU == 0 || d.CgroupDriver != "cgroupfs" {
		t.Errorf("got %+v, want overlay2 on %s, bridge %s with a /16 subnet", d, f.root, testBridge)
	}
	if b := d.DefaultSubnet.Addr().As4(); b[0] != 172 || b[1] < 17 || b[1] > 31 {
		t.Errorf("default subnet: got %s, want one of 172.17-31.0.0/16", d.DefaultSubnet)
	}
}
