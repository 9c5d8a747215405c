package sim

import (
	"context"
	"strings"
	"testing"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

// TestTmpfsCharge: files in a container's /dev/shm count in its memory,
// removing them gives it back, and a write past the limit gets the OOM
// killer, which the container's exit status reports.
func TestTmpfsCharge(t *testing.T) {
	m := newMachine(t)
	id := m.create(t)
	s := spec("wait")
	s.Resources.Memory = 8 << 20
	s.Resources.MemorySwap = 8 << 20
	p, _ := m.start(t, id, s)
	usage := func() int64 {
		st, err := m.b.Stats(m.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return st.MemoryUsage
	}
	exec := func(args ...string) int {
		t.Helper()
		ep, err := m.b.Exec(m.ctx, id, &backend.ProcessSpec{Args: args, Cwd: "/"}, backend.Stdio{})
		if err != nil {
			t.Fatal(err)
		}
		return wait(t, ep)
	}
	before := usage()
	mib := strings.Repeat("x", 1<<20-1) // write adds a newline
	if code := exec("write", "/dev/shm/a", mib); code != 0 {
		t.Fatalf("write 1 MiB to /dev/shm: exit %d", code)
	}
	if got := usage() - before; got != 1<<20 {
		t.Errorf("usage after 1 MiB in /dev/shm: got +%d, want +%d", got, 1<<20)
	}
	if code := exec("rm", "/dev/shm/a"); code != 0 {
		t.Fatalf("rm: exit %d", code)
	}
	if got := usage(); got != before {
		t.Errorf("usage after rm: got %d, want %d", got, before)
	}
	if code := exec("write", "/dev/shm/b", strings.Repeat(mib, 8)); code != 137 {
		t.Errorf("write 8 MiB past an 8 MiB limit: got exit %d, want 137 (the writer has the most memory: the newest of equals)", code)
	}
	p.Signal(backend.SIGKILL)
	st, err := p.Wait(context.Background())
	if err != nil || !st.OOMKilled || st.Code != 137 {
		t.Errorf("the container's status: got %+v %v, want OOMKilled and 137", st, err)
	}
}
