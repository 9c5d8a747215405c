package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"

	"github.com/moby/moby/api/types/jsonstream"

	"github.com/twinbox-dev/twinbox/shared/api/stream"
	"github.com/twinbox-dev/twinbox/shared/api/wire"
	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/engine"
)

// BuildFunc builds an image for POST /build from the build context (a tar,
// possibly compressed, as the client uploaded it) and reports the build's
// output through progress, as dockerd's classic builder does: "stream"
// messages for the steps' output and an "aux" message {"ID":"sha256:..."}
// for the result. It returns the new image's ID. An error it returns before
// the first message becomes an HTTP error, after it the stream's last
// message. The builder is plugged in by whoever builds the Handler (see
// Options.Build).
type BuildFunc func(ctx context.Context, buildContext io.Reader, opts *wire.ImageBuildOptions, progress engine.ProgressFunc) (imageID string, err error)

// buildOptions reads the query of POST /build as dockerd's
// newImageBuildOptions.
func buildOptions(r *http.Request, version string) (*wire.ImageBuildOptions, error) {
	o := &wire.ImageBuildOptions{
		Version:        "1",
		Dockerfile:     r.FormValue("dockerfile"),
		SuppressOutput: boolValue(r, "q"),
		NoCache:        boolValue(r, "nocache"),
		ForceRemove:    boolValue(r, "forcerm"),
		MemorySwap:     int64ValueOrZero(r, "memswap"),
		Memory:         int64ValueOrZero(r, "memory"),
		CPUShares:      int64ValueOrZero(r, "cpushares"),
		CPUPeriod:      int64ValueOrZero(r, "cpuperiod"),
		CPUQuota:       int64ValueOrZero(r, "cpuquota"),
		CPUSetCPUs:     r.FormValue("cpusetcpus"),
		CPUSetMems:     r.FormValue("cpusetmems"),
		CgroupParent:   r.FormValue("cgroupparent"),
		NetworkMode:    r.FormValue("networkmode"),
		Tags:           r.Form["t"],
		ExtraHosts:     r.Form["extrahosts"],
		Squash:         boolValue(r, "squash"),
		Target:         r.FormValue("target"),
		RemoteContext:  r.FormValue("remote"),
		SessionID:      r.FormValue("session"),
		BuildID:        r.FormValue("buildid"),
	}
	if r.Form["securityopt"] != nil {
		return nil, backend.Errorf(backend.InvalidParameter, "The daemon on this platform does not support setting security options on build")
	}
	switch {
	case boolValue(r, "forcerm") && versionAtLeast(version, "1.12"):
		o.Remove = true
	case r.FormValue("rm") == "" && versionAtLeast(version, "1.12"):
		o.Remove = true
	default:
		o.Remove = boolValue(r, "rm")
	}
	if boolValue(r, "pull") && versionAtLeast(version, "1.16") {
		o.PullParent = true
	}
	if versionAtLeast(version, "1.32") {
		o.Platform = r.FormValue("platform")
	}
	if s := r.Form.Get("shmsize"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, err
		}
		o.ShmSize = n
	}
	if i := r.FormValue("isolation"); i != "" {
		switch i {
		case "default", "process", "hyperv":
			o.Isolation = i
		default:
			return nil, backend.Errorf(backend.InvalidParameter, "Unsupported isolation: %q", i)
		}
	}
	if s := r.FormValue("buildargs"); s != "" {
		o.BuildArgs = map[string]*string{}
		if err := json.Unmarshal([]byte(s), &o.BuildArgs); err != nil {
			return nil, backend.Errorf(backend.InvalidParameter, "error reading build args: %w", err)
		}
	}
	if s := r.FormValue("labels"); s != "" {
		o.Labels = map[string]string{}
		if err := json.Unmarshal([]byte(s), &o.Labels); err != nil {
			return nil, backend.Errorf(backend.InvalidParameter, "error reading labels: %w", err)
		}
	}
	if s := r.FormValue("cachefrom"); s != "" {
		o.CacheFrom = []string{}
		if err := json.Unmarshal([]byte(s), &o.CacheFrom); err != nil {
			return nil, err
		}
	}
	if bv := r.FormValue("version"); bv != "" {
		if bv != "1" && bv != "2" {
			return nil, fmt.Errorf("invalid version %q", bv)
		}
		o.Version = bv
	}
	return o, nil
}

// build answers POST /build with a JSON message stream. Output is held
// back until the build context has been read, as dockerd does, so that
// answering never cuts the upload short; with q=1 only the image ID is
// written (or, on failure, the held output and the error).
func (h *Handler) build(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	if err := parseForm(r); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	body, ww, release := holdOutputUntilRead(r.Body, w)
	out := stream.NewWriteFlusher(ww)
	defer out.Close()
	defer release() // whatever the builder read, its output goes out

	var quietBuf bytes.Buffer
	fail := func(err error) error {
		if boolValue(r, "q") && quietBuf.Len() > 0 {
			_, _ = out.Write(quietBuf.Bytes())
		}
		if !out.Flushed() {
			return err
		}
		_ = stream.NewEncoder(out).Error(err)
		return nil
	}
	opts, err := buildOptions(r, v.version)
	if err != nil {
		return fail(err)
	}
	if opts.Squash && !h.opts.Experimental {
		return backend.Errorf(backend.InvalidParameter, "squash is only supported with experimental mode")
	}
	if h.opts.Build == nil {
		return fail(backend.Errorf(backend.NotImplemented, "not implemented: building images (POST /build)"))
	}
	var enc *stream.Encoder
	if opts.SuppressOutput {
		enc = stream.NewEncoder(stream.NewWriteFlusher(&lockedBuffer{b: &quietBuf}))
	} else {
		enc = stream.NewEncoder(out)
	}
	id, err := h.opts.Build(ctx, body, opts, func(m jsonstream.Message) { _ = enc.Encode(m) })
	if err != nil {
		return fail(err)
	}
	if opts.SuppressOutput {
		_ = stream.NewEncoder(out).Stream(id + "\n")
	}
	return nil
}

type lockedBuffer struct {
	mu sync.Mutex
	b  *bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// holdOutputUntilRead returns the body and a writer that keeps what is
// written (and flushes) until the body has been read to its end or release
// is called, as dockerd's wrapOutputBufferedUntilRequestRead. An empty body
// needs no holding.
func holdOutputUntilRead(body io.ReadCloser, w http.ResponseWriter) (io.Reader, io.Writer, func()) {
	br := bufio.NewReader(body)
	if _, err := br.Peek(1); err != nil {
		return br, w, func() {}
	}
	hw := &heldWriter{w: w, flush: http.NewResponseController(w).Flush}
	return &notifyingReader{r: br, notify: hw.release}, hw, hw.release
}

type notifyingReader struct {
	r      io.Reader
	notify func()
}

func (n *notifyingReader) Read(p []byte) (int, error) {
	c, err := n.r.Read(p)
	if err != nil {
		n.notify()
	}
	return c, err
}

// heldWriter buffers writes and flushes until released.
type heldWriter struct {
	mu      sync.Mutex
	w       io.Writer
	flush   func() error
	buf     bytes.Buffer
	ready   bool
	flushed bool
}

func (h *heldWriter) Write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.ready {
		return h.buf.Write(p)
	}
	return h.w.Write(p)
}

// Flush flushes the response once released.
func (h *heldWriter) Flush() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.flushed = true
	if !h.ready {
		return nil
	}
	if err := h.flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	return nil
}

func (h *heldWriter) release() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.ready {
		return
	}
	h.ready = true
	if h.buf.Len() > 0 {
		_, _ = h.w.Write(h.buf.Bytes())
		h.buf.Reset()
	}
	if h.flushed {
		_ = h.flush()
	}
}
