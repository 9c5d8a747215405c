package runtime

import (
	"context"
	"net/netip"
	"testing"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

// BenchmarkStartWait measures Start and Wait of `true` in a new container,
// the rootfs made and removed outside the timer:
//
//	go test -run '^$' -bench StartWait -count 5 ./native/runtime
func BenchmarkStartWait(b *testing.B) {
	for _, mode := range []string{"none", "bridge"} {
		b.Run(mode, func(b *testing.B) {
			e := newEnv(b)
			s := spec("true")
			if mode == "bridge" {
				n := backend.Network{ID: "b", Bridge: "tbxbench0", Subnet: netip.MustParsePrefix("10.253.8.0/24"), Gateway: netip.MustParseAddr("10.253.8.1")}
				benchBridge(b, n)
				s = bridgeSpec(n, "10.253.8.2", "true")
				s.Network.Endpoints[0].Bridge = n.Bridge
			}
			ctx := context.Background()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				id := e.newID()
				if err := e.store.CreateRootfs(id, e.base); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				p, err := e.rt.Start(ctx, id, s, backend.Stdio{})
				if err != nil {
					b.Fatal(err)
				}
				st, err := p.Wait(ctx)
				if err != nil || st.Code != 0 {
					b.Fatalf("got exit %d, %v", st.Code, err)
				}
				b.StopTimer()
				e.store.RemoveRootfs(id)
				b.StartTimer()
			}
		})
	}
}
