// Package applets holds the simulator's busybox-like programs: ls, cat,
// touch, ps, grep, sed and the rest, each a sys.Program that reads all its
// state through sys.Proc and prints what busybox 1.35.0 prints.
//
// The shell (wasm/sim/shell) is not here; wasm/sim/applets/busybox puts
// both into one sys.Registry:
//
//	prog, ok := applets.Lookup("ls")
//	status := prog(proc)
package applets

import (
	"sort"

	"github.com/twinbox-dev/twinbox/wasm/sim/sys"
)

// table maps applet names to their programs.
var table map[string]sys.Program

func init() {
	table = map[string]sys.Program{}
	for name, main := range mains {
		table[name] = applet(name, main)
	}
}

// Lookup returns the applet called name ("ls", "[", ...).
func Lookup(name string) (sys.Program, bool) {
	p, ok := table[name]
	return p, ok
}

// Names lists the implemented applets, sorted.
func Names() []string {
	names := make([]string, 0, len(table))
	for n := range table {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Builtin returns the applet called name as a shell runs it in its own
// process (ash's echo, printf, test, kill): its messages start with
// prefix, the shell's name, instead of the applet's.
func Builtin(name, prefix string) (sys.Program, bool) {
	main, ok := mains[name]
	if !ok {
		return nil, false
	}
	return func(p sys.Proc) int {
		c := newCmd(p, prefix)
		status := main(c)
		if err := c.out.Flush(); err != nil && status == 0 {
			status = c.writeFailed(err)
		}
		return status
	}, true
}

// Usage is the usage message of the named applet as busybox prints it for
// --help: its banner, then its usage text.
func Usage(name string) string { return usageText(name) }
