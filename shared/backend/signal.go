package backend

import (
	"strconv"
	"strings"
)

// Signal is a Linux signal number. It is its own type (not syscall.Signal)
// so that the simulator, which builds for js/wasm, numbers signals as Linux
// does.
type Signal int

// The signals Docker users name. Numbers are Linux x86-64's.
const (
	SIGHUP    Signal = 1
	SIGINT    Signal = 2
	SIGQUIT   Signal = 3
	SIGILL    Signal = 4
	SIGTRAP   Signal = 5
	SIGABRT   Signal = 6
	SIGBUS    Signal = 7
	SIGFPE    Signal = 8
	SIGKILL   Signal = 9
	SIGUSR1   Signal = 10
	SIGSEGV   Signal = 11
	SIGUSR2   Signal = 12
	SIGPIPE   Signal = 13
	SIGALRM   Signal = 14
	SIGTERM   Signal = 15
	SIGSTKFLT Signal = 16
	SIGCHLD   Signal = 17
	SIGCONT   Signal = 18
	SIGSTOP   Signal = 19
	SIGTSTP   Signal = 20
	SIGTTIN   Signal = 21
	SIGTTOU   Signal = 22
	SIGURG    Signal = 23
	SIGXCPU   Signal = 24
	SIGXFSZ   Signal = 25
	SIGVTALRM Signal = 26
	SIGPROF   Signal = 27
	SIGWINCH  Signal = 28
	SIGIO     Signal = 29
	SIGPWR    Signal = 30
	SIGSYS    Signal = 31
)

var signalNames = map[string]Signal{
	"HUP": SIGHUP, "INT": SIGINT, "QUIT": SIGQUIT, "ILL": SIGILL, "TRAP": SIGTRAP,
	"ABRT": SIGABRT, "IOT": SIGABRT, "BUS": SIGBUS, "FPE": SIGFPE, "KILL": SIGKILL,
	"USR1": SIGUSR1, "SEGV": SIGSEGV, "USR2": SIGUSR2, "PIPE": SIGPIPE,
	"ALRM": SIGALRM, "TERM": SIGTERM, "STKFLT": SIGSTKFLT, "CHLD": SIGCHLD,
	"CLD": SIGCHLD, "CONT": SIGCONT, "STOP": SIGSTOP, "TSTP": SIGTSTP,
	"TTIN": SIGTTIN, "TTOU": SIGTTOU, "URG": SIGURG, "XCPU": SIGXCPU,
	"XFSZ": SIGXFSZ, "VTALRM": SIGVTALRM, "PROF": SIGPROF, "WINCH": SIGWINCH,
	"IO": SIGIO, "POLL": SIGIO, "PWR": SIGPWR, "SYS": SIGSYS,
}

// ParseSignal reads a signal as Docker accepts it: a number ("9"), a name
// ("KILL") or a name with the SIG prefix ("SIGKILL"), in any case. Real-time
// signals "RTMIN+N" are accepted too. Errors: InvalidParameter with Docker's
// message "Invalid signal: X".
func ParseSignal(s string) (Signal, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n <= 0 || n > 64 {
			return 0, Errorf(InvalidParameter, "Invalid signal: %s", s)
		}
		return Signal(n), nil
	}
	name := strings.TrimPrefix(strings.ToUpper(s), "SIG")
	if sig, ok := signalNames[name]; ok {
		return sig, nil
	}
	if rest, ok := strings.CutPrefix(name, "RTMIN"); ok {
		n := 0
		if rest != "" {
			v, err := strconv.Atoi(strings.TrimPrefix(rest, "+"))
			if err != nil || rest[0] != '+' || v < 0 || v > 30 {
				return 0, Errorf(InvalidParameter, "Invalid signal: %s", s)
			}
			n = v
		}
		return Signal(34 + n), nil
	}
	return 0, Errorf(InvalidParameter, "Invalid signal: %s", s)
}

// String returns the signal's name with the SIG prefix, or its number.
func (s Signal) String() string {
	best := ""
	for name, sig := range signalNames {
		// Prefer the canonical name when a number has aliases.
		if sig == s && (best == "" || aliasRank(name) < aliasRank(best)) {
			best = name
		}
	}
	if best == "" {
		return strconv.Itoa(int(s))
	}
	return "SIG" + best
}

func aliasRank(name string) int {
	switch name {
	case "IOT", "CLD", "POLL":
		return 1
	}
	return 0
}
