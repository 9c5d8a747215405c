package main

import (
	"encoding/json"
	"slices"
	"sync"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/engine"
)

// recordStore is the engine's Store in the browser: documents in memory
// that save writes out whole, for the page to keep in localStorage.
type recordStore struct {
	mu   sync.Mutex
	docs map[string]map[string][]byte // bucket → key → document
}

var _ engine.Store = (*recordStore)(nil)

func newRecordStore() *recordStore { return &recordStore{docs: map[string]map[string][]byte{}} }

func (s *recordStore) Get(bucket, key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.docs[bucket][key]
	if !ok {
		return nil, backend.Errorf(backend.NotFound, "store: %s/%s: not found", bucket, key)
	}
	return slices.Clone(d), nil
}

func (s *recordStore) Put(bucket, key string, data []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bucket(bucket)[key] = slices.Clone(data)
	return nil
}

func (s *recordStore) Append(bucket, key string, data []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.bucket(bucket)
	b[key] = append(b[key], data...)
	return nil
}

func (s *recordStore) Delete(bucket, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.docs[bucket], key)
	return nil
}

func (s *recordStore) Keys(bucket string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.docs[bucket]))
	for k := range s.docs[bucket] {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys, nil
}

func (s *recordStore) bucket(name string) map[string][]byte {
	b := s.docs[name]
	if b == nil {
		b = map[string][]byte{}
		s.docs[name] = b
	}
	return b
}

// save writes every document as JSON.
func (s *recordStore) save() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return json.Marshal(s.docs)
}

// load replaces the documents with what save wrote.
func (s *recordStore) load(data []byte) error {
	docs := map[string]map[string][]byte{}
	if err := json.Unmarshal(data, &docs); err != nil {
		return err
	}
	s.mu.Lock()
	s.docs = docs
	s.mu.Unlock()
	return nil
}
