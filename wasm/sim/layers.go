package sim

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/wasm/sim/vfs"
)

// layer is a stored read-only layer.
type layer struct {
	info backend.Layer
	vl   *vfs.Layer
}

// chainID is the OCI chain ID of diffID on top of parent's chain.
func chainID(parent, diffID string) string {
	if parent == "" {
		return diffID
	}
	sum := sha256.Sum256([]byte(parent + " " + diffID))
	return "sha256:" + hex.EncodeToString(sum[:])
}

func layerNotFound(chainID string) error {
	return backend.Errorf(backend.NotFound, "layer %s does not exist", chainID)
}

// ApplyLayer imports a layer tar on top of the chain parent.
func (b *Backend) ApplyLayer(ctx context.Context, parent string, tar io.Reader) (backend.Layer, error) {
	var below *vfs.Layer
	if parent != "" {
		b.mu.Lock()
		p, ok := b.layers[parent]
		b.mu.Unlock()
		if !ok {
			return backend.Layer{}, layerNotFound(parent)
		}
		below = p.vl
	}
	vl, err := vfs.ImportLayer(tar, below, &vfs.ImportOptions{Clock: b.vclock()})
	if err != nil {
		if backend.CodeOf(err) == backend.Internal {
			err = backend.WithCode(backend.InvalidParameter, err)
		}
		return backend.Layer{}, err
	}
	return b.addLayer(parent, vl), nil
}

// addLayer stores vl as the chain parent+vl, or returns the layer stored
// there already.
func (b *Backend) addLayer(parent string, vl *vfs.Layer) backend.Layer {
	diffID := vl.DiffID()
	id := chainID(parent, diffID)
	b.mu.Lock()
	defer b.mu.Unlock()
	if l, ok := b.layers[id]; ok {
		return l.info
	}
	l := &layer{info: backend.Layer{ChainID: id, DiffID: diffID, Parent: parent, Size: vl.Size()}, vl: vl}
	b.layers[id] = l
	return l.info
}

// Layer returns a stored layer.
func (b *Backend) Layer(ctx context.Context, chainID string) (backend.Layer, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	l, ok := b.layers[chainID]
	if !ok {
		return backend.Layer{}, layerNotFound(chainID)
	}
	return l.info, nil
}

// LayerTar returns the layer's own tar.
func (b *Backend) LayerTar(ctx context.Context, chainID string) (io.ReadCloser, error) {
	b.mu.Lock()
	l, ok := b.layers[chainID]
	b.mu.Unlock()
	if !ok {
		return nil, layerNotFound(chainID)
	}
	return io.NopCloser(vfs.ExportLayer(l.vl)), nil
}

// RemoveLayer forgets a layer.
func (b *Backend) RemoveLayer(ctx context.Context, chainID string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.layers[chainID]; !ok {
		return layerNotFound(chainID)
	}
	delete(b.layers, chainID)
	return nil
}

// layerBytes reads a layer's tar.
func layerBytes(vl *vfs.Layer) []byte {
	var buf bytes.Buffer
	io.Copy(&buf, vfs.ExportLayer(vl))
	return buf.Bytes()
}
