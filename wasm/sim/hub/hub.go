// Package hub is the simulator's Docker Hub: an engine.Registry that holds
// the base image busybox:latest and whatever code publishes to it.
//
//	h := hub.New()
//	e, _ := engine.New(ctx, simBackend, engine.Options{Registry: h})
//	// `docker pull busybox` now pulls the simulated busybox:latest.
//
// The simulated busybox:latest is the real base image (see scripts/mkbase)
// without its 2 MB binary: its layer is rebuilt from an embedded description
// of the root filesystem (busybox.rootfs) with /bin/busybox replaced by a
// simulated binary of the same size (see SimulatedBinary), and its
// configuration is the real one (busybox.json: history, times, Env, Cmd)
// with the DiffID of that layer. A test regenerates the description from
// Debian's busybox-static so that it cannot go stale.
//
// Pulling anything else fails with Docker Hub's answers as dockerd 20.10
// words them.
package hub

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"sync"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/engine"
	"github.com/twinbox-dev/twinbox/shared/image"
)

var (
	//go:embed busybox.rootfs
	busyboxRootfs []byte
	//go:embed busybox.json
	busyboxMetadata []byte
)

// Hub is a simulated registry. Its methods are safe for concurrent use.
type Hub struct {
	mu        sync.RWMutex
	tags      map[string]map[string]string // repository name → tag → manifest digest
	manifests map[string]*stored           // manifest digest → image
	blobs     map[string][]byte            // DiffID → layer tar
	base      func() error                 // loads busybox:latest once
}

type stored struct {
	repo   string
	config []byte
	diffs  []string
}

var _ engine.Registry = (*Hub)(nil)

// New returns a hub holding busybox:latest. The base image's layer is built
// on first use.
func New() *Hub {
	h := &Hub{
		tags:      map[string]map[string]string{},
		manifests: map[string]*stored{},
		blobs:     map[string][]byte{},
	}
	h.base = sync.OnceValue(func() error {
		b, err := Base()
		if err != nil {
			return err
		}
		_, err = h.add(image.MustParseRef(b.Tag), b.Final, [][]byte{b.Layer})
		return err
	})
	return h
}

// Pull answers `docker pull` for a normalised reference
// ("docker.io/library/busybox:latest", "docker.io/library/busybox@sha256:…";
// a reference without tag means "latest"). Errors, as dockerd 20.10 reports
// Docker Hub's answers:
//
//   - NotFound "pull access denied for nosuch, repository does not exist or
//     may require 'docker login': denied: requested access to the resource
//     is denied" for a repository the hub does not have;
//   - NotFound "manifest for busybox:nosuch not found: manifest unknown:
//     manifest unknown" for a tag or digest it does not have;
//   - Internal "Get \"https://REGISTRY/v2/\": dial tcp: lookup REGISTRY: no
//     such host" for another registry than docker.io;
//   - InvalidParameter for a malformed reference.
func (h *Hub) Pull(ctx context.Context, ref string) (*engine.RemoteImage, error) {
	if err := h.base(); err != nil {
		return nil, err
	}
	r, err := image.ParseRef(ref)
	if err != nil {
		return nil, err
	}
	if r.Domain() != "docker.io" {
		return nil, backend.Errorf(backend.Internal, "Get %q: dial tcp: lookup %s: no such host",
			"https://"+r.Domain()+"/v2/", hostOnly(r.Domain()))
	}
	r = r.WithDefaultTag()
	h.mu.RLock()
	defer h.mu.RUnlock()
	tags, ok := h.tags[r.Name()]
	if !ok {
		return nil, backend.Errorf(backend.NotFound,
			"pull access denied for %s, repository does not exist or may require 'docker login': denied: requested access to the resource is denied",
			r.FamiliarName())
	}
	digest := r.Digest()
	if digest == "" {
		digest = tags[r.Tag()]
	}
	m, ok := h.manifests[digest]
	if !ok || m.repo != r.Name() {
		return nil, backend.Errorf(backend.NotFound, "manifest for %s not found: manifest unknown: manifest unknown", r.FamiliarString())
	}
	img := &engine.RemoteImage{Digest: digest, Config: bytes.Clone(m.config)}
	for _, d := range m.diffs {
		blob := h.blobs[d]
		img.Layers = append(img.Layers, engine.RemoteLayer{
			Digest: d,
			DiffID: d,
			Size:   int64(len(blob)),
			Open: func(ctx context.Context) (io.ReadCloser, error) {
				return io.NopCloser(bytes.NewReader(blob)), nil
			},
		})
	}
	return img, nil
}

func hostOnly(domain string) string {
	for i := len(domain) - 1; i >= 0; i-- {
		if domain[i] == ':' {
			return domain[:i]
		}
		if domain[i] < '0' || domain[i] > '9' {
			break
		}
	}
	return domain
}

// Push publishes an image under ref ("example/hello:v1", a tag is
// required): config is its configuration as stored and layers its layer
// tars, uncompressed, in the order of the configuration's diff_ids. It
// returns the manifest digest a pull by digest names. Errors:
// InvalidParameter for a bad reference or configuration, a hostile or
// malformed layer, or a layer whose DiffID is not the configuration's.
func (h *Hub) Push(ctx context.Context, ref string, config []byte, layers []io.Reader) (string, error) {
	if err := h.base(); err != nil {
		return "", err
	}
	r, err := image.ParseRef(ref)
	if err != nil {
		return "", err
	}
	if r.Tag() == "" || r.Digest() != "" {
		return "", backend.Errorf(backend.InvalidParameter, "push %s: a tag is required", ref)
	}
	var blobs [][]byte
	for _, l := range layers {
		b, err := io.ReadAll(l)
		if err != nil {
			return "", err
		}
		blobs = append(blobs, b)
	}
	return h.add(r, config, blobs)
}

func (h *Hub) add(r image.Ref, config []byte, blobs [][]byte) (string, error) {
	img, err := image.Parse(config)
	if err != nil {
		return "", backend.Errorf(backend.InvalidParameter, "push %s: %w", r.FamiliarString(), err)
	}
	if len(blobs) != len(img.RootFS.DiffIDs) {
		return "", backend.Errorf(backend.InvalidParameter, "push %s: %d layers for %d diff_ids",
			r.FamiliarString(), len(blobs), len(img.RootFS.DiffIDs))
	}
	for i, b := range blobs {
		diffID, _, err := image.ScanLayer(bytes.NewReader(b), &image.ReaderOptions{AllowDevices: true})
		if err != nil {
			return "", err
		}
		if diffID != img.RootFS.DiffIDs[i] {
			return "", image.DiffIDMismatch(i, img.RootFS.DiffIDs[i], diffID)
		}
	}
	digest, err := manifestDigest(config, img.RootFS.DiffIDs, blobs)
	if err != nil {
		return "", err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, d := range img.RootFS.DiffIDs {
		h.blobs[d] = blobs[i]
	}
	h.manifests[digest] = &stored{repo: r.Name(), config: bytes.Clone(config), diffs: img.RootFS.DiffIDs}
	if h.tags[r.Name()] == nil {
		h.tags[r.Name()] = map[string]string{}
	}
	h.tags[r.Name()][r.Tag()] = digest
	return digest, nil
}

// Tags lists a repository's tags ("busybox" or its full name), sorted.
func (h *Hub) Tags(repo string) []string {
	if h.base() != nil {
		return nil
	}
	r, err := image.ParseRef(repo)
	if err != nil {
		return nil
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	var out []string
	for t := range h.tags[r.Name()] {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// manifestDigest is the digest of the OCI manifest the hub serves for an
// image: the configuration and the layers, uncompressed.
func manifestDigest(config []byte, diffIDs []string, blobs [][]byte) (string, error) {
	type desc struct {
		MediaType string `json:"mediaType"`
		Size      int64  `json:"size"`
		Digest    string `json:"digest"`
	}
	m := struct {
		SchemaVersion int    `json:"schemaVersion"`
		MediaType     string `json:"mediaType"`
		Config        desc   `json:"config"`
		Layers        []desc `json:"layers"`
	}{
		SchemaVersion: 2,
		MediaType:     "application/vnd.oci.image.manifest.v1+json",
		Config:        desc{"application/vnd.oci.image.config.v1+json", int64(len(config)), image.Digest(config)},
		Layers:        []desc{},
	}
	for i, d := range diffIDs {
		m.Layers = append(m.Layers, desc{"application/vnd.oci.image.layer.v1.tar", int64(len(blobs[i])), d})
	}
	data, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("manifest: %w", err)
	}
	return image.Digest(data), nil
}
