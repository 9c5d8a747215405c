package build_test

import (
	"testing"

	"github.com/twinbox-dev/twinbox/shared/api/wire"
)

// BenchmarkScenario04 builds the reference scenario's 12-step Dockerfile on
// the simulator: without the cache (every step a container, RUN run, COPY
// copied, each committed) and fully cached. dockerd 20.10 takes 2.9 s and
// 0.19 s on the reference machines.
func BenchmarkScenario04(b *testing.B) {
	ctxTar := greetContext(b)
	b.Run("NoCache", func(b *testing.B) {
		e := simEngine(b)
		opts := &wire.ImageBuildOptions{Tags: []string{"greet"}, Remove: true, NoCache: true}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if res := doBuild(b, e, ctxTar, opts); res.err != nil {
				b.Fatal(res.err)
			}
		}
	})
	b.Run("Cached", func(b *testing.B) {
		e := simEngine(b)
		opts := &wire.ImageBuildOptions{Tags: []string{"greet"}, Remove: true}
		if res := doBuild(b, e, ctxTar, opts); res.err != nil {
			b.Fatal(res.err)
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if res := doBuild(b, e, ctxTar, opts); res.err != nil {
				b.Fatal(res.err)
			}
		}
	})
}
