package shell

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/interp"
	"mvdan.cc/sh/v3/syntax"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/wasm/sim/applets"
	"github.com/twinbox-dev/twinbox/wasm/sim/sys"
)

// builtin runs one of the shell's own builtins. args[0] is its name.
func (sh *shell) builtin(ctx context.Context, hc interp.HandlerContext, args []string) error {
	switch name := args[0]; name {
	case "echo", "printf", "test", "[":
		return status(sh.runApplet(ctx, hc, args))
	case "kill":
		return status(sh.kill(ctx, hc, args))
	case "cd", "chdir":
		return sh.cd(ctx, hc, args)
	case "pwd":
		return sh.pwd(hc, args)
	case "trap":
		return status(sh.trap(hc, args))
	case "wait":
		return status(sh.wait(ctx, hc, args))
	case "exit":
		return sh.exitBuiltin(ctx, hc, args)
	case "type":
		return status(sh.typeBuiltin(hc, args[1:], false))
	case "command":
		return sh.command(ctx, hc, args)
	case "umask":
		return status(sh.umaskBuiltin(hc, args))
	case "eval":
		return sh.eval(ctx, hc, args)
	case "source", ".":
		return sh.source(ctx, hc, args)
	case "exec":
		return sh.execBuiltin(ctx, hc, args)
	case "jobs":
		sh.jobs.list(sh.stdoutOf(hc), sh.interactive)
		return nil
	case "hash":
		return nil
	case "history":
		sh.mu.Lock()
		lines := append([]string(nil), sh.history...)
		sh.mu.Unlock()
		for i, l := range lines {
			fmt.Fprintf(sh.stdoutOf(hc), "%4d %s\n", i, l)
		}
		return nil
	case "read":
		return sh.read(ctx, hc, args)
	case "times":
		io.WriteString(sh.stdoutOf(hc), "0m0.000s 0m0.000s\n0m0.000s 0m0.000s\n")
		return nil
	case "help":
		io.WriteString(sh.stdoutOf(hc), helpText())
		return nil
	case "ulimit":
		return status(sh.ulimit(hc, args))
	case "set":
		if len(args) == 1 {
			sh.listVars(hc, "")
			return nil
		}
		err := hc.Builtin(ctx, args)
		if err == nil {
			for i := 1; i < len(args); i++ {
				a := args[i]
				if a == "--" || a == "-" {
					break
				}
				if (a == "-o" || a == "+o") && i+1 < len(args) {
					sh.noteSetLong(a == "-o", args[i+1])
					i++
					continue
				}
				if len(a) > 1 && (a[0] == '-' || a[0] == '+') {
					sh.noteSet(a)
					continue
				}
				break
			}
		}
		return err
	case "__tb_export":
		sh.listVars(hc, "export")
		return nil
	case "__tb_readonly":
		sh.listVars(hc, "readonly")
		return nil
	case "fg", "bg":
		sh.cmdMsg(name, "No current job")
		return status(2)
	}
	return status(127)
}

// builtinProc is the process as a builtin applet sees it: the shell's
// process with the command's arguments, streams and directory.
type builtinProc struct {
	sys.Proc
	args     []string
	env      []string
	dir      string
	in       io.Reader
	out, err io.Writer
}

func (b *builtinProc) Args() []string    { return b.args }
func (b *builtinProc) Environ() []string { return b.env }
func (b *builtinProc) Dir() string       { return b.dir }
func (b *builtinProc) Stdin() io.Reader  { return b.in }
func (b *builtinProc) Stdout() io.Writer { return b.out }
func (b *builtinProc) Stderr() io.Writer { return b.err }
func (b *builtinProc) Getenv(key string) (string, bool) {
	for i := len(b.env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(b.env[i], "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}

// Terminal reports the terminal only for streams that are still the
// process's own.
func (b *builtinProc) Terminal(fd int) (sys.Terminal, bool) {
	switch fd {
	case 1:
		if _, ok := b.out.(*procWriter); !ok {
			return nil, false
		}
	case 2:
		if _, ok := b.err.(*procWriter); !ok {
			return nil, false
		}
	}
	return b.Proc.Terminal(fd)
}

// stdin is the standard input of a command: the redirected one, or the
// process's; a background job without a redirection reads nothing, as ash
// gives it /dev/null.
func (sh *shell) stdin(hc interp.HandlerContext) io.Reader {
	if hc.Stdin != nil {
		return hc.Stdin
	}
	if sh.jobs.current(hc) != "" {
		return strings.NewReader("")
	}
	if in := sh.p.Stdin(); in != nil {
		return in
	}
	return strings.NewReader("")
}

// stdinUnchanged reports whether a command's standard input is the
// process's own.
func (sh *shell) stdinUnchanged(in io.Reader) bool { return in == nil }

func (sh *shell) procFor(hc interp.HandlerContext, args []string) *builtinProc {
	return &builtinProc{Proc: sh.p, args: args, env: sh.execEnv(hc.Env), dir: hc.Dir,
		in: sh.stdin(hc), out: sh.stdoutOf(hc), err: sh.stderrOf(hc)}
}

// applet runs an applet that ash has as a builtin (echo, printf, test),
// in the shell's process; its messages start with the shell's applet name.
func (sh *shell) runApplet(ctx context.Context, hc interp.HandlerContext, args []string) int {
	prog, ok := applets.Builtin(args[0], sh.applet)
	if !ok {
		return 127
	}
	return prog(sh.procFor(hc, args))
}

// kill is ash's kill builtin: the kill applet, with %N job specs.
func (sh *shell) kill(ctx context.Context, hc interp.HandlerContext, args []string) int {
	out := []string{args[0]}
	for _, a := range args[1:] {
		if strings.HasPrefix(a, "%") {
			pid, ok := sh.jobs.byspec(a)
			if !ok {
				sh.cmdMsg("kill", "%s: no such job", a)
				return 2
			}
			a = strconv.Itoa(pid)
		}
		out = append(out, a)
	}
	return sh.runApplet(ctx, hc, out)
}

// cd checks the directory as ash does, then lets the interpreter change
// its directory and PWD.
func (sh *shell) cd(ctx context.Context, hc interp.HandlerContext, args []string) error {
	rest := args[1:]
	physical := false
	for len(rest) > 0 && (rest[0] == "-L" || rest[0] == "-P") {
		physical = rest[0] == "-P"
		rest = rest[1:]
	}
	if len(rest) > 0 && rest[0] == "--" {
		rest = rest[1:]
	}
	dir := ""
	printDir := false
	switch {
	case len(rest) == 0:
		dir = hc.Env.Get("HOME").String()
		if dir == "" {
			return nil
		}
	case rest[0] == "-":
		dir = hc.Env.Get("OLDPWD").String()
		if dir == "" {
			dir = hc.Dir
		}
		printDir = true
	default:
		dir = rest[0]
	}
	target := cleanPath(sh.abs(hc.Dir, dir))
	fi, err := sh.p.FS().Stat(target)
	if err == nil && !fi.IsDir() {
		err = syscall.ENOTDIR
	}
	if err == nil && !sh.accessOK(fi, interp.AccessExec) {
		err = syscall.EACCES
	}
	if err != nil {
		sh.cmdMsg("cd", "can't cd to %s: %s", dir, strerror(err))
		return status(2)
	}
	if physical {
		target = sh.physical(target)
	}
	if err := hc.Builtin(ctx, []string{"cd", target}); err != nil {
		return err
	}
	if c, ok := sh.p.(sys.Chdirer); ok {
		c.Chdir(target)
	}
	if printDir {
		fmt.Fprintln(sh.stdoutOf(hc), target)
	}
	return nil
}

// cleanPath is ash's logical path cleaning: "." and ".." removed
// lexically.
func cleanPath(p string) string {
	return path.Clean(p)
}

// physical resolves the symlinks in an absolute path.
func (sh *shell) physical(p string) string {
	parts := strings.Split(strings.Trim(p, "/"), "/")
	cur := "/"
	for i := 0; i < len(parts); i++ {
		if parts[i] == "" || parts[i] == "." {
			continue
		}
		if parts[i] == ".." {
			cur = path.Dir(cur)
			continue
		}
		next := path.Join(cur, parts[i])
		fi, err := sh.p.FS().Lstat(next)
		if err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			if t, err := sh.p.FS().Readlink(next); err == nil {
				if !strings.HasPrefix(t, "/") {
					t = path.Join(cur, t)
				}
				rest := append(strings.Split(strings.Trim(t, "/"), "/"), parts[i+1:]...)
				parts = rest
				cur = "/"
				i = -1
				continue
			}
		}
		cur = next
	}
	return cur
}

func (sh *shell) pwd(hc interp.HandlerContext, args []string) error {
	physical := false
	for _, a := range args[1:] {
		switch a {
		case "-P":
			physical = true
		case "-L":
			physical = false
		}
	}
	dir := hc.Dir
	if physical {
		dir = sh.physical(dir)
	}
	fmt.Fprintln(sh.stdoutOf(hc), dir)
	return nil
}

// exitBuiltin checks its argument as ash does, then lets the interpreter
// exit.
func (sh *shell) exitBuiltin(ctx context.Context, hc interp.HandlerContext, args []string) error {
	if len(args) > 1 {
		n, err := strconv.Atoi(args[1])
		if err != nil || n < 0 {
			sh.cmdMsg("exit", "Illegal number: %s", args[1])
			return hc.Builtin(ctx, []string{"exit", "2"})
		}
		return hc.Builtin(ctx, []string{"exit", strconv.Itoa(n & 0xff)})
	}
	return hc.Builtin(ctx, []string{"exit", strconv.Itoa(hc.LastExitStatus)})
}

// keywords are ash's reserved words, for type and command -v.
var keywords = map[string]bool{
	"!": true, "case": true, "do": true, "done": true, "elif": true, "else": true,
	"esac": true, "fi": true, "for": true, "function": true, "if": true, "in": true,
	"then": true, "until": true, "while": true, "{": true, "}": true, "[[": true, "]]": true,
}

// ashBuiltins are ash's builtins, as `help` lists them.
var ashBuiltins = []string{".", ":", "[", "[[", "alias", "bg", "break", "cd", "chdir",
	"command", "continue", "echo", "eval", "exec", "exit", "export", "false", "fg",
	"getopts", "hash", "help", "history", "jobs", "kill", "let", "local", "printf",
	"pwd", "read", "readonly", "return", "set", "shift", "source", "test", "times",
	"trap", "true", "type", "ulimit", "umask", "unalias", "unset", "wait"}

func isAshBuiltin(name string) bool {
	for _, b := range ashBuiltins {
		if b == name {
			return true
		}
	}
	return false
}

// helpText is ash's help: its builtins, then the applets, as ash lays
// them out (a new line once a line passes 60 characters).
func helpText() string {
	var b strings.Builder
	b.WriteString("Built-in commands:\n------------------\n")
	names := append(append([]string{}, ashBuiltins...), applets.BusyboxApplets()...)
	col := 0
	for _, n := range names {
		sep := " "
		if col == 0 {
			sep = "\t"
		}
		b.WriteString(sep + n)
		col += 1 + len(n)
		if col > 60 {
			b.WriteString("\n")
			col = 0
		}
	}
	b.WriteString("\n")
	return b.String()
}

// describe says what a command name is, as `type` does; ok is false when
// it is nothing.
func (sh *shell) describe(hc interp.HandlerContext, name string) (kind, where string, ok bool) {
	switch {
	case keywords[name]:
		return "keyword", "", true
	case sh.isFunc(name):
		return "function", "", true
	case isAshBuiltin(name):
		return "builtin", "", true
	case isApplet(name):
		// busybox runs its applets without a PATH search.
		return "applet", name, true
	}
	if p, ok := sh.lookPath(hc, name); ok {
		return "file", p, true
	}
	return "", "", false
}

func isApplet(name string) bool {
	for _, a := range applets.BusyboxApplets() {
		if a == name {
			return true
		}
	}
	return false
}

// lookPath finds an executable in PATH as ash's find_command does.
func (sh *shell) lookPath(hc interp.HandlerContext, name string) (string, bool) {
	if strings.Contains(name, "/") {
		fi, err := sh.p.FS().Stat(sh.abs(hc.Dir, name))
		if err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return name, true
		}
		return "", false
	}
	pathVar := hc.Env.Get("PATH").String()
	for _, d := range strings.Split(pathVar, ":") {
		if d == "" {
			d = "."
		}
		cand := d + "/" + name
		fi, err := sh.p.FS().Stat(sh.abs(hc.Dir, cand))
		if err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return cand, true
		}
	}
	return "", false
}

func (sh *shell) typeBuiltin(hc interp.HandlerContext, names []string, verboseCommand bool) int {
	st := 0
	for _, n := range names {
		kind, where, ok := sh.describe(hc, n)
		switch {
		case !ok:
			fmt.Fprintf(sh.stdoutOf(hc), "%s: not found\n", n)
			st = 127
		case kind == "keyword":
			fmt.Fprintf(sh.stdoutOf(hc), "%s is a shell keyword\n", n)
		case kind == "function":
			fmt.Fprintf(sh.stdoutOf(hc), "%s is a function\n", n)
		case kind == "builtin":
			fmt.Fprintf(sh.stdoutOf(hc), "%s is a shell builtin\n", n)
		default:
			fmt.Fprintf(sh.stdoutOf(hc), "%s is %s\n", n, where)
		}
	}
	return st
}

// command runs a command bypassing functions, or describes it (-v, -V).
func (sh *shell) command(ctx context.Context, hc interp.HandlerContext, args []string) error {
	rest := args[1:]
	mode := ""
	for len(rest) > 0 && strings.HasPrefix(rest[0], "-") && rest[0] != "-" {
		if rest[0] == "--" {
			rest = rest[1:]
			break
		}
		for _, c := range rest[0][1:] {
			switch c {
			case 'v', 'V':
				mode = string(c)
			case 'p':
			default:
				sh.cmdMsg("command", "illegal option -%c", c)
				return status(2)
			}
		}
		rest = rest[1:]
	}
	if len(rest) == 0 {
		return nil
	}
	switch mode {
	case "v":
		// ash describes only the first operand.
		kind, where, ok := sh.describe(hc, rest[0])
		switch {
		case !ok:
			return status(1)
		case kind == "file" || kind == "applet":
			fmt.Fprintln(sh.stdoutOf(hc), where)
		default:
			fmt.Fprintln(sh.stdoutOf(hc), rest[0])
		}
		return nil
	case "V":
		return status(sh.typeBuiltin(hc, rest, true))
	}
	name := rest[0]
	switch {
	case ownBuiltins[name]:
		return sh.builtin(ctx, hc, rest)
	case interp.IsBuiltin(name) && !bashOnly[name]:
		return hc.Builtin(ctx, rest)
	}
	return sh.external(ctx, hc, rest, false)
}

// umaskBuiltin shows or sets the file creation mask.
func (sh *shell) umaskBuiltin(hc interp.HandlerContext, args []string) int {
	rest := args[1:]
	symbolic := false
	if len(rest) > 0 && rest[0] == "-S" {
		symbolic = true
		rest = rest[1:]
	}
	if len(rest) == 0 {
		m := sh.umask()
		if symbolic {
			perm := ^m & 0o777
			var parts []string
			for i, who := range []string{"u", "g", "o"} {
				bits := (perm >> (6 - 3*i)) & 7
				s := who + "="
				if bits&4 != 0 {
					s += "r"
				}
				if bits&2 != 0 {
					s += "w"
				}
				if bits&1 != 0 {
					s += "x"
				}
				parts = append(parts, s)
			}
			fmt.Fprintln(sh.stdoutOf(hc), strings.Join(parts, ","))
		} else {
			fmt.Fprintf(sh.stdoutOf(hc), "%04o\n", uint32(m))
		}
		return 0
	}
	n, err := strconv.ParseUint(rest[0], 8, 32)
	if err != nil || n > 0o777 {
		sh.cmdMsg("umask", "illegal mode: %s", rest[0])
		return 2
	}
	sh.umaskSet, sh.umaskVal = true, fs.FileMode(n)
	if s, ok := sh.p.(sys.UmaskSetter); ok {
		s.SetUmask(fs.FileMode(n))
	}
	return 0
}

func (sh *shell) ulimit(hc interp.HandlerContext, args []string) int {
	val := "unlimited"
	for _, a := range args[1:] {
		if a == "-n" {
			val = "1048576"
		}
	}
	fmt.Fprintln(sh.stdoutOf(hc), val)
	return 0
}

// eval parses its words with the shell's parser (so that the rewriting
// applies) and lets the interpreter run the result.
func (sh *shell) eval(ctx context.Context, hc interp.HandlerContext, args []string) error {
	src := strings.Join(args[1:], " ")
	text, err := sh.prepareText(src, "eval")
	if err != nil {
		if sh.interactive {
			return status(2)
		}
		return hc.Builtin(ctx, []string{"exit", "2"})
	}
	return hc.Builtin(ctx, []string{"eval", text})
}

// source reads a file of the process's filesystem and lets the interpreter
// run it as its source builtin does, through a name only the open handler
// knows.
func (sh *shell) source(ctx context.Context, hc interp.HandlerContext, args []string) error {
	name := args[0]
	if len(args) < 2 {
		return status(2)
	}
	file := args[1]
	full := ""
	if strings.Contains(file, "/") {
		full = sh.abs(hc.Dir, file)
	} else if p, ok := sh.findSource(hc, file); ok {
		full = p
	}
	var text string
	var err error
	if full == "" {
		sh.cmdMsg(name, "%s: not found", file)
		return hc.Builtin(ctx, []string{"exit", "2"})
	}
	text, err = sh.readScriptAt(full)
	if err != nil {
		sh.cmdMsg(name, "can't open '%s': %s", file, strerror(err))
		return hc.Builtin(ctx, []string{"exit", "2"})
	}
	prepared, perr := sh.prepareText(text, name)
	if perr != nil {
		return status(2)
	}
	key := sh.sources.put(prepared)
	return hc.Builtin(ctx, append([]string{"source", key}, args[2:]...))
}

// findSource looks a "." operand up in PATH, then the working directory.
func (sh *shell) findSource(hc interp.HandlerContext, file string) (string, bool) {
	for _, d := range strings.Split(hc.Env.Get("PATH").String(), ":") {
		if d == "" {
			d = "."
		}
		cand := sh.abs(hc.Dir, d+"/"+file)
		if fi, err := sh.p.FS().Stat(cand); err == nil && fi.Mode().IsRegular() {
			return cand, true
		}
	}
	return "", false
}

func (sh *shell) readScriptAt(p string) (string, error) {
	f, err := sh.p.FS().OpenFile(p, 0, 0)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	return string(b), err
}

// execBuiltin replaces the shell with a command; with only redirections
// it applies them to the shell.
func (sh *shell) execBuiltin(ctx context.Context, hc interp.HandlerContext, args []string) error {
	rest := args[1:]
	if len(rest) > 0 && rest[0] == "--" {
		rest = rest[1:]
	}
	if len(rest) == 0 {
		return hc.Builtin(ctx, []string{"exec"})
	}
	env := sh.execEnv(hc.Env)
	if hc.Dir == sh.p.Dir() && sh.streamsUnchanged(hc) {
		st, ok, err := sh.p.Exec(rest, env)
		if ok {
			return errExec{st}
		}
		st = sh.execFailed(hc, "exec", rest[0], err)
		if sh.interactive {
			return status(st)
		}
		return hc.Builtin(ctx, []string{"exit", strconv.Itoa(st)})
	}
	// The command needs the shell's redirected streams or directory,
	// which exec(2) here cannot pass on: run it and exit with its status.
	err := sh.external(ctx, hc, rest, false)
	code := 0
	var es interp.ExitStatus
	if ok := asExitStatus(err, &es); ok {
		code = int(es)
	}
	return hc.Builtin(ctx, []string{"exit", strconv.Itoa(code)})
}

func asExitStatus(err error, es *interp.ExitStatus) bool {
	if err == nil {
		return false
	}
	if e, ok := err.(interp.ExitStatus); ok {
		*es = e
		return true
	}
	return false
}

// listVars prints the variables as set, export -p or readonly -p do.
func (sh *shell) listVars(hc interp.HandlerContext, prefix string) {
	vars := map[string]expand.Variable{}
	for name, vr := range hc.Env.Each {
		if internalVar(name) {
			continue
		}
		vars[name] = vr
	}
	if prefix == "" {
		extra := map[string]string{"LINENO": "", "FUNCNAME": "", "PPID": strconv.Itoa(sh.p.PPID())}
		for k, v := range extra {
			if _, ok := vars[k]; !ok {
				vars[k] = expand.Variable{Set: true, Kind: expand.String, Str: v}
			}
		}
	}
	names := make([]string, 0, len(vars))
	for n, vr := range vars {
		if !vr.IsSet() || vr.Kind != expand.String {
			continue
		}
		switch prefix {
		case "export":
			if !vr.Exported {
				continue
			}
		case "readonly":
			if !vr.ReadOnly {
				continue
			}
		}
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		line := n + "=" + singleQuote(vars[n].String())
		if prefix != "" {
			line = prefix + " " + line
		}
		fmt.Fprintln(sh.stdoutOf(hc), line)
	}
}

// singleQuote quotes s as ash's single_quote does.
func singleQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
}

// prepareText parses src as ash would, rewrites it and prints it back, for
// the interpreter's eval and source. Syntax errors are reported with the
// builtin's name.
func (sh *shell) prepareText(src, builtin string) (string, error) {
	f, err := parser().Parse(strings.NewReader(src+"\n"), "")
	if err != nil {
		sh.syntaxError(builtin, src, err)
		return "", err
	}
	if err := sh.check(f); err != nil {
		sh.syntaxError(builtin, src, err)
		return "", err
	}
	sh.rewrite(f, false)
	var b strings.Builder
	if err := syntax.NewPrinter().Print(&b, f); err != nil {
		return "", err
	}
	return b.String(), nil
}

// sigName is a signal's name without SIG, as kill -l and trap print it.
func sigName(sig backend.Signal) string {
	return strings.TrimPrefix(sig.String(), "SIG")
}

// read is ash's read builtin. It reads the command's standard input a
// byte at a time, as ash does, so that the rest stays for the next reader.
func (sh *shell) read(ctx context.Context, hc interp.HandlerContext, args []string) error {
	rest := args[1:]
	raw, silent := false, false
	prompt, delim, limit := "", byte('\n'), -1
	for len(rest) > 0 && strings.HasPrefix(rest[0], "-") && len(rest[0]) > 1 {
		a := rest[0]
		rest = rest[1:]
		if a == "--" {
			break
		}
		for i := 1; i < len(a); i++ {
			c := a[i]
			switch c {
			case 'r':
				raw = true
			case 's':
				silent = true
			case 'p', 'd', 'n', 't', 'u':
				val := a[i+1:]
				if val == "" {
					if len(rest) == 0 {
						sh.cmdMsg("read", "option requires an argument -- '%c'", c)
						return status(2)
					}
					val, rest = rest[0], rest[1:]
				}
				switch c {
				case 'p':
					prompt = val
				case 'd':
					if val != "" {
						delim = val[0]
					} else {
						delim = 0
					}
				case 'n':
					n, err := strconv.Atoi(val)
					if err != nil || n < 0 {
						sh.cmdMsg("read", "invalid count")
						return status(1)
					}
					limit = n
				}
				i = len(a)
			default:
				sh.cmdMsg("read", "illegal option -%c", c)
				return status(2)
			}
		}
	}
	names := rest
	if len(names) == 0 {
		names = []string{"REPLY"}
	}
	for _, n := range names {
		if !syntax.ValidName(n) {
			sh.cmdMsg("read", "'%s': bad variable name", n)
			return status(2)
		}
	}
	in := sh.stdin(hc)
	if prompt != "" {
		if _, ok := sh.p.Terminal(0); ok && hc.Stdin == nil {
			io.WriteString(hc.Stderr, prompt)
		}
	}
	if silent && hc.Stdin == nil {
		if t, ok := sh.p.Terminal(0); ok {
			was := t.SetRaw(true)
			defer t.SetRaw(was)
		}
	}
	// Bytes of the line; escaped[i] marks a byte a backslash protected.
	var line []byte
	var escaped []bool
	eof := false
	var b [1]byte
	esc := false
	for limit < 0 || len(line) < limit {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		n, err := in.Read(b[:])
		if n == 0 {
			if err != nil {
				eof = true
				break
			}
			continue
		}
		c := b[0]
		if esc {
			esc = false
			if c == '\n' {
				continue
			}
			line = append(line, c)
			escaped = append(escaped, true)
			continue
		}
		if c == '\\' && !raw {
			esc = true
			continue
		}
		if c == delim {
			break
		}
		line = append(line, c)
		escaped = append(escaped, false)
	}
	ifs := " \t\n"
	if v := hc.Env.Get("IFS"); v.IsSet() {
		ifs = v.String()
	}
	values := splitRead(line, escaped, ifs, len(names))
	var assign strings.Builder
	for i, n := range names {
		v := ""
		if i < len(values) {
			v = values[i]
		}
		assign.WriteString(n + "=" + singleQuote(v) + " ")
	}
	if err := hc.Builtin(ctx, []string{"eval", assign.String()}); err != nil {
		return err
	}
	if eof {
		return status(1)
	}
	return nil
}

// splitRead splits a line read by read into at most n fields by IFS, the
// last field keeping the rest of the line, as POSIX's read does.
func splitRead(line []byte, escaped []bool, ifs string, n int) []string {
	isWS := func(i int) bool {
		c := line[i]
		return !escaped[i] && (c == ' ' || c == '\t' || c == '\n') && strings.IndexByte(ifs, c) >= 0
	}
	isSep := func(i int) bool {
		return !escaped[i] && strings.IndexByte(ifs, line[i]) >= 0
	}
	i := 0
	for i < len(line) && isWS(i) {
		i++
	}
	var out []string
	for len(out) < n-1 && i < len(line) {
		start := i
		for i < len(line) && !isSep(i) {
			i++
		}
		out = append(out, string(line[start:i]))
		// Skip the separator: whitespace, at most one other IFS char,
		// whitespace.
		for i < len(line) && isWS(i) {
			i++
		}
		if i < len(line) && isSep(i) && !isWS(i) {
			i++
			for i < len(line) && isWS(i) {
				i++
			}
		}
	}
	if i < len(line) {
		end := len(line)
		for end > i && isWS(end-1) {
			end--
		}
		out = append(out, string(line[i:end]))
	}
	return out
}
