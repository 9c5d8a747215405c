package shell

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"
	"time"

	"mvdan.cc/sh/v3/interp"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/wasm/sim/sys"
)

// Markers the rewriter and the call handler put in front of a command's
// words, for the exec handler to act on.
const (
	markTail     = "__tb_tail"     // the last command of sh -c: it may replace the shell
	markTraps    = "__tb_traps"    // run pending traps first
	markBuiltin  = "__tb_b_"       // + name: a builtin the shell implements itself
	markExternal = "__tb_x_"       // + name: a command to look up, though mvdan knows it as a builtin
	markBg       = "__tb_bg"       // a background job is about to start
	markBgWait   = "__tb_bgwait"   // wait until the job has started its command
	markJobStart = "__tb_jobstart" // first command of a background job
	markJobEnd   = "__tb_jobend"   // last command of a background job
	markStatus   = "__tb_status"   // sets $? (before trap code)
	markTrapDone = "__tb_trapdone" // trap code ran to its end
)

// ownBuiltins are the builtins the shell implements itself rather than
// leaving them to the interpreter: ash's behaviour and messages differ, or
// the interpreter's version would reach the host.
var ownBuiltins = map[string]bool{
	"echo": true, "printf": true, "test": true, "[": true, "kill": true,
	"cd": true, "chdir": true, "pwd": true, "trap": true, "wait": true, "exit": true,
	"type": true, "command": true, "umask": true, "eval": true, "source": true,
	".": true, "exec": true, "builtin": true, "jobs": true, "hash": true,
	"times": true, "help": true, "ulimit": true, "set": true, "fg": true, "bg": true, "read": true, "history": true,
	"__tb_export": true, "__tb_readonly": true,
}

// bashOnly are builtins of the interpreter that ash does not have: ash
// looks them up as commands.
var bashOnly = map[string]bool{
	"bind": true, "caller": true, "compgen": true, "complete": true, "compopt": true,
	"dirs": true, "disown": true, "enable": true, "logout": true,
	"mapfile": true, "readarray": true, "popd": true, "pushd": true, "shopt": true,
	"suspend": true, "fc": true, "newgrp": true, "declare": true, "typeset": true,
}

// errExec ends the shell after exec replaced it: the status is the new
// program's.
type errExec struct{ status int }

func (e errExec) Error() string { return fmt.Sprintf("exec ended with status %d", e.status) }

// call is the runner's CallHandler. It runs for every simple command once
// its words are expanded, and routes it: functions and the interpreter's
// builtins stay with the interpreter; the shell's own builtins and
// commands go to the exec handler, with markers saying what to do.
func (sh *shell) call(ctx context.Context, args []string) ([]string, error) {
	sh.yieldIfLong()
	hc := interp.HandlerCtx(ctx)
	if hc.Pos.IsValid() {
		sh.setLine(int(hc.Pos.Line()))
	}
	tail := false
	if args[0] == markTail {
		tail = true
		args = args[1:]
		if len(args) == 0 {
			return []string{":"}, nil
		}
	}
	name := args[0]
	if strings.HasPrefix(name, "__tb_") && !ownBuiltins[name] {
		return args, nil
	}
	traps := sh.traps.hasPending()
	switch {
	case sh.isFunc(name):
		return args, nil
	case ownBuiltins[name]:
		args = append([]string{markBuiltin + name}, args[1:]...)
	case bashOnly[name]:
		args = append([]string{markExternal + name}, args[1:]...)
		if tail {
			args = append([]string{markTail}, args...)
		}
	case interp.IsBuiltin(name):
		if !traps {
			return args, nil
		}
	default:
		if tail {
			args = append([]string{markTail}, args...)
		}
	}
	if traps {
		args = append([]string{markTraps}, args...)
	}
	return args, nil
}

// yieldIfLong lets the rest of the program run when an interactive
// statement has kept the shell busy for yieldEvery: in the browser, where
// Go never preempts, a loop of builtins (`while true; do :; done`) would
// otherwise keep the page's messages, ^C among them, and the output
// written so far from ever being handled. Sleeping hands the worker back
// to its event loop until a timer fires.
func (sh *shell) yieldIfLong() {
	if yieldEvery == 0 || sh.ranSince.IsZero() || time.Since(sh.ranSince) < yieldEvery {
		return
	}
	time.Sleep(time.Millisecond)
	sh.ranSince = time.Now()
}

func (sh *shell) setLine(n int) {
	sh.mu.Lock()
	sh.line = n
	sh.mu.Unlock()
}

// execMiddleware is the runner's exec handler. It never calls next, the
// interpreter's default handler, which would run host programs.
func (sh *shell) execMiddleware(next interp.ExecHandlerFunc) interp.ExecHandlerFunc {
	return sh.exec
}

// status turns an exit status into what an exec handler returns.
func status(n int) error {
	if n == 0 {
		return nil
	}
	return interp.ExitStatus(uint8(n))
}

func (sh *shell) exec(ctx context.Context, args []string) error {
	hc := interp.HandlerCtx(ctx)
	tail, traps := false, false
	for len(args) > 0 {
		if args[0] == markTail {
			tail = true
		} else if args[0] == markTraps {
			traps = true
		} else {
			break
		}
		args = args[1:]
	}
	if traps {
		if err := sh.runPendingTraps(ctx, hc.LastExitStatus); err != nil {
			return err
		}
	}
	name := args[0]
	var err error
	switch {
	case name == markBg:
		sh.jobs.register(strings.Join(args[1:], " "))
		return nil
	case name == markJobStart:
		return nil
	case name == markBgWait:
		sh.jobs.waitStarted(ctx)
		return status(hc.LastExitStatus)
	case name == markJobEnd:
		sh.jobs.end(hc.Env.Get(varJob).String(), hc.LastExitStatus)
		return status(hc.LastExitStatus)
	case name == markStatus:
		n := 0
		if len(args) > 1 {
			fmt.Sscan(args[1], &n)
		}
		return status(n)
	case name == markTrapDone:
		if len(args) > 1 {
			sh.traps.done(args[1])
		}
		return nil
	case strings.HasPrefix(name, markBuiltin):
		args[0] = strings.TrimPrefix(name, markBuiltin)
		err = sh.builtin(ctx, hc, args)
	case strings.HasPrefix(name, markExternal):
		args[0] = strings.TrimPrefix(name, markExternal)
		err = sh.external(ctx, hc, args, tail)
	case interp.IsBuiltin(name):
		// Routed here only to run pending traps first.
		err = hc.Builtin(ctx, args)
	default:
		err = sh.external(ctx, hc, args, tail)
	}
	var ex errExec
	if errors.As(err, &ex) {
		return err
	}
	if sh.traps.hasPending() {
		code := 0
		var es interp.ExitStatus
		if errors.As(err, &es) {
			code = int(es)
		}
		if terr := sh.runPendingTraps(ctx, code); terr != nil {
			return terr
		}
	}
	return err
}

// streamsUnchanged reports whether a command's streams are the shell's
// own, so that exec(2) can hand them over as they are.
func (sh *shell) streamsUnchanged(hc interp.HandlerContext) bool {
	out, ok1 := hc.Stdout.(*procWriter)
	errw, ok2 := hc.Stderr.(*errTranslator)
	return ok1 && ok2 && out == sh.stdout && errw == sh.runErr && sh.stdinUnchanged(hc.Stdin)
}

// external runs a command that is not a builtin: it replaces the shell
// when it is the tail of sh -c (and nothing else would notice), or runs
// as a child that the shell waits for.
func (sh *shell) external(ctx context.Context, hc interp.HandlerContext, args []string, tail bool) error {
	env := sh.execEnv(hc.Env)
	if tail && !sh.traps.any() && hc.Dir == sh.p.Dir() && sh.streamsUnchanged(hc) && sh.jobs.current(hc) == "" {
		st, ok, err := sh.p.Exec(args, env)
		var xe *backend.ExecError
		if !ok && errors.As(err, &xe) && xe.Reason == backend.ReasonNotInPath && !strings.Contains(args[0], "/") && isApplet(args[0]) {
			st, ok, err = sh.p.Exec(append([]string{sh.selfExe()}, args...), env)
		}
		if ok {
			return errExec{st}
		}
		if err != nil {
			return status(sh.execFailed(hc, "", args[0], err))
		}
	}
	stdin := sh.stdin(hc)
	stderr := sh.stderrOf(hc)
	child, err := sh.p.Spawn(sys.Cmd{Args: args, Env: env, Dir: hc.Dir, Stdin: stdin, Stdout: sh.stdoutOf(hc), Stderr: stderr})
	if err != nil && !strings.Contains(args[0], "/") && isApplet(args[0]) {
		// busybox's ash runs its applets without a PATH search, from its
		// own binary: an applet works even when its link is gone.
		var xe *backend.ExecError
		if errors.As(err, &xe) && xe.Reason == backend.ReasonNotInPath {
			self := append([]string{sh.selfExe()}, args...)
			if c2, err2 := sh.p.Spawn(sys.Cmd{Args: self, Env: env, Dir: hc.Dir, Stdin: stdin, Stdout: sh.stdoutOf(hc), Stderr: stderr}); err2 == nil {
				child, err = c2, nil
			}
		}
	}
	if err != nil {
		var xe *backend.ExecError
		if errors.As(err, &xe) && xe.Reason == "exec format error" {
			// ash runs a file the kernel cannot execute as a script of
			// its own: busybox re-executed as "ash FILE ARGS".
			script := append([]string{"ash"}, args...)
			if c2, err2 := sh.p.Spawn(sys.Cmd{Args: script, Env: env, Dir: hc.Dir, Stdin: stdin, Stdout: sh.stdoutOf(hc), Stderr: stderr}); err2 == nil {
				child, err = c2, nil
			}
		}
		if errors.Is(err, syscall.EAGAIN) {
			sh.runErr.forkFailed()
			return status(2)
		}
		if err != nil {
			return status(sh.execFailed(hc, "", args[0], err))
		}
	}
	sh.jobs.spawned(hc, child.PID())
	return status(sh.waitChild(ctx, hc, child))
}

// stderrOf is a command's standard error: what the interpreter has for
// it, but the shell's own stream where that is the interpreter's message
// stream.
func (sh *shell) stderrOf(hc interp.HandlerContext) io.Writer {
	return sh.real(hc.Stderr)
}

// stdoutOf is a command's standard output, with 1>&2 onto the shell's
// standard error resolved the same way.
func (sh *shell) stdoutOf(hc interp.HandlerContext) io.Writer {
	return sh.real(hc.Stdout)
}

func (sh *shell) real(w io.Writer) io.Writer {
	if e, ok := w.(*errTranslator); ok && e == sh.runErr {
		return sh.stderr
	}
	return w
}

// selfExe is the shell's own executable, where its applets are.
func (sh *shell) selfExe() string {
	if e, ok := sh.p.(interface{ Exe() string }); ok {
		if x := e.Exe(); x != "" {
			// /proc/self/exe names the binary itself, not a link to it.
			return sh.physical(x)
		}
	}
	return "/bin/busybox"
}

// execFailed reports why a command could not be run, as ash does, and
// returns the status: 126 when it exists but cannot be run, else 127.
func (sh *shell) execFailed(hc interp.HandlerContext, builtin, name string, err error) int {
	var xe *backend.ExecError
	text, st := "not found", 127
	if errors.As(err, &xe) {
		switch xe.Reason {
		case backend.ReasonPermission, backend.ReasonIsDir:
			text, st = "Permission denied", 126
		}
	} else if err != nil && !errors.Is(err, context.Canceled) {
		text = strerror(err)
	}
	fmt.Fprintf(sh.stderrOf(hc), "%s%s: %s\n", sh.prefix(builtin), name, text)
	return st
}

// waitChild waits for a foreground child. A trapped signal waits for the
// child, as POSIX wants; ^C reaches the child from the terminal (it is in
// the shell's process group), and when it kills the child an interactive
// shell abandons the rest of the command line, as ash does.
func (sh *shell) waitChild(ctx context.Context, hc interp.HandlerContext, child sys.Child) int {
	done := make(chan int, 1)
	go func() { done <- child.Wait() }()
	sh.childStarted()
	defer sh.childEnded()
	select {
	case st := <-done:
		sh.reportSignal(hc, child, st)
		if sh.interactive && st == 128+int(backend.SIGINT) {
			sh.interruptStmt()
		}
		return st
	case <-sh.p.Context().Done():
		return 128 + int(backend.SIGKILL)
	}
}

// reportSignal prints what ash prints when a child was killed by a signal
// other than SIGINT and SIGPIPE: "Killed", "Terminated", ...
func (sh *shell) reportSignal(hc interp.HandlerContext, child sys.Child, st int) {
	s, ok := child.(sys.SignaledChild)
	if !ok {
		return
	}
	sig, killed := s.Signaled()
	if !killed {
		return
	}
	switch sig {
	case backend.SIGINT, backend.SIGPIPE:
		// An interactive shell starts a new line after ^C itself.
		return
	}
	fmt.Fprintln(sh.stderrOf(hc), sigDescription(sig))
}

// sigDescription is glibc's strsignal(3).
func sigDescription(sig backend.Signal) string {
	if d, ok := sigDescriptions[sig]; ok {
		return d
	}
	if sig >= 34 && sig <= 64 {
		return fmt.Sprintf("Real-time signal %d", int(sig)-34)
	}
	return fmt.Sprintf("Unknown signal %d", int(sig))
}

var sigDescriptions = map[backend.Signal]string{
	1: "Hangup", 2: "Interrupt", 3: "Quit", 4: "Illegal instruction",
	5: "Trace/breakpoint trap", 6: "Aborted", 7: "Bus error",
	8: "Floating point exception", 9: "Killed", 10: "User defined signal 1",
	11: "Segmentation fault", 12: "User defined signal 2", 13: "Broken pipe",
	14: "Alarm clock", 15: "Terminated", 16: "Stack fault", 17: "Child exited",
	18: "Continued", 19: "Stopped (signal)", 20: "Stopped", 21: "Stopped (tty input)",
	22: "Stopped (tty output)", 23: "Urgent I/O condition", 24: "CPU time limit exceeded",
	25: "File size limit exceeded", 26: "Virtual timer expired", 27: "Profiling timer expired",
	28: "Window changed", 29: "I/O possible", 30: "Power failure", 31: "Bad system call",
}
