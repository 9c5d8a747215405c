package sim

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/wasm/sim/netsim"
)

// Networks are simulated by netsim: each network's bridge is a link of the
// host's stack, each container with a network namespace of its own has a
// stack in its kernel.NetNamespace, plugged into its networks' bridges by
// veth pairs; published ports are forwarded by the host's stack as
// docker-proxy does.

// CreateNetwork makes a bridge network's bridge on the host.
func (b *Backend) CreateNetwork(ctx context.Context, n backend.Network) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.networks[n.ID]; ok {
		return backend.Errorf(backend.Conflict, "network %s exists", n.ID)
	}
	for _, o := range b.networks {
		if o.Bridge == n.Bridge {
			return backend.Errorf(backend.Conflict, "bridge %s exists", n.Bridge)
		}
		if n.Subnet.IsValid() && o.Subnet.IsValid() && o.Subnet.Overlaps(n.Subnet) {
			return backend.Errorf(backend.Conflict, "Pool overlaps with other one on this address space")
		}
	}
	b.networks[n.ID] = n
	b.addBridgeLocked(n)
	return nil
}

// addBridgeLocked makes n's bridge in the host's stack, its address the
// gateway's.
func (b *Backend) addBridgeLocked(n backend.Network) {
	var addr netip.Prefix
	if n.Gateway.IsValid() && n.Subnet.IsValid() {
		addr = netip.PrefixFrom(n.Gateway, n.Subnet.Bits())
	}
	b.net.AddBridge(n.Bridge, addr, n.ICC, n.Internal)
}

// SetResolver gives the backend the engine's names for the embedded DNS
// server that containers on user-defined networks ask at 127.0.0.11.
func (b *Backend) SetResolver(r backend.NameResolver) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.resolver = r
}

var _ backend.ResolverSetter = (*Backend)(nil)

// RemoveNetwork forgets a bridge network.
func (b *Backend) RemoveNetwork(ctx context.Context, id string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.networks[id]; !ok {
		return backend.Errorf(backend.NotFound, "network %s not found", id)
	}
	b.net.RemoveBridge(b.networks[id].Bridge)
	delete(b.networks, id)
	return nil
}

// Connect adds an endpoint to a running container.
func (b *Backend) Connect(ctx context.Context, id string, ep backend.Endpoint) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, ok := b.containers[id]
	if !ok {
		return notFoundContainer(id)
	}
	if c.run == nil {
		return notRunning(id)
	}
	if _, ok := b.networks[ep.NetworkID]; !ok && ep.NetworkID != "" {
		return backend.Errorf(backend.NotFound, "network %s not found", ep.NetworkID)
	}
	if c.run.stack == nil {
		return backend.Errorf(backend.Conflict, "container sharing network namespace with another container or host cannot be connected to any other network")
	}
	if ep.Bridge == "" {
		ep.Bridge = b.networks[ep.NetworkID].Bridge
	}
	if ep.IfName == "" {
		ep.IfName = "eth" + itoa(len(c.run.endpoints))
	}
	if err := b.net.Attach(c.run.stack, netEndpoint(ep)); err != nil {
		return backend.Errorf(backend.Conflict, "connect %s: %v", ep.IfName, err)
	}
	c.run.endpoints[ep.NetworkID] = ep
	return nil
}

// Disconnect removes a running container's endpoint on network netID.
func (b *Backend) Disconnect(ctx context.Context, id, netID string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, ok := b.containers[id]
	if !ok {
		return notFoundContainer(id)
	}
	if c.run == nil {
		return notRunning(id)
	}
	if _, ok := c.run.endpoints[netID]; !ok {
		return backend.Errorf(backend.NotFound, "container %s is not connected to network %s", id, netID)
	}
	if c.run.stack != nil {
		b.net.Detach(c.run.stack, c.run.endpoints[netID].IfName)
	}
	delete(c.run.endpoints, netID)
	return nil
}

// portKey names a published host port: "tcp/0.0.0.0:8080".
// IPv6 addresses are bracketed ("tcp/[::]:8080"), and the IPv4 and IPv6
// unspecified addresses are different sockets, as a v6-only socket is.
func portKey(m backend.PortMapping) string {
	return fmt.Sprintf("%s/%s:%d", m.Proto, hostIPString(m.HostIP), m.HostPort)
}

// hostIPString is ip as portKey names it.
func hostIPString(ip netip.Addr) string {
	switch {
	case !ip.IsValid():
		return "0.0.0.0"
	case ip.Is6() && !ip.Is4In6():
		return "[" + ip.String() + "]"
	}
	return ip.String()
}

// claimPortsLocked takes the host ports that ports publish for container
// id. Errors: Conflict, with Docker's text, when one is taken on the same
// address or on all addresses.
func (b *Backend) claimPortsLocked(id string, ports []backend.PortMapping) ([]string, error) {
	var keys []string
	for _, m := range ports {
		if m.HostPort == 0 {
			continue
		}
		k := portKey(m)
		unspec := netip.IPv4Unspecified()
		if m.HostIP.Is6() && !m.HostIP.Is4In6() {
			unspec = netip.IPv6Unspecified()
		}
		all := fmt.Sprintf("%s/%s:%d", m.Proto, hostIPString(unspec), m.HostPort)
		clash := b.ports[k] != "" || b.ports[all] != ""
		if k == all {
			suffix := fmt.Sprintf(":%d", m.HostPort)
			for used := range b.ports {
				if strings.HasPrefix(used, m.Proto+"/") && strings.HasSuffix(used, suffix) && strings.Contains(used, "[") == strings.Contains(k, "[") {
					clash = true
				}
			}
		}
		if clash {
			b.releasePortsLocked(keys)
			return nil, backend.Errorf(backend.Conflict, "Bind for %s failed: port is already allocated", strings.TrimPrefix(k, m.Proto+"/"))
		}
		b.ports[k] = id
		keys = append(keys, k)
	}
	return keys, nil
}

// releasePortsLocked frees host ports.
func (b *Backend) releasePortsLocked(keys []string) {
	for _, k := range keys {
		delete(b.ports, k)
	}
}

// netEndpoint is ep as netsim plugs it in.
func netEndpoint(ep backend.Endpoint) netsim.Endpoint {
	return netsim.Endpoint{Bridge: ep.Bridge, IfName: ep.IfName, Address: ep.Address, Gateway: ep.Gateway, MAC: ep.MAC}
}

// PortFree reports whether a published port could take proto port on
// hostIP: no socket of the simulated host's listens there (the simulated
// stacks are IPv4 and TCP only; other ports are always free).
func (b *Backend) PortFree(proto string, hostIP netip.Addr, port uint16) bool {
	if proto != "tcp" || (hostIP.Is6() && !hostIP.Is4In6()) {
		return true
	}
	return b.net.HostPortFree(netip.AddrPortFrom(hostIP.Unmap(), port))
}

// publish makes the host forward the container's published TCP ports to
// its address on its first network, as docker-proxy does, and returns the
// host addresses it forwards, for unpublish. Errors: Conflict with
// docker-proxy's text when a program of the host listens on the port.
func (b *Backend) publish(ports []backend.PortMapping, eps []backend.Endpoint) ([]netip.AddrPort, error) {
	var out []netip.AddrPort
	for _, m := range ports {
		if m.HostPort == 0 || m.Proto != "tcp" || (m.HostIP.Is6() && !m.HostIP.Is4In6()) {
			continue // the simulated stacks are IPv4 only
		}
		to := m.ContainerIP
		if !to.IsValid() && len(eps) > 0 {
			to = eps[0].Address.Addr()
		}
		if !to.IsValid() {
			continue
		}
		host := netip.AddrPortFrom(m.HostIP, m.HostPort)
		if !m.HostIP.IsValid() {
			host = netip.AddrPortFrom(netip.IPv4Unspecified(), m.HostPort)
		}
		if err := b.net.Publish(host, netip.AddrPortFrom(to, m.ContainerPort)); err != nil {
			for _, h := range out {
				b.net.Unpublish(h)
			}
			return nil, backend.Errorf(backend.Conflict, "Error starting userland proxy: listen tcp4 %s: bind: address already in use", host)
		}
		out = append(out, host)
	}
	return out, nil
}
