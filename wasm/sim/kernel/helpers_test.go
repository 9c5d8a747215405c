package kernel

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/wasm/sim/sys"
	"github.com/twinbox-dev/twinbox/wasm/sim/vfs"
)

// registry is a test sys.Registry.
type registry map[string]sys.Program

func (r registry) Lookup(name string) (sys.Program, bool) {
	p, ok := r[name]
	return p, ok
}

// binary is the content of a simulated multi-call binary named name.
func binary(name string) []byte {
	b := []byte("\x7fELF\x02\x01\x01\x00" + sys.BinaryMagic + name + "\n")
	return append(b, make([]byte, 4000)...)
}

var epoch = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// machine is a kernel over a small root filesystem with a "testbox"
// multi-call binary whose applets are the programs below.
type machine struct {
	t     testing.TB
	k     *Kernel
	fs    *vfs.Tree
	clock *FakeClock
	reg   registry
}

func newMachine(t testing.TB) *machine {
	t.Helper()
	m := &machine{t: t, fs: vfs.NewTree(nil), clock: NewFakeClock(epoch)}
	m.reg = registry{
		"true":  func(p sys.Proc) int { return 0 },
		"false": func(p sys.Proc) int { return 1 },
		"exit": func(p sys.Proc) int {
			n, _ := strconv.Atoi(p.Args()[1])
			return n
		},
		"echo": func(p sys.Proc) int {
			fmt.Fprintln(p.Stdout(), strings.Join(p.Args()[1:], " "))
			return 0
		},
		"args": func(p sys.Proc) int {
			fmt.Fprintf(p.Stdout(), "%q\n", p.Args())
			return 0
		},
		"cat": func(p sys.Proc) int {
			if _, err := io.Copy(p.Stdout(), p.Stdin()); err != nil {
				fmt.Fprintln(p.Stderr(), "cat:", err)
				return 1
			}
			return 0
		},
		"sleep": func(p sys.Proc) int {
			d, _ := time.ParseDuration(p.Args()[1])
			if err := p.Sleep(d); err != nil {
				return 1
			}
			return 0
		},
		// wait blocks until it is killed.
		"wait": func(p sys.Proc) int {
			<-p.Context().Done()
			return 0
		},
		// tick prints 1, 2, 3, ... once a second.
		"tick": func(p sys.Proc) int {
			for i := 1; ; i++ {
				if p.Sleep(time.Second) != nil {
					return 1
				}
				if _, err := fmt.Fprintln(p.Stdout(), i); err != nil {
					return 1
				}
			}
		},
		// trap SIG...: prints each signal it catches; exits after SIGTERM.
		"trap": func(p sys.Proc) int {
			ch := make(chan backend.Signal, 8)
			for _, a := range p.Args()[1:] {
				sig, _ := backend.ParseSignal(a)
				p.Notify(ch, sig)
			}
			fmt.Fprintln(p.Stdout(), "ready")
			for {
				select {
				case sig := <-ch:
					fmt.Fprintln(p.Stdout(), "caught", sig)
					if sig == backend.SIGTERM {
						return 0
					}
				case <-p.Context().Done():
					return 1
				}
			}
		},
		// ignore SIG...: ignores the signals, then runs the rest of its
		// arguments after "--" as a child, or waits to be killed.
		"ignore": func(p sys.Proc) int {
			args := p.Args()[1:]
			for len(args) > 0 && args[0] != "--" {
				sig, _ := backend.ParseSignal(args[0])
				p.Ignore(sig)
				args = args[1:]
			}
			if len(args) > 1 {
				c, err := p.Spawn(sys.Cmd{Args: args[1:], Stdout: p.Stdout(), Stderr: p.Stderr()})
				if err != nil {
					return 127
				}
				return c.Wait()
			}
			fmt.Fprintln(p.Stdout(), "ready")
			<-p.Context().Done()
			return 0
		},
		// run CMD...: runs a child and returns its status.
		"run": func(p sys.Proc) int {
			c, err := p.Spawn(sys.Cmd{Args: p.Args()[1:], Stdin: p.Stdin(), Stdout: p.Stdout(), Stderr: p.Stderr()})
			if err != nil {
				fmt.Fprintln(p.Stderr(), "run:", err)
				return 127
			}
			return c.Wait()
		},
		// bg CMD...: starts a child, prints its PID, never waits for it,
		// and waits to be killed.
		"bg": func(p sys.Proc) int {
			c, err := p.Spawn(sys.Cmd{Args: p.Args()[1:], Stdout: p.Stdout(), Stderr: p.Stderr()})
			if err != nil {
				fmt.Fprintln(p.Stderr(), "bg:", err)
				return 127
			}
			fmt.Fprintln(p.Stdout(), c.PID())
			<-p.Context().Done()
			return 0
		},
		// fork CMD...: starts a child, prints its PID and exits at once.
		"fork": func(p sys.Proc) int {
			c, err := p.Spawn(sys.Cmd{Args: p.Args()[1:], Stdout: p.Stdout(), Stderr: p.Stderr()})
			if err != nil {
				return 127
			}
			fmt.Fprintln(p.Stdout(), c.PID())
			return 0
		},
		// kill SIG PID
		"kill": func(p sys.Proc) int {
			sig, _ := backend.ParseSignal(p.Args()[1])
			pid, _ := strconv.Atoi(p.Args()[2])
			if err := p.Kill(pid, sig); err != nil {
				fmt.Fprintln(p.Stdout(), "kill:", err)
				return 1
			}
			return 0
		},
		"ps": func(p sys.Proc) int {
			for _, in := range p.Processes() {
				fmt.Fprintf(p.Stdout(), "%d %d %s %s\n", in.PID, in.PPID, in.State, in.Comm)
			}
			return 0
		},
		"hostname": func(p sys.Proc) int {
			fmt.Fprintln(p.Stdout(), p.Hostname())
			return 0
		},
		// execv CMD...: replaces itself with CMD.
		"execv": func(p sys.Proc) int {
			st, ok, err := p.Exec(p.Args()[1:], nil)
			if !ok {
				fmt.Fprintln(p.Stdout(), "exec:", err)
				return 127
			}
			return st
		},
		"panic": func(p sys.Proc) int { panic("boom") },
	}
	m.k = New(Config{Clock: m.clock, Registry: m.reg, RootFS: m.fs, Hostname: "host"})
	t.Cleanup(m.k.Shutdown)
	m.mkdir("/bin")
	m.mkdir("/usr/bin")
	m.mkdir("/tmp")
	m.write("/bin/testbox", binary("testbox"), 0o755)
	for name := range m.reg {
		if err := m.fs.Symlink("testbox", "/bin/"+name); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

// program adds a program to the registry and a link to the binary in /bin.
func (m *machine) program(name string, prog sys.Program) {
	m.t.Helper()
	m.reg[name] = prog
	if err := m.fs.Symlink("testbox", "/bin/"+name); err != nil {
		m.t.Fatal(err)
	}
}

func (m *machine) mkdir(name string) {
	m.t.Helper()
	if err := vfs.MkdirAll(m.fs, name, 0o755); err != nil {
		m.t.Fatal(err)
	}
}

func (m *machine) write(name string, data []byte, perm os.FileMode) {
	m.t.Helper()
	if err := vfs.WriteFile(m.fs, name, data, perm); err != nil {
		m.t.Fatal(err)
	}
	if err := m.fs.Chmod(name, perm); err != nil {
		m.t.Fatal(err)
	}
}

var testEnv = []string{"PATH=/usr/bin:/bin"}

// spawn starts args as a child of init in the root namespaces, its output
// in a buffer.
func (m *machine) spawn(t *testing.T, a Attr) (*Process, *syncBuffer) {
	t.Helper()
	out := &syncBuffer{}
	if a.Env == nil {
		a.Env = testEnv
	}
	if a.Stdout == nil && a.TTY == nil {
		a.Stdout = out
		a.Stderr = out
	}
	p, err := m.k.Spawn(a)
	if err != nil {
		t.Fatalf("spawn %q: %v", a.Args, err)
	}
	return p, out
}

// container returns new namespaces as a container gets them.
func (m *machine) container(hostname string) *Namespaces {
	ns := m.k.RootNamespaces()
	ns.Mount = m.k.NewMountNamespace(m.fs)
	ns.UTS = m.k.NewUTSNamespace(hostname, "")
	ns.IPC = m.k.NewIPCNamespace()
	ns.PID = m.k.NewPIDNamespace(nil)
	ns.Net = m.k.NewNetNamespace()
	return &ns
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// lines is a writer that hands each line written to it to a channel.
type lines struct {
	mu  sync.Mutex
	buf []byte
	ch  chan string
}

func newLines() *lines { return &lines{ch: make(chan string, 100)} }

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		l.ch <- string(l.buf[:i])
		l.buf = l.buf[i+1:]
	}
}

// next returns the next line, failing the test if none comes.
func (l *lines) next(t *testing.T) string {
	t.Helper()
	select {
	case s := <-l.ch:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("no line written")
		return ""
	}
}

// eventually waits for cond, failing the test if it never holds. It is a
// synchronisation helper, not a timing assertion: cond is polled until the
// goroutines under test have got there.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never happened: %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// wait waits for p to exit, failing the test if it does not.
func wait(t *testing.T, p *Process) int {
	t.Helper()
	select {
	case <-p.Done():
	case <-time.After(10 * time.Second):
		t.Fatalf("process %v did not exit", p)
	}
	return p.Wait()
}

// state returns p's ps state letter.
func state(p *Process) string { return p.Info(nil).State }

// readLine reads one line from r.
func readLine(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	s, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return s
}
