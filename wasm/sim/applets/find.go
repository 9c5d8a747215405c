package applets

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/twinbox-dev/twinbox/wasm/sim/vfs"
)

// findExpr is a node of find's expression.
type findExpr struct {
	op       string // "and", "or", "not", or a primary
	l, r     *findExpr
	arg      string
	args     []string // -exec
	plus     bool
	n        int64
	cmp      int // -1 less, 0 exact, 1 greater
	re       *regexp.Regexp
	ref      fs.FileInfo
	batch    []string
	mult     int64
	hasPrint bool
}

type findParser struct {
	c    *cmd
	args []string
	i    int
	err  string
}

func (p *findParser) more() bool { return p.i < len(p.args) }

func (p *findParser) parseOr() *findExpr {
	l := p.parseAnd()
	for p.more() && (p.args[p.i] == "-o" || p.args[p.i] == "-or") {
		p.i++
		r := p.parseAnd()
		l = &findExpr{op: "or", l: l, r: r}
	}
	return l
}

func (p *findParser) parseAnd() *findExpr {
	l := p.parseNot()
	for p.more() && p.args[p.i] != "-o" && p.args[p.i] != "-or" && p.args[p.i] != ")" {
		if p.args[p.i] == "-a" || p.args[p.i] == "-and" {
			p.i++
		}
		r := p.parseNot()
		if r == nil {
			break
		}
		l = &findExpr{op: "and", l: l, r: r}
	}
	return l
}

func (p *findParser) parseNot() *findExpr {
	if p.more() && (p.args[p.i] == "!" || p.args[p.i] == "-not") {
		p.i++
		return &findExpr{op: "not", l: p.parseNot()}
	}
	return p.primary()
}

// numArg reads +N, -N or N.
func findNum(s string) (int64, int, bool) {
	cmp := 0
	if strings.HasPrefix(s, "+") {
		cmp, s = 1, s[1:]
	} else if strings.HasPrefix(s, "-") {
		cmp, s = -1, s[1:]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, cmp, err == nil
}

func (p *findParser) primary() *findExpr {
	if !p.more() {
		return &findExpr{op: "true"}
	}
	tok := p.args[p.i]
	p.i++
	need := func() string {
		if !p.more() {
			p.err = "missing argument to '" + tok + "'"
			return ""
		}
		p.i++
		return p.args[p.i-1]
	}
	e := &findExpr{op: tok}
	switch tok {
	case "(":
		e = p.parseOr()
		if !p.more() || p.args[p.i] != ")" {
			p.err = "missing ')'"
			return e
		}
		p.i++
		return e
	case "-name", "-iname", "-path", "-ipath", "-wholename", "-type", "-user", "-group", "-perm", "-samefile", "-context":
		e.arg = need()
	case "-regex":
		e.arg = need()
		re, err := compileRegex("^(?:"+e.arg+")$", false, false)
		if err != nil {
			p.err = "bad regex '" + e.arg + "'"
		}
		e.re = re
	case "-newer":
		e.arg = need()
		fi, err := p.c.stat(e.arg)
		if err != nil {
			p.err = e.arg + ": " + Strerror(err)
		}
		e.ref = fi
	case "-mtime", "-atime", "-ctime", "-mmin", "-amin", "-cmin", "-links", "-inum":
		e.arg = need()
		n, cmp, ok := findNum(e.arg)
		if !ok {
			p.err = "invalid number '" + e.arg + "'"
		}
		e.n, e.cmp = n, cmp
	case "-size":
		e.arg = need()
		s := e.arg
		e.mult = 512
		if len(s) > 0 {
			switch s[len(s)-1] {
			case 'c':
				e.mult, s = 1, s[:len(s)-1]
			case 'k':
				e.mult, s = 1024, s[:len(s)-1]
			case 'b':
				s = s[:len(s)-1]
			case 'M':
				e.mult, s = 1<<20, s[:len(s)-1]
			case 'G':
				e.mult, s = 1<<30, s[:len(s)-1]
			}
		}
		n, cmp, ok := findNum(s)
		if !ok {
			p.err = "invalid number '" + e.arg + "'"
		}
		e.n, e.cmp = n, cmp
	case "-exec", "-ok":
		for p.more() && p.args[p.i] != ";" && !(p.args[p.i] == "+" && p.i > 0 && p.args[p.i-1] == "{}") {
			e.args = append(e.args, p.args[p.i])
			p.i++
		}
		if !p.more() {
			p.err = "-exec CMD must end by ';' or '+'"
			return e
		}
		e.plus = p.args[p.i] == "+"
		p.i++
		if len(e.args) == 0 {
			p.err = "-exec CMD must end by ';' or '+'"
		}
	case "-print", "-print0", "-prune", "-quit", "-empty", "-executable", "-true", "-false", "-xdev", "-depth", "-follow":
	case "-maxdepth", "-mindepth":
		e.arg = need()
	default:
		p.err = "unrecognized: " + tok
		p.i = len(p.args)
	}
	return e
}

type findRun struct {
	c           *cmd
	expr        *findExpr
	minD, maxD  int
	follow      bool
	followTop   bool
	depthFirst  bool
	implicit    bool
	status      int
	quit        bool
	pending     []*findExpr
	ownStatuses bool
}

func (f *findRun) eval(e *findExpr, p string, fi fs.FileInfo, prune *bool) bool {
	if f.quit {
		return false
	}
	switch e.op {
	case "and":
		return f.eval(e.l, p, fi, prune) && f.eval(e.r, p, fi, prune)
	case "or":
		return f.eval(e.l, p, fi, prune) || f.eval(e.r, p, fi, prune)
	case "not":
		return !f.eval(e.l, p, fi, prune)
	case "true", "-true", "-xdev", "-depth", "-follow", "-maxdepth", "-mindepth":
		return true
	case "-false":
		return false
	case "-name", "-iname":
		name := baseName(p)
		if p == "/" {
			name = "/"
		}
		pat := e.arg
		if e.op == "-iname" {
			name, pat = strings.ToLower(name), strings.ToLower(pat)
		}
		ok, _ := path.Match(pat, name)
		return ok
	case "-path", "-ipath", "-wholename":
		s, pat := p, e.arg
		if e.op == "-ipath" {
			s, pat = strings.ToLower(s), strings.ToLower(pat)
		}
		return fnmatchNoSlash(pat, s)
	case "-regex":
		return e.re != nil && e.re.MatchString(p)
	case "-type":
		m := fi.Mode()
		switch e.arg {
		case "f":
			return m.IsRegular()
		case "d":
			return m.IsDir()
		case "l":
			return m&fs.ModeSymlink != 0
		case "p":
			return m&fs.ModeNamedPipe != 0
		case "s":
			return m&fs.ModeSocket != 0
		case "c":
			return m&fs.ModeCharDevice != 0
		case "b":
			return m&fs.ModeDevice != 0 && m&fs.ModeCharDevice == 0
		}
		return false
	case "-user", "-group":
		st := vfs.StatOf(fi)
		id := st.UID
		if e.op == "-group" {
			id = st.GID
		}
		if n, err := strconv.Atoi(e.arg); err == nil {
			return n == id
		}
		if e.op == "-user" {
			return f.c.userName(id) == e.arg
		}
		return f.c.groupName(id) == e.arg
	case "-perm":
		want, prefix := e.arg, byte(0)
		if strings.HasPrefix(want, "-") || strings.HasPrefix(want, "+") || strings.HasPrefix(want, "/") {
			prefix, want = want[0], want[1:]
		}
		m, ok := parseMode(want, 0, fi.IsDir(), 0)
		if !ok {
			return false
		}
		have, w := unixMode(fi.Mode())&0o7777, unixMode(m)&0o7777
		switch prefix {
		case '-':
			return have&w == w
		case '+', '/':
			return have&w != 0 || w == 0
		}
		return have == w
	case "-size":
		size := fi.Size()
		units := (size + e.mult - 1) / e.mult
		return cmpNum(units, e.n, e.cmp)
	case "-mtime", "-atime", "-ctime", "-mmin", "-amin", "-cmin":
		st := vfs.StatOf(fi)
		t := fi.ModTime()
		switch e.op[1] {
		case 'a':
			t = st.Atime
		case 'c':
			t = st.Ctime
		}
		age := f.c.now().Sub(t)
		unit := 24 * time.Hour
		if strings.HasSuffix(e.op, "min") {
			unit = time.Minute
		}
		return cmpNum(int64(age/unit), e.n, e.cmp)
	case "-newer":
		return e.ref != nil && fi.ModTime().After(e.ref.ModTime())
	case "-links":
		return cmpNum(int64(vfs.StatOf(fi).Nlink), e.n, e.cmp)
	case "-inum":
		return cmpNum(int64(vfs.StatOf(fi).Ino), e.n, e.cmp)
	case "-samefile":
		ref, err := f.c.stat(e.arg)
		if err != nil {
			return false
		}
		a, b := vfs.StatOf(fi), vfs.StatOf(ref)
		return a.Dev == b.Dev && a.Ino == b.Ino
	case "-empty":
		if fi.IsDir() {
			ents, err := f.c.readDir(p)
			return err == nil && len(ents) == 0
		}
		return fi.Mode().IsRegular() && fi.Size() == 0
	case "-executable":
		return f.c.canAccess(fi, 1)
	case "-print":
		f.c.println(p)
		return true
	case "-print0":
		f.c.out.WriteString(p + "\x00")
		return true
	case "-prune":
		*prune = true
		return true
	case "-quit":
		f.quit = true
		return true
	case "-exec", "-ok":
		if e.plus {
			e.batch = append(e.batch, p)
			return true
		}
		var args []string
		for _, a := range e.args {
			args = append(args, strings.ReplaceAll(a, "{}", p))
		}
		st, err := f.c.runChild(args, f.c.stdin())
		if err != nil {
			f.c.errorf("%s: %s", args[0], Strerror(errNoEnt))
			f.status = 1
			return false
		}
		return st == 0
	}
	return false
}

func cmpNum(v, n int64, cmp int) bool {
	switch cmp {
	case 1:
		return v > n
	case -1:
		return v < n
	}
	return v == n
}

// fnmatchNoSlash is fnmatch(3) without FNM_PATHNAME: * matches slashes.
func fnmatchNoSlash(pat, s string) bool {
	re := "^"
	for i := 0; i < len(pat); i++ {
		switch ch := pat[i]; ch {
		case '*':
			re += ".*"
		case '?':
			re += "."
		case '[':
			j := strings.IndexByte(pat[i+1:], ']')
			if j < 0 {
				re += `\[`
				continue
			}
			cls := pat[i+1 : i+1+j]
			if strings.HasPrefix(cls, "!") {
				cls = "^" + cls[1:]
			}
			re += "[" + strings.ReplaceAll(cls, `\`, `\\`) + "]"
			i += j + 1
		case '\\':
			if i+1 < len(pat) {
				i++
				re += regexp.QuoteMeta(string(pat[i]))
			}
		default:
			re += regexp.QuoteMeta(string(ch))
		}
	}
	m, _ := regexp.MatchString(re+"$", s)
	return m
}

func (f *findRun) hasAction(e *findExpr) bool {
	if e == nil {
		return false
	}
	switch e.op {
	case "-print", "-print0", "-exec", "-ok", "-quit":
		return true
	case "and", "or", "not":
		return f.hasAction(e.l) || f.hasAction(e.r)
	}
	return false
}

func (f *findRun) collectPlus(e *findExpr) {
	if e == nil {
		return
	}
	if (e.op == "-exec" || e.op == "-ok") && e.plus {
		f.pending = append(f.pending, e)
	}
	f.collectPlus(e.l)
	f.collectPlus(e.r)
}

func (f *findRun) walk(p string, depth int, top bool) {
	if f.quit || f.c.killed() {
		return
	}
	var fi fs.FileInfo
	var err error
	if f.follow || (top && f.followTop) {
		fi, err = f.c.stat(p)
		if err != nil {
			fi, err = f.c.lstat(p)
		}
	} else {
		fi, err = f.c.lstat(p)
	}
	if err != nil {
		f.c.perror(p, err)
		f.status = 1
		return
	}
	prune := false
	act := func() {
		if depth >= f.minD {
			ok := f.eval(f.expr, p, fi, &prune)
			if ok && f.implicit {
				f.c.println(p)
			}
		}
	}
	if !f.depthFirst {
		act()
	}
	if fi.IsDir() && !prune && (f.maxD < 0 || depth < f.maxD) {
		ents, err := f.c.readDir(p)
		if err != nil {
			f.c.perror(p, err)
			f.status = 1
		} else {
			for _, e := range ents {
				child := p + "/" + e.Name()
				if strings.HasSuffix(p, "/") {
					child = p + e.Name()
				}
				f.walk(child, depth+1, false)
			}
		}
	}
	if f.depthFirst {
		act()
	}
}

func findMain(c *cmd) int {
	args := c.args[1:]
	f := &findRun{c: c, maxD: -1}
	for len(args) > 0 && (args[0] == "-L" || args[0] == "-H" || args[0] == "-P") {
		switch args[0] {
		case "-L":
			f.follow = true
		case "-H":
			f.followTop = true
		}
		args = args[1:]
	}
	var paths []string
	for len(args) > 0 && (!strings.HasPrefix(args[0], "-") || args[0] == "-") && args[0] != "!" && args[0] != "(" {
		paths = append(paths, args[0])
		args = args[1:]
	}
	if len(paths) == 0 {
		paths = []string{"."}
	}
	p := &findParser{c: c, args: args}
	var expr *findExpr
	if len(args) > 0 {
		expr = p.parseOr()
		if p.err == "" && p.more() {
			p.err = "unrecognized: " + p.args[p.i]
		}
	} else {
		expr = &findExpr{op: "true"}
	}
	if p.err != "" {
		c.errorf("%s", p.err)
		if strings.HasPrefix(p.err, "unrecognized") {
			c.usageError()
		}
		return 1
	}
	var scan func(e *findExpr)
	scan = func(e *findExpr) {
		if e == nil {
			return
		}
		switch e.op {
		case "-maxdepth":
			f.maxD, _ = strconv.Atoi(e.arg)
		case "-mindepth":
			f.minD, _ = strconv.Atoi(e.arg)
		case "-depth":
			f.depthFirst = true
		case "-follow":
			f.follow = true
		}
		scan(e.l)
		scan(e.r)
	}
	scan(expr)
	f.expr = expr
	f.implicit = !f.hasAction(expr)
	f.collectPlus(expr)
	for _, root := range paths {
		f.walk(root, 0, true)
	}
	for _, e := range f.pending {
		if len(e.batch) == 0 {
			continue
		}
		var args []string
		for _, a := range e.args {
			if a == "{}" {
				args = append(args, e.batch...)
			} else {
				args = append(args, a)
			}
		}
		if st, err := c.runChild(args, c.stdin()); err != nil || st != 0 {
			f.status = 1
		}
	}
	return f.status
}

var errNoEnt = &fs.PathError{Op: "exec", Err: fs.ErrNotExist}

// statMain is stat [-ltf] [-c FMT] FILE...
func statMain(c *cmd) int {
	o, ok := c.getopt(c.args[1:], "ltfLc:")
	if !ok {
		return 1
	}
	if len(o.args) == 0 {
		return c.usageError()
	}
	st := 0
	for _, name := range o.args {
		var fi fs.FileInfo
		var err error
		if o.has("L") {
			fi, err = c.stat(name)
		} else {
			fi, err = c.lstat(name)
		}
		if err != nil {
			c.errorf("can't stat '%s': %s", name, Strerror(err))
			st = 1
			continue
		}
		if o.has("f") {
			c.errorf("can't read file system information for '%s': %s", name, "Function not implemented")
			st = 1
			continue
		}
		format, hasFormat := o.val("c")
		if !hasFormat {
			switch {
			case o.has("t"):
				format = "%n %s %b %f %u %g %D %i %h %t %T %X %Y %Z %o"
			case fi.Mode()&(fs.ModeDevice|fs.ModeCharDevice) != 0:
				format = "  File: %N\n  Size: %-10s\tBlocks: %-10b IO Block: %-6o %F\nDevice: %Dh/%dd\tInode: %-10i  Links: %-5h Device type: %t,%T\nAccess: (%04a/%10.10A)  Uid: (%5u/%8U)   Gid: (%5g/%8G)\nAccess: %x\nModify: %y\nChange: %z"
			default:
				format = "  File: %N\n  Size: %-10s\tBlocks: %-10b IO Block: %-6o %F\nDevice: %Dh/%dd\tInode: %-10i  Links: %h\nAccess: (%04a/%10.10A)  Uid: (%5u/%8U)   Gid: (%5g/%8G)\nAccess: %x\nModify: %y\nChange: %z"
			}
		}
		c.println(c.statFormat(format, name, fi))
	}
	return st
}

func fileType(fi fs.FileInfo) string {
	m := fi.Mode()
	switch {
	case m.IsRegular():
		if fi.Size() == 0 {
			return "regular empty file"
		}
		return "regular file"
	case m.IsDir():
		return "directory"
	case m&fs.ModeSymlink != 0:
		return "symbolic link"
	case m&fs.ModeCharDevice != 0:
		return "character special file"
	case m&fs.ModeDevice != 0:
		return "block special file"
	case m&fs.ModeNamedPipe != 0:
		return "fifo"
	case m&fs.ModeSocket != 0:
		return "socket"
	}
	return "weird file"
}

func statTime(t time.Time) string {
	return t.UTC().Format("2006-01-02 15:04:05.000000000 -0700")
}

func (c *cmd) statFormat(format, name string, fi fs.FileInfo) string {
	st := vfs.StatOf(fi)
	var b strings.Builder
	for i := 0; i < len(format); i++ {
		ch := format[i]
		if ch != '%' {
			b.WriteByte(ch)
			continue
		}
		j := i + 1
		for j < len(format) && strings.IndexByte("-+ #0123456789.", format[j]) >= 0 {
			j++
		}
		if j >= len(format) {
			b.WriteString(format[i:])
			break
		}
		flags := format[i+1 : j]
		verb := format[j]
		i = j
		str := func(s string) { b.WriteString(fmt.Sprintf("%"+flags+"s", s)) }
		num := func(n int64) { b.WriteString(fmt.Sprintf("%"+flags+"d", n)) }
		switch verb {
		case '%':
			b.WriteByte('%')
		case 'n':
			str(name)
		case 'N':
			if fi.Mode()&fs.ModeSymlink != 0 {
				t, _ := c.fs.Readlink(c.abs(name))
				str("'" + name + "' -> '" + t + "'")
			} else {
				str(name)
			}
		case 's':
			num(fi.Size())
		case 'b':
			num(st.Blocks)
		case 'B':
			num(512)
		case 'o':
			num(4096)
		case 'a':
			b.WriteString(fmt.Sprintf("%"+flags+"o", unixMode(fi.Mode())&0o7777))
		case 'A':
			str(modeString(fi.Mode()))
		case 'f':
			b.WriteString(fmt.Sprintf("%"+flags+"x", unixMode(fi.Mode())))
		case 'F':
			str(fileType(fi))
		case 'h':
			num(int64(st.Nlink))
		case 'i':
			num(int64(st.Ino))
		case 'u':
			num(int64(st.UID))
		case 'U':
			str(c.userName(st.UID))
		case 'g':
			num(int64(st.GID))
		case 'G':
			str(c.groupName(st.GID))
		case 'd':
			num(int64(st.Dev))
		case 'D':
			b.WriteString(fmt.Sprintf("%"+flags+"x", st.Dev))
		case 't':
			b.WriteString(fmt.Sprintf("%"+flags+"x", st.Rdev>>8&0xfff|st.Rdev>>32&^0xfff))
		case 'T':
			b.WriteString(fmt.Sprintf("%"+flags+"x", st.Rdev&0xff|st.Rdev>>12&^0xff))
		case 'x':
			str(statTime(st.Atime))
		case 'y':
			str(statTime(fi.ModTime()))
		case 'z':
			str(statTime(st.Ctime))
		case 'X':
			num(st.Atime.Unix())
		case 'Y':
			num(fi.ModTime().Unix())
		case 'Z':
			num(st.Ctime.Unix())
		default:
			b.WriteByte(verb)
		}
	}
	return b.String()
}

// duSize formats du's sizes: KiB, or human with one decimal.
func duSize(kb int64, human bool) string {
	if !human {
		return strconv.FormatInt(kb, 10)
	}
	if kb == 0 {
		return "0"
	}
	v := float64(kb)
	units := "KMGTPE"
	i := 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	return fmt.Sprintf("%.1f%c", v, units[i])
}

func duMain(c *cmd) int {
	o, ok := c.getopt(c.args[1:], "aHLd:clsxhmkb")
	if !ok {
		return 1
	}
	maxDepth := -1
	if v, ok := o.val("d"); ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			c.errorf("invalid number '%s'", v)
			return 1
		}
		maxDepth = n
	}
	if o.has("s") {
		maxDepth = 0
	}
	human := o.has("h")
	div := int64(1)
	if o.has("m") {
		div = 1024
	}
	args := o.args
	if len(args) == 0 {
		args = []string{"."}
	}
	st := 0
	seen := map[[2]uint64]bool{}
	print := func(kb int64, name string) {
		c.printf("%s\t%s\n", duSize(kb/div, human), name)
	}
	var walk func(p string, depth int) int64
	walk = func(p string, depth int) int64 {
		var fi fs.FileInfo
		var err error
		if o.has("L") || (depth == 0 && o.has("H")) {
			fi, err = c.stat(p)
		} else {
			fi, err = c.lstat(p)
		}
		if err != nil {
			c.perror(p, err)
			st = 1
			return 0
		}
		s := vfs.StatOf(fi)
		if s.Nlink > 1 && !fi.IsDir() {
			key := [2]uint64{s.Dev, s.Ino}
			if seen[key] {
				return 0
			}
			seen[key] = true
		}
		total := s.Blocks / 2
		if fi.IsDir() {
			ents, err := c.readDir(p)
			if err != nil {
				c.perror(p, err)
				st = 1
			}
			for _, e := range ents {
				total += walk(strings.TrimSuffix(p, "/")+"/"+e.Name(), depth+1)
			}
			if maxDepth < 0 || depth <= maxDepth {
				print(total, p)
			}
		} else if depth == 0 || (o.has("a") && (maxDepth < 0 || depth <= maxDepth)) {
			print(total, p)
		}
		return total
	}
	var grand int64
	for _, a := range args {
		grand += walk(a, 0)
	}
	if o.has("c") {
		print(grand, "total")
	}
	return st
}

// statfser is implemented by filesystems that know their size, for df.
type statfser interface {
	Statfs(name string) (blocks, free, avail, files, ffree uint64, bsize int64, err error)
}

func dfMain(c *cmd) int {
	o, ok := c.getopt(c.args[1:], "PkmhTaiB:t:")
	if !ok {
		return 1
	}
	human := o.has("h")
	blockSize := int64(1024)
	if o.has("m") {
		blockSize = 1 << 20
	}
	header := "Filesystem           1K-blocks      Used Available Use% Mounted on"
	switch {
	case o.has("P"):
		header = "Filesystem           1024-blocks    Used Available Capacity Mounted on"
	case human:
		header = "Filesystem                Size      Used Available Use% Mounted on"
	case o.has("i"):
		header = "Filesystem              Inodes      Used Available Use% Mounted on"
	case o.has("m"):
		header = "Filesystem           1M-blocks      Used Available Use% Mounted on"
	}
	if o.has("T") {
		header = strings.Replace(header, "Filesystem          ", "Filesystem           Type      ", 1)
	}
	c.println(header)
	type mnt struct{ dev, dir, typ string }
	var mounts []mnt
	if f, err := c.open("/proc/mounts"); err == nil {
		for _, line := range strings.Split(readAllString(f), "\n") {
			fl := strings.Fields(line)
			if len(fl) >= 3 {
				mounts = append(mounts, mnt{fl[0], fl[1], fl[2]})
			}
		}
		f.Close()
	}
	st := 0
	show := func(m mnt) {
		var blocks, free, avail uint64
		bsize := int64(4096)
		if s, ok := c.fs.(statfser); ok {
			b, f, a, _, _, bs, err := s.Statfs(m.dir)
			if err == nil {
				blocks, free, avail, bsize = b, f, a, bs
			}
		}
		if blocks == 0 && !o.has("a") {
			return
		}
		used := blocks - free
		pct := 0
		if used+avail > 0 {
			pct = int((used*100 + (used + avail) - 1) / (used + avail))
		}
		conv := func(n uint64) string {
			bytes := int64(n) * bsize
			if human {
				return humanSize(bytes, 1)
			}
			return strconv.FormatInt(bytes/blockSize, 10)
		}
		name := m.dev
		if len(name) > 20 {
			c.println(name)
			name = ""
		}
		if human {
			c.printf("%-20s %9s %9s %9s %3d%% %s\n", name, conv(blocks), conv(used), conv(avail), pct, m.dir)
		} else {
			c.printf("%-20s %9s %9s %9s %3d%% %s\n", name, conv(blocks), conv(used), conv(avail), pct, m.dir)
		}
	}
	if len(o.args) == 0 {
		for _, m := range mounts {
			show(m)
		}
		return 0
	}
	for _, a := range o.args {
		full := path.Clean(c.abs(a))
		best := -1
		for i, m := range mounts {
			if full == m.dir || strings.HasPrefix(full, strings.TrimSuffix(m.dir, "/")+"/") {
				if best < 0 || len(m.dir) > len(mounts[best].dir) {
					best = i
				}
			}
		}
		if _, err := c.stat(a); err != nil || best < 0 {
			c.errorf("%s: can't find mount point", a)
			st = 1
			continue
		}
		show(mounts[best])
	}
	return st
}
