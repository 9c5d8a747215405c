package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/twinbox-dev/twinbox/shared/api/client"
	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/cli"
	"github.com/twinbox-dev/twinbox/shared/viz"
	"github.com/twinbox-dev/twinbox/wasm/cmd/twinbox/internal/state"
	"github.com/twinbox-dev/twinbox/wasm/sim/machine"
)

// session is the simulated Docker host of one page: the machine, its
// host shell on a terminal, and what the page asks of it. The page types
// keys (Type), reads the screen (the screen writer given to boot), and asks
// for pictures and the state to keep.
type session struct {
	m      *machine.Machine
	store  *state.Store
	client *client.Client
	screen io.Writer
	rows   uint
	cols   uint

	typed *keyQueue // keys from the page, for the editor
	keys  *keyQueue // keys from the editor, for the terminal
	ed    *editor
	line  screenLine

	mu       sync.Mutex
	shell    backend.Process
	commands []string // docker's commands, for completion; read once
}

// boot starts a machine, restored from saved (what Save returned) when it
// is not empty, with the host shell on a terminal of rows×cols whose
// screen is written to screen. A saved state that cannot be read is an
// error: the caller starts afresh.
func boot(ctx context.Context, saved []byte, rows, cols uint, screen io.Writer) (*session, error) {
	s := &session{rows: rows, cols: cols}
	s.store = state.NewStore()
	opts := machine.Options{Preload: true, Store: s.store}
	if len(saved) > 0 {
		var err error
		if opts, s.store, err = state.Restore(saved); err != nil {
			return nil, err
		}
	}
	m, err := machine.New(ctx, opts)
	if err != nil {
		return nil, err
	}
	s.m = m
	s.client = client.NewInProcess(m.Handler())
	s.screen = writerFunc(func(b []byte) (int, error) {
		s.line.write(b)
		return screen.Write(b)
	})
	s.keys = newKeyQueue()
	s.typed = newKeyQueue()
	s.ed = &editor{
		send:     s.keys.push,
		show:     func(t string) { s.screen.Write([]byte(t)) },
		raw:      s.raw,
		complete: func(line string) []string { return s.complete(ctx, line) },
		prompt:   s.line.String,
	}
	if err := s.startShell(ctx); err != nil {
		m.Close()
		return nil, err
	}
	go s.edit()
	go s.relogin(ctx)
	return s, nil
}

// startShell opens the host shell on a new terminal.
func (s *session) startShell(ctx context.Context) error {
	sh, err := s.m.Shell(ctx, backend.Stdio{Stdin: s.keys, Stdout: s.screen}, s.rows, s.cols)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.shell = sh
	s.mu.Unlock()
	return nil
}

// relogin opens a new shell whenever the host shell ends (exit, ^D at its
// prompt), as a terminal window that logs in again.
func (s *session) relogin(ctx context.Context) {
	for {
		s.mu.Lock()
		sh := s.shell
		s.mu.Unlock()
		if _, err := sh.Wait(ctx); err != nil {
			return
		}
		if ctx.Err() != nil || s.keys.isClosed() {
			return
		}
		if err := s.startShell(ctx); err != nil {
			fmt.Fprintf(s.screen, "\r\ntwinbox: the shell could not start: %v\r\n", err)
			return
		}
	}
}

// edit passes the keys the page types through the line editor.
func (s *session) edit() {
	buf := make([]byte, 4096)
	for {
		n, err := s.typed.Read(buf)
		if err != nil {
			return
		}
		s.ed.keys(buf[:n])
	}
}

// raw reports whether a program has taken the shell's terminal over.
func (s *session) raw() bool {
	s.mu.Lock()
	sh := s.shell
	s.mu.Unlock()
	p := s.m.Backend.Kernel().Find(sh.Pid())
	return p != nil && p.TTY() != nil && p.TTY().Raw()
}

// Type types b on the terminal's keyboard. It never blocks.
func (s *session) Type(b []byte) { s.typed.push(b) }

// Resize changes the terminal's size.
func (s *session) Resize(rows, cols uint) {
	s.mu.Lock()
	s.rows, s.cols = rows, cols
	sh := s.shell
	s.mu.Unlock()
	sh.Resize(rows, cols)
}

// Save returns the machine's state, for boot to restore.
func (s *session) Save() ([]byte, error) { return state.Save(s.m, s.store) }

// Picture draws one of the engine's pictures (see shared/viz) as SVG:
// "layers" of an image (arg: its reference), "container" (arg: its name
// or ID; "" the newest), "containers", "lifecycle" (the state machine
// with the containers in each state), "network" (bridges, veth pairs,
// addresses, published ports) or "processes" (each running container's
// namespaces and processes).
func (s *session) Picture(ctx context.Context, kind, arg string) ([]byte, error) {
	switch kind {
	case "layers":
		img, err := viz.FetchImage(ctx, s.client, arg)
		if err != nil {
			return nil, err
		}
		return viz.Layers(img), nil
	case "container":
		if arg == "" {
			list, err := s.client.ContainerList(ctx, client.ListOptions{All: true, Limit: 1})
			if err != nil {
				return nil, err
			}
			if len(list) == 0 {
				return nil, fmt.Errorf("no containers yet")
			}
			arg = list[0].ID
		}
		fs, err := viz.FetchContainer(ctx, s.client, arg)
		if err != nil {
			return nil, err
		}
		return viz.Container(fs), nil
	case "containers", "lifecycle":
		list, err := viz.FetchContainers(ctx, s.client)
		if err != nil {
			return nil, err
		}
		if kind == "lifecycle" {
			return viz.Lifecycle(list), nil
		}
		return viz.Containers(list), nil
	case "network":
		n, err := viz.FetchNetwork(ctx, s.client)
		if err != nil {
			return nil, err
		}
		return viz.Network(n), nil
	case "processes":
		t, err := viz.FetchProcesses(ctx, s.client)
		if err != nil {
			return nil, err
		}
		return viz.Processes(t), nil
	}
	return nil, fmt.Errorf("picture %q: want layers, container, containers, lifecycle, network or processes", kind)
}

// complete returns the candidates for the last word of line: a command
// for the first word, docker's commands after docker, then container names
// or image references.
func (s *session) complete(ctx context.Context, line string) []string {
	words := strings.Fields(line)
	if len(words) == 0 || !strings.HasSuffix(line, " ") && !strings.HasSuffix(line, "\t") {
		// the last word is being typed
	} else {
		words = append(words, "")
	}
	if len(words) == 0 {
		return nil
	}
	word := words[len(words)-1]
	if len(words) == 1 {
		return completions(word, s.hostCommands())
	}
	if words[0] != "docker" || strings.HasPrefix(word, "-") {
		return nil
	}
	if len(words) == 2 {
		return completions(word, s.dockerCommands(ctx))
	}
	var names []string
	switch words[1] {
	case "run", "create", "history", "rmi", "pull", "push", "tag", "save", "image", "images":
		names = s.imageNames(ctx)
	default:
		names = s.containerNames(ctx)
	}
	return completions(word, names)
}

func (s *session) hostCommands() []string {
	opts := machine.BackendOptions(s.m.Registry, nil, "")
	names := make([]string, 0, len(opts.HostCommands)+8)
	for n := range opts.HostCommands {
		names = append(names, n)
	}
	return append(names, "cd", "exit", "export", "history", "pwd", "set", "unset")
}

// dockerCommands reads docker's commands from `docker --help`, once.
func (s *session) dockerCommands(ctx context.Context) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.commands != nil {
		return s.commands
	}
	var out bytes.Buffer
	cli.Run(ctx, []string{"--help"}, cli.Streams{Stdout: &out, Stderr: io.Discard}, cli.Options{Handler: s.m.Handler()})
	for _, l := range strings.Split(out.String(), "\n") {
		if !strings.HasPrefix(l, "  ") || strings.HasPrefix(l, "   ") {
			continue
		}
		f := strings.Fields(l)
		if len(f) > 1 && !strings.HasPrefix(f[0], "-") {
			s.commands = append(s.commands, f[0])
		}
	}
	return s.commands
}

func (s *session) containerNames(ctx context.Context) []string {
	list, err := s.client.ContainerList(ctx, client.ListOptions{All: true})
	if err != nil {
		return nil
	}
	var names []string
	for _, c := range list {
		for _, n := range c.Names {
			names = append(names, strings.TrimPrefix(n, "/"))
		}
	}
	return names
}

func (s *session) imageNames(ctx context.Context) []string {
	list, err := s.client.ImageList(ctx, client.ImageListOptions{})
	if err != nil {
		return nil
	}
	var names []string
	for _, im := range list {
		for _, t := range im.RepoTags {
			names = append(names, t, strings.TrimSuffix(t, ":latest"))
		}
	}
	return names
}

// Close stops the machine.
func (s *session) Close() error {
	s.typed.close()
	s.keys.close()
	return s.m.Close()
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

// keyQueue is the terminal's keyboard: an unbounded queue that the
// terminal reads.
type keyQueue struct {
	mu     sync.Mutex
	cond   *sync.Cond
	buf    []byte
	closed bool
}

func newKeyQueue() *keyQueue {
	q := &keyQueue{}
	q.cond = sync.NewCond(&q.mu)
	return q
}

func (q *keyQueue) push(b []byte) {
	q.mu.Lock()
	q.buf = append(q.buf, b...)
	q.mu.Unlock()
	q.cond.Broadcast()
}

func (q *keyQueue) isClosed() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.closed
}

func (q *keyQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.cond.Broadcast()
}

// Read returns the keys typed so far, at most len(p).
func (q *keyQueue) Read(p []byte) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.buf) == 0 {
		if q.closed {
			return 0, io.EOF
		}
		q.cond.Wait()
	}
	n := copy(p, q.buf)
	q.buf = q.buf[n:]
	if len(q.buf) == 0 {
		q.buf = nil
	}
	return n, nil
}
