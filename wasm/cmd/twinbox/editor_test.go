package main

import (
	"strings"
	"testing"
)

// fakeTerm records what the editor sends to the terminal and shows.
type fakeTerm struct {
	sent  strings.Builder
	shown strings.Builder
	raw   bool
}

func newTestEditor(ft *fakeTerm, words []string) *editor {
	return &editor{
		send: func(b []byte) { ft.sent.Write(b) },
		show: func(s string) { ft.shown.WriteString(s) },
		raw:  func() bool { return ft.raw },
		complete: func(line string) []string {
			return completions(line[strings.LastIndexAny(line, " ")+1:], words)
		},
		prompt: func() string { return "~ # " + "d" },
	}
}

func TestEditorHistory(t *testing.T) {
	ft := &fakeTerm{}
	e := newTestEditor(ft, nil)
	e.keys([]byte("docker ps\r"))
	e.keys([]byte("echo hi\r"))
	e.keys([]byte("ech"))
	ft.sent.Reset()
	e.keys([]byte("\x1b[A")) // up: the last line replaces what is typed
	if got, want := ft.sent.String(), "\x15echo hi"; got != want {
		t.Errorf("up: sent %q, want %q", got, want)
	}
	ft.sent.Reset()
	e.keys([]byte("\x1b[A\x1b[A")) // up twice more: stops at the oldest
	if got, want := ft.sent.String(), "\x15docker ps"; got != want {
		t.Errorf("up up: sent %q, want %q", got, want)
	}
	ft.sent.Reset()
	e.keys([]byte("\x1b[B\x1b[B")) // down twice: back to the draft
	if got, want := ft.sent.String(), "\x15echo hi\x15ech"; got != want {
		t.Errorf("down down: sent %q, want %q", got, want)
	}
	ft.sent.Reset()
	e.keys([]byte("\x1b[D\x1b[C\x1b[1;5C")) // left, right, ctrl-right: dropped
	if got := ft.sent.String(); got != "" {
		t.Errorf("cursor keys: sent %q, want nothing", got)
	}
	e.keys([]byte("h\x7fo x\r")) // erase: "echo x"
	if got := e.history[len(e.history)-1]; got != "echo x" {
		t.Errorf("history after erasing: got %q, want %q", got, "echo x")
	}
	ft.raw = true // a program took the terminal: keys pass untouched
	ft.sent.Reset()
	e.keys([]byte("\x1b[A\t\x10\x11"))
	if got, want := ft.sent.String(), "\x1b[A\t\x10\x11"; got != want {
		t.Errorf("raw: sent %q, want %q", got, want)
	}
}

func TestEditorComplete(t *testing.T) {
	ft := &fakeTerm{}
	e := newTestEditor(ft, []string{"diff", "docker", "dmesg", "run", "rename"})
	e.keys([]byte("do\t"))
	if got, want := ft.sent.String(), "docker "; got != want {
		t.Errorf("one candidate: sent %q, want %q", got, want)
	}
	ft.sent.Reset()
	e.keys([]byte("r\t"))
	if got, want := ft.sent.String(), "r"; got != want { // run, rename: nothing in common beyond r
		t.Errorf("two candidates: sent %q, want %q", got, want)
	}
	if ft.shown.Len() != 0 {
		t.Errorf("one Tab listed %q", ft.shown.String())
	}
	e.keys([]byte("\t"))
	if got, want := ft.shown.String(), "\r\nrename  run\r\n~ # d"; got != want {
		t.Errorf("two Tabs: showed %q, want %q", got, want)
	}
	ft.sent.Reset()
	e.keys([]byte("u\t"))
	if got, want := ft.sent.String(), "un "; got != want {
		t.Errorf("ru<Tab>: sent %q, want %q", got, want)
	}
	if got, want := string(e.line), "docker run "; got != want {
		t.Errorf("line: got %q, want %q", got, want)
	}
}
