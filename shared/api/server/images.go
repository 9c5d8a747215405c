package server

import (
	"context"
	"net/http"
	"strings"

	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/opencontainers/go-digest"

	"github.com/twinbox-dev/twinbox/shared/api/stream"
	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/engine"
)

// pullReference joins the fromImage and tag parameters of a pull as dockerd
// does: the tag may be a digest, and replaces a tag in fromImage.
func pullReference(image, tag string) (string, error) {
	image = strings.TrimSuffix(image, ":")
	ref, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		return "", backend.WithCode(backend.InvalidParameter, err)
	}
	if tag != "" {
		if dgst, derr := digest.Parse(tag); derr == nil {
			ref, err = reference.WithDigest(reference.TrimNamed(ref), dgst)
		} else {
			ref, err = reference.WithTag(ref, tag)
		}
		if err != nil {
			return "", backend.WithCode(backend.InvalidParameter, err)
		}
	}
	return reference.FamiliarString(ref), nil
}

// imageCreate answers POST /images/create: a pull (fromImage) or an import
// (fromSrc), as a JSON message stream. An error before the first message is
// an HTTP error; after it, the stream's last message.
func (h *Handler) imageCreate(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	if err := parseForm(r); err != nil {
		return err
	}
	out := stream.NewWriteFlusher(w)
	defer out.Close()
	w.Header().Set("Content-Type", "application/json")
	enc := stream.NewEncoder(out)

	var err error
	if image := r.Form.Get("fromImage"); image != "" {
		var ref string
		if ref, err = pullReference(image, r.Form.Get("tag")); err != nil {
			return err
		}
		err = h.api.ImagePull(ctx, ref, func(m jsonstream.Message) { _ = enc.Encode(m) })
	} else {
		err = backend.Errorf(backend.NotImplemented, "not implemented: importing an image (POST /images/create?fromSrc=)")
	}
	if err != nil {
		if !out.Flushed() {
			return err
		}
		_ = enc.Error(err)
	}
	return nil
}

// imagePush answers POST /images/{name}/push?tag= as a JSON message
// stream, as imageCreate does for pulls.
func (h *Handler) imagePush(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	if err := parseForm(r); err != nil {
		return err
	}
	out := stream.NewWriteFlusher(w)
	defer out.Close()
	w.Header().Set("Content-Type", "application/json")
	enc := stream.NewEncoder(out)
	if err := h.api.ImagePush(ctx, v.name, r.Form.Get("tag"), func(m jsonstream.Message) { _ = enc.Encode(m) }); err != nil {
		if !out.Flushed() {
			return err
		}
		_ = enc.Error(err)
	}
	return nil
}

// imageGet answers GET /images/get?names=... with a tar archive of the
// images.
func (h *Handler) imageGet(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	if err := parseForm(r); err != nil {
		return err
	}
	return h.imageSave(ctx, w, r.Form["names"])
}

// imageGetNamed answers GET /images/{name}/get.
func (h *Handler) imageGetNamed(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	if err := parseForm(r); err != nil {
		return err
	}
	return h.imageSave(ctx, w, []string{v.name})
}

func (h *Handler) imageSave(ctx context.Context, w http.ResponseWriter, names []string) error {
	w.Header().Set("Content-Type", "application/x-tar")
	out := stream.NewWriteFlusher(w)
	defer out.Close()
	if err := h.api.ImageSave(ctx, names, out); err != nil {
		if !out.Flushed() {
			return err
		}
		_ = stream.NewEncoder(out).Error(err)
	}
	return nil
}

// imageLoad answers POST /images/load. Errors always travel in the stream,
// as in dockerd.
func (h *Handler) imageLoad(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	if err := parseForm(r); err != nil {
		return err
	}
	quiet := boolValueOrDefault(r, "quiet", true)
	w.Header().Set("Content-Type", "application/json")
	out := stream.NewWriteFlusher(w)
	defer out.Close()
	enc := stream.NewEncoder(out)
	if err := h.api.ImageLoad(ctx, r.Body, quiet, func(m jsonstream.Message) { _ = enc.Encode(m) }); err != nil {
		_ = enc.Error(err)
	}
	return nil
}

func (h *Handler) imageRemove(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	if err := parseForm(r); err != nil {
		return err
	}
	if strings.TrimSpace(v.name) == "" {
		return backend.Errorf(backend.InvalidParameter, "image name cannot be blank")
	}
	list, err := h.api.ImageRemove(ctx, v.name, boolValue(r, "force"), !boolValue(r, "noprune"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list)
}

func (h *Handler) imageInspect(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	img, err := h.api.ImageInspect(ctx, v.name)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, img)
}

func (h *Handler) imageList(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	if err := parseForm(r); err != nil {
		return err
	}
	filters, err := ParseFilters(r.Form.Get("filters"))
	if err != nil {
		return err
	}
	if versionLess(v.version, "1.41") {
		if f := r.Form.Get("filter"); f != "" {
			filters["reference"] = appendUnique(filters["reference"], f)
		}
	}
	list, err := h.api.Images(ctx, engine.ImageListOptions{All: boolValue(r, "all"), Filters: filters})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list)
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

func (h *Handler) imageHistory(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	hist, err := h.api.ImageHistory(ctx, v.name)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, hist)
}

func (h *Handler) imageTag(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	if err := parseForm(r); err != nil {
		return err
	}
	if err := h.api.ImageTag(ctx, v.name, r.Form.Get("repo"), r.Form.Get("tag")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusCreated)
	return nil
}
