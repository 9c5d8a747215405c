package engine

import (
	"net/netip"
	"testing"
)

// TestRandomPortSkipsBusy: a random host port the machine has taken
// (backend.PortChecker) is skipped, as dockerd retries another when its
// proxy cannot bind; a port asked for by number is not checked.
func TestRandomPortSkipsBusy(t *testing.T) {
	pa := newPortAllocator()
	busy := map[uint16]bool{ephemeralFirst: true, ephemeralFirst + 1: true}
	pa.free = func(b portBinding, port uint16) bool { return !busy[port] }
	b := portBinding{Proto: "tcp", HostIP: netip.IPv4Unspecified()}
	if p, err := pa.request(b, 0, 0); err != nil || p != ephemeralFirst+2 {
		t.Fatalf("random port: got %d, %v; want %d", p, err, ephemeralFirst+2)
	}
	if p, err := pa.request(b, 0, 0); err != nil || p != ephemeralFirst+3 {
		t.Fatalf("next random port: got %d, %v; want %d", p, err, ephemeralFirst+3)
	}
	if p, err := pa.request(b, ephemeralFirst, ephemeralFirst); err != nil || p != ephemeralFirst {
		t.Fatalf("port asked for by number: got %d, %v", p, err)
	}
	for p := range uint16(3) {
		busy[8000+p] = true
	}
	if _, err := pa.request(b, 8000, 8002); err == nil || err.Error() != "all ports are allocated" {
		t.Fatalf("a range with every port busy: got %v", err)
	}
}
