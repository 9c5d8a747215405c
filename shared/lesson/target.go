package lesson

import (
	"context"
	"io"
	"net"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

// Target is an engine a lesson runs against, with a shell to run its
// commands in. A Runner opens a fresh one for each lesson.
type Target interface {
	// Engine is the kind of engine: EngineSim, EngineNative or EngineDocker.
	Engine() string
	// Start runs script with the target's shell (sh on the simulated host,
	// bash on Linux) in the lesson's working folder, with docker on the
	// PATH talking to the target's engine. Errors are for a script that
	// could not start; its exit status comes from Proc.Wait.
	Start(ctx context.Context, script string, opts StartOptions) (Proc, error)
	// Dial connects to the target's Engine API, for checks.
	Dial(ctx context.Context) (net.Conn, error)
	// Close ends the engine, or removes what the lesson created on an
	// engine the target does not own.
	Close() error
}

// StartOptions are a script's streams.
type StartOptions struct {
	// TTY gives the script a terminal of 24 rows and 80 columns as its
	// stdin, stdout and stderr.
	TTY bool
	// Stdin is read as the script's input (through the terminal with TTY);
	// nil is an empty input.
	Stdin io.Reader
	// Output gets stdout and stderr together, or the terminal's screen.
	Output io.Writer
}

// Proc is a running script.
type Proc interface {
	// Wait waits until the script has ended and its output is written, and
	// returns its exit status (128+n when signal n killed it).
	Wait() (int, error)
	// Kill ends the script and what it started in the foreground.
	Kill() error
}

// RawTerminal is implemented by a Proc with a terminal that can tell
// whether a program switched it to raw mode (as docker run -it and docker
// attach do before they pass keys on). The runner types into such a
// terminal only once it is raw, so that keys are not echoed twice.
type RawTerminal interface {
	TerminalRaw() bool
}

// HostStarter starts programs on a machine's host, as the simulator's
// backend does (sim.Backend.StartHost).
type HostStarter interface {
	StartHost(ctx context.Context, spec *backend.ProcessSpec, stdio backend.Stdio) (backend.Process, error)
}

// HostTarget is a Target whose commands run in the shell of a machine's
// host: the simulated Docker host of wasm/sim/machine, whose `docker`
// talks to its engine.
//
//	m, _ := machine.New(ctx, machine.Options{Preload: true})
//	t := &lesson.HostTarget{Host: m.Backend, DialFunc: m.Dial, CloseFunc: m.Close}
type HostTarget struct {
	Host     HostStarter
	DialFunc func(ctx context.Context) (net.Conn, error)
	// Dir is the working folder; "" is the user's home (/root).
	Dir string
	// Env is the shell's environment; nil is PATH, HOME=/root and USER=root.
	Env []string
	// Raw, when set, reports whether the terminal of the process with this
	// host PID is raw (see RawTerminal).
	Raw func(pid int) bool
	// CloseFunc ends the machine; nil does nothing.
	CloseFunc func() error
}

var _ Target = (*HostTarget)(nil)

// Engine is EngineSim.
func (t *HostTarget) Engine() string { return EngineSim }

// Start runs script with the host's sh -c.
func (t *HostTarget) Start(ctx context.Context, script string, opts StartOptions) (Proc, error) {
	env := t.Env
	if env == nil {
		env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "USER=root"}
	}
	if opts.TTY {
		env = append(env[:len(env):len(env)], "TERM=xterm")
	}
	p, err := t.Host.StartHost(ctx, &backend.ProcessSpec{
		Args:        []string{"sh", "-c", script},
		Env:         env,
		Cwd:         t.Dir,
		Tty:         opts.TTY,
		ConsoleSize: [2]uint{24, 80},
	}, backend.Stdio{Stdin: opts.Stdin, Stdout: opts.Output, Stderr: opts.Output})
	if err != nil {
		return nil, err
	}
	return &hostProc{p: p, raw: t.Raw}, nil
}

// Dial connects to the machine's engine.
func (t *HostTarget) Dial(ctx context.Context) (net.Conn, error) { return t.DialFunc(ctx) }

// Close ends the machine.
func (t *HostTarget) Close() error {
	if t.CloseFunc == nil {
		return nil
	}
	return t.CloseFunc()
}

type hostProc struct {
	p   backend.Process
	raw func(pid int) bool
}

func (h *hostProc) Wait() (int, error) {
	st, err := h.p.Wait(context.Background())
	return st.Code, err
}

func (h *hostProc) Kill() error { return h.p.Signal(backend.SIGKILL) }

// TerminalRaw reports whether the script's terminal is raw; without a way
// to tell, it says yes.
func (h *hostProc) TerminalRaw() bool { return h.raw == nil || h.raw(h.p.Pid()) }
