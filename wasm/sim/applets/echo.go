package applets

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// processEscape decodes one backslash escape at s (just after the
// backslash), as bb_process_escape_sequence does: \a \b \e \f \n \r \t \v
// \\, up to three octal digits, \x and up to two hex digits. An unknown
// escape yields a backslash and consumes nothing. It returns the byte and
// how many bytes of s it used.
func processEscape(s string) (byte, int) {
	q := 0
	base, digits, n := 8, 0, 0
	if q < len(s) && s[q] == 'x' {
		q++
		base = 16
		digits = 1
	}
	for {
		if q >= len(s) {
			if base == 16 && digits == 1 {
				return '\\', 0
			}
			break
		}
		d := int(s[q]) - '0'
		if d < 0 || d >= 10 {
			lc := s[q] | 0x20
			if lc >= 'a' && lc <= 'z' {
				d = int(lc-'a') + 10
			} else {
				d = 99
			}
		}
		if d >= base {
			if base == 16 {
				digits--
				if digits == 0 {
					return '\\', 0
				}
			}
			break
		}
		r := n*base + d
		if r > 255 {
			break
		}
		n = r
		q++
		digits++
		if digits >= 3 {
			break
		}
	}
	if digits == 0 {
		if q < len(s) {
			const from, to = "abefnrtv\\", "\a\b\x1b\f\n\r\t\v\\"
			if i := strings.IndexByte(from, s[q]); i >= 0 {
				return to[i], q + 1
			}
		}
		return '\\', q
	}
	return byte(n), q
}

// echoMain is busybox echo: -n, -e and -E in any combination, escapes
// interpreted only with -e.
func echoMain(c *cmd) int {
	args := c.args[1:]
	newline, escapes := true, false
	for len(args) > 0 {
		a := args[0]
		if len(a) < 2 || a[0] != '-' || strings.Trim(a[1:], "neE") != "" {
			break
		}
		for _, ch := range a[1:] {
			switch ch {
			case 'n':
				newline = false
			case 'e':
				escapes = true
			}
			// 'E' changes nothing: escapes are off unless -e.
		}
		args = args[1:]
	}
	var b strings.Builder
	stop := false
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		if !escapes {
			b.WriteString(a)
			continue
		}
		for j := 0; j < len(a); j++ {
			if a[j] != '\\' {
				b.WriteByte(a[j])
				continue
			}
			rest := a[j+1:]
			if strings.HasPrefix(rest, "c") {
				stop = true
				break
			}
			if len(rest) >= 2 && rest[0] == '0' && rest[1] >= '0' && rest[1] <= '7' {
				rest = rest[1:]
				j++
			}
			ch, n := processEscape(rest)
			b.WriteByte(ch)
			j += n
		}
		if stop {
			break
		}
	}
	if newline && !stop {
		b.WriteByte('\n')
	}
	// echo writes its line in one write(2), unbuffered.
	if _, err := c.p.Stdout().Write([]byte(b.String())); err != nil {
		return c.writeFailed(err)
	}
	return 0
}

// printfMain is busybox printf.
func printfMain(c *cmd) int {
	args := c.args[1:]
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		if c.name != "printf" {
			// The shell's builtin.
			c.errorf("usage: printf FORMAT [ARGUMENT...]")
			return 2
		}
		return c.usageError()
	}
	format, rest := args[0], args[1:]
	pf := &printer{c: c}
	for {
		used, stop := pf.format(format, rest)
		if stop || pf.bad {
			break
		}
		rest = rest[used:]
		if used == 0 || len(rest) == 0 {
			break
		}
	}
	if pf.bad || pf.convErr {
		return 1
	}
	return 0
}

type printer struct {
	c       *cmd
	bad     bool // an invalid directive ended printing
	convErr bool // an argument was not a number
}

// format prints format once, consuming arguments from args. It returns how
// many it used, and whether \c asked to stop.
func (pf *printer) format(f string, args []string) (used int, stop bool) {
	out := pf.c.out
	next := func() (string, bool) {
		if used < len(args) {
			used++
			return args[used-1], true
		}
		return "", false
	}
	for i := 0; i < len(f); i++ {
		switch f[i] {
		case '\\':
			if i+1 < len(f) && f[i+1] == 'c' {
				return used, true
			}
			ch, n := processEscape(f[i+1:])
			out.WriteByte(ch)
			i += n
		case '%':
			start := i
			i++
			if i < len(f) && f[i] == '%' {
				out.WriteByte('%')
				continue
			}
			if i < len(f) && f[i] == 'b' {
				if a, ok := next(); ok {
					if pf.escString(a) {
						return used, true
					}
				}
				continue
			}
			spec := "%"
			if i < len(f) && strings.IndexByte("-+ #", f[i]) >= 0 {
				spec += string(f[i])
				i++
			}
			width, prec := "", ""
			if i < len(f) && f[i] == '*' {
				i++
				w := 0
				if a, ok := next(); ok {
					w = pf.toInt(a)
				}
				width = strconv.Itoa(w)
			} else {
				for i < len(f) && f[i] >= '0' && f[i] <= '9' {
					width += string(f[i])
					i++
				}
			}
			hasPrec := false
			if i < len(f) && f[i] == '.' {
				hasPrec = true
				i++
				if i < len(f) && f[i] == '*' {
					i++
					p := 0
					if a, ok := next(); ok {
						p = pf.toInt(a)
					}
					prec = strconv.Itoa(p)
				} else {
					for i < len(f) && f[i] >= '0' && f[i] <= '9' {
						prec += string(f[i])
						i++
					}
				}
			}
			for i < len(f) && (f[i]|0x20 == 'l' || f[i] == 'h' || f[i] == 'z') {
				i++
			}
			if i >= len(f) || strings.IndexByte("diouxXfeEgGcs", f[i]) < 0 {
				// The message shows the rest of the format, size
				// modifiers removed.
				pf.c.errorf("%s: invalid format", stripModifiers(f[start:]))
				pf.bad = true
				return used, true
			}
			verb := f[i]
			arg, _ := next()
			spec += width
			if hasPrec {
				spec += "." + prec
			}
			pf.direc(spec, verb, arg)
		default:
			out.WriteByte(f[i])
		}
	}
	return used, false
}

// stripModifiers removes the size modifiers busybox deletes from a
// directive before reporting it.
func stripModifiers(s string) string {
	var b strings.Builder
	i := 1
	b.WriteByte('%')
	for i < len(s) && strings.IndexByte("-+ #*.0123456789", s[i]) >= 0 {
		b.WriteByte(s[i])
		i++
	}
	for i < len(s) && (s[i]|0x20 == 'l' || s[i] == 'h' || s[i] == 'z') {
		i++
	}
	b.WriteString(s[i:])
	return b.String()
}

// escString prints a %b argument; it reports whether \c stopped output.
func (pf *printer) escString(s string) bool {
	out := pf.c.out
	for j := 0; j < len(s); j++ {
		if s[j] != '\\' {
			out.WriteByte(s[j])
			continue
		}
		rest := s[j+1:]
		if strings.HasPrefix(rest, "c") {
			return true
		}
		if len(rest) >= 2 && rest[0] == '0' && rest[1] >= '0' && rest[1] <= '7' {
			rest = rest[1:]
			j++
		}
		ch, n := processEscape(rest)
		out.WriteByte(ch)
		j += n
	}
	return false
}

// numArg turns a leading quote into the next character's code, as
// multiconvert does.
func numArg(a string) string {
	if len(a) > 0 && (a[0] == '"' || a[0] == '\'') {
		if len(a) > 1 {
			return strconv.Itoa(int(a[1]))
		}
		return "0"
	}
	return a
}

// parseCInt parses like strtoll with base 0, after leading blanks,
// requiring the whole string.
func parseCInt(s string) (int64, bool) {
	t := strings.TrimLeft(s, " \t\n\r\v\f")
	if t == "" {
		return 0, false
	}
	v, err := strconv.ParseInt(t, 0, 64)
	if err != nil {
		// ParseInt accepts underscores and 0o/0b prefixes that C does not.
		return 0, false
	}
	if strings.ContainsAny(t, "_oObB") && !strings.HasPrefix(strings.ToLower(strings.TrimLeft(t, "+-")), "0x") {
		return 0, false
	}
	return v, true
}

func (pf *printer) toInt(a string) int {
	v, ok := parseCInt(numArg(a))
	if !ok {
		pf.c.errorf("invalid number '%s'", numArg(a))
		pf.convErr = true
		return 0
	}
	return int(v)
}

func (pf *printer) direc(spec string, verb byte, arg string) {
	out := pf.c.out
	switch verb {
	case 'd', 'i':
		v, ok := parseCInt(numArg(arg))
		if !ok {
			pf.c.errorf("invalid number '%s'", numArg(arg))
			pf.convErr = true
			v = 0
		}
		out.WriteString(cfmt(spec+"d", v))
	case 'o', 'u', 'x', 'X':
		a := numArg(arg)
		var u uint64
		if strings.HasPrefix(strings.TrimLeft(a, " \t"), "-") {
			v, ok := parseCInt(a)
			if !ok {
				pf.c.errorf("invalid number '%s'", a)
				pf.convErr = true
			}
			u = uint64(v)
		} else {
			t := strings.TrimLeft(a, " \t\n\r\v\f")
			v, err := strconv.ParseUint(strings.TrimPrefix(t, "+"), 0, 64)
			if err != nil || t == "" || strings.ContainsAny(t, "_") {
				pf.c.errorf("invalid number '%s'", a)
				pf.convErr = true
				v = 0
			}
			u = v
		}
		v := verb
		if v == 'u' {
			v = 'd'
		}
		out.WriteString(cfmt(spec+string(v), u))
	case 'f', 'e', 'E', 'g', 'G':
		a := numArg(arg)
		t := strings.TrimLeft(a, " \t\n\r\v\f")
		v, err := strconv.ParseFloat(t, 64)
		if err != nil {
			if ne, ok := err.(*strconv.NumError); !(ok && ne.Err == strconv.ErrRange) {
				pf.c.errorf("invalid number '%s'", a)
				pf.convErr = true
				v = 0
			}
		}
		out.WriteString(cfloat(spec, verb, v))
	case 'c':
		ch := ""
		if arg != "" {
			ch = arg[:1]
		} else {
			ch = "\x00"
		}
		out.WriteString(cfmt(spec+"s", ch))
	case 's':
		out.WriteString(cfmt(spec+"s", arg))
	}
}

// cfmt formats like C's printf for the flags Go shares with it.
func cfmt(spec string, v any) string {
	return fmt.Sprintf(spec, v)
}

// cfloat formats a floating-point directive as glibc does, including inf
// and nan spellings.
func cfloat(spec string, verb byte, v float64) string {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		s := "inf"
		if math.IsNaN(v) {
			s = "nan"
		} else if v < 0 {
			s = "-inf"
		}
		if verb == 'E' || verb == 'G' {
			s = strings.ToUpper(s)
		}
		return fmt.Sprintf(strings.Split(spec, ".")[0]+"s", s)
	}
	s := fmt.Sprintf(spec+string(verb), v)
	if verb == 'g' || verb == 'G' {
		s = fixExponent(s)
	}
	return s
}

// fixExponent makes Go's %g exponent at least two digits, as C's.
func fixExponent(s string) string {
	i := strings.IndexAny(s, "eE")
	if i < 0 || i+2 >= len(s) {
		return s
	}
	exp := s[i+2:]
	digits := strings.TrimLeft(exp, "0123456789")
	num := exp[:len(exp)-len(digits)]
	if len(num) == 1 {
		return s[:i+2] + "0" + num + digits
	}
	return s
}
