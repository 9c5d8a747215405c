package netsim

import (
	"context"
	"errors"
	"io"
	"net/netip"
	"strings"
	"syscall"
	"testing"
)

var (
	gw17 = netip.MustParsePrefix("172.17.0.1/16")
	gw18 = netip.MustParsePrefix("172.18.0.1/16")
)

func attach(t *testing.T, n *Net, s *Stack, br, addr string) {
	t.Helper()
	p := netip.MustParsePrefix(addr)
	gw := p.Masked().Addr().Next()
	if err := n.Attach(s, Endpoint{Bridge: br, IfName: "eth0", Address: p, Gateway: gw}); err != nil {
		t.Fatal(err)
	}
}

func TestIndexesAsLinux(t *testing.T) {
	n := New()
	n.AddBridge("docker0", gw17, true, false)
	a, b := n.NewStack(), n.NewStack()
	attach(t, n, a, "docker0", "172.17.0.2/16")
	attach(t, n, b, "docker0", "172.17.0.3/16")
	type row struct {
		idx  int
		name string
		peer int
	}
	var got []row
	for _, l := range n.Host().Links() {
		r := row{l.Index, l.Name, 0}
		if l.Peer != nil {
			r.peer = l.Peer.Index
		}
		got = append(got, r)
	}
	// lo 1, eth0 2, docker0 3, then a's pair 4 (moved) and 5, b's 6 and 7.
	want := []int{1, 2, 3, 5, 7}
	if len(got) != len(want) {
		t.Fatalf("got host links %v, want indexes %v", got, want)
	}
	for i, r := range got {
		if r.idx != want[i] {
			t.Errorf("got host link %d index %d, want %d", i, r.idx, want[i])
		}
	}
	if got[3].peer != 4 || got[4].peer != 6 {
		t.Errorf("got peers %d %d, want 4 6", got[3].peer, got[4].peer)
	}
	al := a.Links()
	if len(al) != 2 || al[1].Index != 4 || al[1].Name != "eth0" || al[1].Peer.Index != 5 {
		t.Errorf("got container links %+v, want lo and eth0 index 4 peer 5", al)
	}
	if name, ok := a.LinkName(5); ok || name != "if5" {
		t.Errorf("got LinkName(5) %q %v, want if5 false", name, ok)
	}
}

func TestReach(t *testing.T) {
	n := New()
	n.AddBridge("docker0", gw17, true, false)
	n.AddBridge("br-app", gw18, true, false)
	n.AddBridge("br-quiet", netip.MustParsePrefix("172.19.0.1/16"), false, false)
	a, b, c := n.NewStack(), n.NewStack(), n.NewStack()
	attach(t, n, a, "docker0", "172.17.0.2/16")
	attach(t, n, b, "docker0", "172.17.0.3/16")
	attach(t, n, c, "br-app", "172.18.0.2/16")
	q1, q2 := n.NewStack(), n.NewStack()
	attach(t, n, q1, "br-quiet", "172.19.0.2/16")
	attach(t, n, q2, "br-quiet", "172.19.0.3/16")
	none := n.NewStack()
	tests := []struct {
		name string
		from *Stack
		dst  string
		ok   bool
		err  error
	}{
		{"same bridge", a, "172.17.0.3", true, nil},
		{"itself", a, "172.17.0.2", true, nil},
		{"loopback", a, "127.0.0.1", true, nil},
		{"gateway", a, "172.17.0.1", true, nil},
		{"host address", a, "10.0.2.15", true, nil},
		{"other bridge's gateway is the host's", a, "172.18.0.1", true, nil},
		{"container on another bridge", a, "172.18.0.2", false, nil},
		{"no one has it", a, "172.17.0.9", false, nil},
		{"outside world", a, "8.8.8.8", false, nil},
		{"host to container", n.Host(), "172.18.0.2", true, nil},
		{"icc off", q1, "172.19.0.3", false, nil},
		{"icc off, gateway", q1, "172.19.0.1", true, nil},
		{"none has no route", none, "172.17.0.2", false, syscall.ENETUNREACH},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := tt.from.Reach(netip.MustParseAddr(tt.dst))
			if ok != tt.ok || !errors.Is(err, tt.err) && err != tt.err {
				t.Errorf("got %v %v, want %v %v", ok, err, tt.ok, tt.err)
			}
		})
	}
	n.Detach(b, "eth0")
	if ok, _ := a.Reach(netip.MustParseAddr("172.17.0.3")); ok {
		t.Error("got a detached container reachable")
	}
	if br, _ := n.Bridge("docker0"); len(br.Ports()) != 1 {
		t.Errorf("got %d ports on docker0 after a detach, want 1", len(br.Ports()))
	}
}

func TestDialPublished(t *testing.T) {
	ctx := context.Background()
	n := New()
	n.AddBridge("docker0", gw17, true, false)
	c := n.NewStack()
	attach(t, n, c, "docker0", "172.17.0.2/16")
	l, err := c.Listen(netip.MustParseAddrPort("0.0.0.0:80"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Listen(netip.MustParseAddrPort("127.0.0.1:80")); err != syscall.EADDRINUSE {
		t.Errorf("got %v for a second listener on port 80, want EADDRINUSE", err)
	}
	if _, err := n.Host().Dial(ctx, netip.MustParseAddrPort("127.0.0.1:8080")); err != syscall.ECONNREFUSED {
		t.Errorf("got %v before publishing, want ECONNREFUSED", err)
	}
	if err := n.Publish(netip.MustParseAddrPort("0.0.0.0:8080"), netip.MustParseAddrPort("172.17.0.2:80")); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Host().Listen(netip.MustParseAddrPort("127.0.0.1:8080")); err != syscall.EADDRINUSE {
		t.Errorf("got %v listening on a published port, want EADDRINUSE", err)
	}
	go func() {
		conn, err := l.Accept(ctx)
		if err != nil {
			return
		}
		io.WriteString(conn, "hello")
		conn.Close()
	}()
	conn, err := n.Host().Dial(ctx, netip.MustParseAddrPort("127.0.0.1:8080"))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(conn)
	if string(got) != "hello" {
		t.Errorf("got %q through the published port, want hello", got)
	}
	n.Destroy(c)
	if _, err := n.Host().Dial(ctx, netip.MustParseAddrPort("172.17.0.2:80")); err != syscall.EHOSTUNREACH {
		t.Errorf("got %v dialing a destroyed stack, want EHOSTUNREACH", err)
	}
}

func TestLookup(t *testing.T) {
	n := New()
	n.AddBridge("docker0", gw17, true, false)
	n.AddBridge("br-int", gw18, true, true)
	a, user, internal, none := n.NewStack(), n.NewStack(), n.NewStack(), n.NewStack()
	attach(t, n, a, "docker0", "172.17.0.2/16")
	attach(t, n, user, "docker0", "172.17.0.3/16")
	attach(t, n, internal, "br-int", "172.18.0.2/16")
	user.SetDNS(func(name string) []netip.Addr {
		if name == "db" {
			return []netip.Addr{netip.MustParseAddr("172.17.0.9")}
		}
		return nil
	})
	tests := []struct {
		name   string
		from   *Stack
		server netip.Addr
		want   string
		err    error
	}{
		{"embedded knows it", user, EmbeddedDNS, "172.17.0.9", nil},
		{"embedded forwards upstream", user, EmbeddedDNS, "", ErrNXDomain},
		{"no embedded server on the default bridge", a, EmbeddedDNS, "", syscall.ETIMEDOUT},
		{"upstream through the NAT", a, UpstreamDNS, "", ErrNXDomain},
		{"upstream from the host", n.Host(), UpstreamDNS, "", ErrNXDomain},
		{"an internal network has no way out", internal, UpstreamDNS, "", syscall.ETIMEDOUT},
		{"no route", none, UpstreamDNS, "", syscall.ENETUNREACH},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := "db"
			if tt.name == "embedded forwards upstream" {
				q = "nosuch"
			}
			addrs, err := tt.from.Lookup(tt.server, q)
			got := ""
			if len(addrs) > 0 {
				got = addrs[0].String()
			}
			if got != tt.want || !errors.Is(err, tt.err) && err != tt.err {
				t.Errorf("got %q %v, want %q %v", got, err, tt.want, tt.err)
			}
		})
	}
}

func TestCounters(t *testing.T) {
	ctx := context.Background()
	n := New()
	n.AddBridge("docker0", gw17, true, false)
	a, b := n.NewStack(), n.NewStack()
	attach(t, n, a, "docker0", "172.17.0.2/16")
	attach(t, n, b, "docker0", "172.17.0.3/16")
	eth := func(s *Stack) Link { return s.Links()[1] }
	a.Reach(netip.MustParseAddr("172.17.0.3"))
	if got, want := eth(a).Stats, (LinkStats{1, 98, 1, 98}); got != want {
		t.Errorf("a's eth0 after a ping of b: got %+v, want %+v", got, want)
	}
	if got, want := eth(a).Peer.Stats, (LinkStats{1, 98, 1, 98}); got != want {
		t.Errorf("a's host veth after a ping of b: got %+v, want %+v", got, want)
	}
	a.Reach(netip.MustParseAddr("127.0.0.1"))
	if got, want := a.Links()[0].Stats, (LinkStats{2, 196, 2, 196}); got != want {
		t.Errorf("a's lo after a ping of itself: got %+v, want %+v", got, want)
	}
	l, _ := b.Listen(netip.MustParseAddrPort("0.0.0.0:80"))
	go func() {
		c, err := l.Accept(ctx)
		if err == nil {
			io.WriteString(c, strings.Repeat("x", 2000))
			c.Close()
		}
	}()
	c, err := n.Host().Dial(ctx, netip.MustParseAddrPort("172.17.0.3:80"))
	if err != nil {
		t.Fatal(err)
	}
	io.ReadAll(c)
	c.Close()
	// The ping: 98 in, 98 out. SYN 74 in, SYN-ACK 74 out, ACK 66 in;
	// 2000 bytes out in two segments (1448+66, 552+66) and an ACK in;
	// b's FIN out and its ACK in; the host's FIN in and its ACK out.
	want := LinkStats{RxPackets: 6, RxBytes: 98 + 74 + 66 + 66 + 66 + 66,
		TxPackets: 6, TxBytes: 98 + 74 + 1514 + 618 + 66 + 66}
	if got := eth(b).Stats; got != want {
		t.Errorf("b's eth0 after serving 2000 bytes to the host: got %+v, want %+v", got, want)
	}
}

func TestConnections(t *testing.T) {
	ctx := context.Background()
	n := New()
	n.AddBridge("docker0", gw17, true, false)
	web, client := n.NewStack(), n.NewStack()
	attach(t, n, web, "docker0", "172.17.0.2/16")
	attach(t, n, client, "docker0", "172.17.0.3/16")
	l, err := web.Listen(netip.MustParseAddrPort("[::]:80"))
	if err != nil {
		t.Fatal(err)
	}
	if got := web.Listeners(); len(got) != 1 || got[0].String() != "[::]:80" {
		t.Errorf("got listeners %v, want [::]:80", got)
	}
	n.Publish(netip.MustParseAddrPort("0.0.0.0:8080"), netip.MustParseAddrPort("172.17.0.2:80"))
	a, err := client.Dial(ctx, netip.MustParseAddrPort("172.17.0.2:80"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := client.Dial(ctx, netip.MustParseAddrPort("172.17.0.1:8080"))
	if err != nil {
		t.Fatal(err)
	}
	str := func(es []Endpoint4) string {
		var out []string
		for _, e := range es {
			out = append(out, e.Local.String()+"-"+e.Foreign.String())
		}
		return strings.Join(out, " ")
	}
	if got, want := str(client.Connections()), "172.17.0.3:32768-172.17.0.2:80 172.17.0.3:32769-172.17.0.1:8080"; got != want {
		t.Errorf("client's connections: got %s, want %s", got, want)
	}
	// The published port's connection comes from the host's end of the
	// bridge, as docker-proxy makes it.
	if got, want := str(web.Connections()), "172.17.0.2:80-172.17.0.1:32770 172.17.0.2:80-172.17.0.3:32768"; got != want {
		t.Errorf("web's connections: got %s, want %s", got, want)
	}
	a.Close()
	b.Close()
	if got := str(client.Connections()); got != "" {
		t.Errorf("client's connections after close: got %s", got)
	}
	l.Close()
}
