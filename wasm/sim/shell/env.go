package shell

import (
	"sort"
	"strconv"
	"strings"
	"sync/atomic"

	"mvdan.cc/sh/v3/expand"
)

// Names of the variables the rewriter substitutes for parameters the
// interpreter would otherwise take from the host process ($$, $PPID, $!,
// $0) and of the variables that carry background-job bookkeeping. They are
// valid names so that rewritten code survives printing and re-parsing (eval,
// source); they are never exported.
const (
	varPID     = "__tb_pid"
	varPPID    = "__tb_ppid"
	varBgPID   = "__tb_bgpid"
	varArg0    = "__tb_arg0"
	varLastJob = "__tb_lastjob"
	varJob     = "__tb_job"
	varTilde   = "__tb_tilde_" // + user name: that user's home directory
	varFlags   = "__tb_flags"  // $-
)

// internalVar reports whether name is one of the shell's own variables,
// hidden from set, export -p and children.
func internalVar(name string) bool { return strings.HasPrefix(name, "__tb_") }

// baseEnv is the environment the interpreter starts from: the process's
// environment (exported), and the shell's dynamic variables, computed from
// the process when read.
type baseEnv struct {
	sh   *shell
	vars map[string]string
	keys []string // in the order of the process environment

	// resetting is true while interp.Runner.Reset runs: the runner then
	// fills HOME, UID, EUID and GID from the host process when they are
	// unset, and takes its FIFO directory from TMPDIR. Reporting them set
	// (and TMPDIR as a path no file can have) keeps the host out.
	resetting atomic.Bool
}

// noFIFODir is where the interpreter would make named pipes for process
// substitutions: a name with a NUL byte, which no system call accepts and
// no shell word can spell.
const noFIFODir = "/\x00twinbox-no-fifo"

func newBaseEnv(sh *shell, environ []string) *baseEnv {
	e := &baseEnv{sh: sh, vars: map[string]string{}}
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			continue
		}
		if _, dup := e.vars[k]; !dup {
			e.keys = append(e.keys, k)
		}
		e.vars[k] = v
	}
	return e
}

func str(s string) expand.Variable {
	return expand.Variable{Set: true, Kind: expand.String, Str: s}
}

// Get implements expand.Environ.
func (e *baseEnv) Get(name string) expand.Variable {
	if e.resetting.Load() {
		switch name {
		case "TMPDIR":
			return str(noFIFODir)
		case "HOME", "UID", "EUID", "GID":
			if _, ok := e.vars[name]; !ok {
				return str("")
			}
		}
	}
	if internalVar(name) {
		if v, ok := e.sh.dynamicVar(name, true); ok {
			return str(v)
		}
		return expand.Variable{}
	}
	if v, ok := e.vars[name]; ok {
		vr := str(v)
		vr.Exported = true
		return vr
	}
	return expand.Variable{}
}

// Each implements expand.Environ. Background subshells copy the
// environment through Each, so the dynamic variables they need are listed
// too (but never a value that would have to wait).
func (e *baseEnv) Each(fn func(name string, vr expand.Variable) bool) {
	for _, k := range e.keys {
		vr := str(e.vars[k])
		vr.Exported = true
		if !fn(k, vr) {
			return
		}
	}
	for _, name := range []string{varPID, varPPID, varArg0, varLastJob, varBgPID, varFlags} {
		if v, ok := e.sh.dynamicVar(name, false); ok {
			if !fn(name, str(v)) {
				return
			}
		}
	}
}

// dynamicVar computes one of the shell's own variables. A read of $! may
// wait for the last background job to start its process, unless wait is
// false.
func (sh *shell) dynamicVar(name string, wait bool) (string, bool) {
	switch name {
	case varPID:
		return strconv.Itoa(sh.p.PID()), true
	case varPPID:
		return strconv.Itoa(sh.p.PPID()), true
	case varArg0:
		return sh.arg0, true
	case varFlags:
		return sh.flagString(), true
	case varLastJob:
		return strconv.Itoa(sh.jobs.last()), true
	case varBgPID:
		pid, ok := sh.jobs.lastPID(wait)
		if !ok || pid == 0 {
			return "", false
		}
		return strconv.Itoa(pid), true
	}
	if user, ok := strings.CutPrefix(name, varTilde); ok {
		return sh.homeOf(user), true
	}
	return "", false
}

// homeOf is ~user: the user's home directory from /etc/passwd, or the
// word unchanged when there is no such user.
func (sh *shell) homeOf(user string) string {
	for _, line := range strings.Split(sh.readFile("/etc/passwd"), "\n") {
		f := strings.Split(line, ":")
		if len(f) >= 6 && f[0] == user {
			return f[5]
		}
	}
	return "~" + user
}

// execEnv is the environment of a command the shell runs: its exported
// variables, without the shell's own, in the order ash lists them — by
// the bucket of its variable hash table, then in the order the variables
// were made (ash's own first, then the environment's).
func (sh *shell) execEnv(env expand.Environ) []string {
	type entry struct {
		kv          string
		bucket, ord int
	}
	var list []entry
	seen := map[string]int{}
	n := 0
	for name, vr := range env.Each {
		if internalVar(name) {
			continue
		}
		n++
		i, dup := seen[name]
		if !vr.IsSet() || !vr.Exported || vr.Kind != expand.String {
			if dup {
				list[i].kv = ""
			}
			continue
		}
		kv := name + "=" + vr.String()
		if dup {
			list[i].kv = kv
			continue
		}
		// Variables made by the script come after the environment's;
		// among themselves, by name (the interpreter keeps no order).
		ord := 1 << 30
		if _, ok := sh.env.vars[name]; ok {
			ord = n
		}
		for j, v := range ashInitVars {
			if v == name {
				ord = j - len(ashInitVars)
			}
		}
		seen[name] = len(list)
		list = append(list, entry{kv, ashHash(name), ord})
	}
	sort.SliceStable(list, func(i, j int) bool {
		if list[i].bucket != list[j].bucket {
			return list[i].bucket < list[j].bucket
		}
		if list[i].ord != list[j].ord {
			return list[i].ord < list[j].ord
		}
		return list[i].kv < list[j].kv
	})
	out := make([]string, 0, len(list))
	for _, e := range list {
		if e.kv != "" {
			out = append(out, e.kv)
		}
	}
	return out
}

// ashInitVars are the variables ash makes before it reads the
// environment, in its order.
var ashInitVars = []string{"IFS", "MAIL", "MAILPATH", "PATH", "PS1", "PS2", "PS4", "OPTIND", "LINENO", "FUNCNAME", "RANDOM", "SECONDS", "LC_ALL", "LC_CTYPE", "HISTFILE"}

// ashHash is ash's hashvar: the bucket of name in its 39-bucket table.
func ashHash(name string) int {
	if name == "" {
		return 0
	}
	h := int(name[0]) << 4
	for i := 0; i < len(name); i++ {
		h += int(name[i])
	}
	return h % 39
}
