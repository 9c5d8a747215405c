package engine

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

// ContainerTop answers GET /containers/{name}/top. dockerd runs the host's
// ps with psArgs and keeps the container's rows; the engine formats the
// backend's process list the way procps' ps names and fills its columns.
func (e *Engine) ContainerTop(ctx context.Context, name, psArgs string) (container.TopResponse, error) {
	if psArgs == "" {
		psArgs = "-ef"
	}
	cols, err := psColumns(psArgs)
	if err != nil {
		return container.TopResponse{}, err
	}
	c, err := e.getContainer(name)
	if err != nil {
		return container.TopResponse{}, err
	}
	c.mu.Lock()
	running, restarting := c.State.Running, c.State.Restarting
	c.mu.Unlock()
	if !running {
		return container.TopResponse{}, backend.Errorf(backend.Conflict, "Container %s is not running", c.ID)
	}
	if restarting {
		return container.TopResponse{}, backend.Errorf(backend.Conflict, "Container %s is restarting, wait until the container is running", c.ID)
	}
	procs, err := e.b.Processes(ctx, c.ID)
	if err != nil {
		return container.TopResponse{}, err
	}
	hasPID := false
	resp := container.TopResponse{Titles: make([]string, len(cols)), Processes: [][]string{}}
	for i, col := range cols {
		resp.Titles[i] = col.title
		if col.title == "PID" {
			hasPID = true
		}
	}
	if !hasPID {
		return container.TopResponse{}, backend.Errorf(backend.Internal, "Couldn't find PID field in ps output")
	}
	now := e.now()
	for _, p := range procs {
		row := make([]string, len(cols))
		for i, col := range cols {
			row[i] = col.value(p, now)
		}
		resp.Processes = append(resp.Processes, row)
	}
	e.containerEvent(c, "top", nil)
	return resp, nil
}

type psColumn struct {
	title string
	value func(p backend.ProcessInfo, now time.Time) string
}

func cmdline(p backend.ProcessInfo) string {
	if len(p.Args) == 0 {
		return "[" + p.Comm + "]"
	}
	return strings.Join(p.Args, " ")
}

func user(p backend.ProcessInfo) string {
	if p.User != "" {
		return p.User
	}
	return strconv.Itoa(p.UID)
}

func cpuTime(d time.Duration) string {
	s := int(d.Seconds())
	return fmt.Sprintf("%02d:%02d:%02d", s/3600, s/60%60, s%60)
}

func stime(t, now time.Time) string {
	switch {
	case t.YearDay() == now.YearDay() && t.Year() == now.Year():
		return t.Format("15:04")
	case t.Year() == now.Year():
		return t.Format("Jan02")
	}
	return t.Format("2006")
}

func elapsed(d time.Duration) string {
	s := int(d.Seconds())
	days, h, m, sec := s/86400, s/3600%24, s/60%60, s%60
	switch {
	case days > 0:
		return fmt.Sprintf("%d-%02d:%02d:%02d", days, h, m, sec)
	case h > 0:
		return fmt.Sprintf("%02d:%02d:%02d", h, m, sec)
	}
	return fmt.Sprintf("%02d:%02d", m, sec)
}

func tty(p backend.ProcessInfo) string {
	if p.TTY == "" {
		return "?"
	}
	return p.TTY
}

// psFields are the -o fields procps knows, with their headers.
var psFields = map[string]psColumn{
	"pid":     {"PID", func(p backend.ProcessInfo, _ time.Time) string { return strconv.Itoa(p.PID) }},
	"ppid":    {"PPID", func(p backend.ProcessInfo, _ time.Time) string { return strconv.Itoa(p.PPID) }},
	"uid":     {"UID", func(p backend.ProcessInfo, _ time.Time) string { return strconv.Itoa(p.UID) }},
	"user":    {"USER", func(p backend.ProcessInfo, _ time.Time) string { return user(p) }},
	"euser":   {"EUSER", func(p backend.ProcessInfo, _ time.Time) string { return user(p) }},
	"args":    {"COMMAND", func(p backend.ProcessInfo, _ time.Time) string { return cmdline(p) }},
	"command": {"COMMAND", func(p backend.ProcessInfo, _ time.Time) string { return cmdline(p) }},
	"cmd":     {"CMD", func(p backend.ProcessInfo, _ time.Time) string { return cmdline(p) }},
	"comm":    {"COMMAND", func(p backend.ProcessInfo, _ time.Time) string { return p.Comm }},
	"ucmd":    {"CMD", func(p backend.ProcessInfo, _ time.Time) string { return p.Comm }},
	"etime":   {"ELAPSED", func(p backend.ProcessInfo, now time.Time) string { return elapsed(now.Sub(p.Start)) }},
	"time":    {"TIME", func(p backend.ProcessInfo, _ time.Time) string { return cpuTime(p.CPUTime) }},
	"cputime": {"TIME", func(p backend.ProcessInfo, _ time.Time) string { return cpuTime(p.CPUTime) }},
	"tty":     {"TT", func(p backend.ProcessInfo, _ time.Time) string { return tty(p) }},
	"stat":    {"STAT", func(p backend.ProcessInfo, _ time.Time) string { return p.State }},
	"s":       {"S", func(p backend.ProcessInfo, _ time.Time) string { return p.State }},
	"rss":     {"RSS", func(p backend.ProcessInfo, _ time.Time) string { return strconv.FormatInt(p.RSS/1024, 10) }},
	"vsz":     {"VSZ", func(p backend.ProcessInfo, _ time.Time) string { return strconv.FormatInt(p.VSZ/1024, 10) }},
	"pcpu":    {"%CPU", func(p backend.ProcessInfo, _ time.Time) string { return "0.0" }},
	"%cpu":    {"%CPU", func(p backend.ProcessInfo, _ time.Time) string { return "0.0" }},
	"c":       {"C", func(p backend.ProcessInfo, _ time.Time) string { return "0" }},
	"stime":   {"STIME", func(p backend.ProcessInfo, now time.Time) string { return stime(p.Start, now) }},
	"start":   {"STARTED", func(p backend.ProcessInfo, now time.Time) string { return p.Start.Format("15:04:05") }},
}

// psColumns turns ps arguments into columns: the -f, -ef, aux and -o forms.
func psColumns(args string) ([]psColumn, error) {
	fields := strings.Fields(args)
	var cols []psColumn
	full, bsd := false, false
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		switch {
		case f == "-o" || f == "o" || f == "--format":
			if i+1 >= len(fields) {
				return nil, backend.Errorf(backend.Internal, "Error running ps: exit status 1")
			}
			i++
			for _, name := range strings.Split(fields[i], ",") {
				title := ""
				if n, t, ok := strings.Cut(name, "="); ok {
					name, title = n, t
				}
				col, ok := psFields[strings.ToLower(name)]
				if !ok {
					return nil, backend.Errorf(backend.Internal, "Error running ps: exit status 1\nerror: unknown user-defined format specifier \"%s\"", name)
				}
				if title != "" {
					col.title = title
				}
				cols = append(cols, col)
			}
		case strings.HasPrefix(f, "-o"):
			fields = append(fields[:i+1], append([]string{f[2:]}, fields[i+1:]...)...)
			fields[i] = "-o"
			i--
		case strings.HasPrefix(f, "-"):
			if strings.Contains(f, "f") {
				full = true
			}
		default:
			if strings.ContainsAny(f, "u") {
				bsd = true
			}
		}
	}
	if len(cols) > 0 {
		return cols, nil
	}
	pick := func(names ...string) []psColumn {
		var out []psColumn
		for _, n := range names {
			out = append(out, psFields[n])
		}
		return out
	}
	switch {
	case full:
		cols = pick("uid", "pid", "ppid", "c", "stime", "tty", "time", "cmd")
		cols[0] = psColumn{"UID", func(p backend.ProcessInfo, _ time.Time) string { return user(p) }}
		cols[5].title = "TTY"
	case bsd:
		cols = pick("user", "pid", "%cpu", "pcpu", "vsz", "rss", "tty", "stat", "start", "time", "command")
		cols[6].title = "TTY"
		cols[3] = psColumn{"%MEM", func(p backend.ProcessInfo, _ time.Time) string { return "0.0" }}
		cols[8] = psColumn{"START", func(p backend.ProcessInfo, now time.Time) string { return stime(p.Start, now) }}
	default:
		cols = pick("pid", "tty", "time", "cmd")
		cols[1].title = "TTY"
	}
	return cols, nil
}
