// Package shell is the simulator's sh: busybox ash as users see it, built on
// mvdan.cc/sh's interpreter with handlers that reach everything through
// sys.Proc — files through p.FS(), commands through p.Spawn and p.Exec,
// signals through p.Notify.
//
// Main is the program; a registry maps "sh" to it:
//
//	status := shell.Main(proc) // argv: sh -c 'echo hi'
//
// It runs a -c string, a script file, commands from standard input, or an
// interactive session when standard input is a terminal.
package shell

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"mvdan.cc/sh/v3/interp"
	"mvdan.cc/sh/v3/syntax"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/wasm/sim/sys"
)

// shell is one running sh.
type shell struct {
	p      sys.Proc
	runner *interp.Runner
	env    *baseEnv

	applet      string // busybox's applet name: the base name of argv[0] ("sh")
	arg0        string // $0 and the prefix of error messages
	commandName bool   // arg0 was given (a script, or sh -c CMD NAME): messages say "line N"
	minusC      bool   // running a -c string: line numbers count from 0
	interactive bool
	line        int // the line of the statement running, for messages

	funcs map[string]bool // names declared as functions anywhere in the code seen

	stdout, stderr *procWriter    // the process's own streams
	runErr         *errTranslator // the interpreter's standard error

	jobs    jobTable
	traps   trapTable
	sources sourceTable
	// Interactive ^C: the statement running, and whether a child runs.
	stmtCancel context.CancelFunc
	ranSince   time.Time // when the statement started running, or last yielded (see yieldIfLong)
	children   int
	execed     bool // exec replaced the shell: no EXIT trap
	umaskSet   bool
	umaskVal   fs.FileMode
	flags      map[byte]bool // set -e, -x, ... for $-
	history    []string      // lines typed in an interactive session
	mode       byte          // 'c' (sh -c), 's' (commands from stdin), or 0

	mu sync.Mutex // guards funcs
}

// procWriter wraps one of the process's own output streams so that the
// shell can tell whether a command's stream was redirected.
type procWriter struct{ w io.Writer }

func (w *procWriter) Write(b []byte) (int, error) { return w.w.Write(b) }

// Main is the sh program.
func Main(p sys.Proc) int {
	args := p.Args()
	sh := &shell{
		p:      p,
		applet: "sh",
		funcs:  map[string]bool{},
		stdout: &procWriter{p.Stdout()},
		stderr: &procWriter{p.Stderr()},
	}
	sh.runErr = &errTranslator{sh: sh}
	if len(args) > 0 {
		sh.applet = path.Base(args[0])
		sh.arg0 = args[0]
	} else {
		sh.arg0 = "sh"
	}
	sh.jobs.init()
	sh.traps.init()
	sh.flags = map[byte]bool{}
	return sh.main(args)
}

// options is what sh's command line asked for.
type options struct {
	command     string
	hasCommand  bool
	stdin       bool // -s
	interactive bool // -i
	set         []string
	operands    []string
}

// parseArgs reads sh's options as ash's procargs does.
func (sh *shell) parseArgs(args []string) (options, bool) {
	var o options
	i := 1
	for ; i < len(args); i++ {
		a := args[i]
		if a == "--" || a == "-" {
			i++
			break
		}
		if len(a) < 2 || (a[0] != '-' && a[0] != '+') {
			break
		}
		on := a[0] == '-'
		for j := 1; j < len(a); j++ {
			c := a[j]
			switch c {
			case 'c':
				o.hasCommand = on
			case 's':
				o.stdin = on
			case 'i':
				o.interactive = on
			case 'l', 'm', 'b', 'C', 'v':
				// Login shell, job control, notify, noclobber, verbose:
				// accepted, not simulated.
			case 'e', 'x', 'u', 'f', 'n', 'a':
				o.set = append(o.set, string(a[0])+string(c))
			case 'o':
				i++
				if i >= len(args) {
					// ash lists the options; nothing to list here.
					continue
				}
				name := args[i]
				switch name {
				case "errexit", "xtrace", "nounset", "noglob", "noexec", "allexport", "pipefail":
					o.set = append(o.set, string(a[0])+"o", name)
				case "vi", "emacs", "noclobber", "monitor", "verbose", "notify", "ignoreeof", "nolog", "debug", "interactive":
				default:
					sh.errorf("%s: %s", "Illegal option -o", name)
					return o, false
				}
			default:
				sh.msg("Illegal option %c%c", a[0], c)
				return o, false
			}
		}
	}
	o.operands = args[i:]
	if o.hasCommand {
		if len(o.operands) == 0 {
			sh.msg("-c requires an argument")
			return o, false
		}
		o.command = o.operands[0]
		o.operands = o.operands[1:]
	}
	return o, true
}

func (sh *shell) main(args []string) int {
	o, ok := sh.parseArgs(args)
	if !ok {
		return 2
	}
	var params []string
	var src string
	haveSrc := false
	switch {
	case o.hasCommand:
		src, haveSrc = o.command, true
		sh.minusC = true
		if len(o.operands) > 0 {
			sh.arg0 = o.operands[0]
			sh.commandName = true
			params = o.operands[1:]
		}
	case !o.stdin && len(o.operands) > 0:
		name := o.operands[0]
		text, err := sh.readScript(name)
		if err != nil {
			sh.msg("can't open '%s': %s", name, strerror(err))
			return 2
		}
		src, haveSrc = text, true
		sh.arg0 = name
		sh.commandName = true
		params = o.operands[1:]
	default:
		params = o.operands
		// ash: interactive when reading commands from a terminal that it
		// also writes to.
		_, tty0 := sh.p.Terminal(0)
		_, tty1 := sh.p.Terminal(1)
		sh.interactive = o.interactive || (tty0 && tty1)
	}
	for _, f := range o.set {
		sh.noteSet(f)
	}
	switch {
	case o.hasCommand:
		sh.mode = 'c'
	case haveSrc:
	default:
		sh.mode = 's'
	}
	if sh.interactive {
		sh.flags['i'] = true
	}
	if err := sh.setup(params, o.set); err != nil {
		sh.msg("%v", err)
		return 2
	}
	ctx := sh.p.Context()
	var status int
	switch {
	case haveSrc:
		status = sh.runSource(ctx, src, o.hasCommand)
	case sh.interactive:
		status = sh.interact(ctx)
	default:
		status = sh.runStream(ctx, sh.p.Stdin())
	}
	return sh.finish(ctx, status)
}

// readScript reads a script operand, which ash finds in the working
// directory or, without a slash, also in PATH.
func (sh *shell) readScript(name string) (string, error) {
	f, err := sh.p.FS().OpenFile(sh.abs(sh.p.Dir(), name), os.O_RDONLY, 0)
	if err != nil && !strings.Contains(name, "/") && errors.Is(err, fs.ErrNotExist) {
		if pathVar, ok := sh.p.Getenv("PATH"); ok {
			for _, d := range strings.Split(pathVar, ":") {
				if d == "" {
					continue
				}
				if f2, err2 := sh.p.FS().OpenFile(d+"/"+name, os.O_RDONLY, 0); err2 == nil {
					f, err = f2, nil
					break
				}
			}
		}
	}
	if err != nil {
		return "", err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return "", &fs.PathError{Op: "read", Path: name, Err: errIsDir}
	}
	b, err := io.ReadAll(f)
	return string(b), err
}

// finish runs the EXIT trap and returns the shell's status.
func (sh *shell) finish(ctx context.Context, status int) int {
	if sh.execed {
		return status
	}
	if code, ok := sh.traps.exitTrap(); ok && ctx.Err() == nil {
		status = sh.runTrapCode(ctx, code, status)
	}
	return status
}

// abs makes name absolute against dir.
func (sh *shell) abs(dir, name string) string {
	if strings.HasPrefix(name, "/") {
		return name
	}
	if dir == "/" {
		return "/" + name
	}
	return dir + "/" + name
}

// readFile reads a small file of the process's filesystem, or "".
func (sh *shell) readFile(name string) string {
	f, err := sh.p.FS().OpenFile(name, os.O_RDONLY, 0)
	if err != nil {
		return ""
	}
	defer f.Close()
	b, _ := io.ReadAll(f)
	return string(b)
}

// msg prints an error as ash_msg does: "arg0: [command: ][line N: ]text".
func (sh *shell) msg(format string, args ...any) {
	sh.cmdMsg("", format, args...)
}

// cmdMsg is msg while the builtin command is running.
func (sh *shell) cmdMsg(command, format string, args ...any) {
	fmt.Fprint(sh.p.Stderr(), sh.prefix(command)+fmt.Sprintf(format, args...)+"\n")
}

// prefix is what ash_vmsg prints before a message.
func (sh *shell) prefix(command string) string {
	s := sh.arg0 + ": "
	name := command
	if name == "" && sh.commandName {
		name = sh.arg0
	}
	if name != "" {
		if name != sh.arg0 {
			s += name + ": "
		}
		if !sh.interactive {
			line := sh.line
			if sh.minusC {
				line--
			}
			if line < 0 {
				line = 0
			}
			s += "line " + strconv.Itoa(line) + ": "
		}
	}
	return s
}

// errorf prints "applet: text", as bb_error_msg does for the shell's
// applet-style messages.
func (sh *shell) errorf(format string, args ...any) {
	fmt.Fprintf(sh.p.Stderr(), "%s: %s\n", sh.applet, fmt.Sprintf(format, args...))
}

// noteSet records an option that set turns on or off, for $-.
func (sh *shell) noteSet(arg string) {
	if len(arg) < 2 || (arg[0] != '-' && arg[0] != '+') {
		return
	}
	on := arg[0] == '-'
	for i := 1; i < len(arg); i++ {
		sh.mu.Lock()
		sh.flags[arg[i]] = on
		sh.mu.Unlock()
	}
}

// noteSetLong records set -o NAME.
func (sh *shell) noteSetLong(on bool, name string) {
	letters := map[string]byte{"errexit": 'e', "noglob": 'f', "xtrace": 'x', "nounset": 'u', "allexport": 'a', "noexec": 'n', "verbose": 'v'}
	if l, ok := letters[name]; ok {
		sh.mu.Lock()
		sh.flags[l] = on
		sh.mu.Unlock()
	}
}

// flagString is $-: ash lists its options from the last to the first of
// its table, with c (or s) in the middle.
func (sh *shell) flagString() string {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	var b []byte
	for _, l := range []byte("ubaCvx") {
		if sh.flags[l] {
			b = append(b, l)
		}
	}
	if sh.mode != 0 {
		b = append(b, sh.mode)
	}
	for _, l := range []byte("nmiIfe") {
		if sh.flags[l] {
			b = append(b, l)
		}
	}
	return string(b)
}

func (sh *shell) childStarted() {
	sh.mu.Lock()
	sh.children++
	sh.mu.Unlock()
}

func (sh *shell) childEnded() {
	sh.mu.Lock()
	sh.children--
	sh.mu.Unlock()
}

// interruptStmt abandons the statement an interactive shell is running.
func (sh *shell) interruptStmt() {
	sh.mu.Lock()
	cancel := sh.stmtCancel
	sh.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// signalStatus is the status of a command killed by sig.
func signalStatus(sig backend.Signal) int { return 128 + int(sig) }

// parser returns a parser for ash's language (bash's, less what ash lacks;
// see check).
func parser() *syntax.Parser {
	return syntax.NewParser(syntax.Variant(syntax.LangBash))
}
