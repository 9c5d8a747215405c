package engine

// This file lists the engine's API methods while their implementations are
// written; each moves to its own file (containers.go, images.go, ...) as it
// lands, and this file disappears.

import (
	"context"
	"io"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

var errPending = backend.Errorf(backend.NotImplemented, "engine: this endpoint is being written")

// ImageSave answers GET /images/get: a docker-archive tar of the images.
func (e *Engine) ImageSave(ctx context.Context, names []string, w io.Writer) error {
	return errPending
}

// ImageLoad answers POST /images/load.
func (e *Engine) ImageLoad(ctx context.Context, r io.Reader, quiet bool, progress ProgressFunc) error {
	return errPending
}
