package enginetest

import (
	"testing"

	"github.com/moby/moby/api/types/container"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/engine"
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

func init() {
	register("CgroupUpdate", testCgroupUpdate)
}

// testCgroupUpdate: `docker update` changes a running container's limits
// in its control group (a fork past the new pids limit fails; stats show
// the new memory limit) and its recorded host config, with dockerd's
// errors for a memory limit above the swap limit, a limit below 6MB and
// a restart policy on a --rm container.
func testCgroupUpdate(t *testing.T, f *fixture) {
	id := f.startDetached("", nil, "sh", "-c", "sleep 2; for i in 1 2 3 4 5 6; do sleep 1 & done; wait; echo done")
	wait, err := f.e.ContainerWait(f.ctx, id, container.WaitConditionNotRunning)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.e.ContainerUpdate(f.ctx, id, container.UpdateConfig{Resources: container.Resources{Memory: 100 << 20}})
	want := "Cannot update container " + id + ": Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time"
	if backend.CodeOf(err) != backend.Conflict || err.Error() != want {
		t.Errorf("-m without --memory-swap: got %v, want Conflict %q", err, want)
	}
	if _, err := f.e.ContainerUpdate(f.ctx, id, container.UpdateConfig{Resources: container.Resources{Memory: 4 << 20, MemorySwap: -1}}); backend.CodeOf(err) != backend.InvalidParameter || err.Error() != "Minimum memory limit allowed is 6MB" {
		t.Errorf("-m 4m: got %v, want InvalidParameter Minimum memory limit allowed is 6MB", err)
	}
	limit := int64(4)
	u := container.UpdateConfig{
		Resources:     container.Resources{Memory: 32 << 20, MemorySwap: 64 << 20, PidsLimit: &limit, CPUShares: 512},
		RestartPolicy: container.RestartPolicy{Name: container.RestartPolicyOnFailure, MaximumRetryCount: 2},
	}
	if _, err := f.e.ContainerUpdate(f.ctx, id, u); err != nil {
		t.Fatalf("update: %v", err)
	}
	st, err := f.b.Stats(f.ctx, id)
	if err != nil || st.MemoryLimit != 32<<20 {
		t.Errorf("stats after the update: memory limit %d, %v; want %d", st.MemoryLimit, err, 32<<20)
	}
	j, err := f.e.ContainerInspect(f.ctx, id, false)
	if err != nil {
		t.Fatal(err)
	}
	hc := j.HostConfig
	if hc.Memory != 32<<20 || hc.MemorySwap != 64<<20 || hc.PidsLimit == nil || *hc.PidsLimit != 4 || hc.CPUShares != 512 ||
		hc.RestartPolicy != u.RestartPolicy {
		t.Errorf("host config after the update: memory %d swap %d pids %v shares %d restart %+v", hc.Memory, hc.MemorySwap, hc.PidsLimit, hc.CPUShares, hc.RestartPolicy)
	}
	select {
	case r := <-wait:
		if r.StatusCode != 2 {
			t.Errorf("forks past the updated pids limit: got exit %d, want 2", r.StatusCode)
		}
	case <-f.ctx.Done():
		t.Fatal(f.ctx.Err())
	}
	if out := f.logs(id, engine.LogsOptions{Stdout: true, Stderr: true}); out != "sh: can't fork: Resource temporarily unavailable\n" {
		t.Errorf("output: got %q, want ash's fork failure", out)
	}

	// A limit lifted (-1, which the engine records as 0) lets the forks go.
	id = f.startDetached("", &container.HostConfig{Resources: container.Resources{PidsLimit: &limit}},
		"sh", "-c", "sleep 2; for i in 1 2 3 4 5 6; do sleep 1 & done; wait; echo done")
	wait, err = f.e.ContainerWait(f.ctx, id, container.WaitConditionNotRunning)
	if err != nil {
		t.Fatal(err)
	}
	unlimited := int64(-1)
	if _, err := f.e.ContainerUpdate(f.ctx, id, container.UpdateConfig{Resources: container.Resources{PidsLimit: &unlimited}}); err != nil {
		t.Fatalf("update --pids-limit -1: %v", err)
	}
	if r := <-wait; r.StatusCode != 0 {
		t.Errorf("forks after the pids limit was lifted: got exit %d %q, want 0", r.StatusCode, f.logs(id, engine.LogsOptions{Stdout: true, Stderr: true}))
	}

	rm := f.create("", &container.Config{Cmd: []string{"true"}}, &container.HostConfig{AutoRemove: true})
	_, err = f.e.ContainerUpdate(f.ctx, rm, container.UpdateConfig{RestartPolicy: container.RestartPolicy{Name: container.RestartPolicyAlways}})
	want = "Cannot update container " + rm + ": Restart policy cannot be updated because AutoRemove is enabled for the container"
	if backend.CodeOf(err) != backend.Conflict || err.Error() != want {
		t.Errorf("restart policy of a --rm container: got %v, want Conflict %q", err, want)
	}
}
