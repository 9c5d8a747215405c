package sim

import (
	"context"
	"errors"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/wasm/sim/kernel"
	"github.com/twinbox-dev/twinbox/wasm/sim/netsim"
	"github.com/twinbox-dev/twinbox/wasm/sim/vfs"
)

// sandbox is what a running container has: its namespaces, mounts,
// cgroup, terminal numbering, the runtime's shim and its first process.
type sandbox struct {
	ns        kernel.Namespaces
	mnt       *vfs.Namespace
	cg        *kernel.Cgroup
	devpts    *kernel.Devpts
	console   *kernel.PTY
	shim      *kernel.Process
	init      *process
	spec      *backend.Spec
	endpoints map[string]backend.Endpoint // by network ID
	ports     []string                    // host ports it holds, as portKey names them
	// stack is the network stack of the sandbox's own network namespace;
	// nil when it shares the host's or another container's.
	stack     *netsim.Stack
	netnsFile string           // the namespace's file under /run/docker/netns
	published []netip.AddrPort // host addresses forwarded to it
}

// Start runs the container's first process in new namespaces.
func (b *Backend) Start(ctx context.Context, id string, spec *backend.Spec, stdio backend.Stdio) (backend.Process, error) {
	b.mu.Lock()
	c, ok := b.containers[id]
	if !ok {
		b.mu.Unlock()
		return nil, notFoundContainer(id)
	}
	if c.run != nil {
		b.mu.Unlock()
		return nil, backend.Errorf(backend.Conflict, "container %s is already running", id)
	}
	ports, err := b.claimPortsLocked(id, spec.Network.Ports)
	if err != nil {
		b.mu.Unlock()
		return nil, err
	}
	var netNS *kernel.NetNamespace
	switch spec.Network.Mode {
	case "host":
		netNS = b.k.RootNamespaces().Net
	case "container":
		other, ok := b.containers[spec.Network.Container]
		if !ok || other.run == nil {
			b.releasePortsLocked(ports)
			b.mu.Unlock()
			return nil, backend.Errorf(backend.Conflict, "cannot join network of a non running container: %s", spec.Network.Container)
		}
		netNS = other.run.ns.Net
	}
	join := joined{net: netNS}
	if err := b.joinLocked(spec, &join); err != nil {
		b.releasePortsLocked(ports)
		b.mu.Unlock()
		return nil, err
	}
	b.mu.Unlock()

	sb, err := b.newSandbox(c, spec, join)
	if err != nil {
		b.mu.Lock()
		b.releasePortsLocked(ports)
		b.mu.Unlock()
		return nil, err
	}
	sb.ports = ports
	sb.published, err = b.publish(spec.Network.Ports, spec.Network.Endpoints)
	if err != nil {
		b.teardown(c, sb)
		return nil, err
	}
	user, err := b.resolveUser(sb.mnt, spec.Process.User)
	if err == nil {
		err = b.makeCwd(sb.mnt, spec.Process.Cwd)
	}
	if err != nil {
		b.teardown(c, sb)
		return nil, err
	}
	a := kernel.Attr{
		Args:   spec.Process.Args,
		Env:    withHome(spec.Process.Env, user.Home),
		Dir:    spec.Process.Cwd,
		Cred:   credOf(user),
		Caps:   capsFor(spec),
		Parent: sb.shim,
		NS:     &sb.ns,
		Cgroup: sb.cg,
		Setsid: true,
	}
	p, err := b.startProcess(a, &spec.Process, stdio, sb.devpts, func(t *kernel.PTY) { sb.console = t })
	if err != nil {
		b.teardown(c, sb)
		return nil, err
	}
	sb.init = p
	p.cg = sb.cg
	b.mu.Lock()
	c.run = sb
	c.ended = nil
	c.lastPID = p.Pid()
	b.mu.Unlock()
	p.onExit = func(st backend.ExitStatus) {
		b.teardown(c, sb)
		b.mu.Lock()
		c.run = nil
		c.ended = &st
		b.mu.Unlock()
	}
	close(p.started)
	// Let the program get going before the caller acts on it, as a real
	// one has by the time runc's start returns: a shell sets its traps.
	settle(p.kp)
	return p, nil
}

// settleTime bounds how long Start lets a new program run before it
// returns, for programs that never wait in a kernel call.
const settleTime = 100 * time.Millisecond

// settle waits until kp first blocks in a kernel call or exits, or for
// settleTime of real time.
func settle(kp *kernel.Process) {
	t := time.NewTimer(settleTime)
	defer t.Stop()
	select {
	case <-kp.Idle():
	case <-t.C:
	}
}

// makeCwd creates the working directory when it is missing, as Docker does.
func (b *Backend) makeCwd(fsys vfs.FS, dir string) error {
	if dir == "" {
		return nil
	}
	if err := vfs.MkdirAll(fsys, dir, 0o755); err != nil {
		return backend.Errorf(backend.InvalidParameter, "failed to create working directory %s: %v", dir, err)
	}
	return nil
}

// capsFor returns what a container's processes may do beyond their user.
func capsFor(spec *backend.Spec) kernel.Caps {
	c := kernel.Caps{SysAdmin: spec.Privileged, NetAdmin: spec.Privileged}
	for _, cap := range spec.CapAdd {
		switch strings.TrimPrefix(strings.ToUpper(cap), "CAP_") {
		case "ALL":
			c.SysAdmin, c.NetAdmin = true, true
		case "SYS_ADMIN":
			c.SysAdmin = true
		case "NET_ADMIN":
			c.NetAdmin = true
		}
	}
	for _, cap := range spec.CapDrop {
		switch strings.TrimPrefix(strings.ToUpper(cap), "CAP_") {
		case "ALL":
			c.SysAdmin, c.NetAdmin = false, false
		case "SYS_ADMIN":
			c.SysAdmin = false
		case "NET_ADMIN":
			c.NetAdmin = false
		}
	}
	return c
}

// joined are the namespaces of the machine or of other containers that a
// new container joins instead of getting its own: nil for its own.
type joined struct {
	net *kernel.NetNamespace
	pid *kernel.PIDNamespace
	ipc *kernel.IPCNamespace
}

// joinLocked finds the PID and IPC namespaces spec asks to join. Errors:
// Conflict when the container to join is not running; InvalidParameter
// for a mode the simulator does not know. b.mu is held.
func (b *Backend) joinLocked(spec *backend.Spec, j *joined) error {
	root := b.k.RootNamespaces()
	running := func(kind, id string) (*sandbox, error) {
		other, ok := b.containers[id]
		if !ok || other.run == nil {
			return nil, backend.Errorf(backend.Conflict, "cannot join %s of a non running container: %s", kind, id)
		}
		return other.run, nil
	}
	switch spec.PID.Mode {
	case "":
	case "host":
		j.pid = root.PID
	case "container":
		sb, err := running("PID", spec.PID.Container)
		if err != nil {
			return err
		}
		j.pid = sb.ns.PID
	default:
		return backend.Errorf(backend.InvalidParameter, "invalid PID namespace mode %q", spec.PID.Mode)
	}
	switch spec.IPC.Mode {
	case "":
	case "host":
		j.ipc = root.IPC
	case "container":
		sb, err := running("IPC", spec.IPC.Container)
		if err != nil {
			return err
		}
		j.ipc = sb.ns.IPC
	default:
		return backend.Errorf(backend.InvalidParameter, "invalid IPC namespace mode %q", spec.IPC.Mode)
	}
	return nil
}

// newSandbox makes a container's namespaces, mounts, cgroup and shim.
func (b *Backend) newSandbox(c *container, spec *backend.Spec, join joined) (*sandbox, error) {
	netNS := join.net
	sb := &sandbox{spec: spec, devpts: kernel.NewDevpts(), endpoints: map[string]backend.Endpoint{}}
	mnt, err := b.containerMounts(c, spec, sb)
	if err != nil {
		return nil, err
	}
	sb.mnt = mnt
	k := b.k
	ns := k.RootNamespaces()
	// In the order the kernel creates them (copy_namespaces).
	ns.Mount = k.NewMountNamespace(mnt)
	ns.UTS = k.NewUTSNamespace(spec.Hostname, spec.Domainname)
	ns.IPC, ns.PID = join.ipc, join.pid
	if ns.IPC == nil {
		ns.IPC = k.NewIPCNamespace()
	}
	if ns.PID == nil {
		ns.PID = k.NewPIDNamespace(nil)
	}
	if netNS == nil {
		netNS = k.NewNetNamespace()
		sb.stack = b.net.NewStack()
		netNS.Stack = sb.stack
		// dockerd keeps the namespace open with a bind mount of
		// /proc/PID/ns/net: the SandboxKey inspect shows.
		sb.netnsFile = netnsDir + "/" + c.id[:12]
		vfs.WriteFile(b.host, sb.netnsFile, nil, 0o444)
		b.k.BindNamespace(b.host, sb.netnsFile, netNS)
		if spec.Network.Mode != "none" {
			for _, ep := range spec.Network.Endpoints {
				if err := b.net.Attach(sb.stack, netEndpoint(ep)); err != nil {
					b.net.Destroy(sb.stack)
					b.k.UnbindNamespace(b.host, sb.netnsFile)
					b.host.Remove(sb.netnsFile)
					return nil, backend.Errorf(backend.InvalidParameter, "attach %s to %s: %v", ep.IfName, ep.Bridge, err)
				}
				sb.endpoints[ep.NetworkID] = ep
			}
		}
		b.mu.Lock()
		r := b.resolver
		b.mu.Unlock()
		if r != nil {
			id := c.id
			sb.stack.SetDNS(func(name string) []netip.Addr { return r.Resolve(id, name) })
		}
	}
	ns.Net = netNS
	sb.ns = ns
	sb.cg = k.NewCgroup("/docker/"+c.id, cgroupLimits(spec.Resources))
	shim, err := k.Spawn(kernel.Attr{
		Args: []string{"/usr/bin/containerd-shim-runc-v2", "-namespace", "moby", "-id", c.id,
			"-address", "/run/containerd/containerd.sock"},
		Env:     []string{"PATH=" + kernel.DefaultPath},
		Dir:     "/run/containerd/io.containerd.runtime.v2.task/moby/" + c.id,
		Program: idle,
		Comm:    "containerd-shim",
		Setsid:  true,
		VSZ:     720496 << 10,
		RSS:     10364 << 10,
	})
	if err != nil {
		k.Release(sb.ns)
		if sb.stack != nil {
			b.net.Destroy(sb.stack)
			b.k.UnbindNamespace(b.host, sb.netnsFile)
			b.host.Remove(sb.netnsFile)
		}
		return nil, err
	}
	sb.shim = shim
	return sb, nil
}

// teardown releases what a sandbox holds once its processes are gone (or
// never ran).
func (b *Backend) teardown(c *container, sb *sandbox) {
	if sb.shim != nil {
		sb.shim.Signal(backend.SIGKILL)
		<-sb.shim.Done()
	}
	b.k.Release(sb.ns)
	if sb.console != nil {
		sb.console.Close()
	}
	for _, h := range sb.published {
		b.net.Unpublish(h)
	}
	if sb.stack != nil {
		b.net.Destroy(sb.stack)
		b.k.UnbindNamespace(b.host, sb.netnsFile)
		b.host.Remove(sb.netnsFile)
	}
	b.mu.Lock()
	b.releasePortsLocked(sb.ports)
	b.mu.Unlock()
}

// Exec runs another process in the running container's namespaces.
func (b *Backend) Exec(ctx context.Context, id string, spec *backend.ProcessSpec, stdio backend.Stdio) (backend.Process, error) {
	b.mu.Lock()
	c, ok := b.containers[id]
	var sb *sandbox
	if ok {
		sb = c.run
	}
	b.mu.Unlock()
	if !ok {
		return nil, notFoundContainer(id)
	}
	if sb == nil {
		return nil, notRunning(id)
	}
	user, err := b.resolveUser(sb.mnt, spec.User)
	if err != nil {
		return nil, err
	}
	dir := spec.Cwd
	if dir == "" {
		dir = "/"
	}
	if fi, err := sb.mnt.Stat(dir); err != nil || !fi.IsDir() {
		reason := "no such file or directory"
		if err == nil {
			reason = "not a directory"
		}
		return nil, backend.Errorf(backend.InvalidParameter, "chdir to cwd (%q) set in config.json failed: %s", dir, reason)
	}
	a := kernel.Attr{
		Args:   spec.Args,
		Env:    withHome(spec.Env, user.Home),
		Dir:    dir,
		Cred:   credOf(user),
		Caps:   capsFor(sb.spec),
		Parent: sb.shim,
		NS:     &sb.ns,
		Cgroup: sb.cg,
		Setsid: true,
	}
	p, err := b.startProcess(a, spec, stdio, sb.devpts, nil)
	if errors.Is(err, syscall.ENOMEM) || errors.Is(err, syscall.ESRCH) {
		return nil, notRunning(id) // the container is going away
	}
	if err != nil {
		return nil, err
	}
	close(p.started)
	return p, nil
}

// startProcess spawns a process with stdio: through a new terminal of
// devpts when spec.Tty, else directly. onTTY learns the terminal.
func (b *Backend) startProcess(a kernel.Attr, spec *backend.ProcessSpec, stdio backend.Stdio, devpts *kernel.Devpts, onTTY func(*kernel.PTY)) (*process, error) {
	p := &process{
		b:       b,
		stdout:  &outlet{w: stdio.Stdout},
		stderr:  &outlet{w: stdio.Stderr},
		copied:  make(chan struct{}),
		done:    make(chan struct{}),
		started: make(chan struct{}),
	}
	if spec.Tty {
		rows, cols := int(spec.ConsoleSize[0]), int(spec.ConsoleSize[1])
		if rows == 0 || cols == 0 {
			rows, cols = 24, 80
		}
		p.tty = b.k.OpenPTY(devpts, rows, cols)
		a.TTY = p.tty
		if onTTY != nil {
			onTTY(p.tty)
		}
	} else {
		if stdio.Stdin != nil {
			p.stdin = kernel.NewInput(stdio.Stdin)
			a.Stdin = p.stdin
		}
		a.Stdout, a.Stderr = p.stdout, p.stderr
		close(p.copied)
	}
	kp, err := b.k.Spawn(a)
	if err != nil {
		if p.tty != nil {
			p.tty.Close()
		}
		return nil, err
	}
	p.kp = kp
	if p.tty != nil {
		go func() {
			io.Copy(p.stdout, p.tty)
			close(p.copied)
		}()
		if stdio.Stdin != nil {
			go io.Copy(p.tty, stdio.Stdin)
		}
	}
	go p.reap()
	return p, nil
}

// process is a backend.Process: a container's or the host's process that
// the backend started, and reaps as its parent.
type process struct {
	b      *Backend
	kp     *kernel.Process
	tty    *kernel.PTY
	stdin  *kernel.Input
	stdout *outlet
	stderr *outlet
	// onExit runs once the process has ended, before Wait returns; set
	// before started is closed.
	onExit func(backend.ExitStatus)
	// cg, for a container's first process, is the container's cgroup,
	// whose OOM kills its exit status reports; set before started.
	cg      *kernel.Cgroup
	started chan struct{}
	copied  chan struct{} // closed when the terminal's output is all copied
	done    chan struct{}
	status  backend.ExitStatus
}

var _ backend.Process = (*process)(nil)

// reap waits for the process, as its parent, and for its output.
func (p *process) reap() {
	code := p.kp.Wait()
	_, at, _ := p.kp.Exited()
	<-p.copied
	if p.tty != nil {
		p.tty.Close() // the runtime closes the master: the number is free again
	}
	<-p.started
	p.status = backend.ExitStatus{Code: code, At: at}
	if p.cg != nil {
		p.status.OOMKilled = p.cg.OOMKilled()
	}
	if p.onExit != nil {
		p.onExit(p.status)
	}
	close(p.done)
}

// Pid returns the process's PID on the host.
func (p *process) Pid() int { return p.kp.HostPID() }

// Signal sends sig from the host. Errors: Conflict when it has ended.
func (p *process) Signal(sig backend.Signal) error {
	if err := p.kp.Signal(sig); err != nil {
		if errors.Is(err, syscall.ESRCH) {
			return backend.Errorf(backend.Conflict, "process %d has ended", p.kp.HostPID())
		}
		return backend.Errorf(backend.InvalidParameter, "signal %d: %v", sig, err)
	}
	return nil
}

// Wait waits until the process has ended and its output is written.
func (p *process) Wait(ctx context.Context) (backend.ExitStatus, error) {
	select {
	case <-p.done:
		return p.status, nil
	case <-ctx.Done():
		return backend.ExitStatus{}, ctx.Err()
	}
}

// Resize changes the terminal's size; without a terminal it does nothing.
func (p *process) Resize(height, width uint) error {
	if p.tty != nil {
		p.tty.Resize(int(height), int(width))
	}
	return nil
}

// CloseStdin closes the process's standard input: its reads then get
// end-of-file. With a terminal it does nothing.
func (p *process) CloseStdin() error {
	if p.stdin != nil {
		p.stdin.Close()
	}
	return nil
}

// reattach sends the process's output to new writers (Restore).
func (p *process) reattach(stdio backend.Stdio) {
	p.stdout.set(stdio.Stdout)
	p.stderr.set(stdio.Stderr)
}

// outlet is a writer that can be pointed elsewhere: a process's output
// goes to the engine that attached last. A nil writer discards.
type outlet struct {
	mu sync.Mutex
	w  io.Writer
}

func (o *outlet) Write(b []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.w == nil {
		return len(b), nil
	}
	return o.w.Write(b)
}

func (o *outlet) set(w io.Writer) {
	o.mu.Lock()
	o.w = w
	o.mu.Unlock()
}

// ended is a Process that has ended already, for Restore.
type ended struct {
	pid    int
	status backend.ExitStatus
}

func (e *ended) Pid() int { return e.pid }
func (e *ended) Signal(backend.Signal) error {
	return backend.Errorf(backend.Conflict, "process %d has ended", e.pid)
}
func (e *ended) Wait(context.Context) (backend.ExitStatus, error) { return e.status, nil }
func (e *ended) Resize(uint, uint) error                          { return nil }
func (e *ended) CloseStdin() error                                { return nil }

// Restore returns the container's first process: the running one, its
// output sent to stdio from now on, or one that has ended with the status
// the last run ended with (255 for a run that a Load ended, as a reboot
// does). Errors: NotFound when the container never ran.
func (b *Backend) Restore(ctx context.Context, id string, stdio backend.Stdio) (backend.Process, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, ok := b.containers[id]
	if !ok {
		return nil, notFoundContainer(id)
	}
	if c.run != nil && c.run.init != nil {
		c.run.init.reattach(stdio)
		return c.run.init, nil
	}
	if c.ended != nil {
		return &ended{pid: c.lastPID, status: *c.ended}, nil
	}
	return nil, backend.Errorf(backend.NotFound, "no process for container %s", id)
}

// running returns the container's sandbox. Errors: NotFound, Conflict.
func (b *Backend) running(id string) (*sandbox, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, ok := b.containers[id]
	if !ok {
		return nil, notFoundContainer(id)
	}
	if c.run == nil {
		return nil, notRunning(id)
	}
	return c.run, nil
}

// Pause freezes the container's processes.
func (b *Backend) Pause(ctx context.Context, id string) error {
	sb, err := b.running(id)
	if err != nil {
		return err
	}
	sb.cg.Freeze()
	return nil
}

// UpdateResources sets a running container's limits (`docker update`).
func (b *Backend) UpdateResources(ctx context.Context, id string, r backend.Resources) error {
	sb, err := b.running(id)
	if err != nil {
		return err
	}
	sb.cg.SetLimits(cgroupLimits(r))
	return nil
}

var _ backend.ResourceUpdater = (*Backend)(nil)

// Resume thaws the container's processes.
func (b *Backend) Resume(ctx context.Context, id string) error {
	sb, err := b.running(id)
	if err != nil {
		return err
	}
	sb.cg.Thaw()
	return nil
}

// Processes lists the container's processes as the host sees them, by
// PID, which puts parents first.
func (b *Backend) Processes(ctx context.Context, id string) ([]backend.ProcessInfo, error) {
	sb, err := b.running(id)
	if err != nil {
		return nil, err
	}
	var out []backend.ProcessInfo
	for _, kp := range sb.cg.Processes() {
		in := kp.Info(nil)
		tty := "?"
		if in.TTY != "" {
			tty = in.TTY
		}
		out = append(out, backend.ProcessInfo{
			PID:     in.PID,
			PPID:    in.PPID,
			UID:     in.UID,
			User:    b.userName(in.UID),
			Start:   in.Start,
			CPUTime: in.CPUTime,
			TTY:     tty,
			Comm:    in.Comm,
			Args:    in.Args,
			RSS:     in.RSS,
			VSZ:     in.VSZ,
			State:   in.State,
		})
	}
	return out, nil
}

// Stats reports the container's cgroup accounting.
func (b *Backend) Stats(ctx context.Context, id string) (backend.Stats, error) {
	sb, err := b.running(id)
	if err != nil {
		return backend.Stats{}, err
	}
	u := sb.cg.Usage()
	lim := sb.cg.Limits()
	now := b.clock.Now()
	st := backend.Stats{
		Read:        now,
		CPUTotal:    u.CPU,
		SystemCPU:   now.Sub(b.boot) * numCPU,
		OnlineCPUs:  numCPU,
		MemoryUsage: u.Memory,
		MemoryLimit: lim.Memory,
		Pids:        u.Pids,
		PidsLimit:   lim.PidsLimit,
	}
	if st.MemoryLimit == 0 {
		st.MemoryLimit = memTotal
	}
	// docker stats' NET I/O: the container's interfaces but lo.
	if sb.stack != nil {
		for _, l := range sb.stack.Links() {
			if l.Kind != netsim.KindLoopback {
				st.NetRx += l.Stats.RxBytes
				st.NetTx += l.Stats.TxBytes
			}
		}
	}
	return st, nil
}

func itoa(n int) string { return strconv.Itoa(n) }

// sinceBoot is how long the machine has been up.
func (b *Backend) sinceBoot() time.Duration { return b.clock.Now().Sub(b.boot) }

// cgroupLimits are the control group limits of a container's resources.
func cgroupLimits(r backend.Resources) kernel.Limits {
	return kernel.Limits{Memory: r.Memory, MemorySwap: r.MemorySwap, CPUShares: r.CPUShares, NanoCPUs: r.NanoCPUs, PidsLimit: r.PidsLimit}
}
