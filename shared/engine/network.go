package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"sort"
	"strings"
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
	IPRange  netip.Prefix // where addresses come from; zero: the whole subnet
	Internal bool
	ICC      bool
	// Attachable is kept to be shown; any container may attach anyway.
	Attachable bool
	// ShowGateway says the IPAM config lists the gateway: dockerd shows none
	// for the default bridge it made itself.
	ShowGateway bool
	Labels      map[string]string
	Options     map[string]string
	IPAMOptions map[string]string

	used map[netip.Addr]string // address → container ID
}

// predefined reports whether n is one of the networks every engine has.
func (n *networkRecord) predefined() bool { return isPredefinedNetwork(n.Name) }

// userDefined reports whether containers on n get the embedded DNS server,
// as on dockerd's user-defined networks.
func (n *networkRecord) userDefined() bool { return !n.predefined() && n.Driver == "bridge" }

// isPredefinedNetwork is runconfig.IsPreDefinedNetwork of dockerd 20.10.
func isPredefinedNetwork(name string) bool {
	return name == "bridge" || name == "host" || name == "none" || name == "default" || strings.HasPrefix(name, "container:")
}

// endpointRecord is a container's endpoint on a network. The address
// fields are set while the container runs.
type endpointRecord struct {
	NetworkID   string
	EndpointID  string
	Gateway     string
	IPAddress   string
	IPPrefixLen int
	MacAddress  string
	Aliases     []string
	Links       []string
	// IPv4Address is the address asked for with --ip, kept across runs.
	IPv4Address string `json:",omitempty"`
}

// networkStore holds the networks and the live network state of running
// containers. Lock order: a container's mu before the store's mu.
type networkStore struct {
	mu     sync.Mutex
	byID   map[string]*networkRecord
	byName map[string]string
	ports  *portAllocator
	live   map[string]*sandbox // by container ID, while it runs
	// dns holds the endpoints of running containers on user-defined
	// networks: network ID → container ID → entry.
	dns map[string]map[string]dnsEntry
}

// sandbox is the network state of a running container the engine keeps
// beside its record: published ports and what its files were made from.
type sandbox struct {
	Ports []portBinding
	// Files are the hosts, hostname and resolv.conf the container got; a
	// container joining its network namespace gets the same.
	Files map[string][]byte `json:"-"`
	// LinkEnv and LinkHosts are what its links give it.
	LinkEnv   []string      `json:"-"`
	LinkHosts []hostsRecord `json:"-"`
}

// loadNetworks reads the persisted networks and makes sure the predefined
// ones exist, creating the bridges on the backend.
func (e *Engine) loadNetworks(ctx context.Context) (*networkStore, error) {
	ns := &networkStore{byID: make(map[string]*networkRecord), byName: make(map[string]string),
		ports: newPortAllocator(), live: make(map[string]*sandbox)}
	if pc, ok := e.b.(backend.PortChecker); ok {
		ns.ports.free = func(b portBinding, port uint16) bool { return pc.PortFree(b.Proto, b.HostIP, port) }
	}
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
	// In dockerd's order of creation, which GET /networks keeps.
	predefined := []*networkRecord{
		{Name: "none", Driver: "null"},
		{Name: "host", Driver: "host"},
		{Name: "bridge", Driver: "bridge", Bridge: e.desc.DefaultBridge, Subnet: e.desc.DefaultSubnet, ICC: true,
			Options: map[string]string{
				"com.docker.network.bridge.default_bridge":       "true",
				"com.docker.network.bridge.enable_icc":           "true",
				"com.docker.network.bridge.enable_ip_masquerade": "true",
				"com.docker.network.bridge.host_binding_ipv4":    "0.0.0.0",
				"com.docker.network.bridge.name":                 e.desc.DefaultBridge,
				"com.docker.network.driver.mtu":                  "1500",
			}},
	}
	for _, p := range predefined {
		if id, ok := ns.byName[p.Name]; ok {
			// The machine may give the default bridge another subnet now
			// (natively: the first free range at this start).
			if n := ns.byID[id]; n.Name == "bridge" && e.desc.DefaultSubnet.IsValid() && n.Subnet != e.desc.DefaultSubnet {
				n.Subnet, n.Gateway = e.desc.DefaultSubnet, e.desc.DefaultSubnet.Masked().Addr().Next()
				e.putNetwork(n)
			}
			continue
		}
		p.ID = e.newID()
		p.Created = e.now().UTC()
		p.used = make(map[netip.Addr]string)
		if p.Driver == "bridge" && p.Subnet.IsValid() {
			p.Gateway = p.Subnet.Masked().Addr().Next()
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
		err := e.b.CreateNetwork(ctx, backendNetwork(n))
		if err != nil && !backend.IsConflict(err) {
			return nil, fmt.Errorf("engine: create network %s: %w", n.Name, err)
		}
	}
	if rs, ok := e.b.(backend.ResolverSetter); ok {
		rs.SetResolver(resolver{e})
	}
	return ns, nil
}

// backendNetwork is what the backend realises of n.
func backendNetwork(n *networkRecord) backend.Network {
	return backend.Network{ID: n.ID, Name: n.Name, Bridge: n.Bridge, Subnet: n.Subnet, Gateway: n.Gateway,
		Internal: n.Internal, ICC: n.ICC}
}

func (e *Engine) putNetwork(n *networkRecord) error {
	data, err := json.Marshal(n)
	if err != nil {
		return err
	}
	return e.store.Put("networks", n.ID, data)
}

// network finds a network by full ID, name, or unique ID prefix.
func (ns *networkStore) network(ref string) (*networkRecord, bool) {
	n, err := ns.find(ref)
	return n, err == nil
}

// find finds a network as dockerd's FindNetwork does: full ID, then full
// name, then ID prefix. Errors: NotFound "network X not found";
// InvalidParameter when the name or prefix is ambiguous.
func (ns *networkStore) find(ref string) (*networkRecord, error) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if n, ok := ns.byID[ref]; ok {
		return n, nil
	}
	var byName, byPrefix []*networkRecord
	for id, n := range ns.byID {
		if n.Name == ref {
			byName = append(byName, n)
		}
		if ref != "" && strings.HasPrefix(id, ref) {
			byPrefix = append(byPrefix, n)
		}
	}
	switch {
	case len(byName) == 1:
		return byName[0], nil
	case len(byName) > 1:
		return nil, backend.Errorf(backend.InvalidParameter, "network %s is ambiguous (%d matches found on name)", ref, len(byName))
	case len(byPrefix) == 1:
		return byPrefix[0], nil
	case len(byPrefix) > 1:
		return nil, backend.Errorf(backend.InvalidParameter, "network %s is ambiguous (%d matches found based on ID prefix)", ref, len(byPrefix))
	}
	return nil, backend.Errorf(backend.NotFound, "network %s not found", ref)
}

// list returns the networks in the order they were created.
func (ns *networkStore) list() []*networkRecord {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	out := make([]*networkRecord, 0, len(ns.byID))
	for _, n := range ns.byID {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.Before(out[j].Created)
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// allocate reserves an address of n for container id: want when valid
// (Conflict "Address already in use" when taken), else the lowest free host
// address of the network's range, as libnetwork's default IPAM does.
func (ns *networkStore) allocate(n *networkRecord, id string, want netip.Addr) (netip.Addr, error) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if want.IsValid() {
		if !n.Subnet.Contains(want) {
			return netip.Addr{}, backend.Errorf(backend.InvalidParameter, "Invalid address %s: It does not belong to any of this network's subnets", want)
		}
		if other, taken := n.used[want]; (taken && other != id) || want == n.Gateway {
			return netip.Addr{}, backend.Errorf(backend.Conflict, "Address already in use")
		}
		n.used[want] = id
		return want, nil
	}
	pool := n.Subnet.Masked()
	if n.IPRange.IsValid() {
		pool = n.IPRange.Masked()
	}
	last := lastAddr(n.Subnet)
	for a := pool.Addr(); pool.Contains(a); a = a.Next() {
		if a == n.Subnet.Masked().Addr() || a == last || a == n.Gateway {
			continue // the network and broadcast addresses, the gateway
		}
		if _, taken := n.used[a]; !taken {
			n.used[a] = id
			return a, nil
		}
	}
	return netip.Addr{}, backend.Errorf(backend.Unavailable, "no available IPv4 addresses on this network's address pools: %s (%s)", n.Name, n.ID)
}

// lastAddr is the broadcast address of an IPv4 prefix.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	v |= (1<<(32-p.Bits()) - 1)
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
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

// sortedNetworks returns the names of c's networks with the one its network
// mode names first: that endpoint holds the default route and the ports.
func sortedNetworks(c *Container) []string {
	mode := string(c.HostConfig.NetworkMode)
	names := make([]string, 0, len(c.Networks))
	for name := range c.Networks {
		names = append(names, name)
	}
	sort.Strings(names)
	primary := mode
	if primary == "" || primary == "default" {
		primary = "bridge"
	}
	sort.SliceStable(names, func(i, j int) bool { return names[i] == primary && names[j] != primary })
	return names
}

// connectNetworks allocates c's endpoints, ports and links for a run and
// returns the backend's network spec. c.mu is held. On error nothing stays
// allocated.
func (e *Engine) connectNetworks(c *Container) (spec backend.NetworkSpec, err error) {
	mode := string(c.HostConfig.NetworkMode)
	sb := &sandbox{}
	defer func() {
		if err != nil {
			e.disconnectNetworks(c)
			return
		}
		e.networks.mu.Lock()
		e.networks.live[c.ID] = sb
		e.networks.mu.Unlock()
		e.registerDNS(c)
	}()
	switch {
	case mode == "none":
		e.markNullEndpoint(c, "none")
		return backend.NetworkSpec{Mode: "none"}, nil
	case mode == "host":
		e.markNullEndpoint(c, "host")
		return backend.NetworkSpec{Mode: "host"}, nil
	case strings.HasPrefix(mode, "container:"):
		other, err := e.getContainer(strings.TrimPrefix(mode, "container:"))
		if err != nil {
			return backend.NetworkSpec{}, err
		}
		if other == c {
			return backend.NetworkSpec{}, backend.Errorf(backend.InvalidParameter, "cannot join own network")
		}
		other.mu.Lock()
		running, restarting := other.State.Running, other.State.Restarting
		hostname, domain := other.Config.Hostname, other.Config.Domainname
		other.mu.Unlock()
		if !running {
			return backend.NetworkSpec{}, backend.Errorf(backend.Conflict, "cannot join network of a non running container: %s", strings.TrimPrefix(mode, "container:"))
		}
		if restarting {
			return backend.NetworkSpec{}, backend.Errorf(backend.Conflict, "Container %s is restarting, wait until the container is running", strings.TrimPrefix(mode, "container:"))
		}
		c.Config.Hostname, c.Config.Domainname = hostname, domain
		e.networks.mu.Lock()
		if o := e.networks.live[other.ID]; o != nil {
			sb.Files = o.Files
		}
		e.networks.mu.Unlock()
		return backend.NetworkSpec{Mode: "container", Container: other.ID}, nil
	}
	spec = backend.NetworkSpec{Mode: "bridge"}
	for i, name := range sortedNetworks(c) {
		n, err := e.networks.find(name)
		if err != nil {
			return backend.NetworkSpec{}, err
		}
		ep := c.Networks[name]
		if ep == nil {
			ep = &endpointRecord{}
			c.Networks[name] = ep
		}
		bep, err := e.allocateEndpoint(c, n, ep, fmt.Sprintf("eth%d", i))
		if err != nil {
			return backend.NetworkSpec{}, err
		}
		spec.Endpoints = append(spec.Endpoints, bep)
	}
	if len(spec.Endpoints) == 0 {
		return spec, nil
	}
	if err := e.setupLinks(c, sb); err != nil {
		return backend.NetworkSpec{}, err
	}
	primary := spec.Endpoints[0]
	ports, err := e.allocatePorts(c, primary.Address.Addr())
	if err != nil {
		return backend.NetworkSpec{}, err
	}
	sb.Ports = ports
	for _, p := range ports {
		spec.Ports = append(spec.Ports, backend.PortMapping{Proto: p.Proto, ContainerPort: p.ContainerPort,
			HostIP: p.HostIP, HostPort: p.HostPort, ContainerIP: primary.Address.Addr()})
	}
	return spec, nil
}

// markNullEndpoint gives a container on the host or none network the
// endpoint dockerd shows for it: an ID, no address.
func (e *Engine) markNullEndpoint(c *Container, name string) {
	ep := c.Networks[name]
	if ep == nil {
		return
	}
	if n, ok := e.networks.network(name); ok {
		ep.NetworkID = n.ID
	}
	ep.EndpointID = e.newID()
}

// allocateEndpoint reserves c's address on n and fills ep. c.mu is held.
func (e *Engine) allocateEndpoint(c *Container, n *networkRecord, ep *endpointRecord, ifName string) (backend.Endpoint, error) {
	if n.Driver != "bridge" {
		return backend.Endpoint{}, backend.Errorf(backend.Forbidden, "container cannot be disconnected from host network or connected to host network")
	}
	var want netip.Addr
	if ep.IPv4Address != "" {
		a, err := netip.ParseAddr(ep.IPv4Address)
		if err != nil {
			return backend.Endpoint{}, backend.Errorf(backend.InvalidParameter, "Invalid IPv4 address: %s)", ep.IPv4Address)
		}
		if !n.userDefined() {
			return backend.Endpoint{}, backend.Errorf(backend.InvalidParameter, "user specified IP address is supported on user defined networks only")
		}
		want = a
	}
	addr, err := e.networks.allocate(n, c.ID, want)
	if err != nil {
		return backend.Endpoint{}, err
	}
	if n.userDefined() {
		ep.Aliases = addAlias(ep.Aliases, shortID(c.ID))
		if strings.TrimPrefix(c.Name, "/") != c.Config.Hostname {
			ep.Aliases = addAlias(ep.Aliases, c.Config.Hostname)
		}
	}
	ep.NetworkID = n.ID
	ep.EndpointID = e.newID()
	ep.IPAddress = addr.String()
	ep.IPPrefixLen = n.Subnet.Bits()
	ep.Gateway = n.Gateway.String()
	ep.MacAddress = macFor(addr)
	return backend.Endpoint{
		NetworkID: n.ID,
		Bridge:    n.Bridge,
		IfName:    ifName,
		Address:   netip.PrefixFrom(addr, n.Subnet.Bits()),
		Gateway:   n.Gateway,
		MAC:       ep.MacAddress,
	}, nil
}

func addAlias(aliases []string, a string) []string {
	for _, x := range aliases {
		if x == a {
			return aliases
		}
	}
	return append(aliases, a)
}

// disconnectNetworks releases c's addresses and ports after a run. c.mu is
// held.
func (e *Engine) disconnectNetworks(c *Container) {
	for name, ep := range c.Networks {
		if ep.IPAddress != "" {
			if n, ok := e.networks.network(name); ok {
				if a, err := netip.ParseAddr(ep.IPAddress); err == nil {
					e.networks.release(n, a)
				}
			}
		}
		*ep = endpointRecord{NetworkID: ep.NetworkID, Aliases: ep.Aliases, Links: ep.Links, IPv4Address: ep.IPv4Address}
	}
	e.unregisterDNS(c.ID, "")
	e.networks.mu.Lock()
	sb := e.networks.live[c.ID]
	delete(e.networks.live, c.ID)
	e.networks.mu.Unlock()
	if sb != nil {
		e.networks.ports.releaseAll(sb.Ports)
	}
	e.store.Delete("sandboxes", c.ID)
}

// releaseNetwork is called when a container's process has ended.
func (e *Engine) releaseNetwork(c *Container) { e.disconnectNetworks(c) }

// saveSandbox persists what a restarted engine must know of c's run. c.mu
// is held.
func (e *Engine) saveSandbox(c *Container) {
	e.networks.mu.Lock()
	sb := e.networks.live[c.ID]
	e.networks.mu.Unlock()
	if sb == nil {
		return
	}
	data, _ := json.Marshal(sb)
	if err := e.store.Put("sandboxes", c.ID, data); err != nil {
		e.logf("save network state of %s: %v", c.ID, err)
	}
}

// restoreNetwork takes back the addresses and ports of a container that
// still runs after an engine restart. c.mu is held.
func (e *Engine) restoreNetwork(c *Container) {
	for name, ep := range c.Networks {
		if ep.IPAddress == "" {
			continue
		}
		n, ok := e.networks.network(name)
		a, err := netip.ParseAddr(ep.IPAddress)
		if !ok || err != nil {
			continue
		}
		e.networks.mu.Lock()
		n.used[a] = c.ID
		e.networks.mu.Unlock()
	}
	sb := &sandbox{}
	if data, err := e.store.Get("sandboxes", c.ID); err == nil {
		json.Unmarshal(data, sb)
	}
	e.networks.ports.reserveAll(sb.Ports)
	e.networks.mu.Lock()
	e.networks.live[c.ID] = sb
	e.networks.mu.Unlock()
	e.registerDNS(c)
}

// liveSandbox returns c's network state while it runs, else nil.
func (e *Engine) liveSandbox(id string) *sandbox {
	e.networks.mu.Lock()
	defer e.networks.mu.Unlock()
	return e.networks.live[id]
}
