package engine

import (
	"context"
	"path"
	"sort"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/image"
)

// minMemory is the smallest memory limit dockerd accepts on Linux.
const minMemory = 6 * 1024 * 1024

// ContainerCreate answers POST /containers/create. Errors: NotFound
// "No such image: busybox:latest" when the image is absent (the CLI then
// pulls); Conflict for a name in use; InvalidParameter for bad config.
func (e *Engine) ContainerCreate(ctx context.Context, opts CreateOptions) (container.CreateResponse, error) {
	if opts.Config == nil {
		return container.CreateResponse{}, backend.Errorf(backend.InvalidParameter, "Config cannot be empty in order to create a container")
	}
	cfg := *opts.Config
	hc := opts.HostConfig
	if hc == nil {
		hc = &container.HostConfig{}
	} else {
		copied := *hc
		hc = &copied
	}
	warnings, err := verifySettings(&cfg, hc)
	if err != nil {
		return container.CreateResponse{Warnings: warnings}, err
	}
	if err := verifyNetworking(opts.Networking); err != nil {
		return container.CreateResponse{Warnings: warnings}, err
	}
	if err := verifyPortBindings(hc.PortBindings); err != nil {
		return container.CreateResponse{Warnings: warnings}, err
	}
	if hc.NetworkMode == "" {
		hc.NetworkMode = "default"
	}
	if hc.LogConfig.Type == "" {
		hc.LogConfig.Type = "json-file"
	}
	if hc.LogConfig.Config == nil {
		hc.LogConfig.Config = map[string]string{}
	}
	if hc.IpcMode == "" {
		hc.IpcMode = "private"
	}
	if hc.CgroupnsMode == "" {
		hc.CgroupnsMode = "host"
	}
	if hc.ShmSize == 0 {
		hc.ShmSize = 64 << 20
	}
	if hc.Runtime == "" {
		hc.Runtime = "runc"
	}
	if hc.RestartPolicy.Name == "" {
		hc.RestartPolicy.Name = container.RestartPolicyDisabled
	}

	var img *imageRecord
	if cfg.Image != "" {
		if img, err = e.images.lookup(cfg.Image); err != nil {
			return container.CreateResponse{Warnings: warnings}, err
		}
		MergeConfig(&cfg, img.img.Config)
	}
	if len(cfg.Entrypoint) == 1 && cfg.Entrypoint[0] == "" {
		cfg.Entrypoint = nil
	}
	if len(cfg.Cmd) == 0 && len(cfg.Entrypoint) == 0 {
		return container.CreateResponse{Warnings: warnings}, backend.Errorf(backend.InvalidParameter, "No command specified")
	}
	if cfg.Labels == nil {
		cfg.Labels = map[string]string{}
	}

	id := e.newID()
	var name string
	if opts.Name != "" {
		if name, err = validateName(opts.Name); err != nil {
			return container.CreateResponse{Warnings: warnings}, err
		}
		if err := e.reserveName(name, id); err != nil {
			return container.CreateResponse{Warnings: warnings}, err
		}
	} else if name, err = e.generateName(id); err != nil {
		return container.CreateResponse{Warnings: warnings}, err
	}
	if hc.NetworkMode.IsHost() {
		if cfg.Hostname == "" {
			cfg.Hostname = e.desc.Name
		}
	} else if cfg.Hostname == "" {
		cfg.Hostname = id[:12]
	}
	rec := containerRecord{
		ID:         id,
		Name:       name,
		Created:    e.now().UTC(),
		Config:     &cfg,
		HostConfig: hc,
		Networks:   map[string]*endpointRecord{},
	}
	if len(cfg.Entrypoint) > 0 {
		rec.Path, rec.Args = cfg.Entrypoint[0], append(append([]string{}, cfg.Entrypoint[1:]...), cfg.Cmd...)
	} else {
		rec.Path, rec.Args = cfg.Cmd[0], append([]string{}, cfg.Cmd[1:]...)
	}
	parent := ""
	if img != nil {
		rec.Image = img.id
		rec.Layers = image.ChainIDs(img.img.RootFS.DiffIDs)
		parent = img.img.TopChainID()
	}
	switch mode := string(hc.NetworkMode); {
	case mode == "default" || mode == "bridge":
		rec.Networks["bridge"] = &endpointRecord{}
	case mode == "host" || mode == "none":
		rec.Networks[mode] = &endpointRecord{}
	case strings.HasPrefix(mode, "container:"):
		if _, err := e.getContainer(strings.TrimPrefix(mode, "container:")); err != nil {
			e.releaseName(name)
			return container.CreateResponse{Warnings: warnings}, err
		}
	default:
		// As dockerd, a missing network fails the start, not the create.
		if n, ok := e.networks.network(mode); ok {
			mode = n.Name
		}
		rec.Networks[mode] = &endpointRecord{}
	}
	if opts.Networking != nil {
		for netName, es := range opts.Networking.EndpointsConfig {
			ep := rec.Networks[netName]
			if n, ok := e.networks.network(netName); ok && ep == nil {
				ep = rec.Networks[n.Name]
			}
			if ep == nil || es == nil {
				continue
			}
			ep.Aliases = es.Aliases
			ep.Links = es.Links
			if es.IPAMConfig != nil && es.IPAMConfig.IPv4Address.IsValid() {
				ep.IPv4Address = es.IPAMConfig.IPv4Address.String()
			}
		}
	}
	if err := e.registerLinks(name, hc); err != nil {
		e.releaseName(name)
		return container.CreateResponse{Warnings: warnings}, err
	}
	for n, ep := range rec.Networks {
		if nr, ok := e.networks.network(n); ok {
			ep.NetworkID = nr.ID
		}
	}

	c := newContainer(rec)
	c.out = e.newOutput(c)
	if err := e.b.CreateRootfs(ctx, id, parent); err != nil {
		e.releaseName(name)
		return container.CreateResponse{Warnings: warnings}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := e.setupMounts(ctx, c, img); err != nil {
		e.b.RemoveRootfs(ctx, id)
		e.releaseName(name)
		return container.CreateResponse{Warnings: warnings}, err
	}
	e.mu.Lock()
	e.containers[id] = c
	e.mu.Unlock()
	e.checkpoint(c)
	e.containerEvent(c, "create", nil)
	if warnings == nil {
		warnings = []string{}
	}
	return container.CreateResponse{ID: id, Warnings: warnings}, nil
}

// MergeConfig fills what a container's config leaves empty from its
// image's, as dockerd 20.10's daemon.merge (the builder records the
// result as a step's container_config). A nil img changes nothing.
func MergeConfig(user, img *container.Config) {
	if img == nil {
		return
	}
	if user.User == "" {
		user.User = img.User
	}
	if len(user.ExposedPorts) == 0 {
		user.ExposedPorts = img.ExposedPorts
	} else if img.ExposedPorts != nil {
		for p := range img.ExposedPorts {
			if _, ok := user.ExposedPorts[p]; !ok {
				user.ExposedPorts[p] = struct{}{}
			}
		}
	}
	if len(user.Env) == 0 {
		user.Env = img.Env
	} else {
		for _, ie := range img.Env {
			ik, _, _ := strings.Cut(ie, "=")
			found := false
			for _, ue := range user.Env {
				if uk, _, _ := strings.Cut(ue, "="); uk == ik {
					found = true
					break
				}
			}
			if !found {
				user.Env = append(user.Env, ie)
			}
		}
	}
	if user.Labels == nil {
		user.Labels = map[string]string{}
	}
	for k, v := range img.Labels {
		if _, ok := user.Labels[k]; !ok {
			user.Labels[k] = v
		}
	}
	if len(user.Entrypoint) == 0 {
		if len(user.Cmd) == 0 {
			user.Cmd = img.Cmd
		}
		if user.Entrypoint == nil {
			user.Entrypoint = img.Entrypoint
		}
	}
	if img.Healthcheck != nil {
		if user.Healthcheck == nil {
			user.Healthcheck = img.Healthcheck
		} else {
			if len(user.Healthcheck.Test) == 0 {
				user.Healthcheck.Test = img.Healthcheck.Test
			}
			if user.Healthcheck.Interval == 0 {
				user.Healthcheck.Interval = img.Healthcheck.Interval
			}
			if user.Healthcheck.Timeout == 0 {
				user.Healthcheck.Timeout = img.Healthcheck.Timeout
			}
			if user.Healthcheck.StartPeriod == 0 {
				user.Healthcheck.StartPeriod = img.Healthcheck.StartPeriod
			}
			if user.Healthcheck.Retries == 0 {
				user.Healthcheck.Retries = img.Healthcheck.Retries
			}
		}
	}
	if user.WorkingDir == "" {
		user.WorkingDir = img.WorkingDir
	}
	if len(user.Volumes) == 0 {
		user.Volumes = img.Volumes
	} else {
		for k, v := range img.Volumes {
			user.Volumes[k] = v
		}
	}
	if user.StopSignal == "" {
		user.StopSignal = img.StopSignal
	}
}

// verifySettings validates a container's config and host config as dockerd
// does before creating it.
func verifySettings(cfg *container.Config, hc *container.HostConfig) ([]string, error) {
	bad := func(format string, args ...any) ([]string, error) {
		return nil, backend.Errorf(backend.InvalidParameter, format, args...)
	}
	if cfg.WorkingDir != "" {
		if !path.IsAbs(cfg.WorkingDir) {
			return bad("the working directory '%s' is invalid, it needs to be an absolute path", cfg.WorkingDir)
		}
		cfg.WorkingDir = path.Clean(cfg.WorkingDir)
	}
	if cfg.StopSignal != "" {
		if _, err := backend.ParseSignal(cfg.StopSignal); err != nil {
			return nil, err
		}
	}
	if cfg.StopTimeout != nil && *cfg.StopTimeout < -1 {
		return bad("invalid stop timeout: %d", *cfg.StopTimeout)
	}
	if err := verifyRestartPolicy(hc.RestartPolicy); err != nil {
		return nil, err
	}
	rp := hc.RestartPolicy
	if hc.AutoRemove && rp.Name != "" && rp.Name != container.RestartPolicyDisabled {
		return bad("can't create 'AutoRemove' container with restart policy")
	}
	if err := verifyResources(&hc.Resources, false); err != nil {
		return nil, err
	}
	if hc.Memory > 0 && hc.MemorySwap == 0 {
		// As dockerd: as much swap as memory.
		hc.MemorySwap = 2 * hc.Memory
	}
	mode := string(hc.NetworkMode)
	if strings.HasPrefix(mode, "container:") {
		if cfg.Hostname != "" {
			return bad("conflicting options: hostname and the network mode")
		}
		if len(hc.PortBindings) > 0 || hc.PublishAllPorts {
			return bad("conflicting options: port publishing and the container type network mode")
		}
		if len(cfg.ExposedPorts) > 0 {
			return bad("conflicting options: port exposing and the container type network mode")
		}
		if mode == "container:" {
			return bad("Invalid network mode: invalid container format container:<name|id>")
		}
	}
	if mode == "host" && len(hc.Links) > 0 {
		return bad("conflicting options: host type networking can't be used with links. This would result in undefined behavior")
	}
	return nil, nil
}

// verifyNetworking checks the networking config of a create request.
func verifyNetworking(nc *network.NetworkingConfig) error {
	if nc == nil || len(nc.EndpointsConfig) <= 1 {
		if nc != nil {
			for k, v := range nc.EndpointsConfig {
				if v == nil {
					return backend.Errorf(backend.InvalidParameter, "no EndpointSettings for %s", k)
				}
			}
		}
		return nil
	}
	names := make([]string, 0, len(nc.EndpointsConfig))
	for k := range nc.EndpointsConfig {
		names = append(names, k)
	}
	sort.Strings(names) // dockerd's order is a map's; this one is stable
	return backend.Errorf(backend.InvalidParameter, "Container cannot be connected to network endpoints: %s", strings.Join(names, ", "))
}

// imageConfigOf returns an image record's run config, never nil.
func imageConfigOf(img *image.Image) *container.Config {
	if img.Config == nil {
		return &container.Config{}
	}
	return img.Config
}

// verifyRestartPolicy checks a restart policy as dockerd does.
func verifyRestartPolicy(rp container.RestartPolicy) error {
	bad := func(format string, args ...any) error {
		return backend.Errorf(backend.InvalidParameter, format, args...)
	}
	switch rp.Name {
	case "", container.RestartPolicyDisabled, container.RestartPolicyAlways, container.RestartPolicyUnlessStopped:
		if rp.MaximumRetryCount != 0 {
			name := string(rp.Name)
			if name == "" {
				name = "no"
			}
			return bad("maximum retry count cannot be used with restart policy '%s'", name)
		}
	case container.RestartPolicyOnFailure:
		if rp.MaximumRetryCount < 0 {
			return bad("maximum retry count cannot be negative")
		}
	default:
		return bad("invalid restart policy '%s'", rp.Name)
	}
	return nil
}

// verifyResources checks limits as dockerd does at create, or (update)
// at `docker update`, which may set the swap limit alone.
func verifyResources(r *container.Resources, update bool) error {
	bad := func(format string, args ...any) error {
		return backend.Errorf(backend.InvalidParameter, format, args...)
	}
	if r.Memory > 0 && r.Memory < minMemory {
		return bad("Minimum memory limit allowed is 6MB")
	}
	if r.Memory > 0 && r.MemorySwap > 0 && r.MemorySwap < r.Memory {
		return bad("Minimum memoryswap limit should be larger than memory limit, see usage")
	}
	if r.Memory == 0 && r.MemorySwap > 0 && !update {
		return bad("You should always set the Memory limit when using Memoryswap limit, see usage")
	}
	if r.CPUShares < 0 {
		return bad("invalid CPU shares (%d): value must be a positive integer", r.CPUShares)
	}
	if r.NanoCPUs < 0 {
		return bad("Range of CPUs is from 0.01 to %d.00, as there are only %d CPUs available", 2, 2)
	}
	if r.PidsLimit != nil && *r.PidsLimit < 0 {
		// dockerd treats negative limits as unlimited
		zero := int64(0)
		r.PidsLimit = &zero
	}
	return nil
}
