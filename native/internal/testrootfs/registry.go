package testrootfs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/engine"
	"github.com/twinbox-dev/twinbox/shared/image"
)

// Registry is an engine.Registry that holds busybox:latest built from Tar
// as the reference base image is: one ADD of the root filesystem, then
// CMD ["sh"].
type Registry struct{}

var _ engine.Registry = Registry{}

// Pull returns busybox:latest; other references are not found.
func (Registry) Pull(ctx context.Context, ref string) (*engine.RemoteImage, error) {
	if ref != "docker.io/library/busybox:latest" {
		name, _, _ := strings.Cut(strings.TrimPrefix(ref, "docker.io/library/"), ":")
		return nil, backend.Errorf(backend.NotFound, "pull access denied for %s, repository does not exist or may require 'docker login': denied: requested access to the resource is denied", name)
	}
	data, err := Tar()
	if err != nil {
		return nil, backend.Errorf(backend.Unavailable, "%v", err)
	}
	sum := sha256.Sum256(data)
	diffID := "sha256:" + hex.EncodeToString(sum[:])
	created := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	img := &image.Image{
		Architecture: "amd64",
		Config: &container.Config{
			Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
			Cmd: []string{"sh"},
		},
		Created:       created,
		DockerVersion: image.DockerVersion,
		History: []image.History{
			{Created: created, CreatedBy: "/bin/sh -c #(nop) ADD file:" + diffID[7:] + " in / "},
			{Created: created, CreatedBy: "/bin/sh -c #(nop)  CMD [\"sh\"]", EmptyLayer: true},
		},
		OS:     "linux",
		RootFS: image.RootFS{Type: "layers", DiffIDs: []string{diffID}},
	}
	cfg, _, err := img.Marshal()
	if err != nil {
		return nil, err
	}
	return &engine.RemoteImage{
		Digest: image.Digest(append(cfg, 'm')),
		Config: cfg,
		Layers: []engine.RemoteLayer{{
			Digest: diffID, DiffID: diffID, Size: int64(len(data)),
			Open: func(ctx context.Context) (io.ReadCloser, error) {
				return io.NopCloser(bytes.NewReader(data)), nil
			},
		}},
	}, nil
}
