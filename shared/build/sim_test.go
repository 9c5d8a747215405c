package build_test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	units "github.com/docker/go-units"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/jsonstream"

	"github.com/twinbox-dev/twinbox/shared/api/wire"
	"github.com/twinbox-dev/twinbox/shared/build"
	"github.com/twinbox-dev/twinbox/shared/build/buildcontext"
	"github.com/twinbox-dev/twinbox/shared/cli/formatter"
	"github.com/twinbox-dev/twinbox/shared/engine"
	"github.com/twinbox-dev/twinbox/wasm/sim"
	"github.com/twinbox-dev/twinbox/wasm/sim/applets"
	"github.com/twinbox-dev/twinbox/wasm/sim/applets/busybox"
	"github.com/twinbox-dev/twinbox/wasm/sim/hub"
)

// simEngine returns an engine over a fresh simulator with busybox:latest.
func simEngine(t testing.TB) *engine.Engine {
	t.Helper()
	b := sim.New(sim.Options{
		Registry:     busybox.NewRegistry(),
		HostCommands: sim.Commands("busybox", applets.BusyboxApplets()),
	})
	t.Cleanup(func() { b.Close() })
	ctx := context.Background()
	e, err := engine.New(ctx, b, engine.Options{Registry: hub.New()})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.ImagePull(ctx, "busybox:latest", func(jsonstream.Message) {}); err != nil {
		t.Fatal(err)
	}
	return e
}

// file is one entry of a test context: a regular file unless Mode says a
// directory (fs.ModeDir is not needed: a trailing slash in the name).
type file struct {
	name string
	data string
	mode int64
}

// contextTar makes a build context tar as the docker CLI does (mode bits
// only, owner 0:0, a fixed mtime).
func contextTar(t testing.TB, files ...file) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	mtime := time.Unix(1795432144, 0)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Mode: f.mode, ModTime: mtime, Format: tar.FormatPAX, Typeflag: tar.TypeReg, Size: int64(len(f.data))}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if strings.HasSuffix(f.name, "/") {
			h.Typeflag, h.Size = tar.TypeDir, 0
			if f.mode == 0 {
				h.Mode = 0o755
			}
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		io.WriteString(tw, f.data)
	}
	tw.Close()
	return buf.Bytes()
}

// result is what a build printed, as the docker CLI shows it, and how it
// ended.
type result struct {
	id     string
	out    string // the "stream" messages, concatenated
	err    error
	errMsg string
	raw    []jsonstream.Message
}

func doBuild(t testing.TB, e *engine.Engine, ctxTar []byte, opts *wire.ImageBuildOptions) result {
	t.Helper()
	if opts == nil {
		opts = &wire.ImageBuildOptions{}
	}
	var res result
	var out strings.Builder
	id, err := build.New(e).Build(context.Background(), bytes.NewReader(ctxTar), opts, func(m jsonstream.Message) {
		res.raw = append(res.raw, m)
		out.WriteString(m.Stream)
	})
	res.id, res.err, res.out = id, err, out.String()
	if err != nil {
		res.errMsg = err.Error()
	}
	return res
}

// normalise replaces 12-hex IDs as the reference scenarios' sed does.
func normalise(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if i+12 <= len(s) && isHex(s[i:i+12]) {
			b.WriteString("<id>")
			i += 12
			continue
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

const greetDockerfile = "FROM busybox\nLABEL owner=ann\nENV APP=/app\nARG V=1\nRUN mkdir $APP && echo v$V > $APP/version\nCOPY greet.sh /usr/bin/greet\nWORKDIR $APP\nEXPOSE 8080\nVOLUME /data\nUSER nobody\nENTRYPOINT [\"/usr/bin/greet\"]\nCMD [\"world\"]\n"

const greetScript = "#!/bin/sh\necho hello $1 from $(cat version)\n"

func greetContext(t testing.TB) []byte {
	return contextTar(t, file{name: "Dockerfile", data: greetDockerfile}, file{name: "greet.sh", data: greetScript, mode: 0o755})
}

// step is one command of a reference transcript and what it printed.
type step struct {
	cmd  string
	out  string
	exit int
}

// readTranscript reads a docker-28-cli transcript: "$ command", its output,
// "[exit N]".
func readTranscript(t testing.TB, name string) []step {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var steps []step
	var cur *step
	for _, line := range strings.SplitAfter(string(data), "\n") {
		switch {
		case strings.HasPrefix(line, "$ "):
			steps = append(steps, step{cmd: strings.TrimSuffix(line[2:], "\n")})
			cur = &steps[len(steps)-1]
		case strings.HasPrefix(line, "[exit ") && cur != nil:
			cur.exit, _ = strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(line, "[exit "), "]\n"))
			cur = nil
		case cur != nil:
			cur.out += line
		}
	}
	return steps
}

// daemonPart drops what the docker CLI adds to a build's output (the
// DEPRECATED banner and the upload line) and keeps what the daemon sent.
func daemonPart(out string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(out, "\n") {
		switch {
		case strings.HasPrefix(line, "DEPRECATED:"), strings.HasPrefix(line, "            "),
			line == "\n", strings.HasPrefix(line, "Sending build context"):
			continue
		}
		b.WriteString(line)
	}
	return b.String()
}

// runImage runs a container of image with args and returns what it printed.
func runImage(t testing.TB, e *engine.Engine, img string, args ...string) string {
	t.Helper()
	ctx := context.Background()
	resp, err := e.ContainerCreate(ctx, engine.CreateOptions{Config: &container.Config{Image: img, Cmd: args}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.ContainerRemove(ctx, resp.ID, engine.RemoveOptions{Force: true, RemoveVolumes: true})
	wait, err := e.ContainerWait(ctx, resp.ID, container.WaitConditionNextExit)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.ContainerStart(ctx, resp.ID); err != nil {
		t.Fatal(err)
	}
	<-wait
	ch, _, err := e.ContainerLogs(ctx, resp.ID, engine.LogsOptions{Stdout: true, Stderr: true})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for m := range ch {
		b.Write(m.Line)
	}
	return b.String()
}

// TestScenario04 runs the reference scenario 04-build through the builder
// on the simulator and compares what the daemon side prints with the
// reference transcript (testdata/04-build.txt, docker CLI 28.2.2 against
// dockerd 20.10.24), IDs normalised as the scenario's sed does.
func TestScenario04(t *testing.T) {
	ref := readTranscript(t, "testdata/04-build.txt")
	if len(ref) != 14 {
		t.Fatalf("got %d steps in the reference transcript, want 14", len(ref))
	}
	e := simEngine(t)
	ctx := context.Background()
	opts := func(tags ...string) *wire.ImageBuildOptions {
		return &wire.ImageBuildOptions{Tags: tags, Remove: true}
	}
	files := map[string]string{"Dockerfile": greetDockerfile, "greet.sh": greetScript}
	ctxTar := func() []byte {
		return contextTar(t, file{name: "Dockerfile", data: files["Dockerfile"]}, file{name: "greet.sh", data: files["greet.sh"], mode: 0o755})
	}
	check := func(what, got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("%s: got\n%s\nwant\n%s", what, got, want)
		}
	}

	res := doBuild(t, e, ctxTar(), opts("greet"))
	if res.err != nil {
		t.Fatalf("build: %v\n%s", res.err, res.out)
	}
	check(ref[1].cmd, normalise(res.out), daemonPart(ref[1].out))
	check(ref[2].cmd, runImage(t, e, "greet"), ref[2].out)
	check(ref[3].cmd, runImage(t, e, "greet", "learners"), ref[3].out)

	res = doBuild(t, e, ctxTar(), opts("greet"))
	check(ref[4].cmd, normalise(res.out), daemonPart(ref[4].out))

	hist, err := e.ImageHistory(ctx, "greet")
	if err != nil {
		t.Fatal(err)
	}
	var hb strings.Builder
	for _, h := range hist {
		fmt.Fprintf(&hb, "%s|%s\n", formatter.Ellipsis(h.CreatedBy, 45), units.HumanSizeWithPrecision(float64(h.Size), 3))
	}
	check(ref[5].cmd, hb.String(), ref[5].out)

	// echo '# change' >> ctx/greet.sh; build -q: the COPY and what follows
	// are built again, and -q prints one line, the ID.
	files["greet.sh"] += "# change\n"
	res = doBuild(t, e, ctxTar(), &wire.ImageBuildOptions{Tags: []string{"greet"}, Remove: true, SuppressOutput: true})
	if res.err != nil || !strings.HasPrefix(res.id, "sha256:") {
		t.Errorf("%s: got %q, %v; want an image ID", ref[6].cmd, res.id, res.err)
	}
	if got := strings.Count(res.out, "Using cache"); got != 4 {
		t.Errorf("%s: got %d cached steps, want 4 (up to the changed COPY)", ref[6].cmd, got)
	}

	res = doBuild(t, e, ctxTar(), &wire.ImageBuildOptions{Tags: []string{"greet2"}, Remove: true, BuildArgs: map[string]*string{"V": ptr("2")}})
	check(ref[7].cmd, fmt.Sprintf("%d\n", strings.Count(res.out, "Using cache")), ref[7].out)
	check(ref[8].cmd, runImage(t, e, "greet2"), ref[8].out)

	ins, err := e.ImageInspect(ctx, "greet")
	if err != nil {
		t.Fatal(err)
	}
	c := ins.Config
	check(ref[9].cmd, fmt.Sprintf("%s %s %v %v %v\n", c.User, c.WorkingDir, c.ExposedPorts, c.Volumes, c.Labels), ref[9].out)

	// A failing RUN: its error stream in red, then the error, code 127.
	files["Dockerfile"] = "FROM busybox\nRUN nosuchcommand\n"
	res = doBuild(t, e, ctxTar(), opts())
	var je *jsonstream.Error
	if !errors.As(res.err, &je) || je.Code != 127 {
		t.Errorf("%s: got error %#v, want a JSON error with code 127", ref[10].cmd, res.err)
	}
	check(ref[10].cmd, normalise(res.out)+res.errMsg+"\n", daemonPart(ref[10].out))

	files["Dockerfile"] = "FROM busybox\nBOGUS x\n"
	res = doBuild(t, e, ctxTar(), opts())
	if res.out != "" || len(res.raw) != 0 {
		t.Errorf("%s: got output %q before the error, want none (the error is the HTTP answer)", ref[11].cmd, res.out)
	}
	check(ref[11].cmd, "Error response from daemon: "+res.errMsg+"\n", daemonPart(ref[11].out))

	files["Dockerfile"] = "FROM busybox\nCMD echo shell form\n"
	res = doBuild(t, e, ctxTar(), opts("shellform"))
	if res.err != nil {
		t.Fatal(res.err)
	}
	ins, err = e.ImageInspect(ctx, "shellform")
	if err != nil {
		t.Fatal(err)
	}
	check(ref[12].cmd, daemonPart(ref[12].out), runImage(t, e, "shellform")+fmt.Sprintf("%v\n", ins.Config.Cmd))

	// The last step's context comes from Write, as the CLI makes it.
	mtime := time.Unix(1795432144, 0)
	fsys := fstest.MapFS{}
	for name, data := range map[string]string{
		"ctx/Dockerfile": "FROM busybox\nCOPY . /ctx/\nRUN ls -A /ctx\n", "ctx/greet.sh": files["greet.sh"],
		"ctx/.dockerignore": "node_modules\n*.log\n", "ctx/node_modules/big": "", "ctx/a.log": "", "ctx/keep": "",
	} {
		fsys[name] = &fstest.MapFile{Data: []byte(data), Mode: 0o644, ModTime: mtime}
	}
	var tb bytes.Buffer
	excludes := buildcontext.TrimBuildFilesFromExcludes([]string{"node_modules", "*.log"}, "Dockerfile", false)
	if err := buildcontext.Write(&tb, mapFS{fsys}, "/ctx", excludes); err != nil {
		t.Fatal(err)
	}
	res = doBuild(t, e, tb.Bytes(), &wire.ImageBuildOptions{Remove: true, NoCache: true})
	var kept strings.Builder
	for _, line := range strings.SplitAfter(res.out, "\n") {
		if strings.HasPrefix(line, " --->") || strings.HasPrefix(line, "Step") || strings.Contains(line, "Removing") || strings.Contains(line, "Successfully") || line == "" {
			continue
		}
		kept.WriteString(line)
	}
	check(ref[13].cmd, kept.String(), ref[13].out)
}

func ptr(s string) *string { return &s }

// mapFS is a buildcontext.FS over fstest.MapFS rooted at "/".
type mapFS struct{ m fstest.MapFS }

func (f mapFS) rel(name string) string {
	r := strings.TrimPrefix(path.Clean(name), "/")
	if r == "" {
		return "."
	}
	return r
}

func (f mapFS) Lstat(name string) (fs.FileInfo, error)     { return f.m.Lstat(f.rel(name)) }
func (f mapFS) ReadDir(name string) ([]fs.DirEntry, error) { return fs.ReadDir(f.m, f.rel(name)) }
func (f mapFS) Readlink(name string) (string, error)       { return f.m.ReadLink(f.rel(name)) }
func (f mapFS) Open(name string) (io.ReadCloser, error)    { return f.m.Open(f.rel(name)) }
