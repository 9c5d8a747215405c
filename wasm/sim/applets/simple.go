package applets

import (
	"math"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/twinbox-dev/twinbox/wasm/sim/sys"
)

func trueMain(c *cmd) int  { return 0 }
func falseMain(c *cmd) int { return 1 }

// pwdMain is the pwd applet (the shell has its own builtin).
func pwdMain(c *cmd) int {
	c.println(c.p.Dir())
	return 0
}

// parseDuration reads sleep's N[smhd], fractions allowed.
func parseDuration(s string) (time.Duration, bool) {
	mult := time.Second
	num := s
	if n := len(s); n > 0 {
		switch s[n-1] {
		case 's':
			num = s[:n-1]
		case 'm':
			mult, num = time.Minute, s[:n-1]
		case 'h':
			mult, num = time.Hour, s[:n-1]
		case 'd':
			mult, num = 24*time.Hour, s[:n-1]
		}
	}
	if num == "" || strings.ContainsAny(num, "+-_xXpP") {
		return 0, false
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, false
	}
	return time.Duration(v * float64(mult)), true
}

func sleepMain(c *cmd) int {
	args := c.args[1:]
	if len(args) == 0 {
		return c.usageError()
	}
	var total time.Duration
	for _, a := range args {
		d, ok := parseDuration(a)
		if !ok {
			c.errorf("invalid number '%s'", a)
			return 1
		}
		total += d
	}
	if err := c.p.Sleep(total); err != nil {
		return 1
	}
	return 0
}

func usleepMain(c *cmd) int {
	args := c.args[1:]
	if len(args) == 0 {
		return c.usageError()
	}
	n, err := strconv.ParseUint(args[0], 10, 32)
	if err != nil {
		c.errorf("invalid number '%s'", args[0])
		return 1
	}
	if c.p.Sleep(time.Duration(n)*time.Microsecond) != nil {
		return 1
	}
	return 0
}

func yesMain(c *cmd) int {
	line := "y"
	if args := c.args[1:]; len(args) > 0 {
		line = strings.Join(args, " ")
	}
	line += "\n"
	for !c.killed() {
		if _, err := c.out.WriteString(line); err != nil {
			return c.writeFailed(err)
		}
	}
	return 1
}

func clearMain(c *cmd) int {
	c.out.WriteString("\x1b[H\x1b[J")
	return 0
}

// baseName is basename(3) as busybox's bb_get_last_path_component_strip.
func baseName(s string) string {
	if s == "" {
		return ""
	}
	t := strings.TrimRight(s, "/")
	if t == "" {
		return "/"
	}
	if i := strings.LastIndexByte(t, '/'); i >= 0 {
		return t[i+1:]
	}
	return t
}

// dirName is dirname(3).
func dirName(s string) string {
	t := strings.TrimRight(s, "/")
	if t == "" {
		if s == "" {
			return "."
		}
		return "/"
	}
	i := strings.LastIndexByte(t, '/')
	if i < 0 {
		return "."
	}
	d := strings.TrimRight(t[:i], "/")
	if d == "" {
		return "/"
	}
	return d
}

func basenameMain(c *cmd) int {
	o, ok := c.getopt(c.args[1:], "+as:")
	if !ok {
		return 1
	}
	args := o.args
	suffix, hasS := o.val("s")
	all := o.has("a") || hasS
	if len(args) == 0 || (!all && len(args) > 2) {
		return c.usageError()
	}
	if !all {
		if len(args) == 2 {
			suffix = args[1]
		}
		args = args[:1]
	}
	for _, a := range args {
		b := baseName(a)
		if suffix != "" && b != suffix && strings.HasSuffix(b, suffix) {
			b = strings.TrimSuffix(b, suffix)
		}
		c.println(b)
	}
	return 0
}

func dirnameMain(c *cmd) int {
	o, ok := c.getopt(c.args[1:], "")
	if !ok {
		return 1
	}
	if len(o.args) != 1 {
		return c.usageError()
	}
	c.println(dirName(o.args[0]))
	return 0
}

func seqMain(c *cmd) int {
	// seq takes negative numbers as operands: only -w and -s are options.
	args := c.args[1:]
	width, sep := false, "\n"
	for len(args) > 0 {
		a := args[0]
		if a == "-w" {
			width = true
		} else if a == "-s" && len(args) > 1 {
			sep = args[1]
			args = args[1:]
		} else if strings.HasPrefix(a, "-s") && len(a) > 2 {
			sep = a[2:]
		} else if a == "--" {
			args = args[1:]
			break
		} else {
			break
		}
		args = args[1:]
	}
	if len(args) < 1 || len(args) > 3 {
		return c.usageError()
	}
	vals := make([]float64, len(args))
	prec := 0
	for i, a := range args {
		v, err := strconv.ParseFloat(a, 64)
		if err != nil || strings.ContainsAny(a, "_xXpPnN") {
			return c.usageError()
		}
		vals[i] = v
		if j := strings.IndexByte(a, '.'); j >= 0 {
			prec = max(prec, len(a)-j-1)
		}
	}
	first, inc, last := 1.0, 1.0, vals[len(vals)-1]
	if len(vals) >= 2 {
		first = vals[0]
	}
	if len(vals) == 3 {
		inc = vals[1]
	}
	w := 0
	if width {
		w = max(len(strconv.FormatFloat(first, 'f', prec, 64)), len(strconv.FormatFloat(last, 'f', prec, 64)))
	}
	printed := false
	for n := 0; ; n++ {
		v := first + float64(n)*inc
		if (inc >= 0 && v > last) || (inc < 0 && v < last) || c.killed() {
			break
		}
		if printed {
			c.out.WriteString(sep)
		}
		s := strconv.FormatFloat(v, 'f', prec, 64)
		if width && len(s) < w {
			neg := strings.HasPrefix(s, "-")
			s = strings.TrimPrefix(s, "-")
			s = strings.Repeat("0", w-len(s)-boolInt(neg)) + s
			if neg {
				s = "-" + s
			}
		}
		c.out.WriteString(s)
		printed = true
		if inc == 0 {
			// seq 1 0 1 prints forever.
			continue
		}
	}
	if printed {
		c.out.WriteByte('\n')
	}
	return 0
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func hostnameMain(c *cmd) int {
	o, ok := c.getopt(c.args[1:], "dfisF:")
	if !ok {
		return 1
	}
	if len(o.args) > 0 || o.has("F") {
		// Setting the name needs CAP_SYS_ADMIN, which containers lack.
		if s, ok := c.p.(sys.HostnameSetter); ok && len(o.args) > 0 {
			if err := s.SetHostname(o.args[0]); err == nil {
				return 0
			} else {
				c.errorf("sethostname: %s", Strerror(err))
				return 1
			}
		}
		c.errorf("sethostname: %s", Strerror(syscall.EPERM))
		return 1
	}
	name := c.p.Hostname()
	switch {
	case o.has("i"):
		addrs := c.hostAddrs(name)
		if len(addrs) == 0 {
			c.errorf("%s: Unknown host", name)
			return 1
		}
		for _, a := range addrs {
			c.out.WriteString(a + " ")
		}
		c.out.WriteByte('\n')
	case o.has("s"):
		short, _, _ := strings.Cut(name, ".")
		c.println(short)
	case o.has("d"):
		if _, dom, ok := strings.Cut(c.fqdn(name), "."); ok {
			c.println(dom)
		} else {
			c.println("")
		}
	case o.has("f"):
		c.println(c.fqdn(name))
	default:
		c.println(name)
	}
	return 0
}

// hostsEntries reads /etc/hosts as (address, names) pairs.
func (c *cmd) hostsEntries() [][]string {
	f, err := c.open("/etc/hosts")
	if err != nil {
		return nil
	}
	defer f.Close()
	var out [][]string
	for _, line := range strings.Split(readAllString(f), "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		fields := strings.Fields(line)
		if len(fields) >= 2 {
			out = append(out, fields)
		}
	}
	return out
}

// hostAddrs resolves name through /etc/hosts, the IPv4 addresses first
// entry wins as gethostbyname does.
func (c *cmd) hostAddrs(name string) []string {
	for _, e := range c.hostsEntries() {
		if strings.Contains(e[0], ":") {
			continue
		}
		for _, n := range e[1:] {
			if n == name {
				return []string{e[0]}
			}
		}
	}
	return nil
}

// fqdn is the canonical name /etc/hosts gives for name.
func (c *cmd) fqdn(name string) string {
	for _, e := range c.hostsEntries() {
		for _, n := range e[1:] {
			if n == name {
				return e[1]
			}
		}
	}
	return name
}

func whoamiMain(c *cmd) int {
	if len(c.args) > 1 {
		return c.usageError()
	}
	uid := c.p.Cred().UID
	if c.users == nil {
		c.users = c.readIDFile("/etc/passwd")
	}
	n, ok := c.users[uid]
	if !ok {
		c.errorf("unknown uid %d", uid)
		return 1
	}
	c.println(n)
	return 0
}

func idMain(c *cmd) int {
	o, ok := c.getopt(c.args[1:], "ugGnr")
	if !ok {
		return 1
	}
	n := 0
	for _, f := range []string{"u", "g", "G"} {
		if o.has(f) {
			n++
		}
	}
	if n > 1 || ((o.has("n") || o.has("r")) && n == 0) || len(o.args) > 1 {
		return c.usageError()
	}
	cred := c.p.Cred()
	uid, gid, groups := cred.UID, cred.GID, cred.Groups
	if len(o.args) == 1 {
		u, g, found := c.lookupUser(o.args[0])
		if !found {
			c.errorf("unknown user %s", o.args[0])
			return 1
		}
		uid, gid = u, g
		groups = c.userGroups(o.args[0], g)
	}
	names := o.has("n")
	status := 0
	switch {
	case o.has("u"):
		c.println(c.idString(uid, names, true))
	case o.has("g"):
		c.println(c.idString(gid, names, false))
	case o.has("G"):
		gs := groups
		if len(o.args) == 0 && len(gs) == 0 {
			gs = []int{gid}
		}
		var parts []string
		for _, g := range gs {
			parts = append(parts, c.idString(g, names, false))
		}
		c.println(strings.Join(parts, " "))
	default:
		s := "uid=" + c.labeled(uid, true) + " gid=" + c.labeled(gid, false)
		if len(groups) > 0 {
			s += " groups="
			for i, g := range groups {
				if i > 0 {
					s += ","
				}
				s += c.labeled(g, false)
			}
		}
		c.println(s)
	}
	return status
}

func (c *cmd) idString(id int, names, user bool) string {
	if !names {
		return strconv.Itoa(id)
	}
	if user {
		return c.userName(id)
	}
	return c.groupName(id)
}

// labeled is "0(root)", or "1000" when the id has no name.
func (c *cmd) labeled(id int, user bool) string {
	var m map[int]string
	if user {
		c.userName(id)
		m = c.users
	} else {
		c.groupName(id)
		m = c.groups
	}
	if n, ok := m[id]; ok {
		return strconv.Itoa(id) + "(" + n + ")"
	}
	return strconv.Itoa(id)
}

// userGroups is getgrouplist(3): the primary group, then every group that
// lists the user.
func (c *cmd) userGroups(user string, primary int) []int {
	gs := []int{primary}
	for _, f := range c.colonFile("/etc/group") {
		if len(f) < 4 {
			continue
		}
		g, err := strconv.Atoi(f[2])
		if err != nil || g == primary {
			continue
		}
		for _, m := range strings.Split(f[3], ",") {
			if m == user {
				gs = append(gs, g)
				break
			}
		}
	}
	return gs
}

func groupsMain(c *cmd) int {
	args := []string{"id", "-Gn"}
	args = append(args, c.args[1:]...)
	c2 := *c
	c2.name = "id"
	return idMain(c2.withArgs(args))
}

func nprocMain(c *cmd) int {
	o, ok := c.getopt(c.args[1:], "", "all", "ignore=")
	if !ok {
		return 1
	}
	n := c.cpuCount()
	if v, ok := o.val("ignore"); ok {
		k, err := strconv.Atoi(v)
		if err != nil || k < 0 {
			c.errorf("invalid number '%s'", v)
			return 1
		}
		n -= k
		if n < 1 {
			n = 1
		}
	}
	c.println(strconv.Itoa(n))
	return 0
}

// cpuCount reads the CPUs from /sys/devices/system/cpu/online or
// /proc/cpuinfo; it is 1 when neither is there.
func (c *cmd) cpuCount() int {
	if f, err := c.open("/sys/devices/system/cpu/online"); err == nil {
		s := strings.TrimSpace(readAllString(f))
		f.Close()
		n := 0
		for _, r := range strings.Split(s, ",") {
			lo, hi, isRange := strings.Cut(r, "-")
			a, err1 := strconv.Atoi(lo)
			if !isRange {
				if err1 == nil {
					n++
				}
				continue
			}
			b, err2 := strconv.Atoi(hi)
			if err1 == nil && err2 == nil && b >= a {
				n += b - a + 1
			}
		}
		if n > 0 {
			return n
		}
	}
	if f, err := c.open("/proc/cpuinfo"); err == nil {
		n := 0
		for _, line := range strings.Split(readAllString(f), "\n") {
			if strings.HasPrefix(line, "processor") {
				n++
			}
		}
		f.Close()
		if n > 0 {
			return n
		}
	}
	return 1
}

func unameMain(c *cmd) int {
	o, ok := c.getopt(c.args[1:], "snrvmpioa")
	if !ok {
		return 1
	}
	if len(o.args) > 0 {
		return c.usageError()
	}
	u := c.p.Uname()
	all := o.has("a")
	fields := []struct {
		flag, val string
	}{
		{"s", u.Sysname}, {"n", u.Nodename}, {"r", u.Release}, {"v", u.Version},
		{"m", u.Machine}, {"p", "unknown"}, {"i", "unknown"}, {"o", "GNU/Linux"},
	}
	var parts []string
	any := false
	for _, f := range fields {
		if o.has(f.flag) {
			any = true
		}
	}
	for _, f := range fields {
		if (all && f.val != "unknown") || o.has(f.flag) {
			parts = append(parts, f.val)
		}
	}
	if !any && !all {
		parts = []string{u.Sysname}
	}
	c.println(strings.Join(parts, " "))
	return 0
}

func archMain(c *cmd) int {
	c.println(c.p.Uname().Machine)
	return 0
}

func ttyMain(c *cmd) int {
	o, ok := c.getopt(c.args[1:], "s")
	if !ok {
		return 1
	}
	name := ""
	if _, isTTY := c.p.Terminal(0); isTTY {
		for _, pi := range c.p.Processes() {
			if pi.PID == c.p.PID() {
				name = pi.TTY
			}
		}
	}
	if name == "" {
		if !o.has("s") {
			c.println("not a tty")
		}
		return 1
	}
	if !o.has("s") {
		c.println("/dev/" + name)
	}
	return 0
}

func lognameMain(c *cmd) int {
	// getlogin(3) asks the terminal's utmp entry, which containers do
	// not have.
	if _, ok := c.p.Terminal(0); ok {
		c.errorf("getlogin: %s", Strerror(syscall.ENXIO))
	} else {
		c.errorf("getlogin: %s", Strerror(syscall.ENOTTY))
	}
	return 1
}
