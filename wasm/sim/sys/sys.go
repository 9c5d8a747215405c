// Package sys is the simulated system-call interface: what the simulated
// kernel (wasm/sim/kernel) offers to the programs it runs, the shell
// (wasm/sim/shell) and the busybox-like applets (wasm/sim/applets) among them.
//
// A program is a Go function that runs as a simulated process:
//
//	func echo(p sys.Proc) int {
//		fmt.Fprintln(p.Stdout(), strings.Join(p.Args()[1:], " "))
//		return 0
//	}
//
// Everything a program prints must come from what Proc tells it: its files,
// its environment, the process table. Programs never touch the host.
package sys

import (
	"context"
	"io"
	"io/fs"
	"time"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/wasm/sim/netsim"
	"github.com/twinbox-dev/twinbox/wasm/sim/vfs"
)

// Program is the code of a simulated executable. It returns the exit status.
// A program must return promptly once p.Context() is done (the process was
// killed); the kernel then reports the signal's status instead.
type Program func(p Proc) int

// Registry maps executable names to programs. The kernel asks it what to run
// for a multi-call binary (see BinaryMagic) invoked under a name.
type Registry interface {
	// Lookup returns the program called name ("ls", "sh"), or false.
	Lookup(name string) (Program, bool)
}

// BinaryRegistry is implemented by a Registry that also holds programs
// that are whole binaries of their own rather than applets of a multi-call
// binary: the host's docker, brctl and ip. Such a program runs only from a
// file whose BinaryMagic names it, whatever name it is invoked by, and
// Lookup never finds it, so a container's busybox invoked as "brctl" does
// not reach the host's brctl.
type BinaryRegistry interface {
	// LookupBinary returns the program of the binary called name, or false.
	LookupBinary(name string) (Program, bool)
}

// BinaryMagic marks a file as a simulated multi-call binary. A file whose
// content starts with "\x7fELF", then 4 bytes, then BinaryMagic and a name
// ending in "\n" (for example "\x7fELF\x02\x01\x01\x00twinbox-binary:busybox\n",
// padded with zero bytes to the real binary's size) is that binary. Executing
// it runs the program named by the base name of argv[0], or argv[1] when
// argv[0]'s base name is the binary's own name, as busybox does.
const BinaryMagic = "twinbox-binary:"

// Proc is a running simulated process, as the program running in it sees it.
// Its methods are safe to call from the program's goroutines.
type Proc interface {
	// Context is done when the process is killed; blocking work must watch it.
	Context() context.Context

	// Args is argv; Args()[0] is the name the program was invoked by.
	Args() []string
	// Environ is the environment as "KEY=value" strings.
	Environ() []string
	Getenv(key string) (string, bool)
	// Dir is the working directory the process started in (absolute).
	Dir() string

	// FS is the process's view of the filesystem (its mount namespace and
	// root), with its credentials' permission checks applied.
	FS() vfs.FS
	// Umask is the process's file creation mask.
	Umask() fs.FileMode

	Stdin() io.Reader
	Stdout() io.Writer
	Stderr() io.Writer
	// Terminal returns the process's controlling terminal when fd (0, 1 or
	// 2) is attached to it.
	Terminal(fd int) (Terminal, bool)

	// Cred is who the process runs as.
	Cred() Cred
	// PID and PPID are as seen in the process's PID namespace (PPID 0 for
	// the namespace's init).
	PID() int
	PPID() int
	Hostname() string
	Uname() Utsname

	// Now is the simulated wall clock.
	Now() time.Time
	// Sleep waits d of simulated time; it returns the context's error when
	// the process is killed first. A frozen (paused) process does not wake.
	Sleep(d time.Duration) error

	// Processes lists the processes visible in the process's PID namespace,
	// sorted by PID, with PIDs as that namespace numbers them.
	Processes() []ProcInfo
	// Kill sends sig to pid (as this namespace numbers it). Errors: ESRCH,
	// EPERM as *fs.PathError-free syscall.Errno values.
	Kill(pid int, sig backend.Signal) error
	// Notify asks for sig to be delivered on ch instead of taking its default
	// action (the shell's `trap`); Ignore(sig) ignores it; Reset restores the
	// default. SIGKILL and SIGSTOP cannot be caught.
	Notify(ch chan<- backend.Signal, sig backend.Signal)
	Ignore(sig backend.Signal)
	Reset(sig backend.Signal)

	// Spawn starts a child process running cmd (fork and exec). Errors are
	// *backend.ExecError with the runtime's reasons when the command cannot
	// be executed (not found, permission denied, exec format error).
	Spawn(cmd Cmd) (Child, error)
	// Exec replaces the process's program, keeping its PID (exec(2), and
	// the shell's `exec` builtin). On success it does not return until the
	// new program ends, and returns that program's status with ok true; the
	// caller must then return the status at once.
	Exec(args, env []string) (status int, ok bool, err error)
}

// HostnameSetter is implemented by a Proc that can change the host name of
// its UTS namespace (sethostname(2), for `hostname NAME`). Errors: EPERM
// unless the process is root with CAP_SYS_ADMIN (a privileged container,
// or the host); EINVAL for a name longer than 64 bytes.
type HostnameSetter interface {
	SetHostname(name string) error
}

// UmaskSetter is implemented by a Proc whose file creation mask can be
// changed (umask(2)). The shell's umask builtin uses it, so that the
// commands it starts inherit the mask.
type UmaskSetter interface {
	SetUmask(mask fs.FileMode)
}

// Chdirer is implemented by a Proc whose working directory can be changed
// (chdir(2)). The shell's cd uses it, so that Dir, and an Exec after cd,
// see the new directory. Errors: ENOENT, ENOTDIR, EACCES as the lookup of
// dir gives them.
type Chdirer interface {
	Chdir(dir string) error
}

// SignaledChild is implemented by a Child whose kernel reports, after
// Wait, the signal that killed it. The shell prints "Killed",
// "Terminated", ... as ash does for a command a signal other than SIGINT
// and SIGPIPE killed: a status of 128+N alone cannot tell `exit 137` from
// SIGKILL.
type SignaledChild interface {
	Signaled() (sig backend.Signal, ok bool)
}

// Cmd describes a child process to Spawn. Nil streams read end-of-file or
// discard output.
type Cmd struct {
	Args   []string // Args[0] is looked up in the PATH of Env unless it has a slash
	Env    []string
	Dir    string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

// Child is a spawned process.
type Child interface {
	PID() int
	// Wait blocks until the child ends and returns its status (128+signal
	// when a signal killed it). Killing the parent does not end the wait
	// early; the parent's program should select on its context itself if it
	// must.
	Wait() int
}

// Cred is a process's credentials.
type Cred struct {
	UID, GID int
	Groups   []int
}

// Utsname is what uname(2) returns.
type Utsname struct {
	Sysname, Nodename, Release, Version, Machine, Domainname string
}

// ProcInfo is one row of the process table.
type ProcInfo struct {
	PID, PPID int
	UID       int
	// State is "R", "S", "D" (frozen by the cgroup freezer: Linux reports
	// tasks in the refrigerator as uninterruptible), "T" (stopped) or "Z".
	State   string
	Comm    string   // program name, at most 15 bytes
	Args    []string // command line
	TTY     string   // "" without a terminal, else "pts/0"
	Start   time.Time
	CPUTime time.Duration
	VSZ     int64 // bytes
	RSS     int64 // bytes
}

// Terminal is a simulated terminal (the slave side of a pty).
type Terminal interface {
	// Size is the window size in rows and columns.
	Size() (rows, cols int)
	// SetRaw switches line discipline off (true) or back on; it returns the
	// previous setting. With the discipline on, the terminal echoes input,
	// edits lines and turns ^C into SIGINT and ^D into end-of-file.
	SetRaw(raw bool) (was bool)
}

// Networker is implemented by a Proc in a network namespace the network
// simulator (wasm/sim/netsim) models: Network returns that namespace's
// stack, through which ip, ping, wget, nc and httpd see interfaces and
// routes and open sockets. It returns nil when the namespace has no stack.
type Networker interface {
	Network() *netsim.Stack
}

// NetNamespacer is implemented by a Proc that can enter the network
// namespace a file stands for (a bind mount of /proc/PID/ns/net, such as
// Docker's /run/docker/netns/ID), as `ip netns` does.
type NetNamespacer interface {
	// NetNamespaceAt returns the stack of the network namespace the file
	// at path stands for (nil when the namespace has no stack). Errors:
	// the lookup's (ENOENT, ...); EINVAL for a file that stands for none.
	NetNamespaceAt(path string) (*netsim.Stack, error)
	// SetNetNamespace moves the process into that namespace (setns(2)):
	// Network returns its stack afterwards, and children start in it.
	// Errors: as NetNamespaceAt; EPERM unless root with CAP_SYS_ADMIN.
	SetNetNamespace(path string) error
}

// NetAdmin is implemented by a Proc that can tell whether it may change
// its network namespace (CAP_NET_ADMIN as root): ip's changes need it,
// and fail with EPERM ("RTNETLINK answers: Operation not permitted")
// without it.
type NetAdmin interface {
	NetAdmin() bool
}

// Blocker is implemented by a Proc that can be marked as sleeping in a
// kernel call (state S in ps) while its program waits on something the
// kernel does not know about, such as a socket: Block marks it and returns
// the function that ends the wait.
type Blocker interface {
	Block() (done func())
}
