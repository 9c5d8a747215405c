package build

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/jsonstream"

	"github.com/twinbox-dev/twinbox/shared/engine"
)

// dispatchRun runs RUN: the cache key is the command, prefixed with the
// build arguments that reach it ("|1 V=1 /bin/sh -c ..."); the container
// runs the command without entrypoint or healthcheck, the arguments in its
// environment.
func (r *run) dispatchRun(st *state, c *instructions.RunCommand) error {
	if len(c.FlagsUsed) > 0 {
		return fmt.Errorf("the --%s option requires BuildKit. Refer to https://docs.docker.com/go/buildkit/ to learn how to build images with BuildKit enabled", c.FlagsUsed[0])
	}
	base := st.runConfig
	cmd := resolveCmdLine(c.ShellDependantCmdLine, base)
	args := st.args.filterAllowed(base.Env)
	saveCmd := cmd
	if len(args) > 0 {
		saveCmd = prependEnvOnCmd(st.args, args, cmd)
	}
	probe := copyConfig(base)
	probe.Cmd = saveCmd
	probe.ArgsEscaped = false
	if len(saveCmd) > 0 {
		probe.Entrypoint = nil
	}
	if r.probeCache(st, probe) {
		return nil
	}
	runCfg := copyConfig(base)
	runCfg.Cmd = cmd
	runCfg.ArgsEscaped = false
	runCfg.Env = append(append([]string{}, base.Env...), args...)
	if len(saveCmd) > 0 {
		runCfg.Entrypoint = []string{""}
	}
	runCfg.Healthcheck = &container.HealthConfig{Test: []string{"NONE"}}
	id, err := r.create(runCfg)
	if err != nil {
		return err
	}
	if err := r.runContainer(id); err != nil {
		var se *statusError
		if errors.As(err, &se) {
			msg := fmt.Sprintf("The command '%s' returned a non-zero code: %d", strings.Join(runCfg.Cmd, " "), se.code)
			if se.msg != "" {
				msg += ": " + se.msg
			}
			return &jsonstream.Error{Message: msg, Code: se.code}
		}
		return err
	}
	return r.commitContainer(st, id, probe)
}

// statusError is a RUN that exited with a non-zero code.
type statusError struct {
	code int
	msg  string
}

func (e *statusError) Error() string { return e.msg }

var errCancelled = errors.New("build cancelled")

// runContainer attaches to the container, starts it, streams its output
// into the build's until it ends and returns a *statusError for a
// non-zero exit.
func (r *run) runContainer(id string) error {
	attached := make(chan struct{})
	done := make(chan error, 1)
	stdout, stderr := r.out.writer(false), r.out.writer(true)
	defer stdout.Flush()
	defer stderr.Flush()
	go func() {
		done <- r.e.ContainerAttach(r.ctx, id, engine.AttachOptions{
			GetStreams: func(bool) (engine.Streams, error) {
				close(attached)
				return engine.Streams{Stdout: stdout, Stderr: stderr}, nil
			},
			UseStdout: true,
			UseStderr: true,
			Stream:    true,
		})
	}()
	select {
	case err := <-done:
		if err == nil {
			err = errors.New("attach ended before the container started")
		}
		return err
	case <-attached:
	}
	if err := r.e.ContainerStart(r.ctx, id); err != nil {
		return err
	}
	if err := <-done; err != nil {
		return err
	}
	stdout.Flush()
	stderr.Flush()
	if r.ctx.Err() != nil {
		r.e.ContainerKill(r.ctx, id, "KILL")
		return errCancelled
	}
	wait, err := r.e.ContainerWait(r.ctx, id, container.WaitConditionNotRunning)
	if err != nil {
		return err
	}
	select {
	case res := <-wait:
		if res.StatusCode != 0 {
			se := &statusError{code: int(res.StatusCode)}
			if res.Error != nil {
				se.msg = res.Error.Message
			}
			return se
		}
		return nil
	case <-r.ctx.Done():
		r.e.ContainerKill(r.ctx, id, "KILL")
		return errCancelled
	}
}

// dispatchWorkdir runs WORKDIR: the directory is made in the step's
// container (as dockerd's ContainerCreateWorkdir) before it is committed.
func (r *run) dispatchWorkdir(st *state, c *instructions.WorkdirCommand) error {
	cfg := st.runConfig
	if c.Path == "" {
		return errors.New("cannot normalize nothing")
	}
	wd := c.Path
	if !path.IsAbs(wd) {
		wd = path.Join("/", cfg.WorkingDir, wd)
	}
	cfg.WorkingDir = wd
	ccfg := withCmdCommentString(copyConfig(cfg), "WORKDIR "+cfg.WorkingDir)
	id, err := r.probeAndCreate(st, ccfg)
	if err != nil || id == "" {
		return err
	}
	if err := r.mkdirAll(containerFS{r, id}, cfg.WorkingDir, 0, 0, true); err != nil {
		return err
	}
	return r.commitContainer(st, id, ccfg)
}
