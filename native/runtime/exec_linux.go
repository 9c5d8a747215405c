package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/twinbox-dev/twinbox/native/network"
	"github.com/twinbox-dev/twinbox/native/storage"
	"github.com/twinbox-dev/twinbox/shared/backend"
)

// Exec runs another process in running container id's namespaces and
// control group (see backend.Backend.Exec).
func (r *Runtime) Exec(ctx context.Context, id string, ps *backend.ProcessSpec, stdio backend.Stdio) (_ backend.Process, retErr error) {
	if !haveHelpers {
		return nil, errNoCgo
	}
	if _, err := r.store.Layout(id); err != nil {
		return nil, err
	}
	c := r.running(id)
	if c == nil || c.pid == 0 {
		return nil, notRunning(id)
	}
	var fds, cleanup closer
	defer fds.close()
	defer func() {
		if retErr != nil {
			cleanup.close()
		}
	}()
	// Find the command and the user in the container first, as runc does.
	root, err := os.Open(fmt.Sprintf("/proc/%d/root", c.pid))
	if err != nil {
		return nil, notRunning(id)
	}
	if ps.Cwd != "" {
		storage.MkdirIn(int(root.Fd()), ps.Cwd)
	}
	msg, err := execMessage(int(root.Fd()), ps, c.caps, "", "")
	var master, slave *os.File
	if err == nil && ps.Tty {
		master, slave, err = openPtyIn(int(root.Fd()))
	}
	root.Close()
	if err != nil {
		return nil, execError(err)
	}
	var stdin, stdout, stderr *os.File
	var stdinW *os.File
	var outR, errR *os.File
	var oob []byte
	if ps.Tty {
		if sz := ps.ConsoleSize; sz[0] > 0 && sz[1] > 0 {
			pty.Setsize(master, &pty.Winsize{Rows: uint16(sz[0]), Cols: uint16(sz[1])})
		}
		cleanup.add(master)
		defer slave.Close() // after it is sent to the helper
		stdin, stdout, stderr = slave, slave, slave
		oob = unix.UnixRights(int(slave.Fd()))
	} else {
		if stdio.Stdin != nil {
			if stdin, stdinW, err = os.Pipe(); err != nil {
				return nil, err
			}
			cleanup.add(stdinW)
		} else if stdin, err = os.Open(os.DevNull); err != nil {
			return nil, err
		}
		fds.add(stdin)
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
	}
	sp, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	syncFd := sp[0]
	defer unix.Close(syncFd)
	childSync := os.NewFile(uintptr(sp[1]), "sync")
	fds.add(childSync)
	statusR, statusW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	fds.add(statusW)
	cleanup.add(statusR)
	extra := []*os.File{childSync, statusW}
	var cgfds []string
	if c.group != nil {
		for _, f := range c.group.ProcsFiles() {
			cf, err := os.OpenFile(f, os.O_WRONLY, 0)
			if err != nil {
				return nil, fmt.Errorf("cgroups: %w", err)
			}
			fds.add(cf)
			cgfds = append(cgfds, strconv.Itoa(3+len(extra)))
			extra = append(extra, cf)
		}
	}
	cmd := &exec.Cmd{
		Path: r.Exe, Args: []string{"twinbox-exec", id},
		Env:   []string{"_TWINBOX_ROLE=exec", "_TWINBOX_TARGET=" + strconv.Itoa(c.pid), "_TWINBOX_CGROUP_FDS=" + strings.Join(cgfds, ",")},
		Stdin: stdin, Stdout: stdout, Stderr: stderr, ExtraFiles: extra,
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("runtime: start exec helper: %w", err)
	}
	fds.close()
	pid, err := readPid(statusR)
	if err != nil {
		cmd.Wait()
		if errors.Is(err, syscall.ESRCH) || errors.Is(err, syscall.ENOENT) {
			return nil, notRunning(id)
		}
		return nil, err
	}
	cleanup = append(closer{closerFunc(func() error {
		unix.Kill(pid, unix.SIGKILL)
		readStatus(statusR)
		return cmd.Wait()
	})}, cleanup...)
	p := newProcess(pid, stdio)
	if err := unix.Sendmsg(syncFd, msg, oob, nil, 0); err != nil {
		return nil, fmt.Errorf("runtime: exec: %w", err)
	}
	if _, v, _, err := recvRecord(syncFd); err == nil {
		return nil, childError(ps.Args, v)
	} else if !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("runtime: exec: %w", err)
	}
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
	go p.waitStatus(statusR, func() { cmd.Wait() }, nil)
	return p, nil
}

// Restore reattaches to container id's first process after the daemon
// restarted: through its monitor's socket when it still runs, else from the
// exit file the monitor wrote. Errors: NotFound when neither exists.
func (r *Runtime) Restore(ctx context.Context, id string, stdio backend.Stdio) (backend.Process, error) {
	if c := r.running(id); c != nil && c.proc != nil {
		return c.proc, nil
	}
	dir := r.store.ContainerDir(id)
	dfd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, backend.Errorf(backend.NotFound, "No such container: %s", id)
	}
	defer unix.Close(dfd)
	// A short path to the socket, whatever the length of the root's.
	conn, err := net.DialUnix("unix", nil, &net.UnixAddr{Net: "unix", Name: fmt.Sprintf("/proc/self/fd/%d/monitor.sock", dfd)})
	var buf, oob []byte
	var n, oobn int
	if err == nil {
		buf = make([]byte, 8)
		oob = make([]byte, unix.CmsgSpace(16*4))
		n, oobn, _, _, err = conn.ReadMsgUnix(buf, oob)
		if err != nil || n != 8 {
			// The monitor was ending: it wrote the exit file first.
			conn.Close()
			err = errors.New("monitor ended")
		}
	}
	if err != nil {
		data, ferr := os.ReadFile(filepath.Join(dir, "exit"))
		if ferr != nil {
			return nil, backend.Errorf(backend.NotFound, "container %s: no process to restore", id)
		}
		ws, _ := strconv.Atoi(strings.TrimSpace(string(data)))
		st := exitStatus(unix.WaitStatus(ws))
		if fi, err := os.Stat(filepath.Join(dir, "exit")); err == nil {
			st.At = fi.ModTime()
		}
		if g, err := r.cg.Load(id); err == nil {
			st.OOMKilled = g.OOMKilled()
			g.Delete()
		}
		return endedProcess(0, st), nil
	}
	kind, pid, _ := readRecord(strings.NewReader(string(buf)))
	if kind != 'P' {
		conn.Close()
		return nil, fmt.Errorf("runtime: restore %s: unexpected record %c", id, kind)
	}
	var held []*os.File
	if scms, err := unix.ParseSocketControlMessage(oob[:oobn]); err == nil {
		for _, s := range scms {
			if fds, err := unix.ParseUnixRights(&s); err == nil {
				for _, fd := range fds {
					unix.CloseOnExec(fd)
					held = append(held, os.NewFile(uintptr(fd), "output"))
				}
			}
		}
	}
	c := &container{id: id, pid: int(pid), endpoints: map[string]string{}}
	var saved savedSpec
	if data, err := os.ReadFile(filepath.Join(dir, "runtime.json")); err == nil {
		if json.Unmarshal(data, &saved) == nil {
			c.caps = saved.Caps
			if saved.Endpoints != nil {
				c.endpoints = saved.Endpoints
			}
		}
	}
	if c.caps == nil {
		c.caps = defaultCaps
	}
	if len(saved.Ports) > 0 || saved.DNS {
		// The proxies and DNS server ended with the previous daemon.
		if ns, err := os.Open(fmt.Sprintf("/proc/%d/ns/net", pid)); err == nil {
			c.services, err = r.startServices(id, int(ns.Fd()), saved.Ports, saved.DNS)
			ns.Close()
			if err != nil {
				fmt.Fprintf(os.Stderr, "twinbox: restore %s: %v\n", id, err)
			}
		}
	}
	if g, err := r.cg.Load(id); err == nil {
		c.group = g
	}
	p := newProcess(int(pid), stdio)
	c.proc = p
	switch len(held) {
	case 2:
		p.copyStreams(held[0], held[1], stdio.Stdout, stdio.Stderr)
	case 1: // a terminal's master
		p.pty = held[0]
		p.copyOut(held[0], stdio.Stdout)
		if stdio.Stdin != nil {
			go func() { io.Copy(held[0], stdio.Stdin) }()
		}
	default:
		for _, f := range held {
			f.Close()
		}
	}
	r.mu.Lock()
	r.ctrs[id] = c
	r.mu.Unlock()
	go p.waitStatus(conn, nil, func(st *backend.ExitStatus) {
		if c.group != nil {
			st.OOMKilled = c.group.OOMKilled()
		}
		r.release(id, c.group)
	})
	return p, nil
}

// Pause freezes the container's processes; Resume thaws them.
func (r *Runtime) Pause(id string) error {
	c, err := r.live(id)
	if err != nil {
		return err
	}
	return c.group.Freeze()
}

// UpdateResources sets the running container's limits to res.
func (r *Runtime) UpdateResources(id string, res backend.Resources) error {
	c, err := r.live(id)
	if err != nil {
		return err
	}
	return c.group.Update(res)
}

// Resume thaws the container's processes.
func (r *Runtime) Resume(id string) error {
	c, err := r.live(id)
	if err != nil {
		return err
	}
	return c.group.Thaw()
}

func (r *Runtime) live(id string) (*container, error) {
	if _, err := r.store.Layout(id); err != nil {
		return nil, err
	}
	c := r.running(id)
	if c == nil || c.pid == 0 || c.group == nil {
		return nil, notRunning(id)
	}
	return c, nil
}

// Processes lists the container's processes, parents first.
func (r *Runtime) Processes(id string) ([]backend.ProcessInfo, error) {
	c, err := r.live(id)
	if err != nil {
		return nil, err
	}
	pids, err := c.group.Pids()
	if err != nil {
		return nil, err
	}
	return processInfos(pids), nil
}

// Stats reports the container's resource usage.
func (r *Runtime) Stats(id string) (backend.Stats, error) {
	c, err := r.live(id)
	if err != nil {
		return backend.Stats{}, err
	}
	st := backend.Stats{Read: time.Now(), OnlineCPUs: onlineCPUs(), SystemCPU: systemCPU()}
	if err := c.group.Stats(&st); err != nil {
		return st, err
	}
	st.NetRx, st.NetTx = netDev(c.pid)
	return st, nil
}

// Connect adds an endpoint to running container id.
func (r *Runtime) Connect(id string, ep backend.Endpoint) error {
	c, err := r.live(id)
	if err != nil {
		return err
	}
	ns, err := os.Open(fmt.Sprintf("/proc/%d/ns/net", c.pid))
	if err != nil {
		return notRunning(id)
	}
	defer ns.Close()
	if _, err := network.AddEndpoint(int(ns.Fd()), ep, false); err != nil {
		return err
	}
	c.mu.Lock()
	c.endpoints[ep.NetworkID] = ep.IfName
	c.mu.Unlock()
	return nil
}

// UpdateFiles rewrites the files running container id has at the paths
// files names (see backend.FilesUpdater) in place, so that the container's
// bind mounts show the new contents, and starts its embedded DNS server
// when resolv.conf now names it.
func (r *Runtime) UpdateFiles(id string, files map[string][]byte) error {
	c, err := r.live(id)
	if err != nil {
		return err
	}
	dir := r.store.ContainerDir(id)
	for p, data := range files {
		if _, ok := hostFileNames[p]; !ok {
			return backend.Errorf(backend.InvalidParameter, "runtime: no file %s to update", p)
		}
		// O_TRUNC keeps the inode the container's bind mount shows.
		if err := os.WriteFile(HostFile(dir, p), data, 0o644); err != nil {
			return err
		}
	}
	if !usesEmbeddedDNS(&backend.Spec{Files: files}) {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.released {
		return notRunning(id)
	}
	for _, s := range c.services {
		if _, ok := s.(*network.DNSServer); ok {
			return nil
		}
	}
	ns, err := os.Open(fmt.Sprintf("/proc/%d/ns/net", c.pid))
	if err != nil {
		return notRunning(id)
	}
	defer ns.Close()
	svcs, err := r.startServices(id, int(ns.Fd()), nil, true)
	if err != nil {
		return err
	}
	c.services = append(c.services, svcs...)
	// For a restarted daemon's Restore.
	path := filepath.Join(dir, "runtime.json")
	var saved savedSpec
	if data, err := os.ReadFile(path); err == nil && json.Unmarshal(data, &saved) == nil {
		saved.DNS = true
		data, _ := json.Marshal(saved)
		os.WriteFile(path, data, 0o600)
	}
	return nil
}

// Disconnect removes container id's endpoint on network netID.
func (r *Runtime) Disconnect(id, netID string) error {
	c, err := r.live(id)
	if err != nil {
		return err
	}
	c.mu.Lock()
	ifName, ok := c.endpoints[netID]
	delete(c.endpoints, netID)
	c.mu.Unlock()
	if !ok {
		return backend.Errorf(backend.NotFound, "container %s is not connected to network %s", id, netID)
	}
	ns, err := os.Open(fmt.Sprintf("/proc/%d/ns/net", c.pid))
	if err != nil {
		return notRunning(id)
	}
	defer ns.Close()
	return network.RemoveEndpoint(int(ns.Fd()), ifName)
}
