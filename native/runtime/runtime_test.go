package runtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twinbox-dev/twinbox/native/cgroup"
	"github.com/twinbox-dev/twinbox/native/internal/testrootfs"
	"github.com/twinbox-dev/twinbox/native/storage"
	"github.com/twinbox-dev/twinbox/shared/backend"
)

func TestMain(m *testing.M) {
	Init() // the re-executed test binary is the monitor and the init
	os.Exit(m.Run())
}

// env is a runtime over a fresh storage root with the busybox image.
type env struct {
	t     testing.TB
	store *storage.Store
	rt    *Runtime
	base  string
	n     int
}

func newEnv(t testing.TB) *env {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: namespaces, overlayfs, cgroups")
	}
	if !haveHelpers {
		t.Skip("needs cgo for the runtime's C helpers")
	}
	data, err := testrootfs.Tar()
	if err != nil {
		t.Skip(err)
	}
	st, err := storage.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	l, err := st.ApplyLayer("", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	cg, err := cgroup.NewManager("twinbox-test")
	if err != nil {
		t.Skip(err)
	}
	t.Cleanup(cg.RemoveParent)
	return &env{t: t, store: st, rt: New(st, cg), base: l.ChainID}
}

func (e *env) newID() string {
	e.n++
	return fmt.Sprintf("%064x", e.n)
}

// buffer is a bytes.Buffer safe for the runtime's copying goroutines.
type buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// run creates a container, runs spec in it to the end and removes it.
func (e *env) run(spec *backend.Spec) (stdout, stderr string, code int, err error) {
	id := e.newID()
	if err := e.store.CreateRootfs(id, e.base); err != nil {
		e.t.Fatal(err)
	}
	defer e.store.RemoveRootfs(id)
	var out, errb buffer
	p, err := e.rt.Start(context.Background(), id, spec, backend.Stdio{Stdout: &out, Stderr: &errb})
	if err != nil {
		return "", "", -1, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := p.Wait(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	return out.String(), errb.String(), st.Code, nil
}

func spec(args ...string) *backend.Spec {
	return &backend.Spec{
		Process:  backend.ProcessSpec{Args: args, Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}, Cwd: "/"},
		Hostname: "c0ffee",
		Network:  backend.NetworkSpec{Mode: "none"},
	}
}

func TestRun(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name       string
		spec       *backend.Spec
		out, err   string
		code       int
		execReason string
	}{
		{name: "echo", spec: spec("echo", "hello", "world"), out: "hello world\n"},
		{name: "stderr and code", spec: spec("sh", "-c", "echo out; echo err >&2; exit 3"), out: "out\n", err: "err\n", code: 3},
		{name: "pid 1", spec: spec("sh", "-c", "echo $$"), out: "1\n"},
		{name: "hostname", spec: spec("hostname"), out: "c0ffee\n"},
		{name: "not in path", spec: spec("nosuchcmd"), execReason: backend.ReasonNotInPath},
		{name: "no such file", spec: spec("/nosuch"), execReason: backend.ReasonNoFile("/nosuch")},
		{name: "not executable", spec: spec("/etc/passwd"), execReason: backend.ReasonPermission},
		{name: "env and workdir", spec: func() *backend.Spec {
			s := spec("sh", "-c", "echo $FOO $HOME; pwd")
			s.Process.Env = append(s.Process.Env, "FOO=bar")
			s.Process.Cwd = "/new/dir"
			return s
		}(), out: "bar /root\n/new/dir\n"},
		{name: "user", spec: func() *backend.Spec {
			s := spec("id")
			s.Process.User = "nobody"
			return s
		}(), out: "uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)\n"},
		{name: "no host processes", spec: spec("sh", "-c", "for p in /proc/[0-9]*; do echo ${p#/proc/}; done"), out: "1\n"},
		{name: "no host mounts", spec: spec("sh", "-c", "grep -c -e twinbox -e ' /work' /proc/mounts"), out: "0\n", code: 1},
		{name: "root read-only", spec: func() *backend.Spec {
			s := spec("sh", "-c", "touch /x 2>&1; mount -o remount,rw / 2>&1; echo done")
			s.ReadonlyRootfs = true
			return s
		}(), out: "touch: /x: Read-only file system\nmount: permission denied (are you root?)\ndone\n"},
		{name: "masked", spec: spec("sh", "-c", "cat /proc/keys | wc -c; ls /proc/acpi | wc -l; echo 1 > /proc/sys/kernel/domainname 2>&1; echo"), out: "0\n0\n\n", err: "sh: can't create /proc/sys/kernel/domainname: Read-only file system\n"},
		{name: "caps", spec: spec("sh", "-c", "grep -E '^Cap(Eff|Bnd)|NoNewPrivs' /proc/self/status"), out: "CapEff:\t00000000a80425fb\nCapBnd:\t00000000a80425fb\nNoNewPrivs:\t1\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code, err := e.run(tt.spec)
			if tt.execReason != "" {
				var x *backend.ExecError
				if !errors.As(err, &x) || x.Reason != tt.execReason {
					t.Fatalf("got %v, want ExecError %q", err, tt.execReason)
				}
				return
			}
			if err != nil {
				t.Fatalf("got %v, want no error", err)
			}
			if out != tt.out || errOut != tt.err || code != tt.code {
				t.Errorf("got %q %q exit %d, want %q %q exit %d", out, errOut, code, tt.out, tt.err, tt.code)
			}
		})
	}
	_ = strings.Contains
}
