package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/cli"
)

// defaultSocket is where the native engine listens unless told otherwise.
const defaultSocket = "/run/twinbox/twinbox.sock"

// cliMain runs a docker command with the process's streams and terminal.
// Without -H or DOCKER_HOST it talks to the native engine at
// defaultSocket, starting it first when it does not run (as root).
func cliMain(args []string) int {
	if needsEngine(args) && !hasHostFlag(args) && os.Getenv("DOCKER_HOST") == "" {
		ensureDaemon(defaultSocket)
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
		DefaultHost: "unix://" + defaultSocket,
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
