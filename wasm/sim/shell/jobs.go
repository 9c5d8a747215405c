package shell

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"mvdan.cc/sh/v3/interp"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

// job is a background command (`cmd &`). The interpreter runs it in a
// goroutine; its process is the first child it starts.
type job struct {
	n        int
	cmd      string // the command as written, for jobs and Done notices
	notified bool
	pid      int
	pidSet   chan struct{} // closed once pid is known (0: the job started no process)
	done     chan struct{}
	status   int
	waited   bool
}

// jobTable tracks the background jobs of the shell.
type jobTable struct {
	mu   sync.Mutex
	all  []*job
	byN  map[int]*job
	next int
}

func (t *jobTable) init() { t.byN = map[int]*job{} }

// register starts a new job; it becomes $!.
func (t *jobTable) register(cmd string) *job {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.next++
	j := &job{n: t.next, cmd: cmd, pidSet: make(chan struct{}), done: make(chan struct{})}
	t.all = append(t.all, j)
	t.byN[j.n] = j
	return j
}

// last is the number of the newest job.
func (t *jobTable) last() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.next
}

// lastPID is $!: the process of the newest job. With wait it waits for
// the job to start one.
func (t *jobTable) lastPID(wait bool) (int, bool) {
	t.mu.Lock()
	j := t.byN[t.next]
	t.mu.Unlock()
	if j == nil {
		return 0, false
	}
	if !wait {
		select {
		case <-j.pidSet:
		default:
			return 0, false
		}
	}
	<-j.pidSet
	return j.pid, true
}

// waitStarted waits until the newest job has started its process or
// ended, as fork(2) would have before the shell went on.
func (t *jobTable) waitStarted(ctx context.Context) {
	t.mu.Lock()
	j := t.byN[t.next]
	t.mu.Unlock()
	if j == nil {
		return
	}
	select {
	case <-j.pidSet:
	case <-ctx.Done():
	}
}

// current is the job a command runs in ("" outside background jobs).
func (t *jobTable) current(hc interp.HandlerContext) string {
	return hc.Env.Get(varJob).String()
}

func (t *jobTable) get(id string) *job {
	n, err := strconv.Atoi(id)
	if err != nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.byN[n]
}

// spawned records the first process a job starts.
func (t *jobTable) spawned(hc interp.HandlerContext, pid int) {
	j := t.get(t.current(hc))
	if j == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	select {
	case <-j.pidSet:
	default:
		j.pid = pid
		close(j.pidSet)
	}
}

// end records that a job finished with status st.
func (t *jobTable) end(id string, st int) {
	j := t.get(id)
	if j == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	select {
	case <-j.pidSet:
	default:
		close(j.pidSet)
	}
	select {
	case <-j.done:
	default:
		j.status = st
		close(j.done)
	}
}

// byPID finds the job whose process is pid.
func (t *jobTable) byPID(pid int) *job {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, j := range t.all {
		select {
		case <-j.pidSet:
			if j.pid == pid {
				return j
			}
		default:
		}
	}
	return nil
}

// byspec resolves a job spec (%N, %%, %+, %-) to its process.
func (t *jobTable) byspec(spec string) (int, bool) {
	s := strings.TrimPrefix(spec, "%")
	t.mu.Lock()
	var j *job
	switch s {
	case "", "%", "+":
		for i := len(t.all) - 1; i >= 0; i-- {
			if !isDone(t.all[i]) {
				j = t.all[i]
				break
			}
		}
	default:
		if n, err := strconv.Atoi(s); err == nil {
			j = t.byN[n]
		}
	}
	t.mu.Unlock()
	if j == nil || isDone(j) {
		return 0, false
	}
	<-j.pidSet
	return j.pid, j.pid != 0
}

func isDone(j *job) bool {
	select {
	case <-j.done:
		return true
	default:
		return false
	}
}

// list prints the running jobs as ash's jobs does; only an interactive
// shell keeps the commands' text.
func (t *jobTable) list(w io.Writer, withText bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var running []*job
	for _, j := range t.all {
		if !isDone(j) {
			running = append(running, j)
		}
	}
	for i, j := range running {
		mark := " "
		if i == len(running)-1 {
			mark = "+"
		} else if i == len(running)-2 {
			mark = "-"
		}
		text := ""
		if withText {
			text = j.cmd
		}
		fmt.Fprintln(w, jobLine(j.n, mark, "Running", text))
	}
}

// jobLine formats a job as ash's showjob: the command starts at column 33.
func jobLine(n int, mark, state, cmd string) string {
	s := fmt.Sprintf("[%d]%s  %s", n, mark, state)
	if len(s) < 33 {
		s += strings.Repeat(" ", 33-len(s))
	} else {
		s += " "
	}
	return s + cmd
}

// notifyDone prints the jobs that ended since the last prompt, as
// interactive ash does before each prompt.
func (t *jobTable) notifyDone(w io.Writer) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var keep []*job
	for i, j := range t.all {
		if !isDone(j) || j.notified {
			if !isDone(j) {
				keep = append(keep, j)
			}
			continue
		}
		j.notified = true
		mark := " "
		if i == len(t.all)-1 {
			mark = "+"
		}
		state := "Done"
		if j.status != 0 {
			state = fmt.Sprintf("Done(%d)", j.status)
		}
		fmt.Fprintln(w, jobLine(j.n, mark, state, j.cmd))
	}
	_ = keep
}

// wait is ash's wait builtin: with no operand it waits for every job;
// with PIDs or job specs it waits for those and returns the last one's
// status (127 for a process that is not a child). A trapped signal ends
// the wait with 128+signal.
func (sh *shell) wait(ctx context.Context, hc interp.HandlerContext, args []string) int {
	var targets []*job
	if len(args) == 1 {
		sh.jobs.mu.Lock()
		targets = append(targets, sh.jobs.all...)
		sh.jobs.mu.Unlock()
	}
	st := 0
	for _, a := range args[1:] {
		var j *job
		if strings.HasPrefix(a, "%") {
			sh.jobs.mu.Lock()
			if n, err := strconv.Atoi(strings.TrimPrefix(a, "%")); err == nil {
				j = sh.jobs.byN[n]
			}
			sh.jobs.mu.Unlock()
			if j == nil {
				sh.cmdMsg("wait", "%s: no such job", a)
				return 2
			}
		} else {
			pid, err := strconv.Atoi(a)
			if err != nil {
				sh.cmdMsg("wait", "Illegal number: %s", a)
				return 2
			}
			j = sh.jobs.byPID(pid)
			if j == nil {
				st = 127
				continue
			}
		}
		targets = append(targets, j)
	}
	for i, j := range targets {
		select {
		case <-j.done:
		case <-ctx.Done():
			return 128 + int(backend.SIGKILL)
		case sig := <-sh.traps.arrived():
			sh.traps.took(sig)
			return 128 + int(sig)
		}
		if len(args) > 1 && i == len(targets)-1 {
			st = j.status
		}
	}
	if len(args) == 1 {
		return 0
	}
	return st
}
