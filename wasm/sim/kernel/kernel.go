// Package kernel is the simulator's kernel: processes that are goroutines
// running sys.Program functions, with host PIDs and per-namespace PIDs; pid,
// mount, uts, ipc, net and user namespaces; credentials; a process tree in
// which exited children are zombies until waited for and orphans go to their
// namespace's init; signals with Linux's semantics (default actions,
// handlers, stop and continue, and the rule that protects a PID namespace's
// init); cgroups with a freezer; a clock; exec of files found through PATH,
// of "#!" scripts and of multi-call binaries from a sys.Registry; and
// pseudo-terminals with a line discipline.
//
// The simulator backend (wasm/sim) builds containers from these parts:
//
//	k := kernel.New(kernel.Config{Registry: reg, RootFS: hostFS})
//	ns := k.RootNamespaces()
//	ns.Mount = k.NewMountNamespace(containerFS)
//	ns.UTS = k.NewUTSNamespace("c0ffee", "")
//	ns.IPC = k.NewIPCNamespace()
//	ns.PID = k.NewPIDNamespace(nil)
//	ns.Net = k.NewNetNamespace()
//	p, err := k.Spawn(kernel.Attr{Args: []string{"sh"}, Env: env, Dir: "/", NS: &ns, Stdout: w})
//	status := p.Wait()
//
// A program sees its process through sys.Proc; everything it learns about
// the machine comes from there. Nothing here touches the host.
package kernel

import (
	"errors"
	"io/fs"
	"runtime"
	"sort"
	"sync"

	"github.com/twinbox-dev/twinbox/wasm/sim/sys"
	"github.com/twinbox-dev/twinbox/wasm/sim/vfs"
)

// Config configures a Kernel. Registry and RootFS are required.
type Config struct {
	// Clock is the wall clock; nil means RealClock.
	Clock Clock
	// Registry provides the programs of multi-call binaries.
	Registry sys.Registry
	// RootFS is the filesystem of the root mount namespace: the machine's.
	RootFS vfs.FS
	// Hostname is the machine's host name; "" means "localhost".
	Hostname string
	// Release, Version and Machine are what uname reports; empty fields get
	// a Debian 12 kernel's values on x86_64.
	Release, Version, Machine string
	// MaxProcs bounds the number of processes (zombies included), like
	// pid_max and the threads limit; 0 means 4096. Spawn fails with EAGAIN
	// beyond it.
	MaxProcs int
	// OnPanic, when set, is told about a program that panicked; the kernel
	// then ends the process as a segmentation fault would (status 139).
	OnPanic func(p *Process, v any, stack []byte)
}

// The uname values reported by default.
const (
	DefaultRelease = "6.1.0-28-amd64"
	DefaultVersion = "#1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1 (2024-11-22)"
	DefaultMachine = "x86_64"
)

// pidMax is where PIDs wrap around, Linux's default pid_max.
const pidMax = 32768

// Kernel is a simulated Linux kernel. Its methods are safe for concurrent use.
type Kernel struct {
	cfg   Config
	clock Clock

	mu     sync.Mutex
	cond   *sync.Cond // broadcast when a process thaws, continues, dies or is reaped
	procs  map[int]*Process
	root   Namespaces
	init   *Process
	inodes inodes
	rootCG *Cgroup
	nsfs   map[nsfsKey]Namespace // files that keep a namespace (see BindNamespace)
}

// New boots a kernel: the root namespaces and the machine's init, PID 1,
// which adopts and reaps orphans.
func New(cfg Config) *Kernel {
	if cfg.Clock == nil {
		cfg.Clock = RealClock{}
	}
	if cfg.Hostname == "" {
		cfg.Hostname = "localhost"
	}
	if cfg.Release == "" {
		cfg.Release = DefaultRelease
	}
	if cfg.Version == "" {
		cfg.Version = DefaultVersion
	}
	if cfg.Machine == "" {
		cfg.Machine = DefaultMachine
	}
	if cfg.MaxProcs <= 0 {
		cfg.MaxProcs = 4096
	}
	k := &Kernel{cfg: cfg, clock: cfg.Clock, procs: map[int]*Process{}}
	k.cond = sync.NewCond(&k.mu)
	used := func(kind NSKind, n uint64) nsBase { return nsBase{kind: kind, inode: n, used: true} }
	k.root = Namespaces{
		PID:    &PIDNamespace{nsBase: used(KindPID, rootPIDInode), next: 1, pids: map[int]*Process{}},
		Mount:  &MountNamespace{nsBase: used(KindMount, rootMountInode), fs: cfg.RootFS},
		UTS:    &UTSNamespace{nsBase: used(KindUTS, rootUTSInode), hostname: cfg.Hostname, domainname: "(none)"},
		IPC:    &IPCNamespace{nsBase: used(KindIPC, rootIPCInode)},
		Net:    &NetNamespace{nsBase: used(KindNet, rootNetInode)},
		User:   &UserNamespace{nsBase: used(KindUser, rootUserInode)},
		Cgroup: &CgroupNamespace{nsBase: used(KindCgroup, rootCgroupInode)},
	}
	k.rootCG = k.NewCgroup("/", Limits{})
	init, err := k.Spawn(Attr{
		Args:    []string{"/sbin/init"},
		Env:     []string{"HOME=/", "TERM=linux"},
		Dir:     "/",
		Program: initProgram,
		Comm:    "systemd",
		Setsid:  true,
		VSZ:     167608 << 10,
		RSS:     12876 << 10,
	})
	if err != nil {
		panic("kernel: cannot start init: " + err.Error())
	}
	k.init = init
	return k
}

// initProgram is the machine's init: it does nothing but exist; the kernel
// reaps the orphans it adopts.
func initProgram(p sys.Proc) int {
	<-p.Context().Done()
	return 0
}

// Clock returns the kernel's clock.
func (k *Kernel) Clock() Clock { return k.clock }

// Registry returns the registry of programs.
func (k *Kernel) Registry() sys.Registry { return k.cfg.Registry }

// Init returns the machine's init, PID 1.
func (k *Kernel) Init() *Process { return k.init }

// RootCgroup returns the cgroup of the machine's own processes.
func (k *Kernel) RootCgroup() *Cgroup { return k.rootCG }

// SkipPIDs advances the root namespace's PID counter by n, as processes
// started and ended during boot would have.
func (k *Kernel) SkipPIDs(n int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	ns := k.root.PID
	ns.next = (ns.next+n-1)%(pidMax-1) + 1
}

// Find returns the process with host PID pid, zombies included, or nil.
func (k *Kernel) Find(pid int) *Process {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.procs[pid]
}

// Processes returns the processes visible in ns (nil: the root namespace),
// zombies included, sorted by their PID there.
func (k *Kernel) Processes(ns *PIDNamespace) []*Process {
	if ns == nil {
		ns = k.root.PID
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	out := make([]*Process, 0, len(ns.pids))
	for _, p := range ns.pids {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].nrLocked(ns) < out[j].nrLocked(ns) })
	return out
}

// Shutdown kills every process but init, as a machine going down does, and
// waits until they are gone. The kernel stays usable.
func (k *Kernel) Shutdown() {
	k.mu.Lock()
	defer k.mu.Unlock()
	for {
		alive := 0
		for _, p := range k.procs {
			switch {
			case p == k.init:
			case p.state == stateRunning:
				alive++
				p.killLocked(sigKill) // even frozen ones
			case p.state == stateZombie:
				k.reapLocked(p) // nobody will wait for it any more
			}
		}
		if alive == 0 {
			return
		}
		k.cond.Wait()
	}
}

func sortByPID(ps []*Process) {
	sort.Slice(ps, func(i, j int) bool { return ps[i].pid < ps[j].pid })
}

// errnoErr unwraps the syscall.Errno of a vfs error, if any.
func errnoErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func stack() []byte {
	buf := make([]byte, 8192)
	return buf[:runtime.Stack(buf, false)]
}
