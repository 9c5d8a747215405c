package busybox

import (
	"io/fs"
	"testing"

	"github.com/twinbox-dev/twinbox/wasm/sim/applets/internal/testroot"
	"github.com/twinbox-dev/twinbox/wasm/sim/kernel"
	"github.com/twinbox-dev/twinbox/wasm/sim/sys"
	"github.com/twinbox-dev/twinbox/wasm/sim/vfs"
)

// mount puts a new tree holding files at target of the machine's mount
// namespace.
func (m *machine) mount(t *testing.T, target string, files map[string]testroot.File, ro bool) {
	t.Helper()
	tree := vfs.NewTree(m.clock.Now)
	if err := testroot.Build(tree, files); err != nil {
		t.Fatal(err)
	}
	ns, ok := m.ns.Mount.FS().(*vfs.Namespace)
	if !ok {
		t.Fatalf("mount namespace is %T", m.ns.Mount.FS())
	}
	if err := ns.Mount(target, tree, vfs.MountOptions{ReadOnly: ro, Type: "ext4"}); err != nil {
		t.Fatal(err)
	}
}

// TestMounts: a read-only bind mount (the reference's -v $PWD/host:/h:ro)
// and mv and cp across filesystems, where rename(2) fails with EXDEV and
// mv copies then removes.
func TestMounts(t *testing.T) {
	tests := []struct {
		name, script, stdout, stderr string
		status                       int
	}{
		{"read-only", "cat /h/file; touch /h/new", "from-host\n", "touch: /h/new: Read-only file system\n", 1},
		{"read-only rm", "rm /h/file; mkdir /h/d; echo x > /h/f", "", "rm: can't remove '/h/file': Read-only file system\nmkdir: can't create directory '/h/d': Read-only file system\nsh: can't create /h/f: Read-only file system\n", 1},
		{"mv file across", "mv /data/hello.txt /mnt/; cat /mnt/hello.txt; ls /data/hello.txt", "hello\n", "ls: /data/hello.txt: No such file or directory\n", 1},
		{"mv dir across", "mv /data/sub /mnt/sub; ls -R /mnt/sub; ls -l /mnt/sub/nested.txt; ls /data/sub", "/mnt/sub:\ndeeper\nnested.txt\n\n/mnt/sub/deeper:\nleaf\n-rw-------    1 root     root            12 Jan  2  2023 /mnt/sub/nested.txt\n", "ls: /data/sub: No such file or directory\n", 1},
		{"mv onto read-only", "mv /data/hello.txt /h/", "", "mv: can't create '/h/hello.txt': Read-only file system\n", 1},
		{"cp across", "cp -a /data/sub /mnt/c; ls /mnt/c", "deeper\nnested.txt\n", "", 0},
		{"ln across", "ln /data/hello.txt /mnt/h", "", "ln: /mnt/h: Invalid cross-device link\n", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := fixture()
			files["/h"] = testroot.File{Mode: fs.ModeDir | 0o755}
			files["/mnt"] = testroot.File{Mode: fs.ModeDir | 0o755}
			m := newMachine(t, files, start)
			m.mount(t, "/h", map[string]testroot.File{"/file": {Mode: 0o644, Content: "from-host\n"}}, true)
			m.mount(t, "/mnt", map[string]testroot.File{}, false)
			o := m.run(tt.script, nil)
			if o.stdout != tt.stdout || o.stderr != tt.stderr || o.status != tt.status {
				t.Errorf("$ %s\ngot  %q %q %d\nwant %q %q %d", tt.script, o.stdout, o.stderr, o.status, tt.stdout, tt.stderr, tt.status)
			}
		})
	}
}

// TestUser runs the reference's greet image as USER nobody in WORKDIR
// /app: a #! script through the kernel, $(cat ...), and permission checks.
func TestUser(t *testing.T) {
	files := fixture()
	files["/app"] = testroot.File{Mode: fs.ModeDir | 0o755}
	files["/app/version"] = testroot.File{Mode: 0o644, Content: "v1\n"}
	files["/usr/bin/greet"] = testroot.File{Mode: 0o755, Content: "#!/bin/sh\necho hello $1 from $(cat version)\n"}
	m := newMachine(t, files, start)
	tests := []struct {
		args           []string
		stdout, stderr string
		status         int
	}{
		{[]string{"/usr/bin/greet", "world"}, "hello world from v1\n", "", 0},
		{[]string{"sh", "-c", "id; touch /root/x; touch /tmp/ok; ls -l /tmp/ok; cat /data/sub/nested.txt"},
			"uid=65534(nobody) gid=65534(nogroup)\n-rw-r--r--    1 nobody   nogroup          0 Mar  4 05:06 /tmp/ok\n",
			"touch: /root/x: Permission denied\ncat: can't open '/data/sub/nested.txt': Permission denied\n", 1},
	}
	for _, tt := range tests {
		t.Run(tt.args[0], func(t *testing.T) {
			var stdout, stderr syncBuffer
			ns := m.ns
			ns.PID = m.k.NewPIDNamespace(nil)
			p, err := m.k.Spawn(kernel.Attr{Args: tt.args, Env: []string{testPath, "HOME=/home"}, Dir: "/app",
				Cred: sys.Cred{UID: 65534, GID: 65534}, NS: &ns, Setsid: true, Stdout: &stdout, Stderr: &stderr})
			if err != nil {
				t.Fatal(err)
			}
			if st := p.Wait(); st != tt.status {
				t.Errorf("status: got %d, want %d", st, tt.status)
			}
			if got := stdout.String(); got != tt.stdout {
				t.Errorf("stdout: got %q, want %q", got, tt.stdout)
			}
			if got := stderr.String(); got != tt.stderr {
				t.Errorf("stderr: got %q, want %q", got, tt.stderr)
			}
		})
	}
}
