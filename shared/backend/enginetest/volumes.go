package enginetest

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/engine"
)

func init() {
	register("VolumesRemoveWithContainer", testVolumesRemoveWithContainer)
	register("VolumesInUse", testVolumesInUse)
}

// volumeNames lists the engine's volumes, sorted.
func (f *fixture) volumeNames() []string {
	f.t.Helper()
	l, err := f.e.Volumes(f.ctx, nil)
	if err != nil {
		f.t.Fatalf("list volumes: %v", err)
	}
	var names []string
	for _, v := range l.Volumes {
		names = append(names, v.Name)
	}
	sort.Strings(names)
	return names
}

// testVolumesRemoveWithContainer: a data-only container's anonymous
// volume outlives the container's run, keeps what another container wrote
// through --volumes-from, and goes with `rm -v`; a named volume stays.
func testVolumesRemoveWithContainer(t *testing.T, f *fixture) {
	dbdata := f.create("dbdata", &container.Config{Cmd: []string{"true"}, Volumes: map[string]struct{}{"/dbdata": {}}},
		&container.HostConfig{Binds: []string{"keep:/keep"}})
	f.startWait(dbdata)
	vols := f.volumeNames()
	if len(vols) != 2 || vols[1] != "keep" || len(vols[0]) != 64 {
		t.Fatalf("volumes of a data container: got %v, want an anonymous one and keep", vols)
	}
	code, out := f.runHC(&container.HostConfig{VolumesFrom: []string{"dbdata"}}, "sh", "-c", "echo x > /dbdata/y; echo k > /keep/k")
	if code != 0 {
		t.Fatalf("write through --volumes-from: exit %d %q", code, out)
	}
	code, out = f.runHC(&container.HostConfig{VolumesFrom: []string{"dbdata:ro"}}, "sh", "-c", "cat /dbdata/y /keep/k; touch /dbdata/z")
	if want := "x\nk\ntouch: /dbdata/z: Read-only file system\n"; code != 1 || out != want {
		t.Errorf("--volumes-from dbdata:ro: got exit %d %q, want exit 1 %q", code, out, want)
	}
	// rm -v removes only volumes no other container refers to, so the
	// containers that used them go first, as `run --rm` ones would.
	f.removeContainersOnly(dbdata)
	if err := f.e.ContainerRemove(f.ctx, dbdata, engine.RemoveOptions{RemoveVolumes: true}); err != nil {
		t.Fatal(err)
	}
	if got := f.volumeNames(); len(got) != 1 || got[0] != "keep" {
		t.Errorf("volumes after rm -v: got %v, want [keep]", got)
	}
}

// removeContainersOnly force-removes every container but those of keep,
// leaving volumes.
func (f *fixture) removeContainersOnly(keep ...string) {
	f.t.Helper()
	list, err := f.e.Containers(f.ctx, engine.ListOptions{All: true})
	if err != nil {
		f.t.Fatal(err)
	}
	for _, c := range list {
		if slices.Contains(keep, c.ID) {
			continue
		}
		if err := f.e.ContainerRemove(f.ctx, c.ID, engine.RemoveOptions{Force: true}); err != nil {
			f.t.Fatal(err)
		}
	}
}

// testVolumesInUse: a volume a container uses cannot be removed (Docker's
// Conflict text, the volume unchanged); once the container is gone it can.
func testVolumesInUse(t *testing.T, f *fixture) {
	id := f.create("", &container.Config{Cmd: []string{"sh", "-c", "echo kept > /data/f"}}, &container.HostConfig{Binds: []string{"hello:/data"}})
	f.startWait(id)
	err := f.e.VolumeRemove(f.ctx, "hello", false)
	wantErr(t, "remove a volume in use", err, backend.Conflict, "remove hello: volume is in use - ["+id+"]")
	code, out := f.runHC(&container.HostConfig{Binds: []string{"hello:/data"}}, "cat", "/data/f")
	if code != 0 || out != "kept\n" {
		t.Errorf("the volume after a refused removal: got exit %d %q", code, out)
	}
	f.removeContainersOnly()
	if err := f.e.VolumeRemove(f.ctx, "hello", false); err != nil {
		t.Errorf("remove an unused volume: %v", err)
	}
	if got := f.volumeNames(); len(got) != 0 {
		t.Errorf("volumes left: %v", got)
	}
	err = f.e.VolumeRemove(f.ctx, "hello", false)
	if err == nil || !strings.Contains(err.Error(), "no such volume") {
		t.Errorf("remove it again: got %v, want no such volume", err)
	}
}
