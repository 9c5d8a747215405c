// Package netsim is the simulator's network: the machine's network stacks
// (one per network namespace), their interfaces, addresses and routes,
// bridges with veth pairs plugged into them, and sockets that listen and
// connect across them. It is a model at the level a learner inspects: `ip
// addr` and `ip route` print a stack's links and routes, `ping` asks
// whether an address answers (Reach), `wget` and `httpd` talk through
// Dial and Listen. No packet is ever built; reachability follows the
// routes and bridges as the kernel would forward a packet along them.
//
//	n := netsim.New()                                  // the host: lo, eth0
//	n.AddBridge("docker0", netip.MustParsePrefix("172.17.0.1/16"), true)
//	s := n.NewStack()                                  // a container's namespace: lo
//	n.Attach(s, netsim.Endpoint{Bridge: "docker0", IfName: "eth0",
//		Address: netip.MustParsePrefix("172.17.0.2/16"), Gateway: netip.MustParseAddr("172.17.0.1")})
//	l, _ := s.Listen(netip.AddrPortFrom(netip.IPv4Unspecified(), 80))
//	c, _ := n.Host().Dial(ctx, netip.MustParseAddrPort("172.17.0.2:80"))
//
// Interface indexes are numbered as Linux numbers them: per namespace,
// counting up, a veth pair made in the host's namespace and one end moved
// into the container's (which keeps its number), so a container's first
// interface is "eth0@ifN+1" with index N and the host's end "vethXXXXXXX@ifN".
package netsim

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"sync"
	"syscall"
)

// Link kinds.
const (
	KindLoopback = "loopback"
	KindEther    = "ether"  // the machine's network card
	KindBridge   = "bridge" // a software bridge with an address on the host
	KindVeth     = "veth"   // one end of a veth pair
)

// Net is the machine's network: the host's stack, the stacks of other
// network namespaces and the bridges between them. Its methods are safe for
// concurrent use.
type Net struct {
	mu      sync.Mutex
	host    *Stack
	bridges map[string]*Bridge
	stacks  map[*Stack]struct{}
	// published ports: the host's docker-proxy listeners.
	ports     map[portKey]netip.AddrPort
	seq       int // veth names
	ephemeral int // the last ephemeral port handed out, from 32768
	// nsids are the ids the host's namespace has for other namespaces
	// (`ip netns` shows them as "(id: N)").
	nsids map[*Stack]int
}

// Stack is one network namespace's network stack.
type Stack struct {
	n         *Net
	links     []*Link
	next      int // the next interface index to try
	routes    []Route
	listeners map[portKey]*Listener
	conns     map[*Endpoint4]struct{}
	dns       func(name string) []netip.Addr
}

// Link is a network interface.
type Link struct {
	Index int
	Name  string
	Kind  string
	MAC   string
	MTU   int
	Up    bool
	// Addrs are the IPv4 addresses with their prefix length.
	Addrs []netip.Prefix
	// Peer is the other end of a veth pair; it may be in another stack.
	Peer *Link
	// Master is the bridge a host-side veth is plugged into.
	Master *Link
	// Stack is the stack the link is in.
	Stack *Stack
	// NoCarrier is set, in Links' copies, for a bridge with no port: up
	// but without carrier, as Linux shows an empty docker0.
	NoCarrier bool
	// Stats counts the frames the link sent and received.
	Stats LinkStats

	bridge *Bridge // for a bridge link: its ports
}

// LinkStats are a link's counters, as /proc/net/dev and ifconfig show
// them. The simulation counts the frames of what it models: echo requests
// and replies of 98 bytes (56 data bytes, as ping sends them, with ICMP,
// IP and Ethernet headers), and TCP connections: the handshake, a segment
// per 1448 bytes written with 66 bytes of headers and an ACK for each
// write, and the closing FIN and ACK. ARP, DNS and IPv6 traffic are not
// modelled.
type LinkStats struct {
	RxPackets, RxBytes, TxPackets, TxBytes int64
}

// Route is an IPv4 route of a stack.
type Route struct {
	Dst   netip.Prefix // the zero Prefix for the default route
	Via   netip.Addr   // the gateway; invalid for a route to a directly connected subnet
	Dev   *Link
	Src   netip.Addr // the preferred source, for connected routes
	Scope string     // "link" for connected subnets, "" for routes via a gateway
}

// Bridge is a software bridge in the host's stack.
type Bridge struct {
	Link *Link
	// ICC lets endpoints on the bridge reach each other; without it they
	// reach only the host (Docker's --icc=false, a DROP rule between ports).
	ICC bool
	// Internal bridges have no route out of the host.
	Internal bool
	n        *Net
	ports    []*Link // host-side veth ends
}

// Ports returns the host-side veth ends plugged into the bridge, in the
// order they were plugged.
func (b *Bridge) Ports() []*Link {
	b.n.mu.Lock()
	defer b.n.mu.Unlock()
	return append([]*Link(nil), b.ports...)
}

// The machine's own network card: a virtual machine on a NAT network, the
// QEMU and VirtualBox defaults, whose name server 10.0.2.3 the host's
// /etc/resolv.conf names.
var (
	HostAddr    = netip.MustParsePrefix("10.0.2.15/24")
	HostGateway = netip.MustParseAddr("10.0.2.2")
	HostMAC     = "08:00:27:3a:8c:51"
)

// New returns a network with the host's stack: lo (1) and eth0 (2), with a
// default route through the NAT gateway.
func New() *Net {
	n := &Net{bridges: map[string]*Bridge{}, stacks: map[*Stack]struct{}{}, ports: map[portKey]netip.AddrPort{}, nsids: map[*Stack]int{}}
	n.host = n.newStackLocked()
	eth := &Link{Name: "eth0", Kind: KindEther, MAC: HostMAC, MTU: 1500, Up: true, Addrs: []netip.Prefix{HostAddr}}
	n.host.add(eth)
	n.host.routes = append(n.host.routes,
		Route{Via: HostGateway, Dev: eth},
		Route{Dst: HostAddr.Masked(), Dev: eth, Src: HostAddr.Addr(), Scope: "link"})
	return n
}

// Host returns the machine's own stack.
func (n *Net) Host() *Stack { return n.host }

// NewStack returns the stack of a new network namespace: lo, up, with
// 127.0.0.1/8, as runc leaves it.
func (n *Net) NewStack() *Stack {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.newStackLocked()
}

func (n *Net) newStackLocked() *Stack {
	s := &Stack{n: n, next: 1, listeners: map[portKey]*Listener{}, conns: map[*Endpoint4]struct{}{}}
	s.add(&Link{Name: "lo", Kind: KindLoopback, MAC: "00:00:00:00:00:00", MTU: 65536, Up: true,
		Addrs: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/8")}})
	n.stacks[s] = struct{}{}
	return s
}

// add gives l the stack's next free index and appends it.
func (s *Stack) add(l *Link) {
	if l.Index == 0 || s.linkByIndex(l.Index) != nil {
		for s.linkByIndex(s.next) != nil {
			s.next++
		}
		l.Index = s.next
		s.next++
	}
	l.Stack = s
	s.links = append(s.links, l)
	sort.Slice(s.links, func(i, j int) bool { return s.links[i].Index < s.links[j].Index })
}

func (s *Stack) remove(l *Link) {
	for i, o := range s.links {
		if o == l {
			s.links = append(s.links[:i], s.links[i+1:]...)
			break
		}
	}
	rs := s.routes[:0]
	for _, r := range s.routes {
		if r.Dev != l {
			rs = append(rs, r)
		}
	}
	s.routes = rs
}

func (s *Stack) linkByIndex(i int) *Link {
	for _, l := range s.links {
		if l.Index == i {
			return l
		}
	}
	return nil
}

// Links returns copies of the stack's interfaces, by index.
func (s *Stack) Links() []Link {
	s.n.mu.Lock()
	defer s.n.mu.Unlock()
	out := make([]Link, len(s.links))
	for i, l := range s.links {
		out[i] = *l
		out[i].Addrs = append([]netip.Prefix(nil), l.Addrs...)
		out[i].NoCarrier = l.bridge != nil && len(l.bridge.ports) == 0
	}
	return out
}

// LinkName returns the name of the interface with index i as this stack
// sees it: its own interface's name, or "ifN" for one in another namespace
// (the peer of a veth), with ok false then.
func (s *Stack) LinkName(i int) (name string, ok bool) {
	s.n.mu.Lock()
	defer s.n.mu.Unlock()
	if l := s.linkByIndex(i); l != nil {
		return l.Name, true
	}
	return fmt.Sprintf("if%d", i), false
}

// Routes returns the stack's routes in the order the kernel's main table
// lists them: the default route first, then by destination.
func (s *Stack) Routes() []Route {
	s.n.mu.Lock()
	defer s.n.mu.Unlock()
	out := append([]Route(nil), s.routes...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].Dst, out[j].Dst
		if a.IsValid() != b.IsValid() {
			return !a.IsValid()
		}
		if !a.IsValid() {
			return false
		}
		if c := a.Addr().Compare(b.Addr()); c != 0 {
			return c < 0
		}
		return a.Bits() < b.Bits()
	})
	return out
}

// AddBridge creates a bridge in the host's stack with the gateway address
// addr (which also names the subnet) and its connected route. Errors:
// EEXIST when a link of that name exists.
func (n *Net) AddBridge(name string, addr netip.Prefix, icc, internal bool) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, ok := n.bridges[name]; ok {
		return syscall.EEXIST
	}
	br := &Bridge{ICC: icc, Internal: internal, n: n}
	// libnetwork gives its bridges a MAC of Docker's 02:42 prefix.
	h := hash("bridge:" + name)
	brMAC := fmt.Sprintf("02:42:%02x:%02x:%02x:%02x", h[0], h[1], h[2], h[3])
	br.Link = &Link{Name: name, Kind: KindBridge, MAC: brMAC, MTU: 1500, Up: true, bridge: br}
	if addr.IsValid() {
		br.Link.Addrs = []netip.Prefix{addr}
	}
	n.host.add(br.Link)
	if addr.IsValid() {
		n.host.routes = append(n.host.routes, Route{Dst: addr.Masked(), Dev: br.Link, Src: addr.Addr(), Scope: "link"})
	}
	n.bridges[name] = br
	return nil
}

// RemoveBridge deletes a bridge and the veths plugged into it, with their
// container ends. Errors: ENODEV when there is no such bridge.
func (n *Net) RemoveBridge(name string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	br, ok := n.bridges[name]
	if !ok {
		return syscall.ENODEV
	}
	for _, p := range br.ports {
		n.host.remove(p)
		if p.Peer != nil && p.Peer.Stack != nil {
			p.Peer.Stack.remove(p.Peer)
		}
	}
	n.host.remove(br.Link)
	delete(n.bridges, name)
	return nil
}

// Bridge returns the bridge called name.
func (n *Net) Bridge(name string) (*Bridge, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	br, ok := n.bridges[name]
	return br, ok
}

// Bridges returns the bridges, by name.
func (n *Net) Bridges() []*Bridge {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]*Bridge, 0, len(n.bridges))
	for _, b := range n.bridges {
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Link.Name < out[j].Link.Name })
	return out
}

// Endpoint is an interface to plug a stack into a bridge with.
type Endpoint struct {
	Bridge  string
	IfName  string       // inside the namespace: eth0, eth1, ...
	Address netip.Prefix // the namespace's address and the subnet's length
	Gateway netip.Addr   // the default route goes through it when valid
	MAC     string
}

// Attach plugs s into a bridge with a veth pair, as libnetwork does: both
// ends are made in the host's namespace (the namespace's end first), the
// host's end named "veth" and seven hex digits and plugged into the bridge,
// the other end moved into s, renamed ep.IfName, given ep.Address and, with
// a gateway, the default route. Errors: ENODEV for an unknown bridge,
// EEXIST when s has a link called ep.IfName.
func (n *Net) Attach(s *Stack, ep Endpoint) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	br, ok := n.bridges[ep.Bridge]
	if !ok {
		return syscall.ENODEV
	}
	for _, l := range s.links {
		if l.Name == ep.IfName {
			return syscall.EEXIST
		}
	}
	n.seq++
	inner := &Link{Name: ep.IfName, Kind: KindVeth, MAC: ep.MAC, MTU: 1500, Up: true}
	outer := &Link{Name: "veth" + hex.EncodeToString(hash(fmt.Sprint("veth:", n.seq)))[:7], Kind: KindVeth,
		MAC: mac(fmt.Sprint("veth:", n.seq)), MTU: 1500, Up: true, Master: br.Link}
	if inner.MAC == "" {
		inner.MAC = mac(fmt.Sprint("eth:", n.seq))
	}
	// Both ends get the host's numbers; the inner end keeps its number in
	// s when it is free there, as dev_change_net_namespace does.
	n.host.add(inner)
	n.host.add(outer)
	n.host.remove(inner)
	inner.Peer, outer.Peer = outer, inner
	s.add(inner)
	if ep.Address.IsValid() {
		inner.Addrs = []netip.Prefix{ep.Address}
		s.routes = append(s.routes, Route{Dst: ep.Address.Masked(), Dev: inner, Src: ep.Address.Addr(), Scope: "link"})
	}
	if ep.Gateway.IsValid() && !s.hasDefaultLocked() {
		s.routes = append(s.routes, Route{Via: ep.Gateway, Dev: inner})
	}
	br.ports = append(br.ports, outer)
	n.assignNSIDLocked(s)
	return nil
}

// assignNSIDLocked gives s an id in the host's namespace unless it has one:
// Linux allocates the lowest free id (peernet2id_alloc) when it reports a
// veth whose peer is in another namespace, as on making the pair.
func (n *Net) assignNSIDLocked(s *Stack) {
	if s == n.host {
		return
	}
	if _, ok := n.nsids[s]; ok {
		return
	}
	used := map[int]bool{}
	for _, id := range n.nsids {
		used[id] = true
	}
	id := 0
	for used[id] {
		id++
	}
	n.nsids[s] = id
}

// PeerID returns the id s's namespace has for peer's (a netns id, as `ip
// netns list` shows it): the host's namespace gets one for a namespace
// when a veth pair first links the two, the lowest free, and forgets it
// when peer is destroyed. ok is false when s has no id for peer; the
// simulation keeps only the host's ids.
func (s *Stack) PeerID(peer *Stack) (id int, ok bool) {
	s.n.mu.Lock()
	defer s.n.mu.Unlock()
	if s != s.n.host {
		return 0, false
	}
	id, ok = s.n.nsids[peer]
	return id, ok
}

func (s *Stack) hasDefaultLocked() bool {
	for _, r := range s.routes {
		if !r.Dst.IsValid() {
			return true
		}
	}
	return false
}

// Detach removes s's interface ifname and the veth pair it belongs to.
// Errors: ENODEV when s has no such veth.
func (n *Net) Detach(s *Stack, ifname string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, l := range s.links {
		if l.Name == ifname && l.Kind == KindVeth {
			n.detachLocked(l)
			return nil
		}
	}
	return syscall.ENODEV
}

func (n *Net) detachLocked(l *Link) {
	l.Stack.remove(l)
	if p := l.Peer; p != nil {
		p.Stack.remove(p)
		if p.Master != nil && p.Master.bridge != nil {
			br := p.Master.bridge
			for i, o := range br.ports {
				if o == p {
					br.ports = append(br.ports[:i], br.ports[i+1:]...)
					break
				}
			}
		}
	}
}

// Destroy ends a namespace's stack, as the kernel does when its last
// process exits: its veths go (their host ends with them), its sockets
// close.
func (n *Net) Destroy(s *Stack) {
	n.mu.Lock()
	var ls []*Listener
	for _, l := range append([]*Link(nil), s.links...) {
		if l.Kind == KindVeth {
			n.detachLocked(l)
		}
	}
	for _, l := range s.listeners {
		ls = append(ls, l)
	}
	delete(n.stacks, s)
	delete(n.nsids, s)
	n.mu.Unlock()
	for _, l := range ls {
		l.Close()
	}
}

// SetDNS makes s answer name queries at 127.0.0.11:53, as Docker's embedded
// DNS server does in the namespace of a container on a user-defined
// network; nil stops it.
func (s *Stack) SetDNS(resolve func(name string) []netip.Addr) {
	s.n.mu.Lock()
	defer s.n.mu.Unlock()
	s.dns = resolve
}

// EmbeddedDNS is the address of Docker's embedded name server.
var EmbeddedDNS = netip.MustParseAddr("127.0.0.11")

// UpstreamDNS is the name server of the machine's NAT network, which the
// host's /etc/resolv.conf names. Nothing outside the machine is
// simulated, so it knows no name: it answers NXDOMAIN to every query.
var UpstreamDNS = netip.MustParseAddr("10.0.2.3")

// ErrNXDomain is a name server's answer that a name does not exist.
var ErrNXDomain = errors.New("NXDOMAIN")

// Lookup asks the name server at server for name's IPv4 addresses, as a
// DNS query over UDP from s. The servers the simulation has are the
// embedded one of a stack with SetDNS (which forwards names it does not
// know to the upstream server, as Docker's does) and the NAT network's
// UpstreamDNS. Errors: ErrNXDomain for a name no server knows; ETIMEDOUT
// when no server answers (nothing listens there, or the query is
// dropped); ENETUNREACH without a route.
func (s *Stack) Lookup(server netip.Addr, name string) ([]netip.Addr, error) {
	s.n.mu.Lock()
	dst, err := s.reachLocked(server)
	outside := err == nil && dst == nil && server == UpstreamDNS && s.outsideLocked(server)
	var dns func(string) []netip.Addr
	if dst != nil {
		dns = dst.dns
	}
	s.n.mu.Unlock()
	switch {
	case err != nil:
		return nil, err
	case outside:
		return nil, ErrNXDomain
	case server != EmbeddedDNS || dns == nil:
		return nil, syscall.ETIMEDOUT
	}
	// Outside the lock: the resolver is the engine's, which may be busy
	// calling the backend.
	if addrs := dns(name); len(addrs) > 0 {
		return addrs, nil
	}
	return nil, ErrNXDomain
}

// outsideLocked reports whether a packet from s to dst leaves the machine
// through the host's network card: straight from the host, or from a
// namespace through its bridge's gateway and the host's NAT (not from an
// internal network).
func (s *Stack) outsideLocked(dst netip.Addr) bool {
	h := s.n.host
	if s != h {
		r, ok := s.routeLocked(dst)
		if !ok || r.Dev.Kind != KindVeth || r.Dev.Peer == nil || r.Dev.Peer.Master == nil {
			return false
		}
		if br := r.Dev.Peer.Master.bridge; br == nil || br.Internal {
			return false
		}
	}
	r, ok := h.routeLocked(dst)
	return ok && r.Dev.Kind == KindEther
}

// hash is a stable digest for generated names and addresses.
func hash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// mac is a locally administered unicast MAC address derived from seed, as
// the kernel makes a random one for a new bridge or veth.
func mac(seed string) string {
	h := hash(seed)
	h[0] = h[0]&0xfe | 0x02
	return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", h[0], h[1], h[2], h[3], h[4], h[5])
}

// linkNamed is s's link called name.
func (s *Stack) linkNamed(name string) *Link {
	for _, l := range s.links {
		if l.Name == name {
			return l
		}
	}
	return nil
}

// SetUp brings link name up or down, as `ip link set NAME up|down`.
// Taking a link down removes its routes, as Linux flushes them; bringing
// it up restores the routes to its subnets, not the others (a default
// route must be added again). Errors: ENODEV.
func (s *Stack) SetUp(name string, up bool) error {
	s.n.mu.Lock()
	defer s.n.mu.Unlock()
	l := s.linkNamed(name)
	if l == nil {
		return syscall.ENODEV
	}
	if l.Up == up {
		return nil
	}
	l.Up = up
	if !up {
		s.dropRoutesLocked(l)
		return nil
	}
	for _, p := range l.Addrs {
		s.addConnectedLocked(l, p)
	}
	return nil
}

func (s *Stack) dropRoutesLocked(l *Link) {
	rs := s.routes[:0]
	for _, r := range s.routes {
		if r.Dev != l {
			rs = append(rs, r)
		}
	}
	s.routes = rs
}

// addConnectedLocked adds the route to p's subnet through l, as the kernel
// does for an address on a link that is up (none for the loopback's, which
// live in the local table).
func (s *Stack) addConnectedLocked(l *Link, p netip.Prefix) {
	if !l.Up || l.Kind == KindLoopback || p.Bits() == 32 {
		return
	}
	for _, r := range s.routes {
		if r.Dst == p.Masked() && r.Dev == l {
			return
		}
	}
	s.routes = append(s.routes, Route{Dst: p.Masked(), Dev: l, Src: p.Addr(), Scope: "link"})
}

// AddAddr gives link name the address p, as `ip addr add`. Errors:
// ENODEV; EEXIST when the link has it.
func (s *Stack) AddAddr(name string, p netip.Prefix) error {
	s.n.mu.Lock()
	defer s.n.mu.Unlock()
	l := s.linkNamed(name)
	if l == nil {
		return syscall.ENODEV
	}
	for _, a := range l.Addrs {
		if a.Addr() == p.Addr() {
			return syscall.EEXIST
		}
	}
	l.Addrs = append(l.Addrs, p)
	s.addConnectedLocked(l, p)
	return nil
}

// DelAddr removes address p from link name, with the routes that came
// with it, as `ip addr del`. Errors: ENODEV; EADDRNOTAVAIL when the link
// does not have it.
func (s *Stack) DelAddr(name string, p netip.Prefix) error {
	s.n.mu.Lock()
	defer s.n.mu.Unlock()
	l := s.linkNamed(name)
	if l == nil {
		return syscall.ENODEV
	}
	for i, a := range l.Addrs {
		if a.Addr() == p.Addr() {
			l.Addrs = append(l.Addrs[:i:i], l.Addrs[i+1:]...)
			rs := s.routes[:0]
			for _, r := range s.routes {
				if !(r.Dev == l && r.Src == a.Addr()) {
					rs = append(rs, r)
				}
			}
			s.routes = rs
			return nil
		}
	}
	return syscall.EADDRNOTAVAIL
}

// AddRoute adds a route to dst (the zero Prefix: the default route) via
// gateway via (invalid: a directly connected destination) through link
// dev, found from the gateway when dev is "". Errors: ENODEV for an
// unknown dev; ENETUNREACH when no link reaches the gateway; EEXIST when
// the route exists.
func (s *Stack) AddRoute(dst netip.Prefix, via netip.Addr, dev string) error {
	s.n.mu.Lock()
	defer s.n.mu.Unlock()
	var l *Link
	if dev != "" {
		if l = s.linkNamed(dev); l == nil {
			return syscall.ENODEV
		}
	}
	if via.IsValid() {
		r, ok := s.routeLocked(via)
		if !ok || r.Via.IsValid() || (l != nil && r.Dev != l) {
			return syscall.ENETUNREACH
		}
		l = r.Dev
	}
	if l == nil {
		return syscall.ENODEV
	}
	for _, r := range s.routes {
		if r.Dst == dst {
			return syscall.EEXIST
		}
	}
	r := Route{Dst: dst, Via: via, Dev: l}
	if !via.IsValid() {
		r.Scope = "link"
	}
	s.routes = append(s.routes, r)
	return nil
}

// DelRoute removes the route to dst. Errors: ESRCH when there is none.
func (s *Stack) DelRoute(dst netip.Prefix) error {
	s.n.mu.Lock()
	defer s.n.mu.Unlock()
	for i, r := range s.routes {
		if r.Dst == dst {
			s.routes = append(s.routes[:i:i], s.routes[i+1:]...)
			return nil
		}
	}
	return syscall.ESRCH
}
