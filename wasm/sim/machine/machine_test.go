package machine

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/cli"
)

func newMachine(t *testing.T) *Machine {
	t.Helper()
	m, err := New(context.Background(), Options{Preload: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func docker(t *testing.T, m *Machine, args ...string) (string, int) {
	t.Helper()
	var out bytes.Buffer
	code := cli.Run(context.Background(), args, cli.Streams{Stdout: &out, Stderr: &out}, cli.Options{Handler: m.Handler()})
	return out.String(), code
}

func TestCLI(t *testing.T) {
	m := newMachine(t)
	cases := []struct {
		args []string
		want string
		code int
	}{
		{[]string{"run", "--name", "first", "busybox", "echo", "hello", "world"}, "hello world\n", 0},
		{[]string{"run", "--rm", "busybox", "sh", "-c", "exit 3"}, "", 3},
		{[]string{"ps", "-a", "--format", "{{.Names}} {{.Command}}"}, "first \"echo hello world\"\n", 0},
		{[]string{"rm", "first"}, "first\n", 0},
		{[]string{"rm", "first"}, "Error response from daemon: No such container: first\n", 1},
		{[]string{"history", "--format", "{{.CreatedBy}}|{{.Size}}", "busybox"}, "/bin/sh -c #(nop)  CMD [\"sh\"]|0B\n/bin/sh -c #(nop) ADD file:21b797decdefbf806…|1.98MB\n", 0},
	}
	for _, tc := range cases {
		got, code := docker(t, m, tc.args...)
		if got != tc.want || code != tc.code {
			t.Errorf("docker %s: got %q exit %d, want %q exit %d", strings.Join(tc.args, " "), got, code, tc.want, tc.code)
		}
	}
}

// screen collects what the host's terminal shows.
type screen struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *screen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

func (s *screen) waitFor(t *testing.T, want string) {
	t.Helper()
	s.waitForAfter(t, want, 0)
}

// waitForAfter waits until the screen shows want after its first from
// bytes.
func (s *screen) waitForAfter(t *testing.T, want string, from int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(s.String()[from:], want) {
		if time.Now().After(deadline) {
			t.Fatalf("screen never showed %q; it shows:\n%s", want, s.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestHostShell(t *testing.T) {
	m := newMachine(t)
	keysR, keys := io.Pipe()
	var scr screen
	sh, err := m.Shell(context.Background(), backend.Stdio{Stdin: keysR, Stdout: &scr}, 24, 80)
	if err != nil {
		t.Fatal(err)
	}
	scr.waitFor(t, "# ")
	io.WriteString(keys, "docker run busybox echo hi from a container\n")
	scr.waitFor(t, "\r\nhi from a container\r\n")
	// -it gives a nested shell; exit returns to the host.
	io.WriteString(keys, "docker run -it --rm busybox sh\n")
	scr.waitFor(t, "/ # ")
	io.WriteString(keys, "hostname | wc -c\n")
	scr.waitFor(t, "13\r\n")
	// Type on only at the host's prompt: what is typed while `docker run
	// -it` still runs goes to the CLI, which copies it to the container,
	// as on a real terminal.
	at := len(scr.String())
	io.WriteString(keys, "exit\n")
	scr.waitForAfter(t, "~ # ", at)
	io.WriteString(keys, "echo back on the host\n")
	scr.waitFor(t, "\r\nback on the host\r\n")
	io.WriteString(keys, "exit\n")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if st, err := sh.Wait(ctx); err != nil || st.Code != 0 {
		t.Errorf("shell exit: got %v %v, want 0", st, err)
	}
}
