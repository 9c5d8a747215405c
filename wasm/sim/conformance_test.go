package sim

import (
	"context"
	"testing"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/backend/enginetest"
	"github.com/twinbox-dev/twinbox/shared/engine"
	"github.com/twinbox-dev/twinbox/wasm/sim/applets"
	"github.com/twinbox-dev/twinbox/wasm/sim/applets/busybox"
	"github.com/twinbox-dev/twinbox/wasm/sim/hub"
	"github.com/twinbox-dev/twinbox/wasm/sim/kernel"
)

// harness runs the conformance suite on a simulator with the real busybox
// programs and the simulated Docker Hub.
type harness struct {
	hub *hub.Hub
	b   *Backend
}

func (h *harness) NewBackend(ctx context.Context, t *testing.T) (backend.Backend, error) {
	h.b = New(Options{
		Registry:     busybox.NewRegistry(),
		HostCommands: Commands("busybox", applets.BusyboxApplets()),
		OnPanic: func(p *kernel.Process, v any, stack []byte) {
			t.Errorf("program %v panicked: %v\n%s", p, v, stack)
		},
	})
	return h.b, nil
}

func (h *harness) Registry() engine.Registry { return h.hub }

func (h *harness) Close() {
	if h.b != nil {
		h.b.Close()
	}
}

func TestConformance(t *testing.T) {
	enginetest.Run(t, func(ctx context.Context, t *testing.T) (enginetest.Harness, error) {
		return &harness{hub: hub.New()}, nil
	})
}
