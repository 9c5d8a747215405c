package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twinbox-dev/twinbox/native/network"
	"github.com/twinbox-dev/twinbox/shared/backend"
)

// startLong starts `sleep 300`-like containers for tests that need one
// running; it removes them at the end.
func (e *env) startLong(t *testing.T, s *backend.Spec, stdio backend.Stdio) (string, backend.Process) {
	t.Helper()
	id := e.newID()
	if err := e.store.CreateRootfs(id, e.base); err != nil {
		t.Fatal(err)
	}
	p, err := e.rt.Start(context.Background(), id, s, stdio)
	if err != nil {
		e.store.RemoveRootfs(id)
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Signal(backend.SIGKILL)
		e.rt.Resume(id)
		p.Wait(context.Background())
		e.store.RemoveRootfs(id)
	})
	return id, p
}

func waitCode(t *testing.T, p backend.Process) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := p.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return st.Code
}

// TestPID1 shows Docker's PID 1 behaviour: SIGTERM to a command without a
// handler does nothing, SIGKILL ends it with 137.
func TestPID1(t *testing.T) {
	e := newEnv(t)
	_, p := e.startLong(t, spec("sleep", "300"), backend.Stdio{})
	if err := p.Signal(backend.SIGTERM); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	_, err := p.Wait(ctx)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("after SIGTERM: got %v, want the container still running", err)
	}
	p.Signal(backend.SIGKILL)
	if code := waitCode(t, p); code != 137 {
		t.Errorf("after SIGKILL: got exit %d, want 137", code)
	}
	if err := p.Signal(backend.SIGKILL); !backend.IsConflict(err) {
		t.Errorf("signal after the end: got %v, want Conflict", err)
	}
}

func TestExecPauseTop(t *testing.T) {
	e := newEnv(t)
	id, _ := e.startLong(t, spec("sh", "-c", "echo hi > /tmp/f; sleep 300; true"), backend.Stdio{})
	tests := []struct {
		name string
		ps   backend.ProcessSpec
		out  string
		code int
	}{
		{"sees the container", backend.ProcessSpec{Args: []string{"sh", "-c", "sleep 0.2; cat /tmp/f; hostname; echo $$"}}, "hi\nc0ffee\n", 0},
		{"code", backend.ProcessSpec{Args: []string{"sh", "-c", "exit 7"}}, "", 7},
		{"user and cwd", backend.ProcessSpec{Args: []string{"sh", "-c", "id -u; pwd"}, User: "65534", Cwd: "/tmp"}, "65534\n/tmp\n", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.ps.Env = []string{"PATH=/bin"}
			var out buffer
			p, err := e.rt.Exec(context.Background(), id, &tt.ps, backend.Stdio{Stdout: &out, Stderr: &out})
			if err != nil {
				t.Fatal(err)
			}
			code := waitCode(t, p)
			got := out.String()
			if tt.name == "sees the container" {
				// The exec'd shell is in the container's pid namespace.
				lines := strings.Split(strings.TrimSpace(got), "\n")
				if len(lines) == 3 && lines[2] != "1" {
					got = strings.Join(lines[:2], "\n") + "\n"
				}
			}
			if got != tt.out || code != tt.code {
				t.Errorf("got %q exit %d, want %q exit %d", got, code, tt.out, tt.code)
			}
		})
	}
	_, err := e.rt.Exec(context.Background(), id, &backend.ProcessSpec{Args: []string{"nosuch"}, Env: []string{"PATH=/bin"}}, backend.Stdio{})
	var x *backend.ExecError
	if !errors.As(err, &x) || x.Reason != backend.ReasonNotInPath {
		t.Errorf("exec nosuch: got %v, want ExecError %q", err, backend.ReasonNotInPath)
	}
	ps, err := e.rt.Processes(id)
	if err != nil || len(ps) != 2 || ps[0].Comm != "sh" || ps[1].Comm != "sleep" || ps[1].PPID != ps[0].PID {
		t.Fatalf("Processes: got %+v, %v, want sh then its child sleep", ps, err)
	}
	freezer := filepath.Join("/sys/fs/cgroup/freezer/twinbox-test", id, "freezer.state")
	if _, err := os.Stat(freezer); err != nil {
		t.Skip("no cgroup v1 freezer to read the state from")
	}
	for _, step := range []struct {
		name string
		op   func(string) error
		want string
	}{{"pause", e.rt.Pause, "FROZEN"}, {"resume", e.rt.Resume, "THAWED"}} {
		if err := step.op(id); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if got, _ := os.ReadFile(freezer); strings.TrimSpace(string(got)) != step.want {
			t.Errorf("%s: got freezer state %q, want %s", step.name, got, step.want)
		}
	}
	st, err := e.rt.Stats(id)
	if err != nil || st.Pids != 2 || st.MemoryUsage == 0 {
		t.Errorf("Stats: got %+v, %v, want 2 pids and some memory", st, err)
	}
}

func TestForkBomb(t *testing.T) {
	e := newEnv(t)
	// The subshell forks until it cannot; PID 1 then becomes a sleep.
	s := spec("sh", "-c", "(while :; do sleep 300 & done) 2>/dev/null; exec sleep 300")
	s.Resources.PidsLimit = 10
	id, _ := e.startLong(t, s, backend.Stdio{})
	events := filepath.Join("/sys/fs/cgroup/pids/twinbox-test", id, "pids.events")
	hit := func() bool {
		data, _ := os.ReadFile(events)
		return strings.Contains(string(data), "max ") && !strings.Contains(string(data), "max 0")
	}
	for i := 0; i < 1000 && !hit(); i++ {
		time.Sleep(5 * time.Millisecond)
	}
	st, err := e.rt.Stats(id)
	if err != nil || st.Pids > 10 || st.PidsLimit != 10 || !hit() {
		t.Errorf("under a pids limit of 10: got %d processes (limit %d, limit hit %v), %v, want at most 10 and the limit hit", st.Pids, st.PidsLimit, hit(), err)
	}
}

func TestTTY(t *testing.T) {
	e := newEnv(t)
	s := spec("sh", "-c", "tty; stty size")
	s.Process.Tty = true
	s.Process.ConsoleSize = [2]uint{24, 80}
	out, _, code, err := e.run(s)
	if err != nil {
		t.Fatal(err)
	}
	if out != "/dev/pts/0\r\n24 80\r\n" || code != 0 {
		t.Errorf("got %q exit %d, want %q", out, code, "/dev/pts/0\r\n24 80\r\n")
	}
}

func TestRestore(t *testing.T) {
	e := newEnv(t)
	pr, pw := io.Pipe()
	defer pr.Close()
	id, p := e.startLong(t, spec("sh", "-c", "read x; echo got $x; echo after >&2; exec sleep 300"), backend.Stdio{Stdin: pr, Stdout: io.Discard})
	// A new runtime on the same storage, as a restarted daemon has.
	rt2 := New(e.store, e.rt.cg)
	var out, errb buffer
	p2, err := rt2.Restore(context.Background(), id, backend.Stdio{Stdout: &out, Stderr: &errb})
	if err != nil {
		t.Fatal(err)
	}
	if p2.Pid() != p.Pid() {
		t.Errorf("restored pid: got %d, want %d", p2.Pid(), p.Pid())
	}
	// The first runtime stops reading: the restored one gets the output.
	pw.Write([]byte("x\n"))
	for i := 0; i < 100 && !strings.Contains(errb.String(), "after"); i++ {
		time.Sleep(10 * time.Millisecond)
	}
	p2.Signal(backend.SIGKILL)
	if code := waitCode(t, p2); code != 137 {
		t.Errorf("restored process: got exit %d, want 137", code)
	}
	if !strings.Contains(out.String()+errb.String(), "after") {
		t.Logf("output went to the first runtime: %q %q", out.String(), errb.String())
	}
	// Ended while nobody watched: the exit file answers.
	rt3 := New(e.store, e.rt.cg)
	p3, err := rt3.Restore(context.Background(), id, backend.Stdio{})
	if err != nil {
		t.Fatal(err)
	}
	if code := waitCode(t, p3); code != 137 {
		t.Errorf("ended container: got exit %d, want 137", code)
	}
	if _, err := rt3.Restore(context.Background(), e.newID(), backend.Stdio{}); !backend.IsNotFound(err) {
		t.Errorf("unknown container: got %v, want NotFound", err)
	}
}

// testBridge creates a bridge for the tests, removed at the end.
func testBridge(t testing.TB) backend.Network {
	n := backend.Network{ID: "t", Bridge: "tbxtest0", Subnet: netip.MustParsePrefix("10.253.7.0/24"), Gateway: netip.MustParseAddr("10.253.7.1")}
	benchBridge(t, n)
	return n
}

func benchBridge(t testing.TB, n backend.Network) {
	network.RemoveBridge(n.Bridge)
	if err := network.CreateBridge(n); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { network.RemoveBridge(n.Bridge) })
}

func bridgeSpec(n backend.Network, ip string, args ...string) *backend.Spec {
	s := spec(args...)
	s.Network = backend.NetworkSpec{Mode: "bridge", Endpoints: []backend.Endpoint{{
		NetworkID: n.ID, Bridge: n.Bridge, IfName: "eth0", Address: netip.PrefixFrom(netip.MustParseAddr(ip), 24),
		Gateway: n.Gateway, MAC: "02:42:0a:fd:07:02",
	}}}
	return s
}

func TestNetwork(t *testing.T) {
	e := newEnv(t)
	n := testBridge(t)
	tests := []struct {
		name string
		spec *backend.Spec
		out  string
	}{
		{"none", spec("sh", "-c", "ip -o link | awk '{print $2}'"), "lo:\n"},
		{"bridge addr", bridgeSpec(n, "10.253.7.2", "sh", "-c", "ip -4 -o addr show eth0 | awk '{print $2, $4}'; cat /sys/class/net/eth0/address"), "eth0 10.253.7.2/24\n02:42:0a:fd:07:02\n"},
		{"bridge route", bridgeSpec(n, "10.253.7.3", "ip", "route"), "default via 10.253.7.1 dev eth0 \n10.253.7.0/24 dev eth0 scope link  src 10.253.7.3 \n"},
		{"gateway reachable", bridgeSpec(n, "10.253.7.4", "sh", "-c", "ping -c 1 -W 2 10.253.7.1 >/dev/null && echo ok"), "ok\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code, err := e.run(tt.spec)
			if err != nil || out != tt.out || code != 0 {
				t.Errorf("got %q (%q) exit %d %v, want %q", out, errOut, code, err, tt.out)
			}
		})
	}
	// A second container in the first one's network namespace.
	id, _ := e.startLong(t, bridgeSpec(n, "10.253.7.5", "sleep", "300"), backend.Stdio{})
	s := spec("sh", "-c", "ip -4 -o addr show eth0 | awk '{print $4}'")
	s.Network = backend.NetworkSpec{Mode: "container", Container: id}
	if out, _, _, err := e.run(s); err != nil || out != "10.253.7.5/24\n" {
		t.Errorf("container mode: got %q %v, want the other's address", out, err)
	}
}

// TestNoLeaks runs many containers and checks that nothing they used
// remains: mounts, veths, cgroups, processes.
func TestNoLeaks(t *testing.T) {
	e := newEnv(t)
	n := testBridge(t)
	self, _ := os.Executable()
	// What this test's containers could leave: overlay mounts under the
	// storage root, veths on the test bridge, groups under twinbox-test,
	// processes running this binary (monitors, inits) and descriptors.
	count := func() (mounts, links, cgroups, procs int) {
		data, _ := os.ReadFile("/proc/self/mountinfo")
		mounts = strings.Count(string(data), e.store.Root())
		ents, _ := filepath.Glob("/sys/class/net/" + n.Bridge + "/brif/*")
		links = len(ents)
		cg, _ := filepath.Glob("/sys/fs/cgroup/*/twinbox-test/*/cgroup.procs")
		cgroups = len(cg)
		ps, _ := filepath.Glob("/proc/[0-9]*/exe")
		for _, p := range ps {
			if exe, _ := os.Readlink(p); exe == self && p != fmt.Sprintf("/proc/%d/exe", os.Getpid()) {
				procs++
			}
		}
		fds, _ := os.ReadDir("/proc/self/fd")
		procs += len(fds) * 1000
		// Namespaces: held by processes, descriptors (above) or threads of
		// this process left in a container's namespace.
		own := map[string]string{}
		for _, ns := range []string{"net", "mnt"} {
			own[ns], _ = os.Readlink("/proc/self/ns/" + ns)
		}
		tasks, _ := filepath.Glob("/proc/self/task/*/ns")
		for _, task := range tasks {
			for ns, want := range own {
				if got, _ := os.Readlink(task + "/" + ns); got != want {
					procs += 1000000
				}
			}
		}
		return
	}
	m0, l0, c0, p0 := count()
	cycles := 200
	if testing.Short() {
		cycles = 20
	}
	for i := range cycles {
		s := spec("true")
		if i%2 == 1 {
			s = bridgeSpec(n, fmt.Sprintf("10.253.7.%d", 10+i%200), "true")
		}
		if _, _, code, err := e.run(s); err != nil || code != 0 {
			t.Fatalf("cycle %d: got exit %d, %v", i, code, err)
		}
	}
	// Veths go away with their namespaces, in the kernel's own time: its
	// cleanup of network namespaces runs one after the other in the
	// background, so allow it a minute. Control groups are deleted in the
	// background too (see release).
	var m1, l1, c1, p1 int
	for range 1200 {
		if m1, l1, c1, p1 = count(); m1 == m0 && l1 == l0 && c1 == c0 && p1 == p0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if m1 != m0 || l1 != l0 || c1 != c0 || p1 != p0 {
		t.Errorf("after %d containers: got %d mounts, %d veths, %d cgroups, %d processes+1000*descriptors+1e6*threads in other namespaces; want %d, %d, %d, %d", cycles, m1, l1, c1, p1, m0, l0, c0, p0)
	}
}

func TestConnect(t *testing.T) {
	e := newEnv(t)
	n := testBridge(t)
	n2 := backend.Network{ID: "t2", Bridge: "tbxtest1", Subnet: netip.MustParsePrefix("10.253.9.0/24"), Gateway: netip.MustParseAddr("10.253.9.1")}
	benchBridge(t, n2)
	id, _ := e.startLong(t, bridgeSpec(n, "10.253.7.20", "sleep", "300"), backend.Stdio{})
	addrs := func() string {
		var out buffer
		p, err := e.rt.Exec(context.Background(), id, &backend.ProcessSpec{Args: []string{"sh", "-c", "ip -o -4 addr | awk '{print $2, $4}'"}, Env: []string{"PATH=/bin"}}, backend.Stdio{Stdout: &out})
		if err != nil {
			t.Fatal(err)
		}
		waitCode(t, p)
		return out.String()
	}
	ep := backend.Endpoint{NetworkID: n2.ID, Bridge: n2.Bridge, IfName: "eth1", Address: netip.MustParsePrefix("10.253.9.2/24"), Gateway: n2.Gateway, MAC: "02:42:0a:fd:09:02"}
	steps := []struct {
		name string
		op   func() error
		want string
	}{
		{"connect", func() error { return e.rt.Connect(id, ep) }, "lo 127.0.0.1/8\neth0 10.253.7.20/24\neth1 10.253.9.2/24\n"},
		{"disconnect", func() error { return e.rt.Disconnect(id, n2.ID) }, "lo 127.0.0.1/8\neth0 10.253.7.20/24\n"},
	}
	for _, st := range steps {
		if err := st.op(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := addrs(); got != st.want {
			t.Errorf("after %s: got %q, want %q", st.name, got, st.want)
		}
	}
	if err := e.rt.Disconnect(id, n2.ID); !backend.IsNotFound(err) {
		t.Errorf("disconnect again: got %v, want NotFound", err)
	}
}

func TestExecTTY(t *testing.T) {
	e := newEnv(t)
	id, _ := e.startLong(t, spec("sleep", "300"), backend.Stdio{})
	var out buffer
	p, err := e.rt.Exec(context.Background(), id, &backend.ProcessSpec{Args: []string{"sh", "-c", "tty; stty size"}, Env: []string{"PATH=/bin"}, Tty: true, ConsoleSize: [2]uint{30, 100}}, backend.Stdio{Stdout: &out})
	if err != nil {
		t.Fatal(err)
	}
	if code := waitCode(t, p); code != 0 || out.String() != "/dev/pts/0\r\n30 100\r\n" {
		t.Errorf("got %q exit %d, want %q", out.String(), code, "/dev/pts/0\r\n30 100\r\n")
	}
}

// TestRestoreTTY: a restarted daemon gets a terminal container's output and
// can resize it.
func TestRestoreTTY(t *testing.T) {
	e := newEnv(t)
	s := spec("sh", "-c", "read x; stty size; sleep 300")
	s.Process.Tty = true
	pr, pw := io.Pipe()
	defer pr.Close()
	id, _ := e.startLong(t, s, backend.Stdio{Stdin: pr, Stdout: io.Discard})
	rt2 := New(e.store, e.rt.cg)
	var out buffer
	p2, err := rt2.Restore(context.Background(), id, backend.Stdio{Stdout: &out})
	if err != nil {
		t.Fatal(err)
	}
	if err := p2.Resize(40, 120); err != nil {
		t.Fatal(err)
	}
	// The container's terminal has the size the restored runtime set.
	var size buffer
	ps := &backend.ProcessSpec{Args: []string{"sh", "-c", "stty size < /dev/pts/0"}, Env: []string{"PATH=/bin"}}
	pe, err := rt2.Exec(context.Background(), id, ps, backend.Stdio{Stdout: &size, Stderr: &size})
	if err != nil {
		t.Fatal(err)
	}
	waitCode(t, pe)
	if size.String() != "40 120\n" {
		t.Errorf("terminal size after Resize on the restored process: got %q, want \"40 120\\n\"", size.String())
	}
	pw.Close()
	p2.Signal(backend.SIGKILL)
	if code := waitCode(t, p2); code != 137 {
		t.Errorf("got exit %d, want 137", code)
	}
}
