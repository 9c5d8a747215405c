package applets

import (
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"time"

	"github.com/twinbox-dev/twinbox/wasm/sim/vfs"
)

// lsEntry is one file ls shows.
type lsEntry struct {
	name   string // as shown
	path   string // as opened
	fi     fs.FileInfo
	st     *vfs.Stat
	target string // symlink target
}

type lsOpts struct {
	long, all, almost, dirOnly, recursive, one, numeric, inode, blocks, human bool
	classify, slash, reverse, byTime, bySize, byExt, fullTime, ctime, atime   bool
	across, columns, followAll, followCmd, version                            bool
	width                                                                     int
}

// modeString is ls -l's ten mode characters.
func modeString(m fs.FileMode) string {
	b := []byte("----------")
	switch {
	case m&fs.ModeDir != 0:
		b[0] = 'd'
	case m&fs.ModeSymlink != 0:
		b[0] = 'l'
	case m&fs.ModeNamedPipe != 0:
		b[0] = 'p'
	case m&fs.ModeSocket != 0:
		b[0] = 's'
	case m&fs.ModeCharDevice != 0:
		b[0] = 'c'
	case m&fs.ModeDevice != 0:
		b[0] = 'b'
	}
	const rwx = "rwxrwxrwx"
	for i := 0; i < 9; i++ {
		if m&(1<<uint(8-i)) != 0 {
			b[i+1] = rwx[i]
		}
	}
	if m&fs.ModeSetuid != 0 {
		if b[3] == 'x' {
			b[3] = 's'
		} else {
			b[3] = 'S'
		}
	}
	if m&fs.ModeSetgid != 0 {
		if b[6] == 'x' {
			b[6] = 's'
		} else {
			b[6] = 'S'
		}
	}
	if m&fs.ModeSticky != 0 {
		if b[9] == 'x' {
			b[9] = 't'
		} else {
			b[9] = 'T'
		}
	}
	return string(b)
}

// humanSize is busybox's make_human_readable_str with one decimal below
// 10: 6, 4.0K, 4.9K, 16K, 1.9M.
func humanSize(n int64, unit int64) string {
	v := float64(n) * float64(unit)
	if v < 1024 {
		return fmt.Sprintf("%d", int64(v))
	}
	suffixes := "KMGTPE"
	i := -1
	for v >= 1024 && i < len(suffixes)-1 {
		v /= 1024
		i++
	}
	if v < 10 {
		// Round to one decimal, as busybox does (half up).
		x := int64(v*10 + 0.5)
		if x >= 100 {
			return fmt.Sprintf("%d%c", x/10, suffixes[i])
		}
		return fmt.Sprintf("%d.%d%c", x/10, x%10, suffixes[i])
	}
	return fmt.Sprintf("%d%c", int64(v+0.5), suffixes[i])
}

// lsTime formats a time as ls -l does: month, day, and the time of day
// for the last six months, else the year.
func lsTime(t, now time.Time) string {
	t = t.UTC()
	age := now.Unix() - t.Unix()
	if age < 3600*24*365/2 && age > -15*60 {
		return fmt.Sprintf("%s %2d %02d:%02d", t.Format("Jan"), t.Day(), t.Hour(), t.Minute())
	}
	return fmt.Sprintf("%s %2d %5d", t.Format("Jan"), t.Day(), t.Year())
}

func lsMain(c *cmd) int {
	o, ok := c.getopt(c.args[1:], "1AaCxdLHRFplinshrSXvctuw:e", "full-time", "group-directories-first", "color=?")
	if !ok {
		return 1
	}
	var l lsOpts
	for _, x := range o.list {
		switch x.name {
		case "l":
			l.long, l.one, l.columns, l.across = true, false, false, false
		case "1":
			l.one, l.long, l.columns, l.across = true, false, false, false
		case "C":
			l.columns, l.long, l.one, l.across = true, false, false, false
		case "x":
			l.across, l.long, l.one, l.columns = true, false, false, false
		case "n":
			l.long, l.numeric = true, true
		case "a":
			l.all = true
		case "A":
			l.almost = true
		case "d":
			l.dirOnly = true
		case "R":
			l.recursive = true
		case "i":
			l.inode = true
		case "s":
			l.blocks = true
		case "h":
			l.human = true
		case "F":
			l.classify = true
		case "p":
			l.slash = true
		case "r":
			l.reverse = true
		case "t":
			l.byTime, l.bySize, l.byExt = true, false, false
		case "S":
			l.bySize, l.byTime, l.byExt = true, false, false
		case "X":
			l.byExt, l.byTime, l.bySize = true, false, false
		case "c":
			l.ctime, l.atime = true, false
		case "u":
			l.atime, l.ctime = true, false
		case "L":
			l.followAll = true
		case "H":
			l.followCmd = true
		case "full-time":
			l.long, l.fullTime = true, true
		case "e":
			l.long, l.fullTime = true, true
		case "w":
			fmt.Sscan(x.arg, &l.width)
		case "v":
			l.version = true
		}
	}
	if l.width == 0 {
		l.width = 80
		if t, ok := c.p.Terminal(1); ok {
			if _, cols := t.Size(); cols > 0 {
				l.width = cols
			}
		}
	}
	if !l.long && !l.one && !l.columns && !l.across {
		if _, tty := c.p.Terminal(1); tty {
			l.columns = true
		} else {
			l.one = true
		}
	}
	args := o.args
	if len(args) == 0 {
		args = []string{"."}
	}
	st := 0
	var files, dirs []*lsEntry
	for _, a := range args {
		e, err := c.lsStat(a, a, l.followAll || l.followCmd || (!l.long && !l.dirOnly && !l.classify && !l.slash), true)
		if err != nil {
			c.perror(a, err)
			st = 1
			continue
		}
		if e.fi.IsDir() && !l.dirOnly {
			dirs = append(dirs, e)
		} else {
			files = append(files, e)
		}
	}
	c.lsSort(files, &l)
	c.lsSort(dirs, &l)
	printed := false
	if len(files) > 0 {
		c.lsShow(files, &l)
		printed = true
	}
	headers := len(args) > 1 || l.recursive
	for _, d := range dirs {
		if c.lsDir(d, &l, headers, &printed) {
			st = 1
		}
	}
	return st
}

// lsStat stats one name for ls; follow decides whether a symlink is
// shown as what it points to.
func (c *cmd) lsStat(name, p string, follow, cmdline bool) (*lsEntry, error) {
	fi, err := c.lstat(p)
	if err != nil {
		return nil, err
	}
	e := &lsEntry{name: name, path: p, fi: fi}
	if fi.Mode()&fs.ModeSymlink != 0 {
		e.target, _ = c.fs.Readlink(c.abs(p))
		if follow {
			if fi2, err := c.stat(p); err == nil {
				e.fi = fi2
			}
		}
	}
	e.st = vfs.StatOf(e.fi)
	return e, nil
}

func (c *cmd) lsSort(es []*lsEntry, l *lsOpts) {
	key := func(e *lsEntry) time.Time {
		switch {
		case l.ctime:
			return e.st.Ctime
		case l.atime:
			return e.st.Atime
		}
		return e.fi.ModTime()
	}
	sort.SliceStable(es, func(i, j int) bool {
		a, b := es[i], es[j]
		less := a.name < b.name
		switch {
		case l.bySize:
			if a.fi.Size() != b.fi.Size() {
				less = a.fi.Size() > b.fi.Size()
			}
		case l.byTime:
			ta, tb := key(a), key(b)
			if !ta.Equal(tb) {
				less = ta.After(tb)
			}
		case l.byExt:
			ea, eb := extOf(a.name), extOf(b.name)
			if ea != eb {
				less = ea < eb
			}
		}
		if l.reverse {
			return !less && a.name != b.name
		}
		return less
	})
}

func extOf(name string) string {
	if i := strings.LastIndexByte(name, '.'); i > 0 {
		return name[i:]
	}
	return ""
}

// lsDir lists a directory operand; it reports whether an error occurred.
func (c *cmd) lsDir(d *lsEntry, l *lsOpts, header bool, printed *bool) bool {
	ents, err := c.readDir(d.path)
	if err != nil {
		c.perror(d.name, err)
		return true
	}
	var list []*lsEntry
	if l.all {
		for _, n := range []string{".", ".."} {
			if e, err := c.lsStat(n, d.path+"/"+n, l.followAll, false); err == nil {
				list = append(list, e)
			}
		}
	}
	for _, de := range ents {
		n := de.Name()
		if strings.HasPrefix(n, ".") && !l.all && !l.almost {
			continue
		}
		p := d.path + "/" + n
		if strings.HasSuffix(d.path, "/") {
			p = d.path + n
		}
		e, err := c.lsStat(n, p, l.followAll, false)
		if err != nil {
			c.perror(p, err)
			continue
		}
		list = append(list, e)
	}
	c.lsSort(list, l)
	if header {
		if *printed {
			c.out.WriteByte('\n')
		}
		fmt.Fprintf(c.out, "%s:\n", d.name)
	}
	*printed = true
	if l.long || l.blocks {
		var total int64
		for _, e := range list {
			total += e.st.Blocks / 2
		}
		if l.human {
			fmt.Fprintf(c.out, "total %-7s\n", humanSize(total, 1024))
		} else {
			fmt.Fprintf(c.out, "total %d\n", total)
		}
	}
	c.lsShow(list, l)
	bad := false
	if l.recursive {
		for _, e := range list {
			if e.fi.IsDir() && e.name != "." && e.name != ".." && e.fi.Mode()&fs.ModeSymlink == 0 {
				sub := &lsEntry{name: d.name + "/" + e.name, path: e.path, fi: e.fi, st: e.st}
				if strings.HasSuffix(d.name, "/") {
					sub.name = d.name + e.name
				}
				if c.lsDir(sub, l, true, printed) {
					bad = true
				}
			}
		}
	}
	return bad
}

// indicator is -F's and -p's suffix.
func indicator(m fs.FileMode, classify bool) string {
	switch {
	case m.IsDir():
		return "/"
	case !classify:
		return ""
	case m&fs.ModeSymlink != 0:
		return "@"
	case m&fs.ModeNamedPipe != 0:
		return "|"
	case m&fs.ModeSocket != 0:
		return "="
	case m&0o111 != 0:
		return "*"
	}
	return ""
}

// lsLine is one entry as ls prints it, without a newline.
func (c *cmd) lsLine(e *lsEntry, l *lsOpts) string {
	var b strings.Builder
	if l.inode {
		fmt.Fprintf(&b, "%7d ", e.st.Ino)
	}
	if l.blocks {
		if l.human {
			fmt.Fprintf(&b, "%5s ", humanSize(e.st.Blocks/2, 1024))
		} else {
			fmt.Fprintf(&b, "%6d ", e.st.Blocks/2)
		}
	}
	if l.long {
		fmt.Fprintf(&b, "%s %4d ", modeString(e.fi.Mode()), e.st.Nlink)
		if l.numeric {
			fmt.Fprintf(&b, "%-8d %-8d ", e.st.UID, e.st.GID)
		} else {
			fmt.Fprintf(&b, "%-8.8s %-8.8s ", c.userName(e.st.UID), c.groupName(e.st.GID))
		}
		m := e.fi.Mode()
		switch {
		case m&fs.ModeDevice != 0 || m&fs.ModeCharDevice != 0:
			fmt.Fprintf(&b, "%4d,%4d ", e.st.Rdev>>8&0xfff|e.st.Rdev>>32&^0xfff, e.st.Rdev&0xff|e.st.Rdev>>12&^0xff)
		case l.human:
			fmt.Fprintf(&b, "%7s ", humanSize(e.fi.Size(), 1))
		default:
			fmt.Fprintf(&b, "%9d ", e.fi.Size())
		}
		t := e.fi.ModTime()
		if l.ctime {
			t = e.st.Ctime
		} else if l.atime {
			t = e.st.Atime
		}
		if l.fullTime {
			b.WriteString(t.UTC().Format("2006-01-02 15:04:05 -0700") + " ")
		} else {
			b.WriteString(lsTime(t, c.now()) + " ")
		}
	}
	b.WriteString(e.name)
	if l.long && e.fi.Mode()&fs.ModeSymlink != 0 {
		b.WriteString(" -> " + e.target)
	}
	if l.classify || l.slash {
		if !(l.long && e.fi.Mode()&fs.ModeSymlink != 0) {
			b.WriteString(indicator(e.fi.Mode(), l.classify))
		}
	}
	return b.String()
}

// lsShow prints entries one per line or in columns.
func (c *cmd) lsShow(es []*lsEntry, l *lsOpts) {
	if len(es) == 0 {
		return
	}
	if l.long || l.one {
		for _, e := range es {
			c.println(c.lsLine(e, l))
		}
		return
	}
	width := 0
	for _, e := range es {
		n := len(e.name)
		if l.classify || l.slash {
			n++
		}
		width = max(width, n)
	}
	width += 2
	if l.inode {
		width += 8
	}
	if l.blocks {
		width += 5
	}
	ncols := l.width / width
	nrows := len(es)
	if ncols > 1 {
		nrows = len(es) / ncols
		if nrows*ncols < len(es) {
			nrows++
		}
	} else {
		ncols = 1
	}
	for row := 0; row < nrows; row++ {
		column, nexttab := 0, 0
		for nc := 0; nc < ncols; nc++ {
			i := nc*nrows + row
			if l.across {
				i = row*ncols + nc
			}
			if i >= len(es) {
				continue
			}
			if column > 0 {
				c.out.WriteString(strings.Repeat(" ", nexttab-column))
				column = nexttab
			}
			nexttab = column + width
			s := c.lsLine(es[i], l)
			c.out.WriteString(s)
			column += len(s)
		}
		c.out.WriteByte('\n')
	}
}
