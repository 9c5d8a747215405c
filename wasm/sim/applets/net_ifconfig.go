package applets

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/twinbox-dev/twinbox/wasm/sim/netsim"
)

// ifconfigMain is busybox's ifconfig listing: the interfaces that are up
// (-a: all), sorted by name, or the one named, with their IPv4 address
// and counters. Changing an interface needs NET_ADMIN, which containers
// do not have; the simulation does not model those changes.
func ifconfigMain(c *cmd) int {
	args := c.args[1:]
	all := false
	if len(args) > 0 && args[0] == "-a" {
		all, args = true, args[1:]
	}
	s := c.stack()
	if s == nil {
		return 0
	}
	links := s.Links()
	sort.Slice(links, func(i, j int) bool { return links[i].Name < links[j].Name })
	if len(args) > 1 {
		c.errorf("SIOCSIFADDR: Operation not permitted")
		return 1
	}
	if len(args) == 1 {
		for _, l := range links {
			if l.Name == args[0] {
				c.printIface(l)
				return 0
			}
		}
		c.errorf("%s: error fetching interface information: Device not found", args[0])
		return 1
	}
	for _, l := range links {
		if l.Up || all {
			c.printIface(l)
		}
	}
	return 0
}

// printIface prints one interface as busybox's ife_print does.
func (c *cmd) printIface(l netsim.Link) {
	var b strings.Builder
	if l.Kind == netsim.KindLoopback {
		fmt.Fprintf(&b, "%-9s Link encap:Local Loopback  \n", l.Name)
	} else {
		fmt.Fprintf(&b, "%-9s Link encap:Ethernet  HWaddr %s  \n", l.Name, strings.ToUpper(l.MAC))
	}
	if len(l.Addrs) > 0 {
		p := l.Addrs[0]
		mask := netip.AddrFrom4(maskOf(p.Bits()))
		if l.Kind == netsim.KindLoopback {
			fmt.Fprintf(&b, "          inet addr:%s  Mask:%s\n", p.Addr(), mask)
		} else {
			fmt.Fprintf(&b, "          inet addr:%s  Bcast:%s  Mask:%s\n", p.Addr(), broadcast(p), mask)
		}
	}
	var flags []string
	if l.Up {
		flags = append(flags, "UP")
	}
	if l.Kind == netsim.KindLoopback {
		flags = append(flags, "LOOPBACK")
	} else {
		flags = append(flags, "BROADCAST")
	}
	if l.Up && !l.NoCarrier {
		flags = append(flags, "RUNNING")
	}
	if l.Kind != netsim.KindLoopback {
		flags = append(flags, "MULTICAST")
	}
	fmt.Fprintf(&b, "          %s  MTU:%d  Metric:1\n", strings.Join(flags, " "), l.MTU)
	st := l.Stats
	fmt.Fprintf(&b, "          RX packets:%d errors:0 dropped:0 overruns:0 frame:0\n", st.RxPackets)
	fmt.Fprintf(&b, "          TX packets:%d errors:0 dropped:0 overruns:0 carrier:0\n", st.TxPackets)
	qlen := 0
	if l.Kind == netsim.KindLoopback || l.Kind == netsim.KindEther {
		qlen = 1000
	}
	fmt.Fprintf(&b, "          collisions:0 txqueuelen:%d \n", qlen)
	fmt.Fprintf(&b, "          RX bytes:%s  TX bytes:%s\n\n", scaledBytes(st.RxBytes), scaledBytes(st.TxBytes))
	c.out.WriteString(b.String())
}

func maskOf(bits int) [4]byte {
	v := ^uint32(0) << (32 - bits)
	if bits == 0 {
		v = 0
	}
	return [4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
}

// scaledBytes is busybox's print_bytes_scaled: "594 (594.0 B)",
// "1536 (1.5 KiB)".
func scaledBytes(n int64) string {
	whole, frac, unit := uint64(n), uint64(0), 0
	for i := 0; i < 4; i++ {
		if whole >= 1024 {
			frac = (whole & 1023) * 10 / 1024
			whole /= 1024
			unit++
		}
	}
	return fmt.Sprintf("%d (%d.%d %sB)", n, whole, frac, []string{"", "Ki", "Mi", "Gi", "Ti"}[unit])
}
