package applets

import (
	"fmt"
	"net/netip"
	"strings"
	"syscall"

	"github.com/twinbox-dev/twinbox/wasm/sim/netsim"
	"github.com/twinbox-dev/twinbox/wasm/sim/sys"
)

// stack returns the network stack of the process's namespace, or nil.
func (c *cmd) stack() *netsim.Stack {
	if n, ok := c.p.(sys.Networker); ok {
		return n.Network()
	}
	return nil
}

// blocked marks the process as sleeping in a kernel call (a socket wait)
// until the returned function is called.
func (c *cmd) blocked() func() {
	if b, ok := c.p.(sys.Blocker); ok {
		return b.Block()
	}
	return func() {}
}

// ipMain is busybox's ip: address, link and route listings of the
// process's network namespace, as busybox 1.35's ip prints them.
func ipMain(c *cmd) int {
	args := c.args[1:]
	family, oneline := "", false
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		a := strings.TrimLeft(args[0], "-")
		switch {
		case a == "4":
			family = "inet"
		case a == "6":
			family = "inet6"
		case a == "0":
			family = "link"
		case a != "" && strings.HasPrefix("oneline", a):
			oneline = true
		case a != "" && strings.HasPrefix("family", a) && len(args) > 1:
			family = args[1]
			args = args[1:]
		default:
			return c.usageError()
		}
		args = args[1:]
	}
	if len(args) == 0 {
		return c.usageError()
	}
	s := c.stack()
	if s == nil {
		c.errorf("can't find device 'lo'")
		return 1
	}
	obj, rest := args[0], args[1:]
	switch {
	case prefixOf(obj, "address", 1):
		return c.ipAddr(s, rest, family, oneline, true)
	case prefixOf(obj, "link", 1):
		return c.ipAddr(s, rest, "link", oneline, false)
	case prefixOf(obj, "route", 1):
		return c.ipRoute(s, rest)
	}
	return c.usageError()
}

// prefixOf reports whether a abbreviates word, with at least n letters.
func prefixOf(a, word string, n int) bool {
	return len(a) >= n && strings.HasPrefix(word, a)
}

// listCmd reports whether the first operand asks for a listing, and the
// operands after it.
func listCmd(args []string) (bool, []string) {
	if len(args) == 0 {
		return true, nil
	}
	for _, w := range []string{"show", "list", "lst"} {
		if prefixOf(args[0], w, 1) {
			return true, args[1:]
		}
	}
	return false, args
}

// ipAddr lists links and, unless family is "link", their addresses.
func (c *cmd) ipAddr(s *netsim.Stack, args []string, family string, oneline, addrs bool) int {
	ok, args := listCmd(args)
	if !ok {
		if addrs {
			return c.ipAddrChange(s, args)
		}
		return c.ipLinkSet(s, args)
	}
	dev := ""
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "dev":
			if i+1 < len(args) {
				dev = args[i+1]
				i++
			}
		default:
			dev = args[i]
		}
	}
	links := s.Links()
	if dev != "" {
		var sel []netsim.Link
		for _, l := range links {
			if l.Name == dev {
				sel = append(sel, l)
			}
		}
		if len(sel) == 0 {
			c.errorf("can't find device '%s'", dev)
			return 1
		}
		links = sel
	}
	for _, l := range links {
		if family == "inet6" || (family == "inet" && len(l.Addrs) == 0) {
			continue // the simulated stacks have no IPv6 addresses
		}
		head := c.linkLine(s, l)
		if !addrs || family == "link" {
			sep := "\n"
			if oneline {
				sep = "\\"
			}
			c.printf("%s%s    link/%s %s brd %s\n", head, sep, linkType(l), l.MAC, linkBrd(l))
			continue
		}
		if !oneline {
			c.printf("%s\n", head)
			if family == "" {
				c.printf("    link/%s %s brd %s\n", linkType(l), l.MAC, linkBrd(l))
			}
		}
		for _, p := range l.Addrs {
			line := "    inet " + p.String()
			scope := "global"
			if l.Kind == netsim.KindLoopback {
				scope = "host"
			} else {
				line += " brd " + broadcast(p).String()
			}
			line += " scope " + scope + " " + l.Name
			if oneline {
				c.printf("%d: %s%s\\       valid_lft forever preferred_lft forever\n", l.Index, l.Name, line)
			} else {
				c.printf("%s\n       valid_lft forever preferred_lft forever\n", line)
			}
		}
	}
	return 0
}

// linkLine is a link's first line as print_linkinfo prints it, without
// the newline.
func (c *cmd) linkLine(s *netsim.Stack, l netsim.Link) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d: %s", l.Index, l.Name)
	mdown := false
	if l.Peer != nil {
		name, here := s.LinkName(l.Peer.Index)
		fmt.Fprintf(&b, "@%s: ", name)
		mdown = !here || !l.Peer.Up
	} else {
		b.WriteString(": ")
	}
	var flags []string
	if l.Up && l.NoCarrier {
		flags = append(flags, "NO-CARRIER")
	}
	if l.Kind == netsim.KindLoopback {
		flags = append(flags, "LOOPBACK")
	} else {
		flags = append(flags, "BROADCAST", "MULTICAST")
	}
	if l.Up {
		flags = append(flags, "UP")
		if !l.NoCarrier {
			flags = append(flags, "LOWER_UP")
		}
	}
	if mdown {
		flags = append(flags, "M-DOWN")
	}
	qdisc := "noqueue"
	if l.Kind == netsim.KindEther {
		qdisc = "fq_codel"
	}
	fmt.Fprintf(&b, "<%s> mtu %d qdisc %s ", strings.Join(flags, ","), l.MTU, qdisc)
	if l.Master != nil {
		fmt.Fprintf(&b, "master %s ", l.Master.Name)
	}
	// print_queuelen: only a link with a transmit queue; veths and
	// bridges have none (IFF_NO_QUEUE), so their line ends after a space.
	if l.Kind == netsim.KindLoopback || l.Kind == netsim.KindEther {
		b.WriteString("qlen 1000")
	}
	return b.String()
}

func linkType(l netsim.Link) string {
	if l.Kind == netsim.KindLoopback {
		return "loopback"
	}
	return "ether"
}

func linkBrd(l netsim.Link) string {
	if l.Kind == netsim.KindLoopback {
		return "00:00:00:00:00:00"
	}
	return "ff:ff:ff:ff:ff:ff"
}

// broadcast is p's subnet's broadcast address.
func broadcast(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3]) | host
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// ipRoute lists the main routing table as busybox's print_route does.
func (c *cmd) ipRoute(s *netsim.Stack, args []string) int {
	ok, _ := listCmd(args)
	if !ok {
		return c.ipRouteChange(s, args)
	}
	for _, r := range s.Routes() {
		if !r.Dst.IsValid() {
			c.printf("default via %s dev %s \n", r.Via, r.Dev.Name)
			continue
		}
		line := r.Dst.String()
		if r.Via.IsValid() {
			line += " via " + r.Via.String()
		}
		line += " dev " + r.Dev.Name + " "
		if r.Scope != "" {
			line += "scope " + r.Scope + " "
		}
		if r.Src.IsValid() {
			line += " src " + r.Src.String() + " "
		}
		c.println(line)
	}
	return 0
}

// netAdmin reports whether the process may change its namespace's network.
func (c *cmd) netAdmin() bool {
	n, ok := c.p.(sys.NetAdmin)
	return ok && n.NetAdmin()
}

// rtnetlink reports a failed netlink request as busybox does, status 2.
func (c *cmd) rtnetlink(err error) int {
	c.errorf("RTNETLINK answers: %s", Strerror(err))
	return 2
}

// ipLinkSet is `ip link set [dev] NAME up|down|mtu N`, through the
// interface ioctls busybox uses.
func (c *cmd) ipLinkSet(s *netsim.Stack, args []string) int {
	if len(args) == 0 || !prefixOf(args[0], "set", 1) {
		return c.usageError()
	}
	args = args[1:]
	if len(args) > 0 && args[0] == "dev" {
		args = args[1:]
	}
	if len(args) < 2 {
		return c.usageError()
	}
	name := args[0]
	known := false
	for _, l := range s.Links() {
		known = known || l.Name == name
	}
	if !known {
		c.errorf("SIOCGIFFLAGS: No such device")
		return 1
	}
	for i := 1; i < len(args); i++ {
		switch args[i] {
		case "up", "down":
			if !c.netAdmin() {
				c.errorf("SIOCSIFFLAGS: Operation not permitted")
				return 1
			}
			if err := s.SetUp(name, args[i] == "up"); err != nil {
				c.errorf("SIOCSIFFLAGS: %s", Strerror(err))
				return 1
			}
		default:
			c.errorf("link set %s: not simulated by twinbox", args[i])
			return 1
		}
	}
	return 0
}

// ipAddrChange is `ip addr add|del PREFIX [brd ...] dev NAME`.
func (c *cmd) ipAddrChange(s *netsim.Stack, args []string) int {
	if len(args) < 1 || (args[0] != "add" && args[0] != "del" && args[0] != "delete") {
		return c.usageError()
	}
	var pfx netip.Prefix
	dev := ""
	for i := 1; i < len(args); i++ {
		switch args[i] {
		case "dev":
			if i+1 < len(args) {
				dev = args[i+1]
				i++
			}
		case "brd", "broadcast", "label", "scope":
			i++
		default:
			a := args[i]
			if !strings.Contains(a, "/") {
				a += "/32"
			}
			p, err := netip.ParsePrefix(a)
			if err != nil || !p.Addr().Is4() {
				c.errorf("an inet prefix is expected rather than \"%s\"", args[i])
				return 1
			}
			pfx = p
		}
	}
	if dev == "" || !pfx.IsValid() {
		c.errorf("need \"dev\" argument")
		return 1
	}
	if _, ok := linkIndex(s, dev); !ok {
		c.errorf("can't find device '%s'", dev)
		return 1
	}
	if !c.netAdmin() {
		return c.rtnetlink(syscall.EPERM)
	}
	var err error
	if args[0] == "add" {
		err = s.AddAddr(dev, pfx)
	} else {
		err = s.DelAddr(dev, pfx)
	}
	if err != nil {
		return c.rtnetlink(err)
	}
	return 0
}

// ipRouteChange is `ip route add|del default|PREFIX [via GW] [dev NAME]`.
func (c *cmd) ipRouteChange(s *netsim.Stack, args []string) int {
	if len(args) < 2 {
		return c.usageError()
	}
	op := args[0]
	if op != "add" && op != "del" && op != "delete" {
		return c.usageError()
	}
	var dst netip.Prefix
	var via netip.Addr
	dev := ""
	for i := 1; i < len(args); i++ {
		switch a := args[i]; a {
		case "via", "dev":
			if i+1 >= len(args) {
				return c.usageError()
			}
			if a == "dev" {
				dev = args[i+1]
			} else {
				v, err := netip.ParseAddr(args[i+1])
				if err != nil || !v.Is4() {
					c.errorf("an inet address is expected rather than \"%s\"", args[i+1])
					return 1
				}
				via = v
			}
			i++
		case "default":
			dst = netip.Prefix{}
		default:
			if !strings.Contains(a, "/") {
				a += "/32"
			}
			p, err := netip.ParsePrefix(a)
			if err != nil || !p.Addr().Is4() {
				c.errorf("an inet prefix is expected rather than \"%s\"", args[i])
				return 1
			}
			dst = p.Masked()
		}
	}
	if dev != "" {
		if _, ok := linkIndex(s, dev); !ok {
			c.errorf("can't find device '%s'", dev)
			return 1
		}
	}
	if !c.netAdmin() {
		return c.rtnetlink(syscall.EPERM)
	}
	var err error
	if op == "add" {
		err = s.AddRoute(dst, via, dev)
	} else {
		err = s.DelRoute(dst)
	}
	if err != nil {
		return c.rtnetlink(err)
	}
	return 0
}

// linkIndex finds link name's index in s.
func linkIndex(s *netsim.Stack, name string) (int, bool) {
	for _, l := range s.Links() {
		if l.Name == name {
			return l.Index, true
		}
	}
	return 0, false
}
