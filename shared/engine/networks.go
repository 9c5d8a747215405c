package engine

// The network API: create, list, inspect, remove, connect, disconnect and
// prune, with dockerd 20.10's answers and errors.

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/network"

	"github.com/twinbox-dev/twinbox/shared/api/wire"
	"github.com/twinbox-dev/twinbox/shared/backend"
)

// defaultPools are dockerd's default address pools for local networks:
// 172.17.0.0/16 to 172.31.0.0/16, then 192.168.0.0/16 cut in /20s.
func defaultPools() []netip.Prefix {
	var out []netip.Prefix
	for b := 17; b <= 31; b++ {
		out = append(out, netip.PrefixFrom(netip.AddrFrom4([4]byte{172, byte(b), 0, 0}), 16))
	}
	for c := 0; c < 256; c += 16 {
		out = append(out, netip.PrefixFrom(netip.AddrFrom4([4]byte{192, 168, byte(c), 0}), 20))
	}
	return out
}

// takenSubnets lists the subnets new networks must not overlap: the
// engine's networks' and the machine's routes (when the backend lists
// them).
func (e *Engine) takenSubnets(ctx context.Context) []netip.Prefix {
	var taken []netip.Prefix
	for _, n := range e.networks.list() {
		if n.Subnet.IsValid() {
			taken = append(taken, n.Subnet.Masked())
		}
	}
	if rl, ok := e.b.(backend.RouteLister); ok {
		if routes, err := rl.Routes(ctx); err == nil {
			taken = append(taken, routes...)
		}
	}
	return taken
}

// pickSubnet returns the first default pool no taken subnet overlaps.
func (e *Engine) pickSubnet(ctx context.Context) (netip.Prefix, error) {
	taken := e.takenSubnets(ctx)
	for _, p := range defaultPools() {
		if !slices.ContainsFunc(taken, p.Overlaps) {
			return p, nil
		}
	}
	return netip.Prefix{}, backend.Errorf(backend.Forbidden, "could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network")
}

// NetworkCreate answers POST /networks/create.
func (e *Engine) NetworkCreate(ctx context.Context, req wire.NetworkCreateRequest) (wire.NetworkCreateResponse, error) {
	if isPredefinedNetwork(req.Name) {
		return wire.NetworkCreateResponse{}, backend.Errorf(backend.Forbidden, "operation is not permitted on predefined %s network ", req.Name)
	}
	var warning string
	// As dockerd's GetNetworkByName, no name means the default network.
	lookup := req.Name
	if lookup == "" {
		lookup = "bridge"
	}
	if existing, err := e.networks.find(lookup); err == nil && existing.Name == lookup {
		if req.CheckDuplicate {
			return wire.NetworkCreateResponse{}, backend.Errorf(backend.Conflict, "network with name %s already exists", req.Name)
		}
		warning = fmt.Sprintf("Network with name %s (id : %s) already exists", existing.Name, existing.ID)
	}
	if strings.TrimSpace(req.Name) == "" {
		return wire.NetworkCreateResponse{}, backend.Errorf(backend.InvalidParameter, "invalid name: %s", req.Name)
	}
	switch req.Driver {
	case "", "bridge":
	case "host", "null":
		return wire.NetworkCreateResponse{}, backend.Errorf(backend.Forbidden, "only one instance of %q network is allowed", req.Driver)
	default:
		return wire.NetworkCreateResponse{}, backend.Errorf(backend.NotFound, "plugin %q not found", req.Driver)
	}
	n := &networkRecord{
		Name:        req.Name,
		Driver:      "bridge",
		Internal:    req.Internal,
		ICC:         true,
		Attachable:  req.Attachable,
		ShowGateway: true,
		Labels:      req.Labels,
		Options:     req.Options,
		used:        map[netip.Addr]string{},
	}
	if n.Labels == nil {
		n.Labels = map[string]string{}
	}
	if n.Options == nil {
		n.Options = map[string]string{}
	}
	if v, ok := n.Options["com.docker.network.bridge.enable_icc"]; ok {
		n.ICC = v != "false" && v != "0"
	}
	if req.IPAM != nil {
		if req.IPAM.Driver != "" && req.IPAM.Driver != "default" {
			return wire.NetworkCreateResponse{}, backend.Errorf(backend.NotFound, "plugin %q not found", req.IPAM.Driver)
		}
		n.IPAMOptions = req.IPAM.Options
		if err := e.ipamConfig(n, req.IPAM.Config); err != nil {
			return wire.NetworkCreateResponse{}, err
		}
	}
	if n.Subnet.IsValid() {
		for _, o := range e.networks.list() {
			if o.Subnet.IsValid() && o.Subnet.Overlaps(n.Subnet) {
				return wire.NetworkCreateResponse{}, backend.Errorf(backend.Forbidden, "Pool overlaps with other one on this address space")
			}
		}
	} else {
		p, err := e.pickSubnet(ctx)
		if err != nil {
			return wire.NetworkCreateResponse{}, err
		}
		n.Subnet = p
	}
	if !n.Gateway.IsValid() {
		n.Gateway = n.Subnet.Masked().Addr().Next()
	}
	n.ID = e.newID()
	n.Bridge = "br-" + n.ID[:12]
	if b := n.Options["com.docker.network.bridge.name"]; b != "" {
		n.Bridge = b
	}
	n.Created = e.now().UTC()
	if err := e.b.CreateNetwork(ctx, backendNetwork(n)); err != nil {
		return wire.NetworkCreateResponse{}, err
	}
	e.networks.mu.Lock()
	// A concurrent create may have taken the subnet meanwhile.
	for _, o := range e.networks.byID {
		if o.Subnet.IsValid() && o.Subnet.Overlaps(n.Subnet) {
			e.networks.mu.Unlock()
			e.b.RemoveNetwork(ctx, n.ID)
			return wire.NetworkCreateResponse{}, backend.Errorf(backend.Forbidden, "Pool overlaps with other one on this address space")
		}
	}
	e.networks.byID[n.ID] = n
	e.networks.byName[n.Name] = n.ID
	e.networks.mu.Unlock()
	if err := e.putNetwork(n); err != nil {
		return wire.NetworkCreateResponse{}, err
	}
	e.networkEvent(n, "create", nil)
	return wire.NetworkCreateResponse{ID: n.ID, Warning: warning}, nil
}

// ipamConfig reads a create request's IPv4 pool (dockerd 20.10 and
// libnetwork's checks): subnet, range and gateway.
func (e *Engine) ipamConfig(n *networkRecord, cfgs []wire.IPAMConfig) error {
	for _, c := range cfgs {
		_, _, err := net.ParseCIDR(c.Subnet)
		if err != nil {
			return backend.Errorf(backend.InvalidParameter, "Invalid subnet %s : %v", c.Subnet, err)
		}
		p, err := netip.ParsePrefix(c.Subnet)
		if err != nil {
			return backend.Errorf(backend.InvalidParameter, "Invalid subnet %s : %v", c.Subnet, err)
		}
		if !p.Addr().Is4() {
			return backend.Errorf(backend.InvalidParameter, "IPv6 subnets are not supported: %s", c.Subnet)
		}
		if n.Subnet.IsValid() {
			return backend.Errorf(backend.InvalidParameter, "only one IPv4 pool is supported: %s", c.Subnet)
		}
		if p.Bits() > 30 {
			return backend.Errorf(backend.InvalidParameter, "invalid pool request: Invalid Address Pool: %s", c.Subnet)
		}
		n.Subnet = p.Masked()
		if c.IPRange != "" {
			r, err := netip.ParsePrefix(c.IPRange)
			if err != nil || !r.Addr().Is4() {
				return backend.Errorf(backend.InvalidParameter, "invalid pool request: Invalid Address Pool: %s", c.IPRange)
			}
			if !p.Contains(r.Masked().Addr()) || r.Bits() < p.Bits() {
				return backend.Errorf(backend.InvalidParameter, "invalid pool request: Invalid Address SubPool: %s", c.IPRange)
			}
			n.IPRange = r.Masked()
		}
		if c.Gateway != "" {
			g, err := netip.ParseAddr(c.Gateway)
			if err != nil || !p.Contains(g) {
				return backend.Errorf(backend.InvalidParameter, "Invalid gateway address %s for network %s", c.Gateway, c.Subnet)
			}
			n.Gateway = g
		}
	}
	return nil
}

// networkEvent records an event about network n.
func (e *Engine) networkEvent(n *networkRecord, action string, extra map[string]string) {
	attrs := map[string]string{"name": n.Name, "type": n.Driver}
	for k, v := range extra {
		attrs[k] = v
	}
	e.events.publish(e.now(), events.NetworkEventType, events.Action(action), n.ID, attrs)
}

// networkAPI is n as the API shows it; with endpoints, the running
// containers on it.
func (e *Engine) networkAPI(n *networkRecord, endpoints bool) wire.Network {
	out := wire.Network{
		Name:       n.Name,
		ID:         n.ID,
		Created:    n.Created,
		Scope:      "local",
		Driver:     n.Driver,
		Internal:   n.Internal,
		Attachable: n.Attachable,
		IPAM:       wire.IPAM{Driver: "default", Options: n.IPAMOptions, Config: []wire.IPAMConfig{}},
		Containers: map[string]wire.EndpointResource{},
		Options:    n.Options,
		Labels:     n.Labels,
	}
	if out.Options == nil {
		out.Options = map[string]string{}
	}
	if out.Labels == nil {
		out.Labels = map[string]string{}
	}
	if n.Subnet.IsValid() {
		c := wire.IPAMConfig{Subnet: n.Subnet.String()}
		if n.IPRange.IsValid() {
			c.IPRange = n.IPRange.String()
		}
		if n.ShowGateway {
			c.Gateway = n.Gateway.String()
		}
		out.IPAM.Config = append(out.IPAM.Config, c)
	}
	if endpoints {
		for id, ep := range e.networkEndpoints(n) {
			out.Containers[id] = ep
		}
	}
	return out
}

// networkEndpoints returns the endpoints of running containers on n.
func (e *Engine) networkEndpoints(n *networkRecord) map[string]wire.EndpointResource {
	out := map[string]wire.EndpointResource{}
	for _, c := range e.listContainers() {
		c.mu.Lock()
		if c.State.Running {
			for _, ep := range c.Networks {
				if ep.NetworkID != n.ID || ep.EndpointID == "" {
					continue
				}
				r := wire.EndpointResource{Name: strings.TrimPrefix(c.Name, "/"), EndpointID: ep.EndpointID, MacAddress: ep.MacAddress}
				if ep.IPAddress != "" {
					r.IPv4Address = fmt.Sprintf("%s/%d", ep.IPAddress, ep.IPPrefixLen)
				}
				out[c.ID] = r
			}
		}
		c.mu.Unlock()
	}
	return out
}

var networkListFilters = map[string]bool{"driver": true, "type": true, "name": true, "id": true, "label": true, "scope": true, "dangling": true}

// Networks answers GET /networks: the networks matching the filters, in the
// order they were made, without their endpoints (as API 1.28 and later).
func (e *Engine) Networks(ctx context.Context, f Filters) ([]wire.Network, error) {
	for k := range f {
		if !networkListFilters[k] {
			return nil, invalidFilter(k)
		}
	}
	var danglingOnly, hasDangling bool
	if vs := f["dangling"]; len(vs) > 0 {
		if len(vs) > 1 {
			return nil, backend.Errorf(backend.InvalidParameter, `got more than one value for filter key "dangling"`)
		}
		switch vs[0] {
		case "0", "false":
		case "1", "true":
			danglingOnly = true
		default:
			return nil, backend.Errorf(backend.InvalidParameter, `invalid value for filter 'dangling', must be "true" (or "1"), or "false" (or "0")`)
		}
		hasDangling = true
	}
	for _, t := range f["type"] {
		if t != "builtin" && t != "custom" {
			return nil, backend.Errorf(backend.InvalidParameter, "invalid filter: 'type'='%s'", t)
		}
	}
	out := []wire.Network{}
	for _, n := range e.networks.list() {
		if len(f["driver"]) > 0 && !slices.Contains(f["driver"], n.Driver) {
			continue
		}
		if len(f["name"]) > 0 && !slices.Contains(f["name"], n.Name) && !matchRegexps(f["name"], n.Name) {
			continue
		}
		if len(f["id"]) > 0 && !slices.Contains(f["id"], n.ID) && !matchRegexps(f["id"], n.ID) {
			continue
		}
		if len(f["label"]) > 0 && !matchLabels(f["label"], n.Labels) {
			continue
		}
		if len(f["scope"]) > 0 && !slices.Contains(f["scope"], "local") {
			continue
		}
		if hasDangling {
			inUse := n.predefined() || len(e.networkEndpoints(n)) > 0
			if inUse == danglingOnly {
				continue
			}
		}
		if ts := f["type"]; len(ts) > 0 {
			want := "custom"
			if n.predefined() {
				want = "builtin"
			}
			if !slices.Contains(ts, want) {
				continue
			}
		}
		out = append(out, e.networkAPI(n, false))
	}
	return out, nil
}

// NetworkInspect answers GET /networks/{id}: the network with the given
// full ID, name or unique ID prefix, with its endpoints.
func (e *Engine) NetworkInspect(ctx context.Context, term string) (wire.Network, error) {
	n, err := e.networks.find(term)
	if err != nil {
		return wire.Network{}, err
	}
	return e.networkAPI(n, true), nil
}

// NetworkRemove answers DELETE /networks/{id}. Errors: NotFound; Forbidden
// for a predefined network or one with endpoints.
func (e *Engine) NetworkRemove(ctx context.Context, term string) error {
	n, err := e.networks.find(term)
	if err != nil {
		return err
	}
	if n.predefined() {
		return backend.Errorf(backend.Forbidden, "%s is a pre-defined network and cannot be removed", n.Name)
	}
	if len(e.networkEndpoints(n)) > 0 {
		return backend.Errorf(backend.Forbidden, "error while removing network: network %s id %s has active endpoints", n.Name, n.ID)
	}
	e.networks.mu.Lock()
	if len(n.used) > 0 { // a container is starting on it
		e.networks.mu.Unlock()
		return backend.Errorf(backend.Forbidden, "error while removing network: network %s id %s has active endpoints", n.Name, n.ID)
	}
	delete(e.networks.byID, n.ID)
	if e.networks.byName[n.Name] == n.ID {
		delete(e.networks.byName, n.Name)
	}
	e.networks.mu.Unlock()
	if err := e.b.RemoveNetwork(ctx, n.ID); err != nil && !backend.IsNotFound(err) {
		e.logf("remove network %s: %v", n.Name, err)
	}
	e.store.Delete("networks", n.ID)
	e.networkEvent(n, "destroy", nil)
	return nil
}

// NetworksPrune answers POST /networks/prune: it removes the user-defined
// networks no running container uses, matching the filters (label, until).
func (e *Engine) NetworksPrune(ctx context.Context, f Filters) (wire.NetworksPruneReport, error) {
	for k := range f {
		if k != "label" && k != "label!" && k != "until" {
			return wire.NetworksPruneReport{}, invalidFilter(k)
		}
	}
	var until time.Time
	for _, v := range f["until"] {
		t, err := parseUntil(v, e.now())
		if err != nil {
			return wire.NetworksPruneReport{}, err
		}
		until = t
	}
	rep := wire.NetworksPruneReport{}
	nets := e.networks.list()
	sort.Slice(nets, func(i, j int) bool { return nets[i].Name < nets[j].Name })
	for _, n := range nets {
		if n.predefined() || !matchLabels(f["label"], n.Labels) ||
			(len(f["label!"]) > 0 && matchLabels(f["label!"], n.Labels)) ||
			(!until.IsZero() && !n.Created.Before(until)) {
			continue
		}
		if err := e.NetworkRemove(ctx, n.ID); err != nil {
			continue
		}
		rep.NetworksDeleted = append(rep.NetworksDeleted, n.Name)
	}
	e.events.publish(e.now(), "network", "prune", "", map[string]string{"reclaimed": "0"})
	return rep, nil
}

// NetworkConnect answers POST /networks/{id}/connect: it connects a
// container, at once when it runs, else from its next start.
func (e *Engine) NetworkConnect(ctx context.Context, term, name string, es *network.EndpointSettings) error {
	c, err := e.getContainer(name)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.removing || c.State.Dead {
		return backend.Errorf(backend.Conflict, "Container %s is marked for removal and cannot be connected or disconnected to the network", c.ID)
	}
	if c.HostConfig.NetworkMode.IsContainer() {
		return backend.Errorf(backend.Forbidden, "container sharing network namespace with another container or host cannot be connected to any other network")
	}
	n, err := e.networks.find(term)
	if err != nil {
		if c.State.Running {
			return err
		}
		n = nil
	}
	key := term
	if n != nil {
		key = n.Name
		if n.Driver != "bridge" || c.HostConfig.NetworkMode.IsHost() || c.HostConfig.NetworkMode.IsNone() {
			return backend.Errorf(backend.Forbidden, "container cannot be disconnected from host network or connected to host network")
		}
	}
	if _, ok := c.Networks[key]; ok && c.State.Running {
		return backend.Errorf(backend.Forbidden, "endpoint with name %s already exists in network %s", strings.TrimPrefix(c.Name, "/"), key)
	}
	ep := &endpointRecord{}
	if es != nil {
		ep.Aliases = append([]string(nil), es.Aliases...)
		ep.Links = append([]string(nil), es.Links...)
		if es.IPAMConfig != nil && es.IPAMConfig.IPv4Address.IsValid() {
			ep.IPv4Address = es.IPAMConfig.IPv4Address.String()
		}
	}
	if !c.State.Running {
		if n != nil && n.userDefined() {
			ep.Aliases = addAlias(ep.Aliases, shortID(c.ID))
			ep.NetworkID = n.ID
		}
		c.Networks[key] = ep
		e.checkpoint(c)
		return nil
	}
	bep, err := e.allocateEndpoint(c, n, ep, e.nextIfName(c))
	if err != nil {
		return err
	}
	if err := e.b.Connect(ctx, c.ID, bep); err != nil {
		e.networks.release(n, bep.Address.Addr())
		return err
	}
	c.Networks[key] = ep
	e.registerDNS(c)
	if n.userDefined() {
		e.useEmbeddedDNS(ctx, c)
	}
	e.checkpoint(c)
	e.networkEvent(n, "connect", map[string]string{"container": c.ID})
	return nil
}

// useEmbeddedDNS points running c's resolv.conf at the embedded DNS server
// when it names the machine's name servers, as libnetwork's rebuildDNS
// does once a sandbox's first endpoint on a user-defined network joins.
// Backends without backend.FilesUpdater keep the file. c.mu is held.
func (e *Engine) useEmbeddedDNS(ctx context.Context, c *Container) {
	fu, ok := e.b.(backend.FilesUpdater)
	sb := e.liveSandbox(c.ID)
	if !ok || sb == nil || sb.Files == nil || bytes.Contains(sb.Files["/etc/resolv.conf"], []byte("nameserver "+embeddedDNS+"\n")) {
		return
	}
	files := maps.Clone(sb.Files)
	files["/etc/resolv.conf"] = embeddedResolvConf(e.desc.ResolvConf)
	if err := fu.UpdateFiles(ctx, c.ID, map[string][]byte{"/etc/resolv.conf": files["/etc/resolv.conf"]}); err != nil {
		e.logf("connect %s: resolv.conf: %v", c.ID, err)
		return
	}
	e.networks.mu.Lock()
	sb.Files = files
	e.networks.mu.Unlock()
	e.saveSandbox(c)
}

// nextIfName is the first free ethN of a running container. c.mu is held.
func (e *Engine) nextIfName(c *Container) string {
	return fmt.Sprintf("eth%d", len(runningEndpoints(c)))
}

// runningEndpoints returns c's endpoints with an address. c.mu is held.
func runningEndpoints(c *Container) []*endpointRecord {
	var out []*endpointRecord
	for _, ep := range c.Networks {
		if ep.IPAddress != "" {
			out = append(out, ep)
		}
	}
	return out
}

// NetworkDisconnect answers POST /networks/{id}/disconnect.
func (e *Engine) NetworkDisconnect(ctx context.Context, term, name string, force bool) error {
	c, err := e.getContainer(name)
	if err != nil {
		return err
	}
	n, findErr := e.networks.find(term)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.State.Running || (findErr != nil && force) {
		if c.removing || c.State.Dead {
			return backend.Errorf(backend.Conflict, "Container %s is marked for removal and cannot be connected or disconnected to the network", c.ID)
		}
		key := term
		if n != nil {
			key = n.Name
		}
		if _, ok := c.Networks[key]; !ok {
			return backend.Errorf(backend.InvalidParameter, "container %s is not connected to the network %s", c.ID, key)
		}
		delete(c.Networks, key)
		e.checkpoint(c)
		if n != nil {
			e.networkEvent(n, "disconnect", map[string]string{"container": c.ID})
		}
		return nil
	}
	if findErr != nil {
		return findErr
	}
	if c.HostConfig.NetworkMode.IsHost() && n.Driver == "host" {
		return backend.Errorf(backend.Forbidden, "container cannot be disconnected from host network or connected to host network")
	}
	ep, ok := c.Networks[n.Name]
	if !ok || ep.IPAddress == "" {
		return backend.Errorf(backend.Forbidden, "container %s is not connected to network %s", c.ID, n.Name)
	}
	if err := e.b.Disconnect(ctx, c.ID, n.ID); err != nil && !backend.IsNotFound(err) {
		return err
	}
	if a, err := netip.ParseAddr(ep.IPAddress); err == nil {
		e.networks.release(n, a)
	}
	e.unregisterDNS(c.ID, n.ID)
	delete(c.Networks, n.Name)
	e.checkpoint(c)
	e.networkEvent(n, "disconnect", map[string]string{"container": c.ID})
	return nil
}
