package build_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"strings"
	"testing"
	"testing/fstest"
	"time"

	units "github.com/docker/go-units"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/jsonstream"

	"github.com/twinbox-dev/twinbox/shared/api/wire"
	"github.com/twinbox-dev/twinbox/shared/build/buildcontext"
	"github.com/twinbox-dev/twinbox/shared/engine"
)

var update = flag.Bool("update", false, "rewrite the want sections of testdata/cases")

// TestCases runs testdata/cases/*.txtar on the simulator. Each case is a
// build context (its files; NAME.b64 files are base64 of binary NAME) and
// commands in the comment:
//
//	build [-t T] [-f F] [--build-arg K=V] [--target S] [--label K=V] [--no-cache] [--rm=false] [--force-rm]
//	history IMAGE   (docker history --no-trunc --format '{{.CreatedBy}}|{{.Size}}')
//	run IMAGE [ARG...]  (docker run --rm)
//
// The want section holds what they printed against dockerd 20.10.24 with
// the docker CLI 28.2.2 (recorded with DOCKER_BUILDKIT=0, the CLI's own
// lines dropped, 12-hex IDs as <id>), each followed by "[exit N]". With
// -update the want sections are rewritten with what twinbox prints.
func TestCases(t *testing.T) {
	names, err := filepath.Glob("testdata/cases/*.txtar")
	if err != nil || len(names) == 0 {
		t.Fatalf("no cases: %v", err)
	}
	for _, name := range names {
		t.Run(strings.TrimSuffix(filepath.Base(name), ".txtar"), func(t *testing.T) {
			ar, err := parseTxtar(name)
			if err != nil {
				t.Fatal(err)
			}
			got := runCase(t, ar)
			var want []byte
			for i, f := range ar.Files {
				if f.Name == "want" {
					want = f.Data
					if *update {
						ar.Files[i].Data = []byte(got)
					}
				}
			}
			if *update {
				if err := os.WriteFile(name, ar.format(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if got != string(want) {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
		})
	}
}

// runCase runs a case's commands on a fresh simulator and returns the
// transcript.
func runCase(t *testing.T, ar *archive) string {
	e := simEngine(t)
	fsys := fstest.MapFS{}
	mtime := time.Unix(1795432144, 0)
	for _, f := range ar.Files {
		if f.Name == "want" {
			continue
		}
		name, data := f.Name, f.Data
		if n, ok := strings.CutSuffix(name, ".b64"); ok {
			d, err := base64.StdEncoding.DecodeString(string(data))
			if err != nil {
				t.Fatal(err)
			}
			name, data = n, d
		}
		fsys["ctx/"+name] = &fstest.MapFile{Data: data, Mode: 0o644, ModTime: mtime}
		for d := filepath.Dir("ctx/" + name); d != "ctx" && d != "."; d = filepath.Dir(d) {
			fsys[d] = &fstest.MapFile{Mode: fs.ModeDir | 0o755, ModTime: mtime}
		}
	}
	fsys["ctx"] = &fstest.MapFile{Mode: fs.ModeDir | 0o755, ModTime: mtime}
	var out strings.Builder
	for _, line := range strings.Split(string(ar.Comment), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		words := strings.Fields(line)
		fmt.Fprintf(&out, "$ %s\n", line)
		var text string
		var code int
		switch words[0] {
		case "build":
			text, code = caseBuild(t, e, mapFS{fsys}, words[1:])
		case "history":
			text, code = caseHistory(e, words[1])
		case "run":
			text, code = caseRun(t, e, words[1], words[2:]...)
		default:
			t.Fatalf("unknown command %q", line)
		}
		fmt.Fprintf(&out, "%s[exit %d]\n", text, code)
	}
	return out.String()
}

// caseBuild builds as `DOCKER_BUILDKIT=0 docker build ARGS ctx` does and
// returns what the daemon side printed, as the CLI shows it.
func caseBuild(t *testing.T, e *engine.Engine, fsys buildcontext.FS, args []string) (string, int) {
	opts := &wire.ImageBuildOptions{Remove: true}
	dockerfile := "Dockerfile"
	for i := 0; i < len(args); i++ {
		next := func() string { i++; return args[i] }
		switch a := args[i]; {
		case a == "-t":
			opts.Tags = append(opts.Tags, next())
		case a == "-f":
			dockerfile = next()
		case a == "--build-arg":
			k, v, _ := strings.Cut(next(), "=")
			if opts.BuildArgs == nil {
				opts.BuildArgs = map[string]*string{}
			}
			opts.BuildArgs[k] = &v
		case a == "--label":
			k, v, _ := strings.Cut(next(), "=")
			if opts.Labels == nil {
				opts.Labels = map[string]string{}
			}
			opts.Labels[k] = v
		case a == "--target":
			opts.Target = next()
		case a == "--no-cache":
			opts.NoCache = true
		case a == "--rm=false":
			opts.Remove = false
		case a == "--force-rm":
			opts.ForceRemove, opts.Remove = true, true
		default:
			t.Fatalf("unknown build flag %q", a)
		}
	}
	opts.Dockerfile = dockerfile
	excludes, err := buildcontext.ReadDockerignore(fsys, "/ctx")
	if err != nil {
		t.Fatal(err)
	}
	excludes = buildcontext.TrimBuildFilesFromExcludes(excludes, dockerfile, false)
	var tb bytes.Buffer
	if err := buildcontext.Write(&tb, fsys, "/ctx", excludes); err != nil {
		t.Fatal(err)
	}
	res := doBuild(t, e, tb.Bytes(), opts)
	text := normalise(res.out)
	if res.err == nil {
		return text, 0
	}
	code := 1
	var je *jsonstream.Error
	if errors.As(res.err, &je) && je.Code != 0 {
		code = je.Code
	}
	if len(res.raw) == 0 {
		return text + "Error response from daemon: " + res.errMsg + "\n", code
	}
	return text + res.errMsg + "\n", code
}

func caseHistory(e *engine.Engine, img string) (string, int) {
	hist, err := e.ImageHistory(context.Background(), img)
	if err != nil {
		return "Error response from daemon: " + err.Error() + "\n", 1
	}
	var b strings.Builder
	for _, h := range hist {
		fmt.Fprintf(&b, "%s|%s\n", h.CreatedBy, units.HumanSizeWithPrecision(float64(h.Size), 3))
	}
	return b.String(), 0
}

func caseRun(t *testing.T, e *engine.Engine, img string, args ...string) (string, int) {
	ctx := context.Background()
	resp, err := e.ContainerCreate(ctx, engine.CreateOptions{Config: &container.Config{Image: img, Cmd: args}})
	if err != nil {
		return "docker: Error response from daemon: " + err.Error() + "\n", 125
	}
	defer e.ContainerRemove(ctx, resp.ID, engine.RemoveOptions{Force: true, RemoveVolumes: true})
	wait, err := e.ContainerWait(ctx, resp.ID, container.WaitConditionNextExit)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.ContainerStart(ctx, resp.ID); err != nil {
		return "docker: Error response from daemon: " + err.Error() + "\n", 127
	}
	w := <-wait
	ch, _, err := e.ContainerLogs(ctx, resp.ID, engine.LogsOptions{Stdout: true, Stderr: true})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for m := range ch {
		b.Write(m.Line)
	}
	return b.String(), int(w.StatusCode)
}

// archive is a txtar file: a comment, then files introduced by
// "-- NAME --" lines.
type archive struct {
	Comment []byte
	Files   []archiveFile
}

type archiveFile struct {
	Name string
	Data []byte
}

func parseTxtar(name string) (*archive, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	ar := &archive{}
	cur := &ar.Comment
	for _, line := range strings.SplitAfter(string(data), "\n") {
		if n, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), "-- "); ok && strings.HasSuffix(n, " --") {
			ar.Files = append(ar.Files, archiveFile{Name: strings.TrimSuffix(n, " --")})
			cur = &ar.Files[len(ar.Files)-1].Data
			continue
		}
		*cur = append(*cur, line...)
	}
	return ar, nil
}

func (ar *archive) format() []byte {
	var b bytes.Buffer
	b.Write(ar.Comment)
	for _, f := range ar.Files {
		fmt.Fprintf(&b, "-- %s --\n", f.Name)
		b.Write(f.Data)
	}
	return b.Bytes()
}
