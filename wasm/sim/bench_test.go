package sim

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

// BenchmarkStartWait measures `docker run --rm busybox true` as the backend
// sees it: a new container's rootfs, Start, Wait, RemoveRootfs.
func BenchmarkStartWait(b *testing.B) {
	m := newMachine(b)
	s := spec("true")
	for i := 0; b.Loop(); i++ {
		id := fmt.Sprintf("%064x", i+1<<20)
		if err := m.b.CreateRootfs(m.ctx, id, m.base.ChainID); err != nil {
			b.Fatal(err)
		}
		p, err := m.b.Start(m.ctx, id, s, backend.Stdio{})
		if err != nil {
			b.Fatal(err)
		}
		if st, err := p.Wait(m.ctx); err != nil || st.Code != 0 {
			b.Fatalf("got %v %v", st, err)
		}
		if err := m.b.RemoveRootfs(m.ctx, id); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExitedContainerMemory measures the memory an idle exited
// container holds (its records, init layer and empty read-write layer, the
// files the runtime wrote for it on the host), reported as B/container.
func BenchmarkExitedContainerMemory(b *testing.B) {
	const n = 200
	for b.Loop() {
		b.StopTimer()
		m := newMachine(b)
		s := spec("true")
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		b.StartTimer()
		for i := 0; i < n; i++ {
			id := fmt.Sprintf("%064x", i+1<<21)
			if err := m.b.CreateRootfs(m.ctx, id, m.base.ChainID); err != nil {
				b.Fatal(err)
			}
			p, err := m.b.Start(m.ctx, id, s, backend.Stdio{})
			if err != nil {
				b.Fatal(err)
			}
			p.Wait(m.ctx)
		}
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/n, "B/container")
		runtime.KeepAlive(m)
		m.b.Close()
		b.StartTimer()
	}
}
