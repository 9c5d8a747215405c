// Package busybox assembles the simulator's busybox: the applets of
// wasm/sim/applets, the shell of wasm/sim/shell as sh and ash, and the
// busybox multi-call entry itself, into one sys.Registry.
//
// The kernel looks programs up by name:
//
//	reg := busybox.NewRegistry()
//	reg.RegisterBinary("docker", dockerMain) // programs of the host shell
//	prog, ok := reg.Lookup("ls")
//
// Applets that the real busybox build has but the simulator does not
// implement are found too: they say so and exit 127 (see NotSimulated).
package busybox

import (
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/twinbox-dev/twinbox/wasm/sim/applets"
	"github.com/twinbox-dev/twinbox/wasm/sim/shell"
	"github.com/twinbox-dev/twinbox/wasm/sim/sys"
)

// Registry is a sys.Registry of busybox's programs, plus any registered
// with Register. It is safe for concurrent use.
type Registry struct {
	mu       sync.RWMutex
	extra    map[string]sys.Program
	binaries map[string]sys.Program
}

var (
	_ sys.Registry       = (*Registry)(nil)
	_ sys.BinaryRegistry = (*Registry)(nil)
)

// NewRegistry returns a registry of busybox's programs.
func NewRegistry() *Registry {
	return &Registry{extra: map[string]sys.Program{}, binaries: map[string]sys.Program{}}
}

// RegisterBinary adds a program that is a binary of its own (see
// sys.BinaryRegistry): the kernel runs it for a simulated binary whose
// BinaryMagic names it, under any name, and Lookup never returns it. The
// host's own programs (docker, brctl, iproute2's ip) are registered so, so
// that containers, whose busybox looks applets up by name, do not get them.
func (r *Registry) RegisterBinary(name string, prog sys.Program) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.binaries[name] = prog
}

// LookupBinary implements sys.BinaryRegistry.
func (r *Registry) LookupBinary(name string) (sys.Program, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	p, ok := r.binaries[name]
	return p, ok
}

// Register adds a program under name, taking precedence over busybox's
// program of that name. The kernel runs it for a simulated binary whose
// BinaryMagic names it, or that is invoked by that name.
func (r *Registry) Register(name string, prog sys.Program) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.extra[name] = prog
}

// Lookup implements sys.Registry: registered programs, then sh and ash,
// busybox itself, the applets, and the applets that busybox has but the
// simulator does not implement.
func (r *Registry) Lookup(name string) (sys.Program, bool) {
	r.mu.RLock()
	p, ok := r.extra[name]
	r.mu.RUnlock()
	if ok {
		return p, true
	}
	switch name {
	case "sh", "ash":
		return shell.Main, true
	case "busybox":
		return r.multiCall, true
	}
	if p, ok := applets.Lookup(name); ok {
		return p, true
	}
	if isBusyboxApplet(name) {
		return NotSimulated(name), true
	}
	return nil, false
}

func isBusyboxApplet(name string) bool {
	list := applets.BusyboxApplets()
	i := sort.SearchStrings(list, name)
	return i < len(list) && list[i] == name
}

// NotSimulated is the program of an applet that busybox has and the
// simulator does not implement yet: it says so on standard error and
// exits 127, as for a command that is not there.
func NotSimulated(name string) sys.Program {
	return func(p sys.Proc) int {
		args := p.Args()
		if len(args) > 1 && args[1] == "--help" {
			fmt.Fprint(p.Stderr(), applets.Usage(name))
			return 0
		}
		fmt.Fprintf(p.Stderr(), "%s: applet not simulated by twinbox\n", name)
		return 127
	}
}

// multiCall is the busybox binary invoked as busybox: `busybox APPLET
// ARGS` runs the applet, `busybox --list` lists them, `busybox` alone
// prints its help. Invoked under a name that is no applet, it says
// "NAME: applet not found".
func (r *Registry) multiCall(p sys.Proc) int {
	args := p.Args()
	self := "busybox"
	if len(args) > 0 {
		self = path.Base(args[0])
	}
	if self != "busybox" {
		fmt.Fprintf(p.Stderr(), "%s: applet not found\n", self)
		return 127
	}
	if len(args) < 2 {
		fmt.Fprint(p.Stdout(), helpText())
		return 0
	}
	switch args[1] {
	case "--list":
		for _, n := range applets.BusyboxApplets() {
			fmt.Fprintln(p.Stdout(), n)
		}
		return 0
	case "--help":
		fmt.Fprint(p.Stdout(), helpText())
		return 0
	case "--list-full", "--install":
		fmt.Fprintf(p.Stderr(), "busybox: %s is not simulated by twinbox\n", args[1])
		return 1
	}
	name := args[1]
	prog, ok := r.Lookup(name)
	if !ok || name == "busybox" {
		fmt.Fprintf(p.Stderr(), "%s: applet not found\n", name)
		return 127
	}
	return prog(&shifted{Proc: p})
}

// shifted is the process as an applet run by `busybox APPLET` sees it:
// argv without "busybox".
type shifted struct{ sys.Proc }

func (s *shifted) Args() []string { return s.Proc.Args()[1:] }

func helpText() string {
	var b strings.Builder
	b.WriteString(strings.TrimSuffix(applets.Banner, "\n") + "\n")
	b.WriteString(`BusyBox is copyrighted by many authors between 1998-2015.
Licensed under GPLv2. See source distribution for detailed
copyright notices.

Usage: busybox [function [arguments]...]
   or: busybox --list[-full]
   or: busybox --install [-s] [DIR]
   or: function [arguments]...

	BusyBox is a multi-call binary that combines many common Unix
	utilities into a single executable.  The shell in this build
	is configured to run built-in utilities without $PATH search.
	You don't need to install a link to busybox for each utility.
	To run external program, use full path (/sbin/ip instead of ip).

Currently defined functions:
`)
	// As busybox's appletlib: ", " between names, a new line before a
	// name that would reach the 79th column.
	const width = 80 - 1
	col := 0
	for _, n := range applets.BusyboxApplets() {
		l := len(n) + 2
		if col >= width-l {
			b.WriteString(",\n")
			col = 0
		}
		if col == 0 {
			col = 6
			b.WriteString("\t")
		} else {
			b.WriteString(", ")
		}
		b.WriteString(n)
		col += l
	}
	b.WriteString("\n")
	return b.String()
}
