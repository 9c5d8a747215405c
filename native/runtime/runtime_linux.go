package runtime

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/twinbox-dev/twinbox/native/cgroup"
	"github.com/twinbox-dev/twinbox/native/network"
	"github.com/twinbox-dev/twinbox/native/storage"
	"github.com/twinbox-dev/twinbox/shared/backend"
)

var errNoCgo = errors.New("runtime: this twinbox was built without cgo; the native backend needs its C helpers (build with CGO_ENABLED=1)")

// Runtime starts and tracks containers' processes.
type Runtime struct {
	store *storage.Store
	cg    *cgroup.Manager
	// Exe is the binary re-executed for monitors and inits; its main must
	// call Init first. Default /proc/self/exe.
	Exe string
	// resolver answers the embedded DNS servers' queries (see
	// SetResolver).
	resolver atomic.Pointer[func(id, name string) []netip.Addr]

	mu   sync.Mutex
	ctrs map[string]*container
	// gone holds, per container, a channel closed once the control group of
	// its last run is deleted (in the background, off Wait's path).
	gone map[string]chan struct{}
}

// New returns a Runtime over the storage and cgroup managers.
func New(st *storage.Store, cg *cgroup.Manager) *Runtime {
	return &Runtime{store: st, cg: cg, Exe: "/proc/self/exe", ctrs: make(map[string]*container), gone: make(map[string]chan struct{})}
}

// container is a running container.
type container struct {
	id        string
	pid       int
	proc      *process
	group     *cgroup.Group
	caps      []string
	mu        sync.Mutex
	endpoints map[string]string // network ID → interface name inside
	// services are what the daemon runs for the container: port proxies
	// and the embedded DNS server, closed when it ends (then released is
	// set). Guarded by mu once the container runs.
	services []io.Closer
	released bool
}

// closeServices closes c's services for good.
func (c *container) closeServices() {
	c.mu.Lock()
	defer c.mu.Unlock()
	closeAll(c.services)
	c.services = nil
	c.released = true
}

// savedSpec is what a restarted daemon needs to know of a running
// container: <dir>/runtime.json.
type savedSpec struct {
	Caps      []string
	Endpoints map[string]string
	Ports     []backend.PortMapping `json:",omitempty"`
	DNS       bool                  `json:",omitempty"`
}

func (r *Runtime) running(id string) *container {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ctrs[id]
}

func notRunning(id string) error {
	return backend.Errorf(backend.Conflict, "Container %s is not running", id)
}

// Pid returns the host PID of container id's first process, 0 when it does
// not run.
func (r *Runtime) Pid(id string) int {
	if c := r.running(id); c != nil {
		return c.pid
	}
	return 0
}

// hostFileNames are the names of the files Spec.Files holds, in the
// container's folder, as Docker names them.
var hostFileNames = map[string]string{"/etc/hosts": "hosts", "/etc/hostname": "hostname", "/etc/resolv.conf": "resolv.conf"}

// HostFile returns where, in the container's folder dir, the runtime keeps
// the file it mounts at path: hosts, hostname and resolv.conf, as Docker
// names them.
func HostFile(dir, path string) string {
	name, ok := hostFileNames[path]
	if !ok {
		name = "file" + strings.ReplaceAll(path, "/", "_")
	}
	return filepath.Join(dir, name)
}

// Start runs container id's first process (see backend.Backend.Start).
func (r *Runtime) Start(ctx context.Context, id string, spec *backend.Spec, stdio backend.Stdio) (backend.Process, error) {
	if !haveHelpers {
		return nil, errNoCgo
	}
	l, err := r.store.Layout(id)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	if r.ctrs[id] != nil {
		r.mu.Unlock()
		return nil, backend.Errorf(backend.Conflict, "container %s is already running", id)
	}
	c := &container{id: id, endpoints: map[string]string{}}
	r.ctrs[id] = c // reserved; removed again on failure
	gone := r.gone[id]
	r.mu.Unlock()
	if gone != nil {
		<-gone // the previous run's control group
	}
	p, err := r.start(ctx, c, l, spec, stdio)
	if err != nil {
		r.mu.Lock()
		delete(r.ctrs, id)
		r.mu.Unlock()
		return nil, err
	}
	return p, nil
}

// closer collects descriptors to close once.
type closer []io.Closer

func (c *closer) add(x ...io.Closer) { *c = append(*c, x...) }
func (c *closer) close() {
	for _, x := range *c {
		x.Close()
	}
	*c = nil
}

func (r *Runtime) start(ctx context.Context, c *container, l storage.Layout, spec *backend.Spec, stdio backend.Stdio) (_ backend.Process, retErr error) {
	caps, err := Capabilities(spec.Privileged, spec.CapAdd, spec.CapDrop)
	if err != nil {
		return nil, backend.WithCode(backend.InvalidParameter, err)
	}
	c.caps = caps
	cfg := &rootfsConfig{
		Root: r.store.Root(), Layout: l, Cwd: spec.Process.Cwd, Files: map[string]string{},
		ReadonlyRootfs: spec.ReadonlyRootfs, Privileged: spec.Privileged, Tty: spec.Process.Tty,
	}
	if cfg.Cwd == "" {
		cfg.Cwd = "/"
	}
	loopback := false
	os.Remove(filepath.Join(l.Dir, "exit"))
	for p, data := range spec.Files {
		host := HostFile(l.Dir, p)
		if err := os.WriteFile(host, data, 0o644); err != nil {
			return nil, err
		}
		cfg.Files[p] = host
	}
	var saved []storage.SavedMount
	for _, m := range spec.Mounts {
		mc := mountConfig{Type: m.Type, Destination: m.Destination, ReadOnly: m.ReadOnly, CopyUp: m.CopyUp}
		switch m.Type {
		case "volume":
			mc.Source = r.store.VolumePath(m.Source)
			if _, err := os.Stat(mc.Source); err != nil {
				return nil, backend.Errorf(backend.NotFound, "get %s: no such volume", m.Source)
			}
		case "bind":
			mc.Source = m.Source
			if _, err := os.Stat(m.Source); err != nil {
				// As `docker run -v /host/path:/x` does.
				if err := os.MkdirAll(m.Source, 0o755); err != nil {
					return nil, backend.Errorf(backend.InvalidParameter, "invalid mount config for type \"bind\": bind source path does not exist: %s", m.Source)
				}
			}
		case "tmpfs":
		default:
			return nil, backend.Errorf(backend.InvalidParameter, "invalid mount type %q", m.Type)
		}
		if mc.Source != "" {
			saved = append(saved, storage.SavedMount{Source: mc.Source, Destination: m.Destination, ReadOnly: m.ReadOnly})
		}
		cfg.Mounts = append(cfg.Mounts, mc)
	}
	if err := r.store.SaveMounts(c.id, saved); err != nil {
		return nil, err
	}

	var fds closer // the parent's copies of the child's descriptors
	defer fds.close()
	var cleanup closer
	defer func() {
		if retErr != nil {
			cleanup.close()
		}
	}()

	group, err := r.cg.Create(c.id, spec.Resources, spec.Privileged)
	if err != nil {
		return nil, err
	}
	c.group = group
	cleanup.add(closerFunc(func() error { return group.Delete() }))

	flags := unix.CLONE_NEWPID | unix.CLONE_NEWNS | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC
	var netns *os.File
	switch spec.Network.Mode {
	case "", "none":
		flags |= unix.CLONE_NEWNET
		loopback = true
	case "host":
	case "container":
		other := r.running(spec.Network.Container)
		if other == nil || other.pid == 0 {
			return nil, backend.Errorf(backend.Conflict, "cannot join network of a non running container: %s", spec.Network.Container)
		}
		if netns, err = os.Open(fmt.Sprintf("/proc/%d/ns/net", other.pid)); err != nil {
			return nil, backend.Errorf(backend.Conflict, "cannot join network of container %s: %v", spec.Network.Container, err)
		}
	case "bridge":
		if netns, err = network.NewNamespace(); err != nil {
			return nil, err
		}
		loopback = true
	default:
		return nil, backend.Errorf(backend.InvalidParameter, "network mode %q is not supported", spec.Network.Mode)
	}
	if netns != nil {
		defer netns.Close()
	}
	// --pid and --ipc: the machine's namespace, or a running container's,
	// which the monitor joins with setns as it joins a network namespace.
	var joinNS [2]*os.File // pid, ipc
	for i, j := range []struct {
		kind string
		flag int
		ns   backend.NamespaceSpec
	}{{"pid", unix.CLONE_NEWPID, spec.PID}, {"ipc", unix.CLONE_NEWIPC, spec.IPC}} {
		switch j.ns.Mode {
		case "":
		case "host":
			flags &^= j.flag
		case "container":
			other := r.running(j.ns.Container)
			if other == nil || other.pid == 0 {
				return nil, backend.Errorf(backend.Conflict, "cannot join %s namespace of a non running container: %s", j.kind, j.ns.Container)
			}
			f, err := os.Open(fmt.Sprintf("/proc/%d/ns/%s", other.pid, j.kind))
			if err != nil {
				return nil, backend.Errorf(backend.Conflict, "cannot join %s namespace of container %s: %v", j.kind, j.ns.Container, err)
			}
			defer f.Close()
			joinNS[i] = f
			flags &^= j.flag
		default:
			return nil, backend.Errorf(backend.InvalidParameter, "%s namespace mode %q is not supported", j.kind, j.ns.Mode)
		}
	}

	// The container's standard streams.
	var stdin, stdout, stderr *os.File
	var stdinW io.WriteCloser
	var outR, errR *os.File
	if spec.Process.Tty {
		devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
		if err != nil {
			return nil, err
		}
		fds.add(devnull)
		stdin, stdout, stderr = devnull, devnull, devnull
	} else {
		if stdio.Stdin != nil {
			pr, pw, err := os.Pipe()
			if err != nil {
				return nil, err
			}
			fds.add(pr)
			stdin, stdinW = pr, pw
			cleanup.add(pw)
		} else {
			devnull, err := os.Open(os.DevNull)
			if err != nil {
				return nil, err
			}
			fds.add(devnull)
			stdin = devnull
		}
		if outR, stdout, err = os.Pipe(); err != nil {
			return nil, err
		}
		fds.add(stdout)
		cleanup.add(outR)
		if errR, stderr, err = os.Pipe(); err != nil {
			return nil, err
		}
		fds.add(stderr)
		cleanup.add(errR)
		// While no daemon reads (it restarts), the container writes on
		// until the pipes are full: let them hold 1 MiB each.
		unix.FcntlInt(stdout.Fd(), unix.F_SETPIPE_SZ, 1<<20)
		unix.FcntlInt(stderr.Fd(), unix.F_SETPIPE_SZ, 1<<20)
	}

	sp, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	syncFd := sp[0]
	childSync := os.NewFile(uintptr(sp[1]), "sync")
	fds.add(childSync)
	cleanup.add(closerFunc(func() error { return unix.Close(syncFd) }))
	statusR, statusW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	fds.add(statusW)
	cleanup.add(statusR)

	// The hold socket: the daemon gives the monitor the terminal's master
	// to keep for a restarted daemon.
	hp, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	holdFd := hp[0]
	defer unix.Close(holdFd)
	childHold := os.NewFile(uintptr(hp[1]), "hold")
	fds.add(childHold)
	extra := []*os.File{childSync, statusW}
	nhold := 0
	if outR != nil {
		extra = append(extra, outR, errR)
		nhold = 2
	}
	var cgfds []string
	for _, f := range group.ProcsFiles() {
		cf, err := os.OpenFile(f, os.O_WRONLY, 0)
		if err != nil {
			return nil, fmt.Errorf("cgroups: %w", err)
		}
		fds.add(cf)
		cgfds = append(cgfds, strconv.Itoa(3+len(extra)))
		extra = append(extra, cf)
	}
	env := []string{
		"_TWINBOX_ROLE=monitor",
		"_TWINBOX_CLONE=" + strconv.Itoa(flags),
		"_TWINBOX_HOLD=" + strconv.Itoa(nhold),
		"_TWINBOX_CGROUP_FDS=" + strings.Join(cgfds, ","),
	}
	if loopback {
		env = append(env, "_TWINBOX_LO=1")
	}
	if spec.Privileged {
		env = append(env, "_TWINBOX_SYSFS_RW=1")
	}
	if netns != nil {
		env = append(env, "_TWINBOX_NETNS_FD="+strconv.Itoa(3+len(extra)))
		extra = append(extra, netns)
	}
	for i, name := range []string{"_TWINBOX_PIDNS_FD", "_TWINBOX_IPCNS_FD"} {
		if joinNS[i] != nil {
			env = append(env, name+"="+strconv.Itoa(3+len(extra)))
			extra = append(extra, joinNS[i])
		}
	}
	env = append(env, "_TWINBOX_HOLDSOCK="+strconv.Itoa(3+len(extra)))
	extra = append(extra, childHold)
	cmd := &exec.Cmd{
		Path: r.Exe, Args: []string{"twinbox-monitor", c.id}, Env: env, Dir: l.Dir,
		Stdin: stdin, Stdout: stdout, Stderr: stderr, ExtraFiles: extra,
		SysProcAttr: &syscall.SysProcAttr{Setsid: true},
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("runtime: start monitor: %w", err)
	}
	fds.close()
	pid, err := readPid(statusR)
	if err != nil {
		cmd.Wait()
		return nil, err
	}
	c.pid = pid
	// From here on a failure kills the container and waits for the monitor.
	cleanup = append(closer{closerFunc(func() error {
		unix.Kill(pid, unix.SIGKILL)
		readStatus(statusR)
		return cmd.Wait()
	})}, cleanup...)

	// The network is set up beside the root filesystem: the endpoints,
	// then the port proxies and the embedded DNS server.
	var netErr chan error
	var rs savedSpec
	if spec.Network.Mode == "bridge" {
		netErr = make(chan error, 1)
		rs.Ports, rs.DNS = spec.Network.Ports, usesEmbeddedDNS(spec)
		go func() {
			for i, ep := range spec.Network.Endpoints {
				if _, err := network.AddEndpoint(int(netns.Fd()), ep, i == 0); err != nil {
					netErr <- err
					return
				}
				c.endpoints[ep.NetworkID] = ep.IfName
			}
			svcs, err := r.startServices(c.id, int(netns.Fd()), rs.Ports, rs.DNS)
			c.services = svcs
			netErr <- err
		}()
		cleanup.add(closerFunc(func() error { closeAll(c.services); return nil }))
	}
	kind, v, mfds, err := recvRecord(syncFd)
	for _, fd := range mfds {
		defer unix.Close(fd)
	}
	if err == nil && kind == 'E' {
		err = childError(spec.Process.Args, v)
	} else if err == nil && (kind != 'R' || len(mfds) != 3) {
		err = fmt.Errorf("runtime: container process: unexpected record %c", kind)
	}
	var master, slave *os.File
	if err == nil {
		master, slave, err = setupRootfs(pid, cfg, mfds[0], mfds[1], mfds[2])
	}
	if netErr != nil {
		if nerr := <-netErr; nerr != nil && err == nil {
			err = nerr
		}
	}
	if err != nil {
		return nil, err
	}
	if master != nil {
		cleanup.add(master)
		defer slave.Close()
		unix.Sendmsg(holdFd, []byte("H"), unix.UnixRights(int(master.Fd())), nil, 0)
		if sz := spec.Process.ConsoleSize; sz[0] > 0 && sz[1] > 0 {
			pty.Setsize(master, &pty.Winsize{Rows: uint16(sz[0]), Cols: uint16(sz[1])})
		}
	}
	root, err := os.Open(fmt.Sprintf("/proc/%d/root", pid))
	if err != nil {
		return nil, err
	}
	msg, err := execMessage(int(root.Fd()), &spec.Process, caps, spec.Hostname, spec.Domainname)
	root.Close()
	if err != nil {
		return nil, execError(err)
	}
	var oob []byte
	if slave != nil {
		oob = unix.UnixRights(int(slave.Fd()))
	}
	if err := unix.Sendmsg(syncFd, msg, oob, nil, 0); err != nil {
		return nil, fmt.Errorf("runtime: container process: %w", err)
	}
	if kind, v, _, err := recvRecord(syncFd); err == nil {
		return nil, childError(spec.Process.Args, v)
	} else if !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("runtime: container process: %w (%c)", err, kind)
	}
	unix.Close(syncFd)

	rs.Caps, rs.Endpoints = caps, c.endpoints
	data, _ := json.Marshal(rs)
	os.WriteFile(filepath.Join(l.Dir, "runtime.json"), data, 0o600)

	p := newProcess(pid, stdio)
	p.settleBy = time.Now().Add(settleTime)
	c.proc = p
	if master != nil {
		p.pty = master
		p.copyOut(master, stdio.Stdout)
		if stdio.Stdin != nil {
			go func() { io.Copy(master, stdio.Stdin) }()
		}
	} else {
		p.copyStreams(outR, errR, stdio.Stdout, stdio.Stderr)
		if stdinW != nil {
			p.stdin = stdinW
			go func() {
				io.Copy(stdinW, stdio.Stdin)
				p.CloseStdin()
			}()
		}
	}
	go p.waitStatus(statusR, func() {
		cmd.Wait()
	}, func(st *backend.ExitStatus) {
		st.OOMKilled = group.OOMKilled()
		r.release(c.id, group)
	})
	return p, nil
}

// release forgets a container that ended and deletes its control group
// in the background; the next Start of the container waits for that.
func (r *Runtime) release(id string, group *cgroup.Group) {
	ch := make(chan struct{})
	r.mu.Lock()
	if c := r.ctrs[id]; c != nil {
		c.closeServices()
	}
	delete(r.ctrs, id)
	r.gone[id] = ch
	r.mu.Unlock()
	go func() {
		if group != nil {
			group.Delete()
		}
		r.mu.Lock()
		if r.gone[id] == ch {
			delete(r.gone, id)
		}
		r.mu.Unlock()
		close(ch)
	}()
}

// startServices starts what the daemon serves a bridged container in its
// network namespace nsFd: a proxy per published port and, with dns, the
// embedded DNS server. On an error nothing is left running.
func (r *Runtime) startServices(id string, nsFd int, ports []backend.PortMapping, dns bool) ([]io.Closer, error) {
	svcs, err := network.StartProxies(ports)
	if err != nil {
		return nil, err
	}
	if dns {
		resolve := func(name string) []netip.Addr {
			if f := r.resolver.Load(); f != nil {
				return (*f)(id, name)
			}
			return nil
		}
		srv, err := network.StartDNS(nsFd, resolve)
		if err != nil {
			closeAll(svcs)
			return nil, err
		}
		svcs = append(svcs, srv)
	}
	return svcs, nil
}

// SetResolver sets what the embedded DNS servers answer container id's
// query for name with (see backend.NameResolver); until then they answer
// NXDOMAIN.
func (r *Runtime) SetResolver(resolve func(id, name string) []netip.Addr) {
	r.resolver.Store(&resolve)
}

// usesEmbeddedDNS reports whether the container's resolv.conf names the
// embedded DNS server, as the engine writes it for user-defined networks.
func usesEmbeddedDNS(spec *backend.Spec) bool {
	for _, l := range strings.Split(string(spec.Files["/etc/resolv.conf"]), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "nameserver" && f[1] == "127.0.0.11" {
			return true
		}
	}
	return false
}

func closeAll(cs []io.Closer) {
	for _, c := range cs {
		c.Close()
	}
}

// Close stops what the daemon serves running containers (proxies, DNS
// servers); the containers run on, and a new Runtime's Restore serves
// them again.
func (r *Runtime) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.ctrs {
		c.closeServices()
	}
}

// Forget waits until nothing of container id's last run remains (its
// control group); the caller removes the rootfs next.
func (r *Runtime) Forget(id string) {
	r.mu.Lock()
	ch := r.gone[id]
	r.mu.Unlock()
	if ch != nil {
		<-ch
	}
}

// settleTime bounds how long a signal right after Start waits for the
// command to have started (see settle).
const settleTime = 20 * time.Millisecond

// settle waits, until deadline at most, until the command has started:
// until it first blocks or ends. A docker stop or kill that comes right
// after Start then finds the handlers the program installs at once (a
// shell's trap), as it does with Docker, whose start takes longer than
// that. Signal does the waiting, not Start: a run that is never signalled
// does not pay for it.
func settle(pid int, deadline time.Time) {
	path := fmt.Sprintf("/proc/%d/stat", pid)
	for time.Now().Before(deadline) {
		data, err := os.ReadFile(path)
		if err != nil {
			return
		}
		i := bytes.LastIndexByte(data, ')')
		if i < 0 || i+2 >= len(data) || data[i+2] != 'R' {
			return
		}
		time.Sleep(200 * time.Microsecond)
	}
}

type closerFunc func() error

func (f closerFunc) Close() error { return f() }

// recvRecord reads one 8-byte record and the descriptors that came with
// it from the sync socket; io.EOF when the other side closed it (executed
// the command).
func recvRecord(fd int) (kind, value int32, fds []int, err error) {
	buf := make([]byte, 8)
	oob := make([]byte, unix.CmsgSpace(4*4))
	for {
		n, oobn, _, _, err := unix.Recvmsg(fd, buf, oob, unix.MSG_CMSG_CLOEXEC)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return 0, 0, nil, err
		}
		if oobn > 0 {
			if scms, err := unix.ParseSocketControlMessage(oob[:oobn]); err == nil {
				for _, s := range scms {
					if f, err := unix.ParseUnixRights(&s); err == nil {
						fds = append(fds, f...)
					}
				}
			}
		}
		if n == 0 {
			return 0, 0, fds, io.EOF
		}
		if n != 8 {
			return 0, 0, fds, fmt.Errorf("short record of %d bytes", n)
		}
		k, v, _ := readRecord(bytes.NewReader(buf))
		return k, v, fds, nil
	}
}

// readRecord reads one 8-byte record from a helper.
func readRecord(r io.Reader) (kind, value int32, err error) {
	var b [8]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return 0, 0, err
	}
	return int32(binary.NativeEndian.Uint32(b[:4])), int32(binary.NativeEndian.Uint32(b[4:])), nil
}

func readPid(r io.Reader) (int, error) {
	k, v, err := readRecord(r)
	switch {
	case err != nil:
		return 0, fmt.Errorf("runtime: monitor: %w", err)
	case k == 'E':
		return 0, fmt.Errorf("runtime: setting up the container: %w", syscall.Errno(v))
	case k != 'P':
		return 0, fmt.Errorf("runtime: monitor: unexpected record %c", k)
	}
	return int(v), nil
}

// readStatus reads records until the wait status.
func readStatus(r io.Reader) (unix.WaitStatus, error) {
	for {
		k, v, err := readRecord(r)
		if err != nil {
			return 0, err
		}
		if k == 'X' {
			return unix.WaitStatus(v), nil
		}
	}
}

// exitStatus converts a wait status as Docker reports it.
func exitStatus(ws unix.WaitStatus) backend.ExitStatus {
	st := backend.ExitStatus{At: time.Now()}
	if ws.Signaled() {
		st.Code = 128 + int(ws.Signal())
	} else {
		st.Code = ws.ExitStatus()
	}
	return st
}
