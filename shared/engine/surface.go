package engine

// This file lists the engine's API methods while their implementations are
// written; each moves to its own file (containers.go, images.go, ...) as it
// lands, and this file disappears.

import (
	"context"
	"io"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/system"

	"github.com/twinbox-dev/twinbox/shared/api/wire"
	"github.com/twinbox-dev/twinbox/shared/backend"
)

var errPending = backend.Errorf(backend.NotImplemented, "engine: this endpoint is being written")

// Engine is a container engine over a backend. Its methods are safe for
// concurrent use.
type Engine struct {
	b    backend.Backend
	opts Options
}

// New returns an engine over b, loading the records in opts.Store and
// reattaching to containers that still run.
func New(ctx context.Context, b backend.Backend, opts Options) (*Engine, error) {
	return &Engine{b: b, opts: opts}, nil
}

// Close stops the engine's background work. Containers keep running.
func (e *Engine) Close() error { return nil }

// Version answers GET /version.
func (e *Engine) Version(ctx context.Context) (system.VersionResponse, error) {
	return system.VersionResponse{}, errPending
}

// Info answers GET /info.
func (e *Engine) Info(ctx context.Context) (*system.Info, error) { return nil, errPending }

// Events answers GET /events: the past events matching opts, then live ones
// on the channel until ctx is done or opts.Until passes (then it is closed).
func (e *Engine) Events(ctx context.Context, opts EventsOptions) ([]events.Message, <-chan events.Message, error) {
	return nil, nil, errPending
}

// ContainerCreate answers POST /containers/create. Errors: NotFound
// "No such image: busybox:latest" when the image is absent (the CLI then
// pulls); Conflict for a name in use; InvalidParameter for bad config.
func (e *Engine) ContainerCreate(ctx context.Context, opts CreateOptions) (container.CreateResponse, error) {
	return container.CreateResponse{}, errPending
}

// Containers answers GET /containers/json.
func (e *Engine) Containers(ctx context.Context, opts ListOptions) ([]container.Summary, error) {
	return nil, errPending
}

// ContainerInspect answers GET /containers/{name}/json.
func (e *Engine) ContainerInspect(ctx context.Context, name string, size bool) (*wire.ContainerJSON, error) {
	return nil, errPending
}

// ContainerStart answers POST /containers/{name}/start. Errors: NotModified
// when it runs already; InvalidParameter (with the exit code recorded) when
// its command cannot run.
func (e *Engine) ContainerStart(ctx context.Context, name string) error { return errPending }

// ContainerStop answers POST /containers/{name}/stop. Errors: NotModified
// when it does not run.
func (e *Engine) ContainerStop(ctx context.Context, name string, opts StopOptions) error {
	return errPending
}

// ContainerRestart answers POST /containers/{name}/restart.
func (e *Engine) ContainerRestart(ctx context.Context, name string, opts StopOptions) error {
	return errPending
}

// ContainerKill answers POST /containers/{name}/kill. Errors: Conflict when
// it does not run; InvalidParameter for a bad signal.
func (e *Engine) ContainerKill(ctx context.Context, name, signal string) error { return errPending }

// ContainerPause answers POST /containers/{name}/pause.
func (e *Engine) ContainerPause(ctx context.Context, name string) error { return errPending }

// ContainerUnpause answers POST /containers/{name}/unpause.
func (e *Engine) ContainerUnpause(ctx context.Context, name string) error { return errPending }

// ContainerWait answers POST /containers/{name}/wait: the channel yields
// one response when the condition is met. Errors (before waiting): NotFound.
func (e *Engine) ContainerWait(ctx context.Context, name string, cond container.WaitCondition) (<-chan container.WaitResponse, error) {
	return nil, errPending
}

// ContainerRemove answers DELETE /containers/{name}.
func (e *Engine) ContainerRemove(ctx context.Context, name string, opts RemoveOptions) error {
	return errPending
}

// ContainerRename answers POST /containers/{name}/rename.
func (e *Engine) ContainerRename(ctx context.Context, name, newName string) error { return errPending }

// ContainerLogs answers GET /containers/{name}/logs. The channel is closed
// after the last message (with Follow, when the container stops or ctx is
// done). tty says whether the container has a TTY (then output is raw).
func (e *Engine) ContainerLogs(ctx context.Context, name string, opts LogsOptions) (msgs <-chan LogMessage, tty bool, err error) {
	return nil, false, errPending
}

// ContainerTop answers GET /containers/{name}/top.
func (e *Engine) ContainerTop(ctx context.Context, name, psArgs string) (container.TopResponse, error) {
	return container.TopResponse{}, errPending
}

// ContainerChanges answers GET /containers/{name}/changes.
func (e *Engine) ContainerChanges(ctx context.Context, name string) ([]container.FilesystemChange, error) {
	return nil, errPending
}

// ContainerAttach answers POST /containers/{name}/attach. It calls
// opts.GetStreams once the request is valid and returns when the stream ends
// (the container exits, the client detaches or goes away).
func (e *Engine) ContainerAttach(ctx context.Context, name string, opts AttachOptions) error {
	return errPending
}

// ContainerResize answers POST /containers/{name}/resize.
func (e *Engine) ContainerResize(ctx context.Context, name string, height, width uint) error {
	return errPending
}

// ContainerExport answers GET /containers/{name}/export.
func (e *Engine) ContainerExport(ctx context.Context, name string, w io.Writer) error {
	return errPending
}

// ExecCreate answers POST /containers/{name}/exec. Errors: Conflict
// "Container ID is not running" when it does not run.
func (e *Engine) ExecCreate(ctx context.Context, name string, req *container.ExecCreateRequest) (string, error) {
	return "", errPending
}

// ExecStart answers POST /exec/{id}/start; it returns when the process ends
// (immediately with Detach).
func (e *Engine) ExecStart(ctx context.Context, id string, opts ExecStartOptions) error {
	return errPending
}

// ExecInspect answers GET /exec/{id}/json.
func (e *Engine) ExecInspect(ctx context.Context, id string) (*container.ExecInspectResponse, error) {
	return nil, errPending
}

// ExecResize answers POST /exec/{id}/resize.
func (e *Engine) ExecResize(ctx context.Context, id string, height, width uint) error {
	return errPending
}

// Commit answers POST /commit and returns the new image's ID.
func (e *Engine) Commit(ctx context.Context, name string, opts CommitOptions) (string, error) {
	return "", errPending
}

// Images answers GET /images/json.
func (e *Engine) Images(ctx context.Context, opts ImageListOptions) ([]wire.ImageSummary, error) {
	return nil, errPending
}

// ImageInspect answers GET /images/{name}/json.
func (e *Engine) ImageInspect(ctx context.Context, name string) (*wire.ImageInspect, error) {
	return nil, errPending
}

// ImageHistory answers GET /images/{name}/history.
func (e *Engine) ImageHistory(ctx context.Context, name string) ([]image.HistoryResponseItem, error) {
	return nil, errPending
}

// ImageTag answers POST /images/{name}/tag.
func (e *Engine) ImageTag(ctx context.Context, name, repo, tag string) error { return errPending }

// ImageRemove answers DELETE /images/{name}.
func (e *Engine) ImageRemove(ctx context.Context, name string, force, prune bool) ([]image.DeleteResponse, error) {
	return nil, errPending
}

// ImagePull answers POST /images/create?fromImage=: it reports progress as
// dockerd does. Errors after the first progress message travel in the stream.
func (e *Engine) ImagePull(ctx context.Context, ref string, progress ProgressFunc) error {
	return errPending
}

// ImageSave answers GET /images/get: a docker-archive tar of the images.
func (e *Engine) ImageSave(ctx context.Context, names []string, w io.Writer) error {
	return errPending
}

// ImageLoad answers POST /images/load.
func (e *Engine) ImageLoad(ctx context.Context, r io.Reader, quiet bool, progress ProgressFunc) error {
	return errPending
}
