package enginetest

import (
	"testing"

	"github.com/moby/moby/api/types/container"
)

func init() {
	register("CgroupMemoryOOMKill", testCgroupMemoryOOMKill)
	register("CgroupPidsLimit", testCgroupPidsLimit)
	register("CgroupStats", testCgroupStats)
}

// testCgroupMemoryOOMKill: a container that fills RAM-backed files past its
// memory limit (no swap) is killed by the OOM killer: exit 137, OOMKilled
// in its state; the same without a limit is fine.
func testCgroupMemoryOOMKill(t *testing.T, f *fixture) {
	fill := []string{"dd", "if=/dev/zero", "of=/dev/shm/fill", "bs=1048576", "count=24"}
	limited := &container.HostConfig{Resources: container.Resources{Memory: 8 << 20, MemorySwap: 8 << 20}}
	id := f.create("", &container.Config{Cmd: fill}, limited)
	if code := f.startWait(id); code != 137 {
		t.Errorf("dd past -m 8m: got exit %d, want 137", code)
	}
	if st := f.inspect(id); !st.OOMKilled || st.ExitCode != 137 {
		t.Errorf("state after the OOM kill: got OOMKilled %v exit %d, want true 137", st.OOMKilled, st.ExitCode)
	}
	id = f.create("", &container.Config{Cmd: fill}, nil)
	if code := f.startWait(id); code != 0 {
		t.Errorf("dd without a limit: got exit %d, want 0", code)
	}
	if st := f.inspect(id); st.OOMKilled {
		t.Error("got OOMKilled without a limit")
	}
}

// testCgroupPidsLimit: with --pids-limit, a fork past the limit fails and
// busybox's ash reports it and exits with status 2, as a real one does
// under a pids cgroup.
func testCgroupPidsLimit(t *testing.T, f *fixture) {
	limit := int64(4)
	hc := &container.HostConfig{Resources: container.Resources{PidsLimit: &limit}}
	code, out := f.runHC(hc, "sh", "-c", "for i in 1 2 3 4 5 6; do sleep 1 & done; wait; echo done")
	if want := "sh: can't fork: Resource temporarily unavailable\n"; code != 2 || out != want {
		t.Errorf("forks past --pids-limit 4: got exit %d %q, want exit 2 %q (ash gives up)", code, out, want)
	}
	code, out = f.runHC(nil, "sh", "-c", "for i in 1 2 3 4 5 6; do sleep 1 & done; wait; echo done")
	if code != 0 || out != "done\n" {
		t.Errorf("the same without a limit: got exit %d %q, want done", code, out)
	}
}

// testCgroupStats: a running container's stats show its memory limit and
// its processes.
func testCgroupStats(t *testing.T, f *fixture) {
	hc := &container.HostConfig{Resources: container.Resources{Memory: 64 << 20}}
	id := f.startDetached("", hc, "sh", "-c", "sleep 300 & sleep 301; true")
	f.eventually("three processes", func() bool {
		st, err := f.b.Stats(f.ctx, id)
		return err == nil && st.Pids == 3
	})
	st, err := f.b.Stats(f.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if st.MemoryLimit != 64<<20 || st.MemoryUsage <= 0 || st.MemoryUsage > st.MemoryLimit {
		t.Errorf("stats: got memory %d of %d, want some of %d", st.MemoryUsage, st.MemoryLimit, 64<<20)
	}
}
