package engine

import (
	"context"
	"fmt"
	"io"

	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/jsonstream"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/image"
)

// Pusher is a Registry that can also store images (`docker push`).
type Pusher interface {
	// PushImage stores img under the normalised reference ref
	// ("127.0.0.1:5000/hello:v1") and returns the manifest's digest and
	// size. Errors carry the registry's message.
	PushImage(ctx context.Context, ref string, img PushImage) (PushResult, error)
}

// PushImage is what Pusher stores: an image configuration and its layers,
// bottom first.
type PushImage struct {
	Config []byte
	Layers []PushLayer
}

// PushLayer is one layer of a PushImage.
type PushLayer struct {
	DiffID string
	// Open returns the layer's uncompressed tar.
	Open func(ctx context.Context) (io.ReadCloser, error)
}

// PushResult says what a push did.
type PushResult struct {
	Digest string // manifest digest, "sha256:<hex>"
	Size   int    // manifest size in bytes
	// Existed tells, per layer, whether the registry had it already.
	Existed []bool
}

// ImagePush answers POST /images/{name}/push: it pushes the image tagged
// name:tag ("" means latest) to its registry, reporting progress as dockerd
// does. An error before the first progress message is returned; the
// router puts later ones in the stream.
func (e *Engine) ImagePush(ctx context.Context, name, tag string, progress ProgressFunc) error {
	named, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return backend.WithCode(backend.InvalidParameter, err)
	}
	if tag != "" {
		if named, err = reference.WithTag(reference.TrimNamed(named), tag); err != nil {
			return backend.WithCode(backend.InvalidParameter, err)
		}
	} else {
		named = reference.TagNameOnly(named)
	}
	r, err := e.images.lookup(named.String())
	if err != nil {
		return backend.Errorf(backend.NotFound, "An image does not exist locally with the tag: %s", reference.FamiliarName(named))
	}
	pusher, ok := e.opts.Registry.(Pusher)
	if !ok {
		return backend.Errorf(backend.Unavailable, "Get \"https://%s/v2/\": dial tcp: lookup %s: no such host", registryHost(named), registryHost(named))
	}
	progress(jsonstream.Message{Status: fmt.Sprintf("The push refers to repository [%s]", named.Name())})
	chains := image.ChainIDs(r.img.RootFS.DiffIDs)
	img := PushImage{Config: r.raw}
	for i := len(chains) - 1; i >= 0; i-- {
		progress(jsonstream.Message{Status: "Preparing", ID: shortID(r.img.RootFS.DiffIDs[i]), Progress: &jsonstream.Progress{}})
	}
	for i, d := range r.img.RootFS.DiffIDs {
		chain := chains[i]
		img.Layers = append(img.Layers, PushLayer{DiffID: d, Open: func(ctx context.Context) (io.ReadCloser, error) {
			return e.b.LayerTar(ctx, chain)
		}})
	}
	res, err := pusher.PushImage(ctx, named.String(), img)
	if err != nil {
		return err
	}
	for i := len(chains) - 1; i >= 0; i-- {
		status := "Pushed"
		if i < len(res.Existed) && res.Existed[i] {
			status = "Layer already exists"
		}
		progress(jsonstream.Message{Status: status, ID: shortID(r.img.RootFS.DiffIDs[i]), Progress: &jsonstream.Progress{}})
	}
	tagName := "latest"
	if t, ok := named.(reference.Tagged); ok {
		tagName = t.Tag()
	}
	progress(jsonstream.Message{Status: fmt.Sprintf("%s: digest: %s size: %d", tagName, res.Digest, res.Size)})
	if canon, err := reference.WithDigest(reference.TrimNamed(named), digestOf(res.Digest)); err == nil {
		e.images.tag(canon, r.id, e.now())
	}
	e.imageEvent(r.id, "push", reference.FamiliarString(named))
	return nil
}

// registryHost is the host a reference's registry is reached at.
func registryHost(n reference.Named) string {
	host := reference.Domain(n)
	if host == "docker.io" {
		return "registry-1.docker.io"
	}
	return host
}
