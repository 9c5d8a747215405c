package enginetest

import (
	"testing"

	"github.com/moby/moby/api/types/container"

	"github.com/twinbox-dev/twinbox/shared/api/wire"
	"github.com/twinbox-dev/twinbox/shared/engine"
)

func init() {
	register("SystemDiskUsage", testSystemDiskUsage)
}

// testSystemDiskUsage: GET /system/df counts what `docker system df`
// shows. A container's size is its read-write layer's (1000 bytes
// written, one file removed: a whiteout of size 0); a volume's is its
// files' and it is referred to by the containers that mount it; an image
// made by committing shares busybox's layers with busybox, and the layers
// are counted once.
func testSystemDiskUsage(t *testing.T, f *fixture) {
	du := func() *wire.DiskUsage {
		t.Helper()
		d, err := f.e.DiskUsage(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	before := du()
	if len(before.Images) != 1 || before.Images[0].Containers != 0 || before.Images[0].SharedSize != 0 {
		t.Fatalf("busybox alone: got %+v", before.Images)
	}
	base := before.LayersSize
	if base == 0 || base != before.Images[0].Size {
		t.Fatalf("layers size %d, busybox's size %d: want equal and not 0", base, before.Images[0].Size)
	}
	if len(before.Containers) != 0 || len(before.Volumes) != 0 || before.BuildCache == nil || len(before.BuildCache) != 0 {
		t.Fatalf("a fresh engine: got containers %v, volumes %v, build cache %v", before.Containers, before.Volumes, before.BuildCache)
	}

	c1 := f.create("c1", &container.Config{Cmd: []string{"sh", "-c", "head -c 1000 /dev/zero > /tmp/f && rm /etc/group && head -c 500 /dev/zero > /data/v"}},
		&container.HostConfig{Binds: []string{"dv:/data"}})
	if code := f.startWait(c1); code != 0 {
		t.Fatalf("c1 exited %d: %s", code, f.logs(c1, engine.LogsOptions{Stdout: true, Stderr: true}))
	}
	f.create("c2", &container.Config{Cmd: []string{"true"}}, &container.HostConfig{Binds: []string{"unused:/u"}})
	if _, err := f.e.Commit(f.ctx, "c1", engine.CommitOptions{Repo: "mine"}); err != nil {
		t.Fatal(err)
	}
	f.create("c3", &container.Config{Image: "mine", Cmd: []string{"true"}}, nil)

	d := du()
	sizes := map[string]int64{}
	for _, c := range d.Containers {
		sizes[c.Names[0]] = c.SizeRw
	}
	if len(d.Containers) != 3 || sizes["/c1"] != 1000 || sizes["/c2"] != 0 || sizes["/c3"] != 0 {
		t.Errorf("containers' sizes: got %v, want /c1 1000 (the whiteout counts 0, the volume nothing), /c2 and /c3 0", sizes)
	}
	vols := map[string]wire.VolumeUsageData{}
	for _, v := range d.Volumes {
		vols[v.Name] = *v.UsageData
	}
	if len(vols) != 2 || vols["dv"] != (wire.VolumeUsageData{Size: 500, RefCount: 1}) || vols["unused"] != (wire.VolumeUsageData{Size: 0, RefCount: 1}) {
		t.Errorf("volumes: got %+v, want dv 500 bytes and unused empty, one container each", vols)
	}
	if len(d.Images) != 2 {
		t.Fatalf("images: got %d, want busybox and mine", len(d.Images))
	}
	var mine int64
	for _, img := range d.Images {
		want := int64(2) // c1 and c2
		if img.RepoTags[0] == "mine:latest" {
			mine, want = img.Size, 1
		}
		if img.Containers != want || img.SharedSize != base {
			t.Errorf("image %v: got %d containers, shared size %d; want %d and busybox's %d", img.RepoTags, img.Containers, img.SharedSize, want, base)
		}
	}
	if mine != base+1000 || d.LayersSize != mine {
		t.Errorf("mine's size %d, layers size %d: want both busybox's %d + 1000", mine, d.LayersSize, base)
	}
}
