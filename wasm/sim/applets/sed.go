package applets

import (
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// sedAddr is one address: a line number, $, or a regex.
type sedAddr struct {
	kind  byte // 'n' line, '$' last, '/' regex, '+' relative (addr2), '~' step (addr1)
	n     int
	step  int
	re    *regexp.Regexp
	empty bool // "//": the last regex used
}

type sedCmd struct {
	a1, a2   *sedAddr
	negate   bool
	name     byte
	text     string // a, i, c text; label for b, t, T, :; file for r, w
	re       *regexp.Regexp
	reEmpty  bool
	repl     string
	global   bool
	nth      int
	print    int // p flag count
	icase    bool
	wfile    string
	y1, y2   []rune
	blockEnd int // for '{': index of the matching '}'
	inRange  bool
	rangeEnd int
	qcode    int
}

type sedParser struct {
	s   string
	i   int
	ere bool
	c   *cmd
}

type sedError string

func (e sedError) Error() string { return string(e) }

func (p *sedParser) eof() bool { return p.i >= len(p.s) }
func (p *sedParser) peek() byte {
	if p.eof() {
		return 0
	}
	return p.s[p.i]
}

func (p *sedParser) skipSpace() {
	for !p.eof() && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

// delimited reads up to an unescaped delim, keeping escapes except of the
// delimiter itself; newline escapes become newlines.
func (p *sedParser) delimited(delim byte, regex bool) (string, error) {
	var b strings.Builder
	inBracket := false
	for !p.eof() {
		ch := p.s[p.i]
		if regex && inBracket {
			b.WriteByte(ch)
			p.i++
			if ch == ']' {
				inBracket = false
			}
			continue
		}
		if ch == '\\' && p.i+1 < len(p.s) {
			n := p.s[p.i+1]
			p.i += 2
			switch {
			case n == delim:
				b.WriteByte(delim)
			case n == 'n' && !regex:
				b.WriteByte('\n')
			case n == '\n':
				b.WriteByte('\n')
			default:
				b.WriteByte('\\')
				b.WriteByte(n)
			}
			continue
		}
		if ch == delim {
			p.i++
			return b.String(), nil
		}
		if regex && ch == '[' {
			inBracket = true
			b.WriteByte(ch)
			p.i++
			if p.peek() == '^' {
				b.WriteByte('^')
				p.i++
			}
			if p.peek() == ']' {
				b.WriteByte(']')
				p.i++
			}
			continue
		}
		b.WriteByte(ch)
		p.i++
	}
	return "", sedError(fmt.Sprintf("unmatched '%c'", delim))
}

func (p *sedParser) regex(delim byte) (*regexp.Regexp, bool, error) {
	src, err := p.delimited(delim, true)
	if err != nil {
		return nil, false, err
	}
	flagsI := false
	if src == "" {
		return nil, true, nil
	}
	re, err := compileRegex(src, p.ere, flagsI)
	if err != nil {
		return nil, false, sedError(fmt.Sprintf("bad regex '%s'", src))
	}
	return re, false, nil
}

func (p *sedParser) number() int {
	start := p.i
	for !p.eof() && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		p.i++
	}
	n, _ := strconv.Atoi(p.s[start:p.i])
	return n
}

func (p *sedParser) address() (*sedAddr, error) {
	ch := p.peek()
	switch {
	case ch >= '0' && ch <= '9':
		n := p.number()
		if p.peek() == '~' {
			p.i++
			return &sedAddr{kind: '~', n: n, step: p.number()}, nil
		}
		return &sedAddr{kind: 'n', n: n}, nil
	case ch == '$':
		p.i++
		return &sedAddr{kind: '$'}, nil
	case ch == '/' || ch == '\\':
		delim := byte('/')
		if ch == '\\' {
			p.i++
			delim = p.peek()
		}
		p.i++
		re, empty, err := p.regex(delim)
		if err != nil {
			return nil, err
		}
		a := &sedAddr{kind: '/', re: re, empty: empty}
		if p.peek() == 'I' {
			p.i++
		}
		return a, nil
	}
	return nil, nil
}

// readText reads the text of a, i and c: "a\" newline text, or "a text"
// (GNU one-liner), with backslash-newline continuing it.
func (p *sedParser) readText() string {
	p.skipSpace()
	if p.peek() == '\\' {
		p.i++
		if p.peek() == '\n' {
			p.i++
		}
	}
	var b strings.Builder
	for !p.eof() {
		ch := p.s[p.i]
		if ch == '\\' && p.i+1 < len(p.s) {
			b.WriteByte(p.s[p.i+1])
			p.i += 2
			continue
		}
		if ch == '\n' {
			break
		}
		b.WriteByte(ch)
		p.i++
	}
	return b.String()
}

func (p *sedParser) label() string {
	p.skipSpace()
	start := p.i
	for !p.eof() && p.s[p.i] != '\n' && p.s[p.i] != ';' {
		p.i++
	}
	return strings.TrimRight(p.s[start:p.i], " \t")
}

func parseSed(script string, ere bool, c *cmd) ([]*sedCmd, error) {
	p := &sedParser{s: script, ere: ere, c: c}
	var cmds []*sedCmd
	var open []int
	for {
		for !p.eof() && strings.IndexByte(" \t\n;", p.peek()) >= 0 {
			p.i++
		}
		if p.eof() {
			break
		}
		if p.peek() == '#' {
			for !p.eof() && p.peek() != '\n' {
				p.i++
			}
			continue
		}
		sc := &sedCmd{}
		a1, err := p.address()
		if err != nil {
			return nil, err
		}
		sc.a1 = a1
		if a1 != nil && p.peek() == ',' {
			p.i++
			p.skipSpace()
			if p.peek() == '+' {
				p.i++
				sc.a2 = &sedAddr{kind: '+', n: p.number()}
			} else {
				a2, err := p.address()
				if err != nil {
					return nil, err
				}
				if a2 == nil {
					return nil, sedError("unexpected ','")
				}
				sc.a2 = a2
			}
		}
		p.skipSpace()
		for p.peek() == '!' {
			sc.negate = true
			p.i++
			p.skipSpace()
		}
		if p.eof() {
			return nil, sedError("missing command")
		}
		sc.name = p.s[p.i]
		p.i++
		switch sc.name {
		case '{':
			open = append(open, len(cmds))
		case '}':
			if len(open) == 0 {
				return nil, sedError("unexpected '}'")
			}
			cmds[open[len(open)-1]].blockEnd = len(cmds)
			open = open[:len(open)-1]
		case 's':
			delim := p.peek()
			if delim == 0 || delim == '\n' || delim == '\\' {
				return nil, sedError("bad format in substitution expression")
			}
			p.i++
			re, empty, err := p.regex(delim)
			if err != nil {
				return nil, err
			}
			sc.re, sc.reEmpty = re, empty
			repl, err := p.delimited(delim, false)
			if err != nil {
				return nil, err
			}
			sc.repl = repl
			for !p.eof() {
				ch := p.peek()
				switch {
				case ch == 'g':
					sc.global = true
				case ch == 'p':
					sc.print++
				case ch == 'i' || ch == 'I':
					sc.icase = true
				case ch >= '0' && ch <= '9':
					sc.nth = p.number()
					continue
				case ch == 'w':
					p.i++
					sc.wfile = strings.TrimSpace(p.label())
					continue
				case ch == 'e' || ch == 'm' || ch == 'M':
				default:
					goto sdone
				}
				p.i++
			}
		sdone:
			if sc.icase && sc.re != nil {
				src := sc.re.String()
				re, err := regexp.Compile("(?i)" + src)
				if err == nil {
					re.Longest()
					sc.re = re
				}
			}
		case 'y':
			delim := p.peek()
			p.i++
			a, err := p.delimited(delim, false)
			if err != nil {
				return nil, err
			}
			b, err := p.delimited(delim, false)
			if err != nil {
				return nil, err
			}
			sc.y1, sc.y2 = []rune(unescapeSed(a)), []rune(unescapeSed(b))
			if len(sc.y1) != len(sc.y2) {
				return nil, sedError("strings for y command are different lengths")
			}
		case 'a', 'i', 'c':
			sc.text = p.readText()
		case 'b', 't', 'T', ':':
			sc.text = p.label()
			if sc.name == ':' && sc.text == "" {
				return nil, sedError("\":\" lacks a label")
			}
		case 'r', 'R', 'w', 'W':
			sc.text = strings.TrimSpace(p.label())
		case 'q', 'Q':
			p.skipSpace()
			if c := p.peek(); c >= '0' && c <= '9' {
				sc.qcode = p.number()
			}
		case 'd', 'D', 'p', 'P', 'n', 'N', 'g', 'G', 'h', 'H', 'x', '=', 'l', 'z':
		default:
			return nil, sedError(fmt.Sprintf("unsupported command %c", sc.name))
		}
		cmds = append(cmds, sc)
	}
	if len(open) > 0 {
		return nil, sedError("unmatched '{'")
	}
	return cmds, nil
}

func unescapeSed(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			default:
				b.WriteByte(s[i])
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// sedRun is the state of one sed run over its input lines.
type sedRun struct {
	c       *cmd
	cmds    []*sedCmd
	quiet   bool
	lines   []string
	noEOL   bool // the last line had no newline
	idx     int  // next line to read
	lineNo  int
	hold    string
	lastRe  *regexp.Regexp
	out     io.Writer
	wfiles  map[string]io.WriteCloser
	append  []string
	quitAt  int
	quitted bool
	code    int
}

func (r *sedRun) match(a *sedAddr, ps string) bool {
	switch a.kind {
	case 'n':
		return r.lineNo == a.n
	case '$':
		return r.idx >= len(r.lines)
	case '~':
		if a.step <= 0 {
			return r.lineNo == a.n
		}
		return r.lineNo >= a.n && (r.lineNo-a.n)%a.step == 0
	case '/':
		re := a.re
		if a.empty {
			re = r.lastRe
		} else {
			r.lastRe = re
		}
		return re != nil && re.MatchString(ps)
	}
	return false
}

func (r *sedRun) selected(sc *sedCmd, ps string) bool {
	if sc.a1 == nil {
		return !sc.negate
	}
	var sel bool
	if sc.a2 == nil {
		sel = r.match(sc.a1, ps)
	} else if sc.inRange {
		sel = true
		switch sc.a2.kind {
		case 'n':
			if r.lineNo >= sc.a2.n {
				sc.inRange = false
			}
		case '+':
			if r.lineNo >= sc.rangeEnd {
				sc.inRange = false
			}
		default:
			if r.match(sc.a2, ps) {
				sc.inRange = false
			}
		}
	} else if r.match(sc.a1, ps) || (sc.a1.kind == 'n' && sc.a1.n == 0 && r.lineNo == 1) {
		sel = true
		sc.inRange = true
		switch sc.a2.kind {
		case 'n':
			if sc.a2.n <= r.lineNo {
				sc.inRange = false
			}
		case '+':
			sc.rangeEnd = r.lineNo + sc.a2.n
			if sc.a2.n == 0 {
				sc.inRange = false
			}
		case '$':
			if r.idx >= len(r.lines) {
				sc.inRange = false
			}
		case '/':
			if sc.a1.kind == 'n' && sc.a1.n == 0 && r.match(sc.a2, ps) {
				sc.inRange = false
			}
		}
	}
	return sel != sc.negate
}

func (r *sedRun) emit(s string, nl bool) {
	io.WriteString(r.out, s)
	if nl {
		io.WriteString(r.out, "\n")
	}
}

// substitute applies s///; it reports whether it replaced.
func (r *sedRun) substitute(sc *sedCmd, ps string) (string, bool) {
	re := sc.re
	if sc.reEmpty {
		re = r.lastRe
	} else {
		r.lastRe = re
	}
	if re == nil {
		return ps, false
	}
	locs := re.FindAllStringSubmatchIndex(ps, -1)
	if len(locs) == 0 {
		return ps, false
	}
	var b strings.Builder
	last := 0
	done := false
	n := 0
	for _, loc := range locs {
		n++
		if (sc.nth > 0 && n < sc.nth) || (done && !sc.global) {
			continue
		}
		b.WriteString(ps[last:loc[0]])
		b.WriteString(expandRepl(sc.repl, ps, loc))
		last = loc[1]
		done = true
		if !sc.global {
			break
		}
	}
	if !done {
		return ps, false
	}
	b.WriteString(ps[last:])
	return b.String(), true
}

func expandRepl(repl, s string, loc []int) string {
	var b strings.Builder
	for i := 0; i < len(repl); i++ {
		ch := repl[i]
		if ch == '&' {
			b.WriteString(s[loc[0]:loc[1]])
			continue
		}
		if ch == '\\' && i+1 < len(repl) {
			i++
			n := repl[i]
			if n >= '0' && n <= '9' {
				g := int(n - '0')
				if 2*g+1 < len(loc) && loc[2*g] >= 0 {
					b.WriteString(s[loc[2*g]:loc[2*g+1]])
				}
				continue
			}
			switch n {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			default:
				b.WriteByte(n)
			}
			continue
		}
		b.WriteByte(ch)
	}
	return b.String()
}

func (r *sedRun) nextLine() (string, bool) {
	if r.idx >= len(r.lines) {
		return "", false
	}
	l := r.lines[r.idx]
	r.idx++
	r.lineNo++
	return l, true
}

func (r *sedRun) flushAppend() {
	for _, a := range r.append {
		r.emit(a, true)
	}
	r.append = nil
}

// run processes all lines.
func (r *sedRun) run() {
	for !r.quitted {
		ps, ok := r.nextLine()
		if !ok {
			break
		}
		r.cycle(ps)
	}
}

func (r *sedRun) endOfCycle(ps string, print bool) {
	if print && !r.quiet {
		r.emit(ps, !(r.noEOL && r.idx >= len(r.lines)))
	}
	r.flushAppend()
}

func (r *sedRun) cycle(ps string) {
	tflag := false
	for pc := 0; pc < len(r.cmds); pc++ {
		sc := r.cmds[pc]
		if sc.name == '}' || sc.name == ':' {
			continue
		}
		if !r.selected(sc, ps) {
			if sc.name == '{' {
				pc = sc.blockEnd
			}
			continue
		}
		switch sc.name {
		case '{':
		case 's':
			if np, ok := r.substitute(sc, ps); ok {
				ps = np
				tflag = true
				for i := 0; i < sc.print; i++ {
					r.emit(ps, true)
				}
				if sc.wfile != "" {
					r.writeTo(sc.wfile, ps)
				}
			}
		case 'd':
			r.flushAppend()
			return
		case 'D':
			if i := strings.IndexByte(ps, '\n'); i >= 0 {
				ps = ps[i+1:]
				r.flushAppend()
				r.cycle(ps)
				return
			}
			r.flushAppend()
			return
		case 'p':
			r.emit(ps, true)
		case 'P':
			first, _, _ := strings.Cut(ps, "\n")
			r.emit(first, true)
		case 'n':
			if r.idx >= len(r.lines) {
				r.endOfCycle(ps, true)
				r.quitted = true
				return
			}
			if !r.quiet {
				r.emit(ps, true)
			}
			r.flushAppend()
			ps, _ = r.nextLine()
		case 'N':
			if r.idx >= len(r.lines) {
				r.endOfCycle(ps, true)
				r.quitted = true
				return
			}
			next, _ := r.nextLine()
			ps += "\n" + next
		case 'g':
			ps = r.hold
		case 'G':
			ps += "\n" + r.hold
		case 'h':
			r.hold = ps
		case 'H':
			r.hold += "\n" + ps
		case 'x':
			ps, r.hold = r.hold, ps
		case 'a':
			r.append = append(r.append, sc.text)
		case 'i':
			r.emit(sc.text, true)
		case 'c':
			if sc.a2 == nil || !sc.inRange {
				r.emit(sc.text, true)
			}
			r.flushAppend()
			return
		case 'y':
			rs := []rune(ps)
			for i, ch := range rs {
				for j, f := range sc.y1 {
					if ch == f {
						rs[i] = sc.y2[j]
						break
					}
				}
			}
			ps = string(rs)
		case '=':
			r.emit(strconv.Itoa(r.lineNo), true)
		case 'l':
			r.emit(sedList(ps), true)
		case 'z':
			ps = ""
		case 'q':
			r.endOfCycle(ps, true)
			r.quitted, r.code = true, sc.qcode
			return
		case 'Q':
			r.quitted, r.code = true, sc.qcode
			return
		case 'b', 't', 'T':
			jump := sc.name == 'b' || (sc.name == 't' && tflag) || (sc.name == 'T' && !tflag)
			if sc.name != 'b' {
				tflag = false
			}
			if !jump {
				continue
			}
			if sc.text == "" {
				pc = len(r.cmds)
				continue
			}
			for j, t := range r.cmds {
				if t.name == ':' && t.text == sc.text {
					pc = j
					break
				}
			}
		case 'r':
			if f, err := r.c.open(sc.text); err == nil {
				r.append = append(r.append, strings.TrimSuffix(readAllString(f), "\n"))
				f.Close()
			}
		case 'w':
			r.writeTo(sc.text, ps)
		}
	}
	r.endOfCycle(ps, true)
}

func (r *sedRun) writeTo(name, s string) {
	if r.wfiles == nil {
		r.wfiles = map[string]io.WriteCloser{}
	}
	w, ok := r.wfiles[name]
	if !ok {
		f, err := r.c.openFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666)
		if err != nil {
			return
		}
		w = f
		r.wfiles[name] = w
	}
	io.WriteString(w, s+"\n")
}

// sedList is l's unambiguous form of a line.
func sedList(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '\\':
			b.WriteString(`\\`)
		case ch == '\n':
			b.WriteString(`\n`)
		case ch == '\t':
			b.WriteString(`\t`)
		case ch < 32 || ch >= 127:
			fmt.Fprintf(&b, "\\%03o", ch)
		default:
			b.WriteByte(ch)
		}
	}
	return b.String() + "$"
}

func sedMain(c *cmd) int {
	o, ok := c.getopt(c.args[1:], "i::nrEe:f:s", "in-place=?", "quiet", "silent", "expression=", "file=", "regexp-extended", "separate")
	if !ok {
		return 1
	}
	var script []string
	for _, x := range o.list {
		switch x.name {
		case "e", "expression":
			script = append(script, x.arg)
		case "f", "file":
			r, closeFn, err := c.input(x.arg)
			if err != nil {
				c.errorf("can't open '%s': %s", x.arg, Strerror(err))
				return 1
			}
			script = append(script, strings.TrimSuffix(readAllString(r), "\n"))
			closeFn()
		}
	}
	args := o.args
	if len(script) == 0 {
		if len(args) == 0 {
			return c.usageError()
		}
		script = []string{args[0]}
		args = args[1:]
	}
	ere := o.has("r") || o.has("E") || o.has("regexp-extended")
	cmds, err := parseSed(strings.Join(script, "\n"), ere, c)
	if err != nil {
		c.errorf("%s", err)
		return 1
	}
	quiet := o.has("n") || o.has("quiet") || o.has("silent")
	inPlace := o.has("i") || o.has("in-place")
	suffix, _ := o.val("i")
	if v, ok := o.val("in-place"); ok {
		suffix = v
	}
	if inPlace {
		if len(args) == 0 {
			c.errorf("no input files")
			return 1
		}
		st := 0
		for _, name := range args {
			r, closeFn, err := c.input(name)
			if err != nil {
				c.perror(name, err)
				st = 1
				continue
			}
			data := readAllString(r)
			closeFn()
			var buf strings.Builder
			run := newSedRun(c, cmds, quiet, data, &buf)
			run.run()
			if suffix != "" {
				bak, err := c.openFile(name+suffix, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666)
				if err == nil {
					io.WriteString(bak, data)
					bak.Close()
				}
			}
			f, err := c.openFile(name, os.O_WRONLY|os.O_TRUNC, 0o666)
			if err != nil {
				c.errorf("can't create '%s': %s", name, Strerror(err))
				st = 1
				continue
			}
			io.WriteString(f, buf.String())
			f.Close()
			run.closeFiles()
			if run.quitted {
				return run.code
			}
		}
		return st
	}
	if len(args) == 0 {
		args = []string{"-"}
	}
	var all strings.Builder
	st := 0
	for _, name := range args {
		r, closeFn, err := c.input(name)
		if err != nil {
			c.perror(name, err)
			st = 1
			continue
		}
		s := readAllString(r)
		closeFn()
		if all.Len() > 0 && !strings.HasSuffix(all.String(), "\n") {
			all.WriteByte('\n')
		}
		all.WriteString(s)
	}
	run := newSedRun(c, cmds, quiet, all.String(), c.out)
	run.run()
	run.closeFiles()
	if run.code != 0 {
		return run.code
	}
	return st
}

func newSedRun(c *cmd, cmds []*sedCmd, quiet bool, data string, out io.Writer) *sedRun {
	r := &sedRun{c: c, cmds: cmds, quiet: quiet, out: out}
	if data != "" {
		r.noEOL = !strings.HasSuffix(data, "\n")
		r.lines = strings.Split(strings.TrimSuffix(data, "\n"), "\n")
	}
	for _, sc := range cmds {
		sc.inRange = false
	}
	return r
}

func (r *sedRun) closeFiles() {
	for _, w := range r.wfiles {
		w.Close()
	}
}
