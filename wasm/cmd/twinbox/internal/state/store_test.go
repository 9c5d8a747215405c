package state

import (
	"context"
	"io"
	"testing"

	"github.com/twinbox-dev/twinbox/wasm/sim/machine"
)

// fresh returns the saved state of a fresh machine, as the page loads it
// on a first visit (site/gen/fresh-state.json).
func fresh(tb testing.TB) []byte {
	st := NewStore()
	m, err := machine.New(context.Background(), machine.Options{Preload: true, Store: st})
	if err != nil {
		tb.Fatal(err)
	}
	defer m.Close()
	doc, err := Save(m, st)
	if err != nil {
		tb.Fatal(err)
	}
	return doc
}

// TestSaveRestore: a restored fresh machine has busybox and saves again.
func TestSaveRestore(t *testing.T) {
	opts, _, err := Restore(fresh(t))
	if err != nil {
		t.Fatal(err)
	}
	m, err := machine.New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	img, err := m.Engine.ImageInspect(context.Background(), "busybox")
	if err != nil || len(img.RootFS.Layers) != 1 {
		t.Fatalf("busybox after a restore: %v", err)
	}
	if err := m.Backend.Save(io.Discard); err != nil {
		t.Fatalf("saving the restored machine: %v", err)
	}
}

// BenchmarkRestoreFresh is what a page load spends restoring the state
// (then booting the machine), natively:
//
//	go test ./wasm/cmd/twinbox/internal/state -run '^$' -bench RestoreFresh -benchmem -count 5
func BenchmarkRestoreFresh(b *testing.B) {
	doc := fresh(b)
	for b.Loop() {
		opts, _, err := Restore(doc)
		if err != nil {
			b.Fatal(err)
		}
		m, err := machine.New(context.Background(), opts)
		if err != nil {
			b.Fatal(err)
		}
		m.Close()
	}
}
