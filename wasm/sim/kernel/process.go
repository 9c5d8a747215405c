package kernel

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"syscall"
	"time"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/wasm/sim/sys"
	"github.com/twinbox-dev/twinbox/wasm/sim/vfs"
)

type procState int

const (
	stateRunning procState = iota // running, sleeping, stopped or frozen
	stateZombie                   // exited, not yet waited for
	stateReaped                   // gone
)

// pidEntry is a process's PID in one of the PID namespaces it is in.
type pidEntry struct {
	ns *PIDNamespace
	nr int
}

// Process is a simulated process. The kernel runs its program in a
// goroutine; the program sees the process through the sys.Proc methods
// (Args, FS, Spawn, Kill, ...), and the simulator's backend uses the others
// (HostPID, Signal, Wait, Info, ...).
type Process struct {
	k    *Kernel
	pid  int        // in the root namespace
	ids  []pidEntry // by namespace level, root first
	ns   Namespaces
	cg   *Cgroup
	tty  *PTY // controlling terminal, or nil
	pgid int  // host PIDs of the process group and session leaders
	sid  int

	// Set at start, changed by Exec; guarded by k.mu.
	args, env []string
	comm, exe string
	vsz, rss  int64

	// Fixed for the process's life.
	dir    string
	cred   sys.Cred
	umask  fs.FileMode
	caps   Caps
	rawFS  vfs.FS // the mount namespace's filesystem, no permission checks
	fsys   vfs.FS // what the program gets: permission checks and the freezer
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	in     *procReader
	out    *procWriter
	errw   *procWriter

	ctx    context.Context
	cancel context.CancelFunc

	// Guarded by k.mu.
	parent   *Process
	children map[*Process]struct{}
	state    procState
	stopped  bool
	waiting  int            // > 0 while blocked in a kernel call
	gated    bool           // blocked because frozen or stopped
	killSig  backend.Signal // the signal that is killing the process
	exiting  bool           // a namespace init tearing down: its children are reaped at once
	orphan   bool           // adopted: reaped by the kernel on exit
	status   int
	start    time.Time
	end      time.Time
	calls    int64
	pending  []backend.Signal
	handlers map[backend.Signal][]chan<- backend.Signal
	ignored  uint64 // bit n: signal n is ignored
	exited   chan struct{}
	reaped   chan struct{}
	idle     chan struct{} // closed the first time the process blocks or exits
}

// Caps are the privileges a process has beyond its user ID, the few
// capabilities the simulator checks.
type Caps struct {
	// SysAdmin allows sethostname and mounts (CAP_SYS_ADMIN).
	SysAdmin bool
	// NetAdmin allows changing the network namespace's interfaces,
	// addresses and routes (CAP_NET_ADMIN).
	NetAdmin bool
}

// Attr describes a process for Kernel.Spawn.
type Attr struct {
	// Args is the command; Args[0] is looked up in the PATH of Env (inside
	// the process's mount namespace) unless it has a slash or Program is set.
	Args []string
	Env  []string
	// Dir is the working directory, absolute; "" means the parent's.
	Dir  string
	Cred sys.Cred
	// Caps are the process's privileges; the zero value has none.
	Caps Caps
	// Parent is the parent process; nil means the machine's init.
	Parent *Process
	// NS are the process's namespaces; nil means the parent's. Its PID
	// namespace is the one the process gets its innermost PID in; the first
	// process of a new PID namespace is its init.
	NS *Namespaces
	// Cgroup is the process's cgroup; nil means the parent's.
	Cgroup *Cgroup
	// TTY is the process's controlling terminal; nil standard streams then
	// are the terminal.
	TTY *PTY
	// Setsid makes the process the leader of a new session and process
	// group, as a container's first process is.
	Setsid bool
	// Streams; nil ones read end-of-file or discard output, unless TTY is set.
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Program, when set, runs instead of the file Args[0] names: the kernel's
	// own processes (init, daemons, shims). Comm names it for ps; "" means
	// the base name of Args[0]. VSZ and RSS are what ps shows for it, in
	// bytes.
	Program  sys.Program
	Comm     string
	VSZ, RSS int64
}

// Spawn starts a process. Errors: *backend.ExecError when Args[0] cannot be
// executed (nothing is left running then); EAGAIN when the cgroup's pids
// limit or the kernel's process limit is reached; ENOMEM when the PID
// namespace's init has died; ESRCH when the parent has exited.
func (k *Kernel) Spawn(a Attr) (*Process, error) {
	parent := a.Parent
	if parent == nil {
		parent = k.init
	}
	var ns Namespaces
	switch {
	case a.NS != nil:
		ns = *a.NS
	case parent != nil:
		ns = parent.ns
	default:
		ns = k.root
	}
	dir := a.Dir
	if dir == "" && parent != nil {
		dir = parent.dir
	}
	if dir == "" {
		dir = "/"
	}
	cred := a.Cred
	rawFS := ns.Mount.fs
	var img execImage
	if a.Program != nil {
		img = execImage{prog: a.Program, args: a.Args, comm: a.Comm, vsz: a.VSZ, rss: a.RSS}
		if img.comm == "" && len(a.Args) > 0 {
			img.comm = path.Base(a.Args[0])
		}
	} else {
		var err error
		img, err = k.resolve(rawFS, cred, dir, a.Args, a.Env)
		if err != nil {
			return nil, err
		}
	}
	p := &Process{
		k:        k,
		ns:       ns,
		tty:      a.TTY,
		args:     img.args,
		env:      a.Env,
		comm:     truncComm(img.comm),
		exe:      img.path,
		vsz:      img.vsz,
		rss:      img.rss,
		dir:      dir,
		cred:     cred,
		caps:     a.Caps,
		rawFS:    rawFS,
		umask:    0o022,
		children: map[*Process]struct{}{},
		exited:   make(chan struct{}),
		reaped:   make(chan struct{}),
		idle:     make(chan struct{}),
	}
	p.stdin, p.stdout, p.stderr = a.Stdin, a.Stdout, a.Stderr
	if a.TTY != nil {
		if p.stdin == nil {
			p.stdin = a.TTY.slave
		}
		if p.stdout == nil {
			p.stdout = a.TTY.slave
		}
		if p.stderr == nil {
			p.stderr = a.TTY.slave
		}
	}
	if err := k.insert(p, parent, a); err != nil {
		return nil, err
	}
	go p.run(img.prog)
	return p, nil
}

// insert gives p its PIDs and links it into the process tree.
func (k *Kernel) insert(p *Process, parent *Process, a Attr) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if parent != nil && (parent.state != stateRunning || parent.killSig != 0) {
		return syscall.ESRCH
	}
	cg := a.Cgroup
	if cg == nil {
		if parent != nil {
			cg = parent.cg
		} else {
			cg = k.rootCG
		}
	}
	if len(k.procs) >= k.cfg.MaxProcs {
		return syscall.EAGAIN
	}
	if lim := cg.limits.PidsLimit; lim > 0 && int64(len(cg.procs)) >= lim {
		return syscall.EAGAIN
	}
	var chain []*PIDNamespace
	for n := p.ns.PID; n != nil; n = n.parent {
		if n.dying {
			return syscall.ENOMEM
		}
		if len(n.pids) >= pidMax-1 {
			return syscall.EAGAIN
		}
		chain = append(chain, n)
	}
	p.ids = make([]pidEntry, len(chain))
	for i, n := range chain {
		nr := n.allocLocked()
		n.pids[nr] = p
		p.ids[n.level] = pidEntry{ns: n, nr: nr}
		if i == 0 && nr == 1 {
			n.init = p
		}
	}
	p.pid = p.ids[0].nr
	k.procs[p.pid] = p
	p.cg = cg
	cg.procs[p] = struct{}{}
	k.enterLocked(p.ns)
	p.parent = parent
	if parent != nil {
		parent.children[p] = struct{}{}
		p.pgid, p.sid = parent.pgid, parent.sid
		p.ignored = parent.ignored
		p.umask = parent.umask
		if p.tty == nil && !a.Setsid {
			p.tty = parent.tty
		}
	}
	if a.Setsid || parent == nil {
		p.pgid, p.sid = p.pid, p.pid
	}
	if p.tty != nil {
		p.tty.attachLocked(p)
	}
	p.start = k.clock.Now()
	p.ctx, p.cancel = context.WithCancel(context.Background())
	p.in = &procReader{p: p, r: interruptible(p.stdin)}
	p.out = &procWriter{p: p, w: p.stdout}
	p.errw = &procWriter{p: p, w: p.stderr}
	if p.rawFS != nil {
		cred := vfs.Cred{UID: p.cred.UID, GID: p.cred.GID, Groups: p.cred.Groups}
		p.fsys = &gatedFS{p: p, fs: vfs.WithCred(p.rawFS, cred)}
	}
	return nil
}

func (n *PIDNamespace) allocLocked() int {
	for {
		nr := n.next
		n.next++
		if n.next >= pidMax {
			n.next = 300 // Linux restarts above the kernel threads' range
			if n.level > 0 {
				n.next = 2
			}
		}
		if _, used := n.pids[nr]; !used {
			return nr
		}
	}
}

// run is the process's goroutine.
func (p *Process) run(prog sys.Program) {
	code, crashed := p.call(prog)
	if crashed {
		p.k.mu.Lock()
		if p.killSig == 0 {
			p.killSig = backend.SIGSEGV
		}
		p.k.mu.Unlock()
	}
	p.exit(code)
}

// call runs prog, turning a panic into a crash.
func (p *Process) call(prog sys.Program) (code int, crashed bool) {
	defer func() {
		if v := recover(); v != nil {
			if p.k.cfg.OnPanic != nil {
				p.k.cfg.OnPanic(p, v, stack())
			}
			code, crashed = 0, true
		}
	}()
	return prog(p), false
}

// exit ends the process: it becomes a zombie until its parent waits for it.
func (p *Process) exit(code int) {
	k := p.k
	k.mu.Lock()
	defer k.mu.Unlock()
	if p.killSig != 0 {
		p.status = 128 + int(p.killSig)
	} else {
		p.status = code & 0xff
	}
	p.cancel()
	if p.tty != nil {
		p.tty.detachLocked(p)
	}
	pidns := p.ns.PID
	if pidns.init == p && pidns != k.root.PID {
		// The namespace dies with its init: every other process in it is
		// killed, and init waits until they are gone (zap_pid_ns_processes).
		pidns.dying = true
		p.exiting = true
		for _, q := range pidns.pids {
			if q != p && q.state == stateRunning {
				k.sendLocked(nil, q, backend.SIGKILL)
			}
		}
		for {
			others := 0
			for _, q := range pidns.pids {
				if q == p {
					continue
				}
				if q.state == stateZombie && (q.parent == nil || q.parent.exiting || q.parent.state != stateRunning) {
					k.reapLocked(q)
					continue
				}
				others++
			}
			if others == 0 {
				break
			}
			k.cond.Wait()
		}
	}
	// Children go to the reaper of this process's PID namespace: its init,
	// or, when this process is that init, the init of the nearest ancestor
	// namespace.
	reaper := pidns.init
	if reaper == nil || reaper == p {
		reaper = nil
		for n := pidns.parent; n != nil; n = n.parent {
			if n.init != nil && n.init.state == stateRunning {
				reaper = n.init
				break
			}
		}
	}
	for c := range p.children {
		delete(p.children, c)
		c.parent = reaper
		c.orphan = true
		if reaper != nil {
			reaper.children[c] = struct{}{}
		}
		if c.state == stateZombie {
			k.reapLocked(c)
		}
	}
	p.state = stateZombie
	p.markIdleLocked()
	p.end = k.clock.Now()
	close(p.exited)
	k.cond.Broadcast()
	par := p.parent
	switch {
	case par == nil || par == k.init || p.orphan || par.exiting || par.state != stateRunning || par.ignores(backend.SIGCHLD):
		k.reapLocked(p)
	default:
		k.sendLocked(nil, par, backend.SIGCHLD)
	}
}

// reapLocked removes a zombie from the process table.
func (k *Kernel) reapLocked(p *Process) {
	if p.state != stateZombie {
		return
	}
	p.state = stateReaped
	for _, e := range p.ids {
		delete(e.ns.pids, e.nr)
		if e.ns.init == p {
			e.ns.init = nil
		}
	}
	delete(k.procs, p.pid)
	if p.parent != nil {
		delete(p.parent.children, p)
	}
	delete(p.cg.procs, p)
	p.cg.cpuGone += p.cpuLocked()
	k.leaveLocked(p.ns)
	close(p.reaped)
	k.cond.Broadcast()
}

// HostPID returns the process's PID in the root namespace.
func (p *Process) HostPID() int { return p.pid }

// NSPID returns the process's PID in its own (innermost) PID namespace.
func (p *Process) NSPID() int { return p.ids[len(p.ids)-1].nr }

// PIDIn returns the process's PID in ns, or 0 when it is not visible there.
func (p *Process) PIDIn(ns *PIDNamespace) int {
	p.k.mu.Lock()
	defer p.k.mu.Unlock()
	return p.nrLocked(ns)
}

func (p *Process) nrLocked(ns *PIDNamespace) int {
	if ns == nil || ns.level >= len(p.ids) || p.ids[ns.level].ns != ns {
		return 0
	}
	return p.ids[ns.level].nr
}

// Exe returns the path of the file the process executes, as execve was
// given it ("" for the kernel's own processes).
func (p *Process) Exe() string {
	p.k.mu.Lock()
	defer p.k.mu.Unlock()
	return p.exe
}

// Namespaces returns the process's namespaces.
func (p *Process) Namespaces() Namespaces {
	p.k.mu.Lock()
	defer p.k.mu.Unlock()
	return p.ns
}

// Cgroup returns the process's cgroup.
func (p *Process) Cgroup() *Cgroup { return p.cg }

// TTY returns the process's controlling terminal, or nil.
func (p *Process) TTY() *PTY { return p.tty }

// Done is closed when the process has exited (it may still be a zombie).
func (p *Process) Done() <-chan struct{} { return p.exited }

// Idle is closed the first time the process waits in a kernel call
// (sleeping, reading, waiting for a child), is frozen or stopped, or exits:
// the point a real program has reached by the time its runtime's start
// returns. A program that waits only on its context never gets there, so
// callers should also give up after a while.
func (p *Process) Idle() <-chan struct{} { return p.idle }

func (p *Process) markIdleLocked() {
	select {
	case <-p.idle:
	default:
		close(p.idle)
	}
}

// Exited reports whether the process has exited and, if so, its status
// (128+n when signal n killed it) and when it ended.
func (p *Process) Exited() (status int, at time.Time, ok bool) {
	p.k.mu.Lock()
	defer p.k.mu.Unlock()
	if p.state == stateRunning {
		return 0, time.Time{}, false
	}
	return p.status, p.end, true
}

// Wait waits until the process has exited, reaps it (as its parent would)
// and returns its status.
func (p *Process) Wait() int {
	<-p.exited
	p.k.mu.Lock()
	defer p.k.mu.Unlock()
	p.k.reapLocked(p)
	return p.status
}

// WaitContext is Wait that gives up when ctx is done.
func (p *Process) WaitContext(ctx context.Context) (int, error) {
	select {
	case <-p.exited:
		return p.Wait(), nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// Signal sends sig to the process from the machine's root namespace, as
// `kill` on the host or the container runtime does: a namespace's init
// receives SIGKILL and SIGSTOP from there even without a handler. Errors:
// ESRCH when the process has exited.
func (p *Process) Signal(sig backend.Signal) error {
	if sig < 0 || sig > 64 {
		return syscall.EINVAL
	}
	p.k.mu.Lock()
	defer p.k.mu.Unlock()
	if p.state != stateRunning {
		return syscall.ESRCH
	}
	if sig != 0 {
		p.k.sendLocked(p.k.root.PID, p, sig)
	}
	return nil
}

// Info describes the process as seen from PID namespace view (nil: the
// root namespace): PIDs as view numbers them, PPID 0 when the parent is not
// visible there.
func (p *Process) Info(view *PIDNamespace) sys.ProcInfo {
	if view == nil {
		view = p.k.root.PID
	}
	p.k.mu.Lock()
	defer p.k.mu.Unlock()
	return p.infoLocked(view, nil)
}

// infoLocked describes p for ps run by self (nil: from outside).
func (p *Process) infoLocked(view *PIDNamespace, self *Process) sys.ProcInfo {
	in := sys.ProcInfo{
		PID:     p.nrLocked(view),
		UID:     p.cred.UID,
		State:   p.stateLetterLocked(self),
		Comm:    p.comm,
		Start:   p.start,
		CPUTime: p.cpuLocked(),
	}
	if p.parent != nil {
		in.PPID = p.parent.nrLocked(view)
	}
	if p.state == stateRunning {
		in.Args = p.args
		in.VSZ, in.RSS = p.vsz, p.rss
	}
	if p.tty != nil && p.state == stateRunning {
		in.TTY = p.tty.Name()
	}
	return in
}

// stateLetterLocked is p's state as ps shows it. A program cannot be
// watched running between kernel calls, so a live process is sleeping (S),
// except the one asking, which is running (R).
func (p *Process) stateLetterLocked(self *Process) string {
	switch {
	case p.state != stateRunning:
		return "Z"
	case p.cg.frozen:
		return "D"
	case p.stopped:
		return "T"
	case p == self:
		return "R"
	}
	return "S"
}

// cpuLocked is the process's CPU time: the kernel charges each kernel call
// a fixed cost, so that accounting is deterministic.
func (p *Process) cpuLocked() time.Duration {
	return time.Millisecond + time.Duration(p.calls)*20*time.Microsecond
}

// String names the process for messages: "1234 (sleep)".
func (p *Process) String() string { return fmt.Sprintf("%d (%s)", p.pid, p.comm) }

// truncComm shortens a program name to the 15 bytes Linux keeps.
func truncComm(s string) string {
	if len(s) > 15 {
		s = s[:15]
	}
	return s
}

func splitEnv(kv string) (string, string) {
	k, v, _ := strings.Cut(kv, "=")
	return k, v
}
