package applets

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/wasm/sim/netsim"
)

// resolve finds name's IPv4 address as the C library's getaddrinfo does
// for busybox: an address literal, then /etc/hosts, then each name server
// of /etc/resolv.conf in turn (through the namespace's stack: only the
// servers the simulation has answer). ok is false when nothing knows it.
func (c *cmd) resolve(name string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(name); err == nil && a.Is4() {
		return a, true
	}
	if data, err := c.readFile("/etc/hosts"); err == nil {
		for _, line := range strings.Split(data, "\n") {
			if i := strings.IndexByte(line, '#'); i >= 0 {
				line = line[:i]
			}
			f := strings.Fields(line)
			if len(f) < 2 {
				continue
			}
			a, err := netip.ParseAddr(f[0])
			if err != nil || !a.Is4() {
				continue
			}
			for _, n := range f[1:] {
				if strings.EqualFold(n, name) {
					return a, true
				}
			}
		}
	}
	s := c.stack()
	if s == nil {
		return netip.Addr{}, false
	}
	data, _ := c.readFile("/etc/resolv.conf")
	for _, line := range strings.Split(data, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != "nameserver" {
			continue
		}
		server, err := netip.ParseAddr(f[1])
		if err != nil {
			continue
		}
		addrs, err := s.Lookup(server, name)
		if err == nil && len(addrs) > 0 {
			return addrs[0], true
		}
		if errors.Is(err, netsim.ErrNXDomain) {
			break // an answer: the next server is asked only when one fails
		}
	}
	return netip.Addr{}, false
}

// readFile reads a whole file of the process's filesystem.
func (c *cmd) readFile(name string) (string, error) {
	f, err := c.open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	return readAllString(f), nil
}

// pingRTT is the round trip the simulation reports: a packet between two
// namespaces of one machine, as a veth and a bridge carry it.
const pingRTT = 84 * time.Microsecond

// pingMain is busybox's ping: an echo request every second (-i), -c of
// them, each answered when the destination is reachable through the
// namespace's routes and bridges (netsim's Reach); -W is how long to wait
// for the last answer, -w a deadline for the whole run.
func pingMain(c *cmd) int {
	o, ok := c.getopt(c.args[1:], "qc:W:w:i:s:t:I:46")
	if !ok {
		return 1
	}
	if len(o.args) != 1 {
		return c.usageError()
	}
	num := func(name string, def int) (int, bool) {
		v, ok := o.val(name)
		if !ok {
			return def, true
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			c.errorf("invalid number '%s'", v)
			return 0, false
		}
		return n, true
	}
	count, ok1 := num("c", 0)
	wait, ok2 := num("W", 10)
	deadline, ok3 := num("w", 0)
	size, ok4 := num("s", 56)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return 1
	}
	interval := time.Second
	if v, ok := o.val("i"); ok {
		d, ok := parseDuration(v)
		if !ok {
			c.errorf("invalid number '%s'", v)
			return 1
		}
		interval = d
	}
	host := o.args[0]
	dst, found := c.resolve(host)
	if !found {
		c.errorf("bad address '%s'", host)
		return 1
	}
	s := c.stack()
	c.printf("PING %s (%s): %d data bytes\n", host, dst, size)
	c.out.Flush()
	quiet := o.has("q")
	// ^C ends the run with the statistics, as busybox's SIGINT handler
	// prints them.
	intr := make(chan backend.Signal, 1)
	c.p.Notify(intr, backend.SIGINT)
	defer c.p.Reset(backend.SIGINT)
	start := c.p.Now()
	sent, got := 0, 0
	var rtts []time.Duration
	for count == 0 || sent < count {
		if deadline > 0 && c.p.Now().Sub(start) >= time.Duration(deadline)*time.Second {
			break
		}
		answered := false
		if s != nil {
			var err error
			answered, err = s.Reach(dst)
			if err != nil {
				c.errorf("sendto: %s", Strerror(err))
				return 1
			}
		}
		seq := sent
		sent++
		if answered {
			got++
			rtt := pingRTT + time.Duration(seq%3)*7*time.Microsecond
			rtts = append(rtts, rtt)
			if !quiet {
				c.printf("%d bytes from %s: seq=%d ttl=64 time=%s ms\n", size+8, dst, seq, msec(rtt))
				c.out.Flush()
			}
		}
		last := count != 0 && sent == count
		pause := interval
		if last {
			if answered {
				break
			}
			pause = time.Duration(wait) * time.Second
		}
		if !c.sleepOrSignal(pause, intr) {
			break
		}
	}
	c.printf("\n--- %s ping statistics ---\n", host)
	loss := 0
	if sent > 0 {
		loss = (sent - got) * 100 / sent
	}
	c.printf("%d packets transmitted, %d packets received, %d%% packet loss\n", sent, got, loss)
	if got > 0 {
		lo, hi, sum := rtts[0], rtts[0], time.Duration(0)
		for _, r := range rtts {
			lo, hi, sum = min(lo, r), max(hi, r), sum+r
		}
		c.printf("round-trip min/avg/max = %s/%s/%s ms\n", msec(lo), msec(sum/time.Duration(len(rtts))), msec(hi))
		return 0
	}
	return 1
}

// sleepOrSignal waits d of the process's clock; it reports false when a
// signal arrived on sig first or the process was killed.
func (c *cmd) sleepOrSignal(d time.Duration, sig <-chan backend.Signal) bool {
	done := make(chan error, 1)
	go func() { done <- c.p.Sleep(d) }()
	select {
	case err := <-done:
		return err == nil
	case <-sig:
		return false
	}
}

// msec prints d in milliseconds with three decimals, as ping does.
func msec(d time.Duration) string {
	us := d.Microseconds()
	return fmt.Sprintf("%d.%03d", us/1000, us%1000)
}
