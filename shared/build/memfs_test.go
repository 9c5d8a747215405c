package build_test

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/twinbox-dev/twinbox/shared/api/server"
	"github.com/twinbox-dev/twinbox/shared/api/transport"
	"github.com/twinbox-dev/twinbox/shared/build"
	"github.com/twinbox-dev/twinbox/shared/cli"
)

// memFiles is the client's filesystem held in memory, as the simulated
// host's: cli.DirFiles over an fstest.MapFS rooted at "/", relative names
// in /root. Writes are kept in the map.
type memFiles struct{ m mapFS }

func (f memFiles) abs(name string) string {
	if !strings.HasPrefix(name, "/") {
		return "/root/" + name
	}
	return name
}

func (f memFiles) Lstat(name string) (fs.FileInfo, error)     { return f.m.Lstat(f.abs(name)) }
func (f memFiles) ReadDir(name string) ([]fs.DirEntry, error) { return f.m.ReadDir(f.abs(name)) }
func (f memFiles) Readlink(name string) (string, error)       { return f.m.Readlink(f.abs(name)) }
func (f memFiles) Open(name string) (io.ReadCloser, error)    { return f.m.Open(f.abs(name)) }

func (f memFiles) Create(name string) (io.WriteCloser, error) {
	return &memFile{m: f.m.m, name: f.m.rel(f.abs(name))}, nil
}

type memFile struct {
	bytes.Buffer
	m    fstest.MapFS
	name string
}

func (f *memFile) Close() error {
	f.m[f.name] = &fstest.MapFile{Data: f.Bytes(), Mode: 0o644}
	return nil
}

var _ cli.DirFiles = memFiles{}

// TestCLIBuildFromMemory runs `docker build` of twinbox's CLI in process,
// its files in memory (as in the simulator's host shell, where a learner
// writes the Dockerfile with cat and echo), against the router over the
// simulator: nothing in the build path touches the real filesystem.
func TestCLIBuildFromMemory(t *testing.T) {
	e := simEngine(t)
	l := transport.NewPipeListener()
	srv := server.NewServer(server.New(e, server.Options{Build: build.New(e).Build}))
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })

	mtime := time.Unix(1795432144, 0)
	m := fstest.MapFS{
		"root":                   {Mode: fs.ModeDir | 0o700, ModTime: mtime},
		"root/ctx":               {Mode: fs.ModeDir | 0o755, ModTime: mtime},
		"root/ctx/Dockerfile":    {Data: []byte(greetDockerfile), Mode: 0o644, ModTime: mtime},
		"root/ctx/greet.sh":      {Data: []byte(greetScript), Mode: 0o755, ModTime: mtime},
		"root/ctx/.dockerignore": {Data: []byte("*.log\n"), Mode: 0o644, ModTime: mtime},
		"root/ctx/debug.log":     {Data: []byte("ignored\n"), Mode: 0o644, ModTime: mtime},
		"root/Other.df":          {Data: []byte("FROM busybox\nCOPY greet.sh /g\nRUN cat /g\n"), Mode: 0o644, ModTime: mtime},
		"root/link":              {Data: []byte("ctx"), Mode: fs.ModeSymlink | 0o777, ModTime: mtime},
	}
	files := memFiles{mapFS{m}}
	run := func(env map[string]string, stdin string, args ...string) (string, string, int) {
		var out, errb bytes.Buffer
		code := cli.Run(context.Background(), args, cli.Streams{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb}, cli.Options{
			Dial:   l.Dial,
			Getenv: func(k string) string { return env[k] },
			Getwd:  func() (string, error) { return "/root", nil },
			Files:  files,
		})
		return out.String(), errb.String(), code
	}
	classic := map[string]string{"DOCKER_BUILDKIT": "0"}
	tests := []struct {
		name     string
		env      map[string]string
		stdin    string
		args     []string
		wantOut  string // substrings, "|"-separated
		wantErr  string
		wantCode int
	}{
		{name: "folder", env: classic, args: []string{"build", "-t", "greet", "ctx"},
			wantOut: "Sending build context to Docker daemon  4.096kB\r\r\nStep 1/12 : FROM busybox\n|Successfully tagged greet:latest\n",
			wantErr: "DEPRECATED: The legacy builder is deprecated and will be removed in a future release.\n            BuildKit is currently disabled; enable it by removing the DOCKER_BUILDKIT=0\n            environment-variable.\n\n"},
		{name: "through a symlink, quiet, image ID file", env: classic, args: []string{"build", "-q", "--iidfile", "/root/iid", "link"},
			wantOut: "sha256:", wantErr: "DEPRECATED:"},
		{name: "Dockerfile outside the context", env: classic, args: []string{"build", "-f", "Other.df", "ctx"},
			wantOut: "Step 3/3 : RUN cat /g\n|echo hello $1 from $(cat version)\n"},
		{name: "Dockerfile on stdin", env: classic, stdin: "FROM busybox\nRUN echo from stdin\n", args: []string{"build", "-"},
			wantOut: "Step 2/2 : RUN echo from stdin\n|from stdin\n"},
		{name: "no BuildKit variable", env: nil, args: []string{"build", "-q", "ctx"},
			wantOut: "sha256:", wantErr: "DEPRECATED: The legacy builder is deprecated and will be removed in a future release.\n            Install the buildx component to build images with BuildKit:\n            https://docs.docker.com/go/buildx/\n\n"},
		{name: "BuildKit asked", env: map[string]string{"DOCKER_BUILDKIT": "1"}, args: []string{"build", "ctx"},
			wantErr: "ERROR: BuildKit is enabled but the buildx component is missing or broken.\n       Install the buildx component to build images with BuildKit:\n       https://docs.docker.com/go/buildx/\n", wantCode: 1},
		{name: "no such folder", env: classic, args: []string{"build", "nosuch"},
			wantErr: "unable to prepare context: path \"nosuch\" not found\n", wantCode: 1},
		{name: "failing RUN", env: classic, stdin: "FROM busybox\nRUN exit 3\n", args: []string{"build", "-"},
			wantErr: "The command '/bin/sh -c exit 3' returned a non-zero code: 3\n", wantCode: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := run(tt.env, tt.stdin, tt.args...)
			if code != tt.wantCode {
				t.Errorf("got exit %d, want %d (stderr %q)", code, tt.wantCode, errOut)
			}
			for _, w := range strings.Split(tt.wantOut, "|") {
				if !strings.Contains(out, w) {
					t.Errorf("got stdout\n%q\nwant it to hold %q", out, w)
				}
			}
			if !strings.HasSuffix(errOut, tt.wantErr) && !strings.HasPrefix(errOut, tt.wantErr) {
				t.Errorf("got stderr %q, want %q", errOut, tt.wantErr)
			}
		})
	}
	if iid, ok := m["root/iid"]; !ok || !strings.HasPrefix(string(iid.Data), "sha256:") {
		t.Errorf("got --iidfile %v, want the image ID written to the client's files", iid)
	}
}
