package netsim

import (
	"net/netip"
	"syscall"
)

// Reach reports whether dst answers a ping from s: true when an echo
// request would come back. Errors: ENETUNREACH when s has no route to dst
// (ping's sendto fails). A dst that does not answer (no interface has it,
// a firewall drops the packet, or it is outside the simulated machine) is
// false with no error, as ping counts lost packets.
func (s *Stack) Reach(dst netip.Addr) (bool, error) {
	s.n.mu.Lock()
	defer s.n.mu.Unlock()
	t, err := s.reachLocked(dst)
	if err == syscall.ENETUNREACH {
		return false, err
	}
	if t == nil {
		// The request leaves; nothing comes back.
		if r, ok := s.routeLocked(dst); ok {
			path{out: r.Dev}.countLocked(echoFrame)
		}
		return false, nil
	}
	p := s.pathLocked(t, dst)
	p.countLocked(echoFrame)
	p.reverse().countLocked(echoFrame)
	return true, nil
}

// Source returns the address s sends to dst from: the preferred source of
// the route's interface. Errors: ENETUNREACH.
func (s *Stack) Source(dst netip.Addr) (netip.Addr, error) {
	s.n.mu.Lock()
	defer s.n.mu.Unlock()
	return s.sourceLocked(dst)
}

func (s *Stack) sourceLocked(dst netip.Addr) (netip.Addr, error) {
	if s.hasAddrLocked(dst) {
		return dst, nil
	}
	r, ok := s.routeLocked(dst)
	if !ok {
		return netip.Addr{}, syscall.ENETUNREACH
	}
	if r.Src.IsValid() {
		return r.Src, nil
	}
	for _, p := range r.Dev.Addrs {
		return p.Addr(), nil
	}
	return netip.Addr{}, syscall.EADDRNOTAVAIL
}

func (s *Stack) hasAddrLocked(a netip.Addr) bool {
	for _, l := range s.links {
		if !l.Up {
			continue
		}
		for _, p := range l.Addrs {
			if p.Addr() == a || (l.Kind == KindLoopback && p.Contains(a)) {
				return true
			}
		}
	}
	return false
}

// routeLocked is the longest-prefix match of s's routes for dst.
func (s *Stack) routeLocked(dst netip.Addr) (Route, bool) {
	best, found := Route{}, false
	for _, r := range s.routes {
		bits := 0
		if r.Dst.IsValid() {
			if !r.Dst.Contains(dst) {
				continue
			}
			bits = r.Dst.Bits()
		}
		if !found || bits > routeBits(best) {
			best, found = r, true
		}
	}
	return best, found
}

func routeBits(r Route) int {
	if !r.Dst.IsValid() {
		return 0
	}
	return r.Dst.Bits()
}

// reachLocked follows a packet from s to dst and returns the stack that
// owns dst, nil when the packet is dropped on the way. Errors: ENETUNREACH
// without a route; EHOSTUNREACH when no one on the link has the next hop.
func (s *Stack) reachLocked(dst netip.Addr) (*Stack, error) {
	if s.hasAddrLocked(dst) {
		return s, nil
	}
	r, ok := s.routeLocked(dst)
	if !ok || !r.Dev.Up {
		return nil, syscall.ENETUNREACH
	}
	hop := dst
	if r.Via.IsValid() {
		hop = r.Via
	}
	var seg *Bridge
	switch {
	case r.Dev.Kind == KindBridge:
		seg = r.Dev.bridge
	case r.Dev.Kind == KindVeth && r.Dev.Peer != nil && r.Dev.Peer.Master != nil:
		seg = r.Dev.Peer.Master.bridge
	case r.Dev.Kind == KindEther:
		// The NAT network outside the machine: nothing there is simulated.
		return nil, nil
	}
	if seg == nil {
		return nil, syscall.EHOSTUNREACH
	}
	fromHost := s == s.n.host
	// The bridge's own address: the host.
	for _, p := range seg.Link.Addrs {
		if p.Addr() == hop {
			return s.n.host.forwardLocked(dst, seg)
		}
	}
	for _, port := range seg.ports {
		peer := port.Peer
		if peer == nil || peer.Stack == s || !peer.Up {
			continue
		}
		for _, p := range peer.Addrs {
			if p.Addr() != hop {
				continue
			}
			if !fromHost && !seg.ICC {
				return nil, nil // iptables: -i br -o br -j DROP
			}
			if hop != dst {
				return nil, nil // containers do not forward
			}
			return peer.Stack, nil
		}
	}
	return nil, syscall.EHOSTUNREACH
}

// forwardLocked is the host receiving a packet for dst from bridge in:
// its own addresses answer (the gateway and the host's other addresses);
// a packet forwarded on is dropped, towards another bridge by Docker's
// isolation rules, out of the machine because nothing outside is
// simulated.
func (h *Stack) forwardLocked(dst netip.Addr, in *Bridge) (*Stack, error) {
	if h.hasAddrLocked(dst) {
		return h, nil
	}
	if _, ok := h.routeLocked(dst); !ok {
		return nil, syscall.ENETUNREACH
	}
	return nil, nil
}

// path is the links a frame leaves by and arrives by between two stacks.
type path struct{ out, in *Link }

// reverse is the way back.
func (p path) reverse() path { return path{out: p.in, in: p.out} }

// pathLocked is the links a packet from s to dst, which t owns, crosses
// at its ends: the loopback within one stack, else s's outgoing interface
// and t's interface on the same link (for the host, the bridge the packet
// came in by).
func (s *Stack) pathLocked(t *Stack, dst netip.Addr) path {
	if s == t {
		lo := s.loLocked()
		return path{lo, lo}
	}
	var p path
	if r, ok := s.routeLocked(dst); ok {
		p.out = r.Dev
	}
	switch {
	case p.out != nil && p.out.Kind == KindVeth && p.out.Peer != nil && p.out.Peer.Master != nil && t == s.n.host:
		p.in = p.out.Peer.Master
	default:
		for _, l := range t.links {
			for _, a := range l.Addrs {
				if a.Addr() == dst {
					p.in = l
				}
			}
		}
	}
	return p
}

func (s *Stack) loLocked() *Link {
	for _, l := range s.links {
		if l.Kind == KindLoopback {
			return l
		}
	}
	return nil
}

// countLocked counts a frame of size bytes along p: sent by p.out and
// received by p.in, and by the host's ends of veths on the way.
func (p path) countLocked(size int) {
	if p.out != nil {
		p.out.Stats.TxPackets++
		p.out.Stats.TxBytes += int64(size)
		if peer := p.out.Peer; peer != nil && peer != p.in {
			peer.Stats.RxPackets++
			peer.Stats.RxBytes += int64(size)
		}
	}
	if p.in != nil {
		p.in.Stats.RxPackets++
		p.in.Stats.RxBytes += int64(size)
		if peer := p.in.Peer; peer != nil && peer != p.out {
			peer.Stats.TxPackets++
			peer.Stats.TxBytes += int64(size)
		}
	}
}

// echoFrame is an echo request or reply as ping sends them: 56 data
// bytes, 8 of ICMP, 20 of IP and 14 of Ethernet.
const echoFrame = 98
