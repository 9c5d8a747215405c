package storage

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

// Store holds layers, container root filesystems and volumes under one root.
// Its methods are safe for concurrent use.
type Store struct {
	root string

	mu     sync.Mutex
	layers map[string]*layerMeta // by ChainID
}

type layerMeta struct {
	ChainID string
	DiffID  string
	Parent  string
	Size    int64
	Link    string // short name under l/
}

func (m *layerMeta) layer() backend.Layer {
	return backend.Layer{ChainID: m.ChainID, DiffID: m.DiffID, Parent: m.Parent, Size: m.Size}
}

// Open returns the store under root, creating its folders and loading the
// layers it holds. Half-applied layers from an interrupted ApplyLayer are
// removed.
func Open(root string) (*Store, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	for _, d := range []string{"layers", "l", "containers", "volumes", "tmp"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o711); err != nil {
			return nil, fmt.Errorf("storage %s: %w", root, err)
		}
	}
	s := &Store{root: root, layers: make(map[string]*layerMeta)}
	tmps, _ := os.ReadDir(filepath.Join(root, "tmp"))
	for _, t := range tmps {
		os.RemoveAll(filepath.Join(root, "tmp", t.Name()))
	}
	ents, err := os.ReadDir(filepath.Join(root, "layers"))
	if err != nil {
		return nil, err
	}
	for _, e := range ents {
		data, err := os.ReadFile(filepath.Join(root, "layers", e.Name(), "meta.json"))
		if err != nil {
			// A layer without metadata was never completed.
			os.RemoveAll(filepath.Join(root, "layers", e.Name()))
			continue
		}
		m := new(layerMeta)
		if err := json.Unmarshal(data, m); err != nil {
			return nil, fmt.Errorf("storage: layer %s: %w", e.Name(), err)
		}
		s.layers[m.ChainID] = m
	}
	return s, nil
}

// Root returns the store's root directory.
func (s *Store) Root() string { return s.root }

func hexOf(digest string) string { return strings.TrimPrefix(digest, "sha256:") }

func (s *Store) layerDir(chainID string) string {
	return filepath.Join(s.root, "layers", hexOf(chainID))
}

func (s *Store) lookup(chainID string) (*layerMeta, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.layers[chainID]
	if !ok {
		return nil, backend.Errorf(backend.NotFound, "layer %s: no such layer", chainID)
	}
	return m, nil
}

// chain returns the layer and its parents, top first.
func (s *Store) chain(chainID string) ([]*layerMeta, error) {
	var out []*layerMeta
	for id := chainID; id != ""; {
		m, err := s.lookup(id)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
		id = m.Parent
	}
	return out, nil
}

// ApplyLayer stores tar as a new layer on parent (see backend.Backend).
func (s *Store) ApplyLayer(parent string, r io.Reader) (backend.Layer, error) {
	if parent != "" {
		if _, err := s.lookup(parent); err != nil {
			return backend.Layer{}, err
		}
	}
	tmp, err := os.MkdirTemp(filepath.Join(s.root, "tmp"), "apply-")
	if err != nil {
		return backend.Layer{}, err
	}
	defer os.RemoveAll(tmp)
	diff := filepath.Join(tmp, "diff")
	if err := os.Mkdir(diff, 0o755); err != nil {
		return backend.Layer{}, err
	}
	tf, err := os.Create(filepath.Join(tmp, "layer.tar"))
	if err != nil {
		return backend.Layer{}, err
	}
	defer tf.Close()
	h := sha256.New()
	tee := io.TeeReader(r, io.MultiWriter(h, tf))
	if _, err := extractDir(diff, tee, extractLayer); err != nil {
		return backend.Layer{}, err
	}
	// A layer's size is what overlay2's ApplyDiff reports: directory.Size
	// of what was unpacked, symlinks (their target's length) included.
	size, err := dirSize(diff)
	if err != nil {
		return backend.Layer{}, err
	}
	// The DiffID covers every byte of the stream, padding included.
	if _, err := io.Copy(io.Discard, tee); err != nil {
		return backend.Layer{}, backend.Errorf(backend.InvalidParameter, "layer tar: %v", err)
	}
	if err := tf.Sync(); err != nil {
		return backend.Layer{}, err
	}
	m := &layerMeta{DiffID: "sha256:" + hex.EncodeToString(h.Sum(nil)), Parent: parent, Size: size}
	m.ChainID = chainID(parent, m.DiffID)
	return s.install(tmp, m)
}

// install moves a completed layer from tmp into place, or returns the
// existing layer with the same ChainID.
func (s *Store) install(tmp string, m *layerMeta) (backend.Layer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.layers[m.ChainID]; ok {
		return old.layer(), nil
	}
	link, err := s.newLink()
	if err != nil {
		return backend.Layer{}, err
	}
	m.Link = link
	data, _ := json.Marshal(m)
	if err := writeSynced(filepath.Join(tmp, "meta.json"), data); err != nil {
		return backend.Layer{}, err
	}
	dst := s.layerDir(m.ChainID)
	if err := os.Rename(tmp, dst); err != nil {
		return backend.Layer{}, err
	}
	if err := os.Symlink(filepath.Join("..", "layers", hexOf(m.ChainID), "diff"), filepath.Join(s.root, "l", link)); err != nil {
		os.RemoveAll(dst)
		return backend.Layer{}, err
	}
	s.layers[m.ChainID] = m
	return m.layer(), nil
}

// newLink returns an unused short name for l/, as overlay2's are: 26
// characters of [A-Z0-9].
func (s *Store) newLink() (string, error) {
	const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	for {
		b := make([]byte, 26)
		if _, err := rand.Read(b); err != nil {
			return "", err
		}
		for i := range b {
			b[i] = letters[int(b[i])%len(letters)]
		}
		if _, err := os.Lstat(filepath.Join(s.root, "l", string(b))); errors.Is(err, fs.ErrNotExist) {
			return string(b), nil
		}
	}
}

func chainID(parent, diffID string) string {
	if parent == "" {
		return diffID
	}
	sum := sha256.Sum256([]byte(parent + " " + diffID))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Layer returns the layer with ChainID chainID. Errors: NotFound.
func (s *Store) Layer(chainID string) (backend.Layer, error) {
	m, err := s.lookup(chainID)
	if err != nil {
		return backend.Layer{}, err
	}
	return m.layer(), nil
}

// Layers lists every layer.
func (s *Store) Layers() []backend.Layer {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]backend.Layer, 0, len(s.layers))
	for _, m := range s.layers {
		out = append(out, m.layer())
	}
	return out
}

// LayerTar returns the layer's tar as applied. Errors: NotFound.
func (s *Store) LayerTar(chainID string) (io.ReadCloser, error) {
	if _, err := s.lookup(chainID); err != nil {
		return nil, err
	}
	return os.Open(filepath.Join(s.layerDir(chainID), "layer.tar"))
}

// RemoveLayer deletes a layer. Errors: NotFound.
func (s *Store) RemoveLayer(chainID string) error {
	s.mu.Lock()
	m, ok := s.layers[chainID]
	if ok {
		delete(s.layers, chainID)
	}
	s.mu.Unlock()
	if !ok {
		return backend.Errorf(backend.NotFound, "layer %s: no such layer", chainID)
	}
	os.Remove(filepath.Join(s.root, "l", m.Link))
	// Remove the metadata first: a crash half-way leaves a folder Open drops.
	os.Remove(filepath.Join(s.layerDir(chainID), "meta.json"))
	return removeAll(s.layerDir(chainID))
}

func writeSynced(name string, data []byte) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// writeRenamed writes name atomically, without syncing: a temporary file
// renamed over it.
func writeRenamed(name string, data []byte) error {
	tmp := name + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, name); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// removeAll removes a tree that may hold read-only directories.
func removeAll(dir string) error {
	err := os.RemoveAll(dir)
	if err != nil {
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				os.Chmod(p, 0o700)
			}
			return nil
		})
		err = os.RemoveAll(dir)
	}
	return err
}
