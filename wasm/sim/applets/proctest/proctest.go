// Package proctest is a small implementation of sys.Proc for testing
// programs: one PID namespace over one vfs.FS, a fake clock, signals and
// exec as wasm/sim/sys documents them. The simulated kernel
// (wasm/sim/kernel) is the real implementation; this one exists so that
// the shell and the applets can be tested on their own.
//
//	sys := proctest.New(vfs.NewTree(clock), busybox.NewRegistry())
//	status, err := sys.Run(proctest.Cmd{Args: []string{"sh", "-c", "ls /"}, Stdout: &out})
package proctest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/wasm/sim/sys"
	"github.com/twinbox-dev/twinbox/wasm/sim/vfs"
)

// DefaultPath is the search path used when the environment has no PATH.
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Epoch is where the fake clock starts: 2024-01-02 03:04:05 UTC.
var Epoch = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

// System is a simulated machine with one PID namespace.
type System struct {
	FS       vfs.FS
	Registry sys.Registry
	Hostname string
	Uname    sys.Utsname
	// SleepBlocks makes Sleep wait until Advance moves the clock far
	// enough or the process is killed; otherwise Sleep advances the clock
	// itself and returns at once.
	SleepBlocks bool

	mu      sync.Mutex
	now     time.Time
	wake    chan struct{} // closed and replaced when the clock moves
	procs   map[int]*Proc
	nextPID int
}

// New returns a System over fsys whose programs come from reg.
func New(fsys vfs.FS, reg sys.Registry) *System {
	return &System{
		FS:       fsys,
		Registry: reg,
		Hostname: "testhost",
		Uname: sys.Utsname{Sysname: "Linux", Nodename: "testhost", Release: "6.1.0-test",
			Version: "#1 SMP PREEMPT_DYNAMIC Debian 6.1.0", Machine: "x86_64", Domainname: "(none)"},
		now:     Epoch,
		wake:    make(chan struct{}),
		procs:   map[int]*Proc{},
		nextPID: 1,
	}
}

// Now is the fake clock.
func (s *System) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now
}

// Advance moves the clock forward by d, waking sleepers that are due.
func (s *System) Advance(d time.Duration) {
	s.mu.Lock()
	s.now = s.now.Add(d)
	close(s.wake)
	s.wake = make(chan struct{})
	s.mu.Unlock()
}

// Cmd describes a process to start from outside the system, as the
// container runtime does.
type Cmd struct {
	Args     []string
	Env      []string
	Dir      string // "/" when empty
	Stdin    io.Reader
	Stdout   io.Writer
	Stderr   io.Writer
	Cred     sys.Cred
	Terminal *Terminal // the controlling terminal of fds whose stream is the terminal
}

// Start starts cmd as a new process whose parent is outside the namespace
// (PPID 0).
func (s *System) Start(cmd Cmd) (*Proc, error) {
	return s.start(nil, cmd)
}

// Run starts cmd and waits for it, returning its exit status.
func (s *System) Run(cmd Cmd) (int, error) {
	p, err := s.Start(cmd)
	if err != nil {
		return 0, err
	}
	return p.Wait(), nil
}

// Proc returns the process with the given PID, if it is still running.
func (s *System) Proc(pid int) (*Proc, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.procs[pid]
	return p, ok
}

func (s *System) start(parent *Proc, cmd Cmd) (*Proc, error) {
	dir := cmd.Dir
	if dir == "" {
		dir = "/"
	}
	img, err := s.resolve(dir, cmd.Args, cmd.Env)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.mu.Lock()
	pid := s.nextPID
	s.nextPID++
	p := &Proc{
		sys: s, pid: pid, ctx: ctx, cancel: cancel,
		args: img.args, comm: img.comm, env: slices.Clone(cmd.Env), dir: dir,
		in: cmd.Stdin, out: cmd.Stdout, errw: cmd.Stderr, cred: cmd.Cred,
		term: cmd.Terminal, umask: 0o022, start: s.now,
		done:     make(chan struct{}),
		handlers: map[backend.Signal]handler{},
	}
	if parent != nil {
		p.ppid = parent.pid
		p.umask = parent.Umask()
	}
	s.procs[pid] = p
	s.mu.Unlock()
	go p.run(img.prog)
	return p, nil
}

// image is what exec found to run.
type image struct {
	prog sys.Program
	args []string
	comm string
}

// resolve does exec's lookup: PATH search, the execute-permission check,
// then the file's format: a simulated binary (sys.BinaryMagic) runs the
// registry's program, "#!" runs the interpreter, anything else is
// ENOEXEC.
func (s *System) resolve(dir string, args, env []string) (image, error) {
	if len(args) == 0 {
		return image{}, &backend.ExecError{Name: "", Reason: backend.ReasonNotInPath}
	}
	name := args[0]
	file := ""
	if strings.Contains(name, "/") {
		file = abs(dir, name)
		fi, err := s.FS.Stat(file)
		switch {
		case err != nil && errors.Is(err, fs.ErrNotExist):
			return image{}, &backend.ExecError{Name: name, Reason: backend.ReasonNoFile(name)}
		case err != nil:
			return image{}, &backend.ExecError{Name: name, Reason: strings.ToLower(errText(err))}
		case fi.IsDir():
			return image{}, &backend.ExecError{Name: name, Reason: backend.ReasonIsDir}
		case fi.Mode()&0o111 == 0:
			return image{}, &backend.ExecError{Name: name, Reason: backend.ReasonPermission}
		}
	} else {
		pathVar, ok := lookupEnv(env, "PATH")
		if !ok {
			pathVar = DefaultPath
		}
		for _, d := range strings.Split(pathVar, ":") {
			if d == "" {
				d = "."
			}
			cand := abs(dir, d+"/"+name)
			if fi, err := s.FS.Stat(cand); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
				file = cand
				break
			}
		}
		if file == "" {
			return image{}, &backend.ExecError{Name: name, Reason: backend.ReasonNotInPath}
		}
	}
	return s.load(file, args, 0)
}

func (s *System) load(file string, args []string, depth int) (image, error) {
	name := args[0]
	f, err := s.FS.OpenFile(file, os.O_RDONLY, 0)
	if err != nil {
		return image{}, &backend.ExecError{Name: name, Reason: strings.ToLower(errText(err))}
	}
	head := make([]byte, 256)
	n, _ := io.ReadFull(f, head)
	f.Close()
	head = head[:n]
	switch {
	case len(head) > 8 && bytes.HasPrefix(head, []byte("\x7fELF")) && bytes.HasPrefix(head[8:], []byte(sys.BinaryMagic)):
		rest := head[8+len(sys.BinaryMagic):]
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			break
		}
		binary := string(rest[:i])
		prog, ok := s.Registry.Lookup(path.Base(args[0]))
		if !ok {
			// The binary itself says the name is not one of its programs.
			prog, ok = s.Registry.Lookup(binary)
		}
		if !ok {
			return image{}, &backend.ExecError{Name: name, Reason: "exec format error"}
		}
		return image{prog: prog, args: args, comm: comm(file)}, nil
	case bytes.HasPrefix(head, []byte("#!")) && depth < 4:
		line := string(head[2:])
		if i := strings.IndexByte(line, '\n'); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		interp, arg, _ := strings.Cut(line, " ")
		arg = strings.TrimSpace(arg)
		if interp == "" {
			break
		}
		nargs := []string{interp}
		if arg != "" {
			nargs = append(nargs, arg)
		}
		nargs = append(nargs, args[0])
		nargs = append(nargs, args[1:]...)
		if _, err := s.FS.Stat(interp); err != nil {
			return image{}, &backend.ExecError{Name: name, Reason: "no such file or directory"}
		}
		img, err := s.load(interp, nargs, depth+1)
		if err != nil {
			return image{}, &backend.ExecError{Name: name, Reason: err.(*backend.ExecError).Reason}
		}
		return img, nil
	}
	return image{}, &backend.ExecError{Name: name, Reason: "exec format error"}
}

func comm(file string) string {
	c := path.Base(file)
	if len(c) > 15 {
		c = c[:15]
	}
	return c
}

func abs(dir, name string) string {
	if strings.HasPrefix(name, "/") {
		return name
	}
	if dir == "/" {
		return "/" + name
	}
	return dir + "/" + name
}

func lookupEnv(env []string, key string) (string, bool) {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}

func errText(err error) string {
	var e syscall.Errno
	if errors.As(err, &e) {
		return e.Error()
	}
	return err.Error()
}

type handler struct {
	ignore bool
	ch     chan<- backend.Signal
}

// Proc is a process of a System; it implements sys.Proc.
type Proc struct {
	sys    *System
	pid    int
	ppid   int
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	args     []string
	comm     string
	env      []string
	dir      string
	in       io.Reader
	out      io.Writer
	errw     io.Writer
	cred     sys.Cred
	term     *Terminal
	umask    fs.FileMode
	start    time.Time
	handlers map[backend.Signal]handler
	killedBy backend.Signal

	done   chan struct{}
	status int
}

var (
	_ sys.Proc          = (*Proc)(nil)
	_ sys.UmaskSetter   = (*Proc)(nil)
	_ sys.Chdirer       = (*Proc)(nil)
	_ sys.SignaledChild = (*Proc)(nil)
)

func (p *Proc) run(prog sys.Program) {
	status := prog(p)
	p.mu.Lock()
	if p.killedBy != 0 {
		status = 128 + int(p.killedBy)
	}
	p.status = status
	p.mu.Unlock()
	p.cancel()
	p.sys.mu.Lock()
	delete(p.sys.procs, p.pid)
	p.sys.mu.Unlock()
	close(p.done)
}

// Wait waits for the process to end and returns its status.
func (p *Proc) Wait() int {
	<-p.done
	return p.status
}

// Signaled reports the signal that killed the process, after Wait.
func (p *Proc) Signaled() (backend.Signal, bool) {
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.killedBy, p.killedBy != 0
}

// Context implements sys.Proc.
func (p *Proc) Context() context.Context { return p.ctx }

// Args implements sys.Proc.
func (p *Proc) Args() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.args)
}

// Environ implements sys.Proc.
func (p *Proc) Environ() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.env)
}

// Getenv implements sys.Proc.
func (p *Proc) Getenv(key string) (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return lookupEnv(p.env, key)
}

// Dir implements sys.Proc.
func (p *Proc) Dir() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.dir
}

// Chdir implements sys.Chdirer.
func (p *Proc) Chdir(dir string) error {
	fi, err := p.sys.FS.Stat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return syscall.ENOTDIR
	}
	p.mu.Lock()
	p.dir = dir
	p.mu.Unlock()
	return nil
}

// FS implements sys.Proc.
func (p *Proc) FS() vfs.FS { return p.sys.FS }

// Umask implements sys.Proc.
func (p *Proc) Umask() fs.FileMode {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.umask
}

// Stdin implements sys.Proc.
func (p *Proc) Stdin() io.Reader { return p.in }

// Stdout implements sys.Proc.
func (p *Proc) Stdout() io.Writer { return writerOrDiscard(p.out) }

// Stderr implements sys.Proc.
func (p *Proc) Stderr() io.Writer { return writerOrDiscard(p.errw) }

func writerOrDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// Terminal implements sys.Proc: fd's stream must be the terminal itself.
func (p *Proc) Terminal(fd int) (sys.Terminal, bool) {
	if p.term == nil {
		return nil, false
	}
	var s any
	switch fd {
	case 0:
		s = p.in
	case 1:
		s = p.out
	case 2:
		s = p.errw
	}
	if t, ok := s.(*Terminal); ok && t == p.term {
		return p.term, true
	}
	return nil, false
}

// Cred implements sys.Proc.
func (p *Proc) Cred() sys.Cred { return p.cred }

// PID implements sys.Proc.
func (p *Proc) PID() int { return p.pid }

// PPID implements sys.Proc.
func (p *Proc) PPID() int { return p.ppid }

// Hostname implements sys.Proc.
func (p *Proc) Hostname() string { return p.sys.Hostname }

// Uname implements sys.Proc.
func (p *Proc) Uname() sys.Utsname {
	u := p.sys.Uname
	u.Nodename = p.sys.Hostname
	return u
}

// Now implements sys.Proc.
func (p *Proc) Now() time.Time { return p.sys.Now() }

// Sleep implements sys.Proc.
func (p *Proc) Sleep(d time.Duration) error {
	s := p.sys
	s.mu.Lock()
	until := s.now.Add(d)
	if !s.SleepBlocks {
		if until.After(s.now) {
			s.now = until
		}
		s.mu.Unlock()
		return p.ctx.Err()
	}
	for s.now.Before(until) {
		wake := s.wake
		s.mu.Unlock()
		select {
		case <-p.ctx.Done():
			return p.ctx.Err()
		case <-wake:
		}
		s.mu.Lock()
	}
	s.mu.Unlock()
	return p.ctx.Err()
}

// Processes implements sys.Proc.
func (p *Proc) Processes() []sys.ProcInfo {
	s := p.sys
	s.mu.Lock()
	procs := make([]*Proc, 0, len(s.procs))
	for _, q := range s.procs {
		procs = append(procs, q)
	}
	s.mu.Unlock()
	slices.SortFunc(procs, func(a, b *Proc) int { return a.pid - b.pid })
	var out []sys.ProcInfo
	for _, q := range procs {
		q.mu.Lock()
		state := "S"
		if q == p {
			state = "R"
		}
		tty := ""
		if q.term != nil {
			tty = "pts/0"
		}
		out = append(out, sys.ProcInfo{
			PID: q.pid, PPID: q.ppid, UID: q.cred.UID, State: state, Comm: q.comm,
			Args: slices.Clone(q.args), TTY: tty, Start: q.start,
			VSZ: 1 << 20, RSS: 512 << 10,
		})
		q.mu.Unlock()
	}
	return out
}

// Kill implements sys.Proc.
func (p *Proc) Kill(pid int, sig backend.Signal) error {
	q, ok := p.sys.Proc(pid)
	if !ok {
		return syscall.ESRCH
	}
	if sig == 0 {
		return nil
	}
	q.deliver(sig)
	return nil
}

func (p *Proc) deliver(sig backend.Signal) {
	p.mu.Lock()
	h, caught := p.handlers[sig]
	if sig == backend.SIGKILL || sig == backend.SIGSTOP {
		caught = false
	}
	if caught {
		p.mu.Unlock()
		if h.ignore {
			return
		}
		select {
		case h.ch <- sig:
		default:
		}
		return
	}
	switch sig {
	case backend.SIGCHLD, backend.SIGURG, backend.SIGWINCH, backend.SIGCONT,
		backend.SIGSTOP, backend.SIGTSTP, backend.SIGTTIN, backend.SIGTTOU:
		p.mu.Unlock()
		return
	}
	if p.killedBy == 0 {
		p.killedBy = sig
	}
	p.mu.Unlock()
	p.cancel()
}

// Notify implements sys.Proc.
func (p *Proc) Notify(ch chan<- backend.Signal, sig backend.Signal) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.handlers[sig] = handler{ch: ch}
}

// Ignore implements sys.Proc.
func (p *Proc) Ignore(sig backend.Signal) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.handlers[sig] = handler{ignore: true}
}

// Reset implements sys.Proc.
func (p *Proc) Reset(sig backend.Signal) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.handlers, sig)
}

// Spawn implements sys.Proc.
func (p *Proc) Spawn(cmd sys.Cmd) (sys.Child, error) {
	if err := p.ctx.Err(); err != nil {
		return nil, err
	}
	dir := cmd.Dir
	if dir == "" {
		dir = p.Dir()
	}
	c := Cmd{Args: cmd.Args, Env: cmd.Env, Dir: dir, Stdin: cmd.Stdin, Stdout: cmd.Stdout, Stderr: cmd.Stderr,
		Cred: p.cred, Terminal: p.term}
	return p.sys.start(p, c)
}

// Exec implements sys.Proc.
func (p *Proc) Exec(args, env []string) (int, bool, error) {
	img, err := p.sys.resolve(p.Dir(), args, env)
	if err != nil {
		return 0, false, err
	}
	p.mu.Lock()
	p.args, p.comm, p.env = img.args, img.comm, slices.Clone(env)
	p.handlers = map[backend.Signal]handler{}
	p.mu.Unlock()
	return img.prog(p), true, nil
}

// Terminal is a fake terminal: its reads come from a reader, its output is
// collected. It counts SetRaw calls so that tests can check them.
type Terminal struct {
	io.Reader
	io.Writer
	Rows, Cols int

	mu  sync.Mutex
	raw bool
}

// Size implements sys.Terminal.
func (t *Terminal) Size() (int, int) { return t.Rows, t.Cols }

// SetRaw implements sys.Terminal.
func (t *Terminal) SetRaw(raw bool) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	was := t.raw
	t.raw = raw
	return was
}

// SetNow sets the fake clock.
func (s *System) SetNow(t time.Time) {
	s.mu.Lock()
	s.now = t
	s.mu.Unlock()
}

// SetUmask sets the process's file creation mask, as umask(2).
func (p *Proc) SetUmask(m fs.FileMode) {
	p.mu.Lock()
	p.umask = m & 0o777
	p.mu.Unlock()
}
