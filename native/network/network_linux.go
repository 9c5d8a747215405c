package network

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	goruntime "runtime"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

// DefaultBridge is the name of the default network's bridge, twinbox's
// docker0.
const DefaultBridge = "twinbox0"

// noICC is the alias of the bridge of a network whose containers may not
// reach each other (com.docker.network.bridge.enable_icc=false).
const noICC = "twinbox:icc=false"

// FreeSubnet returns the bridge's subnet when bridge exists with an
// address, else the first of dockerd's default pools no host route or
// address overlaps (as dockerd picks docker0's).
func FreeSubnet(bridge string) (netip.Prefix, error) {
	if l, err := netlink.LinkByName(bridge); err == nil {
		addrs, err := netlink.AddrList(l, netlink.FAMILY_V4)
		if err == nil && len(addrs) > 0 {
			a, _ := netip.AddrFromSlice(addrs[0].IP.To4())
			ones, _ := addrs[0].Mask.Size()
			return netip.PrefixFrom(a, ones).Masked(), nil
		}
	}
	taken, err := usedPrefixes()
	if err != nil {
		return netip.Prefix{}, err
	}
	// dockerd's default address pools: 172.17-31.0.0/16, then
	// 192.168.0-240.0/20.
	var pools []netip.Prefix
	for b := 17; b <= 31; b++ {
		pools = append(pools, netip.PrefixFrom(netip.AddrFrom4([4]byte{172, byte(b), 0, 0}), 16))
	}
	for c := 0; c < 256; c += 16 {
		pools = append(pools, netip.PrefixFrom(netip.AddrFrom4([4]byte{192, 168, byte(c), 0}), 20))
	}
	for _, p := range pools {
		free := true
		for _, t := range taken {
			free = free && !t.Overlaps(p)
		}
		if free {
			return p, nil
		}
	}
	return netip.Prefix{}, errors.New("network: no free subnet in the default pools (172.17-31.0.0/16, 192.168.0-240.0/20)")
}

func usedPrefixes() ([]netip.Prefix, error) {
	var out []netip.Prefix
	routes, err := netlink.RouteList(nil, netlink.FAMILY_V4)
	if err != nil {
		return nil, fmt.Errorf("network: routes: %w", err)
	}
	for _, r := range routes {
		if r.Dst == nil {
			continue // the default route overlaps everything and nothing
		}
		if p, ok := prefix(r.Dst); ok && p.Bits() > 0 {
			out = append(out, p)
		}
	}
	addrs, err := netlink.AddrList(nil, netlink.FAMILY_V4)
	if err != nil {
		return nil, fmt.Errorf("network: addresses: %w", err)
	}
	for _, a := range addrs {
		if p, ok := prefix(a.IPNet); ok {
			out = append(out, p.Masked())
		}
	}
	return out, nil
}

// Routes returns the IPv4 prefixes the machine's routes and addresses
// cover, but for those of the interfaces named in skip.
func Routes(skip map[string]bool) ([]netip.Prefix, error) {
	skipIdx := map[int]bool{}
	for name := range skip {
		if l, err := netlink.LinkByName(name); err == nil {
			skipIdx[l.Attrs().Index] = true
		}
	}
	var out []netip.Prefix
	routes, err := netlink.RouteList(nil, netlink.FAMILY_V4)
	if err != nil {
		return nil, fmt.Errorf("network: routes: %w", err)
	}
	for _, r := range routes {
		if r.Dst == nil || skipIdx[r.LinkIndex] {
			continue
		}
		if p, ok := prefix(r.Dst); ok && p.Bits() > 0 {
			out = append(out, p.Masked())
		}
	}
	addrs, err := netlink.AddrList(nil, netlink.FAMILY_V4)
	if err != nil {
		return nil, fmt.Errorf("network: addresses: %w", err)
	}
	for _, a := range addrs {
		if skipIdx[a.LinkIndex] {
			continue
		}
		if p, ok := prefix(a.IPNet); ok {
			out = append(out, p.Masked())
		}
	}
	return out, nil
}

func prefix(n *net.IPNet) (netip.Prefix, bool) {
	a, ok := netip.AddrFromSlice(n.IP.To4())
	if !ok {
		return netip.Prefix{}, false
	}
	ones, _ := n.Mask.Size()
	return netip.PrefixFrom(a, ones), true
}

func ipnet(p netip.Prefix, a netip.Addr) *net.IPNet {
	return &net.IPNet{IP: a.AsSlice(), Mask: net.CIDRMask(p.Bits(), a.BitLen())}
}

// CreateBridge creates n's bridge with the gateway address and brings it
// up. A bridge of that name with the same address is reused (a restarted
// daemon); Conflict when another holds an overlapping subnet.
func CreateBridge(n backend.Network) error {
	if l, err := netlink.LinkByName(n.Bridge); err == nil {
		addrs, _ := netlink.AddrList(l, netlink.FAMILY_V4)
		for _, a := range addrs {
			if p, ok := prefix(a.IPNet); ok && p.Addr() == n.Gateway {
				return netlink.LinkSetUp(l)
			}
		}
		return backend.Errorf(backend.Conflict, "bridge %s exists", n.Bridge)
	}
	taken, err := usedPrefixes()
	if err != nil {
		return err
	}
	for _, t := range taken {
		if t.Overlaps(n.Subnet) {
			return backend.Errorf(backend.Conflict, "Pool overlaps with other one on this address space")
		}
	}
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: n.Bridge}}
	if err := netlink.LinkAdd(br); err != nil {
		if errors.Is(err, unix.EEXIST) {
			return backend.Errorf(backend.Conflict, "bridge %s exists", n.Bridge)
		}
		return fmt.Errorf("network: create bridge %s: %w", n.Bridge, err)
	}
	ok := false
	defer func() {
		if !ok {
			netlink.LinkDel(br)
		}
	}()
	if err := netlink.AddrAdd(br, &netlink.Addr{IPNet: ipnet(n.Subnet, n.Gateway)}); err != nil {
		return fmt.Errorf("network: address %s on %s: %w", n.Gateway, n.Bridge, err)
	}
	if !n.ICC {
		// Read back by AddEndpoint: the kernel keeps what the bridge is.
		if err := netlink.LinkSetAlias(br, noICC); err != nil {
			return fmt.Errorf("network: %s: %w", n.Bridge, err)
		}
	}
	if err := netlink.LinkSetUp(br); err != nil {
		return fmt.Errorf("network: %s up: %w", n.Bridge, err)
	}
	ok = true
	return nil
}

// RemoveBridge deletes a bridge. Errors: NotFound.
func RemoveBridge(name string) error {
	l, err := netlink.LinkByName(name)
	if err != nil {
		return backend.Errorf(backend.NotFound, "network: bridge %s: %v", name, err)
	}
	return netlink.LinkDel(l)
}

// NewNamespace creates a network namespace and returns a descriptor of it;
// no process is in it yet. It does so on a thread of its own that then
// returns to the daemon's namespace and ends (or, should Go have run it on
// the main thread, which never ends, stays parked there).
func NewNamespace() (*os.File, error) {
	type result struct {
		f   *os.File
		err error
	}
	ch := make(chan result, 1)
	go func() {
		goruntime.LockOSThread() // never unlocked: see above
		orig, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			ch <- result{nil, fmt.Errorf("network: %w", err)}
			return
		}
		defer orig.Close()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			ch <- result{nil, fmt.Errorf("network: new namespace: %w", err)}
			return
		}
		f, err := os.Open("/proc/thread-self/ns/net")
		// Leave the new namespace, so that only f holds it.
		unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET)
		ch <- result{f, err}
	}()
	r := <-ch
	return r.f, r.err
}

// AddEndpoint creates ep in the network namespace nsFd: a veth pair whose
// host end joins ep.Bridge and whose other end is ep.IfName inside, with
// ep's address and MAC, up; with defaultRoute, the default route goes via
// ep.Gateway. It returns the host end's name.
func AddEndpoint(nsFd int, ep backend.Endpoint, defaultRoute bool) (string, error) {
	br, err := netlink.LinkByName(ep.Bridge)
	if err != nil {
		return "", backend.Errorf(backend.NotFound, "network: bridge %s: %v", ep.Bridge, err)
	}
	b := make([]byte, 4)
	rand.Read(b)
	host := "veth" + hex.EncodeToString(b)[:7]
	veth := &netlink.Veth{
		LinkAttrs:     netlink.LinkAttrs{Name: host, MasterIndex: br.Attrs().Index, MTU: br.Attrs().MTU},
		PeerName:      ep.IfName,
		PeerNamespace: netlink.NsFd(nsFd),
	}
	if ep.MAC != "" {
		if veth.PeerHardwareAddr, err = net.ParseMAC(ep.MAC); err != nil {
			return "", backend.Errorf(backend.InvalidParameter, "network: MAC %q: %v", ep.MAC, err)
		}
	}
	if err := netlink.LinkAdd(veth); err != nil {
		return "", fmt.Errorf("network: veth %s: %w", host, err)
	}
	ok := false
	defer func() {
		if !ok {
			netlink.LinkDel(veth)
		}
	}()
	if br.Attrs().Alias == noICC {
		// dockerd drops such traffic with iptables; an isolated bridge
		// port forwards only to the bridge's non-isolated ports (none but
		// the bridge itself), before any packet filter.
		if err := netlink.LinkSetIsolated(veth, true); err != nil {
			return "", fmt.Errorf("network: isolate %s: %w", host, err)
		}
	}
	if err := netlink.LinkSetUp(veth); err != nil {
		return "", fmt.Errorf("network: %s up: %w", host, err)
	}
	h, err := netlink.NewHandleAt(netns.NsHandle(nsFd))
	if err != nil {
		return "", fmt.Errorf("network: namespace handle: %w", err)
	}
	defer h.Close()
	in, err := h.LinkByName(ep.IfName)
	if err != nil {
		return "", fmt.Errorf("network: %s in the container: %w", ep.IfName, err)
	}
	if err := h.AddrAdd(in, &netlink.Addr{IPNet: ipnet(ep.Address, ep.Address.Addr())}); err != nil {
		return "", fmt.Errorf("network: address %s: %w", ep.Address, err)
	}
	if err := h.LinkSetUp(in); err != nil {
		return "", fmt.Errorf("network: %s up: %w", ep.IfName, err)
	}
	if defaultRoute && ep.Gateway.IsValid() {
		if err := h.RouteAdd(&netlink.Route{LinkIndex: in.Attrs().Index, Gw: ep.Gateway.AsSlice()}); err != nil {
			return "", fmt.Errorf("network: default route via %s: %w", ep.Gateway, err)
		}
	}
	ok = true
	return host, nil
}

// RemoveEndpoint deletes interface ifName (and so its veth pair) from the
// network namespace nsFd. Errors: NotFound.
func RemoveEndpoint(nsFd int, ifName string) error {
	h, err := netlink.NewHandleAt(netns.NsHandle(nsFd))
	if err != nil {
		return err
	}
	defer h.Close()
	l, err := h.LinkByName(ifName)
	if err != nil {
		return backend.Errorf(backend.NotFound, "network: %s: %v", ifName, err)
	}
	return h.LinkDel(l)
}
