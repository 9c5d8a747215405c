package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/api/types/system"

	"github.com/twinbox-dev/twinbox/shared/api/wire"
	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/engine"
)

// dockerd runs the stock docker CLI against h on a unix socket. Tests that
// use it skip when no docker CLI is installed.
type dockerd struct {
	t    *testing.T
	sock string
	home string
}

func startDockerd(t *testing.T, h *Handler) *dockerd {
	t.Helper()
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skip("the docker CLI is not installed")
	}
	dir := t.TempDir()
	sock := filepath.Join(dir, "docker.sock")
	l, err := ListenUnix(sock)
	if err != nil {
		t.Fatal(err)
	}
	serveOn(t, h, l)
	return &dockerd{t: t, sock: sock, home: dir}
}

// run runs `docker args...` and returns its stdout, stderr and exit code.
func (d *dockerd) run(args ...string) (string, string, int) {
	d.t.Helper()
	cmd := exec.Command("docker", args...)
	cmd.Env = append(os.Environ(),
		"DOCKER_HOST=unix://"+d.sock,
		"DOCKER_CONFIG="+filepath.Join(d.home, "config"),
		"DOCKER_CLI_HINTS=false",
	)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		d.t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func referenceVersion(t *testing.T) system.VersionResponse {
	t.Helper()
	data, err := os.ReadFile("testdata/version.json")
	if err != nil {
		t.Fatal(err)
	}
	var v system.VersionResponse
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestDockerCLI(t *testing.T) {
	ver := referenceVersion(t)
	f := &fakeAPI{
		version: func() (system.VersionResponse, error) { return ver, nil },
		inspect: func(name string) (*wire.ContainerJSON, error) {
			if name == "nosuch" {
				return nil, backend.Errorf(backend.NotFound, "No such container: nosuch")
			}
			c := &wire.ContainerJSON{}
			c.ID = strings.Repeat("c", 64)
			c.Config = &container.Config{Image: "busybox"}
			c.State = &container.State{Status: "running", Running: true}
			return c, nil
		},
		logs: func(name string, opts engine.LogsOptions) (<-chan engine.LogMessage, bool, error) {
			return logChan(engine.LogMessage{Stream: "stdout", Line: []byte("out\n")}, engine.LogMessage{Stream: "stderr", Line: []byte("err\n")}), false, nil
		},
		changes: func(name string) ([]container.FilesystemChange, error) {
			return nil, backend.Errorf(backend.NotFound, "No such container: %s", name)
		},
		kill: func(name, sig string) error {
			return backend.Errorf(backend.Conflict, "Container %s is not running", strings.Repeat("c", 64))
		},
		attach: func(ctx context.Context, name string, opts engine.AttachOptions) error {
			st, err := opts.GetStreams(true)
			if err != nil {
				return err
			}
			fmt.Fprint(st.Stdout, "hi\n")
			fmt.Fprint(st.Stderr, "warning\n")
			return nil
		},
		wait: func(name string) (<-chan container.WaitResponse, error) {
			ch := make(chan container.WaitResponse, 1)
			ch <- container.WaitResponse{StatusCode: 3}
			return ch, nil
		},
		execStart: func(ctx context.Context, id string, opts engine.ExecStartOptions) error {
			st, err := opts.GetStreams(!opts.Tty)
			if err != nil {
				return err
			}
			fmt.Fprint(st.Stdout, "from exec\n")
			return nil
		},
		pull: func(ref string, p engine.ProgressFunc) error {
			p(jsonstream.Message{Status: "Pulling from library/busybox", ID: "latest"})
			p(jsonstream.Message{Status: "Pulling fs layer", ID: "5cc84ad355aa", Progress: &jsonstream.Progress{}})
			p(jsonstream.Message{Status: "Downloading", ID: "5cc84ad355aa", Progress: &jsonstream.Progress{Current: 10, Total: 20}})
			p(jsonstream.Message{Status: "Pull complete", ID: "5cc84ad355aa", Progress: &jsonstream.Progress{}})
			p(jsonstream.Message{Status: "Digest: sha256:" + strings.Repeat("d", 64)})
			p(jsonstream.Message{Status: "Status: Downloaded newer image for busybox:latest"})
			return nil
		},
	}
	d := startDockerd(t, newHandler(f, Options{}))
	tests := []struct {
		name       string
		args       []string
		wantOut    string
		wantErr    string // a line the error output must contain
		wantCode   int
		wantCallIn string // a call the engine must have received
	}{
		{name: "version", args: []string{"version", "--format", "{{.Server.Version}}|{{.Server.APIVersion}}|{{.Server.MinAPIVersion}}|{{.Client.APIVersion}}"},
			wantOut: "20.10.24+dfsg1|1.41|1.12|1.41\n"},
		{name: "info", args: []string{"info", "--format", "{{.Name}} {{.ID}}"}, wantOut: "twinbox X\n"},
		{name: "ps -a", args: []string{"ps", "-a"},
			wantOut:    "CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES\n",
			wantCallIn: `Containers({"All":true,"Limit":0,"Size":false,"Filters":{}})`},
		{name: "ps filter", args: []string{"ps", "-a", "--filter", "name=made", "--filter", "status=exited", "-q"},
			wantCallIn: `Containers({"All":true,"Limit":0,"Size":false,"Filters":{"name":["made"],"status":["exited"]}})`},
		{name: "logs", args: []string{"logs", "web"}, wantOut: "out\n", wantErr: "err"},
		{name: "run", args: []string{"run", "--rm", "busybox", "sh", "-c", "exit 3"}, wantOut: "hi\n", wantErr: "warning", wantCode: 3,
			wantCallIn: `ContainerWait("c0ffee", "removed")`},
		{name: "exec", args: []string{"exec", "web", "echo", "from", "exec"}, wantOut: "from exec\n",
			wantCallIn: `ExecCreate("web", {"User":"","Privileged":false,"Tty":false,"AttachStdin":false,"AttachStderr":true,"AttachStdout":true,"DetachKeys":"","Env":null,"WorkingDir":"","Cmd":["echo","from","exec"]})`},
		{name: "pull", args: []string{"pull", "busybox"},
			wantOut: "Using default tag: latest\nlatest: Pulling from library/busybox\n5cc84ad355aa: Pulling fs layer\n5cc84ad355aa: Pull complete\n" +
				"Digest: sha256:" + strings.Repeat("d", 64) + "\nStatus: Downloaded newer image for busybox:latest\ndocker.io/library/busybox:latest\n",
			wantCallIn: `ImagePull("busybox:latest")`},
		{name: "diff not found", args: []string{"diff", "nosuch"}, wantErr: "Error response from daemon: No such container: nosuch\n", wantCode: 1},
		{name: "kill not running", args: []string{"kill", "web"},
			wantErr:  "Error response from daemon: Cannot kill container: web: Container " + strings.Repeat("c", 64) + " is not running",
			wantCode: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := d.run(tt.args...)
			if out != tt.wantOut {
				t.Errorf("got stdout %q, want %q", out, tt.wantOut)
			}
			if tt.wantErr == "" && errOut != "" || !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("got stderr %q, want it to contain %q", errOut, tt.wantErr)
			}
			if code != tt.wantCode {
				t.Errorf("got exit code %d, want %d", code, tt.wantCode)
			}
			if tt.wantCallIn != "" && !strings.Contains(strings.Join(f.Calls(), "\n"), tt.wantCallIn) {
				t.Errorf("got calls\n%s\nwant one of them to be %s", strings.Join(f.Calls(), "\n"), tt.wantCallIn)
			}
		})
	}
}
