package viz

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/moby/moby/api/types/container"

	"github.com/twinbox-dev/twinbox/shared/api/client"
	"github.com/twinbox-dev/twinbox/shared/api/wire"
)

// Networking is the host's networking as the engine reports it: its bridge
// networks with the containers plugged into them, and how each running
// container reaches (or does not reach) the network.
type Networking struct {
	Host       string // the host's name (GET /info), "" if unknown
	Bridges    []Bridge
	Containers []NetContainer // running containers, by name
	Stopped    []string       // containers that are not running: no network stack
}

// Bridge is a network of the bridge driver (or another driver that gives
// containers addresses): a virtual switch on the host.
type Bridge struct {
	Name      string // the network's name: bridge, appnet
	Driver    string
	Device    string // the bridge on the host: docker0, br-<id12>; "" for another driver
	Subnet    string
	Gateway   string     // the bridge's address on the subnet
	Endpoints []Endpoint // by container name
}

// Endpoint is a container's end of a veth pair on a bridge.
type Endpoint struct {
	Container string
	Address   string // IPv4 with its prefix: 172.17.0.2/16
	MAC       string
}

// NetContainer is a running container's network stack.
type NetContainer struct {
	Name  string
	Mode  string // "bridge" (a namespace of its own, on Networks), "none", "host" or "container"
	Joins string // for "container": the container whose namespace it shares
	Ports []Published
}

// Published is a container port published on the host.
type Published struct {
	Port string   // the container's port: 80/tcp
	Host []string // where the host listens: 0.0.0.0:8080, [::]:8080
}

// FetchNetwork reads the networks (GET /networks, /networks/{id}) and
// every container's network settings (GET /containers/json?all=1,
// /containers/{id}/json).
func FetchNetwork(ctx context.Context, c *client.Client) (Networking, error) {
	var m Networking
	if info, _, err := c.Info(ctx); err == nil {
		m.Host = info.Name
	}
	list, err := c.ContainerList(ctx, client.ListOptions{All: true})
	if err != nil {
		return Networking{}, err
	}
	names := containerNames(list)
	gateways := map[string]string{} // network ID → a container's gateway on it
	for _, s := range list {
		name := names[s.ID]
		if s.State != "running" && s.State != "paused" {
			m.Stopped = append(m.Stopped, name)
			continue
		}
		ins, err := c.ContainerInspect(ctx, s.ID)
		if err != nil {
			return Networking{}, err
		}
		nc := NetContainer{Name: name, Mode: "bridge"}
		if ins.HostConfig != nil {
			mode := string(ins.HostConfig.NetworkMode)
			switch {
			case mode == "none" || mode == "host":
				nc.Mode = mode
			case strings.HasPrefix(mode, "container:"):
				nc.Mode, nc.Joins = "container", names.resolve(strings.TrimPrefix(mode, "container:"))
			}
		}
		if ns := ins.NetworkSettings; ns != nil {
			nc.Ports = published(ns)
			for _, ep := range ns.Networks {
				if ep != nil && ep.Gateway.IsValid() && ep.NetworkID != "" {
					gateways[ep.NetworkID] = ep.Gateway.String()
				}
			}
		}
		m.Containers = append(m.Containers, nc)
	}
	sort.Slice(m.Containers, func(i, j int) bool { return m.Containers[i].Name < m.Containers[j].Name })
	sort.Strings(m.Stopped)

	nets, err := c.NetworkList(ctx, nil)
	if err != nil {
		return Networking{}, err
	}
	for _, n := range nets {
		if n.Driver == "host" || n.Driver == "null" {
			continue // drawn by the containers' modes
		}
		full, _, err := c.NetworkInspectWithRaw(ctx, n.ID, false)
		if err != nil {
			return Networking{}, err
		}
		m.Bridges = append(m.Bridges, bridge(full, gateways[full.ID]))
	}
	sort.Slice(m.Bridges, func(i, j int) bool {
		a, b := m.Bridges[i], m.Bridges[j]
		if (a.Name == "bridge") != (b.Name == "bridge") {
			return a.Name == "bridge" // the default first
		}
		return a.Name < b.Name
	})
	return m, nil
}

// bridge is a network's picture row: its device and addresses, and its
// endpoints. gateway is a container's gateway on it, for an IPAM config
// without one.
func bridge(n wire.Network, gateway string) Bridge {
	b := Bridge{Name: n.Name, Driver: n.Driver, Gateway: gateway}
	if n.Driver == "bridge" {
		b.Device = n.Options["com.docker.network.bridge.name"]
		if b.Device == "" {
			b.Device = "br-" + shortID(n.ID)
		}
	}
	for _, cfg := range n.IPAM.Config {
		if p, err := netip.ParsePrefix(cfg.Subnet); err == nil && p.Addr().Is4() {
			b.Subnet = cfg.Subnet
			if cfg.Gateway != "" {
				b.Gateway = cfg.Gateway
			}
			break
		}
	}
	for _, ep := range n.Containers {
		b.Endpoints = append(b.Endpoints, Endpoint{Container: ep.Name, Address: ep.IPv4Address, MAC: ep.MacAddress})
	}
	sort.Slice(b.Endpoints, func(i, j int) bool { return b.Endpoints[i].Container < b.Endpoints[j].Container })
	return b
}

// published lists a container's published ports, by port number.
func published(ns *wire.NetworkSettings) []Published {
	var out []Published
	for port, binds := range ns.Ports {
		if len(binds) == 0 {
			continue // exposed, not published
		}
		p := Published{Port: port.String()}
		for _, b := range binds {
			host := "0.0.0.0"
			if b.HostIP.IsValid() {
				host = b.HostIP.String()
			}
			if strings.Contains(host, ":") {
				host = "[" + host + "]"
			}
			p.Host = append(p.Host, host+":"+b.HostPort)
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return portLess(out[i].Port, out[j].Port) })
	return out
}

func portLess(a, b string) bool {
	var na, nb int
	fmt.Sscanf(a, "%d", &na)
	fmt.Sscanf(b, "%d", &nb)
	if na != nb {
		return na < nb
	}
	return a < b
}

// names maps container IDs to names.
type names map[string]string

func containerNames(list []container.Summary) names {
	n := names{}
	for _, s := range list {
		name := s.ID
		if len(s.Names) > 0 {
			name = strings.TrimPrefix(s.Names[0], "/")
		}
		for _, alias := range s.Names {
			// A link adds "/other/alias"; the container's own name has no
			// inner slash.
			if a := strings.TrimPrefix(alias, "/"); !strings.Contains(a, "/") {
				name = a
				break
			}
		}
		n[s.ID] = name
	}
	return n
}

// resolve names the container a mode's container:REF refers to: REF is
// a name, an ID or an ID's prefix.
func (n names) resolve(ref string) string {
	if name, ok := n[ref]; ok {
		return name
	}
	for id, name := range n {
		if name == ref {
			return name
		}
		if len(ref) >= 4 && strings.HasPrefix(id, ref) {
			return name
		}
	}
	return ref
}

// Layout of the network picture: the host's column on the left, the
// containers' namespaces on the right.
const (
	hostW = 310          // the host's column
	busX  = margin + 24  // the bridge's wire to its veths
	boxX  = margin + 328 // the containers' boxes
	boxW  = width - margin - boxX
	epH   = 40 // a container's box
	lineH = 16
)

// netStyle is what the network picture adds to style.
const netStyle = `.host{fill:#f6f8fa;stroke:#6a737d}
.bridge{fill:#dbe9f7;stroke:#5b8bc0}
.netns{fill:#dafbe1;stroke:#1a7f37}
.onhost{fill:#fff8c5;stroke:#9a6700}
.wire{stroke:#57606a;stroke-width:1.5}
.port{fill:#9a6700}
`

// Network draws the host with its bridges, each container on a
// bridge as a box joined to it by a veth pair (eth0 inside, veth… on the
// bridge) with its address, the published ports on the host's side, and
// the containers without a namespace of their own or without a network:
// --net host on the host's stack, --net none with only lo, and
// --net container:X in X's box.
func Network(m Networking) []byte {
	s := &svg{css: netStyle}
	y := margin + 14
	s.text(margin, y, "title", "start", fmt.Sprintf("%s, %s running", plural(len(m.Bridges), "network"), plural(len(m.Containers), "container")))
	y += 10
	top := y
	in := &svg{}
	host := "host"
	if m.Host != "" {
		host = "host " + m.Host
	}
	in.text(margin+10, y+20, "title", "start", clip(host, 24))
	in.text(boxX, y+20, "dim", "start", "network namespaces")
	y += 30

	byName := map[string]NetContainer{}
	joiners := map[string][]string{} // container → the containers sharing its stack
	networks := map[string]int{}     // container → its bridge endpoints
	for _, c := range m.Containers {
		byName[c.Name] = c
		if c.Mode == "container" {
			joiners[c.Joins] = append(joiners[c.Joins], c.Name)
		}
	}
	for _, b := range m.Bridges {
		for _, ep := range b.Endpoints {
			networks[ep.Container]++
		}
	}
	// shared lists the containers sharing name's stack, and those sharing
	// theirs, as lines "+ side (container:web)".
	type join struct{ name, of string }
	var shared func(name string, seen map[string]bool) []join
	shared = func(name string, seen map[string]bool) []join {
		var out []join
		for _, j := range joiners[name] {
			if seen[j] {
				continue
			}
			seen[j] = true
			out = append(out, join{j, name})
			out = append(out, shared(j, seen)...)
		}
		return out
	}
	drawn := map[string]bool{}
	// sharers draws the lines of shared(name) from y down.
	sharers := func(x, y int, name string) {
		for _, j := range shared(name, map[string]bool{name: true}) {
			l := "+ " + j.name + " (container:" + j.of + ")"
			if len([]rune(l)) > 26 {
				l = clip("+ "+j.name, 16) + " (joined it)"
			}
			in.text(x, y, "dim", "start", l)
			drawn[j.name] = true
			y += lineH
		}
	}
	nShared := func(name string) int { return len(shared(name, map[string]bool{name: true})) }

	// The host's own stack: --net host.
	for _, c := range m.Containers {
		if c.Mode != "host" {
			continue
		}
		drawn[c.Name] = true
		h := rowH + lineH*nShared(c.Name)
		in.rect(margin+12, y, hostW-24, h, "onhost")
		in.text(margin+22, y+21, "title", "start", clip(c.Name, 16))
		in.text(margin+hostW-22, y+21, "dim", "end", "--net host: the host's stack")
		sharers(margin+22, y+rowH+10, c.Name)
		y += h + gap
	}

	portsShown := map[string]bool{}
	for _, b := range m.Bridges {
		if y > top+40 {
			y += gap
		}
		in.rect(margin+12, y, hostW-24, 44, "bridge")
		dev := b.Device
		if dev == "" {
			dev = b.Name
		}
		in.text(margin+22, y+18, "title", "start", clip(dev, 18))
		if b.Gateway != "" {
			in.text(margin+hostW-22, y+18, "", "end", b.Gateway)
		}
		desc := "network " + b.Name
		if b.Device == "" {
			desc += " (" + b.Driver + ")"
		}
		if b.Subnet != "" {
			desc += "  " + b.Subnet
		}
		in.text(margin+22, y+35, "dim", "start", clip(desc, 38))
		y += 44
		busTop := y
		if len(b.Endpoints) == 0 {
			in.text(busX+10, y+18, "dim", "start", "no containers on it")
			y += 28
			continue
		}
		var wireY int
		for _, ep := range b.Endpoints {
			y += gap
			wireY = y + 20
			c := byName[ep.Container]
			drawn[ep.Container] = true
			// The host's end of the pair, and the ports published there.
			in.line(busX, wireY, boxX, wireY, "wire")
			in.text(busX+10, wireY-5, "dim", "start", "veth…")
			hostH := epH
			if !portsShown[c.Name] {
				portsShown[c.Name] = true
				py := wireY + lineH
				for _, p := range c.Ports {
					to := " → " + c.Name + ":" + p.Port
					if l := strings.Join(p.Host, ", ") + to; len([]rune(l)) <= 36 {
						in.text(busX+10, py, "port", "start", l)
						py += lineH
						continue
					}
					for _, h := range p.Host { // as docker port lists them
						in.text(busX+10, py, "port", "start", clip(h+to, 36))
						py += lineH
					}
				}
				hostH = max(hostH, py-y-4)
			}
			// The container's end.
			boxH := epH + lineH*nShared(ep.Container)
			in.rect(boxX, y, boxW, boxH, "netns")
			in.text(boxX+10, y+16, "title", "start", clip(ep.Container, 26))
			addr := ep.Address
			if networks[ep.Container] == 1 {
				addr = "eth0 " + addr
			}
			in.text(boxX+10, y+32, "", "start", clip(addr, 26))
			sharers(boxX+10, y+epH+10, ep.Container)
			y += max(hostH, boxH)
		}
		in.line(busX, busTop, busX, wireY, "wire")
	}

	// Namespaces with no veth: --net none, or off every network.
	first := true
	for _, c := range m.Containers {
		if drawn[c.Name] || c.Mode == "container" || c.Mode == "host" {
			continue
		}
		if first {
			y += 2 * gap
			first = false
		}
		drawn[c.Name] = true
		h := epH + lineH*nShared(c.Name)
		in.rect(boxX, y, boxW, h, "netns")
		in.text(boxX+10, y+16, "title", "start", clip(c.Name, 26))
		what := "lo only (--net none)"
		if c.Mode != "none" {
			what = "lo only (on no network)"
		}
		in.text(boxX+10, y+32, "dim", "start", what)
		sharers(boxX+10, y+epH+10, c.Name)
		y += h + gap
	}
	// Containers sharing a stack that is not drawn: its owner is not
	// running.
	for _, c := range m.Containers {
		if drawn[c.Name] {
			continue
		}
		y += gap
		in.rect(boxX, y, boxW, epH, "netns")
		in.text(boxX+10, y+16, "title", "start", clip(c.Name, 26))
		in.text(boxX+10, y+32, "dim", "start", clip("container:"+c.Joins+" (not running)", 28))
		y += epH + gap
	}
	y += gap
	s.rect(margin, top, hostW, y-top, "host")
	s.b.Write(in.b.Bytes())
	if len(m.Stopped) > 0 {
		s.text(margin, y+16, "dim", "start", clip("not running, no network stack: "+strings.Join(m.Stopped, ", "), 74))
		y += 22
	}
	s.h = y + margin
	return s.done("Networks")
}
