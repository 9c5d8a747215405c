package cli_test

// Reference scenarios 05-network and 06-volumes on the simulator, through
// the Engine API: each line runs in the simulated host's shell, where
// `docker` is this package's CLI talking to the machine's router; and, when
// the stock docker CLI 28 is installed, with bash on the real host and that
// CLI against the same router on a unix socket. What each step prints must
// equal the reference transcript after shared/lesson's normalisation.

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/lesson"
	"github.com/twinbox-dev/twinbox/wasm/sim/machine"
)

const referenceDir = "../../native/cmd/twinbox-engine/testdata/reference"

// refStep is one line of a scenario and what the reference printed.
type refStep struct {
	line string
	out  string
	exit int
}

func readReference(t *testing.T, name string) []refStep {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(referenceDir, name+".txt"))
	if err != nil {
		t.Fatal(err)
	}
	var steps []refStep
	var cur *refStep
	var out strings.Builder
	for _, l := range strings.SplitAfter(string(data), "\n") {
		l = strings.TrimSuffix(l, "\n")
		switch {
		case cur == nil && strings.HasPrefix(l, "#"):
		case cur == nil && strings.HasPrefix(l, "$ "):
			cur = &refStep{line: l[2:]}
			out.Reset()
		case cur != nil && strings.HasPrefix(l, "[exit ") && strings.HasSuffix(l, "]"):
			n, err := strconv.Atoi(l[6 : len(l)-1])
			if err != nil {
				t.Fatalf("bad exit line %q", l)
			}
			cur.exit, cur.out = n, out.String()
			steps = append(steps, *cur)
			cur = nil
		case cur != nil:
			out.WriteString(l + "\n")
		}
	}
	if len(steps) == 0 {
		t.Fatalf("no steps in %s", name)
	}
	return steps
}

// normalize is the transcripts' normalisation; a line ending in `| sort`
// is sorted again, since generated names sort anywhere. The engine's
// first user-defined network is 172.18.0.0/16; the reference daemon had
// handed 172.18 and 172.19 out before the scenario ran, so its appnet
// is 172.20.
//
// The stock CLI, piped into head, sometimes reports the pipe that head
// closed ("write /dev/stdout: broken pipe"), as it would against dockerd:
// a race of the host's, dropped.
// ownIDLine is a hosts line cut to its name: a container's own ID.
var ownIDLine = regexp.MustCompile(`(?m)^[0-9a-f]{12}\n`)

func normalize(line, out string) string {
	out = strings.ReplaceAll(out, "172.18.0.", "172.20.0.")
	if strings.Contains(line, "| head") {
		out = strings.ReplaceAll(out, "write /dev/stdout: broken pipe\n", "")
	}
	if strings.Contains(line, "grep db /etc/hosts") {
		// The container's own hosts line matches too when its random ID
		// contains "db" (about 1 run in 25, with Docker as well).
		out = ownIDLine.ReplaceAllString(out, "")
	}
	n := lesson.Normalize(out)
	if strings.HasSuffix(strings.TrimSpace(line), "| sort") {
		lines := strings.Split(strings.TrimSuffix(n, "\n"), "\n")
		sort.Strings(lines)
		n = strings.Join(lines, "\n") + "\n"
	}
	return n
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newMachine(t *testing.T) *machine.Machine {
	t.Helper()
	m, err := machine.New(context.Background(), machine.Options{Preload: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// simHost runs a line with the simulated host's sh in dir.
func simHost(t *testing.T, m *machine.Machine, dir, line string) (string, int) {
	t.Helper()
	var out syncBuffer
	p, err := m.Backend.StartHost(context.Background(), &backend.ProcessSpec{
		Args: []string{"sh", "-c", "mkdir -p " + dir + " && cd " + dir + " && " + line},
		Env:  []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root"},
	}, backend.Stdio{Stdout: &out, Stderr: &out})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := p.Wait(ctx)
	if err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	return out.String(), st.Code
}

// skips are the steps the simulated host cannot run yet, and why; they
// are its userland's, not the API's or the CLI's. (With the stock CLI they
// run on the real host.)
var skips = map[string]string{
	"docker run --rm busybox ip -4 -o addr show eth0 | awk '{print $2, $4}'": "the simulated host has no awk",
	"docker run --rm --net none busybox ip -o link | awk '{print $2}'":       "the simulated host has no awk",
	// The reference host's wget was GNU wget, quiet about the 404 that
	// httpd answers; the simulated host's is busybox's, which reports it.
	"wget -q -O- http://127.0.0.1:8080/ 2>&1 | head -3": "the simulated host's wget is busybox's",
}

// hostOnly are steps of the real host that the simulated engine cannot
// see: the stock CLI's bind mount names a real folder, and the real host's
// port 8080 is not the simulated host's.
var hostOnly = map[string]string{
	"wget -q -O- http://127.0.0.1:8080/ 2>&1 | head -3":                                                                        "the real host's port 8080 is not the simulated host's",
	"mkdir host && echo from-host > host/file && docker run --rm -v $PWD/host:/h:ro busybox sh -c 'cat /h/file; touch /h/new'": "it binds a folder of the real host",
}

func TestReferenceScenariosOnSim(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two reference scenarios on the simulator")
	}
	for _, name := range []string{"05-network", "06-volumes"} {
		t.Run("twinbox/"+name, func(t *testing.T) {
			m := newMachine(t)
			for _, s := range readReference(t, name) {
				if why, ok := skips[s.line]; ok {
					t.Logf("skipped %q: %s", s.line, why)
					continue
				}
				got, code := simHost(t, m, "/root/"+name, s.line)
				if normalize(s.line, got) != normalize(s.line, s.out) || code != s.exit {
					t.Errorf("$ %s\ngot (exit %d):\n%s\nwant (exit %d):\n%s", s.line, code, got, s.exit, s.out)
				}
			}
		})
		t.Run("docker/"+name, func(t *testing.T) {
			docker := findDocker28()
			if docker == "" {
				t.Skip("no docker CLI 28 installed")
			}
			m := newMachine(t)
			sock := serveUnix(t, m.Handler())
			work, bin := t.TempDir(), t.TempDir()
			if err := os.Symlink(docker, filepath.Join(bin, "docker")); err != nil {
				t.Fatal(err)
			}
			env := append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "DOCKER_HOST=unix://"+sock,
				"DOCKER_CONFIG="+t.TempDir(), "DOCKER_CLI_HINTS=false")
			for _, s := range readReference(t, name) {
				if why, ok := hostOnly[s.line]; ok {
					t.Logf("skipped %q: %s", s.line, why)
					continue
				}
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				cmd := exec.CommandContext(ctx, "bash", "-c", s.line)
				cmd.Dir, cmd.Env = work, env
				out, err := cmd.CombinedOutput()
				cancel()
				code := 0
				var ee *exec.ExitError
				if errors.As(err, &ee) {
					code = ee.ExitCode()
				} else if err != nil {
					t.Fatalf("%s: %v", s.line, err)
				}
				if normalize(s.line, string(out)) != normalize(s.line, s.out) || code != s.exit {
					t.Errorf("$ %s\ngot (exit %d):\n%s\nwant (exit %d):\n%s", s.line, code, out, s.exit, s.out)
				}
			}
		})
	}
}

// serveUnix serves h on a unix socket until the test ends.
func serveUnix(t *testing.T, h http.Handler) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "engine.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return sock
}

// findDocker28 returns the stock docker CLI 28, the reference's client, or
// "" (/usr/bin/docker may be Debian's 20.10, which prints other texts).
func findDocker28() string {
	cands := []string{"/usr/local/bin/docker"}
	if p, err := exec.LookPath("docker"); err == nil {
		cands = append([]string{p}, cands...)
	}
	for _, c := range cands {
		out, err := exec.Command(c, "--version").Output()
		if err == nil && strings.HasPrefix(string(out), "Docker version 28.") {
			return c
		}
	}
	return ""
}
