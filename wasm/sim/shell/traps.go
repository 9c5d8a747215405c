package shell

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"mvdan.cc/sh/v3/interp"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

// trap is one trap: the code as the user gave it (for `trap` to print) and
// as rewritten for the interpreter. An empty code ignores the signal.
type trap struct {
	orig, code string
}

// trapTable holds the shell's traps and the signals waiting for them.
type trapTable struct {
	mu      sync.Mutex
	traps   map[backend.Signal]trap // 0 is EXIT
	pending []backend.Signal
	ch      chan backend.Signal // where the kernel delivers caught signals
	tokens  map[string]bool
	seq     int
}

func (t *trapTable) init() {
	t.traps = map[backend.Signal]trap{}
	t.ch = make(chan backend.Signal, 64)
	t.tokens = map[string]bool{}
}

// any reports whether a trap is set; ash then never replaces itself with
// its last command.
func (t *trapTable) any() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.traps) > 0
}

// hasPending reports whether a caught signal waits for its trap. It takes
// the signals the kernel has delivered since the last look.
func (t *trapTable) hasPending() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for {
		select {
		case sig := <-t.ch:
			t.pending = append(t.pending, sig)
			continue
		default:
		}
		break
	}
	return len(t.pending) > 0
}

// arrived is where caught signals arrive; a receiver must hand what it
// gets to took.
func (t *trapTable) arrived() <-chan backend.Signal { return t.ch }

// took records a signal received from arrived.
func (t *trapTable) took(sig backend.Signal) {
	t.mu.Lock()
	t.pending = append(t.pending, sig)
	t.mu.Unlock()
}

func (t *trapTable) exitTrap() (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	tr, ok := t.traps[0]
	if !ok || tr.code == "" {
		return "", false
	}
	return tr.code, true
}

func (t *trapTable) done(token string) {
	t.mu.Lock()
	t.tokens[token] = true
	t.mu.Unlock()
}

// parseSignal reads a trap's signal operand: a number, a name with or
// without SIG, or EXIT.
func parseSignal(s string) (backend.Signal, bool) {
	if s == "EXIT" || s == "0" {
		return 0, true
	}
	if n, err := strconv.Atoi(s); err == nil {
		if n > 0 && n < 65 {
			return backend.Signal(n), true
		}
		return 0, false
	}
	sig, err := backend.ParseSignal(s)
	if err != nil || strings.ToUpper(s) != s {
		return 0, false
	}
	return sig, true
}

// trap is ash's trap builtin.
func (sh *shell) trap(hc interp.HandlerContext, args []string) int {
	rest := args[1:]
	if len(rest) > 0 && rest[0] == "--" {
		rest = rest[1:]
	}
	if len(rest) > 0 && strings.HasPrefix(rest[0], "-") && rest[0] != "-" {
		sh.cmdMsg("trap", "illegal option %s", rest[0])
		return 2
	}
	t := &sh.traps
	if len(rest) == 0 {
		t.mu.Lock()
		sigs := make([]int, 0, len(t.traps))
		for s := range t.traps {
			sigs = append(sigs, int(s))
		}
		sort.Ints(sigs)
		for _, s := range sigs {
			name := "EXIT"
			if s != 0 {
				name = sigName(backend.Signal(s))
			}
			fmt.Fprintf(sh.stdoutOf(hc), "trap -- %s %s\n", singleQuote(t.traps[backend.Signal(s)].orig), name)
		}
		t.mu.Unlock()
		return 0
	}
	action, sigs := rest[0], rest[1:]
	reset := false
	if len(rest) == 1 {
		// "trap SIG": restore the default.
		reset, sigs = true, rest
	} else if action == "-" {
		reset = true
	}
	code := ""
	if !reset && action != "" {
		c, err := sh.prepareText(action, "trap")
		if err != nil {
			return 2
		}
		code = c
	}
	st := 0
	for _, s := range sigs {
		sig, ok := parseSignal(s)
		if !ok {
			sh.cmdMsg("trap", "%s: invalid signal specification", s)
			st = 1
			continue
		}
		t.mu.Lock()
		if reset {
			delete(t.traps, sig)
		} else {
			t.traps[sig] = trap{orig: action, code: code}
		}
		t.mu.Unlock()
		if sig == 0 {
			continue
		}
		switch {
		case reset:
			sh.p.Reset(sig)
		case action == "":
			sh.p.Ignore(sig)
		default:
			sh.p.Notify(t.ch, sig)
		}
	}
	return st
}

// runPendingTraps runs the traps of signals that arrived, with $? set to
// status. It returns the interpreter's error when trap code exits the
// shell.
func (sh *shell) runPendingTraps(ctx context.Context, st int) error {
	t := &sh.traps
	for {
		t.hasPending()
		t.mu.Lock()
		if len(t.pending) == 0 {
			t.mu.Unlock()
			return nil
		}
		sig := t.pending[0]
		t.pending = t.pending[1:]
		tr, ok := t.traps[sig]
		t.seq++
		token := strconv.Itoa(t.seq)
		t.mu.Unlock()
		if !ok || tr.code == "" {
			continue
		}
		hc := interp.HandlerCtx(ctx)
		text := markStatus + " " + strconv.Itoa(st) + "\n" + tr.code + "\n" + markTrapDone + " " + token + "\n"
		err := hc.Builtin(ctx, []string{"eval", text})
		t.mu.Lock()
		finished := t.tokens[token]
		delete(t.tokens, token)
		t.mu.Unlock()
		if !finished && err != nil {
			return err
		}
	}
}

// runTrapCode runs the EXIT trap at the end of the shell, with $? set to
// st; it returns the shell's final status.
func (sh *shell) runTrapCode(ctx context.Context, code string, st int) int {
	f, err := parser().Parse(strings.NewReader(markStatus+" "+strconv.Itoa(st)+"\n"+code+"\n"), "")
	if err != nil {
		return st
	}
	sh.traps.mu.Lock()
	delete(sh.traps.traps, 0)
	sh.traps.mu.Unlock()
	for _, s := range f.Stmts {
		err := sh.runner.Run(ctx, s)
		if sh.runner.Exited() {
			return exitCode(err)
		}
	}
	return st
}
