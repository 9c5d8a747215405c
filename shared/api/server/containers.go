package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"

	"github.com/twinbox-dev/twinbox/shared/api/stream"
	"github.com/twinbox-dev/twinbox/shared/api/wire"
	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/engine"
)

// configWrapper is the body of POST /containers/create: a container.Config
// with the host and networking configurations beside it, as dockerd's
// runconfig.ContainerConfigWrapper reads it.
type configWrapper struct {
	*container.Config
	HostConfig       *container.HostConfig     `json:"HostConfig,omitempty"`
	NetworkingConfig *network.NetworkingConfig `json:"NetworkingConfig,omitempty"`
}

// decodeContainerConfig reads a create (or commit) body as dockerd's
// runconfig does, with its API-level defaults: a config with a host config
// gets an empty Volumes map, and a blank network mode becomes "default".
// Validation is the engine's. Decoding errors have no code (500), as in
// dockerd.
func decodeContainerConfig(r io.Reader) (*container.Config, *container.HostConfig, *network.NetworkingConfig, error) {
	var w configWrapper
	if err := json.NewDecoder(r).Decode(&w); err != nil {
		return nil, nil, nil, err
	}
	hc := w.HostConfig
	if w.Config != nil && hc != nil && w.Config.Volumes == nil {
		w.Config.Volumes = map[string]struct{}{}
	}
	if hc != nil && hc.NetworkMode == "" {
		hc.NetworkMode = "default"
	}
	return w.Config, hc, w.NetworkingConfig, nil
}

func (h *Handler) containerCreate(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	if err := parseForm(r); err != nil {
		return err
	}
	if err := checkForJSON(r); err != nil {
		return err
	}
	config, hostConfig, networking, err := decodeContainerConfig(r.Body)
	if err != nil {
		return err
	}
	if hostConfig != nil {
		if versionLess(v.version, "1.25") {
			hostConfig.AutoRemove = false
		}
		if versionLess(v.version, "1.40") {
			for _, m := range hostConfig.Mounts {
				if m.BindOptions != nil {
					m.BindOptions.NonRecursive = false
				}
			}
			if hostConfig.IpcMode.IsEmpty() {
				hostConfig.IpcMode = "shareable"
			}
		}
		if versionLess(v.version, "1.41") && hostConfig.CgroupnsMode == "" {
			// The reference daemon runs on cgroup v1, where older clients
			// expect the host's cgroup namespace.
			hostConfig.CgroupnsMode = "host"
		}
		if hostConfig.PidsLimit != nil && *hostConfig.PidsLimit <= 0 {
			hostConfig.PidsLimit = nil
		}
	}
	resp, err := h.api.ContainerCreate(ctx, engine.CreateOptions{
		Name:       r.Form.Get("name"),
		Config:     config,
		HostConfig: hostConfig,
		Networking: networking,
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, resp)
}

func (h *Handler) containerList(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	if err := parseForm(r); err != nil {
		return err
	}
	filters, err := ParseFilters(r.Form.Get("filters"))
	if err != nil {
		return err
	}
	opts := engine.ListOptions{
		All:     boolValue(r, "all"),
		Size:    boolValue(r, "size"),
		Filters: filters,
	}
	limit, err := intParam(r, "limit")
	if err != nil {
		return err
	}
	if limit != nil {
		opts.Limit = *limit
	}
	list, err := h.api.Containers(ctx, opts)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list)
}

func (h *Handler) containerInspect(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	c, err := h.api.ContainerInspect(ctx, v.name, boolValue(r, "size"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

func (h *Handler) containerTop(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	if err := parseForm(r); err != nil {
		return err
	}
	top, err := h.api.ContainerTop(ctx, v.name, r.Form.Get("ps_args"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, top)
}

func (h *Handler) containerChanges(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	changes, err := h.api.ContainerChanges(ctx, v.name)
	if err != nil {
		return err
	}
	out := make([]wire.FilesystemChange, len(changes))
	for i, c := range changes {
		out[i] = wire.FilesystemChange{Path: c.Path, Kind: uint8(c.Kind)}
	}
	if changes == nil {
		out = nil
	}
	return writeJSON(w, http.StatusOK, out)
}

// containerLogs streams a container's log: raw with a TTY, else
// multiplexed with stdcopy. Once the stream starts, errors can no longer
// change the status.
func (h *Handler) containerLogs(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	if err := parseForm(r); err != nil {
		return err
	}
	stdout, stderr := boolValue(r, "stdout"), boolValue(r, "stderr")
	if !(stdout || stderr) {
		return backend.Errorf(backend.InvalidParameter, "Bad parameters: you must choose at least one stream")
	}
	opts := engine.LogsOptions{
		Stdout:     stdout,
		Stderr:     stderr,
		Follow:     boolValue(r, "follow"),
		Timestamps: boolValue(r, "timestamps"),
		Tail:       r.Form.Get("tail"),
	}
	var err error
	if opts.Since, _, err = parseTimestamp(r.Form.Get("since")); err != nil {
		return err
	}
	if opts.Until, _, err = parseTimestamp(r.Form.Get("until")); err != nil {
		return err
	}
	msgs, tty, err := h.api.ContainerLogs(ctx, v.name, opts)
	if err != nil {
		return err
	}
	writeLogStream(w, msgs, opts, !tty)
	return nil
}

// timestampFormat is RFC 3339 with nanoseconds padded to nine digits, the
// format of `docker logs --timestamps`.
const timestampFormat = "2006-01-02T15:04:05.000000000Z07:00"

// writeLogStream writes log messages as dockerd's httputils.WriteLogStream.
func writeLogStream(w io.Writer, msgs <-chan engine.LogMessage, opts engine.LogsOptions, mux bool) {
	wf := stream.NewWriteFlusher(w)
	defer wf.Close()
	wf.Flush()
	var outStream, errStream io.Writer = wf, wf
	if mux {
		outStream = stream.NewStdWriter(wf, stream.Stdout)
		errStream = stream.NewStdWriter(wf, stream.Stderr)
	}
	for msg := range msgs {
		line := msg.Line
		if opts.Timestamps {
			line = append([]byte(msg.Time.Format(timestampFormat)+" "), line...)
		}
		switch {
		case msg.Stream == "stdout" && opts.Stdout:
			_, _ = outStream.Write(line)
		case msg.Stream == "stderr" && opts.Stderr:
			_, _ = errStream.Write(line)
		}
	}
}

func (h *Handler) containerExport(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	return h.api.ContainerExport(ctx, v.name, w)
}

func (h *Handler) containerStart(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	// A non-empty JSON object is at least 7 bytes; a host config in the
	// body was removed in API 1.24.
	if r.ContentLength > 7 || r.ContentLength == -1 {
		if versionAtLeast(v.version, "1.24") {
			return backend.Errorf(backend.InvalidParameter, "starting container with non-empty request body was deprecated since API v1.22 and removed in v1.24")
		}
		return backend.Errorf(backend.NotImplemented, "not implemented: a host config in POST /containers/{name}/start (API < 1.24)")
	}
	if err := parseForm(r); err != nil {
		return err
	}
	if err := h.api.ContainerStart(ctx, v.name); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) containerStop(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	if err := parseForm(r); err != nil {
		return err
	}
	t, err := intParam(r, "t")
	if err != nil {
		return err
	}
	if err := h.api.ContainerStop(ctx, v.name, engine.StopOptions{Timeout: t}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) containerRestart(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	if err := parseForm(r); err != nil {
		return err
	}
	t, err := intParam(r, "t")
	if err != nil {
		return err
	}
	if err := h.api.ContainerRestart(ctx, v.name, engine.StopOptions{Timeout: t}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// containerKill checks the signal itself, then prefixes the engine's errors
// with "Cannot kill container: NAME: ", as dockerd's router does.
func (h *Handler) containerKill(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	if err := parseForm(r); err != nil {
		return err
	}
	sig := r.Form.Get("signal")
	if sig != "" {
		if _, err := backend.ParseSignal(sig); err != nil {
			return err
		}
	}
	if err := h.api.ContainerKill(ctx, v.name, sig); err != nil {
		return &backend.Error{Code: backend.CodeOf(err), Msg: "Cannot kill container: " + v.name + ": " + err.Error(), Err: err}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) containerPause(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	if err := parseForm(r); err != nil {
		return err
	}
	if err := h.api.ContainerPause(ctx, v.name); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) containerUnpause(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	if err := parseForm(r); err != nil {
		return err
	}
	if err := h.api.ContainerUnpause(ctx, v.name); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// containerWait sends the status and headers at once, then the exit status
// when the condition is met, as dockerd does since API 1.30.
func (h *Handler) containerWait(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	cond := container.WaitConditionNotRunning
	legacy := versionLess(v.version, "1.30")
	if !legacy {
		if err := parseForm(r); err != nil {
			return err
		}
		switch c := container.WaitCondition(r.Form.Get("condition")); c {
		case container.WaitConditionNextExit, container.WaitConditionRemoved:
			cond = c
		}
	}
	ch, err := h.api.ContainerWait(ctx, v.name, cond)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	if !legacy {
		w.WriteHeader(http.StatusOK)
		_ = http.NewResponseController(w).Flush()
	}
	var status container.WaitResponse
	select {
	case s, ok := <-ch:
		if !ok {
			return nil
		}
		status = s
	case <-ctx.Done():
		return nil
	}
	resp := wire.WaitResponse{StatusCode: status.StatusCode}
	if status.Error != nil {
		resp.Error = &wire.WaitError{Message: status.Error.Message}
	}
	return json.NewEncoder(w).Encode(&resp)
}

func (h *Handler) containerRemove(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	if err := parseForm(r); err != nil {
		return err
	}
	opts := engine.RemoveOptions{
		Force:         boolValue(r, "force"),
		RemoveVolumes: boolValue(r, "v"),
		RemoveLink:    boolValue(r, "link"),
	}
	if err := h.api.ContainerRemove(ctx, v.name, opts); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) containerRename(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	if err := parseForm(r); err != nil {
		return err
	}
	if err := h.api.ContainerRename(ctx, v.name, r.Form.Get("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// parseSize reads the h and w parameters of a resize. Errors are
// InvalidParameter with strconv's message, as in dockerd.
func parseSize(r *http.Request) (height, width uint, err error) {
	hv, err := strconv.Atoi(r.Form.Get("h"))
	if err != nil {
		return 0, 0, backend.WithCode(backend.InvalidParameter, err)
	}
	wv, err := strconv.Atoi(r.Form.Get("w"))
	if err != nil {
		return 0, 0, backend.WithCode(backend.InvalidParameter, err)
	}
	if hv < 0 || wv < 0 {
		return 0, 0, backend.Errorf(backend.InvalidParameter, "invalid terminal size %dx%d", hv, wv)
	}
	return uint(hv), uint(wv), nil
}

func (h *Handler) containerResize(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	if err := parseForm(r); err != nil {
		return err
	}
	height, width, err := parseSize(r)
	if err != nil {
		return err
	}
	return h.api.ContainerResize(ctx, v.name, height, width)
}

// commit answers POST /commit with 201 and {"Id": "sha256:..."}.
func (h *Handler) commit(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	if err := parseForm(r); err != nil {
		return err
	}
	if err := checkForJSON(r); err != nil {
		return err
	}
	pause := boolValue(r, "pause")
	if r.FormValue("pause") == "" && versionAtLeast(v.version, "1.13") {
		pause = true
	}
	config, _, _, err := decodeContainerConfig(r.Body)
	if err != nil && err != io.EOF { // an empty body is no error
		return err
	}
	id, err := h.api.Commit(ctx, r.Form.Get("container"), engine.CommitOptions{
		Repo:    r.Form.Get("repo"),
		Tag:     r.Form.Get("tag"),
		Comment: r.Form.Get("comment"),
		Author:  r.Form.Get("author"),
		Pause:   pause,
		Changes: r.Form["changes"],
		Config:  config,
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, &wire.IDResponse{ID: id})
}

// containerCopy is the copy endpoint removed in API 1.24: it answers 404
// with no body, as dockerd does for current clients.
func (h *Handler) containerCopy(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	if versionAtLeast(v.version, "1.24") {
		w.WriteHeader(http.StatusNotFound)
		return nil
	}
	return backend.Errorf(backend.NotImplemented, "not implemented: POST /containers/{name}/copy (API < 1.24)")
}

// containerUpdate answers POST /containers/{name}/update.
func (h *Handler) containerUpdate(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	if err := parseForm(r); err != nil {
		return err
	}
	if err := checkForJSON(r); err != nil {
		return err
	}
	var u container.UpdateConfig
	if err := decodeBody(r, &u); err != nil {
		return err
	}
	if versionLess(v.version, "1.40") {
		u.PidsLimit = nil
	}
	resp, err := h.api.ContainerUpdate(ctx, v.name, u)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, resp)
}
