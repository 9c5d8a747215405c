package kernel

import (
	"context"
	"io"
	"strconv"
	"sync"
	"syscall"
	"unicode/utf8"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/wasm/sim/sys"
)

// Control characters of the line discipline, Linux's defaults.
const (
	vINTR   = 0x03 // ^C
	vQUIT   = 0x1c // ^\
	vERASE  = 0x7f // DEL
	vKILL   = 0x15 // ^U
	vEOF    = 0x04 // ^D
	vSUSP   = 0x1a // ^Z
	vWERASE = 0x17 // ^W
	vLNEXT  = 0x16 // ^V
)

const (
	maxLine   = 4095     // N_TTY_BUF_SIZE - 1: longer canonical lines are cut
	maxOutput = 64 << 10 // output the master has not read before writers block
	maxInput  = 64 << 10 // input the slave has not read before the master blocks
)

// Devpts is an instance of the devpts filesystem: it numbers the terminals
// opened in it from 0, the lowest free number first. A container has its
// own, so its first terminal is pts/0.
type Devpts struct {
	mu   sync.Mutex
	used map[int]bool
}

// NewDevpts returns an empty devpts instance.
func NewDevpts() *Devpts { return &Devpts{used: map[int]bool{}} }

// OpenPTY makes a new terminal pair in d of the given size (rows, columns).
func (k *Kernel) OpenPTY(d *Devpts, rows, cols int) *PTY {
	d.mu.Lock()
	n := 0
	for d.used[n] {
		n++
	}
	d.used[n] = true
	d.mu.Unlock()
	t := &PTY{k: k, dp: d, index: n, rows: rows, cols: cols, changed: make(chan struct{})}
	t.slave = &ptySlave{t: t}
	return t
}

// PTY is a pseudo-terminal pair. Its master side is what the user's
// terminal talks to (Read gets what processes print, Write types input);
// its slave side is a process's controlling terminal, with Linux's line
// discipline: canonical line editing (erase, kill, word erase, ^D for
// end-of-file), echo, ^C, ^\ and ^Z as signals to the foreground process
// group, CR to NL on input and NL to CR NL on output. SetRaw turns all of
// that off, as cfmakeraw does.
type PTY struct {
	k     *Kernel
	dp    *Devpts
	index int
	slave *ptySlave

	mu         sync.Mutex
	changed    chan struct{} // closed and replaced whenever the state changes
	rows, cols int
	raw        bool
	lnext      bool     // the next input byte is literal (^V)
	line       []byte   // the canonical line being edited
	in         [][]byte // input ready for the slave; an empty chunk is an end-of-file
	inBytes    int
	out        []byte // output ready for the master
	holders    int    // processes that have it as controlling terminal
	opened     bool   // a process has held it
	masterGone bool   // the master was closed: a hangup
	fg         int    // foreground process group (host PGID)
}

// Name returns the terminal's name as ps shows it: "pts/0".
func (t *PTY) Name() string { return "pts/" + strconv.Itoa(t.index) }

// Slave returns the slave side, for a process's standard streams. It
// implements sys.Terminal.
func (t *PTY) Slave() io.ReadWriter { return t.slave }

// Size returns the window size.
func (t *PTY) Size() (rows, cols int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.rows, t.cols
}

// Resize changes the window size and sends SIGWINCH to the foreground
// process group, as TIOCSWINSZ does.
func (t *PTY) Resize(rows, cols int) {
	t.mu.Lock()
	same := t.rows == rows && t.cols == cols
	t.rows, t.cols = rows, cols
	fg := t.fg
	t.mu.Unlock()
	if !same {
		t.k.mu.Lock()
		t.k.signalGroupLocked(nil, fg, backend.SIGWINCH)
		t.k.mu.Unlock()
	}
}

// Raw reports whether the line discipline is off (see SetRaw), as a
// terminal's settings tell whether a program has taken it over.
func (t *PTY) Raw() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.raw
}

// SetRaw switches the line discipline off (raw) or on and returns the
// previous setting. Input not yet read stays; a partial line is kept.
func (t *PTY) SetRaw(raw bool) (was bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	was = t.raw
	t.raw = raw
	if raw && len(t.line) > 0 {
		t.pushLocked(t.line)
		t.line = nil
	}
	t.notifyLocked()
	return was
}

func (t *PTY) notifyLocked() {
	close(t.changed)
	t.changed = make(chan struct{})
}

// Write types b on the terminal: the line discipline processes it and
// makes it readable on the slave side. It blocks while the slave side has
// 64 KiB of unread input. Errors: EIO after Close, or once every process
// that had the terminal has exited.
func (t *PTY) Write(b []byte) (int, error) {
	var sigs []backend.Signal
	t.mu.Lock()
	for i, c := range b {
		for t.inBytes >= maxInput && !t.masterGone && t.holders > 0 {
			ch := t.changed
			t.mu.Unlock()
			<-ch
			t.mu.Lock()
		}
		if t.masterGone || t.opened && t.holders == 0 {
			// Closed, or nobody has the terminal any more.
			t.mu.Unlock()
			return i, syscall.EIO
		}
		if sig := t.inputLocked(c); sig != 0 {
			sigs = append(sigs, sig)
		}
	}
	fg := t.fg
	t.notifyLocked()
	t.mu.Unlock()
	if len(sigs) > 0 {
		t.k.mu.Lock()
		for _, sig := range sigs {
			t.k.signalGroupLocked(nil, fg, sig)
		}
		t.k.mu.Unlock()
	}
	return len(b), nil
}

// inputLocked runs one input byte through the line discipline; it returns
// the signal the byte raises, if any.
func (t *PTY) inputLocked(c byte) backend.Signal {
	if t.raw {
		t.pushLocked([]byte{c})
		return 0
	}
	if t.lnext {
		t.lnext = false
		t.addLocked(c)
		return 0
	}
	if c == '\r' {
		c = '\n' // ICRNL
	}
	switch c {
	case vINTR, vQUIT, vSUSP:
		// ISIG: flush pending input, echo the character, signal.
		t.line = nil
		t.in, t.inBytes = nil, 0
		t.echoCtlLocked(c)
		return map[byte]backend.Signal{vINTR: backend.SIGINT, vQUIT: backend.SIGQUIT, vSUSP: backend.SIGTSTP}[c]
	case vERASE, '\b':
		if c == '\b' {
			// Only DEL erases by default; ^H is an ordinary control char.
			t.addLocked(c)
			return 0
		}
		t.eraseLocked(1)
	case vKILL:
		t.eraseLocked(len(t.line))
	case vWERASE:
		n := 0
		for n < len(t.line) && isSpace(t.line[len(t.line)-1-n]) {
			n++
		}
		for n < len(t.line) && !isSpace(t.line[len(t.line)-1-n]) {
			n++
		}
		t.eraseRunesLocked(n)
	case vLNEXT:
		t.lnext = true
		t.output([]byte("^\b"))
	case vEOF:
		t.pushLocked(t.line)
		t.line = nil
	case '\n':
		t.line = append(t.line, '\n')
		t.output([]byte("\n"))
		t.pushLocked(t.line)
		t.line = nil
	default:
		t.addLocked(c)
	}
	return 0
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' }

// addLocked appends an ordinary character to the line and echoes it.
func (t *PTY) addLocked(c byte) {
	if len(t.line) >= maxLine {
		return
	}
	t.line = append(t.line, c)
	t.echoCtlLocked(c)
}

// echoCtlLocked echoes c, control characters as "^X" (ECHOCTL).
func (t *PTY) echoCtlLocked(c byte) {
	if c < 0x20 && c != '\t' && c != '\n' || c == 0x7f {
		t.output([]byte{'^', c ^ 0x40})
		return
	}
	t.output([]byte{c})
}

// eraseLocked erases n characters (runes) from the end of the line.
func (t *PTY) eraseLocked(n int) {
	for ; n > 0 && len(t.line) > 0; n-- {
		_, size := utf8.DecodeLastRune(t.line)
		c := t.line[len(t.line)-1]
		t.line = t.line[:len(t.line)-size]
		cols := 1
		if c < 0x20 && c != '\t' || c == 0x7f {
			cols = 2 // it was echoed as ^X
		}
		for ; cols > 0; cols-- {
			t.output([]byte("\b \b"))
		}
	}
}

// eraseRunesLocked erases the last n bytes of the line, rune by rune.
func (t *PTY) eraseRunesLocked(n int) {
	target := len(t.line) - n
	for len(t.line) > target {
		t.eraseLocked(1)
	}
}

// pushLocked makes input readable on the slave side; an empty chunk is an
// end-of-file.
func (t *PTY) pushLocked(b []byte) {
	t.in = append(t.in, append([]byte(nil), b...))
	t.inBytes += len(b)
}

// output appends what the terminal shows, with NL turned into CR NL unless
// the terminal is raw (OPOST, ONLCR).
func (t *PTY) output(b []byte) {
	if t.raw {
		t.out = append(t.out, b...)
		return
	}
	for _, c := range b {
		if c == '\n' {
			t.out = append(t.out, '\r')
		}
		t.out = append(t.out, c)
	}
}

// Read returns what the terminal shows: processes' output and the echo of
// input. It returns io.EOF once every process holding the terminal has
// exited and the output has been read.
func (t *PTY) Read(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for len(t.out) == 0 {
		if t.opened && t.holders == 0 || t.masterGone {
			return 0, io.EOF
		}
		ch := t.changed
		t.mu.Unlock()
		<-ch
		t.mu.Lock()
	}
	n := copy(b, t.out)
	t.out = t.out[n:]
	if len(t.out) == 0 {
		t.out = nil
	}
	t.notifyLocked()
	return n, nil
}

// Close closes the master side: a hangup. Processes reading the terminal
// get end-of-file, writers get EIO, and its foreground process group gets
// SIGHUP.
func (t *PTY) Close() error {
	t.mu.Lock()
	if t.masterGone {
		t.mu.Unlock()
		return nil
	}
	t.masterGone = true
	fg := t.fg
	t.notifyLocked()
	free := t.holders == 0
	t.mu.Unlock()
	t.k.mu.Lock()
	t.k.signalGroupLocked(nil, fg, backend.SIGHUP)
	t.k.mu.Unlock()
	if free {
		t.release()
	}
	return nil
}

func (t *PTY) release() {
	t.dp.mu.Lock()
	delete(t.dp.used, t.index)
	t.dp.mu.Unlock()
}

// attachLocked makes p a holder of the terminal; the first one's process
// group is the foreground group. Called with the kernel's lock held.
func (t *PTY) attachLocked(p *Process) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.holders++
	t.opened = true
	if t.fg == 0 {
		t.fg = p.pgid
	}
}

func (t *PTY) detachLocked(p *Process) {
	t.mu.Lock()
	t.holders--
	last := t.holders == 0
	gone := t.masterGone
	t.notifyLocked()
	t.mu.Unlock()
	if last && gone {
		t.release()
	}
}

// ptySlave is the slave side of a PTY.
type ptySlave struct{ t *PTY }

var _ sys.Terminal = (*ptySlave)(nil)

func (s *ptySlave) Read(b []byte) (int, error) {
	return s.ReadContext(context.Background(), b)
}

// ReadContext reads input: at most one line when the discipline is on.
func (s *ptySlave) ReadContext(ctx context.Context, b []byte) (int, error) {
	t := s.t
	t.mu.Lock()
	defer t.mu.Unlock()
	for len(t.in) == 0 {
		if t.masterGone {
			return 0, io.EOF
		}
		ch := t.changed
		t.mu.Unlock()
		select {
		case <-ch:
			t.mu.Lock()
		case <-ctx.Done():
			t.mu.Lock()
			return 0, ctx.Err()
		}
	}
	if len(b) == 0 {
		return 0, nil
	}
	if len(t.in[0]) == 0 {
		t.in = t.in[1:]
		t.notifyLocked()
		return 0, io.EOF
	}
	n := 0
	for len(t.in) > 0 && n < len(b) {
		chunk := t.in[0]
		if len(chunk) == 0 {
			break
		}
		c := copy(b[n:], chunk)
		n += c
		t.inBytes -= c
		if c < len(chunk) {
			t.in[0] = chunk[c:]
			break
		}
		t.in = t.in[1:]
		if !t.raw {
			break // one line at a time
		}
	}
	t.notifyLocked()
	return n, nil
}

func (s *ptySlave) Write(b []byte) (int, error) {
	return s.WriteContext(context.Background(), b)
}

// WriteContext writes output; it blocks while the master has 64 KiB unread.
func (s *ptySlave) WriteContext(ctx context.Context, b []byte) (int, error) {
	t := s.t
	t.mu.Lock()
	defer t.mu.Unlock()
	for len(t.out) >= maxOutput && !t.masterGone {
		ch := t.changed
		t.mu.Unlock()
		select {
		case <-ch:
			t.mu.Lock()
		case <-ctx.Done():
			t.mu.Lock()
			return 0, ctx.Err()
		}
	}
	if t.masterGone {
		return 0, syscall.EIO
	}
	t.output(b)
	t.notifyLocked()
	return len(b), nil
}

// Size returns the window size.
func (s *ptySlave) Size() (rows, cols int) { return s.t.Size() }

// SetRaw switches the line discipline off or on.
func (s *ptySlave) SetRaw(raw bool) bool { return s.t.SetRaw(raw) }
