package main

import (
	"sort"
	"strings"
	"unicode/utf8"
)

// editor gives the host shell's prompt what busybox ash's line editing
// gives a learner on a real terminal: the arrow keys walk the history and
// Tab completes. The simulated shell reads lines through the terminal's
// canonical line discipline (which erases and kills, but has no history),
// so the editor sits in front of the terminal and turns those keys into
// what the discipline understands: ^U to kill the line, then the recalled
// text. It mirrors the line being typed from the keys it passes on.
//
// When a program has put the terminal in raw mode (docker run -it, attach),
// the editor passes every key through untouched.
type editor struct {
	send     func([]byte)               // to the terminal
	show     func(string)               // to the screen only
	raw      func() bool                // the terminal is raw
	complete func(line string) []string // candidates for the line's last word
	prompt   func() string              // the screen's current line (prompt and echo)

	line    []byte   // the line typed so far, as the discipline holds it
	history []string // lines entered, oldest first
	pos     int      // index into history while walking it; len(history) when not
	draft   []byte   // the line being typed before walking the history
	esc     []byte   // an escape sequence being read
	tabs    int      // consecutive Tabs with nothing to add
}

const (
	keyKill  = 0x15 // ^U, VKILL
	keyWord  = 0x17 // ^W, VWERASE
	keyErase = 0x7f // DEL, VERASE
)

// keys handles keys typed on the page's terminal.
func (e *editor) keys(b []byte) {
	if e.raw() {
		e.line, e.esc = nil, nil
		e.send(b)
		return
	}
	var out []byte
	flush := func() {
		if len(out) > 0 {
			e.send(out)
			out = nil
		}
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if e.esc != nil {
			e.esc = append(e.esc, c)
			if len(e.esc) == 2 && c != '[' && c != 'O' {
				e.esc = nil // Alt+key: dropped
				continue
			}
			if len(e.esc) > 2 && (c >= 0x40 && c <= 0x7e) || len(e.esc) > 16 {
				seq := string(e.esc)
				e.esc = nil
				flush()
				e.escape(seq)
			}
			continue
		}
		if c != '\t' {
			e.tabs = 0
		}
		switch c {
		case 0x1b:
			e.esc = []byte{c}
		case '\t':
			flush()
			e.tab()
		case '\r', '\n':
			if l := strings.TrimSpace(string(e.line)); l != "" {
				if n := len(e.history); n == 0 || e.history[n-1] != string(e.line) {
					e.history = append(e.history, string(e.line))
				}
			}
			e.line, e.draft = nil, nil
			e.pos = len(e.history)
			out = append(out, c)
		case keyErase:
			if len(e.line) > 0 {
				_, n := utf8.DecodeLastRune(e.line)
				e.line = e.line[:len(e.line)-n]
			}
			out = append(out, c)
		case keyKill, 0x03, 0x1a, 0x1c: // ^U, ^C, ^Z, ^\ drop the line
			e.line = nil
			e.pos = len(e.history)
			out = append(out, c)
		case keyWord:
			l := strings.TrimRight(string(e.line), " \t")
			if i := strings.LastIndexAny(l, " \t"); i >= 0 {
				e.line = []byte(l[:i+1])
			} else {
				e.line = nil
			}
			out = append(out, c)
		case 0x04: // ^D: end of file, or sends the line as it is
			e.line = nil
			out = append(out, c)
		default:
			if c >= 0x20 || c == '\b' {
				e.line = append(e.line, c)
			}
			out = append(out, c)
		}
	}
	flush()
}

// escape handles an escape sequence typed at the prompt: up and down walk
// the history; the others (cursor movement the discipline cannot do) are
// dropped rather than echoed as ^[[D.
func (e *editor) escape(seq string) {
	switch seq {
	case "\x1b[A", "\x1bOA":
		if e.pos == 0 {
			return
		}
		if e.pos == len(e.history) {
			e.draft = append([]byte(nil), e.line...)
		}
		e.pos--
		e.replace([]byte(e.history[e.pos]))
	case "\x1b[B", "\x1bOB":
		if e.pos >= len(e.history) {
			return
		}
		e.pos++
		if e.pos == len(e.history) {
			e.replace(e.draft)
		} else {
			e.replace([]byte(e.history[e.pos]))
		}
	}
}

// replace kills the line and types l instead.
func (e *editor) replace(l []byte) {
	out := append([]byte{keyKill}, l...)
	e.line = append([]byte(nil), l...)
	e.send(out)
}

// tab completes the line's last word: a single candidate is typed with a
// space after it; several are completed to their common prefix, and listed
// at a second Tab.
func (e *editor) tab() {
	line := string(e.line)
	word := line[strings.LastIndexAny(line, " \t")+1:]
	cands := e.complete(line)
	if len(cands) == 0 {
		return
	}
	if len(cands) == 1 {
		add := strings.TrimPrefix(cands[0], word) + " "
		e.line = append(e.line, add...)
		e.send([]byte(add))
		return
	}
	prefix := commonPrefix(cands)
	if len(prefix) > len(word) {
		add := prefix[len(word):]
		e.line = append(e.line, add...)
		e.send([]byte(add))
		return
	}
	e.tabs++
	if e.tabs >= 2 {
		e.tabs = 0
		e.show("\r\n" + strings.Join(cands, "  ") + "\r\n" + e.prompt())
	}
}

func commonPrefix(ss []string) string {
	p := ss[0]
	for _, s := range ss[1:] {
		for !strings.HasPrefix(s, p) {
			p = p[:len(p)-1]
		}
	}
	return p
}

// completions returns the words of words that start with prefix, sorted
// and without duplicates.
func completions(prefix string, words []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, w := range words {
		if strings.HasPrefix(w, prefix) && !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	sort.Strings(out)
	return out
}

// screenLine remembers the screen's current line (since the last newline),
// for redrawing the prompt after a list of completions.
type screenLine struct {
	tail []byte
}

func (s *screenLine) write(b []byte) {
	if i := strings.LastIndexByte(string(b), '\n'); i >= 0 {
		s.tail = append(s.tail[:0], b[i+1:]...)
	} else {
		s.tail = append(s.tail, b...)
	}
	if len(s.tail) > 4096 {
		s.tail = s.tail[len(s.tail)-4096:]
	}
}

func (s *screenLine) String() string { return strings.TrimLeft(string(s.tail), "\r") }
