package kernel

import (
	"github.com/twinbox-dev/twinbox/shared/backend"
)

const sigKill = backend.SIGKILL

// defaultIgnored reports whether sig's default action is to do nothing.
func defaultIgnored(sig backend.Signal) bool {
	switch sig {
	case backend.SIGCHLD, backend.SIGURG, backend.SIGWINCH, backend.SIGCONT:
		return true
	}
	return false
}

// stopSignal reports whether sig's default action is to stop the process.
func stopSignal(sig backend.Signal) bool {
	switch sig {
	case backend.SIGSTOP, backend.SIGTSTP, backend.SIGTTIN, backend.SIGTTOU:
		return true
	}
	return false
}

func uncatchable(sig backend.Signal) bool {
	return sig == backend.SIGKILL || sig == backend.SIGSTOP
}

func (p *Process) ignores(sig backend.Signal) bool {
	return sig > 0 && sig < 64 && p.ignored&(1<<uint(sig)) != 0
}

func (p *Process) handles(sig backend.Signal) bool { return len(p.handlers[sig]) > 0 }

// isInitLocked reports whether p is the init of its PID namespace.
func (p *Process) isInitLocked() bool { return p.ns.PID.init == p }

// sendLocked sends sig to t. from is the PID namespace of the sender, nil
// for a signal the kernel generates (a terminal's ^C, SIGCHLD, SIGPIPE, the
// SIGKILL of a dying namespace).
func (k *Kernel) sendLocked(from *PIDNamespace, t *Process, sig backend.Signal) {
	if t.state != stateRunning || t.killSig != 0 || sig <= 0 {
		return
	}
	if sig == backend.SIGCONT {
		// Continuing happens whatever the disposition, even for an init.
		k.continueLocked(t)
		t.dropPending(stopSignal)
	}
	if stopSignal(sig) {
		t.dropPending(func(s backend.Signal) bool { return s == backend.SIGCONT })
	}
	if t.isInitLocked() {
		// A namespace's init gets only the signals it has a handler for,
		// and SIGKILL and SIGSTOP from an ancestor namespace (or from the
		// kernel); the machine's init gets none of those either.
		forced := from == nil || !t.ns.PID.isAncestorOf(from)
		switch {
		case !uncatchable(sig) && t.handles(sig):
		case uncatchable(sig) && forced && t.ns.PID != k.root.PID:
		default:
			return
		}
	}
	if t.cg.frozen || (t.stopped && sig != sigKill) {
		// A frozen process takes signals when it thaws, a stopped one
		// (but for SIGKILL) when it continues.
		if sig != backend.SIGCONT || t.handles(sig) {
			t.pending = append(t.pending, sig)
		}
		return
	}
	k.actLocked(t, sig)
}

// actLocked carries out sig's disposition in t.
func (k *Kernel) actLocked(t *Process, sig backend.Signal) {
	switch {
	case sig == backend.SIGKILL:
		t.killLocked(sig)
	case sig == backend.SIGSTOP:
		k.stopLocked(t)
	case t.handles(sig):
		for _, ch := range t.handlers[sig] {
			select {
			case ch <- sig:
			default:
			}
		}
	case t.ignores(sig), defaultIgnored(sig):
	case stopSignal(sig):
		k.stopLocked(t)
	default:
		t.killLocked(sig)
	}
}

// killLocked ends the process: its context is cancelled, its kernel calls
// fail, and it exits with 128+sig.
func (p *Process) killLocked(sig backend.Signal) {
	if p.killSig != 0 || p.state != stateRunning {
		return
	}
	p.killSig = sig
	p.stopped = false
	p.cancel()
	if ns := p.ns.PID; ns.init == p && ns != p.k.root.PID {
		// A namespace's init dies at once in Linux, and the namespace with
		// it; its program may be blocked waiting for a child, so the rest
		// of the namespace is killed now rather than when it returns.
		ns.dying = true
		for _, q := range ns.pids {
			if q != p {
				p.k.sendLocked(nil, q, sigKill)
			}
		}
	}
	p.k.cond.Broadcast()
}

func (k *Kernel) stopLocked(t *Process) {
	if t.stopped {
		return
	}
	t.stopped = true
	if t.parent != nil {
		k.sendLocked(nil, t.parent, backend.SIGCHLD)
	}
}

func (k *Kernel) continueLocked(t *Process) {
	if !t.stopped {
		return
	}
	t.stopped = false
	k.flushPendingLocked(t)
	k.cond.Broadcast()
	if t.parent != nil {
		k.sendLocked(nil, t.parent, backend.SIGCHLD)
	}
}

// flushPendingLocked delivers the signals held while t was frozen or stopped.
func (k *Kernel) flushPendingLocked(t *Process) {
	for len(t.pending) > 0 && !t.cg.frozen && t.state == stateRunning && t.killSig == 0 {
		sig := t.pending[0]
		if t.stopped && sig != sigKill && sig != backend.SIGCONT {
			return
		}
		t.pending = t.pending[1:]
		if sig == backend.SIGCONT {
			k.continueLocked(t)
		}
		k.actLocked(t, sig)
	}
}

func (p *Process) dropPending(drop func(backend.Signal) bool) {
	kept := p.pending[:0]
	for _, s := range p.pending {
		if !drop(s) {
			kept = append(kept, s)
		}
	}
	p.pending = kept
}

// signalGroupLocked sends sig to every running process of process group
// pgid, as a terminal does for ^C.
func (k *Kernel) signalGroupLocked(from *PIDNamespace, pgid int, sig backend.Signal) {
	if pgid == 0 {
		return
	}
	for _, p := range k.procs {
		if p.pgid == pgid {
			k.sendLocked(from, p, sig)
		}
	}
}
