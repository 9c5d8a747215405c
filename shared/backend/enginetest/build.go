package enginetest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/jsonstream"

	"github.com/twinbox-dev/twinbox/shared/api/wire"
	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/build"
	"github.com/twinbox-dev/twinbox/shared/engine"
)

func init() {
	register("BuildLayersHistoryCache", testBuildCache)
	register("BuildMultiStage", testBuildMultiStage)
	register("BuildOnbuild", testBuildOnbuild)
	register("BuildAddArchive", testBuildAddArchive)
	register("BuildDockerignoreAndCopy", testBuildCopy)
	register("BuildParseErrors", testBuildParseErrors)
	register("BuildFailingRun", testBuildFailingRun)
	register("BuildHostileContext", testBuildHostileContext)
}

// buildFile is one entry of a test build context: a regular file, a
// directory (name ending in "/"), or a symlink ("name -> target").
type buildFile struct {
	name, data string
	mode       int64
}

// contextTar makes a build context as docker CLI 28 does: permission
// bits only, owner 0:0 without names, whole-second times.
func contextTar(t *testing.T, files ...buildFile) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	mtime := time.Unix(1795432144, 0)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Mode: f.mode, ModTime: mtime, Format: tar.FormatPAX, Typeflag: tar.TypeReg, Size: int64(len(f.data))}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		switch {
		case strings.Contains(f.name, " -> "):
			h.Name, h.Linkname, _ = strings.Cut(f.name, " -> ")
			h.Typeflag, h.Size, h.Mode = tar.TypeSymlink, 0, 0o777
		case strings.HasSuffix(f.name, "/"):
			h.Typeflag, h.Size = tar.TypeDir, 0
			if f.mode == 0 {
				h.Mode = 0o755
			}
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			tw.Write([]byte(f.data))
		}
	}
	tw.Close()
	return buf.Bytes()
}

// buildResult is a build's output (the "stream" messages concatenated),
// image and error.
type buildResult struct {
	id       string
	out      string
	messages int
	err      error
}

func (f *fixture) build(ctxTar []byte, opts *wire.ImageBuildOptions) buildResult {
	f.t.Helper()
	if opts == nil {
		opts = &wire.ImageBuildOptions{Remove: true}
	}
	var r buildResult
	var out strings.Builder
	r.id, r.err = build.New(f.e).Build(f.ctx, bytes.NewReader(ctxTar), opts, func(m jsonstream.Message) {
		r.messages++
		out.WriteString(m.Stream)
	})
	r.out = out.String()
	return r
}

// historyRows returns an image's history as "created_by|size" lines, newest
// first.
func (f *fixture) historyRows(img string) []string {
	f.t.Helper()
	hist, err := f.e.ImageHistory(f.ctx, img)
	if err != nil {
		f.t.Fatalf("history %s: %v", img, err)
	}
	var rows []string
	for _, h := range hist {
		rows = append(rows, fmt.Sprintf("%s|%d", h.CreatedBy, h.Size))
	}
	return rows
}

// runImage runs a container of img and returns its exit code and output.
func (f *fixture) runImage(img string, cmd ...string) (int, string) {
	f.t.Helper()
	id := f.create("", &container.Config{Image: img, Cmd: cmd}, nil)
	defer f.e.ContainerRemove(f.ctx, id, engine.RemoveOptions{Force: true, RemoveVolumes: true})
	code := f.startWait(id)
	return code, f.logs(id, engine.LogsOptions{Stdout: true, Stderr: true})
}

const greetDockerfile = "FROM busybox\nLABEL owner=ann\nENV APP=/app\nARG V=1\nRUN mkdir $APP && echo v$V > $APP/version\nCOPY greet.sh /usr/bin/greet\nWORKDIR $APP\nEXPOSE 8080\nVOLUME /data\nUSER nobody\nENTRYPOINT [\"/usr/bin/greet\"]\nCMD [\"world\"]\n"

// testBuildCache builds the reference scenario 04's image: every step a
// layer or an empty_layer row with the classic builder's texts, the COPY
// hash of the docker CLI's context, the cache on a rebuild, and the
// first changed step ending it.
func testBuildCache(t *testing.T, f *fixture) {
	script := "#!/bin/sh\necho hello $1 from $(cat version)\n"
	ctx := func(script string) []byte {
		return contextTar(t, buildFile{name: "Dockerfile", data: greetDockerfile}, buildFile{name: "greet.sh", data: script, mode: 0o755})
	}
	r := f.build(ctx(script), &wire.ImageBuildOptions{Tags: []string{"greet"}, Remove: true})
	if r.err != nil {
		t.Fatalf("build: %v\n%s", r.err, r.out)
	}
	if got := strings.Count(r.out, " ---> Running in "); got != 10 {
		t.Errorf("got %d intermediate containers, want 10 (every step but FROM and COPY)", got)
	}
	if got := strings.Count(r.out, "Removing intermediate container "); got != 10 {
		t.Errorf("got %d removed containers, want 10", got)
	}
	if !strings.HasSuffix(r.out, "Successfully built "+shortID(r.id)+"\nSuccessfully tagged greet:latest\n") {
		t.Errorf("got output ending %q, want Successfully built/tagged", tail(r.out, 80))
	}
	want := []string{
		`/bin/sh -c #(nop)  CMD ["world"]|0`,
		`/bin/sh -c #(nop)  ENTRYPOINT ["/usr/bin/greet"]|0`,
		`/bin/sh -c #(nop)  USER nobody|0`,
		`/bin/sh -c #(nop)  VOLUME [/data]|0`,
		`/bin/sh -c #(nop)  EXPOSE 8080|0`,
		`/bin/sh -c #(nop) WORKDIR /app|0`,
		`/bin/sh -c #(nop) COPY file:a050715fdda2e69356bbaf3117272fd4f67d16c933b1ab395a76bf811e7b62db in /usr/bin/greet |44`,
		`|1 V=1 /bin/sh -c mkdir $APP && echo v$V > $APP/version|3`,
		`/bin/sh -c #(nop)  ARG V=1|0`,
		`/bin/sh -c #(nop)  ENV APP=/app|0`,
		`/bin/sh -c #(nop)  LABEL owner=ann|0`,
	}
	rows := f.historyRows("greet")
	if len(rows) != len(want)+2 || strings.Join(rows[:len(want)], "\n") != strings.Join(want, "\n") {
		t.Errorf("history:\ngot\n%s\nwant (then busybox's two rows)\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}
	hist, _ := f.e.ImageHistory(f.ctx, "greet")
	for i, h := range hist[:len(want)] {
		if h.ID == "<missing>" {
			t.Errorf("history row %d: got <missing>, want the step's image ID (parent chain)", i+1)
		}
	}
	for _, tc := range []struct{ args, want string }{{"", "hello world from v1\n"}, {"learners", "hello learners from v1\n"}} {
		var cmd []string
		if tc.args != "" {
			cmd = []string{tc.args}
		}
		if code, out := f.runImage("greet", cmd...); code != 0 || out != tc.want {
			t.Errorf("run greet %s: got %d %q, want 0 %q", tc.args, code, out, tc.want)
		}
	}
	ins, err := f.e.ImageInspect(f.ctx, "greet")
	if err != nil {
		t.Fatal(err)
	}
	c := ins.Config
	if got := fmt.Sprintf("%s %s %v %v %v", c.User, c.WorkingDir, c.ExposedPorts, c.Volumes, c.Labels); got != "nobody /app map[8080/tcp:{}] map[/data:{}] map[owner:ann]" {
		t.Errorf("config: got %q", got)
	}

	again := f.build(ctx(script), &wire.ImageBuildOptions{Tags: []string{"greet"}, Remove: true})
	if again.err != nil || again.id != r.id {
		t.Fatalf("rebuild: got %s, %v; want the same image %s", again.id, again.err, r.id)
	}
	if got := strings.Count(again.out, " ---> Using cache\n"); got != 11 {
		t.Errorf("rebuild: got %d cached steps, want 11:\n%s", got, again.out)
	}
	if strings.Contains(again.out, "Running in") {
		t.Errorf("rebuild: got a container, want none:\n%s", again.out)
	}

	changed := f.build(ctx(script+"# change\n"), &wire.ImageBuildOptions{Tags: []string{"greet"}, Remove: true})
	if changed.err != nil || changed.id == r.id {
		t.Fatalf("changed build: got %s, %v; want a new image", changed.id, changed.err)
	}
	if got := strings.Count(changed.out, " ---> Using cache\n"); got != 4 {
		t.Errorf("changed build: got %d cached steps, want 4 (before the COPY)", got)
	}
	arg := f.build(ctx(script), &wire.ImageBuildOptions{Tags: []string{"greet2"}, Remove: true, BuildArgs: map[string]*string{"V": strPtr("2")}})
	if got := strings.Count(arg.out, " ---> Using cache\n"); arg.err != nil || got != 3 {
		t.Errorf("--build-arg V=2: got %d cached steps, %v; want 3", got, arg.err)
	}
	if code, out := f.runImage("greet2"); code != 0 || out != "hello world from v2\n" {
		t.Errorf("run greet2: got %d %q", code, out)
	}
	nocache := f.build(ctx(script), &wire.ImageBuildOptions{Remove: true, NoCache: true})
	if nocache.err != nil || strings.Contains(nocache.out, "Using cache") {
		t.Errorf("--no-cache: got %v and cached steps:\n%s", nocache.err, nocache.out)
	}
	f.noContainersLeft()
}

func strPtr(s string) *string { return &s }

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func shortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// noContainersLeft checks that the build removed its intermediate
// containers.
func (f *fixture) noContainersLeft() {
	f.t.Helper()
	list, err := f.e.Containers(f.ctx, engine.ListOptions{All: true})
	if err != nil {
		f.t.Fatal(err)
	}
	if len(list) != 0 {
		f.t.Errorf("got %d containers left after the builds, want none", len(list))
	}
}

func testBuildMultiStage(t *testing.T, f *fixture) {
	df := "FROM busybox AS one\nRUN mkdir /out && echo built > /out/artifact\n" +
		"FROM busybox AS two\nCOPY --from=one /out/artifact /artifact\nCOPY --from=0 /out /outdir\nRUN cat /artifact && ls /outdir\n"
	r := f.build(contextTar(t, buildFile{name: "Dockerfile", data: df}), &wire.ImageBuildOptions{Tags: []string{"multi"}, Remove: true})
	if r.err != nil {
		t.Fatalf("build: %v\n%s", r.err, r.out)
	}
	if !strings.Contains(r.out, "\nbuilt\nartifact\n") {
		t.Errorf("got output\n%s\nwant the artifact's content and the copied folder's listing", r.out)
	}
	if code, out := f.runImage("multi", "cat", "/outdir/artifact"); code != 0 || out != "built\n" {
		t.Errorf("run multi: got %d %q", code, out)
	}
	if rows := f.historyRows("multi"); len(rows) != 5 || !strings.HasPrefix(rows[1], "/bin/sh -c #(nop) COPY dir:") || !strings.HasPrefix(rows[2], "/bin/sh -c #(nop) COPY file:") {
		t.Errorf("history: got\n%s\nwant RUN, COPY dir:, COPY file: on busybox's two rows", strings.Join(rows, "\n"))
	}
	target := f.build(contextTar(t, buildFile{name: "Dockerfile", data: df}), &wire.ImageBuildOptions{Remove: true, Target: "one"})
	if target.err != nil || strings.Contains(target.out, "Step 3/") || !strings.Contains(target.out, "Step 2/2 :") {
		t.Errorf("--target one: got %v\n%s\nwant two steps", target.err, target.out)
	}
	bad := f.build(contextTar(t, buildFile{name: "Dockerfile", data: df}), &wire.ImageBuildOptions{Remove: true, Target: "three"})
	wantErr(t, "--target three", bad.err, backend.InvalidParameter, "failed to reach build target three in Dockerfile")
	f.noContainersLeft()
}

func testBuildOnbuild(t *testing.T, f *fixture) {
	base := contextTar(t, buildFile{name: "Dockerfile", data: "FROM busybox\nONBUILD RUN echo triggered > /trig\nONBUILD COPY f /f\n"})
	if r := f.build(base, &wire.ImageBuildOptions{Tags: []string{"onbase"}, Remove: true}); r.err != nil {
		t.Fatalf("base: %v\n%s", r.err, r.out)
	}
	ins, err := f.e.ImageInspect(f.ctx, "onbase")
	if err != nil || strings.Join(ins.Config.OnBuild, ";") != "RUN echo triggered > /trig;COPY f /f" {
		t.Fatalf("onbase triggers: got %v, %v", ins.Config.OnBuild, err)
	}
	child := contextTar(t, buildFile{name: "Dockerfile", data: "FROM onbase\nRUN cat /trig /f\n"}, buildFile{name: "f", data: "fcontent\n"})
	r := f.build(child, &wire.ImageBuildOptions{Tags: []string{"onchild"}, Remove: true})
	if r.err != nil {
		t.Fatalf("child: %v\n%s", r.err, r.out)
	}
	if !strings.Contains(r.out, "Step 1/2 : FROM onbase\n# Executing 2 build triggers\n ---> Running in ") || !strings.Contains(r.out, "\ntriggered\nfcontent\n") {
		t.Errorf("child output:\n%s\nwant the triggers run and their files", r.out)
	}
	ins, err = f.e.ImageInspect(f.ctx, "onchild")
	if err != nil || len(ins.Config.OnBuild) != 0 {
		t.Errorf("onchild: got triggers %v, %v; want none (they do not pass on)", ins.Config.OnBuild, err)
	}
}

func testBuildAddArchive(t *testing.T, f *fixture) {
	var raw bytes.Buffer
	tw := tar.NewWriter(&raw)
	tw.WriteHeader(&tar.Header{Name: "d/", Typeflag: tar.TypeDir, Mode: 0o750})
	tw.WriteHeader(&tar.Header{Name: "d/a", Typeflag: tar.TypeReg, Mode: 0o640, Size: 2, Uid: 1000, Gid: 1000})
	tw.Write([]byte("a\n"))
	tw.Close()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(raw.Bytes())
	zw.Close()
	df := "FROM busybox\nADD a.tgz /x/\nCOPY a.tgz /y/\nRUN stat -c '%u:%g %a %n' /x/d /x/d/a && ls /y\n"
	r := f.build(contextTar(t, buildFile{name: "Dockerfile", data: df}, buildFile{name: "a.tgz", data: gz.String()}), nil)
	if r.err != nil {
		t.Fatalf("build: %v\n%s", r.err, r.out)
	}
	if want := "\n0:0 750 /x/d\n1000:1000 640 /x/d/a\na.tgz\n"; !strings.Contains(r.out, want) {
		t.Errorf("got output\n%s\nwant it to hold %q (ADD extracts keeping owners, COPY does not extract)", r.out, want)
	}
	url := f.build(contextTar(t, buildFile{name: "Dockerfile", data: "FROM busybox\nADD http://example.com/x /x\n"}), nil)
	if url.err == nil || !strings.HasPrefix(url.err.Error(), `ADD failed: Get "http://example.com/x": dial tcp: lookup example.com`) {
		t.Errorf("ADD of a URL: got %v, want the lookup failure of a machine without network", url.err)
	}
}

func testBuildCopy(t *testing.T, f *fixture) {
	ctx := contextTar(t,
		buildFile{name: ".dockerignore", data: "Dockerfile\n.dockerignore\n"},
		buildFile{name: "Dockerfile", data: "FROM busybox\nCOPY . /c/\nCOPY --chown=nobody:nogroup sub /d\nCOPY sub/*.txt link /e/\nRUN find /c | sort && stat -c '%u:%g %n' /d /d/a.txt /e/a.txt && cat /e/link\n"},
		buildFile{name: "sub/"},
		buildFile{name: "sub/a.txt", data: "a\n"},
		buildFile{name: "top", data: "t\n"},
		buildFile{name: "link -> /top"},
	)
	r := f.build(ctx, nil)
	if r.err != nil {
		t.Fatalf("build: %v\n%s", r.err, r.out)
	}
	want := "\n/c\n/c/link\n/c/sub\n/c/sub/a.txt\n/c/top\n65534:65534 /d\n65534:65534 /d/a.txt\n0:0 /e/a.txt\nt\n"
	if !strings.Contains(r.out, want) {
		t.Errorf("got output\n%s\nwant it to hold\n%s", r.out, want)
	}
	missing := f.build(contextTar(t, buildFile{name: "Dockerfile", data: "FROM busybox\nCOPY nope /x\n"}), nil)
	if missing.err == nil || missing.err.Error() != "COPY failed: file not found in build context or excluded by .dockerignore: stat nope: file does not exist" {
		t.Errorf("COPY nope: got %v", missing.err)
	}
	outside := f.build(contextTar(t, buildFile{name: "Dockerfile", data: "FROM busybox\nCOPY ../x /x\n"}), nil)
	if outside.err == nil || outside.err.Error() != "COPY failed: forbidden path outside the build context: ../x ()" {
		t.Errorf("COPY ../x: got %v", outside.err)
	}
	f.noContainersLeft()
}

// testBuildParseErrors checks that a Dockerfile that does not parse fails
// before any output, with Docker's message, and leaves nothing behind.
func testBuildParseErrors(t *testing.T, f *fixture) {
	before, _ := f.e.Images(f.ctx, engine.ImageListOptions{All: true})
	for _, tc := range []struct{ dockerfile, want string }{
		{"FROM busybox\nBOGUS x\n", "dockerfile parse error line 2: unknown instruction: BOGUS"},
		{"RUN echo hi\n", "no build stage in current context"},
		{"", "the Dockerfile (Dockerfile) cannot be empty"},
		{"FROM busybox\nCOPY --link a /b\n", "dockerfile parse error line 2: Unknown flag: link"},
	} {
		r := f.build(contextTar(t, buildFile{name: "Dockerfile", data: tc.dockerfile}), &wire.ImageBuildOptions{Tags: []string{"bad"}, Remove: true})
		if r.err == nil || r.err.Error() != tc.want || r.messages != 0 {
			t.Errorf("%q: got %v after %d messages, want %q before any", tc.dockerfile, r.err, r.messages, tc.want)
		}
	}
	after, _ := f.e.Images(f.ctx, engine.ImageListOptions{All: true})
	if len(after) != len(before) {
		t.Errorf("got %d images, want %d: a failed parse makes none", len(after), len(before))
	}
	f.noContainersLeft()
}

// testBuildFailingRun checks a failing RUN: its error output in red, the
// exit code in the error, no tagged image, and the failed step's container
// kept (removed with --force-rm), as dockerd does.
func testBuildFailingRun(t *testing.T, f *fixture) {
	ctx := contextTar(t, buildFile{name: "Dockerfile", data: "FROM busybox\nRUN echo ok\nRUN nosuchcommand\n"})
	r := f.build(ctx, &wire.ImageBuildOptions{Tags: []string{"failed"}, Remove: true})
	var je *jsonstream.Error
	if !errors.As(r.err, &je) || je.Code != 127 || je.Message != "The command '/bin/sh -c nosuchcommand' returned a non-zero code: 127" {
		t.Fatalf("got %#v, want the classic builder's error with code 127", r.err)
	}
	if !strings.HasSuffix(r.out, "\x1b[91m/bin/sh: nosuchcommand: not found\n\x1b[0m") {
		t.Errorf("got output ending %q, want the shell's error in red", tail(r.out, 60))
	}
	if _, err := f.e.ImageInspect(f.ctx, "failed"); !backend.IsNotFound(err) {
		t.Errorf("inspect failed: got %v, want NotFound (no half-built tagged image)", err)
	}
	list, _ := f.e.Containers(f.ctx, engine.ListOptions{All: true})
	if len(list) != 1 || list[0].State != "exited" {
		t.Errorf("got %d containers, want the failed step's, exited", len(list))
	}
	for _, c := range list {
		f.e.ContainerRemove(f.ctx, c.ID, engine.RemoveOptions{Force: true})
	}
	forced := f.build(ctx, &wire.ImageBuildOptions{Remove: true, ForceRemove: true})
	if forced.err == nil || !strings.Contains(forced.out, "Removing intermediate container") {
		t.Errorf("--force-rm: got %v\n%s", forced.err, forced.out)
	}
	f.noContainersLeft()
}

// testBuildHostileContext sends contexts whose names lead out of the root
// or through symlinks: names are kept inside, links resolved inside.
func testBuildHostileContext(t *testing.T, f *fixture) {
	ctx := contextTar(t,
		buildFile{name: "Dockerfile", data: "FROM busybox\nCOPY evil abs out/passwd /c/\nRUN cat /c/evil /c/abs /c/passwd\n"},
		buildFile{name: "../evil", data: "evil\n"},
		buildFile{name: "/abs", data: "abs\n"},
		buildFile{name: "out -> ../../../../etc"},
		buildFile{name: "etc/passwd", data: "inside\n"},
	)
	r := f.build(ctx, nil)
	if r.err != nil || !strings.Contains(r.out, "\nevil\nabs\ninside\n") {
		t.Errorf("got %v\n%s\nwant the files kept and the link resolved inside the context", r.err, r.out)
	}
	below := contextTar(t, buildFile{name: "Dockerfile", data: "FROM busybox\n"}, buildFile{name: "l -> /tmp"}, buildFile{name: "l/x", data: "x"})
	r = f.build(below, nil)
	if r.err == nil || !strings.HasPrefix(r.err.Error(), "Error processing tar file(exit status 1): ") || r.messages != 0 {
		t.Errorf("entry below a symlink: got %v after %d messages, want an extraction error first", r.err, r.messages)
	}
}
