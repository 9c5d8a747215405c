package applets

import (
	"fmt"
	"net/netip"
	"strings"

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
		c.errorf("RTNETLINK answers: Operation not permitted")
		return 2
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
		c.errorf("RTNETLINK answers: Operation not permitted")
		return 2
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
