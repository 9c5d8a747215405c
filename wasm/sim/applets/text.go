package applets

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// catMain is cat [-nbvteA] [FILE]...
func catMain(c *cmd) int {
	o, ok := c.getopt(c.args[1:], "nbvteAu")
	if !ok {
		return 1
	}
	number, numberNonBlank := o.has("n"), o.has("b")
	showEnds := o.has("e") || o.has("A")
	showTabs := o.has("t") || o.has("A")
	showNonPrint := o.has("v") || o.has("e") || o.has("t") || o.has("A")
	plain := !number && !numberNonBlank && !showEnds && !showTabs && !showNonPrint
	files := o.args
	if len(files) == 0 {
		files = []string{"-"}
	}
	st := 0
	line := 1
	atStart := true
	for _, name := range files {
		r, closeFn, err := c.input(name)
		if err != nil {
			if Errno(err) == syscall.EISDIR {
				c.errorf("read error: %s", Strerror(err))
			} else {
				c.errorf("can't open '%s': %s", name, Strerror(err))
			}
			st = 1
			continue
		}
		if plain {
			if _, err := io.Copy(c.out, r); err != nil {
				if c.out.Err() != nil {
					closeFn()
					return c.writeFailed(c.out.Err())
				}
				c.errorf("read error: %s", Strerror(err))
				st = 1
			}
			closeFn()
			continue
		}
		br := bufio.NewReader(r)
		for {
			b, err := br.ReadByte()
			if err != nil {
				break
			}
			if atStart {
				if number && !(numberNonBlank && b == '\n') || (numberNonBlank && b != '\n') {
					fmt.Fprintf(c.out, "%6d\t", line)
					line++
				}
				atStart = false
			}
			if b == '\n' {
				if showEnds {
					c.out.WriteByte('$')
				}
				c.out.WriteByte('\n')
				atStart = true
				continue
			}
			if b == '\t' && !showTabs {
				c.out.WriteByte(b)
				continue
			}
			if showNonPrint {
				c.out.WriteString(visible(b))
			} else {
				c.out.WriteByte(b)
			}
		}
		closeFn()
	}
	return st
}

// visible is cat -v's notation for a byte: M- for the high bit, ^ for
// control characters.
func visible(b byte) string {
	s := ""
	if b >= 0x80 {
		s = "M-"
		b -= 0x80
	}
	switch {
	case b < 0x20:
		return s + "^" + string(rune(b+'@'))
	case b == 0x7f:
		return s + "^?"
	}
	return s + string(rune(b))
}

// parseCount reads a count with busybox's suffixes (b 512, k 1024, m
// 1024², and the kB/MB family).
func parseCount(s string) (int64, bool) {
	mult := int64(1)
	for _, sfx := range []struct {
		s string
		m int64
	}{{"kB", 1000}, {"KB", 1000}, {"MB", 1000000}, {"GB", 1000000000}, {"b", 512}, {"k", 1024}, {"K", 1024}, {"m", 1 << 20}, {"M", 1 << 20}, {"g", 1 << 30}, {"G", 1 << 30}} {
		if strings.HasSuffix(s, sfx.s) && len(s) > len(sfx.s) {
			s, mult = strings.TrimSuffix(s, sfx.s), sfx.m
			break
		}
	}
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, false
	}
	return n * mult, true
}

// oldStyleCount turns head/tail's "-5" into "-n 5".
func oldStyleCount(args []string) []string {
	if len(args) > 0 && len(args[0]) > 1 && args[0][0] == '-' && args[0][1] >= '0' && args[0][1] <= '9' {
		return append([]string{"-n", args[0][1:]}, args[1:]...)
	}
	return args
}

func headMain(c *cmd) int {
	o, ok := c.getopt(oldStyleCount(c.args[1:]), "n:c:qv")
	if !ok {
		return 1
	}
	lines, bytesMode := int64(10), false
	allBut := false
	if v, ok := o.val("n"); ok {
		orig := v
		if strings.HasPrefix(v, "-") {
			allBut, v = true, v[1:]
		}
		n, ok := parseCount(v)
		if !ok {
			c.errorf("invalid number '%s'", orig)
			return 1
		}
		lines = n
	}
	if v, ok := o.val("c"); ok && o.last("n", "c") == "c" {
		bytesMode = true
		if strings.HasPrefix(v, "-") {
			allBut, v = true, v[1:]
		}
		n, ok := parseCount(v)
		if !ok {
			c.errorf("invalid number '%s'", v)
			return 1
		}
		lines = n
	}
	files := o.args
	if len(files) == 0 {
		files = []string{"-"}
	}
	headers := (len(files) > 1 && !o.has("q")) || o.has("v")
	st := 0
	first := true
	for _, name := range files {
		r, closeFn, err := c.input(name)
		if err != nil {
			c.perror(name, err)
			st = 1
			continue
		}
		if headers {
			if !first {
				c.out.WriteByte('\n')
			}
			shown := name
			if name == "-" {
				shown = "standard input"
			}
			fmt.Fprintf(c.out, "==> %s <==\n", shown)
		}
		first = false
		data := r
		switch {
		case bytesMode && !allBut:
			io.Copy(c.out, io.LimitReader(data, lines))
		case bytesMode:
			b, _ := io.ReadAll(data)
			if int64(len(b)) > lines {
				c.out.Write(b[:int64(len(b))-lines])
			}
		case !allBut:
			br := bufio.NewReader(data)
			for i := int64(0); i < lines; i++ {
				l, err := br.ReadString('\n')
				c.out.WriteString(l)
				if err != nil {
					break
				}
			}
		default:
			b, _ := io.ReadAll(data)
			ls := splitLinesKeep(string(b))
			if int64(len(ls)) > lines {
				for _, l := range ls[:int64(len(ls))-lines] {
					c.out.WriteString(l)
				}
			}
		}
		closeFn()
	}
	return st
}

// splitLinesKeep splits s into lines, each with its newline (the last may
// lack one).
func splitLinesKeep(s string) []string {
	var out []string
	for s != "" {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i+1])
		s = s[i+1:]
	}
	return out
}

func tailMain(c *cmd) int {
	args := c.args[1:]
	if len(args) > 0 && len(args[0]) > 1 && args[0][0] == '+' && args[0][1] >= '0' && args[0][1] <= '9' {
		args = append([]string{"-n", args[0]}, args[1:]...)
	}
	o, ok := c.getopt(oldStyleCount(args), "fFn:c:qvs:")
	if !ok {
		return 1
	}
	count, fromStart, bytesMode := int64(10), false, false
	which := o.last("n", "c")
	if which != "" {
		v, _ := o.val(which)
		bytesMode = which == "c"
		if strings.HasPrefix(v, "+") {
			fromStart, v = true, v[1:]
		} else {
			v = strings.TrimPrefix(v, "-")
		}
		n, ok := parseCount(v)
		if !ok {
			c.errorf("invalid number '%s'", v)
			return 1
		}
		count = n
	}
	follow := o.has("f") || o.has("F")
	files := o.args
	if len(files) == 0 {
		files = []string{"-"}
	}
	type opened struct {
		name string
		size int64
	}
	var ok2 []opened
	st := 0
	headers := (len(files) > 1 && !o.has("q")) || o.has("v")
	first := true
	for _, name := range files {
		r, closeFn, err := c.input(name)
		if err != nil {
			c.errorf("can't open '%s': %s", name, Strerror(err))
			st = 1
			continue
		}
		b, _ := io.ReadAll(r)
		closeFn()
		if headers {
			if !first {
				c.out.WriteByte('\n')
			}
			fmt.Fprintf(c.out, "==> %s <==\n", name)
		}
		first = false
		c.out.Write(tailOf(b, count, fromStart, bytesMode))
		ok2 = append(ok2, opened{name, int64(len(b))})
	}
	if len(ok2) == 0 {
		c.errorf("no files")
		return 1
	}
	if follow {
		c.out.Flush()
		for !c.killed() {
			if c.p.Sleep(1e9) != nil {
				break
			}
			for i, f := range ok2 {
				if f.name == "-" {
					continue
				}
				fl, err := c.open(f.name)
				if err != nil {
					continue
				}
				fi, err := fl.Stat()
				if err == nil && fi.Size() > f.size {
					fl.Seek(f.size, io.SeekStart)
					n, _ := io.Copy(c.out, fl)
					ok2[i].size += n
				} else if err == nil && fi.Size() < f.size {
					ok2[i].size = fi.Size()
				}
				fl.Close()
			}
			if err := c.out.Flush(); err != nil {
				return c.writeFailed(err)
			}
		}
	}
	return st
}

func tailOf(b []byte, count int64, fromStart, bytesMode bool) []byte {
	if bytesMode {
		if fromStart {
			if count > 0 {
				count--
			}
			if count >= int64(len(b)) {
				return nil
			}
			return b[count:]
		}
		if count >= int64(len(b)) {
			return b
		}
		return b[int64(len(b))-count:]
	}
	lines := splitLinesKeep(string(b))
	if fromStart {
		if count > 0 {
			count--
		}
		if count >= int64(len(lines)) {
			return nil
		}
		return []byte(strings.Join(lines[count:], ""))
	}
	if count >= int64(len(lines)) {
		return b
	}
	return []byte(strings.Join(lines[int64(len(lines))-count:], ""))
}

func wcMain(c *cmd) int {
	o, ok := c.getopt(c.args[1:], "cmlwL")
	if !ok {
		return 1
	}
	type col struct {
		flag string
		on   bool
	}
	cols := []col{{"l", o.has("l")}, {"w", o.has("w")}, {"c", o.has("c") || o.has("m")}, {"L", o.has("L")}}
	n := 0
	for _, cl := range cols {
		if cl.on {
			n++
		}
	}
	if n == 0 {
		cols[0].on, cols[1].on, cols[2].on = true, true, true
		n = 3
	}
	files := o.args
	stdin := len(files) == 0
	if stdin {
		files = []string{"-"}
	}
	startFmt := "%9d"
	if len(files) == 1 && n == 1 {
		startFmt = "%d"
	}
	var total [4]int64
	st := 0
	print := func(counts [4]int64, name string) {
		f := startFmt
		for i, cl := range cols {
			if !cl.on {
				continue
			}
			fmt.Fprintf(c.out, f, counts[i])
			f = " %9d"
		}
		if name == "" {
			c.out.WriteByte('\n')
		} else {
			fmt.Fprintf(c.out, " %s\n", name)
		}
	}
	for _, name := range files {
		r, closeFn, err := c.input(name)
		if err != nil {
			c.perror(name, err)
			st = 1
			continue
		}
		b, _ := io.ReadAll(r)
		closeFn()
		var counts [4]int64
		counts[0] = int64(bytes.Count(b, []byte("\n")))
		counts[1] = int64(len(bytes.Fields(b)))
		counts[2] = int64(len(b))
		for _, l := range bytes.Split(b, []byte("\n")) {
			w := int64(0)
			for _, ch := range l {
				if ch == '\t' {
					w = (w + 8) &^ 7
				} else {
					w++
				}
			}
			if w > counts[3] {
				counts[3] = w
			}
		}
		for i := range total {
			total[i] += counts[i]
		}
		if total[3] < counts[3] {
			total[3] = counts[3]
		}
		shown := name
		if stdin {
			shown = ""
		}
		print(counts, shown)
	}
	if len(files) > 1 {
		print(total, "total")
	}
	return st
}

// sortKey is one -k key.
type sortKey struct {
	f1, c1, f2, c2 int // 1-based field and character; f2 0: to the end
	flags          string
}

func parseSortKey(s string) (sortKey, bool) {
	var k sortKey
	start, end, hasEnd := strings.Cut(s, ",")
	parsePos := func(p string) (field, char int, flags string, ok bool) {
		i := 0
		for i < len(p) && p[i] >= '0' && p[i] <= '9' {
			i++
		}
		if i == 0 {
			return 0, 0, "", false
		}
		field, _ = strconv.Atoi(p[:i])
		p = p[i:]
		if strings.HasPrefix(p, ".") {
			j := 1
			for j < len(p) && p[j] >= '0' && p[j] <= '9' {
				j++
			}
			char, _ = strconv.Atoi(p[1:j])
			p = p[j:]
		}
		if strings.Trim(p, "bdfiMnrgh") != "" {
			return 0, 0, "", false
		}
		return field, char, p, true
	}
	var ok bool
	var fl string
	k.f1, k.c1, fl, ok = parsePos(start)
	if !ok || k.f1 == 0 {
		return k, false
	}
	k.flags = fl
	if hasEnd {
		var fl2 string
		k.f2, k.c2, fl2, ok = parsePos(end)
		if !ok {
			return k, false
		}
		k.flags += fl2
	}
	return k, true
}

// fieldRange returns the byte range of the key in line.
func (k sortKey) extract(line string, sep string) string {
	type span struct{ start, end int }
	var fields []span
	if sep != "" {
		start := 0
		for {
			i := strings.Index(line[start:], sep)
			if i < 0 {
				fields = append(fields, span{start, len(line)})
				break
			}
			fields = append(fields, span{start, start + i})
			start += i + len(sep)
		}
	} else {
		// Fields start where blanks start: leading blanks belong to the
		// field.
		i := 0
		for i < len(line) {
			start := i
			for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
				i++
			}
			for i < len(line) && line[i] != ' ' && line[i] != '\t' {
				i++
			}
			fields = append(fields, span{start, i})
		}
	}
	if k.f1 > len(fields) {
		return ""
	}
	s := fields[k.f1-1].start
	if k.c1 > 0 {
		s += k.c1 - 1
	}
	e := len(line)
	if k.f2 > 0 {
		if k.f2 <= len(fields) {
			e = fields[k.f2-1].end
			if k.c2 > 0 {
				e = fields[k.f2-1].start + k.c2
			}
		}
	}
	if s > len(line) {
		s = len(line)
	}
	if e > len(line) {
		e = len(line)
	}
	if e < s {
		return ""
	}
	return line[s:e]
}

// leadingNumber is atof of the start of s, as sort -n reads it.
func leadingNumber(s string) float64 {
	s = strings.TrimLeft(s, " \t")
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	v, err := strconv.ParseFloat(s[:i], 64)
	if err != nil {
		return 0
	}
	return v
}

func sortMain(c *cmd) int {
	o, ok := c.getopt(c.args[1:], "nrugMcszbdfiok:t:o:S:T:")
	if !ok {
		return 1
	}
	var keys []sortKey
	for _, ks := range o.vals("k") {
		k, ok := parseSortKey(ks)
		if !ok {
			c.errorf("bad field specification '%s'", ks)
			return 1
		}
		keys = append(keys, k)
	}
	sep, _ := o.val("t")
	global := ""
	for _, f := range "nrfbdgMi" {
		if o.has(string(f)) {
			global += string(f)
		}
	}
	files := o.args
	if len(files) == 0 {
		files = []string{"-"}
	}
	var lines []string
	for _, name := range files {
		r, closeFn, err := c.input(name)
		if err != nil {
			c.perror(name, err)
			return 2
		}
		b, _ := io.ReadAll(r)
		closeFn()
		s := string(b)
		s = strings.TrimSuffix(s, "\n")
		if s == "" && len(b) == 0 {
			continue
		}
		lines = append(lines, strings.Split(s, "\n")...)
	}
	cmpStr := func(a, b, flags string) int {
		if strings.ContainsAny(flags, "b") {
			a, b = strings.TrimLeft(a, " \t"), strings.TrimLeft(b, " \t")
		}
		if strings.ContainsAny(flags, "ng") {
			x, y := leadingNumber(a), leadingNumber(b)
			switch {
			case x < y:
				return -1
			case x > y:
				return 1
			}
			return 0
		}
		if strings.Contains(flags, "f") {
			a, b = strings.ToUpper(a), strings.ToUpper(b)
		}
		return strings.Compare(a, b)
	}
	unique, stable := o.has("u"), o.has("s")
	compare := func(a, b string) int {
		r := 0
		if len(keys) == 0 {
			r = cmpStr(a, b, global)
			if strings.Contains(global, "r") {
				r = -r
			}
		} else {
			for _, k := range keys {
				flags := k.flags
				if strings.Trim(flags, "r") == "" {
					flags += global
				}
				r = cmpStr(k.extract(a, sep), k.extract(b, sep), flags)
				if strings.Contains(flags, "r") {
					r = -r
				}
				if r != 0 {
					break
				}
			}
		}
		return r
	}
	full := func(a, b string) int {
		r := compare(a, b)
		if r == 0 && !stable && !unique {
			r = strings.Compare(a, b)
			if strings.Contains(global, "r") {
				r = -r
			}
		}
		return r
	}
	if o.has("c") {
		for i := 1; i < len(lines); i++ {
			if r := full(lines[i-1], lines[i]); r > 0 || (unique && r == 0) {
				c.errorf("-:%d: disorder: %s", i+1, lines[i])
				return 1
			}
		}
		return 0
	}
	sort.SliceStable(lines, func(i, j int) bool { return full(lines[i], lines[j]) < 0 })
	out := c.out
	var w io.Writer = out
	if name, ok := o.val("o"); ok {
		f, err := c.openFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666)
		if err != nil {
			c.errorf("can't open '%s': %s", name, Strerror(err))
			return 2
		}
		defer f.Close()
		w = f
	}
	var buf bytes.Buffer
	for i, l := range lines {
		if unique && i > 0 && compare(lines[i-1], l) == 0 {
			continue
		}
		buf.WriteString(l)
		buf.WriteByte('\n')
	}
	w.Write(buf.Bytes())
	return 0
}

func uniqMain(c *cmd) int {
	o, ok := c.getopt(c.args[1:], "cduizf:s:w:")
	if !ok {
		return 1
	}
	skipFields, skipChars, width := 0, 0, -1
	for _, x := range []struct {
		f string
		p *int
	}{{"f", &skipFields}, {"s", &skipChars}, {"w", &width}} {
		if v, ok := o.val(x.f); ok {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				c.errorf("invalid number '%s'", v)
				return 1
			}
			*x.p = n
		}
	}
	in := "-"
	if len(o.args) > 0 {
		in = o.args[0]
	}
	r, closeFn, err := c.input(in)
	if err != nil {
		c.errorf("can't open '%s': %s", in, Strerror(err))
		return 1
	}
	b, _ := io.ReadAll(r)
	closeFn()
	var w io.Writer = c.out
	if len(o.args) > 1 {
		f, err := c.openFile(o.args[1], os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666)
		if err != nil {
			c.errorf("can't open '%s': %s", o.args[1], Strerror(err))
			return 1
		}
		defer f.Close()
		w = f
	}
	key := func(l string) string {
		for i := 0; i < skipFields; i++ {
			l = strings.TrimLeft(l, " \t")
			j := strings.IndexAny(l, " \t")
			if j < 0 {
				l = ""
				break
			}
			l = l[j:]
		}
		if skipChars < len(l) {
			l = l[skipChars:]
		} else {
			l = ""
		}
		if width >= 0 && width < len(l) {
			l = l[:width]
		}
		if o.has("i") {
			l = strings.ToLower(l)
		}
		return l
	}
	s := strings.TrimSuffix(string(b), "\n")
	if len(b) == 0 {
		return 0
	}
	lines := strings.Split(s, "\n")
	var buf bytes.Buffer
	emit := func(l string, n int) {
		if (o.has("d") && n < 2) || (o.has("u") && n > 1) {
			return
		}
		if o.has("c") {
			fmt.Fprintf(&buf, "%7d ", n)
		}
		buf.WriteString(l + "\n")
	}
	cur, n := lines[0], 1
	for _, l := range lines[1:] {
		if key(l) == key(cur) {
			n++
			continue
		}
		emit(cur, n)
		cur, n = l, 1
	}
	emit(cur, n)
	w.Write(buf.Bytes())
	return 0
}

// cutList is a list of 1-based ranges.
type cutRange struct{ lo, hi int } // hi 0: to the end

func parseCutList(s string) ([]cutRange, bool) {
	var out []cutRange
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		r := cutRange{}
		var err error
		if lo == "" {
			r.lo = 1
		} else if r.lo, err = strconv.Atoi(lo); err != nil || r.lo < 1 {
			return nil, false
		}
		if !isRange {
			r.hi = r.lo
		} else if hi != "" {
			if r.hi, err = strconv.Atoi(hi); err != nil || r.hi < r.lo {
				return nil, false
			}
		}
		out = append(out, r)
	}
	return out, true
}

func (r cutRange) has(i int) bool { return i >= r.lo && (r.hi == 0 || i <= r.hi) }

func cutMain(c *cmd) int {
	o, ok := c.getopt(c.args[1:], "b:c:f:d:snO:")
	if !ok {
		return 1
	}
	mode := o.last("b", "c", "f")
	if mode == "" {
		c.errorf("expected a list of bytes, characters, or fields")
		return 1
	}
	spec, _ := o.val(mode)
	ranges, ok := parseCutList(spec)
	if !ok {
		c.errorf("invalid range %s", spec)
		return 1
	}
	delim := "\t"
	if d, ok := o.val("d"); ok {
		if d == "" {
			d = "\x00"
		}
		delim = d[:1]
	}
	outDelim := delim
	if d, ok := o.val("O"); ok {
		outDelim = d
	}
	files := o.args
	if len(files) == 0 {
		files = []string{"-"}
	}
	st := 0
	in := func(i int) bool {
		for _, r := range ranges {
			if r.has(i) {
				return true
			}
		}
		return false
	}
	for _, name := range files {
		r, closeFn, err := c.input(name)
		if err != nil {
			c.perror(name, err)
			st = 1
			continue
		}
		b, _ := io.ReadAll(r)
		closeFn()
		s := strings.TrimSuffix(string(b), "\n")
		if len(b) == 0 {
			continue
		}
		for _, line := range strings.Split(s, "\n") {
			if mode != "f" {
				var sb strings.Builder
				for i := 0; i < len(line); i++ {
					if in(i + 1) {
						sb.WriteByte(line[i])
					}
				}
				c.println(sb.String())
				continue
			}
			if !strings.Contains(line, delim) {
				if !o.has("s") {
					c.println(line)
				}
				continue
			}
			fields := strings.Split(line, delim)
			var sel []string
			for i, f := range fields {
				if in(i + 1) {
					sel = append(sel, f)
				}
			}
			c.println(strings.Join(sel, outDelim))
		}
	}
	return st
}

// expandTrSet expands tr's SET: ranges, escapes and [:class:].
func expandTrSet(s string) []byte {
	var out []byte
	i := 0
	next := func() (byte, bool) {
		if i >= len(s) {
			return 0, false
		}
		if s[i] == '\\' && i+1 < len(s) {
			ch, n := processEscape(s[i+1:])
			if n == 0 && s[i+1] != 'x' {
				i += 2
				return s[i-1], true
			}
			i += 1 + n
			return ch, true
		}
		i++
		return s[i-1], true
	}
	classes := map[string]string{
		"alpha": "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
		"upper": "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "lower": "abcdefghijklmnopqrstuvwxyz",
		"digit": "0123456789", "alnum": "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
		"space": " \t\n\v\f\r", "blank": " \t", "punct": "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
		"xdigit": "0123456789ABCDEFabcdef", "cntrl": "\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\v\f\r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x7f",
	}
	for i < len(s) {
		if strings.HasPrefix(s[i:], "[:") {
			if j := strings.Index(s[i:], ":]"); j > 2 {
				if cl, ok := classes[s[i+2:i+j]]; ok {
					out = append(out, cl...)
					i += j + 2
					continue
				}
			}
		}
		ch, _ := next()
		if i+1 < len(s) && s[i] == '-' {
			save := i
			i++
			hi, ok := next()
			if ok && hi >= ch {
				for x := int(ch); x <= int(hi); x++ {
					out = append(out, byte(x))
				}
				continue
			}
			i = save
		}
		out = append(out, ch)
	}
	return out
}

func trMain(c *cmd) int {
	o, ok := c.getopt(c.args[1:], "cdsC")
	if !ok {
		return 1
	}
	if len(o.args) == 0 || (len(o.args) == 1 && !o.has("d") && !o.has("s")) || len(o.args) > 2 {
		return c.usageError()
	}
	set1 := expandTrSet(o.args[0])
	var set2 []byte
	if len(o.args) > 1 {
		set2 = expandTrSet(o.args[1])
	}
	var in1 [256]bool
	for _, b := range set1 {
		in1[b] = true
	}
	if o.has("c") || o.has("C") {
		for i := range in1 {
			in1[i] = !in1[i]
		}
		set1 = nil
		for i := 0; i < 256; i++ {
			if in1[i] {
				set1 = append(set1, byte(i))
			}
		}
	}
	var mapTo [256]int
	for i := range mapTo {
		mapTo[i] = i
	}
	if !o.has("d") && len(set2) > 0 {
		for i, b := range set1 {
			t := set2[len(set2)-1]
			if i < len(set2) {
				t = set2[i]
			}
			mapTo[b] = int(t)
		}
	}
	var squeeze [256]bool
	sq := set1
	if len(set2) > 0 {
		sq = set2
	}
	if o.has("d") && len(set2) > 0 {
		sq = set2
	}
	for _, b := range sq {
		squeeze[b] = true
	}
	br := bufio.NewReader(c.stdin())
	last := -1
	for {
		b, err := br.ReadByte()
		if err != nil {
			break
		}
		if o.has("d") && in1[b] {
			continue
		}
		out := byte(mapTo[b])
		if o.has("s") && squeeze[out] && int(out) == last {
			continue
		}
		c.out.WriteByte(out)
		last = int(out)
	}
	return 0
}

func teeMain(c *cmd) int {
	o, ok := c.getopt(c.args[1:], "ai")
	if !ok {
		return 1
	}
	flag := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if o.has("a") {
		flag = os.O_WRONLY | os.O_CREATE | os.O_APPEND
	}
	st := 0
	var ws []io.Writer
	var closers []func()
	for _, name := range o.args {
		if name == "-" {
			ws = append(ws, c.p.Stdout())
			continue
		}
		f, err := c.openFile(name, flag, 0o666)
		if err != nil {
			c.perror(name, err)
			st = 1
			continue
		}
		ws = append(ws, f)
		closers = append(closers, func() { f.Close() })
	}
	buf := make([]byte, 4096)
	in := c.stdin()
	stdout := c.p.Stdout()
	for {
		n, err := in.Read(buf)
		if n > 0 {
			if _, werr := stdout.Write(buf[:n]); werr != nil {
				st = c.writeFailed(werr)
			}
			for _, w := range ws {
				w.Write(buf[:n])
			}
		}
		if err != nil {
			break
		}
	}
	for _, f := range closers {
		f()
	}
	return st
}
