//go:build unix

package clirun

import (
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"

	"github.com/twinbox-dev/twinbox/shared/cli"
)

// terminal is the real terminal the process runs in.
type terminal struct{}

// newTerminal returns the process's terminal, or nil when neither stdin
// nor stdout is one.
func newTerminal() cli.Terminal {
	if !term.IsTerminal(0) && !term.IsTerminal(1) {
		return nil
	}
	return terminal{}
}

func (terminal) StdinIsTerminal() bool  { return term.IsTerminal(0) }
func (terminal) StdoutIsTerminal() bool { return term.IsTerminal(1) }

func (terminal) MakeRaw() (func() error, error) {
	st, err := term.MakeRaw(0)
	if err != nil {
		return nil, err
	}
	return func() error { return term.Restore(0, st) }, nil
}

func (terminal) Size() (uint, uint, error) {
	w, h, err := term.GetSize(1)
	if err != nil {
		w, h, err = term.GetSize(0)
	}
	return uint(h), uint(w), err
}

// NotifyResize calls f on SIGWINCH.
func (terminal) NotifyResize(f func()) func() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGWINCH)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-ch:
				f()
			case <-done:
				return
			}
		}
	}()
	return func() { signal.Stop(ch); close(done) }
}
