package network

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	goruntime "runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/nftables"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

// inMachine runs the test on a thread in a network namespace of its own,
// the "machine": bridges, rules and sockets the test makes stay in it and
// go with it.
func inMachine(t *testing.T, fn func(t *testing.T)) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: network namespaces, bridges and nftables")
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		goruntime.LockOSThread() // never unlocked: the thread ends with the goroutine
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			t.Errorf("unshare: %v", err)
			return
		}
		lo, _ := netlink.LinkByName("lo")
		netlink.LinkSetUp(lo)
		if err := os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte("1"), 0); err != nil {
			t.Errorf("ip_forward: %v", err)
			return
		}
		fn(t)
	}()
	<-done
}

// ctr is a container's network namespace with one endpoint.
type ctr struct {
	ns   *os.File
	addr netip.Addr
}

func newCtr(t *testing.T, n backend.Network, host byte) ctr {
	t.Helper()
	ns, err := NewNamespace()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close() })
	a := n.Subnet.Addr().As4()
	a[3] = host
	addr := netip.AddrFrom4(a)
	ep := backend.Endpoint{NetworkID: n.ID, Bridge: n.Bridge, IfName: "eth0", Address: netip.PrefixFrom(addr, n.Subnet.Bits()), Gateway: n.Gateway}
	if _, err := AddEndpoint(int(ns.Fd()), ep, true); err != nil {
		t.Fatal(err)
	}
	if err := LoopbackUp(int(ns.Fd())); err != nil {
		t.Fatal(err)
	}
	return ctr{ns, addr}
}

// listen serves "hello" on TCP port 7 of c.
func (c ctr) listen(t *testing.T) {
	t.Helper()
	var ln net.Listener
	if err := InNamespace(int(c.ns.Fd()), func() (err error) {
		ln, err = net.Listen("tcp4", ":7")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			io.WriteString(conn, "hello")
			conn.Close()
		}
	}()
}

// reach reports whether from reaches to's port 7 within 300 ms.
func reach(from ctr, to netip.Addr) bool {
	var got []byte
	err := InNamespace(int(from.ns.Fd()), func() error {
		conn, err := net.DialTimeout("tcp4", net.JoinHostPort(to.String(), "7"), 300*time.Millisecond)
		if err != nil {
			return err
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(time.Second))
		got, err = io.ReadAll(conn)
		return err
	})
	return err == nil && string(got) == "hello"
}

func network(id string, third byte, icc, internal bool) backend.Network {
	sub := netip.MustParsePrefix(fmt.Sprintf("10.99.%d.0/24", third))
	return backend.Network{ID: id, Name: id, Bridge: "tbt" + id, Subnet: sub, Gateway: sub.Addr().Next(), ICC: icc, Internal: internal}
}

// TestIsolation: containers on one bridge reach each other, on two
// bridges of one daemon only until the daemon's rules are in, never on an
// ICC-off bridge, and an internal network's containers reach no other;
// closing the firewall leaves no table.
func TestIsolation(t *testing.T) {
	inMachine(t, func(t *testing.T) {
		nets := []backend.Network{network("a", 1, true, false), network("b", 2, true, false), network("c", 3, false, false), network("i", 4, true, true)}
		ctrs := map[string][2]ctr{}
		for _, n := range nets {
			if err := CreateBridge(n); err != nil {
				t.Fatal(err)
			}
			c := [2]ctr{newCtr(t, n, 2), newCtr(t, n, 3)}
			c[1].listen(t)
			ctrs[n.ID] = c
		}
		a, b, c, i := ctrs["a"], ctrs["b"], ctrs["c"], ctrs["i"]
		if !reach(a[0], a[1].addr) {
			t.Error("a → a: not reached, want reached")
		}
		if !reach(a[0], b[1].addr) {
			t.Fatal("a → b before the rules: not reached; the machine does not route, the test proves nothing")
		}
		if reach(c[0], c[1].addr) {
			t.Error("c → c with ICC off: reached, want not")
		}
		fw, err := OpenFirewall("test")
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range nets {
			if err := fw.AddBridge(n.Bridge, n.Internal); err != nil {
				t.Fatal(err)
			}
		}
		for _, tc := range []struct {
			name string
			from ctr
			to   netip.Addr
			want bool
		}{
			{"a → a", a[0], a[1].addr, true},
			{"a → b", a[0], b[1].addr, false},
			{"b → a", b[0], a[1].addr, false},
			{"i → i", i[0], i[1].addr, true},
			{"a → i", a[0], i[1].addr, false},
			{"c → c", c[0], c[1].addr, false},
		} {
			if got := reach(tc.from, tc.to); got != tc.want {
				t.Errorf("%s: reached %v, want %v", tc.name, got, tc.want)
			}
		}
		if err := fw.RemoveBridge("tbtb"); err != nil {
			t.Fatal(err)
		}
		if err := fw.RemoveBridge("tbta"); err != nil {
			t.Fatal(err)
		}
		if !reach(a[0], b[1].addr) {
			t.Error("a → b once their rules are gone: not reached")
		}
		if err := fw.Close(); err != nil {
			t.Fatal(err)
		}
		conn, _ := nftables.New()
		tables, _ := conn.ListTables()
		for _, tb := range tables {
			if strings.HasPrefix(tb.Name, "twinbox-") {
				t.Errorf("table %s left after Close", tb.Name)
			}
		}
	})
}

// TestProxy: a published port reaches the container from the machine's
// 127.0.0.1, a taken port fails with dockerd's error, and nothing listens
// once the proxy is closed. It runs in the machine's own namespace, as
// the daemon's proxies do (their connections to containers start on any
// thread).
func TestProxy(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: network namespaces and bridges")
	}
	n := network("p", 5, true, false)
	n.Bridge = fmt.Sprintf("tbtp%d", os.Getpid()%100000)
	if err := CreateBridge(n); err != nil {
		t.Skipf("no bridge with 10.99.5.0/24 here: %v", err)
	}
	t.Cleanup(func() { RemoveBridge(n.Bridge) })
	c := newCtr(t, n, 2)
	c.listen(t)
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	m := backend.PortMapping{Proto: "tcp", ContainerPort: 7, HostIP: netip.IPv4Unspecified(), HostPort: uint16(port), ContainerIP: c.addr}
	p, err := StartProxy(m)
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	if got := dial(t, addr); got != "hello" {
		t.Errorf("%s: got %q, want hello", addr, got)
	}
	_, err = StartProxy(m)
	want := fmt.Sprintf("Error starting userland proxy: listen tcp4 0.0.0.0:%d: bind: address already in use", port)
	if err == nil || err.Error() != want || !backend.IsConflict(err) {
		t.Errorf("second proxy on %d: got %v, want Conflict %q", port, err, want)
	}
	p.Close()
	if conn, err := net.DialTimeout("tcp4", addr, time.Second); err == nil {
		conn.Close()
		t.Errorf("%s answers after Close", addr)
	}
}

// TestProxyUDP: a published UDP port carries datagrams to the container
// and its replies back to the sender.
func TestProxyUDP(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: network namespaces and bridges")
	}
	n := network("u", 7, true, false)
	n.Bridge = fmt.Sprintf("tbtu%d", os.Getpid()%100000)
	if err := CreateBridge(n); err != nil {
		t.Skipf("no bridge with 10.99.7.0/24 here: %v", err)
	}
	t.Cleanup(func() { RemoveBridge(n.Bridge) })
	c := newCtr(t, n, 2)
	var pc net.PacketConn
	if err := InNamespace(int(c.ns.Fd()), func() (err error) {
		pc, err = net.ListenPacket("udp4", ":53")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	go func() { // an upper-casing echo
		buf := make([]byte, 512)
		for {
			k, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo([]byte(strings.ToUpper(string(buf[:k]))), from)
		}
	}()
	probe, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := probe.LocalAddr().(*net.UDPAddr).Port
	probe.Close()
	p, err := StartProxy(backend.PortMapping{Proto: "udp", ContainerPort: 53, HostIP: netip.IPv4Unspecified(), HostPort: uint16(port), ContainerIP: c.addr})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	conn, err := net.Dial("udp4", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, msg := range []string{"one", "two"} {
		conn.Write([]byte(msg))
		conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		buf := make([]byte, 64)
		k, err := conn.Read(buf)
		if got, want := string(buf[:k]), strings.ToUpper(msg); err != nil || got != want {
			t.Errorf("reply to %q: got %q, %v; want %q", msg, got, err, want)
		}
	}
}

func dial(t *testing.T, addr string) string {
	t.Helper()
	conn, err := net.DialTimeout("tcp4", addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * time.Second))
	b, _ := io.ReadAll(conn)
	return string(b)
}

// query sends an A or AAAA query for name to 127.0.0.11 in c's namespace
// and returns the response code and the addresses answered.
func query(t *testing.T, c ctr, name string, qtype uint16) (int, []netip.Addr) {
	t.Helper()
	msg := []byte{0x12, 0x34, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0}
	for _, l := range strings.Split(name, ".") {
		msg = append(msg, byte(len(l)))
		msg = append(msg, l...)
	}
	msg = append(msg, 0)
	msg = binary.BigEndian.AppendUint16(msg, qtype)
	msg = binary.BigEndian.AppendUint16(msg, 1)
	var resp []byte
	err := InNamespace(int(c.ns.Fd()), func() error {
		conn, err := net.Dial("udp4", DNSAddr)
		if err != nil {
			return err
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(2 * time.Second))
		conn.Write(msg)
		buf := make([]byte, 512)
		n, err := conn.Read(buf)
		resp = buf[:n]
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp) < 12 || resp[0] != 0x12 || resp[1] != 0x34 || resp[2]&0x80 == 0 {
		t.Fatalf("response %x: not a response to the query", resp)
	}
	var addrs []netip.Addr
	an := int(binary.BigEndian.Uint16(resp[6:]))
	off := len(msg)
	for k := 0; k < an; k++ {
		if off+16 > len(resp) {
			t.Fatalf("response %x: short answer", resp)
		}
		a, _ := netip.AddrFromSlice(resp[off+12 : off+16])
		addrs = append(addrs, a)
		off += 16
	}
	return int(resp[3] & 0xf), addrs
}

// TestDNS: the embedded server answers the resolver's names, NXDOMAIN for
// others, an empty answer for AAAA of a known name; nothing listens once
// it is closed.
func TestDNS(t *testing.T) {
	inMachine(t, func(t *testing.T) {
		n := network("d", 6, true, false)
		if err := CreateBridge(n); err != nil {
			t.Fatal(err)
		}
		c := newCtr(t, n, 2)
		db := netip.MustParseAddr("10.99.6.3")
		s, err := StartDNS(int(c.ns.Fd()), func(name string) []netip.Addr {
			if strings.EqualFold(name, "db") {
				return []netip.Addr{db}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if code, addrs := query(t, c, "db", typeA); code != rcodeOK || len(addrs) != 1 || addrs[0] != db {
			t.Errorf("A db: got rcode %d %v, want 0 [%s]", code, addrs, db)
		}
		if code, addrs := query(t, c, "DB", typeAAAA); code != rcodeOK || len(addrs) != 0 {
			t.Errorf("AAAA DB: got rcode %d %v, want 0 []", code, addrs)
		}
		if code, _ := query(t, c, "nosuch", typeA); code != rcodeNX {
			t.Errorf("A nosuch: got rcode %d, want %d", code, rcodeNX)
		}
		s.Close()
		err = InNamespace(int(c.ns.Fd()), func() error {
			conn, err := net.DialTimeout("tcp4", DNSAddr, time.Second)
			if err == nil {
				conn.Close()
				return errors.New("connected")
			}
			return nil
		})
		if err != nil {
			t.Error("127.0.0.11:53 still answers over TCP after Close")
		}
	})
}

// TestPortFree: a port another socket listens on is not free; once it is
// closed it is.
func TestPortFree(t *testing.T) {
	ln, err := net.Listen("tcp4", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	port := uint16(ln.Addr().(*net.TCPAddr).Port)
	any4 := netip.IPv4Unspecified()
	if PortFree("tcp", any4, port) {
		t.Errorf("tcp %d is free while a listener holds it", port)
	}
	ln.Close()
	if !PortFree("tcp", any4, port) {
		t.Errorf("tcp %d is not free after its listener closed", port)
	}
}

// outsideHost is a host on another network of the machine: a namespace
// behind a veth, 10.98.0.2/24, with no route to the containers' subnets,
// serving "hello" on port 7.
func outsideHost(t *testing.T) netip.Addr {
	t.Helper()
	ns, err := NewNamespace()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close() })
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "tbout0"}, PeerName: "tbout1"}
	if err := netlink.LinkAdd(veth); err != nil {
		t.Fatal(err)
	}
	peer, err := netlink.LinkByName("tbout1")
	if err != nil {
		t.Fatal(err)
	}
	if err := netlink.LinkSetNsFd(peer, int(ns.Fd())); err != nil {
		t.Fatal(err)
	}
	addr, _ := netlink.ParseAddr("10.98.0.1/24")
	if err := netlink.AddrAdd(veth, addr); err != nil {
		t.Fatal(err)
	}
	netlink.LinkSetUp(veth)
	if err := InNamespace(int(ns.Fd()), func() error {
		l, err := netlink.LinkByName("tbout1")
		if err != nil {
			return err
		}
		a, _ := netlink.ParseAddr("10.98.0.2/24")
		if err := netlink.AddrAdd(l, a); err != nil {
			return err
		}
		return netlink.LinkSetUp(l)
	}); err != nil {
		t.Fatal(err)
	}
	LoopbackUp(int(ns.Fd()))
	out := ctr{ns: ns, addr: netip.MustParseAddr("10.98.0.2")}
	out.listen(t)
	return out.addr
}

// TestMasquerade: a container reaches a host on another of the machine's
// networks once the daemon's rules are in, with the machine's address
// (the host has no route back to the container's subnet), also where
// Docker's FORWARD chain drops what it does not accept; an internal
// network's does not, nor any once the bridge's rules are gone.
func TestMasquerade(t *testing.T) {
	inMachine(t, func(t *testing.T) {
		n, in := network("m", 5, true, false), network("n", 6, true, true)
		for _, net := range []backend.Network{n, in} {
			if err := CreateBridge(net); err != nil {
				t.Fatal(err)
			}
		}
		c, ci := newCtr(t, n, 2), newCtr(t, in, 2)
		out := outsideHost(t)
		if reach(c, out) {
			t.Fatal("reached the outside host before any rule: it routes back, the test proves nothing")
		}
		// Docker's FORWARD chain, with its drop policy.
		conn, _ := nftables.New()
		filter := conn.AddTable(&nftables.Table{Family: nftables.TableFamilyIPv4, Name: "filter"})
		drop := nftables.ChainPolicyDrop
		conn.AddChain(&nftables.Chain{Name: "FORWARD", Table: filter, Type: nftables.ChainTypeFilter,
			Hooknum: nftables.ChainHookForward, Priority: nftables.ChainPriorityFilter, Policy: &drop})
		if err := conn.Flush(); err != nil {
			t.Fatal(err)
		}
		fw, err := OpenFirewall("test")
		if err != nil {
			t.Fatal(err)
		}
		defer fw.Close()
		for _, net := range []backend.Network{n, in} {
			if err := fw.AddBridge(net.Bridge, net.Internal); err != nil {
				t.Fatal(err)
			}
		}
		if !reach(c, out) {
			t.Error("bridge → outside host with the rules: not reached, want reached")
		}
		if reach(ci, out) {
			t.Error("internal network → outside host: reached, want not")
		}
		if err := fw.RemoveBridge(n.Bridge); err != nil {
			t.Fatal(err)
		}
		if reach(c, out) {
			t.Error("bridge → outside host once its rules are gone: reached, want not")
		}
	})
}
