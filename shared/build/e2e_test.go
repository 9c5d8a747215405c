package build_test

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/twinbox-dev/twinbox/shared/api/server"
	"github.com/twinbox-dev/twinbox/shared/build"
)

// serveSim serves the Engine API over a simulator, with the builder, on a
// unix socket, and returns the socket's path.
func serveSim(t *testing.T) string {
	t.Helper()
	e := simEngine(t)
	sock := filepath.Join(t.TempDir(), "docker.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := server.NewServer(server.New(e, server.Options{Build: build.New(e).Build}))
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return sock
}

// TestScenario04Transcript runs the reference script 04-build.sh line by
// line with bash, "docker" being the stock docker CLI 28 and then
// twinbox's CLI, against the router over the simulator, and compares the
// transcript with the reference byte for byte.
func TestScenario04Transcript(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("needs bash")
	}
	script, err := os.ReadFile("testdata/04-build.sh")
	if err != nil {
		t.Fatal(err)
	}
	clis := map[string]string{}
	if p, err := exec.LookPath("docker"); err == nil {
		clis["docker CLI 28"] = p
	}
	if goTool, err := exec.LookPath("go"); err == nil {
		bin := filepath.Join(t.TempDir(), "twinbox-docker")
		out, err := exec.Command(goTool, "build", "-o", bin, "./testdata/dockercli").CombinedOutput()
		if err != nil {
			t.Fatalf("build twinbox's CLI: %v\n%s", err, out)
		}
		clis["twinbox CLI"] = bin
	}
	if len(clis) == 0 {
		t.Skip("needs the docker CLI or the go tool")
	}
	ref := readTranscript(t, "testdata/04-build.txt")
	for name, docker := range clis {
		t.Run(name, func(t *testing.T) {
			sock := serveSim(t)
			dir := t.TempDir()
			bindir := filepath.Join(dir, "bin")
			os.Mkdir(bindir, 0o755)
			if err := os.Symlink(docker, filepath.Join(bindir, "docker")); err != nil {
				t.Fatal(err)
			}
			work := filepath.Join(dir, "work")
			os.Mkdir(work, 0o755)
			env := append(os.Environ(),
				"PATH="+bindir+":"+os.Getenv("PATH"),
				"DOCKER_HOST=unix://"+sock,
				"DOCKER_CONFIG="+filepath.Join(dir, "config"),
				"DOCKER_CLI_HINTS=false",
			)
			var lines []string
			for _, line := range strings.Split(string(script), "\n") {
				if line != "" && !strings.HasPrefix(line, "#") {
					lines = append(lines, line)
				}
			}
			if len(lines) != len(ref) {
				t.Fatalf("got %d script lines, want %d as the transcript", len(lines), len(ref))
			}
			for i, line := range lines {
				cmd := exec.Command(bash, "-c", line)
				cmd.Dir, cmd.Env = work, env
				out, err := cmd.CombinedOutput()
				code := 0
				var ee *exec.ExitError
				if errors.As(err, &ee) {
					code = ee.ExitCode()
				} else if err != nil {
					t.Fatal(err)
				}
				if string(out) == ref[i].out && code == ref[i].exit {
					continue
				}
				msg := fmt.Sprintf("$ %s\n%s", line, lineDiff(ref[i].out, string(out)))
				if code != ref[i].exit {
					msg += fmt.Sprintf("exit code: got %d, want %d\n", code, ref[i].exit)
				}
				t.Error(msg)
			}
		})
	}
}

// lineDiff shows the first differing lines of two texts.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			b.WriteString("line " + strconv.Itoa(i+1) + ":\n  want " + quote(wl) + "\n  got  " + quote(gl) + "\n")
			if shown++; shown == 8 {
				break
			}
		}
	}
	return b.String()
}

func quote(s string) string { return strconv.Quote(s) }
