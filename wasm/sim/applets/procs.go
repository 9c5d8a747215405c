package applets

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/wasm/sim/sys"
)

func envMain(c *cmd) int {
	args := c.args[1:]
	clear, nul := false, false
	var unset []string
	for len(args) > 0 {
		a := args[0]
		if a == "-" || a == "-i" || a == "--ignore-environment" {
			clear = true
			args = args[1:]
			continue
		}
		if a == "--" {
			args = args[1:]
			break
		}
		if a == "-0" || a == "--null" {
			nul = true
			args = args[1:]
			continue
		}
		if a == "-u" && len(args) > 1 {
			unset = append(unset, args[1])
			args = args[2:]
			continue
		}
		if strings.HasPrefix(a, "-u") && len(a) > 2 {
			unset = append(unset, a[2:])
			args = args[1:]
			continue
		}
		if len(a) > 1 && a[0] == '-' {
			o, ok := c.getopt([]string{a}, "i0u:")
			if !ok {
				return 1
			}
			for _, x := range o.list {
				switch x.name {
				case "i":
					clear = true
				case "0":
					nul = true
				case "u":
					unset = append(unset, x.arg)
				}
			}
			args = args[1:]
			continue
		}
		break
	}
	var env []string
	if !clear {
		env = c.p.Environ()
	}
	for _, u := range unset {
		env = removeEnv(env, u)
	}
	for len(args) > 0 && strings.Contains(args[0], "=") {
		k, _, _ := strings.Cut(args[0], "=")
		env = append(removeEnv(env, k), args[0])
		args = args[1:]
	}
	if len(args) == 0 {
		end := "\n"
		if nul {
			end = "\x00"
		}
		for _, kv := range env {
			c.out.WriteString(kv + end)
		}
		return 0
	}
	c.out.Flush()
	st, ok, err := c.p.Exec(args, env)
	if ok {
		return st
	}
	var xe *backend.ExecError
	code := 127
	text := Strerror(syscall.ENOENT)
	if errors.As(err, &xe) && (xe.Reason == backend.ReasonPermission || xe.Reason == backend.ReasonIsDir) {
		code, text = 126, Strerror(syscall.EACCES)
	}
	c.errorf("can't execute '%s': %s", args[0], text)
	return code
}

func removeEnv(env []string, key string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k != key {
			out = append(out, kv)
		}
	}
	return out
}

// signalName is a signal's name without SIG.
func signalName(s backend.Signal) string {
	name := s.String()
	if name == "SIGIO" {
		return "POLL"
	}
	return strings.TrimPrefix(name, "SIG")
}

// parseSig reads a signal as kill does: a number or a name, with or
// without SIG, in any case.
func parseSig(s string) (backend.Signal, bool) {
	if n, err := strconv.Atoi(s); err == nil {
		if n >= 0 && n <= 64 {
			return backend.Signal(n), true
		}
		return 0, false
	}
	if s == "" {
		return 0, false
	}
	sig, err := backend.ParseSignal(s)
	if err != nil {
		return 0, false
	}
	return sig, true
}

func killMain(c *cmd) int {
	args := c.args[1:]
	sig := backend.SIGTERM
	if len(args) > 0 && (args[0] == "-l" || args[0] == "-L") {
		if len(args) == 1 {
			for i := 1; i < 32; i++ {
				c.printf("%2d) %s\n", i, signalName(backend.Signal(i)))
			}
			return 0
		}
		for _, a := range args[1:] {
			if n, err := strconv.Atoi(a); err == nil {
				if n > 128 {
					n -= 128
				}
				if n == 0 {
					c.println("EXIT")
				} else if n < 32 {
					c.println(signalName(backend.Signal(n)))
				} else {
					c.println(strconv.Itoa(n))
				}
				continue
			}
			s, ok := parseSig(a)
			if !ok {
				c.errorf("bad signal name '%s'", a)
				return 1
			}
			c.println(strconv.Itoa(int(s)))
		}
		return 0
	}
	if len(args) > 0 && (args[0] == "-s" || args[0] == "-n") && len(args) > 1 && args[0] == "-s" {
		s, ok := parseSig(args[1])
		if !ok {
			c.errorf("bad signal name '%s'", args[1])
			return 1
		}
		sig = s
		args = args[2:]
	} else if len(args) > 0 && len(args[0]) > 1 && args[0][0] == '-' && args[0] != "--" {
		name := args[0][1:]
		if _, err := strconv.Atoi(args[0]); err == nil && len(args) > 1 {
			// "kill -1 PID" is signal 1.
		}
		s, ok := parseSig(name)
		if !ok {
			c.errorf("bad signal name '%s'", name)
			return 1
		}
		sig = s
		args = args[1:]
	}
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		c.errorf("you need to specify whom to kill")
		return 1
	}
	st := 0
	for _, a := range args {
		pid, err := strconv.Atoi(a)
		if err != nil {
			c.errorf("invalid number '%s'", a)
			return 1
		}
		if err := c.p.Kill(pid, sig); err != nil {
			c.errorf("can't kill pid %d: %s", pid, Strerror(err))
			st = 1
		}
	}
	return st
}

// cmdline is what ps shows as a process's args, as busybox's
// read_cmdline: the command line, with "{comm}" in front when the
// program's name differs from argv[0]'s, or "[comm]" without one.
func cmdline(pi sys.ProcInfo) string {
	if len(pi.Args) == 0 {
		return "[" + pi.Comm + "]"
	}
	line := strings.Join(pi.Args, " ")
	argv0 := pi.Args[0]
	if i := strings.IndexByte(argv0, ' '); i >= 0 {
		argv0 = argv0[:i]
	}
	base := baseName(argv0)
	base = strings.TrimPrefix(base, "-")
	if pi.Comm != "" && !strings.HasPrefix(base, pi.Comm) {
		line = "{" + pi.Comm + "} " + line
	}
	return line
}

// psColumn is a ps -o column.
type psColumn struct {
	name, header string
	width        int
	f            func(c *cmd, pi sys.ProcInfo, width int) string
}

func putLU(n int64) string {
	return smartULL4(n)
}

// smartULL4 writes n (KiB) in at most four characters, as busybox's
// smart_ulltoa4 with " mgtpezy": 9999, 100m.
func smartULL4(n int64) string {
	const scale = " mgtpezy"
	i := 0
	for n > 9999 && i < len(scale)-1 {
		n = (n + 512) / 1024
		i++
	}
	s := strconv.FormatInt(n, 10)
	if i > 0 {
		s += string(scale[i])
	}
	return s
}

var psColumns = []psColumn{
	{"user", "USER", 8, func(c *cmd, pi sys.ProcInfo, w int) string { return trunc(c.userName(pi.UID), w) }},
	{"group", "GROUP", 8, func(c *cmd, pi sys.ProcInfo, w int) string { return trunc(c.groupName(pi.UID), w) }},
	{"comm", "COMMAND", 16, func(c *cmd, pi sys.ProcInfo, w int) string { return trunc(pi.Comm, w) }},
	{"args", "COMMAND", 2048, func(c *cmd, pi sys.ProcInfo, w int) string { return trunc(cmdline(pi), w) }},
	{"pid", "PID", 5, func(c *cmd, pi sys.ProcInfo, w int) string { return fmt.Sprintf("%*d", w, pi.PID) }},
	{"ppid", "PPID", 5, func(c *cmd, pi sys.ProcInfo, w int) string { return fmt.Sprintf("%*d", w, pi.PPID) }},
	{"pgid", "PGID", 5, func(c *cmd, pi sys.ProcInfo, w int) string { return fmt.Sprintf("%*d", w, pi.PID) }},
	{"nice", "NI", 5, func(c *cmd, pi sys.ProcInfo, w int) string { return fmt.Sprintf("%*d", w, 0) }},
	{"rgroup", "RGROUP", 8, func(c *cmd, pi sys.ProcInfo, w int) string { return trunc(c.groupName(pi.UID), w) }},
	{"ruser", "RUSER", 8, func(c *cmd, pi sys.ProcInfo, w int) string { return trunc(c.userName(pi.UID), w) }},
	{"tty", "TT", 6, func(c *cmd, pi sys.ProcInfo, w int) string {
		if pi.TTY == "" {
			return "?"
		}
		if n, ok := strings.CutPrefix(pi.TTY, "pts/"); ok {
			return trunc("136,"+n, w)
		}
		return trunc(pi.TTY, w)
	}},
	{"vsz", "VSZ", 4, func(c *cmd, pi sys.ProcInfo, w int) string { return trunc(putLU(pi.VSZ/1024), w) }},
	{"sid", "SID", 5, func(c *cmd, pi sys.ProcInfo, w int) string { return fmt.Sprintf("%*d", w, pi.PID) }},
	{"stat", "STAT", 4, func(c *cmd, pi sys.ProcInfo, w int) string { return trunc(pi.State, w) }},
	{"rss", "RSS", 4, func(c *cmd, pi sys.ProcInfo, w int) string { return trunc(putLU(pi.RSS/1024), w) }},
}

func trunc(s string, w int) string {
	if len(s) > w {
		return s[:w]
	}
	return s
}

func psMain(c *cmd) int {
	o, ok := c.getopt(c.args[1:], "Zo:aAdeflT")
	if !ok {
		return 1
	}
	specs := o.vals("o")
	if len(specs) == 0 {
		specs = []string{"pid,user,args"}
	}
	var cols []psColumn
	header := false
	for _, spec := range specs {
		// busybox 1.35 splits at every comma; NAME=HEADER renames a
		// column and makes it as wide as its header.
		for _, item := range strings.Split(spec, ",") {
			name, hdr, hasHdr := strings.Cut(item, "=")
			col, found := psColumn{}, false
			for _, pc := range psColumns {
				if pc.name == name || pc.name == trunc(name, 6) {
					col, found = pc, true
					break
				}
			}
			if !found {
				var names []string
				for _, pc := range psColumns {
					names = append(names, pc.name)
				}
				c.errorf("bad -o argument '%s', supported arguments: %s", name, strings.Join(names, ","))
				return 1
			}
			if hasHdr {
				col.header = hdr
				if hdr != "" {
					col.width = len(hdr)
					header = true
				}
			} else {
				header = true
			}
			cols = append(cols, col)
		}
	}
	width := 2048
	if t, ok := c.p.Terminal(1); ok {
		if _, w := t.Size(); w > 0 {
			width = w - 1
		}
	}
	for _, col := range cols {
		if col.header != "" {
			header = true
		}
	}
	line := func(cells []string) {
		var b strings.Builder
		for i, s := range cells {
			b.WriteString(s)
			if i < len(cells)-1 {
				b.WriteString(strings.Repeat(" ", max(cols[i].width-len(s), 0)+1))
			}
		}
		out := b.String()
		if len(out) > width {
			out = out[:width]
		}
		c.println(out)
	}
	if header {
		var cells []string
		for _, col := range cols {
			cells = append(cells, col.header)
		}
		line(cells)
	}
	for _, pi := range c.p.Processes() {
		var cells []string
		for _, col := range cols {
			s := col.f(c, pi, col.width)
			if s == "" {
				s = "-"
			}
			cells = append(cells, s)
		}
		line(cells)
	}
	return 0
}

func whichMain(c *cmd) int {
	o, ok := c.getopt(c.args[1:], "a")
	if !ok {
		return 1
	}
	if len(o.args) == 0 {
		return c.usageError()
	}
	pathVar, ok := c.p.Getenv("PATH")
	if !ok {
		pathVar = "/sbin:/usr/sbin:/bin:/usr/bin"
	}
	st := 0
	for _, name := range o.args {
		found := false
		if strings.Contains(name, "/") {
			if fi, err := c.stat(name); err == nil && fi.Mode().IsRegular() && c.canAccess(fi, 1) {
				c.println(name)
				found = true
			}
		} else {
			for _, d := range strings.Split(pathVar, ":") {
				if d == "" {
					d = "."
				}
				p := d + "/" + name
				if fi, err := c.stat(p); err == nil && fi.Mode().IsRegular() && c.canAccess(fi, 1) {
					c.println(p)
					found = true
					if !o.has("a") {
						break
					}
				}
			}
		}
		if !found {
			st = 1
		}
	}
	return st
}

// runChild runs a command as a child with the applet's streams and waits
// for it; err is the exec failure.
func (c *cmd) runChild(args []string, stdin io.Reader) (int, error) {
	c.out.Flush()
	child, err := c.p.Spawn(sys.Cmd{Args: args, Env: c.p.Environ(), Dir: c.p.Dir(),
		Stdin: stdin, Stdout: c.p.Stdout(), Stderr: c.p.Stderr()})
	if err != nil {
		return 0, err
	}
	done := make(chan int, 1)
	go func() { done <- child.Wait() }()
	select {
	case st := <-done:
		return st, nil
	case <-c.p.Context().Done():
		return 128 + 9, nil
	}
}

// xargsWords splits xargs input: blanks separate, quotes and backslashes
// protect.
func xargsWords(s string) []string {
	var out []string
	var cur strings.Builder
	in := false
	quote := byte(0)
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case quote != 0:
			if ch == quote {
				quote = 0
			} else {
				cur.WriteByte(ch)
			}
		case ch == '\'' || ch == '"':
			quote, in = ch, true
		case ch == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			in = true
		case ch == ' ' || ch == '\t' || ch == '\n':
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(ch)
			in = true
		}
	}
	if in {
		out = append(out, cur.String())
	}
	return out
}

func xargsMain(c *cmd) int {
	o, ok := c.getopt(c.args[1:], "+trn:s:E:e::I:i::0xaP:o", "null")
	if !ok {
		return 1
	}
	cmdArgs := o.args
	if len(cmdArgs) == 0 {
		cmdArgs = []string{"echo"}
	}
	in, _ := io.ReadAll(c.stdin())
	var items []string
	replace, hasI := o.val("I")
	if !hasI {
		if v, ok := o.val("i"); ok {
			replace, hasI = v, true
			if replace == "" {
				replace = "{}"
			}
		}
	}
	switch {
	case o.has("0") || o.has("null"):
		for _, w := range strings.Split(string(in), "\x00") {
			if w != "" {
				items = append(items, w)
			}
		}
	case hasI:
		for _, l := range strings.Split(strings.TrimSuffix(string(in), "\n"), "\n") {
			l = strings.TrimLeft(l, " \t")
			if l != "" {
				items = append(items, l)
			}
		}
	default:
		items = xargsWords(string(in))
	}
	if eof, ok := o.val("E"); ok && eof != "" {
		for i, w := range items {
			if w == eof {
				items = items[:i]
				break
			}
		}
	}
	n := 0
	if v, ok := o.val("n"); ok {
		k, err := strconv.Atoi(v)
		if err != nil || k <= 0 {
			c.errorf("invalid number '%s'", v)
			return 1
		}
		n = k
	}
	var batches [][]string
	switch {
	case hasI:
		for _, it := range items {
			var a []string
			for _, w := range cmdArgs {
				a = append(a, strings.ReplaceAll(w, replace, it))
			}
			batches = append(batches, a)
		}
	case len(items) == 0:
		if !o.has("r") {
			batches = append(batches, cmdArgs)
		}
	case n > 0:
		for i := 0; i < len(items); i += n {
			end := min(i+n, len(items))
			batches = append(batches, append(append([]string{}, cmdArgs...), items[i:end]...))
		}
	default:
		batches = append(batches, append(append([]string{}, cmdArgs...), items...))
	}
	st := 0
	for _, b := range batches {
		if o.has("t") {
			fmt.Fprintln(c.p.Stderr(), strings.Join(b, " "))
		}
		code, err := c.runChild(b, strings.NewReader(""))
		if err != nil {
			var xe *backend.ExecError
			if errors.As(err, &xe) && (xe.Reason == backend.ReasonPermission || xe.Reason == backend.ReasonIsDir) {
				c.errorf("%s: %s", b[0], Strerror(syscall.EACCES))
				return 126
			}
			c.errorf("%s: %s", b[0], Strerror(syscall.ENOENT))
			return 127
		}
		switch {
		case code == 255:
			c.errorf("%s: exited with status 255; aborting", b[0])
			return 124
		case code > 128:
			c.errorf("%s: terminated by signal %d", b[0], code-128)
			return 125
		case code != 0:
			st = 123
		}
	}
	return st
}

// topMain is top: frames of the process table, every -d seconds, -n
// times. On a terminal (without -b) each frame clears the screen, fits it,
// and q quits.
func topMain(c *cmd) int {
	o, ok := c.getopt(c.args[1:], "bHn:d:m")
	if !ok {
		return 1
	}
	count := -1
	if v, ok := o.val("n"); ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			c.errorf("invalid number '%s'", v)
			return 1
		}
		count = n
	}
	delay := 5 * time.Second
	if v, ok := o.val("d"); ok {
		if d, ok := parseDuration(v); ok {
			delay = d
		}
	}
	term, isTTY := c.p.Terminal(1)
	screen := isTTY && !o.has("b")
	quit := make(chan struct{})
	if screen {
		if in, ok := c.p.Terminal(0); ok {
			was := in.SetRaw(true)
			defer in.SetRaw(was)
			go func() {
				b := make([]byte, 1)
				for {
					n, err := c.stdin().Read(b)
					if err != nil || (n == 1 && (b[0] == 'q' || b[0] == 3 || b[0] == 4)) {
						close(quit)
						return
					}
				}
			}()
		}
	}
	for i := 0; count < 0 || i < count; i++ {
		if i > 0 {
			slept := make(chan error, 1)
			go func() { slept <- c.p.Sleep(delay) }()
			select {
			case err := <-slept:
				if err != nil {
					return 0
				}
			case <-quit:
				c.out.WriteString("\n")
				return 0
			}
		}
		rows, cols := 0, 0
		if screen {
			rows, cols = term.Size()
			c.out.WriteString("\x1b[H\x1b[J")
		}
		c.topFrame(screen, rows, cols)
		if err := c.out.Flush(); err != nil {
			return c.writeFailed(err)
		}
	}
	return 0
}

func (c *cmd) topFrame(screen bool, rows, cols int) {
	procs := c.p.Processes()
	info := c.meminfoAll()
	total, free := info["MemTotal"], info["MemFree"]
	var lines []string
	lines = append(lines, fmt.Sprintf("Mem: %dK used, %dK free, %dK shrd, %dK buff, %dK cached",
		total-free, free, info["Shmem"], info["Buffers"], info["Cached"]))
	lines = append(lines, "CPU:   0% usr   0% sys   0% nic 100% idle   0% io   0% irq   0% sirq")
	la := c.loadavg()
	running := 0
	for _, pi := range procs {
		if pi.State == "R" {
			running++
		}
	}
	lines = append(lines, fmt.Sprintf("Load average: %s %s %s %d/%d %d", la[0], la[1], la[2], running, len(procs), maxPID(procs)))
	header := fmt.Sprintf("%5s %5s %-8s %-4s %5s %4s %4s %s", "PID", "PPID", "USER", "STAT", "VSZ", "%VSZ", "%CPU", "COMMAND")
	fit := func(s string) string {
		if screen && cols > 1 && len(s) > cols-1 {
			return s[:cols-1]
		}
		return s
	}
	for _, l := range lines {
		c.println(fit(l))
	}
	if screen {
		c.println("\x1b[7m" + fit(header) + "\x1b[0m")
	} else {
		c.println(header)
	}
	shown := 0
	for _, pi := range procs {
		if screen && rows > 0 && shown >= rows-5 {
			break
		}
		vsz := pi.VSZ / 1024
		pct := int64(0)
		if total > 0 {
			pct = vsz * 100 / total
		}
		c.println(fit(fmt.Sprintf("%5d %5d %-8.8s %-4.4s %5s %3d%% %3d%% %s", pi.PID, pi.PPID,
			c.userName(pi.UID), pi.State, smartULL4(vsz), pct, 0, cmdline(pi))))
		shown++
	}
	if !screen {
		c.out.WriteByte('\n')
	}
}

func maxPID(ps []sys.ProcInfo) int {
	m := 0
	for _, p := range ps {
		m = max(m, p.PID)
	}
	return m
}

// meminfoAll reads /proc/meminfo (KiB values by name).
func (c *cmd) meminfoAll() map[string]int64 {
	info := map[string]int64{}
	f, err := c.open("/proc/meminfo")
	if err != nil {
		return info
	}
	defer f.Close()
	for _, line := range strings.Split(readAllString(f), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		v, _ := strconv.ParseInt(fields[1], 10, 64)
		info[strings.TrimSuffix(fields[0], ":")] = v
	}
	return info
}
