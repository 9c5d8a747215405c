// Package state keeps a simulated Docker host between page loads: the
// simulator's files, layers and containers (sim.Backend.Save) and the
// engine's records (a Store), in one document the page stores in
// localStorage.
//
//	st := state.NewStore()
//	m, _ := machine.New(ctx, machine.Options{Preload: true, Store: st})
//	doc, _ := state.Save(m, st)
//	opts, _ := state.Restore(doc)    // later: machine.New(ctx, opts)
package state

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/twinbox-dev/twinbox/shared/engine"
	"github.com/twinbox-dev/twinbox/wasm/sim"
	"github.com/twinbox-dev/twinbox/wasm/sim/applets/busybox"
	"github.com/twinbox-dev/twinbox/wasm/sim/machine"
)

// document is what Save returns: the simulator (sim.Backend.Save) and the
// engine's records, which the engine keeps apart from the simulator.
type document struct {
	Format    int
	Simulator []byte
	Records   json.RawMessage
}

// format is the version of the document Save writes.
const format = 1

// Save returns the state of m, whose engine keeps its records in st.
func Save(m *machine.Machine, st *Store) ([]byte, error) {
	var simState bytes.Buffer
	if err := m.Backend.Save(&simState); err != nil {
		return nil, err
	}
	rec, err := json.Marshal(st)
	if err != nil {
		return nil, err
	}
	return json.Marshal(document{Format: format, Simulator: simState.Bytes(), Records: rec})
}

// Restore returns the options of a machine restored from what Save
// returned, with Preload set (a no-op when the image is there) and the
// restored Store. A document that cannot be read is an error.
func Restore(doc []byte) (machine.Options, *Store, error) {
	var d document
	if err := json.Unmarshal(doc, &d); err != nil {
		return machine.Options{}, nil, fmt.Errorf("saved state: %w", err)
	}
	if d.Format != format {
		return machine.Options{}, nil, fmt.Errorf("saved state: format %d, want %d", d.Format, format)
	}
	st := NewStore()
	if err := json.Unmarshal(d.Records, st); err != nil {
		return machine.Options{}, nil, fmt.Errorf("saved state: records: %w", err)
	}
	reg := busybox.NewRegistry()
	b, err := sim.Load(bytes.NewReader(d.Simulator), machine.BackendOptions(reg, nil, ""))
	if err != nil {
		return machine.Options{}, nil, fmt.Errorf("saved state: %w", err)
	}
	return machine.Options{Preload: true, Store: st, Backend: b, Registry: reg}, st, nil
}

// Store is the engine's Store in the browser: documents in memory that
// Save writes out whole (as JSON).
type Store = engine.MemStore

// NewStore returns an empty Store.
func NewStore() *Store { return &Store{} }
