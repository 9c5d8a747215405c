package registry

import (
	"bytes"
	"context"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	ggcr "github.com/google/go-containerregistry/pkg/registry"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/jsonstream"

	"github.com/twinbox-dev/twinbox/shared/engine"
	"github.com/twinbox-dev/twinbox/wasm/sim"
	"github.com/twinbox-dev/twinbox/wasm/sim/applets"
	"github.com/twinbox-dev/twinbox/wasm/sim/applets/busybox"
	"github.com/twinbox-dev/twinbox/wasm/sim/hub"
)

// newEngine is a simulated engine with busybox:latest that pulls and
// pushes through Registry.
func newEngine(t *testing.T) *engine.Engine {
	t.Helper()
	ctx := context.Background()
	b := sim.New(sim.Options{Registry: busybox.NewRegistry(), HostCommands: sim.Commands("busybox", applets.BusyboxApplets())})
	e, err := engine.New(ctx, b, engine.Options{Registry: &Registry{}})
	if err != nil {
		t.Fatal(err)
	}
	base, err := hub.Base()
	if err != nil {
		t.Fatal(err)
	}
	var arch bytes.Buffer
	if err := base.WriteArchive(&arch); err != nil {
		t.Fatal(err)
	}
	if err := e.ImageLoad(ctx, &arch, true, func(jsonstream.Message) {}); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestPushPull(t *testing.T) {
	// go-containerregistry's registry, in process on 127.0.0.1 (registry.Logger(nil) panics).
	srv := httptest.NewServer(ggcr.New(ggcr.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	ctx := context.Background()

	e := newEngine(t)
	c, err := e.ContainerCreate(ctx, engine.CreateOptions{Config: &container.Config{Image: "busybox", Cmd: []string{"sh", "-c", "echo pushed > /hello.txt"}}})
	if err != nil {
		t.Fatal(err)
	}
	w, _ := e.ContainerWait(ctx, c.ID, container.WaitConditionNextExit)
	if err := e.ContainerStart(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	<-w
	ref := host + "/hello"
	if _, err := e.Commit(ctx, c.ID, engine.CommitOptions{Repo: ref, Tag: "v1"}); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	progress := func(m jsonstream.Message) { out.WriteString(m.ID + " " + m.Status + "\n") }
	if err := e.ImagePush(ctx, ref, "v1", progress); err != nil {
		t.Fatalf("push: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if lines[0] != "The push refers to repository ["+ref+"]" || !strings.HasPrefix(strings.TrimSpace(lines[len(lines)-1]), "v1: digest: sha256:") {
		t.Errorf("push progress:\n%s", out.String())
	}
	if n := strings.Count(out.String(), "Pushed"); n != 2 {
		t.Errorf("push progress: got %d Pushed lines, want 2:\n%s", n, out.String())
	}
	// A second push finds the layers there.
	out.Reset()
	if err := e.ImagePush(ctx, ref, "v1", progress); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), "Layer already exists"); n != 2 {
		t.Errorf("second push: got %d 'Layer already exists', want 2:\n%s", n, out.String())
	}

	// A fresh engine pulls it and runs it.
	e2 := newEngine(t)
	out.Reset()
	if err := e2.ImagePull(ctx, ref+":v1", progress); err != nil {
		t.Fatalf("pull: %v", err)
	}
	if !strings.Contains(out.String(), "Status: Downloaded newer image for "+ref+":v1") || !strings.Contains(out.String(), "Already exists") {
		t.Errorf("pull progress (the busybox layer exists already):\n%s", out.String())
	}
	c2, err := e2.ContainerCreate(ctx, engine.CreateOptions{Config: &container.Config{Image: ref + ":v1", Cmd: []string{"cat", "/hello.txt"}}})
	if err != nil {
		t.Fatal(err)
	}
	w, _ = e2.ContainerWait(ctx, c2.ID, container.WaitConditionNextExit)
	if err := e2.ContainerStart(ctx, c2.ID); err != nil {
		t.Fatal(err)
	}
	<-w
	logs, _, _ := e2.ContainerLogs(ctx, c2.ID, engine.LogsOptions{Stdout: true})
	var got strings.Builder
	for m := range logs {
		got.Write(m.Line)
	}
	if got.String() != "pushed\n" {
		t.Errorf("run the pulled image: got %q", got.String())
	}

	err = e2.ImagePull(ctx, host+"/nosuch:latest", progress)
	if err == nil || err.Error() != "manifest for "+host+"/nosuch:latest not found: manifest unknown: manifest unknown" {
		t.Errorf("pull of a missing image: got %v", err)
	}
}
