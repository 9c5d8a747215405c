package engine

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"

	"github.com/moby/moby/api/types/container"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

// execConfig is an exec session: a process run in a running container.
type execConfig struct {
	mu        sync.Mutex
	id        string
	c         *Container
	req       container.ExecCreateRequest
	running   bool
	started   bool
	exitCode  *int
	pid       int
	proc      backend.Process
	canRemove bool
	out       *output
}

// ExecCreate answers POST /containers/{name}/exec. Errors: Conflict when the
// container does not run, is paused or restarting; InvalidParameter without
// a command.
func (e *Engine) ExecCreate(ctx context.Context, name string, req *container.ExecCreateRequest) (string, error) {
	if req == nil || len(req.Cmd) == 0 {
		return "", backend.Errorf(backend.InvalidParameter, "No exec command specified")
	}
	if _, err := parseDetachKeys(req.DetachKeys); err != nil {
		return "", err
	}
	c, err := e.getContainer(name)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case !c.State.Running:
		return "", backend.Errorf(backend.Conflict, "Container %s is not running", c.ID)
	case c.State.Paused:
		return "", backend.Errorf(backend.Conflict, "Container %s is paused, unpause the container before exec", c.ID)
	case c.State.Restarting:
		return "", backend.Errorf(backend.Conflict, "Container %s is restarting, wait until the container is running", c.ID)
	}
	x := &execConfig{id: e.newID(), c: c, req: *req, out: e.newExecOutput()}
	e.mu.Lock()
	e.execs[x.id] = x
	e.mu.Unlock()
	e.containerEvent(c, "exec_create: "+strings.Join(req.Cmd, " "), map[string]string{"execID": x.id})
	return x.id, nil
}

func (e *Engine) getExec(id string) (*execConfig, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	x, ok := e.execs[id]
	if !ok {
		return nil, backend.Errorf(backend.NotFound, "No such exec instance: %s", id)
	}
	return x, nil
}

// execIDs lists the container's exec sessions. c.mu may be held.
func (e *Engine) execIDs(c *Container) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var ids []string
	for id, x := range e.execs {
		if x.c == c {
			ids = append(ids, id)
		}
	}
	return ids
}

// endExecs forgets a stopped container's exec sessions, as dockerd does.
func (e *Engine) endExecs(c *Container) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for id, x := range e.execs {
		if x.c == c {
			delete(e.execs, id)
		}
	}
}

// ExecStart answers POST /exec/{id}/start; it returns when the process ends
// (at once with Detach). An error after GetStreams was called is the text
// dockerd writes into the stream.
func (e *Engine) ExecStart(ctx context.Context, id string, opts ExecStartOptions) error {
	x, err := e.getExec(id)
	if err != nil {
		return err
	}
	// As dockerd, only a missing exec is an HTTP error: the router hijacks
	// first and every later error goes into the stream.
	var streams Streams
	if !opts.Detach && opts.GetStreams != nil {
		if streams, err = opts.GetStreams(!x.req.Tty); err != nil {
			return err
		}
		if streams.Stdin != nil {
			defer streams.Stdin.Close()
		}
	}
	x.mu.Lock()
	if x.running {
		x.mu.Unlock()
		return backend.Errorf(backend.Conflict, "Error: Exec command %s is already running", id)
	}
	if x.started {
		x.mu.Unlock()
		return backend.Errorf(backend.Conflict, "Error: Exec command %s has already run", id)
	}
	x.started = true
	x.running = true
	x.mu.Unlock()

	c := x.c
	c.mu.Lock()
	if !c.State.Running {
		c.mu.Unlock()
		x.finish(126)
		return backend.Errorf(backend.Conflict, "Container %s is not running", c.ID)
	}
	if c.State.Paused {
		c.mu.Unlock()
		x.finish(126)
		return backend.Errorf(backend.Conflict, "Container %s is paused, unpause the container before exec", c.ID)
	}
	spec := &backend.ProcessSpec{
		Args: append([]string{}, x.req.Cmd...),
		Env:  replaceOrAppendEnv(containerEnv(c, nil), x.req.Env),
		Cwd:  x.req.WorkingDir,
		User: x.req.User,
		Tty:  x.req.Tty,
	}
	if spec.Cwd == "" {
		spec.Cwd = c.Config.WorkingDir
	}
	if spec.Cwd == "" {
		spec.Cwd = "/"
	}
	if spec.User == "" {
		spec.User = c.Config.User
	}
	if opts.ConsoleSize != nil {
		spec.ConsoleSize = *opts.ConsoleSize
	} else if x.req.ConsoleSize != nil {
		spec.ConsoleSize = *x.req.ConsoleSize
	}
	c.mu.Unlock()

	stdout, stderr := streams.Stdout, streams.Stderr
	if !x.req.AttachStdout {
		stdout = nil
	}
	if !x.req.AttachStderr || x.req.Tty {
		stderr = nil
	}
	a := x.out.attach(stdout, stderr)
	stdio := x.out.stdio(x.req.Tty, nil)
	if x.req.AttachStdin && streams.Stdin != nil {
		stdio.Stdin = x.out.openStdin()
	}
	proc, err := e.b.Exec(ctx, c.ID, spec, stdio)
	if err != nil {
		x.out.endRun()
		var xe *backend.ExecError
		if errors.As(err, &xe) {
			x.finish(xe.ExitCode())
			return backend.Errorf(backend.InvalidParameter, "OCI runtime exec failed: exec failed: unable to start container process: %s: unknown", xe.Error())
		}
		x.finish(126)
		return err
	}
	x.mu.Lock()
	x.proc = proc
	x.pid = proc.Pid()
	x.mu.Unlock()
	e.containerEvent(c, "exec_start: "+strings.Join(x.req.Cmd, " "), map[string]string{"execID": x.id})

	done := make(chan struct{})
	go func() {
		defer close(done)
		st, err := proc.Wait(context.Background())
		if err != nil {
			st.Code = 126
		}
		x.out.endRun()
		x.finish(st.Code)
		e.containerEvent(c, "exec_die", map[string]string{"execID": x.id, "exitCode": strconv.Itoa(st.Code)})
	}()
	if opts.Detach {
		return nil
	}
	if x.req.AttachStdin && streams.Stdin != nil {
		keys, _ := parseDetachKeys(x.req.DetachKeys)
		go func() {
			err := copyStdin(x.out.stdinWriter(), streams.Stdin, keys)
			if err == errDetached {
				a.end()
				return
			}
			x.out.closeStdin()
		}()
	}
	select {
	case <-done:
	case <-a.done:
		<-done
	case <-ctx.Done():
	}
	return nil
}

func (x *execConfig) finish(code int) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.running = false
	x.exitCode = &code
	x.proc = nil
}

// ExecInspect answers GET /exec/{id}/json.
func (e *Engine) ExecInspect(ctx context.Context, id string) (*container.ExecInspectResponse, error) {
	x, err := e.getExec(id)
	if err != nil {
		return nil, err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	privileged := x.req.Privileged
	pc := &container.ExecProcessConfig{
		Tty:        x.req.Tty,
		Entrypoint: x.req.Cmd[0],
		Arguments:  append([]string{}, x.req.Cmd[1:]...),
		Privileged: &privileged,
		User:       x.req.User,
	}
	return &container.ExecInspectResponse{
		ID:            x.id,
		Running:       x.running,
		ExitCode:      x.exitCode,
		ProcessConfig: pc,
		OpenStdin:     x.req.AttachStdin,
		OpenStderr:    x.req.AttachStderr,
		OpenStdout:    x.req.AttachStdout,
		CanRemove:     x.canRemove,
		ContainerID:   x.c.ID,
		DetachKeys:    []byte(x.req.DetachKeys),
		Pid:           x.pid,
	}, nil
}

// ExecResize answers POST /exec/{id}/resize.
func (e *Engine) ExecResize(ctx context.Context, id string, height, width uint) error {
	x, err := e.getExec(id)
	if err != nil {
		return err
	}
	x.mu.Lock()
	proc := x.proc
	x.mu.Unlock()
	if proc == nil {
		return backend.Errorf(backend.Conflict, "Exec %s is not running", id)
	}
	return proc.Resize(height, width)
}
