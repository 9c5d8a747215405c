package sim

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/wasm/sim/applets"
	"github.com/twinbox-dev/twinbox/wasm/sim/applets/busybox"
	"github.com/twinbox-dev/twinbox/wasm/sim/hub"
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

// busyboxMachine is a simulator with the real busybox programs and the
// busybox:latest layer from the simulated hub.
func busyboxMachine(b *testing.B) (*Backend, string) {
	b.Helper()
	sb := New(Options{Registry: busybox.NewRegistry(), HostCommands: Commands("busybox", applets.BusyboxApplets())})
	b.Cleanup(func() { sb.Close() })
	ctx := context.Background()
	img, err := hub.New().Pull(ctx, "docker.io/library/busybox:latest")
	if err != nil {
		b.Fatal(err)
	}
	parent := ""
	for _, l := range img.Layers {
		r, err := l.Open(ctx)
		if err != nil {
			b.Fatal(err)
		}
		layer, err := sb.ApplyLayer(ctx, parent, r)
		r.Close()
		if err != nil {
			b.Fatal(err)
		}
		parent = layer.ChainID
	}
	return sb, parent
}

// BenchmarkBusyboxRunTrue is `docker run --rm busybox true` on the real
// busybox image and programs, as the backend sees it.
func BenchmarkBusyboxRunTrue(b *testing.B) {
	sb, top := busyboxMachine(b)
	ctx := context.Background()
	s := spec("true")
	for i := 0; b.Loop(); i++ {
		id := fmt.Sprintf("%064x", i+1<<22)
		if err := sb.CreateRootfs(ctx, id, top); err != nil {
			b.Fatal(err)
		}
		p, err := sb.Start(ctx, id, s, backend.Stdio{})
		if err != nil {
			b.Fatal(err)
		}
		if st, err := p.Wait(ctx); err != nil || st.Code != 0 {
			b.Fatalf("got %v %v", st, err)
		}
		if err := sb.RemoveRootfs(ctx, id); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBusyboxExitedContainerMemory is BenchmarkExitedContainerMemory
// on the busybox image, for containers that ran `sh -c 'echo hi'`.
func BenchmarkBusyboxExitedContainerMemory(b *testing.B) {
	const n = 200
	for b.Loop() {
		b.StopTimer()
		sb, top := busyboxMachine(b)
		ctx := context.Background()
		s := spec("sh", "-c", "echo hi")
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		b.StartTimer()
		for i := 0; i < n; i++ {
			id := fmt.Sprintf("%064x", i+1<<23)
			if err := sb.CreateRootfs(ctx, id, top); err != nil {
				b.Fatal(err)
			}
			p, err := sb.Start(ctx, id, s, backend.Stdio{})
			if err != nil {
				b.Fatal(err)
			}
			p.Wait(ctx)
		}
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/n, "B/container")
		runtime.KeepAlive(sb)
		sb.Close()
		b.StartTimer()
	}
}
