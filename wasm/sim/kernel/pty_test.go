package kernel

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/wasm/sim/sys"
)

// reads prints each read from stdin quoted, one per line, until end-of-file
// (then "EOF") or until it has read "q" in raw mode.
func reads(p sys.Proc) int {
	if len(p.Args()) > 1 && p.Args()[1] == "raw" {
		t, ok := p.Terminal(0)
		if !ok {
			fmt.Fprintln(p.Stdout(), "no terminal")
			return 1
		}
		t.SetRaw(true)
	}
	buf := make([]byte, 100)
	for {
		n, err := p.Stdin().Read(buf)
		if n > 0 {
			fmt.Fprintf(p.Stdout(), "%q\n", buf[:n])
			if string(buf[:n]) == "q" {
				return 0
			}
		}
		if err == io.EOF {
			fmt.Fprintln(p.Stdout(), "EOF")
			return 0
		}
		if err != nil {
			return 1
		}
	}
}

// screen collects what a terminal's master side shows.
type screen struct {
	buf  syncBuffer
	done chan struct{}
}

func watch(t *PTY) *screen {
	s := &screen{done: make(chan struct{})}
	go func() {
		io.Copy(&s.buf, t)
		close(s.done)
	}()
	return s
}

// expect waits until the screen shows exactly want.
func (s *screen) expect(t *testing.T, want string) {
	t.Helper()
	eventually(t, fmt.Sprintf("screen shows %q (it shows %q)", want, s.buf.String()), func() bool {
		return s.buf.String() == want
	})
}

func TestLineDiscipline(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		input  []string // typed in turn, each after the screen showed the previous step
		screen []string // what the screen shows after each input
	}{
		{
			"echo, CR to NL, NL to CR NL, one line per read",
			[]string{"reads"},
			[]string{"hello\r", "world\n"},
			[]string{"hello\r\n\"hello\\n\"\r\n", "hello\r\n\"hello\\n\"\r\nworld\r\n\"world\\n\"\r\n"},
		},
		{
			"erase with DEL",
			[]string{"reads"},
			[]string{"helx\x7flo\r"},
			[]string{"helx\b \blo\r\n\"hello\\n\"\r\n"},
		},
		{
			"erase a multi-byte character",
			[]string{"reads"},
			[]string{"é\x7fe\r"},
			[]string{"é\b \be\r\n\"e\\n\"\r\n"},
		},
		{
			"kill the line with ^U",
			[]string{"reads"},
			[]string{"abc\x15xy\r"},
			[]string{"abc\b \b\b \b\b \bxy\r\n\"xy\\n\"\r\n"},
		},
		{
			"erase a word with ^W",
			[]string{"reads"},
			[]string{"foo bar\x17baz\r"},
			[]string{"foo bar\b \b\b \b\b \bbaz\r\n\"foo baz\\n\"\r\n"},
		},
		{
			"control characters echo as ^X",
			[]string{"reads"},
			[]string{"a\x01\r"},
			[]string{"a^A\r\n\"a\\x01\\n\"\r\n"},
		},
		{
			"^D on an empty line is end-of-file",
			[]string{"reads"},
			[]string{"\x04"},
			[]string{"EOF\r\n"},
		},
		{
			"^D in a line sends the line without a newline",
			[]string{"reads"},
			[]string{"ab\x04", "\x04"},
			[]string{"ab\"ab\"\r\n", "ab\"ab\"\r\nEOF\r\n"},
		},
		{
			"raw mode: no echo, no editing, no mapping",
			[]string{"reads", "raw"},
			[]string{"\r", "\x7f", "\x03", "q"},
			[]string{"\"\\r\"\n", "\"\\r\"\n\"\\x7f\"\n", "\"\\r\"\n\"\\x7f\"\n\"\\x03\"\n", "\"\\r\"\n\"\\x7f\"\n\"\\x03\"\n\"q\"\n"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMachine(t)
			m.program("reads", reads)
			tty := m.k.OpenPTY(NewDevpts(), 24, 80)
			s := watch(tty)
			p, _ := m.spawn(t, Attr{Args: tt.args, TTY: tty, Setsid: true})
			eventually(t, "the program reads its terminal", func() bool {
				m.k.mu.Lock()
				defer m.k.mu.Unlock()
				return p.waiting > 0
			})
			for i, in := range tt.input {
				if _, err := tty.Write([]byte(in)); err != nil {
					t.Fatal(err)
				}
				s.expect(t, tt.screen[i])
			}
			if tt.args[len(tt.args)-1] != "raw" && !strings.Contains(tt.screen[len(tt.screen)-1], "EOF") {
				tty.Write([]byte{vEOF})
			}
			if got := wait(t, p); got != 0 {
				t.Errorf("got status %d, want 0", got)
			}
			<-s.done // the master reads end-of-file once the process is gone
		})
	}
}

func TestTerminalSignals(t *testing.T) {
	tests := []struct {
		name   string
		init   bool // the process is its PID namespace's init
		args   []string
		key    byte
		status int // -1: still running
		screen string
	}{
		{"^C interrupts", false, []string{"reads"}, vINTR, 130, "^C"},
		{"^\\ quits", false, []string{"reads"}, vQUIT, 131, "^\\"},
		{"^C is ignored by a namespace's init without a handler", true, []string{"reads"}, vINTR, -1, "^C"},
		{"^C reaches a namespace's init with a handler", true, []string{"trap", "INT", "TERM"}, vINTR, -1, "ready\r\n^Ccaught SIGINT\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMachine(t)
			m.program("reads", reads)
			tty := m.k.OpenPTY(NewDevpts(), 24, 80)
			s := watch(tty)
			a := Attr{Args: tt.args, TTY: tty, Setsid: true}
			if tt.init {
				a.NS = m.container("c")
			}
			p, _ := m.spawn(t, a)
			if tt.args[0] == "trap" {
				s.expect(t, "ready\r\n")
			}
			eventually(t, "the process has the terminal", func() bool { return p.Info(nil).TTY == "pts/0" })
			tty.Write([]byte{tt.key})
			s.expect(t, tt.screen)
			if tt.status >= 0 {
				if got := wait(t, p); got != tt.status {
					t.Errorf("got status %d, want %d", got, tt.status)
				}
				return
			}
			p.Signal(backend.SIGKILL)
			if got := wait(t, p); got != 137 {
				t.Errorf("got %d after SIGKILL, want 137 (%q should not have ended it)", got, tt.key)
			}
		})
	}
}

func TestWindowSize(t *testing.T) {
	m := newMachine(t)
	m.program("size", func(p sys.Proc) int {
		term, ok := p.Terminal(1)
		if !ok {
			return 1
		}
		rows, cols := term.Size()
		fmt.Fprintf(p.Stdout(), "%d %d\n", rows, cols)
		return 0
	})
	tty := m.k.OpenPTY(NewDevpts(), 24, 80)
	s := watch(tty)
	p, _ := m.spawn(t, Attr{Args: []string{"size"}, TTY: tty, Setsid: true})
	wait(t, p)
	s.expect(t, "24 80\r\n")

	tty = m.k.OpenPTY(NewDevpts(), 24, 80)
	s = watch(tty)
	p, _ = m.spawn(t, Attr{Args: []string{"trap", "WINCH", "TERM"}, TTY: tty, Setsid: true})
	s.expect(t, "ready\r\n")
	tty.Resize(40, 120)
	s.expect(t, "ready\r\ncaught SIGWINCH\r\n")
	if r, c := tty.Size(); r != 40 || c != 120 {
		t.Errorf("got size %dx%d, want 40x120", r, c)
	}
	p.Signal(backend.SIGTERM)
	wait(t, p)
}

func TestTerminalNames(t *testing.T) {
	m := newMachine(t)
	dp := NewDevpts()
	a, b := m.k.OpenPTY(dp, 24, 80), m.k.OpenPTY(dp, 24, 80)
	if a.Name() != "pts/0" || b.Name() != "pts/1" {
		t.Errorf("got %s and %s, want pts/0 and pts/1", a.Name(), b.Name())
	}
	if other := m.k.OpenPTY(NewDevpts(), 24, 80); other.Name() != "pts/0" {
		t.Errorf("got %s in another devpts, want pts/0", other.Name())
	}
	a.Close()
	if c := m.k.OpenPTY(dp, 24, 80); c.Name() != "pts/0" {
		t.Errorf("got %s after closing pts/0, want pts/0 again", c.Name())
	}
	// A process without a terminal has none.
	m.program("isatty", func(p sys.Proc) int {
		_, ok := p.Terminal(0)
		fmt.Fprintln(p.Stdout(), ok)
		return 0
	})
	p, out := m.spawn(t, Attr{Args: []string{"isatty"}})
	wait(t, p)
	if got := out.String(); got != "false\n" {
		t.Errorf("got %q, want false", got)
	}
	if got := p.Info(nil).TTY; got != "" {
		t.Errorf("got TTY %q, want none", got)
	}
}

func TestHangup(t *testing.T) {
	m := newMachine(t)
	m.program("reads", reads)
	tty := m.k.OpenPTY(NewDevpts(), 24, 80)
	p, _ := m.spawn(t, Attr{Args: []string{"reads"}, TTY: tty, Setsid: true})
	eventually(t, "reads waits for input", func() bool {
		m.k.mu.Lock()
		defer m.k.mu.Unlock()
		return p.waiting > 0
	})
	tty.Close()
	if got := wait(t, p); got != 129 {
		t.Errorf("got %d, want 129 (SIGHUP)", got)
	}
}
