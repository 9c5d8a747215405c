package engine

import (
	"encoding/json"
	"slices"
	"sync"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

// MemStore is a Store in memory, the default. The zero value is ready to use.
type MemStore struct {
	mu   sync.Mutex
	docs map[string]map[string][]byte
}

var _ Store = (*MemStore)(nil)

// Get returns a copy of the document.
func (s *MemStore) Get(bucket, key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.docs[bucket][key]
	if !ok {
		return nil, backend.Errorf(backend.NotFound, "store: %s/%s: not found", bucket, key)
	}
	return slices.Clone(d), nil
}

// Put replaces the document.
func (s *MemStore) Put(bucket, key string, data []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bucket(bucket)[key] = slices.Clone(data)
	return nil
}

// Append adds to the document.
func (s *MemStore) Append(bucket, key string, data []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.bucket(bucket)
	b[key] = append(b[key], data...)
	return nil
}

// Delete removes the document.
func (s *MemStore) Delete(bucket, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.docs[bucket], key)
	return nil
}

// Keys lists a bucket's documents, sorted.
func (s *MemStore) Keys(bucket string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.docs[bucket]))
	for k := range s.docs[bucket] {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys, nil
}

func (s *MemStore) bucket(name string) map[string][]byte {
	if s.docs == nil {
		s.docs = make(map[string]map[string][]byte)
	}
	b := s.docs[name]
	if b == nil {
		b = make(map[string][]byte)
		s.docs[name] = b
	}
	return b
}

// MarshalJSON writes every document, bucket by bucket, so that a whole
// store can be kept (the web app keeps it in the browser's storage).
func (s *MemStore) MarshalJSON() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.docs == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(s.docs)
}

// UnmarshalJSON replaces the documents with what MarshalJSON wrote.
func (s *MemStore) UnmarshalJSON(data []byte) error {
	docs := map[string]map[string][]byte{}
	if err := json.Unmarshal(data, &docs); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.docs = docs
	return nil
}
