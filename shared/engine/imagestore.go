package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/distribution/reference"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/image"
)

// imageRecord is an image the engine knows: its configuration (whose sha256
// is its ID) and the metadata dockerd keeps beside it.
type imageRecord struct {
	id          string // "sha256:<hex>"
	raw         []byte
	img         *image.Image
	parent      string // parent image ID, "" when unknown
	lastTagTime time.Time
}

type imageMeta struct {
	Parent      string    `json:",omitempty"`
	LastTagTime time.Time `json:",omitempty"`
}

// imageStore holds image configurations and the references that name them.
type imageStore struct {
	mu    sync.Mutex
	store Store
	byID  map[string]*imageRecord
	refs  map[string]string // normalised reference ("docker.io/library/busybox:latest") → image ID
}

func loadImageStore(st Store) (*imageStore, error) {
	s := &imageStore{store: st, byID: make(map[string]*imageRecord), refs: make(map[string]string)}
	keys, err := st.Keys("images")
	if err != nil {
		return nil, fmt.Errorf("engine: list images: %w", err)
	}
	for _, k := range keys {
		raw, err := st.Get("images", k)
		if err != nil {
			return nil, fmt.Errorf("engine: load image %s: %w", k, err)
		}
		img, err := image.Parse(raw)
		if err != nil || image.Digest(raw) != "sha256:"+k {
			continue // a torn or foreign file: skip it, as dockerd skips bad images
		}
		rec := &imageRecord{id: "sha256:" + k, raw: raw, img: img}
		if data, err := st.Get("image-meta", k); err == nil {
			var m imageMeta
			if json.Unmarshal(data, &m) == nil {
				rec.parent, rec.lastTagTime = m.Parent, m.LastTagTime
			}
		}
		s.byID[rec.id] = rec
	}
	if data, err := st.Get("engine", "repositories"); err == nil {
		// A file that does not parse (a power cut before the store
		// synced it) names nothing: the images stay, by ID.
		var refs map[string]string
		json.Unmarshal(data, &refs)
		for r, id := range refs {
			if _, ok := s.byID[id]; ok {
				s.refs[r] = id
			}
		}
	}
	return s, nil
}

// put stores an image configuration (idempotent) and returns its record.
func (s *imageStore) put(raw []byte, parent string) (*imageRecord, error) {
	img, err := image.Parse(raw)
	if err != nil {
		return nil, backend.Errorf(backend.InvalidParameter, "invalid image configuration: %v", err)
	}
	id := image.Digest(raw)
	s.mu.Lock()
	defer s.mu.Unlock()
	if rec, ok := s.byID[id]; ok {
		if parent != "" && rec.parent == "" {
			rec.parent = parent
			s.putMetaLocked(rec)
		}
		return rec, nil
	}
	hex := strings.TrimPrefix(id, "sha256:")
	if err := s.store.Put("images", hex, raw); err != nil {
		return nil, err
	}
	rec := &imageRecord{id: id, raw: raw, img: img, parent: parent}
	if parent != "" {
		s.putMetaLocked(rec)
	}
	s.byID[id] = rec
	return rec, nil
}

func (s *imageStore) putMetaLocked(rec *imageRecord) {
	data, _ := json.Marshal(imageMeta{Parent: rec.parent, LastTagTime: rec.lastTagTime})
	s.store.Put("image-meta", strings.TrimPrefix(rec.id, "sha256:"), data)
}

func (s *imageStore) saveRefsLocked() error {
	data, err := json.Marshal(s.refs)
	if err != nil {
		return err
	}
	return s.store.Put("engine", "repositories", data)
}

// tag points ref (normalised) at image id.
func (s *imageStore) tag(ref reference.Named, id string, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.byID[id]
	if !ok {
		return backend.Errorf(backend.NotFound, "No such image: %s", id)
	}
	s.refs[ref.String()] = id
	rec.lastTagTime = now.UTC()
	s.putMetaLocked(rec)
	return s.saveRefsLocked()
}

// untag removes ref and reports whether it existed.
func (s *imageStore) untag(ref reference.Named) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.refs[ref.String()]; !ok {
		return false
	}
	delete(s.refs, ref.String())
	s.saveRefsLocked()
	return true
}

// references lists the normalised references to id, sorted.
func (s *imageStore) references(id string) []reference.Named {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []reference.Named
	for r, rid := range s.refs {
		if rid == id {
			if n, err := reference.ParseNormalizedNamed(r); err == nil {
				out = append(out, n)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// children lists the images whose parent is id.
func (s *imageStore) children(id string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for cid, r := range s.byID {
		if r.parent == id {
			out = append(out, cid)
		}
	}
	return out
}

func (s *imageStore) get(id string) (*imageRecord, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.byID[id]
	return r, ok
}

func (s *imageStore) all() []*imageRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*imageRecord, 0, len(s.byID))
	for _, r := range s.byID {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].img.Created.Equal(out[j].img.Created) {
			return out[i].img.Created.After(out[j].img.Created)
		}
		return out[i].id < out[j].id
	})
	return out
}

// delete forgets image id (its references must be gone already).
func (s *imageStore) delete(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byID, id)
	hex := strings.TrimPrefix(id, "sha256:")
	s.store.Delete("images", hex)
	s.store.Delete("image-meta", hex)
	for _, r := range s.byID {
		if r.parent == id {
			r.parent = ""
			s.putMetaLocked(r)
		}
	}
}

// errNoSuchImage is dockerd's ErrImageDoesNotExist.
func errNoSuchImage(ref string) error {
	if named, err := reference.ParseNormalizedNamed(ref); err == nil {
		if _, digested := named.(reference.Digested); !digested {
			ref = reference.FamiliarString(reference.TagNameOnly(named))
		} else {
			ref = reference.FamiliarString(named)
		}
	}
	return backend.Errorf(backend.NotFound, "No such image: %s", ref)
}

// lookup resolves a reference or (prefix of an) image ID as dockerd's
// GetImage does. Errors: NotFound "No such image: X"; InvalidParameter for
// a malformed reference.
func (s *imageStore) lookup(refOrID string) (*imageRecord, error) {
	ref, err := reference.ParseAnyReference(refOrID)
	if err != nil {
		return nil, backend.WithCode(backend.InvalidParameter, err)
	}
	named, ok := ref.(reference.Named)
	if !ok {
		if d, ok := ref.(reference.Digested); ok {
			if r, ok := s.get(d.Digest().String()); ok {
				return r, nil
			}
		}
		return nil, errNoSuchImage(refOrID)
	}
	key := reference.TagNameOnly(named).String()
	if _, digested := named.(reference.Digested); digested {
		key = named.String()
	}
	s.mu.Lock()
	id, found := s.refs[key]
	s.mu.Unlock()
	if found {
		if r, ok := s.get(id); ok {
			return r, nil
		}
	}
	if r, err := s.search(refOrID); err == nil {
		return r, nil
	} else if !backend.IsNotFound(err) {
		return nil, err
	}
	return nil, errNoSuchImage(refOrID)
}

// search finds an image by a prefix of its ID ("sha256:" optional).
func (s *imageStore) search(prefix string) (*imageRecord, error) {
	p := strings.TrimPrefix(prefix, "sha256:")
	if p == "" || !hexPrefix.MatchString(p) {
		return nil, backend.Errorf(backend.NotFound, "no such id: %s", prefix)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var found *imageRecord
	for id, r := range s.byID {
		if strings.HasPrefix(strings.TrimPrefix(id, "sha256:"), p) {
			if found != nil {
				return nil, backend.Errorf(backend.NotFound, "multiple IDs found with provided prefix: %s", p)
			}
			found = r
		}
	}
	if found == nil {
		return nil, backend.Errorf(backend.NotFound, "no such id: %s", prefix)
	}
	return found, nil
}

var errAmbiguous = errors.New("ambiguous")

// setParent records parent as id's parent image.
func (s *imageStore) setParent(id, parent string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.byID[id]; ok {
		r.parent = parent
		s.putMetaLocked(r)
	}
}
