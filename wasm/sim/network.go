package sim

import (
	"context"
	"fmt"
	"strings"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

// Networks are recorded, not yet simulated: the bridges and their
// endpoints are what a network simulator will build its stack from (each
// container's kernel.NetNamespace has a Stack field for it).

// CreateNetwork records a bridge network.
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
	return nil
}

// RemoveNetwork forgets a bridge network.
func (b *Backend) RemoveNetwork(ctx context.Context, id string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.networks[id]; !ok {
		return backend.Errorf(backend.NotFound, "network %s not found", id)
	}
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
	delete(c.run.endpoints, netID)
	return nil
}

// portKey names a published host port: "tcp/0.0.0.0:8080".
func portKey(m backend.PortMapping) string {
	ip := "0.0.0.0"
	if m.HostIP.IsValid() && !m.HostIP.IsUnspecified() {
		ip = m.HostIP.String()
	}
	return fmt.Sprintf("%s/%s:%d", m.Proto, ip, m.HostPort)
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
		all := fmt.Sprintf("%s/0.0.0.0:%d", m.Proto, m.HostPort)
		clash := b.ports[k] != "" || b.ports[all] != ""
		if k == all {
			suffix := fmt.Sprintf(":%d", m.HostPort)
			for used := range b.ports {
				if strings.HasPrefix(used, m.Proto+"/") && strings.HasSuffix(used, suffix) {
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
