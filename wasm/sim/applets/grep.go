package applets

import (
	"io"
	"io/fs"
	"regexp"
	"strconv"
	"strings"
)

type grepOpts struct {
	res                                                       []*regexp.Regexp
	fixed                                                     []string
	invert, count, number, list, listNot, quiet, only, silent bool
	withName, icase, word, line                               bool
	max                                                       int
	after, before                                             int
}

func grepMain(c *cmd) int {
	o, ok := c.getopt(c.args[1:], "HhnlLoqvsrRiwFEzxcm:A:B:C:e:f:")
	if !ok {
		return 2
	}
	g := &grepOpts{
		invert: o.has("v"), count: o.has("c"), number: o.has("n"), list: o.has("l"),
		listNot: o.has("L"), quiet: o.has("q"), only: o.has("o"), silent: o.has("s"),
		icase: o.has("i"), word: o.has("w"), line: o.has("x"), max: -1,
	}
	for _, x := range []struct {
		f string
		p *int
	}{{"m", &g.max}, {"A", &g.after}, {"B", &g.before}} {
		if v, ok := o.val(x.f); ok {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				c.errorf("invalid number '%s'", v)
				return 2
			}
			*x.p = n
		}
	}
	if v, ok := o.val("C"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			c.errorf("invalid number '%s'", v)
			return 2
		}
		if !o.has("A") {
			g.after = n
		}
		if !o.has("B") {
			g.before = n
		}
	}
	patterns := o.vals("e")
	for _, f := range o.vals("f") {
		r, closeFn, err := c.input(f)
		if err != nil {
			c.perror(f, err)
			return 2
		}
		b, _ := io.ReadAll(r)
		closeFn()
		patterns = append(patterns, strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")...)
	}
	args := o.args
	if !o.has("e") && !o.has("f") {
		if len(args) == 0 {
			c.usageError()
			return 2
		}
		patterns = append(patterns, strings.Split(args[0], "\n")...)
		args = args[1:]
	}
	ere := o.has("E") || c.name == "egrep"
	fixed := o.has("F") || c.name == "fgrep"
	for _, p := range patterns {
		if fixed {
			g.fixed = append(g.fixed, p)
			continue
		}
		re, err := compileRegex(p, ere, g.icase)
		if err != nil {
			c.errorf("bad regex '%s'", p)
			return 2
		}
		g.res = append(g.res, re)
	}
	recursive := o.has("r") || o.has("R")
	if len(args) == 0 {
		if recursive {
			args = []string{"."}
		} else {
			args = []string{"-"}
		}
	}
	g.withName = len(args) > 1 || recursive
	if o.has("h") {
		g.withName = false
	}
	if o.has("H") {
		g.withName = true
	}
	matched, failed := false, false
	var visit func(name string, top bool)
	visit = func(name string, top bool) {
		if name != "-" {
			fi, err := c.stat(name)
			if err != nil {
				if !g.silent {
					c.perror(name, err)
				}
				failed = true
				return
			}
			if fi.IsDir() {
				if !recursive {
					return
				}
				if !top && !o.has("R") {
					if lfi, err := c.lstat(name); err == nil && lfi.Mode()&fs.ModeSymlink != 0 {
						return
					}
				}
				ents, err := c.readDir(name)
				if err != nil {
					if !g.silent {
						c.perror(name, err)
					}
					failed = true
					return
				}
				for _, e := range ents {
					visit(strings.TrimSuffix(name, "/")+"/"+e.Name(), false)
				}
				return
			}
			if !top && recursive && !o.has("R") {
				if lfi, err := c.lstat(name); err == nil && lfi.Mode()&fs.ModeSymlink != 0 {
					return
				}
			}
		}
		r, closeFn, err := c.input(name)
		if err != nil {
			if !g.silent {
				c.perror(name, err)
			}
			failed = true
			return
		}
		b, _ := io.ReadAll(r)
		closeFn()
		shown := name
		if name == "-" {
			shown = "(standard input)"
		}
		if c.grepData(g, shown, string(b), o.has("z")) {
			matched = true
		}
	}
	for _, a := range args {
		visit(a, true)
		if matched && g.quiet {
			return 0
		}
	}
	switch {
	case failed && !(g.quiet && matched):
		return 2
	case matched:
		return 0
	}
	return 1
}

func (c *cmd) grepMatch(g *grepOpts, line string) [][]int {
	var out [][]int
	check := func(loc []int) bool {
		s, e := loc[0], loc[1]
		if g.line && (s != 0 || e != len(line)) {
			return false
		}
		if g.word {
			if s > 0 && isWordByte(line[s-1]) || e < len(line) && isWordByte(line[e]) {
				return false
			}
		}
		return true
	}
	for _, re := range g.res {
		for _, loc := range re.FindAllStringIndex(line, -1) {
			if check(loc) {
				out = append(out, loc)
			}
		}
		if len(out) > 0 && !g.only {
			return out
		}
	}
	for _, f := range g.fixed {
		hay, needle := line, f
		if g.icase {
			hay, needle = strings.ToLower(line), strings.ToLower(f)
		}
		for start := 0; start <= len(hay); {
			i := strings.Index(hay[start:], needle)
			if i < 0 {
				break
			}
			loc := []int{start + i, start + i + len(needle)}
			if check(loc) {
				out = append(out, loc)
			}
			start += i + max(len(needle), 1)
		}
	}
	return out
}

func isWordByte(b byte) bool {
	return b == '_' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}

// grepData searches one file's content; it reports whether a line was
// selected.
func (c *cmd) grepData(g *grepOpts, name, data string, nul bool) bool {
	sep := "\n"
	if nul {
		sep = "\x00"
	}
	if data == "" {
		return false
	}
	lines := strings.Split(strings.TrimSuffix(data, sep), sep)
	count := 0
	lastPrinted := -1
	afterLeft := 0
	prefix := func(i int, mark string) string {
		p := ""
		if g.withName {
			p += name + mark
		}
		if g.number {
			p += strconv.Itoa(i+1) + mark
		}
		return p
	}
	for i, line := range lines {
		if g.max >= 0 && count >= g.max {
			break
		}
		locs := c.grepMatch(g, line)
		sel := (len(locs) > 0) != g.invert
		if !sel {
			if afterLeft > 0 && !g.quiet && !g.count && !g.list && !g.listNot {
				c.out.WriteString(prefix(i, "-") + line + sep)
				lastPrinted = i
				afterLeft--
			}
			continue
		}
		count++
		if g.quiet {
			return true
		}
		if g.list || g.listNot || g.count {
			continue
		}
		if g.before > 0 || g.after > 0 {
			start := max(i-g.before, lastPrinted+1)
			if lastPrinted >= 0 && start > lastPrinted+1 {
				c.out.WriteString("--\n")
			}
			for j := start; j < i; j++ {
				c.out.WriteString(prefix(j, "-") + lines[j] + sep)
			}
		}
		if g.only && !g.invert {
			for _, loc := range locs {
				if loc[1] > loc[0] {
					c.out.WriteString(prefix(i, ":") + line[loc[0]:loc[1]] + sep)
				}
			}
		} else {
			c.out.WriteString(prefix(i, ":") + line + sep)
		}
		lastPrinted = i
		afterLeft = g.after
	}
	switch {
	case g.count:
		if g.withName {
			c.out.WriteString(name + ":")
		}
		c.out.WriteString(strconv.Itoa(count) + "\n")
	case g.list && count > 0:
		c.out.WriteString(name + "\n")
	case g.listNot && count == 0:
		c.out.WriteString(name + "\n")
	}
	if g.listNot {
		return count == 0
	}
	return count > 0
}
