package shell

import (
	"context"
	"errors"
	"io"
	"strconv"
	"strings"
	"sync"

	"mvdan.cc/sh/v3/interp"
	"mvdan.cc/sh/v3/syntax"
)

// setup makes the interpreter: the process's environment and directory,
// handlers over the process, options and positional parameters.
func (sh *shell) setup(params, set []string) error {
	sh.env = newBaseEnv(sh, sh.p.Environ())
	popts := append(append([]string{}, set...), "--")
	popts = append(popts, params...)
	r, err := interp.New(
		interp.Env(sh.env),
		func(r *interp.Runner) error { r.Dir = sh.p.Dir(); return nil },
		// No standard input: commands read the process's own (see
		// shell.stdin); giving it to the interpreter would make it copy
		// the stream eagerly outside js/wasm.
		interp.StdIO(nil, sh.stdout, sh.runErr),
		interp.OpenHandler(sh.open),
		interp.StatHandler(sh.stat),
		interp.ReadDirHandler2(sh.readDir),
		interp.AccessHandler(sh.access),
		interp.CallHandler(sh.call),
		interp.ExecHandlers(sh.execMiddleware),
		interp.Params(popts...),
	)
	if err != nil {
		return err
	}
	sh.runner = r
	sh.env.resetting.Store(true)
	r.Reset()
	sh.env.resetting.Store(false)
	// ash's own variables: SHLVL and PWD are exported; the prompts are set.
	lvl := 0
	if v, ok := sh.env.vars["SHLVL"]; ok {
		lvl, _ = strconv.Atoi(v)
	}
	init := "export SHLVL=" + strconv.Itoa(lvl+1) + " PWD\n"
	if _, ok := sh.env.vars["PATH"]; !ok {
		init += "export PATH=/sbin:/usr/sbin:/bin:/usr/bin\n"
	}
	init += `PS1='\w \$ ' PS2='> ' PS4='+ '` + "\n"
	f, err := parser().Parse(strings.NewReader(init), "")
	if err != nil {
		return err
	}
	return r.Run(sh.p.Context(), f)
}

// exitCode is the status a runner error stands for.
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var es interp.ExitStatus
	if errors.As(err, &es) {
		return int(es)
	}
	var ex errExec
	if errors.As(err, &ex) {
		return ex.status
	}
	return 1
}

// parseSource parses a whole script as ash reads it, one line at a time:
// the statements of the lines before a syntax error, and the error.
func (sh *shell) parseSource(src string) ([]*syntax.Stmt, error) {
	closedDoc := false
	for tries := 0; ; tries++ {
		var stmts []*syntax.Stmt
		var perr error
		p := parser()
		for batch, err := range p.InteractiveSeq(strings.NewReader(src + "\n")) {
			if err != nil {
				perr = err
				break
			}
			if p.Incomplete() {
				continue
			}
			stmts = append(stmts, batch...)
		}
		if perr != nil && tries < 8 {
			if delim, ok := heredocDelim(perr); ok {
				// ash ends a here-document at the end of the input.
				closedDoc = closedDoc || !strings.HasSuffix(src, "\n")
				src += "\n" + delim
				continue
			}
		}
		if perr == nil && closedDoc {
			trimLastHeredoc(stmts)
		}
		if perr == nil {
			f := &syntax.File{Stmts: stmts}
			if err := sh.check(f); err != nil {
				// The statements before the offending line still run.
				line := int(err.(*ashError).line)
				var before []*syntax.Stmt
				for _, s := range stmts {
					if int(s.End().Line()) < line {
						before = append(before, s)
					}
				}
				return before, err
			}
		}
		return stmts, perr
	}
}

// trimLastHeredoc drops the newline the parser adds at the end of a
// here-document that the input ended without one.
func trimLastHeredoc(stmts []*syntax.Stmt) {
	var last *syntax.Redirect
	for _, s := range stmts {
		syntax.Walk(s, func(n syntax.Node) bool {
			if r, ok := n.(*syntax.Redirect); ok && r.Hdoc != nil {
				last = r
			}
			return true
		})
	}
	if last == nil || len(last.Hdoc.Parts) == 0 {
		return
	}
	if l, ok := last.Hdoc.Parts[len(last.Hdoc.Parts)-1].(*syntax.Lit); ok {
		l.Value = strings.TrimSuffix(l.Value, "\n")
	}
}

// runSource runs a -c string or a script file.
func (sh *shell) runSource(ctx context.Context, src string, minusC bool) int {
	stmts, perr := sh.parseSource(src)
	f := &syntax.File{Stmts: stmts}
	sh.rewrite(f, minusC && perr == nil)
	st := 0
	for _, s := range f.Stmts {
		if ctx.Err() != nil {
			return st
		}
		sh.setLine(int(s.Pos().Line()))
		err := sh.runner.Run(ctx, s)
		var ex errExec
		if errors.As(err, &ex) {
			sh.execed = true
			return ex.status
		}
		st = exitCode(err)
		if sh.runErr.takeFatal() && !sh.interactive {
			return 2
		}
		if sh.runner.Exited() {
			return st
		}
	}
	if perr != nil {
		sh.syntaxError("", src, perr)
		return 2
	}
	return st
}

// runStream runs commands read from r (sh -s, or sh with standard input
// not a terminal), line by line as they arrive.
func (sh *shell) runStream(ctx context.Context, r io.Reader) int {
	if r == nil {
		return 0
	}
	st := 0
	var text strings.Builder
	p := parser()
	src := &eolReader{r: &recordReader{r: r, w: &text}}
	for batch, err := range p.InteractiveSeq(src) {
		if err != nil {
			sh.syntaxError("", text.String(), err)
			return 2
		}
		if p.Incomplete() || len(batch) == 0 {
			continue
		}
		f := &syntax.File{Stmts: append([]*syntax.Stmt(nil), batch...)}
		if err := sh.check(f); err != nil {
			sh.syntaxError("", text.String(), err)
			return 2
		}
		sh.rewrite(f, false)
		for _, s := range f.Stmts {
			if ctx.Err() != nil {
				return st
			}
			sh.setLine(int(s.Pos().Line()))
			err := sh.runner.Run(ctx, s)
			var ex errExec
			if errors.As(err, &ex) {
				sh.execed = true
				return ex.status
			}
			st = exitCode(err)
			if sh.runErr.takeFatal() {
				return 2
			}
			if sh.runner.Exited() {
				return st
			}
		}
	}
	return st
}

// eolReader adds a newline at the end of its input, so that the parser
// sees the last line complete.
type eolReader struct {
	r    io.Reader
	done bool
}

func (e *eolReader) Read(b []byte) (int, error) {
	if e.done {
		return 0, io.EOF
	}
	n, err := e.r.Read(b)
	if err == io.EOF {
		if n == 0 && len(b) > 0 {
			b[0] = '\n'
			n = 1
		}
		e.done = true
		if n > 0 {
			return n, nil
		}
	}
	return n, err
}

// recordReader keeps a copy of what it reads, for error messages.
type recordReader struct {
	r io.Reader
	w *strings.Builder
}

func (r *recordReader) Read(b []byte) (int, error) {
	n, err := r.r.Read(b)
	r.w.Write(b[:n])
	return n, err
}

// sourceTable holds prepared text for the interpreter's source builtin,
// under names only the open handler knows.
type sourceTable struct {
	mu   sync.Mutex
	m    map[string]string
	next int
}

// sourcePrefix makes a name no shell word can spell (NUL), and that the
// interpreter's path checks reject before any system call.
const sourcePrefix = "/\x00twinbox-source/"

func (t *sourceTable) put(text string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = map[string]string{}
	}
	t.next++
	key := sourcePrefix + strconv.Itoa(t.next)
	t.m[key] = text
	return key
}

func (t *sourceTable) take(key string) (string, bool) {
	if !strings.HasPrefix(key, sourcePrefix) {
		return "", false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	s, ok := t.m[key]
	delete(t.m, key)
	return s, ok
}
