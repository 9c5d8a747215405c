package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	units "github.com/docker/go-units"
	"github.com/moby/moby/api/types/container"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

// Container is the engine's record of one container and its live state.
type Container struct {
	mu sync.Mutex
	containerRecord

	// Live state, never persisted.
	proc       backend.Process
	out        *output
	restart    *restartManager
	waitStop   chan struct{}
	waitRemove chan struct{}
	removing   bool
}

// containerRecord is what the engine persists for a container.
type containerRecord struct {
	ID                     string
	Name                   string // with its leading slash
	Created                time.Time
	Path                   string
	Args                   []string
	Config                 *container.Config
	HostConfig             *container.HostConfig
	Image                  string   // image ID, "sha256:<hex>"
	Layers                 []string // ChainIDs of the image's layers, bottom first
	State                  state
	RestartCount           int
	HasBeenStartedBefore   bool
	HasBeenManuallyStopped bool
	Networks               map[string]*endpointRecord // by network name
	MountPoints            []mountPoint
	ExecIDs                []string `json:"-"`
}

// state is a container's state as inspect shows it. Restarting containers
// count as running, as in dockerd.
type state struct {
	Running    bool
	Paused     bool
	Restarting bool
	OOMKilled  bool
	Dead       bool
	Pid        int
	ExitCode   int
	Error      string
	StartedAt  time.Time
	FinishedAt time.Time
}

func newContainer(rec containerRecord) *Container {
	return &Container{
		containerRecord: rec,
		waitStop:        make(chan struct{}),
		waitRemove:      make(chan struct{}),
	}
}

// stateString is the container's status word: created, running, paused,
// restarting, removing, exited or dead.
func (c *Container) stateString() string {
	s := &c.State
	switch {
	case s.Running && s.Paused:
		return "paused"
	case s.Running && s.Restarting:
		return "restarting"
	case s.Running:
		return "running"
	case c.removing:
		return "removing"
	case s.Dead:
		return "dead"
	case s.StartedAt.IsZero():
		return "created"
	}
	return "exited"
}

// statusString is the human status `docker ps` shows: "Up 3 seconds",
// "Exited (0) 2 minutes ago", ...
func (c *Container) statusString(now time.Time) string {
	s := &c.State
	if s.Running {
		if s.Paused {
			return fmt.Sprintf("Up %s (Paused)", units.HumanDuration(now.Sub(s.StartedAt)))
		}
		if s.Restarting {
			return fmt.Sprintf("Restarting (%d) %s ago", s.ExitCode, units.HumanDuration(now.Sub(s.FinishedAt)))
		}
		return fmt.Sprintf("Up %s", units.HumanDuration(now.Sub(s.StartedAt)))
	}
	switch {
	case c.removing:
		return "Removal In Progress"
	case s.Dead:
		return "Dead"
	case s.StartedAt.IsZero():
		return "Created"
	case s.FinishedAt.IsZero():
		return ""
	}
	return fmt.Sprintf("Exited (%d) %s ago", s.ExitCode, units.HumanDuration(now.Sub(s.FinishedAt)))
}

func (c *Container) setRunning(pid int, now time.Time) {
	s := &c.State
	s.Error = ""
	s.Paused = false
	s.Running = true
	s.Restarting = false
	s.ExitCode = 0
	s.Pid = pid
	s.StartedAt = now.UTC()
}

func (c *Container) setStopped(st backend.ExitStatus, now time.Time) {
	s := &c.State
	s.Running = false
	s.Paused = false
	s.Restarting = false
	s.Pid = 0
	s.FinishedAt = exitTime(st, now)
	s.ExitCode = st.Code
	s.OOMKilled = st.OOMKilled
	close(c.waitStop)
	c.waitStop = make(chan struct{})
}

func (c *Container) setRestarting(st backend.ExitStatus, now time.Time) {
	s := &c.State
	s.Running = true
	s.Restarting = true
	s.Paused = false
	s.Pid = 0
	s.FinishedAt = now.UTC()
	s.ExitCode = st.Code
	s.OOMKilled = st.OOMKilled
	close(c.waitStop)
	c.waitStop = make(chan struct{})
}

func exitTime(st backend.ExitStatus, now time.Time) time.Time {
	if st.At.IsZero() {
		return now.UTC()
	}
	return st.At.UTC()
}

// waitResult is what a wait on a container yields.
type waitResult struct {
	code int
	err  string // the container's State.Error, if any
}

// wait returns a channel that yields once cond holds. The caller must not
// hold c.mu.
func (c *Container) wait(ctx context.Context, cond container.WaitCondition) <-chan waitResult {
	c.mu.Lock()
	defer c.mu.Unlock()
	res := make(chan waitResult, 1)
	if (cond == container.WaitConditionNotRunning || cond == "") && !c.State.Running {
		res <- waitResult{code: c.State.ExitCode, err: c.State.Error}
		return res
	}
	var stop chan struct{}
	if cond != container.WaitConditionRemoved {
		stop = c.waitStop
	}
	remove := c.waitRemove
	go func() {
		select {
		case <-ctx.Done():
			res <- waitResult{code: -1, err: ctx.Err().Error()}
			return
		case <-stop:
		case <-remove:
		}
		c.mu.Lock()
		r := waitResult{code: c.State.ExitCode, err: c.State.Error}
		c.mu.Unlock()
		res <- r
	}()
	return res
}

// waitStopped waits until c no longer runs or d passes (d < 0: forever).
// It reports whether c stopped.
func (c *Container) waitStopped(d time.Duration) bool {
	ctx := context.Background()
	if d >= 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	r := <-c.wait(ctx, container.WaitConditionNotRunning)
	return r.code != -1 || ctx.Err() == nil
}

// checkpoint persists the record. c.mu must be held.
func (e *Engine) checkpoint(c *Container) {
	data, err := json.Marshal(&c.containerRecord)
	if err != nil {
		panic(fmt.Sprintf("engine: encode container %s: %v", c.ID, err))
	}
	if err := e.store.Put("containers", c.ID, data); err != nil {
		// The record stays correct in memory; the next checkpoint retries.
		e.logf("checkpoint container %s: %v", c.ID, err)
	}
}

// logf records an engine-internal problem that has no caller to report to.
func (e *Engine) logf(format string, args ...any) {
	e.events.internal(fmt.Sprintf(format, args...))
}

// getContainer finds a container by full ID, name, or unique ID prefix, as
// dockerd does. Errors: NotFound "No such container: X"; InvalidParameter
// for an empty name.
func (e *Engine) getContainer(ref string) (*Container, error) {
	if ref == "" {
		return nil, backend.Errorf(backend.InvalidParameter, "invalid name or ID supplied: %q", ref)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if c, ok := e.containers[ref]; ok {
		return c, nil
	}
	name := ref
	if !strings.HasPrefix(name, "/") {
		name = "/" + name
	}
	if id, ok := e.names[name]; ok {
		return e.containers[id], nil
	}
	if hexPrefix.MatchString(ref) {
		var found *Container
		for id, c := range e.containers {
			if strings.HasPrefix(id, ref) {
				if found != nil {
					return nil, backend.Errorf(backend.InvalidParameter, "multiple IDs found with provided prefix: %s", ref)
				}
				found = c
			}
		}
		if found != nil {
			return found, nil
		}
	}
	return nil, backend.Errorf(backend.NotFound, "No such container: %s", ref)
}

// listContainers returns all containers, newest first.
func (e *Engine) listContainers() []*Container {
	e.mu.Lock()
	cs := make([]*Container, 0, len(e.containers))
	for _, c := range e.containers {
		cs = append(cs, c)
	}
	e.mu.Unlock()
	sort.Slice(cs, func(i, j int) bool {
		if !cs[i].Created.Equal(cs[j].Created) {
			return cs[i].Created.After(cs[j].Created)
		}
		return cs[i].ID < cs[j].ID
	})
	return cs
}

// reserveName records name for id. Errors: Conflict with dockerd's text.
func (e *Engine) reserveName(name, id string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if other, ok := e.names[name]; ok && other != id {
		return backend.Errorf(backend.Conflict, "Conflict. The container name %q is already in use by container %q. You have to remove (or rename) that container to be able to reuse that name.", name, other)
	}
	e.names[name] = id
	return nil
}

func (e *Engine) releaseName(name string) {
	e.mu.Lock()
	delete(e.names, name)
	e.mu.Unlock()
}

// generateName picks an unused generated name, as dockerd does.
func (e *Engine) generateName(id string) (string, error) {
	for i := 0; i < 6; i++ {
		name := "/" + e.randomName(i)
		if err := e.reserveName(name, id); err == nil {
			return name, nil
		}
	}
	name := "/" + shortID(id)
	if err := e.reserveName(name, id); err != nil {
		return "", err
	}
	return name, nil
}

// loadContainers reads the persisted records and reattaches to containers
// whose processes still run.
func (e *Engine) loadContainers(ctx context.Context) error {
	ids, err := e.store.Keys("containers")
	if err != nil {
		return fmt.Errorf("engine: list containers: %w", err)
	}
	for _, id := range ids {
		data, err := e.store.Get("containers", id)
		if err != nil {
			return fmt.Errorf("engine: load container %s: %w", id, err)
		}
		var rec containerRecord
		if err := json.Unmarshal(data, &rec); err != nil {
			e.logf("load container %s: %v", id, err)
			continue
		}
		c := newContainer(rec)
		c.out = e.newOutput(c)
		c.out.load()
		e.containers[c.ID] = c
		e.names[c.Name] = c.ID
	}
	for _, c := range e.listContainers() {
		c.mu.Lock()
		if c.State.Running {
			e.restore(ctx, c)
		}
		c.mu.Unlock()
	}
	return nil
}

// restore reattaches to c's process after an engine restart. c.mu is held.
func (e *Engine) restore(ctx context.Context, c *Container) {
	c.restart = newRestartManager(c.HostConfig.RestartPolicy, c.RestartCount)
	proc, err := e.b.Restore(ctx, c.ID, c.out.stdio(c.Config.Tty, nil))
	if err != nil {
		c.setStopped(backend.ExitStatus{Code: 255}, e.now())
		e.releaseNetwork(c)
		e.checkpoint(c)
		return
	}
	c.proc = proc
	e.restoreNetwork(c)
	go e.monitor(c, proc)
}

var errStale = errors.New("stale")
