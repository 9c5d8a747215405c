// Package build is the classic Dockerfile builder, the one dockerd 20.10
// runs for `DOCKER_BUILDKIT=0 docker build`, written once over the engine
// so that the simulator and the native backend build identically.
//
// For each step it does what dockerd does: metadata instructions (ENV,
// LABEL, CMD, ...) create a container from the current configuration and
// commit it as an image with an empty layer; RUN creates a container,
// runs the command in it with its output in the build's stream, and
// commits its changes; COPY and ADD copy files from the build context (or
// an earlier stage) into a read-write layer on the current image and
// commit it. Each image records the step in its history and its parent,
// and a step whose parent and configuration (for COPY and ADD: the files'
// hashes) match an existing child image is taken from the cache.
//
// Wire it as the router's build hook:
//
//	h := server.New(e, server.Options{Build: build.New(e).Build})
//
// The output is the JSON message stream dockerd 20.10 sends: one "stream"
// message per write of its builder ("Step 1/12 : FROM busybox", "\n",
// " ---> 904f20f6868d\n"), a RUN's standard error in red
// ("\x1b[91m...\x1b[0m"), an "aux" message with the image ID at the end
// of each stage, then "Successfully built" and "Successfully tagged".
package build

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/distribution/reference"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/moby/api/types/jsonstream"

	"github.com/twinbox-dev/twinbox/shared/api/wire"
	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/build/buildcontext"
	"github.com/twinbox-dev/twinbox/shared/build/dockerfile"
	"github.com/twinbox-dev/twinbox/shared/engine"
)

// DefaultDockerfile is the Dockerfile's name when the request names none.
const DefaultDockerfile = "Dockerfile"

// Builder builds images from Dockerfiles on an engine. Its methods are safe
// for concurrent use.
type Builder struct {
	e *engine.Engine
}

// New returns a builder over e.
func New(e *engine.Engine) *Builder { return &Builder{e: e} }

// Build runs POST /build: it reads the build context tar (possibly
// compressed), builds the Dockerfile opts names in it, tags the image and
// returns its ID. Progress gets the build's output. Errors before any
// output (a bad tag, a bad context, a Dockerfile that does not parse) are
// the request's; later ones end the stream. A failing RUN returns a
// *jsonstream.Error carrying the command's exit code.
func (b *Builder) Build(ctx context.Context, buildContext io.Reader, opts *wire.ImageBuildOptions, progress engine.ProgressFunc) (string, error) {
	if opts == nil {
		opts = &wire.ImageBuildOptions{}
	}
	out := &output{progress: progress}
	if opts.Version == "2" {
		return "", backend.Errorf(backend.InvalidParameter, "BuildKit is not supported by this daemon: build with DOCKER_BUILDKIT=0")
	}
	tags, err := sanitizeTags(opts.Tags)
	if err != nil {
		return "", err
	}
	if opts.RemoteContext != "" {
		return "", remoteContextError(opts.RemoteContext)
	}
	name := opts.Dockerfile
	if name == "" {
		name = DefaultDockerfile
	}
	src, err := buildcontext.Read(buildContext)
	if err != nil {
		return "", err
	}
	df, name, err := readDockerfile(src, name)
	if err != nil {
		return "", err
	}
	stages := df.Stages
	if opts.Target != "" {
		i, ok := instructions.HasStage(stages, opts.Target)
		if !ok {
			return "", backend.Errorf(backend.InvalidParameter, "failed to reach build target %s in Dockerfile", opts.Target)
		}
		stages = stages[:i+1]
	}
	if len(opts.Labels) > 0 && len(stages) > 0 {
		last := &stages[len(stages)-1]
		for _, k := range sortedKeys(opts.Labels) {
			last.AddCommand(instructions.NewLabelCommand(k, opts.Labels[k], true))
		}
	}
	if df.Warnings != "" {
		out.stderr(df.Warnings)
	}
	r := newRun(ctx, b.e, opts, src, out, df.EscapeToken)
	defer r.release()
	state, err := r.dispatchAll(stages, df.MetaArgs)
	if err != nil {
		return "", err
	}
	if state.imageID == "" {
		return "", fmt.Errorf("No image was generated. Is your Dockerfile empty?")
	}
	id := state.imageID
	out.printf("Successfully built %s\n", shortID(id))
	for _, ref := range tags {
		tag := ""
		if t, ok := ref.(reference.Tagged); ok {
			tag = t.Tag()
		}
		if err := b.e.ImageTag(ctx, id, reference.FamiliarName(ref), tag); err != nil {
			return id, err
		}
		out.printf("Successfully tagged %s\n", reference.FamiliarString(ref))
	}
	return id, nil
}

// sanitizeTags reads the -t values as dockerd's tagger does: normalised,
// "latest" added, duplicates dropped. Errors: the reference library's
// text; "build tag cannot contain a digest".
func sanitizeTags(names []string) ([]reference.Named, error) {
	var out []reference.Named
	seen := map[string]bool{}
	for _, n := range names {
		if n == "" {
			continue
		}
		ref, err := reference.ParseNormalizedNamed(n)
		if err != nil {
			return nil, backend.WithCode(backend.InvalidParameter, err)
		}
		if _, ok := ref.(reference.Canonical); ok {
			return nil, backend.Errorf(backend.InvalidParameter, "build tag cannot contain a digest")
		}
		ref = reference.TagNameOnly(ref)
		if !seen[ref.String()] {
			seen[ref.String()] = true
			out = append(out, ref)
		}
	}
	return out, nil
}

// remoteContextError is what a machine without network says to a build
// whose context is a URL or a Git repository.
func remoteContextError(remote string) error {
	if remote == "client-session" {
		return backend.Errorf(backend.InvalidParameter, "experimental session with v1 builder is no longer supported, use builder version v2 (BuildKit) instead")
	}
	host := remote
	if i := strings.Index(host, "://"); i >= 0 {
		host = host[i+3:]
	}
	if i := strings.IndexAny(host, "/:"); i >= 0 {
		host = host[:i]
	}
	return backend.Errorf(backend.Unavailable, "error downloading remote context %s: Get %q: dial tcp: lookup %s: no such host", remote, remote, host)
}

// readDockerfile finds, reads and parses the Dockerfile in the context as
// dockerd does (falling back to "dockerfile" for the default name), then
// drops it and .dockerignore from the context if .dockerignore excludes
// them. It returns the name it used.
func readDockerfile(src *buildcontext.Context, name string) (*dockerfile.Dockerfile, string, error) {
	data, err := src.ReadFile(name)
	if err != nil && name == DefaultDockerfile {
		if d, err2 := src.ReadFile(strings.ToLower(name)); err2 == nil {
			data, err, name = d, nil, strings.ToLower(name)
		}
	}
	if err != nil {
		return nil, name, backend.Errorf(backend.Internal, "Cannot locate specified Dockerfile: %s", name)
	}
	df, err := dockerfile.Parse(strings.NewReader(string(data)), name)
	if err != nil {
		return nil, name, err
	}
	if ignore, err := src.ReadFile(".dockerignore"); err == nil {
		patterns, err := buildcontext.ParseDockerignore(strings.NewReader(string(ignore)))
		if err != nil {
			return nil, name, err
		}
		for _, f := range []string{".dockerignore", name} {
			if buildcontext.Matches(f, patterns) {
				src.Remove(f)
			}
		}
	}
	return df, name, nil
}

// output writes the build's JSON message stream: every call is one
// message, as every write of dockerd's builder is.
type output struct {
	mu       sync.Mutex
	progress engine.ProgressFunc
}

func (o *output) send(m jsonstream.Message) {
	if o.progress == nil {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.progress(m)
}

// print writes s as a "stream" message.
func (o *output) print(s string) { o.send(jsonstream.Message{Stream: s}) }

func (o *output) printf(format string, args ...any) { o.print(fmt.Sprintf(format, args...)) }

// stderr writes s as dockerd's error-stream formatter does: in red.
func (o *output) stderr(s string) { o.print("\x1b[91m" + s + "\x1b[0m") }

// aux writes the {"ID": ...} message that ends a stage.
func (o *output) aux(id string) {
	data, _ := json.Marshal(struct{ ID string }{id})
	raw := json.RawMessage(data)
	o.send(jsonstream.Message{Aux: &raw})
}

// lineWriter passes a container's output to the build's stream, in red
// for the error stream: complete lines as one message each write, what is
// left of a line when Flush is called. dockerd sends what each read of the
// container's pipe returned; a program's small writes of one line (busybox
// writes "/bin/sh: ", the name and the reason apart) reach it as one read,
// and line buffering gives that on every backend.
type lineWriter struct {
	o      *output
	stderr bool
	mu     sync.Mutex
	buf    []byte
}

// maxChunk is the most one message holds, the size of dockerd's reads.
const maxChunk = 32 << 10

func (o *output) writer(stderr bool) *lineWriter { return &lineWriter{o: o, stderr: stderr} }

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	if i := bytes.LastIndexByte(w.buf, '\n'); i >= 0 {
		w.emit(w.buf[:i+1])
		w.buf = append(w.buf[:0], w.buf[i+1:]...)
	}
	for len(w.buf) >= maxChunk {
		w.emit(w.buf[:maxChunk])
		w.buf = append(w.buf[:0], w.buf[maxChunk:]...)
	}
	return len(p), nil
}

// Flush sends what is left.
func (w *lineWriter) Flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 {
		w.emit(w.buf)
		w.buf = w.buf[:0]
	}
}

func (w *lineWriter) emit(p []byte) {
	if w.stderr {
		w.o.stderr(string(p))
	} else {
		w.o.print(string(p))
	}
}

// shortID is an ID's 12-character form, as stringid.TruncateID.
func shortID(id string) string {
	if i := strings.IndexByte(id, ':'); i >= 0 {
		id = id[i+1:]
	}
	if len(id) > 12 {
		id = id[:12]
	}
	return id
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
