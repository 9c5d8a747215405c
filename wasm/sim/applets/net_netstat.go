package applets

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// netstatMain is busybox's netstat for TCP: listening sockets (-l), all
// (-a) or, by default, connected ones, of the process's namespace, with
// addresses as numbers (-n) or named from /etc/hosts. The simulation has
// no UDP, raw or Unix sockets, so those sections list none.
func netstatMain(c *cmd) int {
	o, ok := c.getopt(c.args[1:], "laentuwxrW")
	if !ok {
		return 1
	}
	if o.has("r") {
		c.errorf("-r: not simulated by twinbox")
		return 1
	}
	t, u, w, x := o.has("t"), o.has("u"), o.has("w"), o.has("x")
	if !t && !u && !w && !x {
		t, u, w, x = true, true, true, true
	}
	listen, all := o.has("l"), o.has("a")
	which := "(w/o servers)"
	switch {
	case all:
		which = "(servers and established)"
	case listen:
		which = "(only servers)"
	}
	s := c.stack()
	if t || u || w {
		c.printf("Active Internet connections %s\n", which)
		c.printf("Proto Recv-Q Send-Q Local Address           Foreign Address         State       \n")
	}
	if t && s != nil {
		name := func(ap netip.AddrPort) string { return c.sockName(ap, o.has("n")) }
		if listen || all {
			for _, ap := range s.Listeners() {
				foreign := "0.0.0.0:*"
				if ap.Addr().Is6() {
					foreign = ":::*"
				}
				c.printf("tcp        0      0 %-23s %-23s %-12s\n", name(ap), foreign, "LISTEN")
			}
		}
		if !listen || all {
			for _, e := range s.Connections() {
				c.printf("tcp        0      0 %-23s %-23s %-12s\n", name(e.Local), name(e.Foreign), "ESTABLISHED")
			}
		}
	}
	if x {
		c.printf("Active UNIX domain sockets %s\n", which)
		c.printf("Proto RefCnt Flags       Type       State         I-Node Path\n")
	}
	return 0
}

// sockName is an address as netstat prints it: "127.0.0.1:80", ":::80",
// or, without -n, the name /etc/hosts gives the address.
func (c *cmd) sockName(ap netip.AddrPort, numeric bool) string {
	port := strconv.Itoa(int(ap.Port()))
	if ap.Addr().Is6() {
		return ":::" + port
	}
	host := ap.Addr().String()
	if !numeric && !ap.Addr().IsUnspecified() {
		if n := c.hostsName(ap.Addr()); n != "" {
			host = n
		}
	}
	return fmt.Sprintf("%s:%s", host, port)
}

// hostsName is the first name /etc/hosts gives a, or "".
func (c *cmd) hostsName(a netip.Addr) string {
	data, _ := c.readFile("/etc/hosts")
	for _, line := range strings.Split(data, "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == a.String() {
			return f[1]
		}
	}
	return ""
}
