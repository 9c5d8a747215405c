// Package machine assembles a whole simulated Docker host: the simulator's
// backend with busybox's programs, the simulated Docker Hub, the engine, the
// Engine API router served in process, and a `docker` command in the host
// shell that talks to it. `twinbox daemon --backend sim`, `twinbox shell`,
// the browser build and the tests all use it, so they are the same machine.
//
//	m, err := machine.New(ctx, machine.Options{Preload: true})
//	defer m.Close()
//	sh, err := m.Shell(ctx, backend.Stdio{Stdin: keys, Stdout: screen}, 24, 80)
//	code := cli.Run(ctx, []string{"ps"}, streams, cli.Options{Handler: m.Handler()})
package machine

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"

	"github.com/moby/moby/api/types/jsonstream"

	"github.com/twinbox-dev/twinbox/shared/api/server"
	"github.com/twinbox-dev/twinbox/shared/api/transport"
	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/build"
	"github.com/twinbox-dev/twinbox/shared/engine"
	"github.com/twinbox-dev/twinbox/wasm/sim"
	"github.com/twinbox-dev/twinbox/wasm/sim/applets"
	"github.com/twinbox-dev/twinbox/wasm/sim/applets/busybox"
	"github.com/twinbox-dev/twinbox/wasm/sim/hub"
	"github.com/twinbox-dev/twinbox/wasm/sim/kernel"
)

// Options configure a Machine.
type Options struct {
	// Preload puts busybox:latest in the engine as the native engine has it
	// after `make base` and `twinbox load`: with its parent image, so
	// `docker history busybox` shows both rows' IDs. Without it, the first
	// `docker run busybox` pulls it from the simulated hub, as from Docker
	// Hub.
	Preload bool
	// Clock is the machine's clock; nil means the real one.
	Clock kernel.Clock
	// Hostname is the host's name; "" means "twinbox".
	Hostname string
	// Store keeps the engine's records; nil means memory.
	Store engine.Store
	// Backend, when set, is a simulator restored with sim.Load using
	// BackendOptions(Registry, ...); nil makes a new one.
	Backend *sim.Backend
	// Registry is the program registry Backend was made with; required
	// with Backend.
	Registry *busybox.Registry
}

// Machine is a running simulated Docker host.
type Machine struct {
	Backend  *sim.Backend
	Engine   *engine.Engine
	Hub      *hub.Hub
	Registry *busybox.Registry

	api http.Handler // the Engine API router

	mu       sync.Mutex // guards the in-process server, started by Dial
	listener *transport.PipeListener
	server   *server.Server
	closed   bool
}

// BackendOptions returns the simulator options a Machine runs with, for
// restoring a saved simulator with sim.Load: the registry must be the one
// the machine registers `docker` in. The host's own programs (docker,
// bridge-utils' brctl, and ip with iproute2's netns) are binaries of their
// own, which containers do not have.
func BackendOptions(reg *busybox.Registry, clock kernel.Clock, hostname string) sim.Options {
	cmds := sim.Commands("busybox", applets.BusyboxApplets())
	cmds["docker"] = "docker"
	cmds["brctl"] = "brctl"
	cmds["ip"] = "ip"
	return sim.Options{Registry: reg, HostCommands: cmds, Clock: clock, Hostname: hostname}
}

// New boots a machine.
func New(ctx context.Context, opts Options) (*Machine, error) {
	m := &Machine{Hub: hub.New()}
	b := opts.Backend
	if b == nil {
		m.Registry = busybox.NewRegistry()
		b = sim.New(BackendOptions(m.Registry, opts.Clock, opts.Hostname))
	} else {
		if opts.Registry == nil {
			return nil, fmt.Errorf("machine: a restored simulator needs its registry")
		}
		m.Registry = opts.Registry
	}
	m.Backend = b
	e, err := engine.New(ctx, b, engine.Options{Registry: m.Hub, Store: opts.Store})
	if err != nil {
		return nil, fmt.Errorf("machine: %w", err)
	}
	m.Engine = e
	if opts.Preload {
		if err := m.preload(ctx); err != nil {
			return nil, err
		}
	}
	m.api = server.New(e, server.Options{Build: build.New(e).Build})
	m.Registry.RegisterBinary("docker", m.dockerProgram)
	m.Registry.RegisterBinary("brctl", applets.Brctl)
	m.Registry.RegisterBinary("ip", applets.IPRoute2)
	return m, nil
}

// preload loads busybox:latest (with its parent) unless the engine has it.
func (m *Machine) preload(ctx context.Context) error {
	if _, err := m.Engine.ImageInspect(ctx, "busybox:latest"); err == nil {
		return nil
	}
	base, err := hub.Base()
	if err != nil {
		return fmt.Errorf("machine: base image: %w", err)
	}
	var arch bytes.Buffer
	if err := base.WriteArchive(&arch); err != nil {
		return fmt.Errorf("machine: base image: %w", err)
	}
	if err := m.Engine.ImageLoad(ctx, &arch, true, func(jsonstream.Message) {}); err != nil {
		return fmt.Errorf("machine: load base image: %w", err)
	}
	return nil
}

// Dial connects to the machine's Engine API. It is a transport.DialFunc.
// The first Dial starts an HTTP server on an in-process pipe; the browser
// build calls the router directly instead (see Handler), so that it does
// not link net/http's server.
func (m *Machine) Dial(ctx context.Context) (net.Conn, error) {
	m.mu.Lock()
	if m.listener == nil {
		m.listener = transport.NewPipeListener()
		if m.closed {
			m.listener.Close()
		} else {
			m.server = server.NewServer(m.api)
			go m.server.Serve(m.listener)
		}
	}
	l := m.listener
	m.mu.Unlock()
	return l.Dial(ctx)
}

// Handler returns the machine's Engine API as an http.Handler: to call in
// process (cli.Options.Handler, client.NewInProcess), or to serve elsewhere
// too (a unix socket for `twinbox daemon --backend sim`).
func (m *Machine) Handler() http.Handler { return m.api }

// Shell starts the host's interactive shell as root in /root with a
// terminal of rows×cols, its screen copied to stdio.Stdout and its keyboard
// read from stdio.Stdin.
func (m *Machine) Shell(ctx context.Context, stdio backend.Stdio, rows, cols uint) (backend.Process, error) {
	return m.Backend.StartHost(ctx, &backend.ProcessSpec{
		Args:        []string{"sh"},
		Env:         []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm", "HOME=/root", "USER=root"},
		Tty:         true,
		ConsoleSize: [2]uint{rows, cols},
	}, stdio)
}

// Close stops the API server and the engine. The simulator's state stays
// in Backend (Save it first to keep it).
func (m *Machine) Close() error {
	m.mu.Lock()
	m.closed = true
	if m.server != nil {
		m.server.Close()
		m.listener.Close()
	}
	m.mu.Unlock()
	return m.Engine.Close()
}
