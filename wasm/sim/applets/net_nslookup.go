package applets

import (
	"errors"
	"net/netip"
	"strings"
	"syscall"

	"github.com/twinbox-dev/twinbox/wasm/sim/netsim"
)

// nslookupMain is busybox 1.35's nslookup: it asks the name server (the
// second operand, else the first of /etc/resolv.conf) for HOST's A and
// AAAA records, or the -type given, and prints each answer as busybox's
// new nslookup does. The simulated stacks have no IPv6 addresses, so an
// AAAA query is answered with no records.
func nslookupMain(c *cmd) int {
	var types []string
	var args []string
	for _, a := range c.args[1:] {
		if v, ok := strings.CutPrefix(a, "-type="); ok {
			v = strings.ToLower(v)
			if v != "a" && v != "aaaa" {
				c.errorf("invalid query type \"%s\"", v)
				return 1
			}
			types = append(types, v)
			continue
		}
		if v, ok := strings.CutPrefix(a, "-query="); ok {
			types = append(types, strings.ToLower(v))
			continue
		}
		if strings.HasPrefix(a, "-") && a != "-debug" && a != "-nodebug" {
			return c.usageError()
		}
		if !strings.HasPrefix(a, "-") {
			args = append(args, a)
		}
	}
	if len(args) < 1 || len(args) > 2 {
		return c.usageError()
	}
	if len(types) == 0 {
		types = []string{"a", "aaaa"}
	}
	name := args[0]
	var server netip.Addr
	if len(args) == 2 {
		a, ok := c.resolve(args[1])
		if !ok {
			c.errorf("bad address '%s'", args[1])
			return 1
		}
		server = a
	} else {
		data, _ := c.readFile("/etc/resolv.conf")
		for _, line := range strings.Split(data, "\n") {
			f := strings.Fields(line)
			if len(f) >= 2 && f[0] == "nameserver" {
				if a, err := netip.ParseAddr(f[1]); err == nil {
					server = a
					break
				}
			}
		}
		if !server.IsValid() {
			server = netip.MustParseAddr("127.0.0.1")
		}
	}
	s := c.stack()
	if s == nil {
		c.errorf("can't connect to remote host (%s): Network is unreachable", server)
		return 1
	}
	addrs, err := s.Lookup(server, name)
	switch {
	case errors.Is(err, syscall.ENETUNREACH):
		c.errorf("can't connect to remote host (%s): %s", server, Strerror(err))
		return 1
	case err != nil && !errors.Is(err, netsim.ErrNXDomain):
		c.printf(";; connection timed out; no servers could be reached\n\n")
		return 1
	}
	c.printf("Server:\t\t%s\nAddress:\t%s:53\n\n", server, server)
	status := 0
	for _, t := range types {
		if errors.Is(err, netsim.ErrNXDomain) {
			c.printf("** server can't find %s: NXDOMAIN\n\n", name)
			status = 1
			continue
		}
		c.printf("Non-authoritative answer:\n")
		if t == "a" {
			for _, a := range addrs {
				c.printf("Name:\t%s\nAddress: %s\n", name, a)
			}
		}
		c.printf("\n")
	}
	return status
}
