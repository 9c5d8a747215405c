package engine

import (
	"context"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/moby/moby/api/types/container"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

// ContainerLogs answers GET /containers/{name}/logs. The channel is closed
// after the last message (with Follow, when the container stops or ctx is
// done). tty says whether the container has a TTY (then output is raw).
func (e *Engine) ContainerLogs(ctx context.Context, name string, opts LogsOptions) (<-chan LogMessage, bool, error) {
	if !opts.Stdout && !opts.Stderr {
		return nil, false, backend.Errorf(backend.InvalidParameter, "You must choose at least one stream")
	}
	tail := -1
	if opts.Tail != "" && opts.Tail != "all" {
		n, err := strconv.Atoi(opts.Tail)
		if err != nil || n < 0 {
			n = -1 // dockerd treats a bad tail as "all"
		}
		tail = n
	}
	c, err := e.getContainer(name)
	if err != nil {
		return nil, false, err
	}
	c.mu.Lock()
	tty := c.Config.Tty
	logType := c.HostConfig.LogConfig.Type
	c.mu.Unlock()
	if logType == "none" {
		return nil, false, backend.Errorf(backend.InvalidParameter, "configured logging driver does not support reading")
	}
	msgs, next, running, changed := c.out.snapshot(0)
	if tail >= 0 && tail < len(msgs) {
		msgs = msgs[len(msgs)-tail:]
	}
	keep := func(m LogMessage) bool {
		if m.Stream == "stdout" && !opts.Stdout || m.Stream == "stderr" && !opts.Stderr {
			return false
		}
		if !opts.Since.IsZero() && m.Time.Before(opts.Since) {
			return false
		}
		if !opts.Until.IsZero() && m.Time.After(opts.Until) {
			return false
		}
		return true
	}
	out := make(chan LogMessage, 64)
	go func() {
		defer close(out)
		send := func(ms []LogMessage) bool {
			for _, m := range ms {
				if !keep(m) {
					continue
				}
				select {
				case out <- m:
				case <-ctx.Done():
					return false
				}
			}
			return true
		}
		if !send(msgs) || !opts.Follow || !running {
			return
		}
		for {
			select {
			case <-ctx.Done():
				return
			case <-changed:
			}
			var more []LogMessage
			more, next, running, changed = c.out.snapshot(next)
			if !send(more) || !running {
				return
			}
			if !opts.Until.IsZero() && e.now().After(opts.Until) {
				return
			}
		}
	}()
	return out, tty, nil
}

// parseDetachKeys reads a detach key sequence as docker does:
// comma-separated keys, each a single character or "ctrl-X".
func parseDetachKeys(s string) ([]byte, error) {
	if s == "" {
		return []byte{0x10, 0x11}, nil // ctrl-p, ctrl-q
	}
	var out []byte
	for _, k := range strings.Split(s, ",") {
		k = strings.TrimSpace(k)
		if len(k) == 1 {
			out = append(out, k[0])
			continue
		}
		if rest, ok := strings.CutPrefix(strings.ToLower(k), "ctrl-"); ok && len(rest) == 1 {
			ch := rest[0]
			switch {
			case ch >= 'a' && ch <= 'z':
				out = append(out, ch-'a'+1)
				continue
			case ch == '@':
				out = append(out, 0)
				continue
			case ch == '[':
				out = append(out, 27)
				continue
			case ch == '\\':
				out = append(out, 28)
				continue
			case ch == ']':
				out = append(out, 29)
				continue
			case ch == '^':
				out = append(out, 30)
				continue
			case ch == '_':
				out = append(out, 31)
				continue
			}
		}
		return nil, backend.Errorf(backend.InvalidParameter, "Invalid detach keys (%s) provided", s)
	}
	return out, nil
}

// ContainerAttach answers POST /containers/{name}/attach. It calls
// opts.GetStreams once the request is valid and returns when the stream ends
// (the container exits, the client detaches or goes away).
func (e *Engine) ContainerAttach(ctx context.Context, name string, opts AttachOptions) error {
	keys, err := parseDetachKeys(opts.DetachKeys)
	if err != nil {
		return err
	}
	c, err := e.getContainer(name)
	if err != nil {
		return err
	}
	c.mu.Lock()
	paused, restarting := c.State.Paused, c.State.Restarting
	tty, openStdin, stdinOnce := c.Config.Tty, c.Config.OpenStdin, c.Config.StdinOnce
	c.mu.Unlock()
	if paused {
		return backend.Errorf(backend.Conflict, "You cannot attach to a paused container, unpause it first")
	}
	if restarting {
		return backend.Errorf(backend.Conflict, "You cannot attach to a restarting container, wait until it is running")
	}
	// Attach before hijacking: the client may start the container as soon
	// as it sees the upgrade, and its first bytes must not be lost. Output
	// waits in the lazy writers until the streams exist.
	lout, lerr := newLazyWriter(), newLazyWriter()
	a, msgs := c.out.attachSnapshot(lout, lerr)
	defer c.out.detach(a)
	streams, err := opts.GetStreams(!tty)
	if err != nil {
		lout.set(nil)
		lerr.set(nil)
		return err
	}
	if streams.Stdin != nil {
		defer streams.Stdin.Close()
	}
	stdout, stderr := streams.Stdout, streams.Stderr
	if !opts.UseStdout {
		stdout = nil
	}
	if !opts.UseStderr || tty {
		stderr = nil
	}
	if opts.Logs {
		for _, m := range msgs {
			w := stdout
			if m.Stream == "stderr" {
				w = stderr
			}
			if w != nil {
				if _, err := w.Write(m.Line); err != nil {
					lout.set(nil)
					lerr.set(nil)
					return nil
				}
			}
		}
	}
	if !opts.Stream {
		lout.set(nil)
		lerr.set(nil)
		return nil
	}
	lout.set(stdout)
	lerr.set(stderr)
	e.containerEvent(c, "attach", nil)

	detached := make(chan struct{})
	if opts.UseStdin && openStdin && streams.Stdin != nil {
		go func() {
			err := copyStdin(c.out.stdinWriter(), streams.Stdin, keys)
			switch {
			case err == errDetached:
				close(detached)
			case stdinOnce && !tty:
				c.out.closeStdin()
			default:
				a.end()
			}
		}()
	}
	select {
	case <-a.done:
	case <-detached:
		e.containerEvent(c, "detach", nil)
	case <-ctx.Done():
	}
	return nil
}

// lazyWriter holds writes until its destination is known.
type lazyWriter struct {
	ready chan struct{}
	w     io.Writer
	once  sync.Once
}

func newLazyWriter() *lazyWriter { return &lazyWriter{ready: make(chan struct{})} }

// set gives the destination; nil discards.
func (l *lazyWriter) set(w io.Writer) {
	l.once.Do(func() {
		l.w = w
		close(l.ready)
	})
}

func (l *lazyWriter) Write(p []byte) (int, error) {
	<-l.ready
	if l.w == nil {
		return len(p), nil
	}
	return l.w.Write(p)
}

// ContainerResize answers POST /containers/{name}/resize.
func (e *Engine) ContainerResize(ctx context.Context, name string, height, width uint) error {
	c, err := e.getContainer(name)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.State.Running || c.proc == nil {
		return backend.Errorf(backend.Conflict, "Container %s is not running", c.ID)
	}
	if err := c.proc.Resize(height, width); err != nil {
		return err
	}
	e.containerEvent(c, "resize", map[string]string{"height": strconv.Itoa(int(height)), "width": strconv.Itoa(int(width))})
	return nil
}

// ContainerChanges answers GET /containers/{name}/changes.
func (e *Engine) ContainerChanges(ctx context.Context, name string) ([]container.FilesystemChange, error) {
	c, err := e.getContainer(name)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.removing || c.State.Dead {
		return nil, backend.Errorf(backend.Conflict, "cannot get changes of container %s: it is being removed", c.ID)
	}
	changes, err := e.b.Changes(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	out := make([]container.FilesystemChange, len(changes))
	for i, ch := range changes {
		out[i] = container.FilesystemChange{Path: ch.Path, Kind: container.ChangeType(ch.Kind)}
	}
	return out, nil
}

// ContainerExport answers GET /containers/{name}/export.
func (e *Engine) ContainerExport(ctx context.Context, name string, w io.Writer) error {
	c, err := e.getContainer(name)
	if err != nil {
		return err
	}
	c.mu.Lock()
	if c.removing || c.State.Dead {
		c.mu.Unlock()
		return backend.Errorf(backend.Conflict, "You cannot export container %s which is being removed", c.ID)
	}
	rc, err := e.b.ExportRootfs(ctx, c.ID)
	c.mu.Unlock()
	if err != nil {
		return err
	}
	defer rc.Close()
	if _, err := io.Copy(w, rc); err != nil {
		return err
	}
	e.containerEvent(c, "export", nil)
	return nil
}
