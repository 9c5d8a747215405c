package applets

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// odFormat is one output format of od: the size of its units and how one
// unit is printed.
type odFormat struct {
	size  int
	print func(b []byte) string
}

var odCharNames = map[byte]string{0: `\0`, 7: `\a`, 8: `\b`, 9: `\t`, 10: `\n`, 11: `\v`, 12: `\f`, 13: `\r`}

func odChar(b []byte) string {
	c := b[0]
	if s, ok := odCharNames[c]; ok {
		return fmt.Sprintf("%4s", s)
	}
	if c >= 32 && c < 127 {
		return fmt.Sprintf("%4c", c)
	}
	return fmt.Sprintf(" %03o", c)
}

func le(b []byte) uint64 {
	var v uint64
	for i := len(b) - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}

// odType reads a -t TYPE: a (named chars), c, d/o/u/x with a size.
func odType(t string) (odFormat, bool) {
	if t == "" {
		return odFormat{}, false
	}
	kind := t[0]
	size := 2
	if kind == 'c' || kind == 'a' {
		size = 1
	} else if kind == 'd' || kind == 'u' || kind == 'o' || kind == 'x' {
		size = 4
	}
	if rest := t[1:]; rest != "" {
		switch rest {
		case "C":
			size = 1
		case "S":
			size = 2
		case "I":
			size = 4
		case "L":
			size = 8
		default:
			n, err := strconv.Atoi(rest)
			if err != nil || (n != 1 && n != 2 && n != 4 && n != 8) {
				return odFormat{}, false
			}
			size = n
		}
	}
	width := map[byte][4]int{ // widths for sizes 1, 2, 4, 8
		'o': {3, 6, 11, 22}, 'x': {2, 4, 8, 16}, 'u': {3, 5, 10, 20}, 'd': {4, 6, 11, 20},
	}
	idx := map[int]int{1: 0, 2: 1, 4: 2, 8: 3}[size]
	switch kind {
	case 'c':
		return odFormat{1, odChar}, true
	case 'o':
		w := width['o'][idx]
		return odFormat{size, func(b []byte) string { return fmt.Sprintf(" %0*o", w, le(b)) }}, true
	case 'x':
		w := width['x'][idx]
		return odFormat{size, func(b []byte) string { return fmt.Sprintf(" %0*x", w, le(b)) }}, true
	case 'u':
		w := width['u'][idx]
		return odFormat{size, func(b []byte) string { return fmt.Sprintf(" %*d", w, le(b)) }}, true
	case 'd':
		w := width['d'][idx]
		return odFormat{size, func(b []byte) string {
			v := int64(le(b) << (64 - 8*uint(len(b))))
			return fmt.Sprintf(" %*d", w, v>>(64-8*uint(len(b))))
		}}, true
	}
	return odFormat{}, false
}

// odMain is od with -c, -b, -d, -o, -x, -t TYPE, -A RADIX, -N, -j, -v.
func odMain(c *cmd) int {
	o, ok := c.getopt(c.args[1:], "abcdfhilovxsA:N:j:t:w::S:")
	if !ok {
		return 1
	}
	var formats []odFormat
	for _, x := range o.list {
		var t string
		switch x.name {
		case "c":
			t = "c"
		case "b":
			t = "o1"
		case "d":
			t = "u2"
		case "o":
			t = "o2"
		case "x", "h":
			t = "x2"
		case "s":
			t = "d2"
		case "i":
			t = "d4"
		case "l":
			t = "d8"
		case "t":
			t = x.arg
		default:
			continue
		}
		f, ok := odType(t)
		if !ok {
			c.errorf("invalid type string '%s'", t)
			return 1
		}
		formats = append(formats, f)
	}
	if len(formats) == 0 {
		f, _ := odType("o2")
		formats = []odFormat{f}
	}
	radix := byte('o')
	if v, ok := o.val("A"); ok && v != "" {
		radix = v[0]
	}
	var in []byte
	files := o.args
	if len(files) == 0 {
		files = []string{"-"}
	}
	st := 0
	for _, name := range files {
		r, closeFn, err := c.input(name)
		if err != nil {
			c.perror(name, err)
			st = 1
			continue
		}
		b, _ := io.ReadAll(r)
		closeFn()
		in = append(in, b...)
	}
	skip := 0
	if v, ok := o.val("j"); ok {
		n, ok := parseCount(v)
		if !ok {
			c.errorf("invalid number '%s'", v)
			return 1
		}
		skip = int(min(n, int64(len(in))))
	}
	data := in[skip:]
	if v, ok := o.val("N"); ok {
		n, ok := parseCount(v)
		if !ok {
			c.errorf("invalid number '%s'", v)
			return 1
		}
		if int(n) < len(data) {
			data = data[:n]
		}
	}
	addr := func(off int) string {
		switch radix {
		case 'd':
			return fmt.Sprintf("%07d", off)
		case 'x':
			return fmt.Sprintf("%06x", off)
		case 'n':
			return ""
		}
		return fmt.Sprintf("%07o", off)
	}
	const width = 16
	prev := ""
	starred := false
	for off := 0; off < len(data); off += width {
		chunk := data[off:min(off+width, len(data))]
		var lines []string
		for fi, f := range formats {
			var b strings.Builder
			if fi == 0 {
				b.WriteString(addr(skip + off))
			} else if radix != 'n' {
				b.WriteString(strings.Repeat(" ", len(addr(0))))
			}
			for i := 0; i < len(chunk); i += f.size {
				unit := make([]byte, f.size)
				copy(unit, chunk[i:min(i+f.size, len(chunk))])
				b.WriteString(f.print(unit))
			}
			lines = append(lines, b.String())
		}
		key := string(chunk)
		if !o.has("v") && key == prev && len(chunk) == width {
			if !starred {
				c.println("*")
				starred = true
			}
			continue
		}
		prev, starred = key, false
		for _, l := range lines {
			c.println(l)
		}
	}
	if radix != 'n' {
		c.println(addr(skip + len(data)))
	}
	return st
}
