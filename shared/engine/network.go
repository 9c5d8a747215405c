package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"sort"
	"sync"
	"time"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

// networkRecord is a network the engine knows: the predefined bridge, host
// and none networks, and user-defined bridges.
type networkRecord struct {
	ID       string
	Name     string
	Driver   string // "bridge", "host" or "null"
	Created  time.Time
	Bridge   string // interface name, bridge driver only
	Subnet   netip.Prefix
	Gateway  netip.Addr
	Internal bool
	ICC      bool
	Labels   map[string]string
	Options  map[string]string

	used map[netip.Addr]string // address → container ID
}

// endpointRecord is a container's endpoint on a network while it runs.
type endpointRecord struct {
	NetworkID   string
	EndpointID  string
	Gateway     string
	IPAddress   string
	IPPrefixLen int
	MacAddress  string
	Aliases     []string
	Links       []string
}

type networkStore struct {
	mu     sync.Mutex
	byID   map[string]*networkRecord
	byName map[string]string
}

// loadNetworks reads the persisted networks and makes sure the predefined
// ones exist, creating the default bridge on the backend.
func (e *Engine) loadNetworks(ctx context.Context) (*networkStore, error) {
	ns := &networkStore{byID: make(map[string]*networkRecord), byName: make(map[string]string)}
	keys, err := e.store.Keys("networks")
	if err != nil {
		return nil, fmt.Errorf("engine: list networks: %w", err)
	}
	for _, k := range keys {
		data, err := e.store.Get("networks", k)
		if err != nil {
			return nil, fmt.Errorf("engine: load network %s: %w", k, err)
		}
		n := new(networkRecord)
		if err := json.Unmarshal(data, n); err != nil {
			e.logf("load network %s: %v", k, err)
			continue
		}
		n.used = make(map[netip.Addr]string)
		ns.byID[n.ID] = n
		ns.byName[n.Name] = n.ID
	}
	predefined := []*networkRecord{
		{Name: "bridge", Driver: "bridge", Bridge: e.desc.DefaultBridge, Subnet: e.desc.DefaultSubnet, ICC: true,
			Options: map[string]string{
				"com.docker.network.bridge.default_bridge":       "true",
				"com.docker.network.bridge.enable_icc":           "true",
				"com.docker.network.bridge.enable_ip_masquerade": "true",
				"com.docker.network.bridge.host_binding_ipv4":    "0.0.0.0",
				"com.docker.network.bridge.name":                 e.desc.DefaultBridge,
				"com.docker.network.driver.mtu":                  "1500",
			}},
		{Name: "host", Driver: "host"},
		{Name: "none", Driver: "null"},
	}
	for _, p := range predefined {
		if _, ok := ns.byName[p.Name]; ok {
			continue
		}
		p.ID = e.newID()
		p.Created = e.now().UTC()
		p.used = make(map[netip.Addr]string)
		if p.Driver == "bridge" && p.Subnet.IsValid() {
			p.Gateway = p.Subnet.Addr().Next()
		}
		ns.byID[p.ID] = p
		ns.byName[p.Name] = p.ID
		if err := e.putNetwork(p); err != nil {
			return nil, err
		}
	}
	// The backend realises bridges afresh at every start.
	for _, n := range ns.byID {
		if n.Driver != "bridge" || !n.Subnet.IsValid() {
			continue
		}
		err := e.b.CreateNetwork(ctx, backend.Network{ID: n.ID, Name: n.Name, Bridge: n.Bridge,
			Subnet: n.Subnet, Gateway: n.Gateway, Internal: n.Internal, ICC: n.ICC})
		if err != nil && !backend.IsConflict(err) {
			return nil, fmt.Errorf("engine: create network %s: %w", n.Name, err)
		}
	}
	return ns, nil
}

func (e *Engine) putNetwork(n *networkRecord) error {
	data, err := json.Marshal(n)
	if err != nil {
		return err
	}
	return e.store.Put("networks", n.ID, data)
}

// network finds a network by name, ID or unique ID prefix.
func (ns *networkStore) network(ref string) (*networkRecord, bool) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if id, ok := ns.byName[ref]; ok {
		return ns.byID[id], true
	}
	if n, ok := ns.byID[ref]; ok {
		return n, true
	}
	var found *networkRecord
	for id, n := range ns.byID {
		if len(ref) > 0 && len(id) >= len(ref) && id[:len(ref)] == ref {
			if found != nil {
				return nil, false
			}
			found = n
		}
	}
	return found, found != nil
}

// list returns the networks sorted by name.
func (ns *networkStore) list() []*networkRecord {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	out := make([]*networkRecord, 0, len(ns.byID))
	for _, n := range ns.byID {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// allocate reserves the lowest free host address of n for container id, as
// libnetwork's default IPAM does on local networks.
func (ns *networkStore) allocate(n *networkRecord, id string) (netip.Addr, error) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	a := n.Subnet.Masked().Addr().Next()
	for n.Subnet.Contains(a) {
		if a != n.Gateway {
			if _, taken := n.used[a]; !taken {
				next := a.Next()
				if !n.Subnet.Contains(next) { // the broadcast address
					break
				}
				n.used[a] = id
				return a, nil
			}
		}
		a = a.Next()
	}
	return netip.Addr{}, backend.Errorf(backend.Unavailable, "no available IPv4 addresses on this network's address pools: %s (%s)", n.Name, n.ID)
}

func (ns *networkStore) release(n *networkRecord, a netip.Addr) {
	ns.mu.Lock()
	delete(n.used, a)
	ns.mu.Unlock()
}

// macFor returns the MAC address dockerd derives from an IPv4 address.
func macFor(a netip.Addr) string {
	b := a.As4()
	return fmt.Sprintf("02:42:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3])
}

// connectNetworks allocates c's endpoints for a run and returns the
// backend's network spec. c.mu is held.
func (e *Engine) connectNetworks(c *Container) (backend.NetworkSpec, error) {
	mode := string(c.HostConfig.NetworkMode)
	switch {
	case mode == "none":
		return backend.NetworkSpec{Mode: "none"}, nil
	case mode == "host":
		return backend.NetworkSpec{Mode: "host"}, nil
	case len(mode) > len("container:") && mode[:len("container:")] == "container:":
		other, err := e.getContainer(mode[len("container:"):])
		if err != nil {
			return backend.NetworkSpec{}, err
		}
		return backend.NetworkSpec{Mode: "container", Container: other.ID}, nil
	}
	spec := backend.NetworkSpec{Mode: "bridge"}
	names := make([]string, 0, len(c.Networks))
	for name := range c.Networks {
		names = append(names, name)
	}
	sort.Strings(names)
	// The network named by the mode comes first: it holds the default route.
	primary := mode
	if primary == "" || primary == "default" {
		primary = "bridge"
	}
	sort.SliceStable(names, func(i, j int) bool { return names[i] == primary && names[j] != primary })
	for i, name := range names {
		n, ok := e.networks.network(name)
		if !ok {
			e.disconnectNetworks(c)
			return backend.NetworkSpec{}, backend.Errorf(backend.NotFound, "network %s not found", name)
		}
		addr, err := e.networks.allocate(n, c.ID)
		if err != nil {
			e.disconnectNetworks(c)
			return backend.NetworkSpec{}, err
		}
		ep := c.Networks[name]
		ep.NetworkID = n.ID
		ep.EndpointID = e.newID()
		ep.IPAddress = addr.String()
		ep.IPPrefixLen = n.Subnet.Bits()
		ep.Gateway = n.Gateway.String()
		ep.MacAddress = macFor(addr)
		spec.Endpoints = append(spec.Endpoints, backend.Endpoint{
			NetworkID: n.ID,
			Bridge:    n.Bridge,
			IfName:    fmt.Sprintf("eth%d", i),
			Address:   netip.PrefixFrom(addr, n.Subnet.Bits()),
			Gateway:   n.Gateway,
			MAC:       ep.MacAddress,
		})
	}
	return spec, nil
}

// disconnectNetworks releases c's addresses after a run. c.mu is held.
func (e *Engine) disconnectNetworks(c *Container) {
	for name, ep := range c.Networks {
		if ep.IPAddress == "" {
			continue
		}
		if n, ok := e.networks.network(name); ok {
			if a, err := netip.ParseAddr(ep.IPAddress); err == nil {
				e.networks.release(n, a)
			}
		}
		*ep = endpointRecord{NetworkID: ep.NetworkID, Aliases: ep.Aliases, Links: ep.Links}
	}
}

// releaseNetwork is called when a container's process has ended.
func (e *Engine) releaseNetwork(c *Container) { e.disconnectNetworks(c) }
