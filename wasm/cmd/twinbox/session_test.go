package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

// screen is a terminal's screen as text.
type screen struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *screen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.ReplaceAll(s.b.String(), "\r\n", "\n")
}

// waitFor waits until the screen shows want after its first from bytes.
func (s *screen) waitFor(t *testing.T, from int, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if text := s.String(); len(text) >= from && strings.Contains(text[from:], want) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("the screen never showed %q; it shows:\n%s", want, s.String())
}

// run types a line and waits for its output, then the next prompt.
func run(t *testing.T, s *session, sc *screen, line, want string) {
	t.Helper()
	from := len(sc.String())
	s.Type([]byte(line + "\r"))
	sc.waitFor(t, from, want)
	sc.waitFor(t, from+strings.Index(sc.String()[from:], want), "\n~ # ")
}

func TestSessionSaveRestore(t *testing.T) {
	ctx := context.Background()
	sc := &screen{}
	s, err := boot(ctx, nil, 24, 80, sc)
	if err != nil {
		t.Fatal(err)
	}
	sc.waitFor(t, 0, "~ # ")
	run(t, s, sc, "docker run --name changed busybox sh -c 'echo x > /newfile; rm /bin/ls'", "rm /bin/ls'")
	run(t, s, sc, "echo kept > /root/note", "/root/note")
	svg, err := s.Picture(ctx, "container", "changed")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(svg), "D /bin/ls") || !strings.Contains(string(svg), "A /newfile") {
		t.Errorf("the container's picture lacks its diff:\n%s", svg)
	}
	for kind, want := range map[string]string{"network": "docker0", "processes": "0 running containers"} {
		if svg, err := s.Picture(ctx, kind, ""); err != nil || !strings.Contains(string(svg), want) {
			t.Errorf("picture %s: %v, no %q in\n%s", kind, err, want, svg)
		}
	}
	saved, err := s.Save()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("saved state: %d bytes", len(saved))
	s.Close()

	sc2 := &screen{}
	s2, err := boot(ctx, saved, 24, 80, sc2)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	sc2.waitFor(t, 0, "~ # ")
	run(t, s2, sc2, "docker ps -a --format '{{.Names}} {{.Status}}'", "changed Exited (0)")
	run(t, s2, sc2, "docker diff changed", "C /bin\nD /bin/ls\nA /newfile")
	run(t, s2, sc2, "cat /root/note", "kept")
	run(t, s2, sc2, "docker images --format '{{.Repository}}'", "'\nbusybox")

	// Tab completes the container's name from the engine.
	from := len(sc2.String())
	s2.Type([]byte("docker diff cha\t\r"))
	sc2.waitFor(t, from, "docker diff changed \n")

	if _, err := boot(ctx, []byte("{not json"), 24, 80, &screen{}); err == nil {
		t.Error("boot of a damaged state: got no error")
	}
}

func TestSessionInteractive(t *testing.T) {
	ctx := context.Background()
	sc := &screen{}
	s, err := boot(ctx, nil, 24, 80, sc)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sc.waitFor(t, 0, "~ # ")
	from := len(sc.String())
	s.Type([]byte("docker run -it --name box busybox sh\r"))
	sc.waitFor(t, from, "/ # ")
	from = len(sc.String())
	s.Type([]byte("hostname\r"))
	sc.waitFor(t, from, "\n/ # ")
	from = len(sc.String())
	s.Type([]byte{0x10, 0x11}) // ^P ^Q detaches
	sc.waitFor(t, from, "~ # ")
	run(t, s, sc, "docker ps --format '{{.Names}} {{.State}}'", "box running")
	from = len(sc.String())
	s.Type([]byte("docker attach box\r"))
	time.Sleep(200 * time.Millisecond)
	s.Type([]byte("\r"))
	sc.waitFor(t, from, "/ # ")
	s.Type([]byte{0x04}) // ^D ends the container's shell
	sc.waitFor(t, from, "~ # ")
	run(t, s, sc, "docker ps -a --format '{{.Names}} {{.State}}'", "box exited")

	// ^C stops a loop at the host's prompt.
	from = len(sc.String())
	s.Type([]byte("while true; do :; done\r"))
	time.Sleep(100 * time.Millisecond)
	s.Type([]byte{0x03})
	sc.waitFor(t, from, "^C\n~ # ")
}
