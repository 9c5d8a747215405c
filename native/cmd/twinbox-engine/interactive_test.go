package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
)

// ptyScreen collects what a program prints on its terminal.
type ptyScreen struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *ptyScreen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *ptyScreen) waitFor(t *testing.T, want string, since int) int {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		s.mu.Lock()
		text := s.buf.String()
		s.mu.Unlock()
		if i := strings.Index(text[since:], want); i >= 0 {
			return since + i + len(want)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the terminal never showed %q after offset %d; it shows:\n%q", want, since, text)
		}
	}
}

// TestInteractiveShell runs `docker run -it --rm busybox sh` in a real pty,
// with the stock CLI and twinbox's, against each daemon: a prompt, a
// command, Ctrl-P Ctrl-Q detaching from a second one, exit.
func TestInteractiveShell(t *testing.T) {
	stock := findDocker28()
	if stock == "" {
		t.Skip("needs the stock docker CLI 28")
	}
	bin := buildTwinbox(t)
	backends := []string{"sim"}
	if os.Geteuid() == 0 {
		if _, err := os.Stat(*baseImage); err == nil {
			backends = append(backends, "native")
		}
	}
	for _, backend := range backends {
		for _, cli := range []struct{ name, path string }{{"docker", stock}, {"twinbox", bin}} {
			t.Run(backend+"/"+cli.name, func(t *testing.T) {
				d := startDaemon(t, bin, backend)
				env := append(os.Environ(), "DOCKER_HOST=unix://"+d.sock, "HOME="+t.TempDir())
				if backend == "native" {
					load := exec.Command(stock, "load", "-i", *baseImage)
					load.Env = env
					if out, err := load.CombinedOutput(); err != nil {
						t.Fatalf("load: %v\n%s", err, out)
					}
				}
				cmd := exec.Command(cli.path, "run", "-it", "--rm", "busybox", "sh")
				cmd.Env = env
				tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 24, Cols: 80})
				if err != nil {
					t.Fatal(err)
				}
				defer tty.Close()
				var scr ptyScreen
				go io.Copy(&scr, tty)
				at := scr.waitFor(t, "/ # ", 0)
				io.WriteString(tty, "echo $((6*7))\r")
				at = scr.waitFor(t, "42\r\n", at)
				scr.waitFor(t, "/ # ", at)
				io.WriteString(tty, "exit\r")
				done := make(chan error, 1)
				go func() { done <- cmd.Wait() }()
				select {
				case err := <-done:
					if err != nil {
						t.Errorf("docker run -it exited with %v", err)
					}
				case <-time.After(15 * time.Second):
					cmd.Process.Signal(syscall.SIGQUIT)
					time.Sleep(time.Second)
					t.Fatalf("docker run -it did not end after exit:\n%s", scr.buf.String())
				}

				// Ctrl-P Ctrl-Q detaches; the container goes on running.
				cmd = exec.Command(cli.path, "run", "-it", "--name", "keep", "busybox", "sh")
				cmd.Env = env
				tty2, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 24, Cols: 80})
				if err != nil {
					t.Fatal(err)
				}
				defer tty2.Close()
				var scr2 ptyScreen
				go io.Copy(&scr2, tty2)
				scr2.waitFor(t, "/ # ", 0)
				tty2.Write([]byte{0x10, 0x11})
				go func() { done <- cmd.Wait() }()
				select {
				case <-done:
				case <-time.After(15 * time.Second):
					cmd.Process.Kill()
					t.Fatal("Ctrl-P Ctrl-Q did not detach")
				}
				ps := exec.Command(stock, "ps", "--format", "{{.Names}} {{.State}}")
				ps.Env = env
				if out, _ := ps.CombinedOutput(); string(out) != "keep running\n" {
					t.Errorf("after detaching: docker ps printed %q, want %q", out, "keep running\n")
				}
			})
		}
	}
}
