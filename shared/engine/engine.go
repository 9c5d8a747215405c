// Package engine is the container engine that serves the Docker Engine API
// over a backend.Backend: it owns container records, names and IDs, the
// container state machine, restart policies, logs, exec sessions, events, the
// image store's metadata (configurations, references, history) and address
// allocation. A backend (the simulator or the native Linux backend) only
// stores layers and runs processes, so both behave identically in everything
// the engine decides.
//
// The router in shared/api calls an *Engine; its methods take and return the
// Engine API's types (github.com/moby/moby/api and shared/api/wire) and return
// errors coded with shared/backend's codes, whose messages are Docker's texts.
//
//	e, err := engine.New(ctx, sim.New(), engine.Options{})
//	id, err := e.ContainerCreate(ctx, engine.CreateOptions{Config: &container.Config{Image: "busybox", Cmd: []string{"true"}}})
package engine

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

// Options configure an Engine. The zero value is usable: an in-memory store,
// the real clock, and no registry.
type Options struct {
	// Store keeps the engine's records; nil means an in-memory store.
	Store Store
	// Registry is where images are pulled from; nil means every pull fails
	// as it does on a machine without network.
	Registry Registry
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Rand supplies randomness for IDs and names; nil means crypto/rand.
	Rand io.Reader
	// Name is the engine's name in `docker info`; empty means the backend's
	// host name.
	Name string
}

// Store persists the engine's records: small documents in named buckets.
// Implementations: MemStore here, and a directory store in native/.
type Store interface {
	// Get returns the document. Errors: backend.NotFound when absent.
	Get(bucket, key string) ([]byte, error)
	// Put replaces the document atomically: a reader sees the old or the new
	// content, even after a crash.
	Put(bucket, key string, data []byte) error
	// Append adds data at the end of the document, creating it if needed.
	Append(bucket, key string, data []byte) error
	// Delete removes the document; deleting an absent document is no error.
	Delete(bucket, key string) error
	// Keys lists the bucket's documents, sorted.
	Keys(bucket string) ([]string, error)
}

// Registry is where `docker pull` fetches images from.
type Registry interface {
	// Pull resolves a normalized reference ("docker.io/library/busybox:latest")
	// to an image. Errors: backend.NotFound with the registry's message when
	// the repository or tag does not exist.
	Pull(ctx context.Context, ref string) (*RemoteImage, error)
}

// RemoteImage is an image in a registry.
type RemoteImage struct {
	Digest string // manifest digest, "sha256:<hex>"
	Config []byte // the image configuration (see shared/image.Image)
	Layers []RemoteLayer
}

// RemoteLayer is one layer of a RemoteImage.
type RemoteLayer struct {
	Digest string // digest of the blob as stored (compressed)
	DiffID string // digest of the uncompressed tar
	Size   int64  // size of the blob
	// Open returns the layer as an uncompressed tar.
	Open func(ctx context.Context) (io.ReadCloser, error)
}

// Filters are the `filters` query parameter of list endpoints:
// {"name": ["made"], "status": ["exited"]}.
type Filters map[string][]string

// Get returns the values of one filter.
func (f Filters) Get(key string) []string { return f[key] }

// Backend returns the backend the engine runs on.
func (e *Engine) Backend() backend.Backend { return e.b }

// Engine is a container engine over a backend. Its methods are safe for
// concurrent use.
type Engine struct {
	b     backend.Backend
	opts  Options
	store Store
	now   func() time.Time
	rand  io.Reader
	desc  backend.Description

	mu         sync.Mutex
	containers map[string]*Container // by ID
	names      map[string]string     // "/name" → container ID
	execs      map[string]*execConfig
	images     *imageStore
	networks   *networkStore
	events     *eventLog

	daemonID string
	started  time.Time
}

// New returns an engine over b, loading the records in opts.Store and
// reattaching to containers that still run.
func New(ctx context.Context, b backend.Backend, opts Options) (*Engine, error) {
	e := &Engine{
		b:          b,
		opts:       opts,
		store:      opts.Store,
		now:        opts.Now,
		rand:       opts.Rand,
		containers: make(map[string]*Container),
		names:      make(map[string]string),
		execs:      make(map[string]*execConfig),
		events:     newEventLog(),
	}
	if e.store == nil {
		e.store = new(MemStore)
	}
	if e.now == nil {
		e.now = time.Now
	}
	if e.rand == nil {
		e.rand = rand.Reader
	}
	desc, err := b.Describe(ctx)
	if err != nil {
		return nil, fmt.Errorf("engine: describe backend: %w", err)
	}
	e.desc = desc
	e.started = e.now()
	if err := e.loadDaemonID(); err != nil {
		return nil, err
	}
	if e.images, err = loadImageStore(e.store); err != nil {
		return nil, err
	}
	if e.networks, err = e.loadNetworks(ctx); err != nil {
		return nil, err
	}
	if err := e.loadContainers(ctx); err != nil {
		return nil, err
	}
	return e, nil
}

// Close stops the engine's background work. Containers keep running.
func (e *Engine) Close() error { return nil }

// loadDaemonID reads or makes the engine's ID, shown by `docker info`.
func (e *Engine) loadDaemonID() error {
	data, err := e.store.Get("engine", "id")
	if err == nil && len(data) > 0 {
		e.daemonID = string(data)
		return nil
	}
	if err != nil && !backend.IsNotFound(err) {
		return fmt.Errorf("engine: load id: %w", err)
	}
	// Absent, or empty after a power cut: make one.
	// dockerd's ID looks like a libtrust key ID: 12 groups of 4 base32 chars.
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	var sb strings.Builder
	for i := 0; i < 12; i++ {
		if i > 0 {
			sb.WriteByte(':')
		}
		for j := 0; j < 4; j++ {
			sb.WriteByte(alphabet[e.randIntn(len(alphabet))])
		}
	}
	e.daemonID = sb.String()
	return e.store.Put("engine", "id", []byte(e.daemonID))
}
