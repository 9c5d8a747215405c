package server

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"

	buildtypes "github.com/moby/moby/api/types/build"
	"github.com/moby/moby/api/types/container"

	"github.com/twinbox-dev/twinbox/shared/api/stream"
	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/engine"
)

// The archive (docker cp), stats and prune routes of containers, and image
// prune, as dockerd 20.10 serves them.

// archiveForm reads the name and path of an archive request. Errors carry
// dockerd's text, missing space included.
func archiveForm(r *http.Request, v vars) (string, error) {
	if err := parseForm(r); err != nil {
		return "", err
	}
	if v.name == "" {
		return "", backend.Errorf(backend.InvalidParameter, "bad parameter: namecannot be empty")
	}
	p := r.Form.Get("path")
	if p == "" {
		return "", backend.Errorf(backend.InvalidParameter, "bad parameter: pathcannot be empty")
	}
	return p, nil
}

// setPathStatHeader puts a path's stat in the X-Docker-Container-Path-Stat
// header, base64-encoded JSON.
func setPathStatHeader(h http.Header, st *container.PathStat) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	h.Set("X-Docker-Container-Path-Stat", base64.StdEncoding.EncodeToString(b))
	return nil
}

func (h *Handler) containerArchiveHead(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	p, err := archiveForm(r, v)
	if err != nil {
		return err
	}
	st, err := h.api.ContainerStatPath(ctx, v.name, p)
	if err != nil {
		return err
	}
	return setPathStatHeader(w.Header(), st)
}

func (h *Handler) containerArchiveGet(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	p, err := archiveForm(r, v)
	if err != nil {
		return err
	}
	rc, st, err := h.api.ContainerArchive(ctx, v.name, p)
	if err != nil {
		return err
	}
	defer rc.Close()
	if err := setPathStatHeader(w.Header(), st); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/x-tar")
	_, err = io.Copy(w, rc)
	return err
}

func (h *Handler) containerArchivePut(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	p, err := archiveForm(r, v)
	if err != nil {
		return err
	}
	return h.api.ContainerExtractToDir(ctx, v.name, p, boolValue(r, "noOverwriteDirNonDir"), boolValue(r, "copyUIDGID"), r.Body)
}

// containerStats answers with one sample, or with a sample a second (JSON
// values one a line, flushed) while stream, the default, is set.
func (h *Handler) containerStats(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	if err := parseForm(r); err != nil {
		return err
	}
	opts := engine.StatsOptions{Stream: boolValueOrDefault(r, "stream", true)}
	if !opts.Stream {
		w.Header().Set("Content-Type", "application/json")
	}
	if versionAtLeast(v.version, "1.41") {
		opts.OneShot = boolValueOrDefault(r, "one-shot", false)
	}
	samples, err := h.api.ContainerStats(ctx, v.name, opts)
	if err != nil {
		return err
	}
	var out io.Writer = w
	if opts.Stream {
		wf := stream.NewWriteFlusher(w)
		defer wf.Close()
		wf.Flush()
		out = wf
	}
	enc := json.NewEncoder(out)
	for s := range samples {
		if err := enc.Encode(&s); err != nil {
			return nil // the client went away
		}
	}
	return nil
}

func (h *Handler) containersPrune(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	if err := parseForm(r); err != nil {
		return err
	}
	filters, err := ParseFilters(r.Form.Get("filters"))
	if err != nil {
		return backend.WithCode(backend.InvalidParameter, err)
	}
	rep, err := h.api.ContainersPrune(ctx, filters)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rep)
}

func (h *Handler) imagesPrune(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	if err := parseForm(r); err != nil {
		return err
	}
	filters, err := ParseFilters(r.Form.Get("filters"))
	if err != nil {
		return err
	}
	rep, err := h.api.ImagesPrune(ctx, filters)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rep)
}

// buildCacheFilters are the filters dockerd 20.10's BuildKit prune takes.
var buildCacheFilters = map[string]bool{"id": true, "parent": true, "type": true, "description": true, "inuse": true, "shared": true, "private": true, "until": true, "unused-for": true}

// buildPrune answers POST /build/prune. twinbox's builder is the classic
// one, whose cache is the images themselves (`docker image prune` removes
// them); BuildKit's cache, which this route prunes in dockerd, it has
// none of. So nothing is deleted, as in a dockerd that never ran BuildKit.
func (h *Handler) buildPrune(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	if err := parseForm(r); err != nil {
		return err
	}
	filters, err := ParseFilters(r.Form.Get("filters"))
	if err != nil {
		return err
	}
	for k := range filters {
		if !buildCacheFilters[k] {
			return backend.Errorf(backend.InvalidParameter, "invalid filter '%s'", k)
		}
	}
	return writeJSON(w, http.StatusOK, buildtypes.CachePruneReport{})
}
