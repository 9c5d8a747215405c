package shell

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"mvdan.cc/sh/v3/syntax"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

// banner is what interactive ash prints first.
const banner = "\n\nBusyBox v1.35.0 (Debian 1:1.35.0-4+deb12u1+b1) built-in shell (ash)\n" +
	"Enter 'help' for a list of built-in commands.\n\n"

var (
	errInterrupted = errors.New("interrupted")
	errResized     = errors.New("terminal resized")
)

// lineReader reads lines from the terminal, one read(2) at a time and only
// when asked, so that commands the shell runs read their own input. A ^C
// while waiting leaves the read outstanding for the next line.
type lineReader struct {
	r       io.Reader
	pending []byte
	result  chan readResult
	reading bool
}

type readResult struct {
	b   []byte
	err error
}

func (l *lineReader) next(ctx context.Context, intr, winch <-chan backend.Signal) (string, error) {
	for {
		if i := strings.IndexByte(string(l.pending), '\n'); i >= 0 {
			line := string(l.pending[:i+1])
			l.pending = l.pending[i+1:]
			return line, nil
		}
		if !l.reading {
			l.reading = true
			go func() {
				buf := make([]byte, 4096)
				n, err := l.r.Read(buf)
				l.result <- readResult{buf[:n], err}
			}()
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-intr:
			return "", errInterrupted
		case <-winch:
			return "", errResized
		case res := <-l.result:
			l.reading = false
			l.pending = append(l.pending, res.b...)
			if res.err != nil && len(res.b) == 0 {
				if len(l.pending) > 0 {
					line := string(l.pending)
					l.pending = nil
					return line, nil
				}
				return "", res.err
			}
			if len(res.b) == 0 {
				// A terminal's read returns 0 bytes at ^D.
				if len(l.pending) > 0 {
					line := string(l.pending)
					l.pending = nil
					return line, nil
				}
				return "", io.EOF
			}
		}
	}
}

// interact is the interactive shell: prompt, read a line, run it.
//
// ^C reaches the shell and its foreground child together (the terminal
// signals its foreground process group). At the prompt it drops the line
// being typed; while a statement of builtins runs it stops the statement;
// a child killed by it stops the statement too (see waitChild).
func (sh *shell) interact(ctx context.Context) int {
	stderr := sh.p.Stderr()
	io.WriteString(stderr, banner)
	sigs := make(chan backend.Signal, 8)
	sh.p.Notify(sigs, backend.SIGINT)
	// A new window size (SIGWINCH, as docker attach causes) makes ash's
	// line editor redraw the prompt: "\r", the prompt, ESC[J.
	winch := make(chan backend.Signal, 8)
	sh.p.Notify(winch, backend.SIGWINCH)
	sh.p.Ignore(backend.SIGTERM)
	sh.p.Ignore(backend.SIGQUIT)
	drain := func() {
		for {
			select {
			case <-sigs:
			default:
				return
			}
		}
	}
	lines := &lineReader{r: sh.p.Stdin(), result: make(chan readResult, 1)}
	if lines.r == nil {
		lines.r = strings.NewReader("")
	}
	var buf strings.Builder
	st := 0
	for {
		sh.jobs.notifyDone(stderr)
		ps := "PS1"
		if buf.Len() > 0 {
			ps = "PS2"
		}
		for len(winch) > 0 {
			<-winch
		}
		io.WriteString(stderr, sh.prompt(ps))
		line, err := lines.next(ctx, sigs, winch)
		for errors.Is(err, errResized) {
			io.WriteString(stderr, "\r"+sh.prompt(ps)+"\x1b[J")
			line, err = lines.next(ctx, sigs, winch)
		}
		if errors.Is(err, errInterrupted) {
			buf.Reset()
			io.WriteString(stderr, "\n")
			st = 130
			continue
		}
		if err != nil {
			if ctx.Err() == nil {
				io.WriteString(stderr, "\n")
			}
			return st
		}
		buf.WriteString(line)
		if l := strings.TrimRight(line, "\n"); strings.TrimSpace(l) != "" {
			sh.mu.Lock()
			sh.history = append(sh.history, l)
			sh.mu.Unlock()
		}
		src := buf.String()
		f, perr := parser().Parse(strings.NewReader(src), "")
		if perr != nil {
			if incomplete(perr) {
				continue
			}
			buf.Reset()
			sh.syntaxError("", src, perr)
			st = 2
			continue
		}
		buf.Reset()
		if err := sh.check(f); err != nil {
			sh.syntaxError("", src, err)
			st = 2
			continue
		}
		sh.rewrite(f, false)
		for _, s := range f.Stmts {
			if ctx.Err() != nil {
				return st
			}
			var err error
			interrupted := sh.runInterruptible(ctx, sigs, func(sctx context.Context) {
				err = sh.runner.Run(sctx, s)
			})
			drain()
			if interrupted {
				// ^C: the rest of the line is dropped.
				io.WriteString(stderr, "\n")
				st = 130
				break
			}
			var ex errExec
			if errors.As(err, &ex) {
				sh.execed = true
				return ex.status
			}
			st = exitCode(err)
			if sh.runErr.takeFatal() && !sh.runner.Exited() {
				st = 2
				break
			}
			if sh.runner.Exited() {
				return st
			}
		}
	}
}

// runInterruptible runs one statement; a ^C while only builtins run stops
// it. It reports whether the statement was stopped by ^C.
func (sh *shell) runInterruptible(ctx context.Context, sigs <-chan backend.Signal, run func(context.Context)) bool {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sh.mu.Lock()
	sh.stmtCancel = cancel
	sh.mu.Unlock()
	sh.ranSince = time.Now()
	done := make(chan struct{})
	watcher := make(chan struct{})
	go func() {
		defer close(watcher)
		for {
			select {
			case <-done:
				return
			case <-sigs:
				sh.mu.Lock()
				children := sh.children
				sh.mu.Unlock()
				if children == 0 {
					cancel()
				}
			}
		}
	}()
	run(sctx)
	close(done)
	<-watcher
	sh.mu.Lock()
	sh.stmtCancel = nil
	sh.mu.Unlock()
	return sctx.Err() != nil && ctx.Err() == nil
}

// prompt expands PS1 or PS2 as ash's fancy prompt does: \w the working
// directory (~ for HOME), \W its last element, \u the user, \h the host,
// \$ # for root, else $.
func (sh *shell) prompt(name string) string {
	ps := "> "
	if name == "PS1" {
		ps = `\w \$ `
	}
	if v, ok := sh.runner.Vars[name]; ok {
		ps = v.String()
	}
	dir := sh.runner.Dir
	home := ""
	if v, ok := sh.runner.Vars["HOME"]; ok {
		home = v.String()
	}
	var b strings.Builder
	for i := 0; i < len(ps); i++ {
		c := ps[i]
		if c != '\\' || i+1 >= len(ps) {
			b.WriteByte(c)
			continue
		}
		i++
		switch ps[i] {
		case 'w':
			if home != "" && (dir == home || strings.HasPrefix(dir, home+"/")) && home != "/" {
				b.WriteString("~" + strings.TrimPrefix(dir, home))
			} else {
				b.WriteString(dir)
			}
		case 'W':
			if dir == "/" {
				b.WriteString("/")
			} else {
				b.WriteString(dir[strings.LastIndexByte(dir, '/')+1:])
			}
		case '$':
			if sh.p.Cred().UID == 0 {
				b.WriteByte('#')
			} else {
				b.WriteByte('$')
			}
		case 'u':
			b.WriteString(sh.userName())
		case 'h':
			h := sh.p.Hostname()
			if i := strings.IndexByte(h, '.'); i >= 0 {
				h = h[:i]
			}
			b.WriteString(h)
		case 'H':
			b.WriteString(sh.p.Hostname())
		case 'n':
			b.WriteByte('\n')
		case '\\':
			b.WriteByte('\\')
		case '[', ']':
		default:
			b.WriteByte('\\')
			b.WriteByte(ps[i])
		}
	}
	return b.String()
}

func (sh *shell) userName() string {
	uid := sh.p.Cred().UID
	for _, line := range strings.Split(sh.readFile("/etc/passwd"), "\n") {
		f := strings.Split(line, ":")
		if len(f) >= 3 && f[2] == fmt.Sprint(uid) {
			return f[0]
		}
	}
	return fmt.Sprint(uid)
}

// incomplete reports whether src ends inside a command that goes on in
// the next line, so the shell asks for more (PS2). mvdan/sh marks an open
// quoted here-document (<<'EOF') complete, unlike <<EOF: both go on.
func incomplete(err error) bool {
	var pe syntax.ParseError
	if errors.As(err, &pe) && strings.HasPrefix(pe.Text, "unclosed here-document") {
		return true
	}
	return syntax.IsIncomplete(err)
}
