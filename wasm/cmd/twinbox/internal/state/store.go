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
	"slices"
	"sync"

	"github.com/twinbox-dev/twinbox/shared/backend"
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
	rec, err := st.save()
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
	if err := st.load(d.Records); err != nil {
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
// Save writes out whole.
type Store struct {
	mu   sync.Mutex
	docs map[string]map[string][]byte // bucket → key → document
}

var _ engine.Store = (*Store)(nil)

// NewStore returns an empty Store.
func NewStore() *Store { return &Store{docs: map[string]map[string][]byte{}} }

// Get returns a document; NotFound when there is none.
func (s *Store) Get(bucket, key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.docs[bucket][key]
	if !ok {
		return nil, backend.Errorf(backend.NotFound, "store: %s/%s: not found", bucket, key)
	}
	return slices.Clone(d), nil
}

// Put stores a document.
func (s *Store) Put(bucket, key string, data []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bucket(bucket)[key] = slices.Clone(data)
	return nil
}

// Append appends to a document, making it when there is none.
func (s *Store) Append(bucket, key string, data []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.bucket(bucket)
	b[key] = append(b[key], data...)
	return nil
}

// Delete removes a document.
func (s *Store) Delete(bucket, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.docs[bucket], key)
	return nil
}

// Keys lists a bucket's keys, sorted.
func (s *Store) Keys(bucket string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.docs[bucket]))
	for k := range s.docs[bucket] {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys, nil
}

func (s *Store) bucket(name string) map[string][]byte {
	b := s.docs[name]
	if b == nil {
		b = map[string][]byte{}
		s.docs[name] = b
	}
	return b
}

// save writes every document as JSON.
func (s *Store) save() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return json.Marshal(s.docs)
}

// load replaces the documents with what save wrote.
func (s *Store) load(data []byte) error {
	docs := map[string]map[string][]byte{}
	if err := json.Unmarshal(data, &docs); err != nil {
		return err
	}
	s.mu.Lock()
	s.docs = docs
	s.mu.Unlock()
	return nil
}
