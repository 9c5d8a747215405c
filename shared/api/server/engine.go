package server

import (
	"context"
	"io"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/system"

	"github.com/twinbox-dev/twinbox/shared/api/wire"
	"github.com/twinbox-dev/twinbox/shared/engine"
)

// api is the part of *engine.Engine the routes call. It exists so that the
// router's tests can check what each route passes to the engine; New takes
// the concrete *engine.Engine.
type api interface {
	Version(ctx context.Context) (system.VersionResponse, error)
	Info(ctx context.Context) (*system.Info, error)
	Events(ctx context.Context, opts engine.EventsOptions) ([]events.Message, <-chan events.Message, error)

	ContainerCreate(ctx context.Context, opts engine.CreateOptions) (container.CreateResponse, error)
	Containers(ctx context.Context, opts engine.ListOptions) ([]container.Summary, error)
	ContainerInspect(ctx context.Context, name string, size bool) (*wire.ContainerJSON, error)
	ContainerStart(ctx context.Context, name string) error
	ContainerStop(ctx context.Context, name string, opts engine.StopOptions) error
	ContainerRestart(ctx context.Context, name string, opts engine.StopOptions) error
	ContainerUpdate(ctx context.Context, name string, u container.UpdateConfig) (container.UpdateResponse, error)
	ContainerKill(ctx context.Context, name, signal string) error
	ContainerPause(ctx context.Context, name string) error
	ContainerUnpause(ctx context.Context, name string) error
	ContainerWait(ctx context.Context, name string, cond container.WaitCondition) (<-chan container.WaitResponse, error)
	ContainerRemove(ctx context.Context, name string, opts engine.RemoveOptions) error
	ContainerRename(ctx context.Context, name, newName string) error
	ContainerLogs(ctx context.Context, name string, opts engine.LogsOptions) (<-chan engine.LogMessage, bool, error)
	ContainerTop(ctx context.Context, name, psArgs string) (container.TopResponse, error)
	ContainerChanges(ctx context.Context, name string) ([]container.FilesystemChange, error)
	ContainerAttach(ctx context.Context, name string, opts engine.AttachOptions) error
	ContainerResize(ctx context.Context, name string, height, width uint) error
	ContainerExport(ctx context.Context, name string, w io.Writer) error
	ContainerStats(ctx context.Context, name string, opts engine.StatsOptions) (<-chan container.StatsResponse, error)
	ContainerStatPath(ctx context.Context, name, p string) (*container.PathStat, error)
	ContainerArchive(ctx context.Context, name, p string) (io.ReadCloser, *container.PathStat, error)
	ContainerExtractToDir(ctx context.Context, name, p string, noOverwriteDirNonDir, copyUIDGID bool, content io.Reader) error
	ContainersPrune(ctx context.Context, f engine.Filters) (container.PruneReport, error)

	ExecCreate(ctx context.Context, name string, req *container.ExecCreateRequest) (string, error)
	ExecStart(ctx context.Context, id string, opts engine.ExecStartOptions) error
	ExecInspect(ctx context.Context, id string) (*container.ExecInspectResponse, error)
	ExecResize(ctx context.Context, id string, height, width uint) error

	Commit(ctx context.Context, name string, opts engine.CommitOptions) (string, error)
	Images(ctx context.Context, opts engine.ImageListOptions) ([]wire.ImageSummary, error)
	ImageInspect(ctx context.Context, name string) (*wire.ImageInspect, error)
	ImageHistory(ctx context.Context, name string) ([]image.HistoryResponseItem, error)
	ImageTag(ctx context.Context, name, repo, tag string) error
	ImageRemove(ctx context.Context, name string, force, prune bool) ([]image.DeleteResponse, error)
	ImagePull(ctx context.Context, ref string, progress engine.ProgressFunc) error
	ImagePush(ctx context.Context, name, tag string, progress engine.ProgressFunc) error
	ImageSave(ctx context.Context, names []string, w io.Writer) error
	ImageLoad(ctx context.Context, r io.Reader, quiet bool, progress engine.ProgressFunc) error
	ImagesPrune(ctx context.Context, f engine.Filters) (image.PruneReport, error)

	Networks(ctx context.Context, f engine.Filters) ([]wire.Network, error)
	NetworkInspect(ctx context.Context, term string) (wire.Network, error)
	NetworkCreate(ctx context.Context, req wire.NetworkCreateRequest) (wire.NetworkCreateResponse, error)
	NetworkConnect(ctx context.Context, term, name string, es *network.EndpointSettings) error
	NetworkDisconnect(ctx context.Context, term, name string, force bool) error
	NetworkRemove(ctx context.Context, term string) error
	NetworksPrune(ctx context.Context, f engine.Filters) (wire.NetworksPruneReport, error)

	Volumes(ctx context.Context, f engine.Filters) (wire.VolumeListResponse, error)
	DiskUsage(ctx context.Context) (*wire.DiskUsage, error)
	VolumeInspect(ctx context.Context, name string) (*wire.Volume, error)
	VolumeCreate(ctx context.Context, req wire.VolumeCreateRequest) (*wire.Volume, error)
	VolumeRemove(ctx context.Context, name string, force bool) error
	VolumesPrune(ctx context.Context, f engine.Filters) (wire.VolumesPruneReport, error)
}

var _ api = (*engine.Engine)(nil)
