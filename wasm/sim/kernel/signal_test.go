package kernel

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/wasm/sim/sys"
)

func TestDefaultActions(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		sig    backend.Signal
		status int // -1: still running
	}{
		{"SIGTERM terminates", []string{"wait"}, backend.SIGTERM, 143},
		{"SIGKILL terminates", []string{"wait"}, backend.SIGKILL, 137},
		{"SIGINT terminates", []string{"wait"}, backend.SIGINT, 130},
		{"SIGQUIT terminates", []string{"wait"}, backend.SIGQUIT, 131},
		{"SIGHUP terminates", []string{"wait"}, backend.SIGHUP, 129},
		{"SIGUSR1 terminates", []string{"wait"}, backend.SIGUSR1, 138},
		{"SIGCHLD is ignored", []string{"wait"}, backend.SIGCHLD, -1},
		{"SIGURG is ignored", []string{"wait"}, backend.SIGURG, -1},
		{"SIGWINCH is ignored", []string{"wait"}, backend.SIGWINCH, -1},
		{"SIGCONT is ignored", []string{"wait"}, backend.SIGCONT, -1},
		{"an ignored SIGTERM", []string{"ignore", "TERM"}, backend.SIGTERM, -1},
		{"SIGKILL cannot be ignored", []string{"ignore", "KILL"}, backend.SIGKILL, 137},
		{"a caught SIGTERM", []string{"trap", "TERM"}, backend.SIGTERM, 0},
		{"SIGKILL cannot be caught", []string{"trap", "KILL"}, backend.SIGKILL, 137},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMachine(t)
			out := newLines()
			p, _ := m.spawn(t, Attr{Args: tt.args, Stdout: out})
			if tt.args[0] != "wait" {
				if got := out.next(t); got != "ready" {
					t.Fatalf("got %q, want ready", got)
				}
			}
			if err := p.Signal(tt.sig); err != nil {
				t.Fatal(err)
			}
			if tt.status >= 0 {
				if got := wait(t, p); got != tt.status {
					t.Errorf("got status %d, want %d", got, tt.status)
				}
				return
			}
			// Still alive: it ends with SIGKILL, not with tt.sig.
			p.Signal(backend.SIGKILL)
			if got := wait(t, p); got != 137 {
				t.Errorf("got status %d after SIGKILL, want 137 (the first signal should have done nothing)", got)
			}
		})
	}
}

func TestNotifyResetIgnoreAreInheritedAsExecDoes(t *testing.T) {
	m := newMachine(t)
	// An ignored SIGTERM stays ignored in a child; a caught one does not.
	out := newLines()
	p, _ := m.spawn(t, Attr{Args: []string{"ignore", "TERM", "--", "fork", "wait"}, Stdout: out})
	pid, _ := strconv.Atoi(out.next(t))
	c := m.k.Find(pid)
	c.Signal(backend.SIGTERM)
	c.Signal(backend.SIGKILL)
	if got := wait(t, c); got != 137 {
		t.Errorf("got child status %d, want 137: SIGTERM should be ignored in the child", got)
	}
	wait(t, p)
}

// TestInitRule checks the PID-namespace init's protection: it receives only
// signals it has a handler for, except SIGKILL and SIGSTOP sent from an
// ancestor namespace.
func TestInitRule(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		sig      backend.Signal
		fromHost bool
		status   int // -1: still running
	}{
		{"SIGTERM from the host is ignored without a handler", []string{"sleep", "300s"}, backend.SIGTERM, true, -1},
		{"SIGINT from the host is ignored without a handler", []string{"sleep", "300s"}, backend.SIGINT, true, -1},
		{"SIGKILL from the host kills", []string{"sleep", "300s"}, backend.SIGKILL, true, 137},
		{"SIGTERM with a handler is delivered", []string{"trap", "TERM"}, backend.SIGTERM, true, 0},
		{"SIGKILL from inside is ignored", []string{"sleep", "300s"}, backend.SIGKILL, false, -1},
		{"SIGTERM from inside is ignored", []string{"sleep", "300s"}, backend.SIGTERM, false, -1},
		{"SIGTERM from inside with a handler is delivered", []string{"trap", "TERM"}, backend.SIGTERM, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMachine(t)
			out := newLines()
			init, _ := m.spawn(t, Attr{Args: tt.args, NS: m.container("c"), Setsid: true, Stdout: out})
			if tt.args[0] == "trap" {
				out.next(t)
			}
			if init.NSPID() != 1 || init.HostPID() == 1 {
				t.Fatalf("got PIDs %d inside, %d on the host, want 1 inside and another on the host", init.NSPID(), init.HostPID())
			}
			if tt.fromHost {
				init.Signal(tt.sig)
			} else {
				k, _ := m.k.Spawn(Attr{Args: []string{"kill", strconv.Itoa(int(tt.sig)), "1"}, Parent: init, Env: testEnv, Stdout: out})
				if got := wait(t, k); got != 0 {
					t.Fatalf("kill from inside: got status %d, want 0", got)
				}
			}
			if tt.status >= 0 {
				if got := wait(t, init); got != tt.status {
					t.Errorf("got status %d, want %d", got, tt.status)
				}
				return
			}
			if got := state(init); got != "S" {
				t.Errorf("got state %q, want S (still sleeping)", got)
			}
			init.Signal(backend.SIGKILL)
			if got := wait(t, init); got != 137 {
				t.Errorf("got %d after SIGKILL from the host, want 137", got)
			}
		})
	}
}

func TestDockerStopOfSleepAsInit(t *testing.T) {
	// docker stop -t 1: SIGTERM, which sleep as PID 1 does not get, then
	// SIGKILL after the timeout: exit 137.
	m := newMachine(t)
	init, _ := m.spawn(t, Attr{Args: []string{"sleep", "300s"}, NS: m.container("c"), Setsid: true})
	m.clock.WaitTimers(1, nil)
	init.Signal(backend.SIGTERM)
	m.clock.Advance(time.Second)
	select {
	case <-init.Done():
		t.Fatal("sleep as PID 1 ended on SIGTERM")
	default:
	}
	init.Signal(backend.SIGKILL)
	if got := wait(t, init); got != 137 {
		t.Errorf("got %d, want 137", got)
	}
}

func TestKillingInitKillsTheNamespace(t *testing.T) {
	m := newMachine(t)
	out := newLines()
	init, _ := m.spawn(t, Attr{Args: []string{"bg", "ignore", "TERM", "KILL"}, NS: m.container("c"), Setsid: true, Stdout: out})
	pid, _ := strconv.Atoi(out.next(t))
	if pid != 2 {
		t.Errorf("got child PID %d, want 2", pid)
	}
	if got := out.next(t); got != "ready" {
		t.Fatalf("got %q, want ready", got)
	}
	child := init.Namespaces().PID.pids[2]
	// An exec'd process: its parent is outside the namespace.
	execd, _ := m.spawn(t, Attr{Args: []string{"wait"}, NS: &init.ns, Parent: m.k.Init()})
	if got := execd.NSPID(); got != 3 {
		t.Errorf("got exec'd PID %d, want 3", got)
	}
	if got := execd.Info(init.Namespaces().PID).PPID; got != 0 {
		t.Errorf("got exec'd PPID %d inside, want 0", got)
	}
	init.Signal(backend.SIGKILL)
	if got := wait(t, child); got != 137 {
		t.Errorf("got child status %d, want 137", got)
	}
	if got := wait(t, execd); got != 137 {
		t.Errorf("got exec'd status %d, want 137", got)
	}
	if got := wait(t, init); got != 137 {
		t.Errorf("got init status %d, want 137", got)
	}
	if n := len(init.Namespaces().PID.pids); n != 0 {
		t.Errorf("got %d processes left in the namespace, want 0", n)
	}
	// No new process can join a dead namespace.
	_, err := m.k.Spawn(Attr{Args: []string{"true"}, NS: &init.ns, Env: testEnv})
	if err != syscall.ENOMEM {
		t.Errorf("got %v, want ENOMEM", err)
	}
}

func TestInitExitWaitsForItsNamespace(t *testing.T) {
	// When init exits by itself, the rest is killed, and init's status is
	// known only once they are gone.
	m := newMachine(t)
	ns := m.container("c")
	init, _ := m.spawn(t, Attr{Args: []string{"fork", "wait"}, NS: ns, Setsid: true})
	if got := wait(t, init); got != 0 {
		t.Errorf("got %d, want 0", got)
	}
	if n := len(ns.PID.pids); n != 0 {
		t.Errorf("got %d processes left after init, want 0", n)
	}
}

func TestZombiesAndOrphans(t *testing.T) {
	m := newMachine(t)
	ns := m.container("c")
	out := newLines()
	// init starts "fork wait": fork prints its child's PID and exits
	// without being waited for, so fork is a zombie of init while "wait",
	// orphaned, is adopted by init.
	init, _ := m.spawn(t, Attr{Args: []string{"bg", "fork", "wait"}, NS: ns, Setsid: true, Stdout: out})
	a, _ := strconv.Atoi(out.next(t))
	b, _ := strconv.Atoi(out.next(t))
	forkPID, waitPID := min(a, b), max(a, b)
	fork, orphan := ns.PID.pids[forkPID], ns.PID.pids[waitPID]
	<-fork.Done()
	ps := func() string {
		var b strings.Builder
		for _, p := range m.k.Processes(ns.PID) {
			in := p.Info(ns.PID)
			fmt.Fprintf(&b, "%d %d %s %s|", in.PID, in.PPID, in.State, in.Comm)
		}
		return b.String()
	}
	eventually(t, "the orphan is adopted", func() bool { return orphan.Info(ns.PID).PPID == 1 })
	if got, want := ps(), "1 0 S bg|2 1 Z fork|3 1 S wait|"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if in := fork.Info(ns.PID); in.Args != nil || in.RSS != 0 {
		t.Errorf("got zombie args %q and RSS %d, want none", in.Args, in.RSS)
	}
	// The adopted orphan is reaped by init when it ends; the zombie stays
	// until its parent waits.
	orphan.Signal(backend.SIGKILL)
	<-orphan.reaped
	if got, want := ps(), "1 0 S bg|2 1 Z fork|"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := fork.Wait(); got != 0 {
		t.Errorf("got zombie status %d, want 0", got)
	}
	if got, want := ps(), "1 0 S bg|"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	init.Signal(backend.SIGKILL)
	wait(t, init)
}

func TestHostOrphansGoToInit(t *testing.T) {
	m := newMachine(t)
	out := newLines()
	p, _ := m.spawn(t, Attr{Args: []string{"fork", "wait"}, Stdout: out})
	pid, _ := strconv.Atoi(out.next(t))
	wait(t, p)
	c := m.k.Find(pid)
	if c == nil {
		t.Fatal("child gone")
	}
	if got := c.Info(nil).PPID; got != 1 {
		t.Errorf("got PPID %d, want 1", got)
	}
	c.Signal(backend.SIGTERM)
	<-c.reaped
	if m.k.Find(pid) != nil {
		t.Errorf("orphan not reaped by init")
	}
}

func TestFreezer(t *testing.T) {
	m := newMachine(t)
	cg := m.k.NewCgroup("/docker/x", Limits{})
	out := newLines()
	p, _ := m.spawn(t, Attr{Args: []string{"tick"}, NS: m.container("c"), Setsid: true, Cgroup: cg, Stdout: out})
	m.clock.WaitTimers(1, nil)
	m.clock.Advance(time.Second)
	if got := out.next(t); got != "1" {
		t.Fatalf("got %q, want 1", got)
	}
	m.clock.WaitTimers(1, nil)
	cg.Freeze()
	if got := state(p); got != "D" {
		t.Errorf("got state %q while frozen, want D", got)
	}
	m.clock.Advance(time.Second)
	eventually(t, "the process blocks in the freezer", func() bool {
		m.k.mu.Lock()
		defer m.k.mu.Unlock()
		return p.gated
	})
	select {
	case l := <-out.ch:
		t.Fatalf("frozen process printed %q", l)
	default:
	}
	// Signals wait for the thaw, SIGKILL too.
	p.Signal(backend.SIGKILL)
	if _, _, done := p.Exited(); done {
		t.Fatal("frozen process died before thaw")
	}
	if got := state(p); got != "D" {
		t.Errorf("got state %q, want D", got)
	}
	cg.Thaw()
	if got := wait(t, p); got != 137 {
		t.Errorf("got %d, want 137", got)
	}
}

func TestFreezerThawResumes(t *testing.T) {
	m := newMachine(t)
	cg := m.k.NewCgroup("/docker/y", Limits{})
	out := newLines()
	p, _ := m.spawn(t, Attr{Args: []string{"tick"}, Cgroup: cg, Stdout: out})
	m.clock.WaitTimers(1, nil)
	cg.Freeze()
	m.clock.Advance(time.Second)
	eventually(t, "the process blocks in the freezer", func() bool {
		m.k.mu.Lock()
		defer m.k.mu.Unlock()
		return p.gated
	})
	// Spawn blocks too: a frozen parent cannot start children.
	cg.Thaw()
	if got := out.next(t); got != "1" {
		t.Errorf("got %q after thaw, want 1", got)
	}
	if got := state(p); got == "D" {
		t.Errorf("got state D after thaw")
	}
}

func TestStopAndContinue(t *testing.T) {
	m := newMachine(t)
	out := newLines()
	p, _ := m.spawn(t, Attr{Args: []string{"tick"}, Stdout: out})
	m.clock.WaitTimers(1, nil)
	p.Signal(backend.SIGSTOP)
	if got := state(p); got != "T" {
		t.Errorf("got state %q, want T", got)
	}
	m.clock.Advance(time.Second)
	eventually(t, "the stopped process blocks", func() bool {
		m.k.mu.Lock()
		defer m.k.mu.Unlock()
		return p.gated
	})
	// A terminating signal waits for SIGCONT.
	p.Signal(backend.SIGTERM)
	if got := state(p); got != "T" {
		t.Errorf("got state %q after SIGTERM, want T", got)
	}
	p.Signal(backend.SIGCONT)
	if got := wait(t, p); got != 143 {
		t.Errorf("got %d, want 143", got)
	}

	// SIGKILL ends a stopped process at once.
	p, _ = m.spawn(t, Attr{Args: []string{"wait"}})
	p.Signal(backend.SIGSTOP)
	p.Signal(backend.SIGKILL)
	if got := wait(t, p); got != 137 {
		t.Errorf("got %d, want 137", got)
	}
}

func TestKillFromProgram(t *testing.T) {
	m := newMachine(t)
	ns := m.container("c")
	out := newLines()
	init, _ := m.spawn(t, Attr{Args: []string{"bg", "wait"}, NS: ns, Setsid: true, Stdout: out})
	out.next(t)
	run := func(args ...string) string {
		buf := &syncBuffer{}
		p, err := m.k.Spawn(Attr{Args: args, Parent: init, Env: testEnv, Stdout: buf, Cred: sys.Cred{UID: 1000}})
		if err != nil {
			t.Fatal(err)
		}
		wait(t, p)
		return buf.String()
	}
	if got, want := run("kill", "TERM", "99"), "kill: "+syscall.ESRCH.Error()+"\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := run("kill", "TERM", "2"), "kill: "+syscall.EPERM.Error()+"\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	// The host's PIDs mean nothing inside.
	if got, want := run("kill", "0", strconv.Itoa(m.k.Init().HostPID()+1000)), "kill: "+syscall.ESRCH.Error()+"\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestSIGPIPE(t *testing.T) {
	m := newMachine(t)
	pr, pw := io.Pipe()
	pr.Close()
	p, _ := m.spawn(t, Attr{Args: []string{"echo", "x"}, Stdout: pw})
	if got := wait(t, p); got != 141 {
		t.Errorf("got %d, want 141", got)
	}
}

func TestPanicIsASegfault(t *testing.T) {
	m := newMachine(t)
	var got any
	m.k.cfg.OnPanic = func(p *Process, v any, stack []byte) { got = v }
	p, _ := m.spawn(t, Attr{Args: []string{"panic"}})
	if code := wait(t, p); code != 139 {
		t.Errorf("got %d, want 139", code)
	}
	if got != "boom" {
		t.Errorf("got panic %v, want boom", got)
	}
}

func TestBlockedReadIsInterruptible(t *testing.T) {
	m := newMachine(t)
	pr, pw := io.Pipe()
	defer pw.Close()
	p, _ := m.spawn(t, Attr{Args: []string{"cat"}, Stdin: pr})
	eventually(t, "cat blocks reading", func() bool {
		m.k.mu.Lock()
		defer m.k.mu.Unlock()
		return p.waiting > 0
	})
	p.Signal(backend.SIGTERM)
	if got := wait(t, p); got != 143 {
		t.Errorf("got %d, want 143", got)
	}
}

func TestPidsLimit(t *testing.T) {
	m := newMachine(t)
	cg := m.k.NewCgroup("/docker/z", Limits{PidsLimit: 2})
	out := newLines()
	p, _ := m.spawn(t, Attr{Args: []string{"bg", "bg", "wait"}, Cgroup: cg, Stdout: out, Stderr: out})
	got := []string{out.next(t), out.next(t)}
	want := "bg: " + syscall.EAGAIN.Error()
	if got[0] != want && got[1] != want {
		t.Errorf("got %q, want one line %q", got, want)
	}
	if n := cg.Usage().Pids; n != 2 {
		t.Errorf("got %d pids in the cgroup, want 2", n)
	}
	p.Signal(backend.SIGKILL)
	wait(t, p)
}

func TestFrozenSpawnBlocks(t *testing.T) {
	m := newMachine(t)
	cg := m.k.NewCgroup("/docker/s", Limits{})
	release := make(chan struct{})
	m.program("later", func(p sys.Proc) int {
		<-release
		c, err := p.Spawn(sys.Cmd{Args: []string{"echo", "child"}, Stdout: p.Stdout()})
		if err != nil {
			return 1
		}
		return c.Wait()
	})
	out := newLines()
	p, _ := m.spawn(t, Attr{Args: []string{"later"}, Cgroup: cg, Stdout: out})
	cg.Freeze()
	close(release)
	eventually(t, "the spawn blocks in the freezer", func() bool {
		m.k.mu.Lock()
		defer m.k.mu.Unlock()
		return p.gated
	})
	if n := len(m.k.Processes(nil)); n != 2 {
		t.Errorf("got %d processes while frozen, want 2 (init and the frozen one): no child", n)
	}
	cg.Thaw()
	if got := out.next(t); got != "child" {
		t.Errorf("got %q, want child", got)
	}
	if got := wait(t, p); got != 0 {
		t.Errorf("got %d, want 0", got)
	}
}
