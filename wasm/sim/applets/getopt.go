package applets

import (
	"strings"
)

// opt is one option as parsed: a short option's letter ("l") or a long
// option's name ("full-time"), and its argument.
type opt struct {
	name   string
	arg    string
	hasArg bool
}

// opts is a parsed command line: the options in order, and the operands.
type opts struct {
	list []opt
	args []string
}

// has reports whether the option was given.
func (o *opts) has(name string) bool {
	for _, x := range o.list {
		if x.name == name {
			return true
		}
	}
	return false
}

// count is how many times the option was given.
func (o *opts) count(name string) int {
	n := 0
	for _, x := range o.list {
		if x.name == name {
			n++
		}
	}
	return n
}

// val is the argument of the option's last occurrence.
func (o *opts) val(name string) (string, bool) {
	v, ok := "", false
	for _, x := range o.list {
		if x.name == name {
			v, ok = x.arg, true
		}
	}
	return v, ok
}

// vals are the arguments of all the option's occurrences.
func (o *opts) vals(name string) []string {
	var v []string
	for _, x := range o.list {
		if x.name == name {
			v = append(v, x.arg)
		}
	}
	return v
}

// last returns which of names was given last, or "".
func (o *opts) last(names ...string) string {
	r := ""
	for _, x := range o.list {
		for _, n := range names {
			if x.name == n {
				r = n
			}
		}
	}
	return r
}

// getopt parses args as glibc's getopt_long does for busybox's getopt32:
// short is a getopt string ("ln:" — a colon after a letter takes an
// argument; a leading "+" stops at the first operand instead of permuting),
// longs are long option names, with "=" appended when they take an
// argument and "=?" when the argument is optional. Unambiguous prefixes of
// long options are accepted. On a bad option it prints glibc's message and
// the applet's usage to stderr and returns false; the applet then exits 1.
func (c *cmd) getopt(args []string, short string, longs ...string) (*opts, bool) {
	o := &opts{}
	permute := true
	if strings.HasPrefix(short, "+") {
		permute = false
		short = short[1:]
	}
	var operands []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			operands = append(operands, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			if !permute {
				operands = append(operands, args[i:]...)
				break
			}
			operands = append(operands, a)
			continue
		}
		if strings.HasPrefix(a, "--") {
			name, val, hasVal := strings.Cut(a[2:], "=")
			spec, ok := matchLong(longs, name)
			switch {
			case ok == 0:
				c.errorf("unrecognized option '--%s'", name)
				c.usageError()
				return nil, false
			case ok > 1:
				c.errorf("option '--%s' is ambiguous", name)
				c.usageError()
				return nil, false
			}
			lname, kind := spec, ""
			if j := strings.IndexByte(spec, '='); j >= 0 {
				lname, kind = spec[:j], spec[j:]
			}
			switch kind {
			case "":
				if hasVal {
					c.errorf("option '--%s' doesn't allow an argument", lname)
					c.usageError()
					return nil, false
				}
				o.list = append(o.list, opt{name: lname})
			case "=?":
				o.list = append(o.list, opt{name: lname, arg: val, hasArg: hasVal})
			default:
				if !hasVal {
					if i+1 >= len(args) {
						c.errorf("option '--%s' requires an argument", lname)
						c.usageError()
						return nil, false
					}
					i++
					val = args[i]
				}
				o.list = append(o.list, opt{name: lname, arg: val, hasArg: true})
			}
			continue
		}
		// A cluster of short options: -abc, -n5, -n 5.
		for j := 1; j < len(a); j++ {
			ch := a[j]
			k := strings.IndexByte(short, ch)
			if k < 0 || ch == ':' {
				c.errorf("invalid option -- '%c'", ch)
				c.usageError()
				return nil, false
			}
			if k+2 < len(short) && short[k+1] == ':' && short[k+2] == ':' {
				// An optional argument must be attached: -Iseconds.
				val := a[j+1:]
				o.list = append(o.list, opt{name: string(ch), arg: val, hasArg: val != ""})
				break
			}
			if k+1 < len(short) && short[k+1] == ':' {
				val := a[j+1:]
				if val == "" {
					if i+1 >= len(args) {
						c.errorf("option requires an argument -- '%c'", ch)
						c.usageError()
						return nil, false
					}
					i++
					val = args[i]
				}
				o.list = append(o.list, opt{name: string(ch), arg: val, hasArg: true})
				break
			}
			o.list = append(o.list, opt{name: string(ch)})
		}
	}
	o.args = operands
	return o, true
}

// matchLong finds name among longs, exactly or as an unambiguous prefix. It
// returns the spec and how many matched (0, 1, or more).
func matchLong(longs []string, name string) (string, int) {
	var found []string
	for _, l := range longs {
		base, _, _ := strings.Cut(l, "=")
		if base == name {
			return l, 1
		}
		if strings.HasPrefix(base, name) {
			found = append(found, l)
		}
	}
	if len(found) == 1 {
		return found[0], 1
	}
	return "", len(found)
}
