package build_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/jsonstream"

	"github.com/twinbox-dev/twinbox/shared/api/wire"
	"github.com/twinbox-dev/twinbox/shared/build"
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

func TestScenario04OnSim(t *testing.T) {
	e := simEngine(t)
	res := doBuild(t, e, greetContext(t), &wire.ImageBuildOptions{Tags: []string{"greet"}, Remove: true})
	if res.err != nil {
		t.Fatalf("build: %v\n%s", res.err, res.out)
	}
	t.Logf("%s", res.out)
	hist, err := e.ImageHistory(context.Background(), "greet")
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hist {
		t.Logf("%s|%d", h.CreatedBy, h.Size)
	}
	res2 := doBuild(t, e, greetContext(t), &wire.ImageBuildOptions{Tags: []string{"greet"}, Remove: true})
	t.Logf("%s", res2.out)
	var aux []string
	for _, m := range res.raw {
		if m.Aux != nil {
			aux = append(aux, string(*m.Aux))
		}
	}
	sort.Strings(aux)
	b, _ := json.Marshal(aux)
	t.Logf("aux %s", b)
}
