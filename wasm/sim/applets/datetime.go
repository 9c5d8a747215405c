package applets

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// scanUints reads unsigned numbers separated by the literal bytes of
// pattern, where each '%' in pattern stands for a number, as sscanf with
// "%u" does. It returns the numbers read, the byte after the last one
// (0 at the end), and how many conversions matched.
func scanUints(s, pattern string) ([]int, byte, int) {
	var nums []int
	i := 0
	for p := 0; p < len(pattern); p++ {
		if pattern[p] == '%' {
			for i < len(s) && s[i] == ' ' {
				i++
			}
			j := i
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			if j == i {
				return nums, 0, len(nums)
			}
			n, _ := strconv.Atoi(s[i:j])
			nums = append(nums, n)
			i = j
			continue
		}
		if pattern[p] == ' ' {
			for i < len(s) && s[i] == ' ' {
				i++
			}
			continue
		}
		if i >= len(s) || s[i] != pattern[p] {
			var end byte
			if i < len(s) {
				end = s[i]
			}
			return nums, end, len(nums)
		}
		i++
	}
	var end byte
	if i < len(s) {
		end = s[i]
	}
	return nums, end, len(nums)
}

// fixedDigits splits a run of digits into fields of the given widths.
func fixedDigits(s string, widths ...int) ([]int, bool) {
	var out []int
	for _, w := range widths {
		if len(s) < w {
			return nil, false
		}
		n, err := strconv.Atoi(s[:w])
		if err != nil {
			return nil, false
		}
		out = append(out, n)
		s = s[w:]
	}
	return out, s == ""
}

// parseDate reads a date as busybox's parse_datestr does, filling what
// the string does not say from base: HH:MM[:SS], mm.dd-HH:MM,
// yyyy.mm.dd-HH:MM, yyyy-mm-dd HH:MM[:SS], yyyy-mm-dd, @EPOCH, and the
// digit forms [[[[[YY]YY]MM]DD]hh]mm[.ss] of touch -t.
func parseDate(s string, base time.Time) (time.Time, bool) {
	year, mon, day := base.Date()
	hour, min, sec := base.Clock()
	m := int(mon)
	mk := func() (time.Time, bool) {
		return time.Date(year, time.Month(m), day, hour, min, sec, 0, time.UTC), true
	}
	if lastColon := strings.LastIndexByte(s, ':'); lastColon >= 0 {
		var end byte
		if n, e, k := scanUints(s, "%:%"); k >= 2 && (e == 0 || e == ':') && len(n) == 2 && strings.Count(s, ":") <= 2 && !strings.ContainsAny(s, "-. ") {
			hour, min, end = n[0], n[1], e
		} else if n, e, k := scanUints(s, "%.%-%:%"); k >= 4 {
			m, day, hour, min, end = n[0], n[1], n[2], n[3], e
		} else if n, e, k := scanUints(s, "%.%.%-%:%"); k >= 5 {
			year, m, day, hour, min, end = n[0], n[1], n[2], n[3], n[4], e
		} else if n, e, k := scanUints(s, "%-%-% %:%"); k >= 5 {
			year, m, day, hour, min, end = n[0], n[1], n[2], n[3], n[4], e
		} else {
			return time.Time{}, false
		}
		if end == ':' {
			n, e, k := scanUints(s[lastColon+1:], "%")
			if k != 1 || e != 0 {
				return time.Time{}, false
			}
			sec = n[0]
			end = 0
		}
		if end != 0 {
			return time.Time{}, false
		}
		return mk()
	}
	if strings.Contains(s, "-") {
		if n, e, k := scanUints(s, "%-%-%"); k >= 3 {
			if e != 0 {
				return time.Time{}, false
			}
			year, m, day = n[0], n[1], n[2]
			return mk()
		}
	}
	if strings.HasPrefix(s, "@") {
		v, err := strconv.ParseInt(s[1:], 10, 64)
		if err != nil {
			return time.Time{}, false
		}
		return time.Unix(v, 0).UTC(), true
	}
	digits, secs, hasSecs := strings.Cut(s, ".")
	if strings.Trim(digits, "0123456789") != "" {
		return time.Time{}, false
	}
	var f []int
	ok := false
	switch len(digits) {
	case 2:
		f, ok = fixedDigits(digits, 2)
		if ok {
			min = f[0]
		}
	case 4:
		f, ok = fixedDigits(digits, 2, 2)
		if ok {
			hour, min = f[0], f[1]
		}
	case 6:
		f, ok = fixedDigits(digits, 2, 2, 2)
		if ok {
			day, hour, min = f[0], f[1], f[2]
		}
	case 8:
		f, ok = fixedDigits(digits, 2, 2, 2, 2)
		if ok {
			m, day, hour, min = f[0], f[1], f[2], f[3]
		}
	case 10:
		f, ok = fixedDigits(digits, 2, 2, 2, 2, 2)
		if ok {
			yy := f[0]
			m, day, hour, min = f[1], f[2], f[3], f[4]
			cur := year
			year = yy + cur/100*100
			if year < cur-50 {
				year += 100
			}
			if year > cur+50 {
				year -= 100
			}
		}
	case 12:
		f, ok = fixedDigits(digits, 4, 2, 2, 2, 2)
		if ok {
			year, m, day, hour, min = f[0], f[1], f[2], f[3], f[4]
		}
	}
	if !ok {
		return time.Time{}, false
	}
	sec = 0
	if hasSecs {
		n, err := strconv.Atoi(secs)
		if err != nil || strings.Trim(secs, "0123456789") != "" {
			return time.Time{}, false
		}
		sec = n
	}
	return mk()
}

// strftime formats t as C's strftime(3) in the C locale, for date +FMT.
// Unknown conversions are printed as they are.
func strftime(format string, t time.Time) string {
	var b strings.Builder
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' || i+1 >= len(format) {
			b.WriteByte(c)
			continue
		}
		i++
		pad := byte(0)
		if format[i] == '-' || format[i] == '_' || format[i] == '0' {
			pad = format[i]
			if i+1 >= len(format) {
				b.WriteString("%" + string(pad))
				break
			}
			i++
		}
		num := func(v, width int, def byte) string {
			p := def
			if pad != 0 {
				p = pad
			}
			switch p {
			case '-':
				return strconv.Itoa(v)
			case '_':
				return fmt.Sprintf("%*d", width, v)
			}
			return fmt.Sprintf("%0*d", width, v)
		}
		_, week := t.ISOWeek()
		switch format[i] {
		case 'a':
			b.WriteString(t.Format("Mon"))
		case 'A':
			b.WriteString(t.Format("Monday"))
		case 'b', 'h':
			b.WriteString(t.Format("Jan"))
		case 'B':
			b.WriteString(t.Format("January"))
		case 'c':
			b.WriteString(strftime("%a %b %e %H:%M:%S %Y", t))
		case 'C':
			b.WriteString(num(t.Year()/100, 2, '0'))
		case 'd':
			b.WriteString(num(t.Day(), 2, '0'))
		case 'D':
			b.WriteString(strftime("%m/%d/%y", t))
		case 'e':
			b.WriteString(num(t.Day(), 2, '_'))
		case 'F':
			b.WriteString(strftime("%Y-%m-%d", t))
		case 'G':
			y, _ := t.ISOWeek()
			b.WriteString(strconv.Itoa(y))
		case 'g':
			y, _ := t.ISOWeek()
			b.WriteString(num(y%100, 2, '0'))
		case 'H':
			b.WriteString(num(t.Hour(), 2, '0'))
		case 'I':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			b.WriteString(num(h, 2, '0'))
		case 'j':
			b.WriteString(num(t.YearDay(), 3, '0'))
		case 'k':
			b.WriteString(num(t.Hour(), 2, '_'))
		case 'l':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			b.WriteString(num(h, 2, '_'))
		case 'm':
			b.WriteString(num(int(t.Month()), 2, '0'))
		case 'M':
			b.WriteString(num(t.Minute(), 2, '0'))
		case 'n':
			b.WriteByte('\n')
		case 'p':
			b.WriteString(t.Format("PM"))
		case 'P':
			b.WriteString(strings.ToLower(t.Format("PM")))
		case 'r':
			b.WriteString(strftime("%I:%M:%S %p", t))
		case 'R':
			b.WriteString(strftime("%H:%M", t))
		case 's':
			b.WriteString(strconv.FormatInt(t.Unix(), 10))
		case 'S':
			b.WriteString(num(t.Second(), 2, '0'))
		case 't':
			b.WriteByte('\t')
		case 'T':
			b.WriteString(strftime("%H:%M:%S", t))
		case 'u':
			wd := int(t.Weekday())
			if wd == 0 {
				wd = 7
			}
			b.WriteString(strconv.Itoa(wd))
		case 'U':
			b.WriteString(num((t.YearDay()+6-int(t.Weekday()))/7, 2, '0'))
		case 'V':
			b.WriteString(num(week, 2, '0'))
		case 'w':
			b.WriteString(strconv.Itoa(int(t.Weekday())))
		case 'W':
			b.WriteString(num((t.YearDay()+6-(int(t.Weekday())+6)%7)/7, 2, '0'))
		case 'x':
			b.WriteString(strftime("%m/%d/%y", t))
		case 'X':
			b.WriteString(strftime("%H:%M:%S", t))
		case 'y':
			b.WriteString(num(t.Year()%100, 2, '0'))
		case 'Y':
			b.WriteString(strconv.Itoa(t.Year()))
		case 'z':
			b.WriteString(t.Format("-0700"))
		case 'Z':
			b.WriteString(t.Format("MST"))
		case '%':
			b.WriteByte('%')
		default:
			b.WriteByte('%')
			if pad != 0 {
				b.WriteByte(pad)
			}
			b.WriteByte(format[i])
		}
	}
	return b.String()
}

func dateMain(c *cmd) int {
	o, ok := c.getopt(c.args[1:], "Rs:ud:r:D:I::", "rfc-2822", "set=", "utc", "universal", "date=", "reference=", "iso-8601=?")
	if !ok {
		return 1
	}
	now := c.now()
	t := now
	var format string
	args := o.args
	if len(args) > 0 && strings.HasPrefix(args[0], "+") {
		format = args[0][1:]
		args = args[1:]
	}
	setStr, setting := o.val("s")
	if v, ok := o.val("set"); ok {
		setStr, setting = v, true
	}
	if !setting && len(args) > 0 {
		setStr, setting = args[0], true
		args = args[1:]
	}
	if len(args) > 0 {
		return c.usageError()
	}
	dateStr, hasDate := o.val("d")
	if v, ok := o.val("date"); ok {
		dateStr, hasDate = v, true
	}
	if ref, ok := o.val("r"); ok {
		fi, err := c.stat(ref)
		if err != nil {
			c.perror(ref, err)
			return 1
		}
		t = fi.ModTime().UTC()
	}
	if hasDate || setting {
		s := dateStr
		if setting {
			s = setStr
		}
		var parsed time.Time
		var ok bool
		if setting && !strings.ContainsAny(s, ":-@.") && len(s) >= 8 && strings.Trim(s, "0123456789") == "" {
			// date MMDDhhmm[[CC]YY]: the year comes last.
			parsed, ok = parseDate(moveYear(s), now)
		} else {
			parsed, ok = parseDate(s, time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC))
		}
		if !ok {
			c.errorf("invalid date '%s'", s)
			return 1
		}
		t = parsed
		if setting {
			// Setting the clock needs CAP_SYS_TIME, which containers lack.
			defer c.errorf("can't set date: %s", Strerror(errPerm))
		}
	}
	switch {
	case format != "":
	case o.has("R") || o.has("rfc-2822"):
		format = "%a, %d %b %Y %H:%M:%S %z"
	case o.has("I") || o.has("iso-8601"):
		spec, _ := o.val("I")
		if v, ok := o.val("iso-8601"); ok {
			spec = v
		}
		switch spec {
		case "", "date":
			format = "%Y-%m-%d"
		case "hours":
			format = "%Y-%m-%dT%H%:z"
		case "minutes":
			format = "%Y-%m-%dT%H:%M%:z"
		case "seconds":
			format = "%Y-%m-%dT%H:%M:%S%:z"
		default:
			c.errorf("invalid date '%s'", spec)
			return 1
		}
	default:
		format = "%a %b %e %H:%M:%S %Z %Y"
	}
	out := strftime(strings.ReplaceAll(format, "%:z", "\x00"), t)
	out = strings.ReplaceAll(out, "\x00", t.Format("-07:00"))
	c.println(out)
	return 0
}

// moveYear turns date's MMDDhhmm[[CC]YY][.ss] into touch's
// [[CC]YY]MMDDhhmm[.ss].
func moveYear(s string) string {
	digits, secs, has := strings.Cut(s, ".")
	if len(digits) > 8 {
		digits = digits[8:] + digits[:8]
	}
	if has {
		return digits + "." + secs
	}
	return digits
}
