package engine

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

// ContainerStart answers POST /containers/{name}/start. Errors: NotModified
// when it runs already; Conflict when it is paused or being removed;
// InvalidParameter (with the exit code recorded) when its command cannot run.
func (e *Engine) ContainerStart(ctx context.Context, name string) error {
	c, err := e.getContainer(name)
	if err != nil {
		return err
	}
	c.mu.Lock()
	switch {
	case c.State.Paused:
		c.mu.Unlock()
		return backend.Errorf(backend.Conflict, "cannot start a paused container, try unpause instead")
	case c.State.Running:
		c.mu.Unlock()
		return backend.Errorf(backend.NotModified, "Container is already started")
	case c.removing || c.State.Dead:
		c.mu.Unlock()
		return backend.Errorf(backend.Conflict, "container is marked for removal and cannot be started")
	}
	err = e.start(ctx, c, true)
	autoRemove := err != nil && c.HostConfig.AutoRemove
	c.mu.Unlock()
	if autoRemove {
		if rerr := e.ContainerRemove(context.Background(), c.ID, RemoveOptions{Force: true, RemoveVolumes: true}); rerr != nil {
			e.logf("auto-remove %s: %v", c.ID, rerr)
		}
	}
	return err
}

// start runs c's process. c.mu is held. resetRestart is true for a start
// asked by a user (it resets the restart count), false for a restart by
// policy.
func (e *Engine) start(ctx context.Context, c *Container, resetRestart bool) (err error) {
	if c.removing || c.State.Dead {
		return backend.Errorf(backend.Conflict, "container is marked for removal and cannot be started")
	}
	defer func() {
		if err != nil {
			c.State.Error = err.Error()
			if c.State.ExitCode == 0 {
				c.State.ExitCode = 128
			}
			c.State.Running, c.State.Restarting, c.State.Paused, c.State.Pid = false, false, false, 0
			e.releaseNetwork(c)
			e.checkpoint(c)
		}
	}()
	netSpec, err := e.connectNetworks(c)
	if err != nil {
		return err
	}
	spec := e.buildSpec(c, netSpec)
	if spec.PID, spec.IPC, err = e.namespaceModes(c); err != nil {
		return err
	}
	if resetRestart {
		if c.restart != nil {
			c.restart.cancel()
		}
		c.restart = nil
		c.RestartCount = 0
		c.HasBeenManuallyStopped = false
	}
	if c.restart == nil {
		c.restart = newRestartManager(c.HostConfig.RestartPolicy, c.RestartCount)
	}
	stdio := c.out.stdio(c.Config.Tty, nil)
	if c.Config.OpenStdin {
		stdio.Stdin = c.out.openStdin()
	}
	proc, err := e.b.Start(ctx, c.ID, spec, stdio)
	if err != nil {
		c.out.endRun()
		return e.startError(c, err)
	}
	c.proc = proc
	c.setRunning(proc.Pid(), e.now())
	c.HasBeenStartedBefore = true
	e.saveSandbox(c)
	e.checkpoint(c)
	e.containerEvent(c, "start", nil)
	go e.monitor(c, proc)
	return nil
}

// startError turns a backend's start failure into dockerd's error, recording
// the exit code Docker records.
func (e *Engine) startError(c *Container, err error) error {
	var xe *backend.ExecError
	if errors.As(err, &xe) {
		c.State.ExitCode = xe.ExitCode()
		msg := "failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: " + xe.Error() + ": unknown"
		return backend.Errorf(backend.InvalidParameter, "%s", msg)
	}
	if perr := e.portError(c, err); perr != nil {
		return perr
	}
	if backend.CodeOf(err) != backend.Internal {
		return err
	}
	return backend.Errorf(backend.Internal, "%v", err)
}

// monitor waits for c's process to end, records how, and restarts it when
// its policy says so.
func (e *Engine) monitor(c *Container, proc backend.Process) {
	st, err := proc.Wait(context.Background())
	if err != nil {
		st = backend.ExitStatus{Code: 255}
	}
	c.out.endRun()
	c.mu.Lock()
	if c.proc != proc {
		c.mu.Unlock()
		return
	}
	c.proc = nil
	now := e.now()
	restart, wait := c.restart.shouldRestart(st.Code, c.HasBeenManuallyStopped, now.Sub(c.State.StartedAt))
	if restart {
		c.RestartCount++
		c.setRestarting(st, now)
	} else {
		c.setStopped(st, now)
	}
	e.releaseNetwork(c)
	e.containerEvent(c, "die", map[string]string{"exitCode": strconv.Itoa(st.Code)})
	e.checkpoint(c)
	autoRemove := !restart && c.HostConfig.AutoRemove
	c.mu.Unlock()

	e.endExecs(c)
	if restart {
		go func() {
			err := <-wait
			c.mu.Lock()
			if err == nil {
				err = e.start(context.Background(), c, false)
			}
			if err != nil {
				c.setStopped(st, e.now())
				e.checkpoint(c)
			}
			remove := err != nil && c.HostConfig.AutoRemove
			c.mu.Unlock()
			if remove {
				e.autoRemove(c)
			}
		}()
		return
	}
	if autoRemove {
		e.autoRemove(c)
	}
}

func (e *Engine) autoRemove(c *Container) {
	if err := e.ContainerRemove(context.Background(), c.ID, RemoveOptions{RemoveVolumes: true}); err != nil && !backend.IsNotFound(err) && !backend.IsConflict(err) {
		e.logf("auto-remove %s: %v", c.ID, err)
	}
}

// stopSignal is the signal stop sends first.
func (c *Container) stopSignal() backend.Signal {
	if c.Config.StopSignal != "" {
		if sig, err := backend.ParseSignal(c.Config.StopSignal); err == nil {
			return sig
		}
	}
	return backend.SIGTERM
}

// stopTimeout is the seconds stop waits before SIGKILL.
func (c *Container) stopTimeout() int {
	if c.Config.StopTimeout != nil {
		return *c.Config.StopTimeout
	}
	return 10
}

// ContainerStop answers POST /containers/{name}/stop. Errors: NotModified
// when it does not run.
func (e *Engine) ContainerStop(ctx context.Context, name string, opts StopOptions) error {
	c, err := e.getContainer(name)
	if err != nil {
		return err
	}
	c.mu.Lock()
	running := c.State.Running
	timeout := c.stopTimeout()
	sig := c.stopSignal()
	c.mu.Unlock()
	if !running {
		return backend.Errorf(backend.NotModified, "Container is already stopped")
	}
	if opts.Timeout != nil {
		timeout = *opts.Timeout
	}
	if opts.Signal != "" {
		if sig, err = backend.ParseSignal(opts.Signal); err != nil {
			return err
		}
	}
	if err := e.stop(c, sig, timeout); err != nil {
		return backend.Errorf(backend.Internal, "cannot stop container: %s: %w", name, err)
	}
	return nil
}

// stop sends sig, waits up to seconds (forever when negative), then kills.
func (e *Engine) stop(c *Container, sig backend.Signal, seconds int) error {
	c.mu.Lock()
	running := c.State.Running
	c.mu.Unlock()
	if !running {
		return nil
	}
	wait := time.Duration(seconds) * time.Second
	if seconds < 0 {
		wait = -1
	}
	if err := e.signal(c, sig); err != nil {
		wait = 2 * time.Second
	}
	if c.waitStopped(wait) {
		e.containerEvent(c, "stop", nil)
		return nil
	}
	if err := e.kill(c); err != nil {
		if c.waitStopped(2 * time.Second) {
			e.containerEvent(c, "stop", nil)
			return nil
		}
		return err
	}
	e.containerEvent(c, "stop", nil)
	return nil
}

// signal delivers sig to c's process, as dockerd's killWithSignal: the
// container counts as stopped by hand, so its restart policy does not
// restart it. Errors: Conflict when it does not run.
func (e *Engine) signal(c *Container, sig backend.Signal) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.State.Running {
		return backend.Errorf(backend.Conflict, "Container %s is not running", c.ID)
	}
	unpause := false
	if sig == backend.SIGKILL || c.Config.StopSignal == "" || c.stopSignal() == sig {
		if c.restart != nil {
			c.restart.cancel()
		}
		unpause = c.State.Paused
	}
	c.HasBeenManuallyStopped = true
	e.checkpoint(c)
	if c.State.Restarting {
		return nil
	}
	if c.proc != nil {
		if err := c.proc.Signal(sig); err != nil && !backend.IsConflict(err) {
			return fmt.Errorf("Cannot kill container %s: %w", c.ID, err)
		}
	}
	if unpause {
		if err := e.b.Resume(context.Background(), c.ID); err == nil {
			c.State.Paused = false
		}
	}
	e.containerEvent(c, "kill", map[string]string{"signal": strconv.Itoa(int(sig))})
	return nil
}

// kill sends SIGKILL and waits for the process to end.
func (e *Engine) kill(c *Container) error {
	if err := e.signal(c, backend.SIGKILL); err != nil {
		if backend.IsConflict(err) {
			return nil
		}
		return err
	}
	if !c.waitStopped(10 * time.Second) {
		return errors.New("tried to kill container, but did not receive an exit event")
	}
	return nil
}

// ContainerKill answers POST /containers/{name}/kill. Errors: Conflict when
// it does not run; InvalidParameter for a bad signal.
func (e *Engine) ContainerKill(ctx context.Context, name, signal string) error {
	c, err := e.getContainer(name)
	if err != nil {
		return err
	}
	sig := backend.SIGKILL
	if signal != "" {
		if sig, err = backend.ParseSignal(signal); err != nil {
			return err
		}
	}
	if sig == backend.SIGKILL {
		c.mu.Lock()
		running := c.State.Running
		c.mu.Unlock()
		if !running {
			return backend.Errorf(backend.Conflict, "Container %s is not running", c.ID)
		}
		return e.kill(c)
	}
	return e.signal(c, sig)
}

// ContainerRestart answers POST /containers/{name}/restart.
func (e *Engine) ContainerRestart(ctx context.Context, name string, opts StopOptions) error {
	c, err := e.getContainer(name)
	if err != nil {
		return err
	}
	c.mu.Lock()
	timeout := c.stopTimeout()
	sig := c.stopSignal()
	c.mu.Unlock()
	if opts.Timeout != nil {
		timeout = *opts.Timeout
	}
	if opts.Signal != "" {
		if sig, err = backend.ParseSignal(opts.Signal); err != nil {
			return err
		}
	}
	if err := e.stop(c, sig, timeout); err != nil {
		return backend.Errorf(backend.Internal, "Cannot restart container %s: %w", name, err)
	}
	c.mu.Lock()
	err = e.start(ctx, c, true)
	c.mu.Unlock()
	if err != nil {
		return backend.WithCode(backend.CodeOf(err), fmt.Errorf("Cannot restart container %s: %w", name, err))
	}
	e.containerEvent(c, "restart", nil)
	return nil
}

// ContainerPause answers POST /containers/{name}/pause.
func (e *Engine) ContainerPause(ctx context.Context, name string) error {
	c, err := e.getContainer(name)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case !c.State.Running:
		return backend.Errorf(backend.Conflict, "Container %s is not running", c.ID)
	case c.State.Paused:
		return backend.Errorf(backend.Conflict, "Container %s is already paused", c.ID)
	case c.State.Restarting:
		return backend.Errorf(backend.Conflict, "Container %s is restarting, wait until the container is running", c.ID)
	}
	if err := e.b.Pause(ctx, c.ID); err != nil {
		return fmt.Errorf("Cannot pause container %s: %w", c.ID, err)
	}
	c.State.Paused = true
	e.checkpoint(c)
	e.containerEvent(c, "pause", nil)
	return nil
}

// ContainerUnpause answers POST /containers/{name}/unpause.
func (e *Engine) ContainerUnpause(ctx context.Context, name string) error {
	c, err := e.getContainer(name)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.State.Paused {
		return backend.Errorf(backend.Conflict, "Container %s is not paused", c.ID)
	}
	if err := e.b.Resume(ctx, c.ID); err != nil {
		return fmt.Errorf("Cannot unpause container %s: %w", c.ID, err)
	}
	c.State.Paused = false
	e.checkpoint(c)
	e.containerEvent(c, "unpause", nil)
	return nil
}

// ContainerWait answers POST /containers/{name}/wait: the channel yields
// one response when the condition is met. Errors (before waiting): NotFound;
// InvalidParameter for an unknown condition.
func (e *Engine) ContainerWait(ctx context.Context, name string, cond container.WaitCondition) (<-chan container.WaitResponse, error) {
	switch cond {
	case "", container.WaitConditionNotRunning, container.WaitConditionNextExit, container.WaitConditionRemoved:
	default:
		return nil, backend.Errorf(backend.InvalidParameter, "invalid condition: %q", cond)
	}
	c, err := e.getContainer(name)
	if err != nil {
		return nil, err
	}
	out := make(chan container.WaitResponse, 1)
	res := c.wait(ctx, cond)
	go func() {
		r := <-res
		resp := container.WaitResponse{StatusCode: int64(r.code)}
		if r.err != "" {
			resp.Error = &container.WaitExitError{Message: r.err}
		}
		out <- resp
	}()
	return out, nil
}

// ContainerRemove answers DELETE /containers/{name}.
func (e *Engine) ContainerRemove(ctx context.Context, name string, opts RemoveOptions) error {
	c, err := e.getContainer(name)
	if err != nil {
		return err
	}
	c.mu.Lock()
	if c.removing {
		c.mu.Unlock()
		return backend.Errorf(backend.Conflict, "removal of container %s is already in progress", name)
	}
	if c.State.Running {
		if !opts.Force {
			st := c.stateString()
			procedure := "Stop the container before attempting removal or force remove"
			if st == "paused" {
				procedure = "Unpause and then " + strings.ToLower(procedure)
			}
			c.mu.Unlock()
			return backend.Errorf(backend.Conflict, "You cannot remove a %s container %s. %s", st, c.ID, procedure)
		}
	}
	c.removing = true
	c.mu.Unlock()

	if err := e.kill(c); err != nil {
		c.mu.Lock()
		c.removing = false
		c.mu.Unlock()
		return fmt.Errorf("Could not kill running container %s, cannot remove - %v", c.ID, err)
	}
	c.waitStopped(-1)

	c.mu.Lock()
	defer c.mu.Unlock()
	if c.restart != nil {
		c.restart.cancel()
	}
	c.State.Dead = true
	if err := e.b.RemoveRootfs(ctx, c.ID); err != nil && !backend.IsNotFound(err) {
		c.State.Dead = false
		c.removing = false
		c.State.Error = err.Error()
		return backend.Errorf(backend.Internal, "container %s: %w", c.ID, err)
	}
	e.mu.Lock()
	delete(e.containers, c.ID)
	if e.names[c.Name] == c.ID {
		delete(e.names, c.Name)
	}
	e.mu.Unlock()
	e.store.Delete("containers", c.ID)
	e.store.Delete("logs", c.ID)
	e.removeMountPoints(c, opts.RemoveVolumes)
	// A removal clears the error a failed start left, as dockerd's
	// SetRemoved: waiters for "removed" get the exit code alone.
	c.State.Error = ""
	close(c.waitRemove)
	c.waitRemove = make(chan struct{})
	e.containerEvent(c, "destroy", nil)
	return nil
}

// ContainerRename answers POST /containers/{name}/rename.
func (e *Engine) ContainerRename(ctx context.Context, name, newName string) error {
	if newName == "" {
		return backend.Errorf(backend.InvalidParameter, "Neither old nor new names may be empty")
	}
	c, err := e.getContainer(name)
	if err != nil {
		return err
	}
	newName, err = validateName(newName)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.Name
	if old == newName {
		return backend.Errorf(backend.InvalidParameter, "Renaming a container with the same name as its current name")
	}
	if err := e.reserveName(newName, c.ID); err != nil {
		return err
	}
	e.releaseName(old)
	c.Name = newName
	e.checkpoint(c)
	e.containerEvent(c, "rename", map[string]string{"oldName": old})
	return nil
}

// restartManager decides restarts as dockerd's restart manager does: 100 ms
// backoff doubling to one minute, reset after 10 s of running.
type restartManager struct {
	mu       sync.Mutex
	policy   container.RestartPolicy
	count    int
	timeout  time.Duration
	canceled bool
	stop     chan struct{}
}

func newRestartManager(p container.RestartPolicy, count int) *restartManager {
	return &restartManager{policy: p, count: count, stop: make(chan struct{})}
}

func (rm *restartManager) shouldRestart(code int, manuallyStopped bool, ran time.Duration) (bool, <-chan error) {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	if rm.canceled {
		return false, nil
	}
	if ran >= 10*time.Second {
		rm.timeout = 0
	}
	switch {
	case rm.timeout == 0:
		rm.timeout = 100 * time.Millisecond
	case rm.timeout < time.Minute:
		rm.timeout *= 2
	}
	if rm.timeout > time.Minute {
		rm.timeout = time.Minute
	}
	restart := false
	switch rm.policy.Name {
	case container.RestartPolicyAlways:
		restart = true
	case container.RestartPolicyUnlessStopped:
		restart = !manuallyStopped
	case container.RestartPolicyOnFailure:
		if max := rm.policy.MaximumRetryCount; max == 0 || rm.count < max {
			restart = code != 0
		}
	}
	if !restart {
		return false, nil
	}
	rm.count++
	ch := make(chan error, 1)
	timer := time.NewTimer(rm.timeout)
	go func() {
		defer timer.Stop()
		select {
		case <-rm.stop:
			ch <- errors.New("restart canceled")
		case <-timer.C:
			ch <- nil
		}
	}()
	return true, ch
}

func (rm *restartManager) cancel() {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	if !rm.canceled {
		rm.canceled = true
		close(rm.stop)
	}
}

// containerEvent records an event about c. c.mu may be held.
func (e *Engine) containerEvent(c *Container, action string, extra map[string]string) {
	attrs := map[string]string{"name": strings.TrimPrefix(c.Name, "/")}
	if c.Config != nil {
		attrs["image"] = c.Config.Image
		for k, v := range c.Config.Labels {
			attrs[k] = v
		}
	}
	for k, v := range extra {
		attrs[k] = v
	}
	e.events.publish(e.now(), events.ContainerEventType, events.Action(action), c.ID, attrs)
}
