package shell

import (
	"regexp"
	"strings"
	"sync"
)

// errTranslator is the standard error the interpreter itself writes to:
// its own messages (expansion errors, bad assignments, redirections) come
// out worded as ash words them. Commands never write here: the exec
// handler gives them the shell's real standard error instead.
type errTranslator struct {
	sh *shell

	mu    sync.Mutex
	fatal bool // an error after which ash exits (status 2)
}

var (
	reUnbound  = regexp.MustCompile(`^(.+): unbound variable$`)
	reReadonly = regexp.MustCompile(`^(.+): readonly variable$`)
)

func (e *errTranslator) Write(b []byte) (int, error) {
	sh := e.sh
	text := strings.TrimSuffix(string(b), "\n")
	var out string
	fatal := true
	switch {
	case strings.HasPrefix(text, "+ "), strings.HasPrefix(text, sh.arg0+": "):
		// xtrace output, and messages already worded by the shell.
		out, fatal = text, false
	case text == "division by zero":
		out = sh.prefix("") + "divide by zero"
	case reUnbound.MatchString(text):
		out = sh.prefix("") + reUnbound.FindStringSubmatch(text)[1] + ": parameter not set"
	case reReadonly.MatchString(text):
		out = sh.prefix("") + reReadonly.FindStringSubmatch(text)[1] + ": is read only"
	case text == "local: can only be used in a function":
		out = sh.prefix("local") + "not in a function"
	default:
		out = sh.prefix("") + text
	}
	if fatal {
		e.mu.Lock()
		e.fatal = true
		e.mu.Unlock()
	}
	if _, err := sh.stderr.Write([]byte(out + "\n")); err != nil {
		return 0, err
	}
	return len(b), nil
}

// forkFailed reports that a fork failed (EAGAIN: the cgroup's pids limit),
// as ash does: "can't fork", and the shell exits with status 2 after the
// statement. Only the first failure is reported; later forks of the same
// statement fail quietly, as ash would have stopped at the first.
func (e *errTranslator) forkFailed() {
	e.mu.Lock()
	first := !e.fatal
	e.fatal = true
	e.mu.Unlock()
	if first {
		e.sh.stderr.Write([]byte(e.sh.prefix("") + "can't fork: Resource temporarily unavailable\n"))
	}
}

// takeFatal reports and clears whether a fatal error was reported.
func (e *errTranslator) takeFatal() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	f := e.fatal
	e.fatal = false
	return f
}
