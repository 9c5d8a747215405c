// Package enginetest is the conformance suite every backend.Backend passes:
// it runs the same scenarios through an engine (shared/engine) on the
// backend under test and checks what a Docker user would see.
//
// A backend's test calls Run with a HarnessMaker in a few lines:
//
//	func TestConformance(t *testing.T) {
//		enginetest.Run(t, func(ctx context.Context, t *testing.T) (enginetest.Harness, error) {
//			return newHarness(t)
//		})
//	}
package enginetest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/jsonstream"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/engine"
)

// Harness provides what the suite runs on.
type Harness interface {
	// NewBackend returns a backend with no layers, containers, networks or
	// volumes. The suite builds one engine on it per test.
	NewBackend(ctx context.Context, t *testing.T) (backend.Backend, error)
	// Registry is where the suite pulls busybox:latest from (the base image
	// made from Debian's busybox-static, see scripts/mkbase).
	Registry() engine.Registry
	// Close releases what the harness holds.
	Close()
}

// HarnessMaker makes a Harness for one test.
type HarnessMaker func(ctx context.Context, t *testing.T) (Harness, error)

// Run runs every conformance test against the backends newHarness makes.
func Run(t *testing.T, newHarness HarnessMaker) {
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, newHarness)
			tc.run(t, f)
		})
	}
}

type testCase struct {
	name string
	run  func(t *testing.T, f *fixture)
}

// tests are the suite's scenarios; files of this package add to it.
var tests []testCase

func register(name string, run func(t *testing.T, f *fixture)) {
	tests = append(tests, testCase{name, run})
}

// fixture is an engine with busybox:latest on the backend under test.
type fixture struct {
	t   *testing.T
	ctx context.Context
	e   *engine.Engine
	b   backend.Backend
}

func newFixture(t *testing.T, newHarness HarnessMaker) *fixture {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	h, err := newHarness(ctx, t)
	if err != nil {
		t.Fatalf("make harness: %v", err)
	}
	t.Cleanup(h.Close)
	b, err := h.NewBackend(ctx, t)
	if err != nil {
		t.Fatalf("make backend: %v", err)
	}
	e, err := engine.New(ctx, b, engine.Options{Registry: h.Registry()})
	if err != nil {
		t.Fatalf("make engine: %v", err)
	}
	f := &fixture{t: t, ctx: ctx, e: e, b: b}
	t.Cleanup(f.removeAll)
	if err := e.ImagePull(ctx, "busybox:latest", func(jsonstream.Message) {}); err != nil {
		t.Fatalf("pull busybox: %v", err)
	}
	return f
}

// removeAll force-removes every container, so a backend that holds kernel
// resources (native) releases them.
func (f *fixture) removeAll() {
	ctx := context.Background()
	list, err := f.e.Containers(ctx, engine.ListOptions{All: true})
	if err != nil {
		return
	}
	for _, c := range list {
		f.e.ContainerRemove(ctx, c.ID, engine.RemoveOptions{Force: true, RemoveVolumes: true})
	}
	f.e.Close()
}

// create makes a container from busybox with the given command.
func (f *fixture) create(name string, cfg *container.Config, hc *container.HostConfig) string {
	f.t.Helper()
	if cfg == nil {
		cfg = &container.Config{}
	}
	if cfg.Image == "" {
		cfg.Image = "busybox"
	}
	resp, err := f.e.ContainerCreate(f.ctx, engine.CreateOptions{Name: name, Config: cfg, HostConfig: hc})
	if err != nil {
		f.t.Fatalf("create %s %v: %v", name, cfg.Cmd, err)
	}
	return resp.ID
}

// run creates and starts a container and waits for it; it returns the exit
// code and what the container wrote (stdout and stderr in order).
func (f *fixture) run(name string, cmd ...string) (string, int, string) {
	f.t.Helper()
	id := f.create(name, &container.Config{Cmd: cmd}, nil)
	code := f.startWait(id)
	return id, code, f.logs(id, engine.LogsOptions{Stdout: true, Stderr: true})
}

// startWait starts a container and returns its exit code.
func (f *fixture) startWait(id string) int {
	f.t.Helper()
	wait, err := f.e.ContainerWait(f.ctx, id, container.WaitConditionNextExit)
	if err != nil {
		f.t.Fatalf("wait %s: %v", id, err)
	}
	if err := f.e.ContainerStart(f.ctx, id); err != nil {
		f.t.Fatalf("start %s: %v", id, err)
	}
	select {
	case r := <-wait:
		return int(r.StatusCode)
	case <-f.ctx.Done():
		f.t.Fatalf("wait %s: %v", id, f.ctx.Err())
	}
	return -1
}

// logs returns a container's log as `docker logs` prints it.
func (f *fixture) logs(id string, opts engine.LogsOptions) string {
	f.t.Helper()
	ch, _, err := f.e.ContainerLogs(f.ctx, id, opts)
	if err != nil {
		f.t.Fatalf("logs %s: %v", id, err)
	}
	var b strings.Builder
	for m := range ch {
		b.Write(m.Line)
	}
	return b.String()
}

func (f *fixture) inspect(id string) *container.State {
	f.t.Helper()
	j, err := f.e.ContainerInspect(f.ctx, id, false)
	if err != nil {
		f.t.Fatalf("inspect %s: %v", id, err)
	}
	return j.State
}

// eventually polls cond until it holds or the deadline passes.
func (f *fixture) eventually(what string, cond func() bool) {
	f.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			f.t.Fatalf("%s: did not happen within 10s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// diff returns a container's changes as `docker diff | sort` prints them.
func (f *fixture) diff(id string) string {
	f.t.Helper()
	changes, err := f.e.ContainerChanges(f.ctx, id)
	if err != nil {
		f.t.Fatalf("changes %s: %v", id, err)
	}
	lines := make([]string, len(changes))
	for i, c := range changes {
		lines[i] = backend.ChangeKind(c.Kind).String() + " " + c.Path
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// wantErr checks that err has the code and Docker's exact message.
func wantErr(t *testing.T, what string, err error, code backend.Code, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: got no error, want %q", what, msg)
	}
	if got := backend.CodeOf(err); got != code {
		t.Errorf("%s: got code %d (%v), want %d", what, got, err, code)
	}
	if err.Error() != msg {
		t.Errorf("%s: got message\n\t%q\nwant\n\t%q", what, err.Error(), msg)
	}
}

func readAll(t *testing.T, r io.Reader) string {
	t.Helper()
	var b bytes.Buffer
	if _, err := io.Copy(&b, r); err != nil {
		t.Fatalf("read: %v", err)
	}
	return b.String()
}

var _ = fmt.Sprintf
