package engine

import (
	"context"
	"runtime"
	"time"

	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/api/types/system"

	"github.com/twinbox-dev/twinbox/shared/api/wire"
	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/image"
)

// Version answers GET /version. twinbox speaks the API of dockerd 20.10.24
// and reports that version, so that clients treat it as that engine; the
// platform name says what it really is.
func (e *Engine) Version(ctx context.Context) (system.VersionResponse, error) {
	return system.VersionResponse{
		Platform: system.PlatformInfo{Name: "twinbox (" + e.backendKind() + ")"},
		Components: []system.ComponentVersion{{
			Name:    "Engine",
			Version: image.DockerVersion,
			Details: map[string]string{
				"ApiVersion":    wire.APIVersion,
				"Arch":          runtime.GOARCH,
				"BuildTime":     "",
				"Experimental":  "false",
				"GitCommit":     "twinbox",
				"GoVersion":     runtime.Version(),
				"KernelVersion": e.desc.KernelVersion,
				"MinAPIVersion": wire.MinAPIVersion,
				"Os":            "linux",
			},
		}},
		Version:       image.DockerVersion,
		APIVersion:    wire.APIVersion,
		MinAPIVersion: wire.MinAPIVersion,
		GitCommit:     "twinbox",
		GoVersion:     runtime.Version(),
		Os:            "linux",
		Arch:          goarchOf(e.desc.Architecture),
		KernelVersion: e.desc.KernelVersion,
	}, nil
}

// backendKind names the backend for people: "simulator" or "native".
func (e *Engine) backendKind() string {
	if k, ok := e.b.(backend.Kinder); ok {
		return k.Kind()
	}
	return e.desc.Driver
}

// Info answers GET /info.
func (e *Engine) Info(ctx context.Context) (*system.Info, error) {
	info := &system.Info{
		ID:           e.daemonID,
		Driver:       e.desc.Driver,
		DriverStatus: e.desc.DriverStatus,
		Plugins: system.PluginsInfo{
			Volume:  []string{"local"},
			Network: []string{"bridge", "host", "null"},
			Log:     []string{"json-file"},
		},
		MemoryLimit:        e.desc.MemoryLimit,
		SwapLimit:          e.desc.SwapLimit,
		CPUShares:          e.desc.CPUShares,
		PidsLimit:          e.desc.PidsLimit,
		OomKillDisable:     e.desc.OomKillDisable,
		IPv4Forwarding:     true,
		NGoroutines:        runtime.NumGoroutine(),
		SystemTime:         e.now().Format(time.RFC3339Nano),
		LoggingDriver:      "json-file",
		CgroupDriver:       e.desc.CgroupDriver,
		CgroupVersion:      e.desc.CgroupVersion,
		KernelVersion:      e.desc.KernelVersion,
		OperatingSystem:    e.desc.OperatingSystem,
		OSVersion:          e.desc.OSVersion,
		OSType:             "linux",
		Architecture:       e.desc.Architecture,
		IndexServerAddress: "https://index.docker.io/v1/",
		RegistryConfig: &registry.ServiceConfig{
			IndexConfigs: map[string]*registry.IndexInfo{
				"docker.io": {Name: "docker.io", Mirrors: []string{}, Secure: true, Official: true},
			},
			Mirrors: []string{},
		},
		NCPU:            e.desc.NCPU,
		MemTotal:        e.desc.MemTotal,
		DockerRootDir:   e.desc.RootDir,
		Name:            e.desc.Name,
		Labels:          []string{},
		ServerVersion:   image.DockerVersion,
		Runtimes:        map[string]system.RuntimeWithStatus{"twinbox": {Runtime: system.Runtime{Path: "twinbox"}}},
		DefaultRuntime:  "twinbox",
		Swarm:           swarm.Info{LocalNodeState: swarm.LocalNodeStateInactive},
		SecurityOptions: []string{},
	}
	if e.opts.Name != "" {
		info.Name = e.opts.Name
	}
	for _, c := range e.listContainers() {
		c.mu.Lock()
		info.Containers++
		switch {
		case c.State.Running && c.State.Paused:
			info.ContainersPaused++
		case c.State.Running:
			info.ContainersRunning++
		default:
			info.ContainersStopped++
		}
		c.mu.Unlock()
	}
	info.Images = len(e.images.all())
	return info, nil
}
