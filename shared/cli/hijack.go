package cli

// Streaming a hijacked attach or exec connection, adapted from
// github.com/docker/cli/cli/command/container/hijack.go (v28.2.2) and
// github.com/moby/term's escape proxy (v0.5.2), Apache License 2.0.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/twinbox-dev/twinbox/shared/api/client"
)

// defaultEscapeKeys detach from a container: ctrl-p, ctrl-q.
var defaultEscapeKeys = []byte{16, 17}

// errEscape says the user typed the detach keys.
var errEscape = errors.New("read escape sequence")

// hijackedIOStreamer copies stdin to a hijacked connection and its output
// to stdout and stderr.
type hijackedIOStreamer struct {
	c            *dockerCLI
	inputStream  io.Reader
	outputStream io.Writer
	errorStream  io.Writer
	resp         *client.HijackedResponse
	tty          bool
	detachKeys   string
}

// stream runs until the output ends, the user detaches, or ctx ends. It
// returns only when nothing writes to the output streams any more: a
// library must not print after its command returned.
func (h *hijackedIOStreamer) stream(ctx context.Context) (err error) {
	restoreInput, err := h.setupInput()
	if err != nil {
		return fmt.Errorf("unable to setup input stream: %s", err)
	}
	defer restoreInput()

	outputDone := h.beginOutputStream(restoreInput)
	inputDone, detached, stopInput := h.beginInputStream(restoreInput)
	defer stopInput()

	waitOutput := func() {
		if outputDone != nil {
			h.resp.Close()
			<-outputDone
		}
	}
	select {
	case err := <-outputDone:
		return err
	case <-inputDone:
		if h.outputStream != nil || h.errorStream != nil {
			select {
			case err := <-outputDone:
				return err
			case <-ctx.Done():
				waitOutput()
				return ctx.Err()
			}
		}
		return nil
	case err := <-detached:
		waitOutput()
		return err
	case <-ctx.Done():
		waitOutput()
		return ctx.Err()
	}
}

// setupInput puts the terminal in raw mode for a TTY session with input,
// and watches the input for the detach keys.
func (h *hijackedIOStreamer) setupInput() (restore func(), err error) {
	if h.inputStream == nil || !h.tty {
		return func() {}, nil
	}
	restore = func() {}
	if h.c.stdinIsTerminal() && h.c.getenv("NORAW") == "" {
		undo, err := h.c.term.MakeRaw()
		if err != nil {
			return nil, fmt.Errorf("unable to set IO streams as raw terminal: %s", err)
		}
		restore = sync.OnceFunc(func() { _ = undo() })
	}
	escapeKeys := defaultEscapeKeys
	if h.detachKeys != "" {
		if keys, err := toBytes(h.detachKeys); err == nil {
			escapeKeys = keys
		} else {
			fmt.Fprintf(h.c.err, "invalid detach escape keys, using default: %s\n", err)
		}
	}
	h.inputStream = &escapeProxy{escapeKeys: escapeKeys, r: h.inputStream}
	return restore, nil
}

func (h *hijackedIOStreamer) beginOutputStream(restoreInput func()) <-chan error {
	if h.outputStream == nil && h.errorStream == nil {
		return nil
	}
	outputDone := make(chan error, 1)
	go func() {
		var err error
		if h.outputStream != nil && h.tty {
			_, err = io.Copy(h.outputStream, h.resp.Reader)
			restoreInput()
		} else {
			_, err = client.StdCopy(h.outputStream, h.errorStream, h.resp.Reader)
		}
		outputDone <- err
	}()
	return outputDone
}

// beginInputStream copies the input until it ends, then half-closes the
// connection so the process sees the end of its stdin. stop interrupts a
// read in progress when the input can (see interruptible) and waits for
// the copy to end, so that no read of the client's stdin outlives the
// command.
func (h *hijackedIOStreamer) beginInputStream(restoreInput func()) (done <-chan struct{}, detached <-chan error, stop func()) {
	inputDone := make(chan struct{})
	detachedC := make(chan error, 1)
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		if h.inputStream != nil {
			_, err := io.Copy(h.resp.Conn, h.inputStream)
			restoreInput()
			if errors.Is(err, errEscape) {
				detachedC <- err
				return
			}
			if isDeadline(err) {
				return
			}
		}
		_ = h.resp.CloseWrite()
		close(inputDone)
	}()
	stop = func() {
		if h.inputStream == nil {
			return
		}
		// Wait for the copy only when its read can be interrupted: an
		// *os.File whose descriptor is not pollable (often a terminal on
		// stdin) refuses deadlines, and the read then goes on until the
		// process exits, as in docker.
		if d, ok := h.c.in.(interruptible); ok && d.SetReadDeadline(time.Now()) == nil {
			<-finished
			_ = d.SetReadDeadline(time.Time{})
		}
	}
	return inputDone, detachedC, stop
}

// interruptible is a stdin whose pending read can be interrupted, as an
// *os.File (terminal or pipe) or a net.Conn can. Terminals of the browser
// and the simulated host implement it so that a finished `docker run -i`
// leaves no read behind that would eat the next keystrokes.
type interruptible interface {
	SetReadDeadline(time.Time) error
}

func isDeadline(err error) bool {
	return err != nil && (errors.Is(err, os.ErrDeadlineExceeded) || strings.Contains(err.Error(), "deadline"))
}

// escapeProxy passes input through until it sees the escape keys, then
// returns errEscape. Adapted from github.com/moby/term (proxy.go).
type escapeProxy struct {
	escapeKeys   []byte
	escapeKeyPos int
	r            io.Reader
	buf          []byte
}

func (r *escapeProxy) Read(buf []byte) (n int, err error) {
	if len(r.escapeKeys) > 0 && r.escapeKeyPos == len(r.escapeKeys) {
		return 0, errEscape
	}
	if len(r.buf) > 0 {
		n = copy(buf, r.buf)
		r.buf = r.buf[n:]
	}
	nr, err := r.r.Read(buf[n:])
	n += nr
	if len(r.escapeKeys) == 0 {
		return n, err
	}
	for i := 0; i < n; i++ {
		if buf[i] == r.escapeKeys[r.escapeKeyPos] {
			r.escapeKeyPos++
			if r.escapeKeyPos == len(r.escapeKeys) {
				n = i + 1 - r.escapeKeyPos
				if n < 0 {
					n = 0
				}
				return n, errEscape
			}
			continue
		}
		// If the byte read does not match the escape key, send the
		// previously matched keys on.
		if i < r.escapeKeyPos {
			preserve := make([]byte, 0, r.escapeKeyPos+n)
			preserve = append(preserve, r.escapeKeys[:r.escapeKeyPos]...)
			preserve = append(preserve, buf[:n]...)
			n = copy(buf, preserve)
			i += r.escapeKeyPos
			r.buf = append(r.buf, preserve[n:]...)
		}
		r.escapeKeyPos = 0
	}
	// Hold back what matches the start of the escape sequence.
	n -= r.escapeKeyPos
	if n < 0 {
		n = 0
	}
	return n, err
}

// asciiNames are the names --detach-keys accepts for control characters.
var asciiNames = []string{
	"ctrl-@", "ctrl-a", "ctrl-b", "ctrl-c", "ctrl-d", "ctrl-e", "ctrl-f", "ctrl-g",
	"ctrl-h", "ctrl-i", "ctrl-j", "ctrl-k", "ctrl-l", "ctrl-m", "ctrl-n", "ctrl-o",
	"ctrl-p", "ctrl-q", "ctrl-r", "ctrl-s", "ctrl-t", "ctrl-u", "ctrl-v", "ctrl-w",
	"ctrl-x", "ctrl-y", "ctrl-z", "ctrl-[", "ctrl-\\", "ctrl-]", "ctrl-^", "ctrl-_",
}

// toBytes reads a --detach-keys value ("ctrl-p,ctrl-q", "a,DEL").
func toBytes(keys string) ([]byte, error) {
	var codes []byte
next:
	for _, key := range strings.Split(keys, ",") {
		if len(key) != 1 {
			for code, ctrl := range asciiNames {
				if ctrl == key {
					codes = append(codes, byte(code))
					continue next
				}
			}
			if key == "DEL" {
				codes = append(codes, 127)
			} else {
				return nil, fmt.Errorf("Unknown character: '%s'", key)
			}
		} else {
			codes = append(codes, key[0])
		}
	}
	return codes, nil
}

// monitorTTYSize sets the container's (or exec's) TTY to the terminal's
// size now and after each change.
func (c *dockerCLI) monitorTTYSize(ctx context.Context, id string, isExec bool) func() {
	resize := func() {
		h, w := c.ttySize()
		if h == 0 && w == 0 {
			return
		}
		api, err := c.client()
		if err != nil {
			return
		}
		if isExec {
			_ = api.ExecResize(ctx, id, h, w)
		} else {
			_ = api.ContainerResize(ctx, id, h, w)
		}
	}
	resize()
	if n, ok := c.term.(ResizeNotifier); ok {
		return n.NotifyResize(resize)
	}
	return func() {}
}

// forwardSignals sends the signals the client receives to a container
// until stop is called (docker's sig-proxy).
func (c *dockerCLI) forwardSignals(ctx context.Context, id string) (stop func()) {
	if c.opts.Signals == nil {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case s, ok := <-c.opts.Signals:
				if !ok {
					return
				}
				if s == 17 || s == 13 || s == 23 { // SIGCHLD, SIGPIPE, SIGURG
					continue
				}
				if api, err := c.client(); err == nil {
					_ = api.ContainerKill(context.WithoutCancel(ctx), id, strings.TrimPrefix(s.String(), "SIG"))
				}
			}
		}
	}()
	return sync.OnceFunc(func() { close(done) })
}
