package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/network"

	"github.com/twinbox-dev/twinbox/shared/api/wire"
	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/engine"
)

// The network routes, as dockerd 20.10's network router serves them.

// decodeBody reads a JSON request body into v as dockerd's network and
// volume routes do: an empty body is "got EOF while reading request body",
// other decoding errors are InvalidParameter with encoding/json's message.
func decodeBody(r *http.Request, v any) error {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return backend.Errorf(backend.InvalidParameter, "got EOF while reading request body")
		}
		return backend.WithCode(backend.InvalidParameter, err)
	}
	return nil
}

func (h *Handler) networkList(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	if err := parseForm(r); err != nil {
		return err
	}
	filters, err := ParseFilters(r.Form.Get("filters"))
	if err != nil {
		return err
	}
	list, err := h.api.Networks(ctx, filters)
	if err != nil {
		return err
	}
	if list == nil {
		list = []wire.Network{}
	}
	return writeJSON(w, http.StatusOK, list)
}

// networkInspect answers GET /networks/{id}. Every network is local, so a
// scope other than "local" finds none.
func (h *Handler) networkInspect(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	q := r.URL.Query()
	if s := q.Get("verbose"); s != "" {
		if _, err := strconv.ParseBool(s); err != nil {
			return backend.Errorf(backend.InvalidParameter, "invalid value for verbose: %s: %v", s, err)
		}
	}
	if s := q.Get("scope"); s != "" && s != "local" {
		return backend.Errorf(backend.NotFound, "network %s not found", v.name)
	}
	id, err := h.findNetwork(ctx, v.name)
	if err != nil {
		return err
	}
	n, err := h.api.NetworkInspect(ctx, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, n)
}

// findNetwork resolves the term of GET /networks/{id} as dockerd's router
// does, with its own texts for ambiguous terms: a full ID, else a unique
// full name, else a unique ID prefix.
func (h *Handler) findNetwork(ctx context.Context, term string) (string, error) {
	list, err := h.api.Networks(ctx, engine.Filters{})
	if err != nil {
		return "", err
	}
	var byName, byPrefix []string
	for _, n := range list {
		if n.ID == term {
			return n.ID, nil
		}
		if n.Name == term {
			byName = append(byName, n.ID)
		}
		if strings.HasPrefix(n.ID, term) {
			byPrefix = append(byPrefix, n.ID)
		}
	}
	switch {
	case len(byName) == 1:
		return byName[0], nil
	case len(byName) > 1:
		return "", backend.Errorf(backend.InvalidParameter, "%d matches found based on name: network %s is ambiguous", len(byName), term)
	case len(byPrefix) == 1:
		return byPrefix[0], nil
	case len(byPrefix) > 1:
		return "", backend.Errorf(backend.InvalidParameter, "%d matches found based on ID prefix: network %s is ambiguous", len(byPrefix), term)
	}
	return "", backend.Errorf(backend.NotFound, "network %s not found", term)
}

func (h *Handler) networkCreate(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	if err := parseForm(r); err != nil {
		return err
	}
	if err := checkForJSON(r); err != nil {
		return err
	}
	var req wire.NetworkCreateRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	resp, err := h.api.NetworkCreate(ctx, req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, resp)
}

// networkConnectRequest is the body of POST /networks/{id}/connect.
type networkConnectRequest struct {
	Container      string
	EndpointConfig *network.EndpointSettings `json:",omitempty"`
}

// networkDisconnectRequest is the body of POST /networks/{id}/disconnect.
type networkDisconnectRequest struct {
	Container string
	Force     bool
}

func (h *Handler) networkConnect(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	if err := parseForm(r); err != nil {
		return err
	}
	if err := checkForJSON(r); err != nil {
		return err
	}
	var req networkConnectRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if err := h.api.NetworkConnect(ctx, v.name, req.Container, req.EndpointConfig); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (h *Handler) networkDisconnect(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	if err := parseForm(r); err != nil {
		return err
	}
	if err := checkForJSON(r); err != nil {
		return err
	}
	var req networkDisconnectRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if err := h.api.NetworkDisconnect(ctx, v.name, req.Container, req.Force); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (h *Handler) networkRemove(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	if err := parseForm(r); err != nil {
		return err
	}
	if err := h.api.NetworkRemove(ctx, v.name); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) networksPrune(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	if err := parseForm(r); err != nil {
		return err
	}
	filters, err := ParseFilters(r.Form.Get("filters"))
	if err != nil {
		return err
	}
	rep, err := h.api.NetworksPrune(ctx, filters)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rep)
}
