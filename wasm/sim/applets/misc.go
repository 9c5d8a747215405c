package applets

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/netip"
	"os"
	"path"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/wasm/sim/sys"
)

// resolvePath is realpath(3) against the process's filesystem: every
// symlink followed, "." and ".." removed. With missingOK the last
// component may be missing (readlink -f).
func (c *cmd) resolvePath(name string, missingOK bool) (string, error) {
	parts := strings.Split(c.abs(name), "/")
	cur := "/"
	links := 0
	for i := 0; i < len(parts); i++ {
		part := parts[i]
		if part == "" || part == "." {
			continue
		}
		if part == ".." {
			cur = path.Dir(cur)
			continue
		}
		next := path.Join(cur, part)
		fi, err := c.fs.Lstat(next)
		if err != nil {
			if missingOK && errors.Is(err, fs.ErrNotExist) && i == len(parts)-1 {
				return next, nil
			}
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			links++
			if links > 40 {
				return "", syscall.ELOOP
			}
			t, err := c.fs.Readlink(next)
			if err != nil {
				return "", err
			}
			if strings.HasPrefix(t, "/") {
				cur = "/"
			}
			parts = append(strings.Split(t, "/"), parts[i+1:]...)
			i = -1
			continue
		}
		if i < len(parts)-1 && !fi.IsDir() {
			return "", syscall.ENOTDIR
		}
		cur = next
	}
	return cur, nil
}

func readlinkMain(c *cmd) int {
	o, ok := c.getopt(c.args[1:], "fnsv")
	if !ok {
		return 1
	}
	if len(o.args) != 1 {
		return c.usageError()
	}
	name := o.args[0]
	var out string
	if o.has("f") {
		p, err := c.resolvePath(name, true)
		if err != nil {
			if o.has("v") {
				c.perror(name, err)
			}
			return 1
		}
		out = p
	} else {
		t, err := c.fs.Readlink(c.abs(name))
		if err != nil {
			if o.has("v") {
				c.perror(name, err)
			}
			return 1
		}
		out = t
	}
	if o.has("n") {
		c.out.WriteString(out)
	} else {
		c.println(out)
	}
	return 0
}

func realpathMain(c *cmd) int {
	args := c.args[1:]
	if len(args) == 0 {
		return c.usageError()
	}
	st := 0
	for _, a := range args {
		p, err := c.resolvePath(a, true)
		if err != nil {
			c.perror(a, err)
			st = 1
			continue
		}
		c.println(p)
	}
	return st
}

// random is a generator seeded from the simulated clock and the process,
// so that a replayed run names its temporary files alike.
func (c *cmd) random() *rand.Rand {
	return rand.New(rand.NewPCG(uint64(c.p.Now().UnixNano()), uint64(c.p.PID())))
}

func mktempMain(c *cmd) int {
	o, ok := c.getopt(c.args[1:], "dqtup:")
	if !ok {
		return 1
	}
	template := "tmp.XXXXXX"
	dir := ""
	if len(o.args) > 0 {
		template = o.args[0]
	} else {
		dir = "/tmp"
		if v, ok := c.p.Getenv("TMPDIR"); ok && v != "" {
			dir = v
		}
	}
	if v, ok := o.val("p"); ok {
		dir = v
	}
	if o.has("t") && dir == "" {
		dir = "/tmp"
	}
	if !strings.HasSuffix(template, "XXXXXX") {
		if !o.has("q") {
			c.errorf("(null): %s", Strerror(syscall.EINVAL))
		}
		return 1
	}
	const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	r := c.random()
	for try := 0; try < 100; try++ {
		b := []byte(template)
		for i := len(b) - 6; i < len(b); i++ {
			b[i] = letters[r.IntN(len(letters))]
		}
		name := string(b)
		if dir != "" {
			name = strings.TrimSuffix(dir, "/") + "/" + name
		}
		if o.has("u") {
			c.println(name)
			return 0
		}
		var err error
		if o.has("d") {
			err = c.fs.Mkdir(c.abs(name), 0o700)
		} else {
			var f interface{ Close() error }
			f, err = c.fs.OpenFile(c.abs(name), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
			if err == nil {
				f.Close()
			}
		}
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			if !o.has("q") {
				c.errorf("%s: %s", name, Strerror(err))
			}
			return 1
		}
		c.println(name)
		return 0
	}
	return 1
}

// eachInput runs fn over each file operand (stdin for none or "-"),
// reporting open errors as "can't open".
func (c *cmd) eachInput(files []string, fn func(name string, data []byte)) int {
	if len(files) == 0 {
		files = []string{"-"}
	}
	st := 0
	for _, name := range files {
		r, closeFn, err := c.input(name)
		if err != nil {
			c.errorf("can't open '%s': %s", name, Strerror(err))
			st = 1
			continue
		}
		b, _ := io.ReadAll(r)
		closeFn()
		fn(name, b)
	}
	return st
}

func tacMain(c *cmd) int {
	return c.eachInput(c.args[1:], func(_ string, b []byte) {
		lines := splitLinesKeep(string(b))
		for i := len(lines) - 1; i >= 0; i-- {
			c.out.WriteString(lines[i])
		}
	})
}

func revMain(c *cmd) int {
	return c.eachInput(c.args[1:], func(_ string, b []byte) {
		for _, l := range splitLinesKeep(string(b)) {
			nl := strings.HasSuffix(l, "\n")
			r := []rune(strings.TrimSuffix(l, "\n"))
			for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
				r[i], r[j] = r[j], r[i]
			}
			c.out.WriteString(string(r))
			if nl {
				c.out.WriteByte('\n')
			}
		}
	})
}

func nlMain(c *cmd) int {
	o, ok := c.getopt(c.args[1:], "pb:H:v:i:n:s:w:")
	if !ok {
		return 1
	}
	style, _ := o.val("b")
	if style == "" {
		style = "t"
	}
	sep := "\t"
	if v, ok := o.val("s"); ok {
		sep = v
	}
	width := 6
	if v, ok := o.val("w"); ok {
		width, _ = strconv.Atoi(v)
	}
	n := 1
	if v, ok := o.val("v"); ok {
		n, _ = strconv.Atoi(v)
	}
	inc := 1
	if v, ok := o.val("i"); ok {
		inc, _ = strconv.Atoi(v)
	}
	return c.eachInput(o.args, func(_ string, b []byte) {
		for _, l := range splitLinesKeep(string(b)) {
			text := strings.TrimSuffix(l, "\n")
			if style == "a" || (style == "t" && text != "") {
				c.printf("%*d%s%s\n", width, n, sep, text)
				n += inc
			} else {
				c.printf("%*s%s\n", width+len(sep), "", text)
			}
		}
	})
}

func sumMain(c *cmd) int {
	var newHash func() hash.Hash
	switch c.name {
	case "md5sum":
		newHash = md5.New
	case "sha1sum":
		newHash = sha1.New
	case "sha256sum":
		newHash = sha256.New
	case "sha512sum":
		newHash = sha512.New
	}
	o, ok := c.getopt(c.args[1:], "cswb")
	if !ok {
		return 1
	}
	if o.has("c") {
		return c.checkSums(o.args, newHash)
	}
	return c.eachInput(o.args, func(name string, b []byte) {
		h := newHash()
		h.Write(b)
		c.printf("%s  %s\n", hex.EncodeToString(h.Sum(nil)), name)
	})
}

func (c *cmd) checkSums(files []string, newHash func() hash.Hash) int {
	bad := 0
	st := c.eachInput(files, func(_ string, b []byte) {
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			sum, name, ok := strings.Cut(line, "  ")
			if !ok {
				continue
			}
			r, closeFn, err := c.input(name)
			if err != nil {
				c.errorf("can't open '%s': %s", name, Strerror(err))
				c.printf("%s: FAILED open or read\n", name)
				bad++
				continue
			}
			data, _ := io.ReadAll(r)
			closeFn()
			h := newHash()
			h.Write(data)
			if hex.EncodeToString(h.Sum(nil)) == sum {
				c.printf("%s: OK\n", name)
			} else {
				c.printf("%s: FAILED\n", name)
				bad++
			}
		}
	})
	if bad > 0 {
		c.errorf("WARNING: %d of %d computed checksums did NOT match", bad, bad)
		return 1
	}
	return st
}

func base64Main(c *cmd) int {
	o, ok := c.getopt(c.args[1:], "dw:")
	if !ok {
		return 1
	}
	width := 76
	if v, ok := o.val("w"); ok {
		width, _ = strconv.Atoi(v)
	}
	st := 0
	return st | c.eachInput(o.args, func(_ string, b []byte) {
		if o.has("d") {
			clean := strings.Map(func(r rune) rune {
				if r == '\n' || r == '\r' || r == ' ' || r == '\t' {
					return -1
				}
				return r
			}, string(b))
			out, err := base64.StdEncoding.DecodeString(clean)
			c.out.Write(out)
			if err != nil {
				c.errorf("invalid input")
				st = 1
			}
			return
		}
		s := base64.StdEncoding.EncodeToString(b)
		for width > 0 && len(s) > width {
			c.println(s[:width])
			s = s[width:]
		}
		c.println(s)
	})
}

func syncMain(c *cmd) int { return 0 }

func linkMain(c *cmd) int {
	if len(c.args) != 3 {
		return c.usageError()
	}
	if err := c.fs.Link(c.abs(c.args[1]), c.abs(c.args[2])); err != nil {
		c.errorf("cannot create link %s to %s: %s", c.args[2], c.args[1], Strerror(err))
		return 1
	}
	return 0
}

func unlinkMain(c *cmd) int {
	if len(c.args) != 2 {
		return c.usageError()
	}
	if err := c.fs.Remove(c.abs(c.args[1])); err != nil {
		c.errorf("can't remove file '%s': %s", c.args[1], Strerror(err))
		return 1
	}
	return 0
}

func mkfifoMain(c *cmd) int {
	o, ok := c.getopt(c.args[1:], "m:")
	if !ok {
		return 1
	}
	if len(o.args) == 0 {
		return c.usageError()
	}
	mode := fs.FileMode(0o666) &^ c.p.Umask()
	if v, ok := o.val("m"); ok {
		m, ok := parseMode(v, 0o666, false, 0)
		if !ok {
			c.errorf("invalid mode '%s'", v)
			return 1
		}
		mode = m
	}
	st := 0
	for _, name := range o.args {
		if err := c.fs.Mknod(c.abs(name), fs.ModeNamedPipe|mode, 0); err != nil {
			c.perror(name, err)
			st = 1
		}
	}
	return st
}

func cmpMain(c *cmd) int {
	o, ok := c.getopt(c.args[1:], "ls")
	if !ok {
		return 2
	}
	if len(o.args) < 1 || len(o.args) > 2 {
		return c.usageError()
	}
	names := append(o.args, "-")[:2]
	var data [2][]byte
	for i, n := range names {
		r, closeFn, err := c.input(n)
		if err != nil {
			if !o.has("s") {
				c.errorf("can't open '%s': %s", n, Strerror(err))
			}
			return 2
		}
		data[i], _ = io.ReadAll(r)
		closeFn()
	}
	line := 1
	differ := false
	for i := 0; i < len(data[0]) && i < len(data[1]); i++ {
		if data[0][i] != data[1][i] {
			differ = true
			if o.has("l") {
				c.printf("%d %o %o\n", i+1, data[0][i], data[1][i])
				continue
			}
			if !o.has("s") {
				c.printf("%s %s differ: char %d, line %d\n", names[0], names[1], i+1, line)
			}
			return 1
		}
		if data[0][i] == '\n' {
			line++
		}
	}
	if len(data[0]) != len(data[1]) {
		if !o.has("s") {
			short := names[0]
			if len(data[1]) < len(data[0]) {
				short = names[1]
			}
			fmt.Fprintf(c.p.Stderr(), "cmp: EOF on %s\n", short)
		}
		return 1
	}
	if differ {
		return 1
	}
	return 0
}

func stringsMain(c *cmd) int {
	o, ok := c.getopt(c.args[1:], "afon:t:")
	if !ok {
		return 1
	}
	min := 4
	if v, ok := o.val("n"); ok {
		min, _ = strconv.Atoi(v)
	}
	return c.eachInput(o.args, func(name string, b []byte) {
		start := -1
		flush := func(end int) {
			if start >= 0 && end-start >= min {
				if o.has("f") {
					c.out.WriteString(name + ": ")
				}
				c.println(string(b[start:end]))
			}
			start = -1
		}
		for i, ch := range b {
			if ch == '\t' || (ch >= 32 && ch < 127) {
				if start < 0 {
					start = i
				}
				continue
			}
			flush(i)
		}
		flush(len(b))
	})
}

func hostidMain(c *cmd) int {
	var id uint32
	if addrs := c.hostAddrs(c.p.Hostname()); len(addrs) > 0 {
		if a, err := netip.ParseAddr(addrs[0]); err == nil && a.Is4() {
			b := a.As4()
			v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
			id = v<<16 | v>>16
		}
	}
	c.printf("%08x\n", id)
	return 0
}

func foldMain(c *cmd) int {
	o, ok := c.getopt(c.args[1:], "bsw:")
	if !ok {
		return 1
	}
	width := 80
	if v, ok := o.val("w"); ok {
		width, _ = strconv.Atoi(v)
	}
	return c.eachInput(o.args, func(_ string, b []byte) {
		for _, l := range splitLinesKeep(string(b)) {
			nl := strings.HasSuffix(l, "\n")
			s := strings.TrimSuffix(l, "\n")
			for len(s) > width {
				cut := width
				if o.has("s") {
					if i := strings.LastIndexAny(s[:width], " \t"); i >= 0 {
						cut = i + 1
					}
				}
				c.println(s[:cut])
				s = s[cut:]
			}
			c.out.WriteString(s)
			if nl {
				c.out.WriteByte('\n')
			}
		}
	})
}

func pasteMain(c *cmd) int {
	o, ok := c.getopt(c.args[1:], "d:s")
	if !ok {
		return 1
	}
	delims := "\t"
	if v, ok := o.val("d"); ok {
		delims = unescapeSed(v)
	}
	files := o.args
	if len(files) == 0 {
		files = []string{"-"}
	}
	var cols [][]string
	st := 0
	for _, f := range files {
		r, closeFn, err := c.input(f)
		if err != nil {
			c.perror(f, err)
			return 1
		}
		b, _ := io.ReadAll(r)
		closeFn()
		s := strings.TrimSuffix(string(b), "\n")
		if len(b) == 0 {
			cols = append(cols, nil)
			continue
		}
		cols = append(cols, strings.Split(s, "\n"))
	}
	delim := func(i int) string {
		if delims == "" {
			return ""
		}
		return string(delims[i%len(delims)])
	}
	if o.has("s") {
		for _, col := range cols {
			var b strings.Builder
			for i, v := range col {
				if i > 0 {
					b.WriteString(delim(i - 1))
				}
				b.WriteString(v)
			}
			c.println(b.String())
		}
		return st
	}
	// Line by line: a file at its end adds nothing, not even its
	// delimiter, as busybox's paste.
	next := make([]int, len(cols))
	active := len(cols)
	var b strings.Builder
	for active > 0 {
		di := 0
		for i, col := range cols {
			if next[i] < 0 {
				continue
			}
			if next[i] >= len(col) {
				next[i] = -1
				active--
				continue
			}
			b.WriteString(col[next[i]])
			next[i]++
			d := "\n"
			if i != len(cols)-1 {
				d = delim(di)
				di++
			}
			b.WriteString(d)
		}
	}
	c.out.WriteString(b.String())
	return st
}

// exprMain is expr: arithmetic, comparison, : matching, length, substr,
// index, match, with the usual precedence.
func exprMain(c *cmd) int {
	e := &exprParser{args: c.args[1:]}
	if len(e.args) == 0 {
		return c.usageError()
	}
	v, err := e.or()
	if err == nil && e.i < len(e.args) {
		err = errors.New("syntax error")
	}
	if err != nil {
		c.errorf("%s", err)
		return 2
	}
	c.println(v)
	if v == "" || v == "0" {
		return 1
	}
	return 0
}

type exprParser struct {
	args []string
	i    int
}

func (e *exprParser) peek() string {
	if e.i < len(e.args) {
		return e.args[e.i]
	}
	return ""
}

func toInt(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

func (e *exprParser) or() (string, error) {
	l, err := e.and()
	for err == nil && e.peek() == "|" {
		e.i++
		var r string
		r, err = e.and()
		if l == "" || l == "0" {
			l = r
			if r == "" {
				l = "0"
			}
		}
	}
	return l, err
}

func (e *exprParser) and() (string, error) {
	l, err := e.cmp()
	for err == nil && e.peek() == "&" {
		e.i++
		var r string
		r, err = e.cmp()
		if l == "" || l == "0" || r == "" || r == "0" {
			l = "0"
		}
	}
	return l, err
}

func (e *exprParser) cmp() (string, error) {
	l, err := e.add()
	for err == nil {
		op := e.peek()
		switch op {
		case "<", "<=", "=", "==", "!=", ">=", ">":
		default:
			return l, nil
		}
		e.i++
		var r string
		if r, err = e.add(); err != nil {
			return "", err
		}
		var res bool
		a, ok1 := toInt(l)
		b, ok2 := toInt(r)
		cmp := strings.Compare(l, r)
		if ok1 && ok2 {
			cmp = 0
			if a < b {
				cmp = -1
			} else if a > b {
				cmp = 1
			}
		}
		switch op {
		case "<":
			res = cmp < 0
		case "<=":
			res = cmp <= 0
		case "=", "==":
			res = cmp == 0
		case "!=":
			res = cmp != 0
		case ">=":
			res = cmp >= 0
		case ">":
			res = cmp > 0
		}
		l = "0"
		if res {
			l = "1"
		}
	}
	return l, err
}

func (e *exprParser) arith(next func() (string, error), ops ...string) (string, error) {
	l, err := next()
	for err == nil {
		op := e.peek()
		found := false
		for _, o := range ops {
			if o == op {
				found = true
			}
		}
		if !found {
			return l, nil
		}
		e.i++
		var r string
		if r, err = next(); err != nil {
			return "", err
		}
		a, ok1 := toInt(l)
		b, ok2 := toInt(r)
		if !ok1 || !ok2 {
			return "", errors.New("non-numeric argument")
		}
		var v int64
		switch op {
		case "+":
			v = a + b
		case "-":
			v = a - b
		case "*":
			v = a * b
		case "/", "%":
			if b == 0 {
				return "", errors.New("division by zero")
			}
			if op == "/" {
				v = a / b
			} else {
				v = a % b
			}
		}
		l = strconv.FormatInt(v, 10)
	}
	return l, err
}

func (e *exprParser) add() (string, error) { return e.arith(e.mul, "+", "-") }
func (e *exprParser) mul() (string, error) { return e.arith(e.match, "*", "/", "%") }

func (e *exprParser) match() (string, error) {
	l, err := e.primary()
	for err == nil && e.peek() == ":" {
		e.i++
		var pat string
		if pat, err = e.primary(); err != nil {
			return "", err
		}
		l, err = exprMatch(l, pat)
	}
	return l, err
}

// exprMatch is expr's ":": the pattern anchored at the start; the first
// group's text, or the length of the match.
func exprMatch(s, pat string) (string, error) {
	re, err := compileRegex(pat, false, false)
	if err != nil {
		return "", errors.New("bad regex")
	}
	loc := re.FindStringSubmatchIndex(s)
	if loc != nil && loc[0] != 0 {
		loc = nil
	}
	if re.NumSubexp() > 0 {
		if loc == nil || loc[2] < 0 {
			return "", nil
		}
		return s[loc[2]:loc[3]], nil
	}
	if loc == nil {
		return "0", nil
	}
	return strconv.Itoa(loc[1]), nil
}

func (e *exprParser) primary() (string, error) {
	if e.i >= len(e.args) {
		return "", errors.New("syntax error")
	}
	tok := e.args[e.i]
	e.i++
	switch tok {
	case "(":
		v, err := e.or()
		if err != nil {
			return "", err
		}
		if e.peek() != ")" {
			return "", errors.New("syntax error")
		}
		e.i++
		return v, nil
	case "length":
		v, err := e.primary()
		return strconv.Itoa(len(v)), err
	case "match":
		s, err := e.primary()
		if err != nil {
			return "", err
		}
		p, err := e.primary()
		if err != nil {
			return "", err
		}
		return exprMatch(s, p)
	case "substr":
		s, err := e.primary()
		if err != nil {
			return "", err
		}
		ps, _ := e.primary()
		ls, _ := e.primary()
		pos, ok1 := toInt(ps)
		n, ok2 := toInt(ls)
		if !ok1 || !ok2 || pos < 1 || pos > int64(len(s)) || n < 1 {
			return "", nil
		}
		end := min(pos-1+n, int64(len(s)))
		return s[pos-1 : end], nil
	case "index":
		s, err := e.primary()
		if err != nil {
			return "", err
		}
		chars, _ := e.primary()
		i := strings.IndexAny(s, chars)
		return strconv.Itoa(i + 1), nil
	}
	return tok, nil
}

// timeMain is the time applet: it runs a command and reports, on standard
// error, how long it took in simulated time.
func timeMain(c *cmd) int {
	args := c.args[1:]
	if len(args) > 0 && args[0] == "-v" {
		args = args[1:]
	}
	if len(args) == 0 {
		return c.usageError()
	}
	start := c.p.Now()
	st, err := c.runChild(args, c.stdin())
	if err != nil {
		c.errorf("can't execute '%s': %s", args[0], Strerror(syscall.ENOENT))
		st = 127
	}
	d := c.p.Now().Sub(start)
	fmt.Fprintf(c.p.Stderr(), "real\t%dm %d.%02ds\nuser\t0m 0.00s\nsys\t0m 0.00s\n",
		int(d/time.Minute), int(d%time.Minute/time.Second), int(d%time.Second/(10*time.Millisecond)))
	return st
}

// timeoutMain runs a command and signals it when the time is up.
func timeoutMain(c *cmd) int {
	o, ok := c.getopt(c.args[1:], "+s:k:")
	if !ok {
		return 1
	}
	if len(o.args) < 2 {
		return c.usageError()
	}
	sig := backend.SIGTERM
	if v, ok := o.val("s"); ok {
		s, ok := parseSig(v)
		if !ok {
			c.errorf("unknown signal '%s'", v)
			return 1
		}
		sig = s
	}
	d, ok := parseDuration(o.args[0])
	if !ok {
		c.errorf("invalid number '%s'", o.args[0])
		return 1
	}
	c.out.Flush()
	child, err := c.p.Spawn(sys.Cmd{Args: o.args[1:], Env: c.p.Environ(), Dir: c.p.Dir(),
		Stdin: c.stdin(), Stdout: c.p.Stdout(), Stderr: c.p.Stderr()})
	if err != nil {
		c.errorf("can't execute '%s': %s", o.args[1], Strerror(syscall.ENOENT))
		return 127
	}
	done := make(chan int, 1)
	go func() { done <- child.Wait() }()
	timer := make(chan error, 1)
	go func() { timer <- c.p.Sleep(d) }()
	select {
	case st := <-done:
		return st
	case err := <-timer:
		if err != nil {
			return 128 + int(backend.SIGKILL)
		}
		c.p.Kill(child.PID(), sig)
		return <-done
	}
}

// pidofMain lists the PIDs of the processes running the named programs.
func pidofMain(c *cmd) int {
	o, ok := c.getopt(c.args[1:], "so:")
	if !ok {
		return 1
	}
	omit := map[int]bool{}
	for _, v := range o.vals("o") {
		if v == "%PPID" {
			omit[c.p.PPID()] = true
		} else if n, err := strconv.Atoi(v); err == nil {
			omit[n] = true
		}
	}
	var pids []string
	procs := c.p.Processes()
	for _, name := range o.args {
		for i := len(procs) - 1; i >= 0; i-- {
			pi := procs[i]
			if omit[pi.PID] || pi.State == "Z" {
				continue
			}
			if pi.Comm == name || (len(pi.Args) > 0 && baseName(pi.Args[0]) == name) {
				pids = append(pids, strconv.Itoa(pi.PID))
				if o.has("s") {
					break
				}
			}
		}
	}
	if len(pids) == 0 {
		return 1
	}
	c.println(strings.Join(pids, " "))
	return 0
}

// killallMain signals every process running one of the named programs.
func killallMain(c *cmd) int {
	args := c.args[1:]
	sig := backend.SIGTERM
	quiet := false
	for len(args) > 0 && strings.HasPrefix(args[0], "-") && len(args[0]) > 1 {
		a := args[0][1:]
		args = args[1:]
		switch {
		case a == "q":
			quiet = true
		case a == "l":
			return killMain(c.withArgs([]string{"kill", "-l"}))
		case a == "s" && len(args) > 0:
			s, ok := parseSig(args[0])
			if !ok {
				c.errorf("bad signal name '%s'", args[0])
				return 1
			}
			sig, args = s, args[1:]
		default:
			s, ok := parseSig(a)
			if !ok {
				c.errorf("bad signal name '%s'", a)
				return 1
			}
			sig = s
		}
	}
	if len(args) == 0 {
		return c.usageError()
	}
	st := 0
	for _, name := range args {
		killed := false
		for _, pi := range c.p.Processes() {
			if pi.PID == c.p.PID() || pi.State == "Z" {
				continue
			}
			if pi.Comm == name || (len(pi.Args) > 0 && baseName(pi.Args[0]) == name) {
				if err := c.p.Kill(pi.PID, sig); err == nil {
					killed = true
				}
			}
		}
		if !killed {
			if !quiet {
				c.errorf("%s: no process killed", name)
			}
			st = 1
		}
	}
	return st
}

// loadavg reads /proc/loadavg, or zeros.
func (c *cmd) loadavg() []string {
	if f, err := c.open("/proc/loadavg"); err == nil {
		fl := strings.Fields(readAllString(f))
		f.Close()
		if len(fl) >= 3 {
			return fl
		}
	}
	return []string{"0.00", "0.00", "0.00"}
}

// uptimeSeconds reads /proc/uptime.
func (c *cmd) uptimeSeconds() (float64, bool) {
	f, err := c.open("/proc/uptime")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	fl := strings.Fields(readAllString(f))
	if len(fl) == 0 {
		return 0, false
	}
	v, err := strconv.ParseFloat(fl[0], 64)
	return v, err == nil
}

func uptimeMain(c *cmd) int {
	now := c.now()
	up, ok := c.uptimeSeconds()
	if !ok {
		c.errorf("can't open '/proc/uptime': %s", Strerror(syscall.ENOENT))
		return 1
	}
	mins := int(up) / 60
	upStr := ""
	if days := mins / 1440; days > 0 {
		upStr = fmt.Sprintf("%d day%s, ", days, map[bool]string{true: "s", false: ""}[days != 1])
	}
	mins %= 1440
	if mins >= 60 {
		upStr += fmt.Sprintf("%2d:%02d", mins/60, mins%60)
	} else {
		upStr += fmt.Sprintf("%d min", mins)
	}
	la := c.loadavg()
	c.printf(" %02d:%02d:%02d up %s,  0 users,  load average: %s, %s, %s\n",
		now.Hour(), now.Minute(), now.Second(), upStr, la[0], la[1], la[2])
	return 0
}

func freeMain(c *cmd) int {
	o, ok := c.getopt(c.args[1:], "bkmgh")
	if !ok {
		return 1
	}
	f, err := c.open("/proc/meminfo")
	if err != nil {
		c.errorf("can't open '/proc/meminfo': %s", Strerror(err))
		return 1
	}
	info := map[string]int64{}
	for _, line := range strings.Split(readAllString(f), "\n") {
		fl := strings.Fields(line)
		if len(fl) >= 2 {
			v, _ := strconv.ParseInt(fl[1], 10, 64)
			info[strings.TrimSuffix(fl[0], ":")] = v
		}
	}
	f.Close()
	div := int64(1)
	switch {
	case o.has("m"):
		div = 1024
	case o.has("g"):
		div = 1024 * 1024
	case o.has("b"):
		div = -1024
	}
	conv := func(kb int64) int64 {
		if div < 0 {
			return kb * -div
		}
		return kb / div
	}
	total, free := info["MemTotal"], info["MemFree"]
	cache := info["Buffers"] + info["Cached"] + info["SReclaimable"]
	used := total - free - cache
	c.printf("              total        used        free      shared  buff/cache   available\n")
	c.printf("Mem:   %12d%12d%12d%12d%12d%12d\n", conv(total), conv(used), conv(free), conv(info["Shmem"]), conv(cache), conv(info["MemAvailable"]))
	c.printf("Swap:  %12d%12d%12d\n", conv(info["SwapTotal"]), conv(info["SwapTotal"]-info["SwapFree"]), conv(info["SwapFree"]))
	return 0
}

// moreMain pages a file on a terminal; elsewhere it is cat.
func moreMain(c *cmd) int {
	return catMain(c.withArgs(append([]string{"cat"}, c.args[1:]...)))
}
