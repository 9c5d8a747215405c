package cli

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestEngineAddress checks where the CLI looks for the engine when no Dial
// is given: -H, DOCKER_HOST, the default; and docker's errors.
func TestEngineAddress(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		def     string
		wantErr string
	}{
		{"flag", []string{"-H", "unix:///nonexistent.sock", "ps"}, nil, "",
			"Cannot connect to the Docker daemon at unix:///nonexistent.sock. Is the docker daemon running?\n"},
		{"environment", []string{"ps"}, map[string]string{"DOCKER_HOST": "unix:///nope.sock"}, "",
			"Cannot connect to the Docker daemon at unix:///nope.sock. Is the docker daemon running?\n"},
		{"flag over environment", []string{"--host", "unix:///flag.sock", "ps"}, map[string]string{"DOCKER_HOST": "unix:///env.sock"}, "",
			"Cannot connect to the Docker daemon at unix:///flag.sock. Is the docker daemon running?\n"},
		{"default", []string{"ps"}, nil, "unix:///run/twinbox/nope.sock",
			"Cannot connect to the Docker daemon at unix:///run/twinbox/nope.sock. Is the docker daemon running?\n"},
		{"bad address", []string{"-H", "foo://bar", "ps"}, nil, "",
			"Failed to initialize: unable to resolve docker endpoint: invalid bind address format: foo://bar\n"},
		{"two hosts", []string{"-H", "unix:///a.sock", "-H", "unix:///b.sock", "ps"}, nil, "",
			"Failed to initialize: unable to resolve docker endpoint: Specify only one -H\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Run(context.Background(), tt.args, Streams{Stdout: &stdout, Stderr: &stderr}, Options{
				Getenv:      func(k string) string { return tt.env[k] },
				DefaultHost: tt.def,
			})
			if code != 1 || stderr.String() != tt.wantErr || stdout.Len() != 0 {
				t.Errorf("got %d %q %q, want 1 and %q", code, stdout.String(), stderr.String(), tt.wantErr)
			}
		})
	}
}

// TestCancel abandons a command when its context ends: Run returns 130 and
// prints nothing.
func TestCancel(t *testing.T) {
	started := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/_ping") {
			w.Header().Set("Api-Version", "1.41")
			return
		}
		w.(http.Flusher).Flush()
		close(started)
		<-r.Context().Done() // a container that never stops
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-started
		cancel()
	}()
	var stdout, stderr bytes.Buffer
	code := Run(ctx, []string{"wait", "forever"}, Streams{Stdout: &stdout, Stderr: &stderr}, Options{
		Dial: func(ctx context.Context) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "tcp", srv.Listener.Addr().String())
		},
	})
	if code != 130 || stdout.Len() != 0 || stderr.Len() != 0 {
		t.Errorf("got %d %q %q, want 130 and no output", code, stdout.String(), stderr.String())
	}
}

// TestVersionFlag prints docker 28.2.2's version line without an engine.
func TestVersionFlag(t *testing.T) {
	for _, arg := range []string{"-v", "--version"} {
		var stdout bytes.Buffer
		code := Run(context.Background(), []string{arg}, Streams{Stdout: &stdout}, Options{})
		if code != 0 || stdout.String() != "Docker version 28.2.2, build e6534b4\n" {
			t.Errorf("%s: got %d %q, want 0 %q", arg, code, stdout.String(), "Docker version 28.2.2, build e6534b4\n")
		}
	}
}

// BenchmarkRun measures a whole command without an engine round trip:
// building the command tree, parsing flags and printing.
func BenchmarkRun(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		var stdout bytes.Buffer
		if code := Run(context.Background(), []string{"ps", "-a", "--filter", "name=web", "--help"}, Streams{Stdout: &stdout}, Options{}); code != 0 {
			b.Fatalf("exit %d", code)
		}
	}
}

// TestTopCommands: each command addCommands can make alone is found by
// its name, which is the only one it answers to (a top-level alias would
// be missed when only the named command is made), and a command line
// makes only the command it names.
func TestTopCommands(t *testing.T) {
	c := newDockerCLI(context.Background(), Streams{}, Options{})
	for _, tc := range c.topCommands() {
		cmd := tc.make()
		if cmd.Name() != tc.name {
			t.Errorf("topCommands has %q for the command %q", tc.name, cmd.Name())
		}
		for _, a := range cmd.Aliases {
			if topAliases[a] != tc.name {
				t.Errorf("%s's alias %q is not in topAliases", tc.name, a)
			}
		}
	}
	root := c.newRootCommand()
	c.addCommands(root, "remove")
	if got := root.Commands(); len(got) != 1 || got[0].Name() != "rm" || !got[0].DisableFlagsInUseLine {
		t.Errorf("the commands made for remove: %v", got)
	}
	all := c.newRootCommand()
	c.addCommands(all, "nosuchcommand")
	if got, want := len(all.Commands()), len(c.topCommands()); got != want {
		t.Errorf("an unknown command made %d commands, want all %d", got, want)
	}
}
