// Command twinbox is the docker-compatible CLI. twinbox's own commands
// (daemon, shell, serve, lesson, viz, compare, help) it hands over to
// twinbox-engine, which must be beside it (`make build` puts both in bin/):
//
//	twinbox run --rm busybox echo hi        # any docker command
//	twinbox daemon --backend sim|native     # runs twinbox-engine daemon ...
//
// It is a binary of its own, without the engine, the simulator and the web
// app, because every docker command starts it anew: it starts in a fraction
// of the engine binary's time (BENCHMARKS.md). Invoked as "docker" (a
// symlink), it is only the CLI.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/twinbox-dev/twinbox/native/cmd/internal/clirun"
)

func main() {
	engine, err := clirun.EnginePath()
	if filepath.Base(os.Args[0]) != "docker" && len(os.Args) > 1 && clirun.IsEngineCommand(os.Args[1]) {
		if err == nil {
			err = clirun.HandOver(engine, append([]string{engine}, os.Args[1:]...))
		}
		fmt.Fprintf(os.Stderr, "twinbox: %s needs %s beside twinbox (make build): %v\n", os.Args[1], clirun.EngineName, err)
		os.Exit(1)
	}
	os.Exit(clirun.Main(os.Args[1:], engine))
}
