// Package store keeps the engine's records (engine.Store) in a directory:
// one file per document, one folder per bucket.
//
//	s, err := store.Open("/var/lib/twinbox/records")
//	defer s.Close()
//	e, err := engine.New(ctx, b, engine.Options{Store: s})
//
// Put writes a temporary file and renames it over the document, so a reader
// (or the next daemon, after a crash or a SIGKILL at any instant) sees
// either the old or the new document, never a mix. Leftover temporary files
// are ignored by Keys and removed by Open.
//
// The changes reach the disk together, flushDelay after the first of them
// (or at Sync and Close): one sync for the four changes of a `docker run
// --rm`, off the path of the request that made them. A sync here costs
// 0.5 to 4 ms, more than the rest of a checkpoint. So after a power cut
// (not a crash of the daemon: the kernel still holds its writes) the
// changes of the last flushDelay may be lost: a document is then its old
// version, absent, or, new, empty; the engine skips a record it cannot
// read.
package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

// tmpPrefix starts the names of files being written. No escaped key starts
// with a dot, so they never collide with documents.
const tmpPrefix = ".tmp-"

// Store is an engine.Store (shared/engine) in a directory. Its methods are safe for
// concurrent use by one process; the daemon's lock (see native.Lock) keeps a
// second process out.
type Store struct {
	dir string
	mu  sync.Mutex // serialises Append with Put and Delete of the same document

	syncMu  sync.Mutex // one Sync at a time
	pendMu  sync.Mutex // guards the fields below
	files   map[string]bool
	folders map[string]bool
	timer   *time.Timer // a Sync to come, when anything is pending
}

// flushDelay is how long a change waits for others to share its sync.
const flushDelay = 50 * time.Millisecond

// Open returns the store in dir, creating dir when missing and removing
// temporary files an interrupted Put left behind.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("store %s: %w", dir, err)
	}
	buckets, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", dir, err)
	}
	for _, b := range buckets {
		if !b.IsDir() {
			continue
		}
		docs, err := os.ReadDir(filepath.Join(dir, b.Name()))
		if err != nil {
			return nil, fmt.Errorf("store %s: %w", dir, err)
		}
		for _, d := range docs {
			if strings.HasPrefix(d.Name(), tmpPrefix) {
				os.Remove(filepath.Join(dir, b.Name(), d.Name()))
			}
		}
	}
	return &Store{dir: dir}, nil
}

// Dir returns the store's directory.
func (s *Store) Dir() string { return s.dir }

// Get returns the document. Errors: backend.NotFound when absent.
func (s *Store) Get(bucket, key string) ([]byte, error) {
	p, err := s.path(bucket, key)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, backend.Errorf(backend.NotFound, "store: %s/%s: not found", bucket, key)
	}
	if err != nil {
		return nil, fmt.Errorf("store: get %s/%s: %w", bucket, key, err)
	}
	return data, nil
}

// Put replaces the document atomically; it is on disk after the next Sync.
func (s *Store) Put(bucket, key string, data []byte) error {
	p, err := s.path(bucket, key)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.put(p, data); err != nil {
		return fmt.Errorf("store: put %s/%s: %w", bucket, key, err)
	}
	return nil
}

func (s *Store) put(p string, data []byte) error {
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, tmpPrefix+"*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, p)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	s.changed(p, dir)
	return nil
}

// changed notes a document written (file) and the folder whose entries
// changed, for the next Sync, and schedules one.
func (s *Store) changed(file, folder string) {
	s.pendMu.Lock()
	defer s.pendMu.Unlock()
	if s.folders == nil {
		s.files, s.folders = map[string]bool{}, map[string]bool{}
	}
	if file != "" {
		s.files[file] = true
	}
	s.folders[folder] = true
	if s.timer == nil {
		s.timer = time.AfterFunc(flushDelay, func() { s.Sync() })
	}
}

// Sync writes every change made so far to the disk: the documents, then
// the folders that hold their names.
func (s *Store) Sync() error {
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	s.pendMu.Lock()
	files, folders := s.files, s.folders
	s.files, s.folders = nil, nil
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	s.pendMu.Unlock()
	var first error
	for _, set := range []map[string]bool{files, folders} {
		for p := range set {
			if err := syncPath(p); err != nil && first == nil {
				first = fmt.Errorf("store: sync: %w", err)
			}
		}
	}
	return first
}

// Close syncs what is pending. The store stays usable.
func (s *Store) Close() error { return s.Sync() }

// Append adds data at the end of the document, creating it if needed. Each
// call is one write(2) on a file opened with O_APPEND; it is not synced.
func (s *Store) Append(bucket, key string, data []byte) error {
	p, err := s.path(bucket, key)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if errors.Is(err, fs.ErrNotExist) {
		if err = os.MkdirAll(filepath.Dir(p), 0o700); err == nil {
			f, err = os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		}
	}
	if err != nil {
		return fmt.Errorf("store: append %s/%s: %w", bucket, key, err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("store: append %s/%s: %w", bucket, key, err)
	}
	return nil
}

// Delete removes the document; deleting an absent document is no error.
func (s *Store) Delete(bucket, key string) error {
	p, err := s.path(bucket, key)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("store: delete %s/%s: %w", bucket, key, err)
	}
	s.changed("", filepath.Dir(p))
	return nil
}

// Keys lists the bucket's documents, sorted.
func (s *Store) Keys(bucket string) ([]string, error) {
	b, err := escape(bucket)
	if err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(filepath.Join(s.dir, b))
	if errors.Is(err, fs.ErrNotExist) {
		return []string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: keys %s: %w", bucket, err)
	}
	keys := make([]string, 0, len(ents))
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") || !e.Type().IsRegular() {
			continue
		}
		k, ok := unescape(e.Name())
		if ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys, nil
}

func (s *Store) path(bucket, key string) (string, error) {
	b, err := escape(bucket)
	if err != nil {
		return "", err
	}
	k, err := escape(key)
	if err != nil {
		return "", err
	}
	return filepath.Join(s.dir, b, k), nil
}

// syncPath syncs a file or folder; one removed since is no error.
func syncPath(p string) error {
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	err = f.Sync()
	f.Close()
	return err
}

// escape turns a bucket or key into a file name: bytes other than letters,
// digits, '_', '-' and '.' become %XX, and so does a leading '.', so that no
// name is "", ".", ".." or a temporary file's.
func escape(s string) (string, error) {
	if s == "" {
		return "", backend.Errorf(backend.InvalidParameter, "store: empty name")
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-', c == '.' && i > 0:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	if b.Len() > 255 {
		return "", backend.Errorf(backend.InvalidParameter, "store: name too long: %.40q...", s)
	}
	return b.String(), nil
}

func unescape(name string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		if name[i] != '%' {
			b.WriteByte(name[i])
			continue
		}
		if i+2 >= len(name) {
			return "", false
		}
		var c byte
		if _, err := fmt.Sscanf(name[i+1:i+3], "%02X", &c); err != nil {
			return "", false
		}
		b.WriteByte(c)
		i += 2
	}
	return b.String(), true
}
