package enginetest

import (
	"bytes"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/jsonstream"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/engine"
)

func init() {
	register("SaveLoad", testSaveLoad)
}

func testSaveLoad(t *testing.T, f *fixture) {
	c, _, _ := f.run("", "sh", "-c", "echo hi > /hello.txt")
	hello, err := f.e.Commit(f.ctx, c, engine.CommitOptions{Repo: "hello", Tag: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	var arch bytes.Buffer
	if err := f.e.ImageSave(f.ctx, []string{"busybox", "hello:v1"}, &arch); err != nil {
		t.Fatalf("save: %v", err)
	}
	busybox, err := f.e.ImageInspect(f.ctx, "busybox")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.e.ContainerRemove(f.ctx, c, engine.RemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"hello:v1", "busybox"} {
		if _, err := f.e.ImageRemove(f.ctx, name, false, true); err != nil {
			t.Fatalf("rmi %s: %v", name, err)
		}
	}
	if imgs, _ := f.e.Images(f.ctx, engine.ImageListOptions{All: true}); len(imgs) != 0 {
		t.Fatalf("after rmi: got %d images, want none", len(imgs))
	}

	var out strings.Builder
	err = f.e.ImageLoad(f.ctx, bytes.NewReader(arch.Bytes()), true, func(m jsonstream.Message) { out.WriteString(m.Stream) })
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if got, want := out.String(), "Loaded image: busybox:latest\nLoaded image: hello:v1\n"; got != want {
		t.Errorf("load output: got %q, want %q", got, want)
	}
	img, err := f.e.ImageInspect(f.ctx, "hello:v1")
	if err != nil || img.ID != hello || img.Parent != busybox.ID {
		t.Errorf("loaded hello:v1: got %v parent %v (%v), want %s on %s", img.ID, img.Parent, err, hello, busybox.ID)
	}
	id := f.create("", &container.Config{Image: "hello:v1", Cmd: []string{"cat", "/hello.txt"}}, nil)
	f.startWait(id)
	if got := f.logs(id, engine.LogsOptions{Stdout: true}); got != "hi\n" {
		t.Errorf("run the loaded image: got %q", got)
	}

	err = f.e.ImageSave(f.ctx, []string{"nosuch:tag"}, &bytes.Buffer{})
	wantErr(t, "save nosuch", err, backend.NotFound, "reference does not exist")
	err = f.e.ImageLoad(f.ctx, strings.NewReader("not a tar"), true, func(jsonstream.Message) {})
	if backend.CodeOf(err) != backend.InvalidParameter {
		t.Errorf("load of garbage: got %v, want invalid parameter", err)
	}
}
