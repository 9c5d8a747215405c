package busybox

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/wasm/sim/kernel"
	"github.com/twinbox-dev/twinbox/wasm/sim/sys"
)

var start = time.Date(2024, 3, 4, 5, 6, 7, 0, time.UTC)

// syncBuffer is a buffer safe to read while a process writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// processes lists the container's processes as "PID args".
func (m *machine) processes() []string {
	var out []string
	for _, p := range m.k.Processes(m.ns.PID) {
		info := p.Info(m.ns.PID)
		if info.State == "Z" {
			continue
		}
		out = append(out, strings.TrimSpace(strings.Join(append([]string{strconv.Itoa(info.PID)}, info.Args...), " ")))
	}
	return out
}

// TestExecTail: like ash, sh -c replaces itself with its last simple
// command, so a container running sh -c '...; sleep 300' shows a single
// process (the reference's docker top shows one line).
func TestExecTail(t *testing.T) {
	tests := []struct {
		name, script string
		want         []string
	}{
		{"last command", "echo out; echo err >&2; sleep 300", []string{"1 sleep 300"}},
		{"exec builtin", "exec sleep 300", []string{"1 sleep 300"}},
		{"after &&", "true && sleep 300", []string{"1 sleep 300"}},
		{"trap keeps the shell", "trap 'echo bye' EXIT; sleep 300", []string{"1 sh -c trap 'echo bye' EXIT; sleep 300", "2 sleep 300"}},
		{"redirected stays a child", "sleep 300 >/dev/null", []string{"1 sh -c sleep 300 >/dev/null", "2 sleep 300"}},
		{"loop keeps the shell", "while true; do sleep 300; done", []string{"1 sh -c while true; do sleep 300; done", "2 sleep 300"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMachine(t, fixture(), start)
			var stdout, stderr syncBuffer
			p := m.start([]string{"sh", "-c", tt.script}, nil, &stdout, &stderr)
			m.clock.WaitTimers(1, nil)
			got := m.processes()
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("processes: got %q, want %q", got, tt.want)
			}
			p.Signal(backend.SIGKILL)
			if st := p.Wait(); st != 137 {
				t.Errorf("status: got %d, want 137", st)
			}
		})
	}
}

func TestExecTailOutput(t *testing.T) {
	m := newMachine(t, fixture(), start)
	var stdout, stderr syncBuffer
	p := m.start([]string{"sh", "-c", "echo out; echo err >&2; sleep 300"}, nil, &stdout, &stderr)
	m.clock.WaitTimers(1, nil)
	m.clock.Advance(300 * time.Second)
	if st := p.Wait(); st != 0 {
		t.Errorf("status: got %d, want 0", st)
	}
	if got, want := stdout.String(), "out\n"; got != want {
		t.Errorf("stdout: got %q, want %q", got, want)
	}
	if got, want := stderr.String(), "err\n"; got != want {
		t.Errorf("stderr: got %q, want %q", got, want)
	}
}

// TestProcessView checks what the shell knows of its process: $$, $PPID,
// $! and the process table.
func TestProcessView(t *testing.T) {
	tests := []struct {
		name, script, want string
	}{
		{"pid of init", "echo $$ $PPID", "1 0\n"},
		{"subshell keeps $$", "(echo $$); echo $$ | cat", "1\n1\n"},
		{"bg pid", "/bin/true & echo $!; wait $!; echo st=$?", "2\nst=0\n"},
		{"ps exec'd", "ps -o pid,ppid,comm", "PID   PPID  COMMAND\n    1     0 ps\n"},
		{"ps child", "ps -o pid,ppid,comm; true", "PID   PPID  COMMAND\n    1     0 sh\n    2     1 ps\n"},
		{"kill bg", "sleep 100 & kill $!; wait $!; echo st=$?", "st=143\n"},
		{"kill -0", "kill -0 $$; echo $?; kill -0 999; echo $?", "0\n1\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMachine(t, fixture(), start)
			o := m.runFrozen(tt.script)
			if o.stdout != tt.want {
				t.Errorf("$ %s\ngot %q, want %q (stderr %q)", tt.script, o.stdout, tt.want, o.stderr)
			}
		})
	}
}

// TestPSArgs: ps shows each process's command line; the clock stands
// still, so the background sleep is still there.
func TestPSArgs(t *testing.T) {
	m := newMachine(t, fixture(), start)
	var stdout, stderr syncBuffer
	p := m.start([]string{"sh", "-c", "sleep 5 & ps"}, nil, &stdout, &stderr)
	p.Wait()
	if got, want := stdout.String(), "PID   USER     COMMAND\n    1 root     ps\n    2 root     sleep 5\n"; got != want {
		t.Errorf("got %q, want %q (stderr %q)", got, want, stderr.String())
	}
}

// TestTrapSignal: a trapped SIGTERM runs its trap when the foreground
// command ends, as ash does for `docker stop`.
func TestTrapSignal(t *testing.T) {
	m := newMachine(t, fixture(), start)
	var stdout, stderr syncBuffer
	p := m.start([]string{"sh", "-c", "trap 'echo got TERM; exit 3' TERM; echo ready; while true; do sleep 10; done"}, nil, &stdout, &stderr)
	m.clock.WaitTimers(1, nil)
	if err := p.Signal(backend.SIGTERM); err != nil {
		t.Fatal(err)
	}
	m.clock.Advance(10 * time.Second)
	if st := p.Wait(); st != 3 {
		t.Errorf("status: got %d, want 3", st)
	}
	if got, want := stdout.String(), "ready\ngot TERM\n"; got != want {
		t.Errorf("stdout: got %q, want %q (stderr %q)", got, want, stderr.String())
	}
}

// TestTrapInterruptsWait: a trapped signal ends `wait` at once.
func TestTrapInterruptsWait(t *testing.T) {
	m := newMachine(t, fixture(), start)
	o := m.run("trap 'echo trapped' USR1; (sleep 1; kill -USR1 $$) & wait; echo wait=$?", nil)
	if got, want := o.stdout, "trapped\nwait=138\n"; got != want {
		t.Errorf("stdout: got %q, want %q (stderr %q)", got, want, o.stderr)
	}
}

// TestUntrappedTerm: without a trap, SIGTERM ends a shell that is not
// the namespace's init.
func TestUntrappedTerm(t *testing.T) {
	m := newMachine(t, fixture(), start)
	var stdout syncBuffer
	p := m.start([]string{"sh", "-c", "sh -c 'while true; do sleep 10; done'; echo inner=$?"}, nil, &stdout, io.Discard)
	m.clock.WaitTimers(1, nil)
	for _, q := range m.k.Processes(m.ns.PID) {
		if info := q.Info(m.ns.PID); info.PID == 2 {
			q.Signal(backend.SIGTERM)
		}
	}
	m.clock.Advance(10 * time.Second)
	if st := p.Wait(); st != 0 {
		t.Errorf("status: got %d, want 0", st)
	}
	if got, want := stdout.String(), "inner=143\n"; got != want {
		t.Errorf("stdout: got %q, want %q", got, want)
	}
}

// TestStdin: commands read the process's standard input; sh without -c
// reads its commands from it.
func TestStdin(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		stdin string
		want  string
	}{
		{"read", []string{"sh", "-c", "read x y; echo \"[$x] [$y]\""}, "hello big world\n", "[hello] [big world]\n"},
		{"cat tail exec", []string{"sh", "-c", "cat"}, "piped\n", "piped\n"},
		{"cat child", []string{"sh", "-c", "cat; echo done"}, "piped\n", "piped\ndone\n"},
		{"script on stdin", []string{"sh"}, "echo a\nx=2\necho b$x\n", "a\nb2\n"},
		{"sh -s args", []string{"sh", "-s", "p1"}, "echo $1 $#\n", "p1 1\n"},
		{"while read", []string{"sh", "-c", "while read l; do echo got $l; done"}, "l1\nl2\n", "got l1\ngot l2\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMachine(t, fixture(), start)
			var stdout, stderr syncBuffer
			p := m.start(tt.args, strings.NewReader(tt.stdin), &stdout, &stderr)
			p.Wait()
			if got := stdout.String(); got != tt.want {
				t.Errorf("got %q, want %q (stderr %q)", got, tt.want, stderr.String())
			}
		})
	}
}

// TestBuildRunMessage: `docker build` runs RUN lines as /bin/sh -c, whose
// messages start with the name it was invoked by.
func TestBuildRunMessage(t *testing.T) {
	m := newMachine(t, fixture(), start)
	var stdout, stderr syncBuffer
	p := m.start([]string{"/bin/sh", "-c", "nosuchcommand"}, nil, &stdout, &stderr)
	if st := p.Wait(); st != 127 {
		t.Errorf("status: got %d, want 127", st)
	}
	if got, want := stderr.String(), "/bin/sh: nosuchcommand: not found\n"; got != want {
		t.Errorf("stderr: got %q, want %q", got, want)
	}
}

// pty runs an interactive sh on a terminal and reads what it shows.
type ptySession struct {
	t   *testing.T
	m   *machine
	pty *kernel.PTY
	p   *kernel.Process
	out syncBuffer
}

func newPTYSession(t *testing.T) *ptySession {
	m := newMachine(t, fixture(), start)
	pty := m.k.OpenPTY(kernel.NewDevpts(), 24, 80)
	ns := m.ns
	p, err := m.k.Spawn(kernel.Attr{Args: []string{"sh"}, Env: []string{testPath, "HOME=/root"}, Dir: "/",
		NS: &ns, Setsid: true, TTY: pty})
	if err != nil {
		t.Fatal(err)
	}
	s := &ptySession{t: t, m: m, pty: pty, p: p}
	go io.Copy(&s.out, pty)
	return s
}

// waitFor waits until the terminal shows want at the end.
func (s *ptySession) waitFor(want string) {
	s.t.Helper()
	for i := 0; i < 2000; i++ {
		if strings.HasSuffix(s.out.String(), want) {
			return
		}
		time.Sleep(time.Millisecond)
	}
	s.t.Fatalf("terminal: got %q, want it to end with %q", s.out.String(), want)
}

func (s *ptySession) typeIn(text string) {
	if _, err := s.pty.Write([]byte(text)); err != nil {
		s.t.Fatal(err)
	}
}

// TestInteractive: the prompt shows the directory, ^C interrupts the
// foreground command, ^D at an empty prompt ends the shell.
func TestInteractive(t *testing.T) {
	s := newPTYSession(t)
	s.waitFor("\r\n\r\nBusyBox v1.35.0 (Debian 1:1.35.0-4+deb12u1+b1) built-in shell (ash)\r\nEnter 'help' for a list of built-in commands.\r\n\r\n/ # ")
	s.typeIn("echo hi\n")
	s.waitFor("echo hi\r\nhi\r\n/ # ")
	s.typeIn("cd /tmp\n")
	s.waitFor("/tmp # ")
	s.typeIn("cd\n")
	s.waitFor("~ # ")
	s.typeIn("if true\n")
	s.waitFor("> ")
	s.typeIn("then echo x; fi\n")
	s.waitFor("x\r\n~ # ")
	s.typeIn("cd /nosuch\n")
	s.waitFor("sh: cd: can't cd to /nosuch: No such file or directory\r\n~ # ")
	s.typeIn("sleep 100\n")
	s.m.clock.WaitTimers(1, nil)
	s.typeIn("\x03")
	s.waitFor("^C\r\n~ # ")
	s.typeIn("echo $?\n")
	s.waitFor("130\r\n~ # ")
	s.typeIn("\x04")
	if st := s.p.Wait(); st != 0 {
		t.Errorf("status: got %d, want 0 (echo's)", st)
	}
	s.waitFor("~ # \r\n")
}

func TestInteractiveExit(t *testing.T) {
	s := newPTYSession(t)
	s.waitFor("/ # ")
	s.typeIn("echo a\n")
	s.waitFor("a\r\n/ # ")
	s.typeIn("history\n")
	s.waitFor("history\r\n   0 echo a\r\n   1 history\r\n/ # ")
	s.typeIn("exit 4\n")
	if st := s.p.Wait(); st != 4 {
		t.Errorf("status: got %d, want 4", st)
	}
}

var _ sys.Registry = NewRegistry()

// TestInteractiveHeredoc: a here-document typed at the prompt, with the
// delimiter quoted or not, continues on "> " lines until its end, as a
// learner writes a Dockerfile.
func TestInteractiveHeredoc(t *testing.T) {
	s := newPTYSession(t)
	s.waitFor("/ # ")
	s.typeIn("cat > /tmp/f <<'EOF'\n")
	s.waitFor("> ")
	s.typeIn("FROM busybox $HOME\n")
	s.waitFor("> ")
	s.typeIn("EOF\n")
	s.waitFor("/ # ")
	s.typeIn("cat /tmp/f <<EOF\n")
	s.waitFor("> ")
	s.typeIn("EOF\n")
	s.waitFor("FROM busybox $HOME\r\n/ # ")
	s.typeIn("cat <<EOF\n")
	s.waitFor("> ")
	s.typeIn("home $HOME\n")
	s.waitFor("> ")
	s.typeIn("EOF\n")
	s.waitFor("home /root\r\n/ # ")
}
