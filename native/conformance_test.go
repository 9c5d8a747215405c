package native

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/twinbox-dev/twinbox/native/internal/testrootfs"
	"github.com/twinbox-dev/twinbox/native/network"
	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/backend/enginetest"
	"github.com/twinbox-dev/twinbox/shared/engine"
)

func TestMain(m *testing.M) {
	Init()
	os.Exit(m.Run())
}

// harness runs the conformance suite on a native backend with a fresh root
// and its own default bridge, and busybox:latest from testrootfs.
type harness struct {
	b *Backend
}

const testBridge = "tbxconf0"

func (h *harness) NewBackend(ctx context.Context, t *testing.T) (backend.Backend, error) {
	b, err := New(Options{Root: filepath.Join(t.TempDir(), "root"), CgroupParent: "twinbox-conformance", DefaultBridge: testBridge})
	if err != nil {
		return nil, err
	}
	h.b = b
	return b, nil
}

func (h *harness) Registry() engine.Registry { return testrootfs.Registry{} }

func (h *harness) Close() {
	if h.b != nil {
		h.b.Close()
		h.b.cg.RemoveParent()
		network.RemoveBridge(testBridge)
	}
}

func TestConformance(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: the native backend uses namespaces, overlayfs, cgroups and netlink")
	}
	if _, err := testrootfs.Tar(); err != nil {
		t.Skip(err)
	}
	network.RemoveBridge(testBridge)
	enginetest.Run(t, func(ctx context.Context, t *testing.T) (enginetest.Harness, error) {
		return &harness{}, nil
	})
}
