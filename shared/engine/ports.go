package engine

// Published ports: which host ports a container gets, as dockerd 20.10's
// daemon (buildSandboxOptions, nat.SortPortMap) and libnetwork's bridge
// driver (allocatePortsInternal) and port allocator decide them. Adapted
// from github.com/docker/docker v20.10.24 and the libnetwork it vendors
// (Apache License 2.0).

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

// Ephemeral ports: the range random host ports come from, Linux's default
// net.ipv4.ip_local_port_range, which dockerd 20.10 reads.
const (
	ephemeralFirst = 32768
	ephemeralLast  = 60999
)

// portBinding is one published port of a running container.
type portBinding struct {
	Proto         string
	ContainerPort uint16
	HostIP        netip.Addr // 0.0.0.0 or :: for all addresses
	HostPort      uint16
}

func (b portBinding) key() string { return b.HostIP.String() + "/" + b.Proto }

// portAllocator hands out host ports per address and protocol, as
// libnetwork's port allocator: a port asked for by number is taken or
// fails; a random port is the next free one after the last one given, in
// the ephemeral range (or the host range asked for).
type portAllocator struct {
	mu   sync.Mutex
	maps map[string]*portMap // by "ip/proto"
	// free, when set, says whether the machine has a random port free
	// (backend.PortChecker).
	free func(b portBinding, port uint16) bool
}

type portMap struct {
	used   map[uint16]bool
	ranges map[string]*portRange
}

type portRange struct{ begin, end, last int }

func newPortAllocator() *portAllocator { return &portAllocator{maps: map[string]*portMap{}} }

func (pa *portAllocator) portMap(key string) *portMap {
	m := pa.maps[key]
	if m == nil {
		m = &portMap{used: map[uint16]bool{}, ranges: map[string]*portRange{}}
		pa.maps[key] = m
	}
	return m
}

// request takes a port for b: b.HostPort when start == end != 0, else a
// free one in [start, end] (the ephemeral range when both are 0).
// Errors: Conflict with libnetwork's texts.
func (pa *portAllocator) request(b portBinding, start, end int) (uint16, error) {
	pa.mu.Lock()
	defer pa.mu.Unlock()
	m := pa.portMap(b.key())
	if start != 0 && start == end {
		if m.used[uint16(start)] {
			return 0, backend.Errorf(backend.Conflict, "Bind for %s failed: port is already allocated", joinHostPort(b.HostIP, start))
		}
		m.used[uint16(start)] = true
		return uint16(start), nil
	}
	if start == 0 && end == 0 {
		start, end = ephemeralFirst, ephemeralLast
	}
	rk := fmt.Sprintf("%d-%d", start, end)
	r := m.ranges[rk]
	if r == nil {
		r = &portRange{begin: start, end: end, last: end}
		m.ranges[rk] = r
	}
	port := r.last
	for i := 0; i <= r.end-r.begin; i++ {
		port++
		if port > r.end {
			port = r.begin
		}
		if !m.used[uint16(port)] && !pa.takenElsewhere(b, uint16(port)) && (pa.free == nil || pa.free(b, uint16(port))) {
			m.used[uint16(port)] = true
			r.last = port
			return uint16(port), nil
		}
	}
	return 0, backend.Errorf(backend.Conflict, "all ports are allocated")
}

// takenElsewhere reports whether port is taken for b's protocol on an
// address whose sockets would clash with b's: the same family's wildcard,
// or any address of it when b's is the wildcard. dockerd's allocator keeps
// addresses apart but retries a random port whose proxy cannot bind; not
// handing such a port out comes to the same. pa.mu is held.
func (pa *portAllocator) takenElsewhere(b portBinding, port uint16) bool {
	for key, m := range pa.maps {
		if key == b.key() || !m.used[port] {
			continue
		}
		ipText, proto, _ := strings.Cut(key, "/")
		ip, err := netip.ParseAddr(ipText)
		if err != nil || proto != b.Proto || ip.Is4() != b.HostIP.Is4() {
			continue
		}
		if ip.IsUnspecified() || b.HostIP.IsUnspecified() {
			return true
		}
	}
	return false
}

// joinHostPort writes an address and port as libnetwork's messages do:
// "0.0.0.0:8080", ":::8080".
func joinHostPort(ip netip.Addr, port int) string {
	return ip.String() + ":" + strconv.Itoa(port)
}

func (pa *portAllocator) releaseAll(bs []portBinding) {
	pa.mu.Lock()
	defer pa.mu.Unlock()
	for _, b := range bs {
		if m := pa.maps[b.key()]; m != nil {
			delete(m.used, b.HostPort)
		}
	}
}

func (pa *portAllocator) reserveAll(bs []portBinding) {
	pa.mu.Lock()
	defer pa.mu.Unlock()
	for _, b := range bs {
		pa.portMap(b.key()).used[b.HostPort] = true
	}
}

// portSpec is one entry of the sorted port map: a container port and one of
// its bindings (none when it is only exposed).
type portSpec struct {
	port    network.Port
	binding *network.PortBinding
}

// sortedPortSpecs orders the container's exposed ports and their bindings as
// nat.SortPortMap does: bindings with an explicit host port first (higher
// first), then by container port.
func sortedPortSpecs(cfg *container.Config, hc *container.HostConfig) []portSpec {
	ports := make([]network.Port, 0, len(cfg.ExposedPorts))
	for p := range cfg.ExposedPorts {
		ports = append(ports, p)
	}
	for p := range hc.PortBindings {
		if _, ok := cfg.ExposedPorts[p]; !ok {
			ports = append(ports, p)
		}
	}
	sort.Slice(ports, func(i, j int) bool {
		if ports[i].Num() != ports[j].Num() {
			return ports[i].Num() < ports[j].Num()
		}
		return ports[i].Proto() < ports[j].Proto()
	})
	var s []portSpec
	for _, p := range ports {
		bs := hc.PortBindings[p]
		if len(bs) == 0 {
			s = append(s, portSpec{port: p})
			continue
		}
		for i := range bs {
			s = append(s, portSpec{port: p, binding: &bs[i]})
		}
	}
	hostPort := func(ps portSpec) int {
		if ps.binding == nil {
			return 0
		}
		n, _ := strconv.Atoi(strings.SplitN(ps.binding.HostPort, "-", 2)[0])
		return n
	}
	sort.SliceStable(s, func(i, j int) bool { return hostPort(s[i]) > hostPort(s[j]) })
	return s
}

var (
	anyIPv4 = netip.IPv4Unspecified()
	anyIPv6 = netip.IPv6Unspecified()
)

// allocatePorts takes the host ports c publishes, for a run with the
// container reachable at containerIP. Errors: dockerd's "driver failed
// programming external connectivity" with the allocator's cause; nothing
// stays allocated then.
func (e *Engine) allocatePorts(c *Container, containerIP netip.Addr) ([]portBinding, error) {
	hc := c.HostConfig
	var out []portBinding
	fail := func(err error) ([]portBinding, error) {
		e.networks.ports.releaseAll(out)
		ep := ""
		for _, name := range sortedNetworks(c) {
			if x := c.Networks[name]; x != nil {
				ep = x.EndpointID
				break
			}
		}
		return nil, backend.Errorf(backend.CodeOf(err), "driver failed programming external connectivity on endpoint %s (%s): %v",
			strings.TrimPrefix(c.Name, "/"), ep, err)
	}
	for _, ps := range sortedPortSpecs(c.Config, hc) {
		if ps.binding == nil && !hc.PublishAllPorts {
			continue
		}
		proto := string(ps.port.Proto())
		if proto != "tcp" && proto != "udp" {
			return fail(backend.Errorf(backend.Internal, "Error starting userland proxy: protocol not supported"))
		}
		start, end := 0, 0
		var hostIP netip.Addr
		if ps.binding != nil {
			hostIP = ps.binding.HostIP
			if ps.binding.HostPort != "" {
				s, en, err := parseHostPorts(ps.binding.HostPort)
				if err != nil {
					return fail(err)
				}
				start, end = s, en
			}
		}
		b := portBinding{Proto: proto, ContainerPort: ps.port.Num()}
		v4 := !hostIP.IsValid() || hostIP.Is4() || hostIP.Is4In6()
		if v4 {
			b.HostIP = anyIPv4
			if hostIP.IsValid() && !hostIP.IsUnspecified() {
				b.HostIP = hostIP.Unmap()
			}
			port, err := e.networks.ports.request(b, start, end)
			if err != nil {
				return fail(err)
			}
			b.HostPort = port
			out = append(out, b)
		}
		// An address of neither family publishes on both, as dockerd 20.10
		// does when IPv6 is listenable; the IPv6 binding takes the port the
		// IPv4 one got.
		if hostIP.IsValid() && v4 {
			continue
		}
		b6 := portBinding{Proto: proto, ContainerPort: ps.port.Num(), HostIP: anyIPv6}
		if hostIP.IsValid() && !hostIP.IsUnspecified() {
			b6.HostIP = hostIP
		}
		s6, e6 := start, end
		if v4 {
			s6, e6 = int(b.HostPort), int(b.HostPort)
		}
		port, err := e.networks.ports.request(b6, s6, e6)
		if err != nil {
			return fail(err)
		}
		b6.HostPort = port
		out = append(out, b6)
	}
	return out, nil
}

// parseHostPorts reads a binding's HostPort: "8080" or "8000-8010".
func parseHostPorts(s string) (int, int, error) {
	lo, hi, isRange := strings.Cut(s, "-")
	a, err := strconv.ParseUint(lo, 10, 16)
	if err != nil {
		return 0, 0, backend.Errorf(backend.InvalidParameter, "Error parsing HostPort value(%s):%v", s, err)
	}
	b := a
	if isRange {
		if b, err = strconv.ParseUint(hi, 10, 16); err != nil {
			return 0, 0, backend.Errorf(backend.InvalidParameter, "Error parsing HostPort value(%s):%v", s, err)
		}
		if b < a {
			return 0, 0, backend.Errorf(backend.InvalidParameter, "Error parsing HostPort value(%s):Invalid range specified for the Port: %s", s, s)
		}
	}
	return int(a), int(b), nil
}

// verifyPortBindings checks a create request's port bindings as dockerd's
// validatePortBindings does.
func verifyPortBindings(pm network.PortMap) error {
	for _, bs := range pm {
		for _, b := range bs {
			if b.HostPort == "" {
				continue
			}
			if _, _, err := parseHostPorts(b.HostPort); err != nil {
				return backend.Errorf(backend.InvalidParameter, "invalid port specification: %q", b.HostPort)
			}
		}
	}
	return nil
}

// portMap is NetworkSettings.Ports of c: while it runs, every exposed port
// with its bindings (null when it has none); else empty. c.mu is held.
func (e *Engine) portMap(c *Container) network.PortMap {
	pm := network.PortMap{}
	sb := e.liveSandbox(c.ID)
	if !c.State.Running || sb == nil || !hasBridgeEndpoint(c) {
		return pm
	}
	for p := range c.Config.ExposedPorts {
		pm[p] = nil
	}
	for _, b := range sb.Ports {
		p, _ := network.PortFrom(b.ContainerPort, network.IPProtocol(b.Proto))
		pm[p] = append(pm[p], network.PortBinding{HostIP: b.HostIP, HostPort: strconv.Itoa(int(b.HostPort))})
	}
	return pm
}

// hasBridgeEndpoint reports whether c runs with endpoints on bridges (not
// host, none or another container's stack). c.mu is held.
func hasBridgeEndpoint(c *Container) bool {
	for _, ep := range c.Networks {
		if ep.IPAddress != "" {
			return true
		}
	}
	return false
}

// portSummary is the Ports of c's row in the container list: exposed ports
// without bindings, then the bindings, while it runs. c.mu is held.
func (e *Engine) portSummary(c *Container) []container.PortSummary {
	out := []container.PortSummary{}
	pm := e.portMap(c)
	keys := make([]network.Port, 0, len(pm))
	for p := range pm {
		keys = append(keys, p)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
	for _, p := range keys {
		if len(pm[p]) == 0 {
			out = append(out, container.PortSummary{PrivatePort: p.Num(), Type: string(p.Proto())})
		}
	}
	sb := e.liveSandbox(c.ID)
	if sb == nil || len(pm) == 0 {
		return out
	}
	for _, b := range sb.Ports {
		out = append(out, container.PortSummary{IP: b.HostIP, PrivatePort: b.ContainerPort, PublicPort: b.HostPort, Type: b.Proto})
	}
	return out
}

// portError words a backend's failure to publish c's ports as dockerd
// does: "driver failed programming external connectivity on endpoint NAME
// (ID): CAUSE". It returns nil for any other error. A backend reports a
// port it cannot bind with a Conflict error whose text is the port
// mapper's ("Bind for 0.0.0.0:8080 failed: port is already allocated",
// "Error starting userland proxy: listen tcp4 0.0.0.0:8080: bind: address
// already in use"). c.mu is held.
func (e *Engine) portError(c *Container, err error) error {
	msg := err.Error()
	if !backend.IsConflict(err) || !(strings.Contains(msg, "port is already allocated") || strings.HasPrefix(msg, "Error starting userland proxy")) {
		return nil
	}
	ep := ""
	for _, name := range sortedNetworks(c) {
		if x := c.Networks[name]; x != nil && x.EndpointID != "" {
			ep = x.EndpointID
			break
		}
	}
	return backend.Errorf(backend.Internal, "driver failed programming external connectivity on endpoint %s (%s): %s", strings.TrimPrefix(c.Name, "/"), ep, msg)
}
