package netsim

import "testing"

// TestPeerID: the host's namespace gets an id for a namespace when a veth
// first links them, the lowest free one, kept across a second veth and
// freed when the namespace goes; a namespace with no veth has none.
func TestPeerID(t *testing.T) {
	n := New()
	n.AddBridge("docker0", gw17, true, false)
	n.AddBridge("br-1", gw18, true, false)
	host := n.Host()
	a, none, b := n.NewStack(), n.NewStack(), n.NewStack()
	attach(t, n, a, "docker0", "172.17.0.2/16")
	attach(t, n, b, "docker0", "172.17.0.3/16")
	if err := n.Attach(a, Endpoint{Bridge: "br-1", IfName: "eth1", Address: gw18}); err != nil {
		t.Fatal(err)
	}
	check := func(s *Stack, id int, ok bool) {
		t.Helper()
		if got, gotOK := host.PeerID(s); got != id || gotOK != ok {
			t.Errorf("host.PeerID: got %d %v, want %d %v", got, gotOK, id, ok)
		}
	}
	check(a, 0, true)
	check(b, 1, true)
	check(none, 0, false)
	if _, ok := a.PeerID(b); ok {
		t.Errorf("a has an id for b; only the host's ids are kept")
	}
	n.Destroy(a)
	c := n.NewStack()
	attach(t, n, c, "docker0", "172.17.0.4/16")
	check(c, 0, true)
	check(b, 1, true)
}
