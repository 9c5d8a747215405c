// Command twinbox-engine is the engine daemon (simulated or native), the
// simulated host shell, the web app's server and the lesson runner, and the
// docker-compatible CLI too, in one binary; bin/twinbox, the CLI alone,
// hands twinbox's own commands over to it.
//
//	twinbox-engine daemon --backend sim|native   # serve the Engine API on a unix socket
//	twinbox-engine shell                         # a simulated Docker host's shell
//	twinbox-engine run --rm busybox echo hi      # any docker command
//
// Invoked as "docker" (a symlink), it is only the CLI.
package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/twinbox-dev/twinbox/native"
	"github.com/twinbox-dev/twinbox/native/cmd/internal/clirun"
)

// subcommand is one of twinbox's own commands (the rest are docker's).
type subcommand struct {
	summary string
	run     func(args []string) int
}

// subcommands are registered by the files that implement them.
var subcommands = map[string]subcommand{}

func register(name, summary string, run func(args []string) int) {
	if !clirun.IsEngineCommand(name) {
		panic("twinbox: " + name + " is missing from clirun.EngineCommands, so bin/twinbox would not hand it over")
	}
	subcommands[name] = subcommand{summary, run}
}

func init() {
	register("help", "Show twinbox's own commands", func([]string) int { usage(os.Stdout); return 0 })
}

func main() {
	native.Init()
	os.Exit(run(os.Args))
}

func run(args []string) int {
	if filepath.Base(args[0]) != "docker" && len(args) > 1 {
		if sc, ok := subcommands[args[1]]; ok {
			return sc.run(args[2:])
		}
	}
	return clirun.Main(args[1:], self())
}

// self is this binary, which starts the native daemon when a docker
// command needs it (clirun.EnsureDaemon).
func self() string {
	p, err := os.Executable()
	if err != nil {
		return os.Args[0]
	}
	return p
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage:  twinbox COMMAND")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "twinbox's own commands:")
	names := make([]string, 0, len(subcommands))
	for n := range subcommands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, subcommands[n].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Every other command is docker's (twinbox run, twinbox ps, ...): see 'twinbox --help'.")
}
