package kernel

import (
	"context"
	"io"
	"io/fs"
	"sort"
	"syscall"
	"time"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/wasm/sim/sys"
	"github.com/twinbox-dev/twinbox/wasm/sim/vfs"
)

// This file is the system-call interface: Process implements sys.Proc for
// the program running in it.

var _ sys.Proc = (*Process)(nil)

// Context is done when the process is killed.
func (p *Process) Context() context.Context { return p.ctx }

// Args returns argv.
func (p *Process) Args() []string {
	p.k.mu.Lock()
	defer p.k.mu.Unlock()
	return p.args
}

// Environ returns the environment.
func (p *Process) Environ() []string {
	p.k.mu.Lock()
	defer p.k.mu.Unlock()
	return p.env
}

// Getenv returns the first value of key in the environment.
func (p *Process) Getenv(key string) (string, bool) {
	return lookupEnv(p.Environ(), key)
}

// Dir returns the working directory the process started in.
func (p *Process) Dir() string { return p.dir }

// FS returns the process's view of the filesystem: its mount namespace,
// with its credentials' permission checks, every call a kernel call.
func (p *Process) FS() vfs.FS { return p.fsys }

// Umask returns the file creation mask, which the kernel applies to files
// and directories the process creates.
func (p *Process) Umask() fs.FileMode {
	p.k.mu.Lock()
	defer p.k.mu.Unlock()
	return p.umask
}

// Stdin returns the standard input.
func (p *Process) Stdin() io.Reader { return p.in }

// Stdout returns the standard output.
func (p *Process) Stdout() io.Writer { return p.out }

// Stderr returns the standard error.
func (p *Process) Stderr() io.Writer { return p.errw }

// Terminal returns the terminal fd (0, 1 or 2) is attached to, if any.
func (p *Process) Terminal(fd int) (sys.Terminal, bool) {
	var s any
	switch fd {
	case 0:
		s = p.stdin
	case 1:
		s = p.stdout
	case 2:
		s = p.stderr
	}
	t, ok := s.(*ptySlave)
	return t, ok
}

// Cred returns the process's credentials.
func (p *Process) Cred() sys.Cred { return p.cred }

// PID returns the process's PID in its PID namespace.
func (p *Process) PID() int { return p.NSPID() }

// PPID returns the parent's PID in the process's PID namespace, 0 when the
// parent is outside it.
func (p *Process) PPID() int {
	p.k.mu.Lock()
	defer p.k.mu.Unlock()
	if p.parent == nil {
		return 0
	}
	return p.parent.nrLocked(p.ns.PID)
}

// Hostname returns the host name of the process's UTS namespace.
func (p *Process) Hostname() string { return p.ns.UTS.Hostname() }

// SetHostname changes the host name of the process's UTS namespace; it
// needs root with CAP_SYS_ADMIN. Errors: EPERM.
func (p *Process) SetHostname(name string) error {
	if err := p.enter(); err != nil {
		return err
	}
	if p.cred.UID != 0 || !p.caps.SysAdmin {
		return syscall.EPERM
	}
	if len(name) > 64 {
		return syscall.EINVAL
	}
	p.ns.UTS.SetHostname(name)
	return nil
}

// Uname returns what uname(2) returns in the process's UTS namespace.
func (p *Process) Uname() sys.Utsname {
	c := p.k.cfg
	return sys.Utsname{
		Sysname:    "Linux",
		Nodename:   p.ns.UTS.Hostname(),
		Release:    c.Release,
		Version:    c.Version,
		Machine:    c.Machine,
		Domainname: p.ns.UTS.Domainname(),
	}
}

// Now returns the kernel's clock.
func (p *Process) Now() time.Time { return p.k.clock.Now() }

// Sleep waits d; a frozen or stopped process does not wake before it thaws
// or continues. It returns EINTR when the process is killed.
func (p *Process) Sleep(d time.Duration) error {
	if err := p.enter(); err != nil {
		return err
	}
	t := p.k.clock.NewTimer(d)
	done := p.block()
	select {
	case <-t.C():
	case <-p.ctx.Done():
		t.Stop()
	}
	done()
	return p.enter()
}

// Processes lists the processes of the process's PID namespace, sorted by
// PID, zombies included.
func (p *Process) Processes() []sys.ProcInfo {
	if p.enter() != nil {
		return nil
	}
	view := p.ns.PID
	p.k.mu.Lock()
	defer p.k.mu.Unlock()
	out := make([]sys.ProcInfo, 0, len(view.pids))
	for _, q := range view.pids {
		out = append(out, q.infoLocked(view, p))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PID < out[j].PID })
	return out
}

// Kill sends sig to pid as the process's PID namespace numbers it: pid > 0
// is one process, 0 the caller's process group, -1 every process it may
// signal but its namespace's init and itself, < -1 the process group -pid.
// Signal 0 only checks. Errors: ESRCH when no process matches, EPERM when
// the caller may signal none of them, EINVAL for a bad signal.
func (p *Process) Kill(pid int, sig backend.Signal) error {
	if err := p.enter(); err != nil {
		return err
	}
	if sig < 0 || sig > 64 {
		return syscall.EINVAL
	}
	k := p.k
	k.mu.Lock()
	defer k.mu.Unlock()
	view := p.ns.PID
	var targets []*Process
	switch {
	case pid > 0:
		if t := view.pids[pid]; t != nil {
			targets = append(targets, t)
		}
	case pid == -1:
		for _, t := range view.pids {
			if t != p && t != view.init {
				targets = append(targets, t)
			}
		}
	default:
		pgid := p.pgid
		if pid < -1 {
			leader := view.pids[-pid]
			if leader == nil {
				return syscall.ESRCH
			}
			pgid = leader.pid
		}
		for _, t := range view.pids {
			if t.pgid == pgid {
				targets = append(targets, t)
			}
		}
	}
	if len(targets) == 0 {
		return syscall.ESRCH
	}
	sortByPID(targets)
	allowed := 0
	for _, t := range targets {
		if p.cred.UID != 0 && p.cred.UID != t.cred.UID {
			continue
		}
		allowed++
		if sig != 0 {
			k.sendLocked(view, t, sig)
		}
	}
	if allowed == 0 {
		return syscall.EPERM
	}
	return nil
}

// Notify delivers sig on ch instead of its default action; a full channel
// misses the signal, as with os/signal. An interactive shell should catch
// SIGINT this way rather than ignore it: ignored signals stay ignored in
// the programs it starts.
func (p *Process) Notify(ch chan<- backend.Signal, sig backend.Signal) {
	if uncatchable(sig) || sig <= 0 || sig >= 64 {
		return
	}
	p.k.mu.Lock()
	defer p.k.mu.Unlock()
	if p.handlers == nil {
		p.handlers = map[backend.Signal][]chan<- backend.Signal{}
	}
	for _, c := range p.handlers[sig] {
		if c == ch {
			return
		}
	}
	p.handlers[sig] = append(p.handlers[sig], ch)
	p.ignored &^= 1 << uint(sig)
}

// Ignore ignores sig; the programs the process starts ignore it too.
func (p *Process) Ignore(sig backend.Signal) {
	if uncatchable(sig) || sig <= 0 || sig >= 64 {
		return
	}
	p.k.mu.Lock()
	defer p.k.mu.Unlock()
	delete(p.handlers, sig)
	p.ignored |= 1 << uint(sig)
	p.dropPending(func(s backend.Signal) bool { return s == sig })
}

// Reset restores sig's default action.
func (p *Process) Reset(sig backend.Signal) {
	if sig <= 0 || sig >= 64 {
		return
	}
	p.k.mu.Lock()
	defer p.k.mu.Unlock()
	delete(p.handlers, sig)
	p.ignored &^= 1 << uint(sig)
}

// Spawn starts a child running cmd. A nil cmd.Env means the process's own
// environment, an empty cmd.Dir its directory. Errors: *backend.ExecError
// when the command cannot be executed; EAGAIN at a process limit; EINTR
// when the process is being killed.
func (p *Process) Spawn(cmd sys.Cmd) (sys.Child, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	env := cmd.Env
	if env == nil {
		env = p.Environ()
	}
	dir := cmd.Dir
	if dir == "" {
		dir = p.dir
	}
	c, err := p.k.Spawn(Attr{
		Args:   cmd.Args,
		Env:    env,
		Dir:    abs(p.dir, dir),
		Cred:   p.cred,
		Caps:   p.caps,
		Parent: p,
		Stdin:  underlyingReader(cmd.Stdin),
		Stdout: underlyingWriter(cmd.Stdout),
		Stderr: underlyingWriter(cmd.Stderr),
	})
	if err != nil {
		return nil, err
	}
	return &child{parent: p, p: c, pid: c.PIDIn(p.ns.PID)}, nil
}

// Exec replaces the process's program, keeping its PID; caught signals
// return to their default action. A nil env keeps the environment.
func (p *Process) Exec(args, env []string) (int, bool, error) {
	if err := p.enter(); err != nil {
		return 0, false, err
	}
	if env == nil {
		env = p.Environ()
	}
	img, err := p.k.resolve(p.rawFS, p.cred, p.dir, args, env)
	if err != nil {
		return 0, false, err
	}
	p.k.mu.Lock()
	p.args, p.env = img.args, env
	p.comm, p.exe = truncComm(img.comm), img.path
	p.vsz, p.rss = img.vsz, img.rss
	p.handlers = nil
	p.k.mu.Unlock()
	return img.prog(p), true, nil
}

// child is a process's handle on a child it spawned.
type child struct {
	parent *Process
	p      *Process
	pid    int
}

func (c *child) PID() int { return c.pid }

// Wait waits for the child to exit and reaps it.
func (c *child) Wait() int {
	c.parent.enter()
	done := c.parent.block()
	<-c.p.exited
	done()
	c.parent.enter()
	return c.p.Wait()
}

var _ sys.HostnameSetter = (*Process)(nil)
