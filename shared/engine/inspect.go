package engine

import (
	"context"
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/storage"

	"github.com/twinbox-dev/twinbox/shared/api/wire"
	"github.com/twinbox-dev/twinbox/shared/backend"
)

var psFilterKeys = map[string]bool{
	"ancestor": true, "before": true, "exited": true, "id": true, "isolation": true, "label": true,
	"name": true, "status": true, "health": true, "since": true, "volume": true, "network": true,
	"is-task": true, "publish": true, "expose": true,
}

var containerStates = map[string]bool{
	"paused": true, "restarting": true, "removing": true, "running": true, "dead": true, "created": true, "exited": true,
}

// Containers answers GET /containers/json, newest first, as dockerd lists.
func (e *Engine) Containers(ctx context.Context, opts ListOptions) ([]container.Summary, error) {
	f := opts.Filters
	for k, vs := range f {
		if !psFilterKeys[k] {
			return nil, invalidFilter(k)
		}
		for _, v := range vs {
			switch k {
			case "status":
				if !containerStates[v] {
					return nil, backend.Errorf(backend.InvalidParameter, "Invalid filter 'status=%s'", v)
				}
			case "exited":
				if _, err := strconv.Atoi(v); err != nil {
					return nil, backend.Errorf(backend.InvalidParameter, "Invalid filter 'exited=%s'", v)
				}
			}
		}
	}
	var before, since *Container
	for _, v := range f["before"] {
		c, err := e.getContainer(v)
		if err != nil {
			return nil, err
		}
		before = c
	}
	for _, v := range f["since"] {
		c, err := e.getContainer(v)
		if err != nil {
			return nil, err
		}
		since = c
	}
	ancestors := map[string]bool{}
	for _, v := range f["ancestor"] {
		if r, err := e.images.lookup(v); err == nil {
			ancestors[r.id] = true
			// images built on it count as well
			for _, ir := range e.images.all() {
				for p := ir; p != nil; {
					if p.id == r.id {
						ancestors[ir.id] = true
						break
					}
					next, ok := e.images.get(p.parent)
					if !ok {
						break
					}
					p = next
				}
			}
		}
	}
	now := e.now()
	out := []container.Summary{}
	limit := opts.Limit
	for _, c := range e.listContainers() {
		c.mu.Lock()
		s, stop, include := e.summary(ctx, c, opts, f, &before, since, ancestors, now)
		c.mu.Unlock()
		if stop {
			break
		}
		if !include {
			continue
		}
		out = append(out, s)
		if limit > 0 && len(out) == limit {
			break
		}
	}
	return out, nil
}

// summary builds one row of the list and decides whether it belongs.
// c.mu is held.
func (e *Engine) summary(ctx context.Context, c *Container, opts ListOptions, f Filters, before **Container, since *Container, ancestors map[string]bool, now time.Time) (s container.Summary, stop, include bool) {
	if *before != nil {
		if c == *before {
			*before = nil
		}
		return s, false, false
	}
	if since != nil && c == since {
		return s, true, false
	}
	if !c.State.Running && !opts.All && opts.Limit <= 0 {
		return s, false, false
	}
	if !matchRegexps(f["name"], c.Name, strings.TrimPrefix(c.Name, "/")) || !matchRegexps(f["id"], c.ID) {
		return s, false, false
	}
	if !matchLabels(f["label"], c.Config.Labels) {
		return s, false, false
	}
	if codes := f["exited"]; len(codes) > 0 {
		ok := false
		for _, v := range codes {
			if n, _ := strconv.Atoi(v); n == c.State.ExitCode && !c.State.Running && !c.State.StartedAt.IsZero() {
				ok = true
			}
		}
		if !ok {
			return s, false, false
		}
	}
	if !matchRegexps(f["status"], c.stateString()) {
		return s, false, false
	}
	if len(f["ancestor"]) > 0 && !ancestors[c.Image] {
		return s, false, false
	}
	if vols := f["volume"]; len(vols) > 0 {
		ok := false
		for _, v := range vols {
			for _, m := range c.MountPoints {
				if m.Destination == v || m.Name == v || (m.Name == "" && m.Source == v) {
					ok = true
				}
			}
		}
		if !ok {
			return s, false, false
		}
	}
	if nets := f["network"]; len(nets) > 0 {
		ok := false
		for _, v := range nets {
			for name, ep := range c.Networks {
				if name == v || (ep.NetworkID != "" && strings.HasPrefix(ep.NetworkID, v)) {
					ok = true
				}
			}
		}
		if !ok {
			return s, false, false
		}
	}

	cmd := c.Path
	if len(c.Args) > 0 {
		args := make([]string, len(c.Args))
		for i, a := range c.Args {
			if strings.Contains(a, " ") {
				a = "'" + a + "'"
			}
			args[i] = a
		}
		cmd = c.Path + " " + strings.Join(args, " ")
	}
	s = container.Summary{
		ID:      c.ID,
		Names:   e.containerNames(c),
		Image:   c.Config.Image,
		ImageID: c.Image,
		Command: cmd,
		Created: c.Created.Unix(),
		Ports:   e.portSummary(c),
		Labels:  c.Config.Labels,
		State:   container.ContainerState(c.stateString()),
		Status:  c.statusString(now),
		Mounts:  mountPointsAPI(c.MountPoints),
	}
	if s.Image == "" {
		s.Image = c.Image
	}
	s.HostConfig.NetworkMode = string(c.HostConfig.NetworkMode)
	s.NetworkSettings = &container.NetworkSettingsSummary{Networks: e.endpointsAPI(c)}
	if opts.Size {
		s.SizeRw, s.SizeRootFs = e.containerSizes(ctx, c)
	}
	return s, false, true
}

// containerNames lists a container's names: its own and its link aliases.
func (e *Engine) containerNames(c *Container) []string {
	return append([]string{c.Name}, e.linkNames(c)...)
}

// matchRegexps reports whether one of the patterns (dockerd treats filter
// values as regular expressions) matches one of the values. No patterns
// match everything.
func matchRegexps(patterns []string, values ...string) bool {
	if len(patterns) == 0 {
		return true
	}
	for _, p := range patterns {
		re, err := regexp.Compile(p)
		for _, v := range values {
			if err == nil && re.MatchString(v) || err != nil && p == v {
				return true
			}
		}
	}
	return false
}

// containerSizes returns the size of the container's own layer and of its
// whole filesystem, when the backend can tell.
func (e *Engine) containerSizes(ctx context.Context, c *Container) (rw, rootfs int64) {
	if r, ok := e.images.get(c.Image); ok {
		rootfs = e.imageSize(ctx, r.img)
	}
	if sizer, ok := e.b.(backend.RootfsSizer); ok {
		if n, err := sizer.RootfsSize(ctx, c.ID); err == nil {
			rw = n
		}
	}
	return rw, rootfs + rw
}

func mountPointsAPI(mps []mountPoint) []container.MountPoint {
	out := []container.MountPoint{}
	for _, m := range mps {
		out = append(out, container.MountPoint{
			Type:        mount.Type(m.Type),
			Name:        m.Name,
			Source:      m.Source,
			Destination: m.Destination,
			Driver:      m.Driver,
			Mode:        m.Mode,
			RW:          m.RW,
			Propagation: mount.Propagation(m.Propagation),
		})
	}
	return out
}

// endpointsAPI returns the container's endpoints as the API shows them.
func (e *Engine) endpointsAPI(c *Container) map[string]*network.EndpointSettings {
	out := map[string]*network.EndpointSettings{}
	for name, ep := range c.Networks {
		es := &network.EndpointSettings{
			NetworkID:   ep.NetworkID,
			EndpointID:  ep.EndpointID,
			IPPrefixLen: ep.IPPrefixLen,
			Aliases:     ep.Aliases,
			Links:       ep.Links,
		}
		if a, err := netip.ParseAddr(ep.IPAddress); err == nil {
			es.IPAddress = a
		}
		if a, err := netip.ParseAddr(ep.Gateway); err == nil {
			es.Gateway = a
		}
		if ep.MacAddress != "" {
			if mac, err := parseMAC(ep.MacAddress); err == nil {
				es.MacAddress = mac
			}
		}
		out[name] = es
	}
	return out
}

// ContainerInspect answers GET /containers/{name}/json.
func (e *Engine) ContainerInspect(ctx context.Context, name string, size bool) (*wire.ContainerJSON, error) {
	c, err := e.getContainer(name)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	root := e.desc.RootDir
	if root == "" {
		root = "/var/lib/docker"
	}
	dir := root + "/containers/" + c.ID
	cfg := *c.Config
	hc := *c.HostConfig
	st := &container.State{
		Status:     container.ContainerState(c.stateString()),
		Running:    c.State.Running,
		Paused:     c.State.Paused,
		Restarting: c.State.Restarting,
		OOMKilled:  c.State.OOMKilled,
		Dead:       c.State.Dead,
		Pid:        c.State.Pid,
		ExitCode:   c.State.ExitCode,
		Error:      c.State.Error,
		StartedAt:  formatTime(c.State.StartedAt),
		FinishedAt: formatTime(c.State.FinishedAt),
	}
	out := &wire.ContainerJSON{
		InspectResponse: container.InspectResponse{
			ID:             c.ID,
			Created:        c.Created.Format(time.RFC3339Nano),
			Path:           c.Path,
			Args:           append([]string{}, c.Args...),
			State:          st,
			Image:          c.Image,
			ResolvConfPath: dir + "/resolv.conf",
			HostnamePath:   dir + "/hostname",
			HostsPath:      dir + "/hosts",
			LogPath:        dir + "/" + c.ID + "-json.log",
			Name:           c.Name,
			RestartCount:   c.RestartCount,
			Driver:         e.desc.Driver,
			Platform:       "linux",
			HostConfig:     &hc,
			GraphDriver:    &storage.DriverData{Name: e.desc.Driver, Data: map[string]string{}},
			Mounts:         mountPointsAPI(c.MountPoints),
			Config:         &cfg,
		},
	}
	if f, ok := e.b.(backend.ContainerFiler); ok {
		out.HostsPath = f.ContainerFile(c.ID, "/etc/hosts")
		out.HostnamePath = f.ContainerFile(c.ID, "/etc/hostname")
		out.ResolvConfPath = f.ContainerFile(c.ID, "/etc/resolv.conf")
	}
	if g, ok := e.b.(backend.GraphDriverReporter); ok {
		if data, err := g.GraphDriver(ctx, c.ID); err == nil {
			out.GraphDriver.Data = data
		}
	}
	if ids := e.execIDs(c); len(ids) > 0 {
		out.ExecIDs = ids
	}
	if size {
		rw, rootfs := e.containerSizes(ctx, c)
		out.SizeRw, out.SizeRootFs = &rw, &rootfs
	}
	ns := &wire.NetworkSettings{
		Ports:    e.portMap(c),
		Networks: e.endpointsAPI(c),
	}
	if c.State.Running && c.State.Pid != 0 {
		ns.SandboxKey = "/var/run/docker/netns/" + shortID(c.ID)
	}
	if ep, ok := c.Networks["bridge"]; ok {
		ns.EndpointID = ep.EndpointID
		ns.Gateway = ep.Gateway
		ns.IPAddress = ep.IPAddress
		ns.IPPrefixLen = ep.IPPrefixLen
		ns.MacAddress = ep.MacAddress
	}
	out.NetworkSettings = ns
	return out, nil
}

// formatTime formats a state time as dockerd: RFC 3339 with nanoseconds, or
// the zero time "0001-01-01T00:00:00Z".
func formatTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339Nano)
}

func parseMAC(s string) (network.HardwareAddr, error) {
	var m network.HardwareAddr
	err := m.UnmarshalText([]byte(s))
	return m, err
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

var _ = fmt.Sprintf
