package engine

import (
	"github.com/twinbox-dev/twinbox/shared/backend"
)

// namespaceModes resolves c's --pid and --ipc modes for the backend, as
// dockerd's setNamespaces does when it builds the runtime spec (after the
// network, IPC before PID): a container named by "container:NAME" must be
// running and not restarting, and an IPC namespace can be joined only when
// its owner made it shareable (--ipc shareable or host, or joined one
// itself). The errors are dockerd's, with its status (500: it reports
// spec errors as system errors). c.mu is held.
func (e *Engine) namespaceModes(c *Container) (pid, ipc backend.NamespaceSpec, err error) {
	hc := c.HostConfig
	switch {
	case hc.IpcMode.IsHost():
		ipc.Mode = "host"
	case hc.IpcMode.IsContainer():
		ref := hc.IpcMode.Container()
		msg := "can't join IPC of container " + ref
		other, err := e.getContainer(ref)
		if err != nil {
			return pid, ipc, backend.Errorf(backend.Internal, "%s: %v", msg, err)
		}
		if err := e.joinable(c, other, msg+": "); err != nil {
			return pid, ipc, err
		}
		other.mu.Lock()
		mode := other.HostConfig.IpcMode
		other.mu.Unlock()
		// "" is a container of an older daemon, whose default was shareable.
		if !mode.IsShareable() && !mode.IsHost() && !mode.IsContainer() && !mode.IsEmpty() {
			return pid, ipc, backend.Errorf(backend.Internal, "%s: non-shareable IPC (hint: use IpcMode:shareable for the donor container)", msg)
		}
		ipc = backend.NamespaceSpec{Mode: "container", Container: other.ID}
	}
	switch {
	case hc.PidMode.IsHost():
		pid.Mode = "host"
	case hc.PidMode.IsContainer():
		ref := hc.PidMode.Container()
		other, err := e.getContainer(ref)
		if err != nil {
			return pid, ipc, backend.Errorf(backend.Internal, "cannot join PID of a non running container: %s: %v", ref, err)
		}
		if err := e.joinable(c, other, ""); err != nil {
			return pid, ipc, err
		}
		pid = backend.NamespaceSpec{Mode: "container", Container: other.ID}
	}
	return pid, ipc, nil
}

// joinable checks that other runs and is not restarting, as dockerd's
// containerIsRunning and containerIsNotRestarting do, prefixing prefix to
// their errors.
func (e *Engine) joinable(c, other *Container, prefix string) error {
	if other == c {
		return backend.Errorf(backend.Internal, "%scontainer %s is not running", prefix, other.ID)
	}
	other.mu.Lock()
	running, restarting := other.State.Running, other.State.Restarting
	other.mu.Unlock()
	if !running {
		return backend.Errorf(backend.Internal, "%scontainer %s is not running", prefix, other.ID)
	}
	if restarting {
		return backend.Errorf(backend.Internal, "%sContainer %s is restarting, wait until the container is running", prefix, other.ID)
	}
	return nil
}
