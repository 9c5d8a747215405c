// Package registry is the native engine's Docker registry client: it pulls
// and pushes images with github.com/google/go-containerregistry, as an
// engine.Registry and engine.Pusher. Registries on loopback addresses are
// reached over plain HTTP, as dockerd's default insecure range 127.0.0.0/8
// allows. It stays out of the browser build.
package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/engine"
)

// Registry pulls from and pushes to Docker registries.
type Registry struct {
	// Transport is the HTTP transport; nil means http.DefaultTransport.
	Transport http.RoundTripper
}

var (
	_ engine.Registry = (*Registry)(nil)
	_ engine.Pusher   = (*Registry)(nil)
)

func (r *Registry) transport() http.RoundTripper {
	if r.Transport != nil {
		return r.Transport
	}
	return http.DefaultTransport
}

// parse reads a normalised reference; loopback registries are insecure.
func parse(ref string) (name.Reference, error) {
	var opts []name.Option
	host, _, _ := strings.Cut(ref, "/")
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	}
	if ip := net.ParseIP(h); (ip != nil && ip.IsLoopback()) || h == "localhost" {
		opts = append(opts, name.Insecure)
	}
	r, err := name.ParseReference(ref, opts...)
	if err != nil {
		return nil, backend.WithCode(backend.InvalidParameter, err)
	}
	return r, nil
}

// Pull resolves ref in its registry.
func (r *Registry) Pull(ctx context.Context, ref string) (*engine.RemoteImage, error) {
	nref, err := parse(ref)
	if err != nil {
		return nil, err
	}
	img, err := remote.Image(nref, remote.WithContext(ctx), remote.WithTransport(r.transport()), remote.WithAuth(authn.Anonymous))
	if err != nil {
		return nil, pullError(nref, err)
	}
	cfg, err := img.RawConfigFile()
	if err != nil {
		return nil, pullError(nref, err)
	}
	digest, err := img.Digest()
	if err != nil {
		return nil, pullError(nref, err)
	}
	layers, err := img.Layers()
	if err != nil {
		return nil, pullError(nref, err)
	}
	out := &engine.RemoteImage{Digest: digest.String(), Config: cfg}
	for _, l := range layers {
		d, err := l.Digest()
		if err != nil {
			return nil, pullError(nref, err)
		}
		diff, err := l.DiffID()
		if err != nil {
			return nil, pullError(nref, err)
		}
		size, _ := l.Size()
		l := l
		out.Layers = append(out.Layers, engine.RemoteLayer{
			Digest: d.String(), DiffID: diff.String(), Size: size,
			Open: func(context.Context) (io.ReadCloser, error) { return l.Uncompressed() },
		})
	}
	return out, nil
}

// pullError words a registry failure as dockerd does.
func pullError(ref name.Reference, err error) error {
	var te *transport.Error
	if errors.As(err, &te) && te.StatusCode == http.StatusNotFound {
		return backend.Errorf(backend.NotFound, "manifest for %s not found: manifest unknown: manifest unknown", familiar(ref))
	}
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) && strings.Contains(err.Error(), "no such host") {
		return backend.Errorf(backend.Unavailable, "%v", err)
	}
	return backend.Errorf(backend.Internal, "%v", err)
}

// familiar is the reference as Docker's messages show it.
func familiar(ref name.Reference) string {
	s := ref.Name()
	s = strings.TrimPrefix(s, "index.docker.io/library/")
	return strings.TrimPrefix(s, "index.docker.io/")
}

// PushImage stores img under ref.
func (r *Registry) PushImage(ctx context.Context, ref string, img engine.PushImage) (engine.PushResult, error) {
	nref, err := parse(ref)
	if err != nil {
		return engine.PushResult{}, err
	}
	core := &pushImage{cfg: img.Config, byDigest: map[v1.Hash]v1.Layer{}}
	for _, pl := range img.Layers {
		pl := pl
		layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return pl.Open(ctx) })
		if err != nil {
			return engine.PushResult{}, err
		}
		core.layers = append(core.layers, layer)
	}
	v1img, err := partial.CompressedToImage(core)
	if err != nil {
		return engine.PushResult{}, err
	}
	res := engine.PushResult{Existed: make([]bool, len(core.layers))}
	tr, err := transport.NewWithContext(ctx, nref.Context().Registry, authn.Anonymous, r.transport(), []string{nref.Context().Scope(transport.PushScope)})
	if err == nil {
		for i, l := range core.layers {
			if d, err := l.Digest(); err == nil {
				res.Existed[i] = blobExists(ctx, tr, nref, d)
			}
		}
	}
	if err := remote.Write(nref, v1img, remote.WithContext(ctx), remote.WithTransport(r.transport()), remote.WithAuth(authn.Anonymous)); err != nil {
		return engine.PushResult{}, backend.Errorf(backend.Internal, "%v", err)
	}
	d, err := v1img.Digest()
	if err != nil {
		return engine.PushResult{}, err
	}
	m, err := v1img.RawManifest()
	if err != nil {
		return engine.PushResult{}, err
	}
	res.Digest, res.Size = d.String(), len(m)
	return res, nil
}

func blobExists(ctx context.Context, tr http.RoundTripper, ref name.Reference, d v1.Hash) bool {
	repo := ref.Context()
	u := fmt.Sprintf("%s://%s/v2/%s/blobs/%s", repo.Registry.Scheme(), repo.RegistryStr(), repo.RepositoryStr(), d)
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, u, nil)
	if err != nil {
		return false
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// pushImage is an image made of a configuration and gzipped layers, with a
// Docker schema 2 manifest, for remote.Write.
type pushImage struct {
	cfg      []byte
	layers   []v1.Layer
	byDigest map[v1.Hash]v1.Layer
	manifest []byte
}

func (p *pushImage) RawConfigFile() ([]byte, error) { return p.cfg, nil }

func (p *pushImage) MediaType() (types.MediaType, error) { return types.DockerManifestSchema2, nil }

func (p *pushImage) RawManifest() ([]byte, error) {
	if p.manifest != nil {
		return p.manifest, nil
	}
	cfgDigest, cfgSize, err := v1.SHA256(bytes.NewReader(p.cfg))
	if err != nil {
		return nil, err
	}
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.DockerManifestSchema2,
		Config:        v1.Descriptor{MediaType: types.DockerConfigJSON, Size: cfgSize, Digest: cfgDigest},
	}
	for _, l := range p.layers {
		d, err := l.Digest()
		if err != nil {
			return nil, err
		}
		size, err := l.Size()
		if err != nil {
			return nil, err
		}
		p.byDigest[d] = l
		m.Layers = append(m.Layers, v1.Descriptor{MediaType: types.DockerLayer, Size: size, Digest: d})
	}
	data, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	p.manifest = data
	return data, nil
}

func (p *pushImage) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	if _, err := p.RawManifest(); err != nil {
		return nil, err
	}
	if l, ok := p.byDigest[h]; ok {
		return l, nil
	}
	return nil, fmt.Errorf("push: no layer %s", h)
}
