package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/wasm/sim/machine"
)

func init() {
	register("shell", "Open the shell of a simulated Docker host (docker is a command there)", shellMain)
}

func shellMain(args []string) int {
	fs := flag.NewFlagSet("twinbox shell", flag.ContinueOnError)
	preload := fs.Bool("preload", true, "start with busybox:latest loaded")
	if err := fs.Parse(args); err != nil {
		return 125
	}
	ctx := context.Background()
	m, err := machine.New(ctx, machine.Options{Preload: *preload})
	if err != nil {
		fmt.Fprintf(os.Stderr, "twinbox shell: %v\n", err)
		return 1
	}
	defer m.Close()
	stdio := backend.Stdio{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}

	if !term.IsTerminal(0) {
		// A script on stdin: the host's sh reads it, without a terminal.
		p, err := m.Backend.StartHost(ctx, &backend.ProcessSpec{
			Args: []string{"sh"},
			Env:  []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "USER=root"},
		}, stdio)
		if err != nil {
			fmt.Fprintf(os.Stderr, "twinbox shell: %v\n", err)
			return 1
		}
		st, _ := p.Wait(ctx)
		return st.Code
	}

	w, h, _ := term.GetSize(0)
	old, err := term.MakeRaw(0)
	if err != nil {
		fmt.Fprintf(os.Stderr, "twinbox shell: %v\n", err)
		return 1
	}
	defer term.Restore(0, old)
	p, err := m.Shell(ctx, stdio, uint(h), uint(w))
	if err != nil {
		term.Restore(0, old)
		fmt.Fprintf(os.Stderr, "twinbox shell: %v\n", err)
		return 1
	}
	winch := make(chan os.Signal, 1)
	signal.Notify(winch, syscall.SIGWINCH)
	go func() {
		for range winch {
			if w, h, err := term.GetSize(0); err == nil {
				p.Resize(uint(h), uint(w))
			}
		}
	}()
	st, _ := p.Wait(ctx)
	return st.Code
}
