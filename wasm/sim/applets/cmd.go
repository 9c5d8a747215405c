package applets

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/twinbox-dev/twinbox/wasm/sim/sys"
	"github.com/twinbox-dev/twinbox/wasm/sim/vfs"
)

// cmd is a running applet: its process, its buffered standard output, and
// the helpers that print what busybox prints.
type cmd struct {
	p    sys.Proc
	name string   // the applet's name, the prefix of its messages
	args []string // argv
	fs   vfs.FS
	out  *outWriter

	users  map[int]string // uid → name, from /etc/passwd
	groups map[int]string // gid → name, from /etc/group
}

// applet makes a sys.Program of an applet's main function. The program
// flushes standard output when main returns, as exit(3) flushes stdio.
func applet(name string, main func(c *cmd) int) sys.Program {
	return func(p sys.Proc) int {
		c := newCmd(p, name)
		status := main(c)
		if err := c.out.Flush(); err != nil && status == 0 {
			status = c.writeFailed(err)
		}
		return status
	}
}

func newCmd(p sys.Proc, name string) *cmd {
	_, tty := p.Terminal(1)
	return &cmd{p: p, name: name, args: p.Args(), fs: p.FS(), out: newOutWriter(p.Stdout(), tty)}
}

// withArgs is the same applet run with other arguments.
func (c *cmd) withArgs(args []string) *cmd {
	c2 := *c
	c2.args = args
	return &c2
}

// writeFailed is the status after standard output failed: a process that
// writes to a closed pipe dies of SIGPIPE; other errors are reported.
func (c *cmd) writeFailed(err error) int {
	if errors.Is(err, io.ErrClosedPipe) || Errno(err) == syscall.EPIPE {
		return 128 + 13
	}
	c.errorf("write error: %s", Strerror(err))
	return 1
}

// outWriter is stdio's stdout buffer: line-buffered on a terminal, else
// fully buffered in 4 KiB blocks. After a write fails it drops output and
// keeps the error.
type outWriter struct {
	w    io.Writer
	buf  []byte
	line bool
	err  error
}

func newOutWriter(w io.Writer, line bool) *outWriter {
	return &outWriter{w: w, line: line, buf: make([]byte, 0, 4096)}
}

func (o *outWriter) Write(b []byte) (int, error) {
	if o.err != nil {
		return 0, o.err
	}
	n := len(b)
	for len(b) > 0 {
		room := cap(o.buf) - len(o.buf)
		if room == 0 {
			if err := o.Flush(); err != nil {
				return 0, err
			}
			room = cap(o.buf)
		}
		k := min(room, len(b))
		o.buf = append(o.buf, b[:k]...)
		b = b[k:]
	}
	if o.line && len(o.buf) > 0 && containsNL(o.buf) {
		if err := o.Flush(); err != nil {
			return 0, err
		}
	}
	return n, nil
}

func containsNL(b []byte) bool {
	for _, c := range b {
		if c == '\n' {
			return true
		}
	}
	return false
}

func (o *outWriter) WriteString(s string) (int, error) { return o.Write([]byte(s)) }

// WriteByte writes one byte.
func (o *outWriter) WriteByte(c byte) error {
	_, err := o.Write([]byte{c})
	return err
}

// Flush writes the buffered bytes.
func (o *outWriter) Flush() error {
	if o.err != nil {
		return o.err
	}
	if len(o.buf) == 0 {
		return nil
	}
	_, err := o.w.Write(o.buf)
	o.buf = o.buf[:0]
	if err != nil {
		o.err = err
	}
	return err
}

// Err is the first write error.
func (o *outWriter) Err() error { return o.err }

// printf writes to standard output.
func (c *cmd) printf(format string, args ...any) {
	fmt.Fprintf(c.out, format, args...)
}

// println writes s and a newline to standard output.
func (c *cmd) println(s string) {
	c.out.WriteString(s)
	c.out.WriteByte('\n')
}

// errorf prints "name: message" to standard error, as bb_error_msg does.
// Standard output is not flushed first: stdio keeps the two apart.
func (c *cmd) errorf(format string, args ...any) {
	fmt.Fprintf(c.p.Stderr(), "%s: %s\n", c.name, fmt.Sprintf(format, args...))
}

// perror prints "name: subject: strerror" as bb_perror_msg does.
func (c *cmd) perror(subject string, err error) {
	c.errorf("%s: %s", subject, Strerror(err))
}

// usageError prints the applet's usage to standard error, as
// bb_show_usage does; the applet then exits 1.
func (c *cmd) usageError() int {
	io.WriteString(c.p.Stderr(), usageText(c.name))
	return 1
}

// abs makes name absolute against the working directory. The empty name
// stays empty: it names no file.
func (c *cmd) abs(name string) string {
	if name == "" || name[0] == '/' {
		return name
	}
	dir := c.p.Dir()
	if dir == "/" {
		return "/" + name
	}
	return dir + "/" + name
}

var errEmptyName = &fs.PathError{Op: "stat", Path: "", Err: syscall.ENOENT}

func (c *cmd) stat(name string) (fs.FileInfo, error) {
	if name == "" {
		return nil, errEmptyName
	}
	return c.fs.Stat(c.abs(name))
}

func (c *cmd) lstat(name string) (fs.FileInfo, error) {
	if name == "" {
		return nil, errEmptyName
	}
	return c.fs.Lstat(c.abs(name))
}

func (c *cmd) readDir(name string) ([]fs.DirEntry, error) {
	if name == "" {
		return nil, errEmptyName
	}
	return c.fs.ReadDir(c.abs(name))
}

func (c *cmd) open(name string) (vfs.File, error) {
	return c.openFile(name, os.O_RDONLY, 0)
}

func (c *cmd) openFile(name string, flag int, perm fs.FileMode) (vfs.File, error) {
	if name == "" {
		return nil, errEmptyName
	}
	if flag&os.O_CREATE != 0 {
		perm &^= c.p.Umask()
	}
	return c.fs.OpenFile(c.abs(name), flag, perm)
}

// input opens a file operand for reading; "-" is standard input. The
// returned closer is a no-op for standard input.
func (c *cmd) input(name string) (io.Reader, func(), error) {
	if name == "-" {
		return c.stdin(), func() {}, nil
	}
	f, err := c.open(name)
	if err != nil {
		return nil, nil, err
	}
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		f.Close()
		return nil, nil, &fs.PathError{Op: "read", Path: name, Err: syscall.EISDIR}
	}
	return f, func() { f.Close() }, nil
}

// stdin is standard input, read so that a killed process stops reading.
func (c *cmd) stdin() io.Reader {
	return ctxReader{c.p}
}

type ctxReader struct{ p sys.Proc }

func (r ctxReader) Read(b []byte) (int, error) {
	if err := r.p.Context().Err(); err != nil {
		return 0, err
	}
	in := r.p.Stdin()
	if in == nil {
		return 0, io.EOF
	}
	return in.Read(b)
}

// killed reports whether the process was killed.
func (c *cmd) killed() bool { return c.p.Context().Err() != nil }

// userName is the name of uid in /etc/passwd, or its number.
func (c *cmd) userName(uid int) string {
	if c.users == nil {
		c.users = c.readIDFile("/etc/passwd")
	}
	if n, ok := c.users[uid]; ok {
		return n
	}
	return strconv.Itoa(uid)
}

// groupName is the name of gid in /etc/group, or its number.
func (c *cmd) groupName(gid int) string {
	if c.groups == nil {
		c.groups = c.readIDFile("/etc/group")
	}
	if n, ok := c.groups[gid]; ok {
		return n
	}
	return strconv.Itoa(gid)
}

// lookupUser finds a user by name in /etc/passwd: its uid and gid.
func (c *cmd) lookupUser(name string) (uid, gid int, ok bool) {
	for _, f := range c.colonFile("/etc/passwd") {
		if len(f) >= 4 && f[0] == name {
			u, err1 := strconv.Atoi(f[2])
			g, err2 := strconv.Atoi(f[3])
			if err1 == nil && err2 == nil {
				return u, g, true
			}
		}
	}
	return 0, 0, false
}

// lookupGroup finds a group by name in /etc/group.
func (c *cmd) lookupGroup(name string) (gid int, ok bool) {
	for _, f := range c.colonFile("/etc/group") {
		if len(f) >= 3 && f[0] == name {
			if g, err := strconv.Atoi(f[2]); err == nil {
				return g, true
			}
		}
	}
	return 0, false
}

func (c *cmd) readIDFile(name string) map[int]string {
	m := map[int]string{}
	for _, f := range c.colonFile(name) {
		if len(f) < 3 {
			continue
		}
		id, err := strconv.Atoi(f[2])
		if err != nil {
			continue
		}
		if _, dup := m[id]; !dup {
			m[id] = f[0]
		}
	}
	return m
}

// colonFile reads a passwd- or group-style file as fields.
func (c *cmd) colonFile(name string) [][]string {
	f, err := c.fs.OpenFile(name, os.O_RDONLY, 0)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out [][]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		out = append(out, strings.Split(line, ":"))
	}
	return out
}

// now is the simulated wall clock in the process's time zone (UTC: the
// images carry no /etc/localtime and no TZ).
func (c *cmd) now() time.Time { return c.p.Now().UTC() }

// readAllString reads r to its end.
func readAllString(r io.Reader) string {
	b, _ := io.ReadAll(r)
	return string(b)
}
