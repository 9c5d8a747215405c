package server

import (
	"context"
	"net/http"

	"github.com/twinbox-dev/twinbox/shared/api/wire"
	"github.com/twinbox-dev/twinbox/shared/backend"
)

// The volume routes, as dockerd 20.10's volume router serves them.

func (h *Handler) volumeList(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	if err := parseForm(r); err != nil {
		return err
	}
	filters, err := ParseFilters(r.Form.Get("filters"))
	if err != nil {
		return backend.Errorf(backend.InvalidParameter, "error reading volume filters: %v", err)
	}
	list, err := h.api.Volumes(ctx, filters)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, &list)
}

func (h *Handler) volumeInspect(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	if err := parseForm(r); err != nil {
		return err
	}
	vol, err := h.api.VolumeInspect(ctx, v.name)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, vol)
}

func (h *Handler) volumeCreate(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	if err := parseForm(r); err != nil {
		return err
	}
	if err := checkForJSON(r); err != nil {
		return err
	}
	var req wire.VolumeCreateRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	vol, err := h.api.VolumeCreate(ctx, req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, vol)
}

func (h *Handler) volumeRemove(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	if err := parseForm(r); err != nil {
		return err
	}
	if err := h.api.VolumeRemove(ctx, v.name, boolValue(r, "force")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) volumesPrune(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	if err := parseForm(r); err != nil {
		return err
	}
	filters, err := ParseFilters(r.Form.Get("filters"))
	if err != nil {
		return err
	}
	rep, err := h.api.VolumesPrune(ctx, filters)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rep)
}
