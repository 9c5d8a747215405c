package server

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/moby/moby/api/types/events"

	"github.com/twinbox-dev/twinbox/shared/api/stream"
	"github.com/twinbox-dev/twinbox/shared/api/wire"
	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/engine"
)

func (h *Handler) options(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	w.WriteHeader(http.StatusOK)
	return nil
}

// ping answers GET and HEAD /_ping with "OK" and the no-cache headers.
func (h *Handler) ping(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	w.Header().Add("Cache-Control", "no-cache, no-store, must-revalidate")
	w.Header().Add("Pragma", "no-cache")
	if r.Method == http.MethodHead {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Content-Length", "0")
		return nil
	}
	_, err := w.Write([]byte("OK"))
	return err
}

func (h *Handler) version(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	info, err := h.api.Version(ctx)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, info)
}

func (h *Handler) info(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	info, err := h.api.Info(ctx)
	if err != nil {
		return err
	}
	if versionLess(v.version, "1.39") {
		if info.KernelVersion == "" {
			info.KernelVersion = "<unknown>"
		}
		if info.OperatingSystem == "" {
			info.OperatingSystem = "<unknown>"
		}
	}
	return writeJSON(w, http.StatusOK, info)
}

// events answers GET /events: the past events, then live ones, one JSON
// object per line, until the engine closes the channel (opts.Until passed)
// or the client goes away.
func (h *Handler) events(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	if err := parseForm(r); err != nil {
		return err
	}
	var opts engine.EventsOptions
	since, _, err := parseTimestamp(r.Form.Get("since"))
	if err != nil {
		return err
	}
	until, hasUntil, err := parseTimestamp(r.Form.Get("until"))
	if err != nil {
		return err
	}
	if hasUntil && until.Before(since) {
		return backend.Errorf(backend.InvalidParameter, "`since` time (%s) cannot be after `until` time (%s)", r.Form.Get("since"), r.Form.Get("until"))
	}
	opts.Since, opts.Until = since, until
	if opts.Filters, err = ParseFilters(r.Form.Get("filters")); err != nil {
		return err
	}
	past, live, err := h.api.Events(ctx, opts)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	out := stream.NewWriteFlusher(w)
	defer out.Close()
	out.Flush()
	enc := json.NewEncoder(out)
	for _, ev := range past {
		if err := enc.Encode(wire.NewEventMessage(ev)); err != nil {
			return err
		}
	}
	if live == nil {
		return nil
	}
	for {
		var ev events.Message
		var ok bool
		select {
		case ev, ok = <-live:
		case <-ctx.Done():
			return nil
		}
		if !ok {
			return nil
		}
		if err := enc.Encode(wire.NewEventMessage(ev)); err != nil {
			return err
		}
	}
}

// diskUsage answers GET /system/df. API 1.41 takes no parameters.
func (h *Handler) diskUsage(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	du, err := h.api.DiskUsage(ctx)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, du)
}
