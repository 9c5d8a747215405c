package server

import (
	"context"
	"strings"
	"testing"

	"github.com/twinbox-dev/twinbox/shared/backend/describeonly"
	"github.com/twinbox-dev/twinbox/shared/engine"
)

// describeOnly stands in for the simulator's backend: scenarios that run
// containers need that one.
type describeOnly = describeonly.Backend

// TestDockerCLIOnEngine runs the stock docker CLI against the router over
// the real engine.
func TestDockerCLIOnEngine(t *testing.T) {
	e, err := engine.New(context.Background(), describeOnly{}, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := startDockerd(t, New(e, Options{}))
	tests := []struct {
		name     string
		args     []string
		wantOut  string
		wantErr  string
		wantCode int
	}{
		{name: "version", args: []string{"version", "--format", "{{.Server.Version}} {{.Server.APIVersion}} {{.Server.MinAPIVersion}} {{.Server.Os}}"},
			wantOut: "20.10.24+dfsg1 1.41 1.12 linux\n"},
		{name: "info", args: []string{"info", "--format", "{{.Containers}} {{.Images}} {{.Driver}} {{.OSType}} {{.NCPU}}"},
			wantOut: "0 0 overlay2 linux 2\n"},
		// As in the reference transcript 01-lifecycle.
		{name: "ps", args: []string{"ps"}, wantOut: "CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES\n"},
		{name: "ps -a", args: []string{"ps", "-a", "-q"}},
		{name: "images", args: []string{"images"}, wantOut: "REPOSITORY   TAG       IMAGE ID   CREATED   SIZE\n"},
		// As in the reference transcript 02-diff.
		{name: "diff nosuch", args: []string{"diff", "nosuch"}, wantErr: "Error response from daemon: No such container: nosuch\n", wantCode: 1},
		{name: "rm nosuch", args: []string{"rm", "first"}, wantErr: "Error response from daemon: No such container: first\n", wantCode: 1},
		{name: "kill nosuch", args: []string{"kill", "nosuch"}, wantErr: "Error response from daemon: Cannot kill container: nosuch: No such container: nosuch\n", wantCode: 1},
		// Networks, as dockerd 20.10 answers docker 28.
		{name: "network ls", args: []string{"network", "ls", "--format", "{{.Name}} {{.Driver}} {{.Scope}}"},
			wantOut: "bridge bridge local\nhost host local\nnone null local\n"},
		{name: "network create without a name", args: []string{"network", "create", ""},
			wantErr: "Error response from daemon: network with name  already exists\n", wantCode: 1},
		{name: "network create host", args: []string{"network", "create", "host"},
			wantErr: "Error response from daemon: operation is not permitted on predefined host network\n", wantCode: 1},
		{name: "network rm bridge", args: []string{"network", "rm", "bridge"},
			wantErr: "Error response from daemon: bridge is a pre-defined network and cannot be removed\nexit status 1\n", wantCode: 1},
		{name: "network inspect nosuch", args: []string{"network", "inspect", "nosuch"},
			wantOut: "[]\n", wantErr: "Error response from daemon: network nosuch not found\n", wantCode: 1},
		{name: "network create overlapping", args: []string{"network", "create", "--subnet", "172.17.1.0/24", "n"},
			wantErr: "Error response from daemon: Pool overlaps with other one on this address space\n", wantCode: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := d.run(tt.args...)
			if out != tt.wantOut {
				t.Errorf("got stdout %q, want %q", out, tt.wantOut)
			}
			if errOut != tt.wantErr {
				t.Errorf("got stderr %q, want %q", errOut, tt.wantErr)
			}
			if code != tt.wantCode {
				t.Errorf("got exit code %d, want %d", code, tt.wantCode)
			}
		})
	}
	t.Run("info in full", func(t *testing.T) {
		out, errOut, code := d.run("info")
		if code != 0 || !strings.Contains(out, "Server Version: 20.10.24+dfsg1") {
			t.Errorf("got exit %d, stdout %q, stderr %q; want a full report with the server version", code, out, errOut)
		}
	})
}
