package server

import (
	"context"
	"io"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/network"

	"github.com/twinbox-dev/twinbox/shared/api/wire"
	"github.com/twinbox-dev/twinbox/shared/engine"
)

// The fake engine's network, volume, archive, stats and prune methods.

func (f *fakeAPI) ContainerStats(ctx context.Context, name string, opts engine.StatsOptions) (<-chan container.StatsResponse, error) {
	if err := f.record("ContainerStats", name, opts); err != nil {
		return nil, err
	}
	ch := make(chan container.StatsResponse, 2)
	ch <- container.StatsResponse{ID: "c0ffee", Name: "/" + name}
	if opts.Stream {
		ch <- container.StatsResponse{ID: "c0ffee", Name: "/" + name}
	}
	close(ch)
	return ch, nil
}

func (f *fakeAPI) ContainerStatPath(ctx context.Context, name, p string) (*container.PathStat, error) {
	if err := f.record("ContainerStatPath", name, p); err != nil {
		return nil, err
	}
	return &container.PathStat{Name: "f", Size: 3, Mode: 0o644}, nil
}

func (f *fakeAPI) ContainerArchive(ctx context.Context, name, p string) (io.ReadCloser, *container.PathStat, error) {
	if err := f.record("ContainerArchive", name, p); err != nil {
		return nil, nil, err
	}
	return io.NopCloser(strings.NewReader("tar")), &container.PathStat{Name: "f", Size: 3, Mode: 0o644}, nil
}

func (f *fakeAPI) ContainerExtractToDir(ctx context.Context, name, p string, noOverwriteDirNonDir, copyUIDGID bool, content io.Reader) error {
	b, _ := io.ReadAll(content)
	return f.record("ContainerExtractToDir", name, p, noOverwriteDirNonDir, copyUIDGID, string(b))
}

func (f *fakeAPI) ContainersPrune(ctx context.Context, fl engine.Filters) (container.PruneReport, error) {
	return container.PruneReport{}, f.record("ContainersPrune", fl)
}

func (f *fakeAPI) ImagesPrune(ctx context.Context, fl engine.Filters) (image.PruneReport, error) {
	return image.PruneReport{}, f.record("ImagesPrune", fl)
}

func (f *fakeAPI) Networks(ctx context.Context, fl engine.Filters) ([]wire.Network, error) {
	err := f.record("Networks", fl)
	if f.networks != nil {
		return f.networks, err
	}
	return nil, err
}

func (f *fakeAPI) NetworkInspect(ctx context.Context, term string) (wire.Network, error) {
	return wire.Network{Name: term}, f.record("NetworkInspect", term)
}

func (f *fakeAPI) NetworkCreate(ctx context.Context, req wire.NetworkCreateRequest) (wire.NetworkCreateResponse, error) {
	return wire.NetworkCreateResponse{ID: "beef"}, f.record("NetworkCreate", req)
}

func (f *fakeAPI) NetworkConnect(ctx context.Context, term, name string, es *network.EndpointSettings) error {
	var aliases []string
	if es != nil {
		aliases = es.Aliases
	}
	return f.record("NetworkConnect", term, name, aliases)
}

func (f *fakeAPI) NetworkDisconnect(ctx context.Context, term, name string, force bool) error {
	return f.record("NetworkDisconnect", term, name, force)
}

func (f *fakeAPI) NetworkRemove(ctx context.Context, term string) error {
	return f.record("NetworkRemove", term)
}

func (f *fakeAPI) NetworksPrune(ctx context.Context, fl engine.Filters) (wire.NetworksPruneReport, error) {
	return wire.NetworksPruneReport{}, f.record("NetworksPrune", fl)
}

func (f *fakeAPI) Volumes(ctx context.Context, fl engine.Filters) (wire.VolumeListResponse, error) {
	return wire.VolumeListResponse{Volumes: []*wire.Volume{}, Warnings: nil}, f.record("Volumes", fl)
}

func (f *fakeAPI) VolumeInspect(ctx context.Context, name string) (*wire.Volume, error) {
	return &wire.Volume{Name: name, Driver: "local"}, f.record("VolumeInspect", name)
}

func (f *fakeAPI) VolumeCreate(ctx context.Context, req wire.VolumeCreateRequest) (*wire.Volume, error) {
	return &wire.Volume{Name: req.Name, Driver: "local"}, f.record("VolumeCreate", req)
}

func (f *fakeAPI) VolumeRemove(ctx context.Context, name string, force bool) error {
	return f.record("VolumeRemove", name, force)
}

func (f *fakeAPI) VolumesPrune(ctx context.Context, fl engine.Filters) (wire.VolumesPruneReport, error) {
	return wire.VolumesPruneReport{}, f.record("VolumesPrune", fl)
}

func (f *fakeAPI) DiskUsage(ctx context.Context) (*wire.DiskUsage, error) {
	return &wire.DiskUsage{}, f.record("DiskUsage")
}

func (f *fakeAPI) ContainerUpdate(ctx context.Context, name string, u container.UpdateConfig) (container.UpdateResponse, error) {
	return container.UpdateResponse{}, f.record("ContainerUpdate", name, u)
}
