// Package clirun runs a docker command line as a process does: with its
// streams, its terminal and its signals, against the engine -H or
// DOCKER_HOST names, or the native engine on this host, which it starts
// when it does not run. bin/twinbox (the small CLI binary) and
// bin/twinbox-engine (which also runs the CLI) share it.
package clirun

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/cli"
)

// DefaultSocket is where the native engine listens unless told otherwise.
const DefaultSocket = "/run/twinbox/twinbox.sock"

// Main runs a docker command (args without the program's name) with the
// process's streams and terminal. Without -H or DOCKER_HOST it talks to
// the native engine at DefaultSocket, starting it first with `engine
// daemon` when it does not run (as root; see EnsureDaemon).
func Main(args []string, engine string) int {
	if needsEngine(args) && !hasHostFlag(args) && os.Getenv("DOCKER_HOST") == "" {
		EnsureDaemon(DefaultSocket, engine)
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	fwd := make(chan backend.Signal, 4)
	go func() {
		for s := range sigs {
			if n, ok := s.(syscall.Signal); ok {
				fwd <- backend.Signal(n)
			}
		}
	}()
	return cli.Run(context.Background(), args, cli.Streams{
		Stdin:    os.Stdin,
		Stdout:   os.Stdout,
		Stderr:   os.Stderr,
		Terminal: newTerminal(),
	}, cli.Options{
		DefaultHost: "unix://" + DefaultSocket,
		Getenv:      os.Getenv,
		Signals:     fwd,
	})
}

// needsEngine reports whether a command line talks to an engine at all:
// `docker`, `docker --version` and help print without one, as docker's do.
func needsEngine(args []string) bool {
	for _, a := range args {
		switch a {
		case "-v", "--version", "-h", "--help", "help":
			return false
		}
		if len(a) > 0 && a[0] != '-' {
			return true // a command
		}
	}
	return false
}

// hasHostFlag reports whether the command line names an engine itself.
func hasHostFlag(args []string) bool {
	for _, a := range args {
		switch {
		case a == "--":
			return false
		case a == "-H" || a == "--host" || len(a) > 3 && (a[:3] == "-H=" || len(a) > 7 && a[:7] == "--host="):
			return true
		case len(a) > 0 && a[0] != '-':
			return false // the command's own arguments start
		}
	}
	return false
}
