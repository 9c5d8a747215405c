package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/moby/moby/api/types/container"

	"github.com/twinbox-dev/twinbox/shared/api/wire"
	"github.com/twinbox-dev/twinbox/shared/backend"
)

func (h *Handler) execCreate(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	if err := parseForm(r); err != nil {
		return err
	}
	if err := checkForJSON(r); err != nil {
		return err
	}
	var req container.ExecCreateRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		if errors.Is(err, io.EOF) {
			return backend.Errorf(backend.InvalidParameter, "got EOF while reading request body")
		}
		return backend.WithCode(backend.InvalidParameter, err)
	}
	if len(req.Cmd) == 0 {
		return backend.Errorf(backend.InvalidParameter, "No exec command specified")
	}
	id, err := h.api.ExecCreate(ctx, v.name, &req)
	if err != nil {
		h.logf("Error setting up exec command in container %s: %v", v.name, err)
		return err
	}
	return writeJSON(w, http.StatusCreated, &wire.IDResponse{ID: id})
}

func (h *Handler) execInspect(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	resp, err := h.api.ExecInspect(ctx, v.name)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, resp)
}

func (h *Handler) execResize(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	if err := parseForm(r); err != nil {
		return err
	}
	height, width, err := parseSize(r)
	if err != nil {
		return err
	}
	return h.api.ExecResize(ctx, v.name, height, width)
}
