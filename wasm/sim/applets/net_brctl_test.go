package applets

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/twinbox-dev/twinbox/wasm/sim/netsim"
)

// TestBrctlShowFormat prints the bridges of the recorded namespace (see
// testdata/brctl-show.txt) and compares with what the real brctl printed.
func TestBrctlShowFormat(t *testing.T) {
	data, err := os.ReadFile("testdata/brctl-show.txt")
	if err != nil {
		t.Fatal(err)
	}
	_, want, ok := strings.Cut(string(data), "----\n")
	if !ok {
		t.Fatal("no ---- line in testdata/brctl-show.txt")
	}
	docker0 := &netsim.Link{Index: 2, Name: "docker0", Kind: netsim.KindBridge, MAC: "66:88:2c:7b:9a:c0"}
	user := &netsim.Link{Index: 3, Name: "br-abc123", Kind: netsim.KindBridge, MAC: "b2:ed:d2:8c:ac:92"}
	links := []netsim.Link{
		{Index: 1, Name: "lo", Kind: netsim.KindLoopback},
		*docker0, *user,
		{Index: 4, Name: "zz0", Kind: netsim.KindBridge, MAC: "00:00:00:00:00:00"},
		{Index: 6, Name: "veth9f3a2b1", Kind: netsim.KindVeth, Master: docker0},
		{Index: 8, Name: "veth1a2b3c4", Kind: netsim.KindVeth, Master: docker0},
		{Index: 10, Name: "vethccc0001", Kind: netsim.KindVeth, Master: user},
	}
	var got bytes.Buffer
	writeBridges(&got, bridgeRows(links))
	if got.String() != want {
		t.Errorf("got\n%q\nwant\n%q", got.String(), want)
	}
	got.Reset()
	writeBridges(&got, bridgeRows(links[:1]))
	if got.Len() != 0 {
		t.Errorf("no bridges: got %q, want nothing (brctl prints its header before the first bridge)", got.String())
	}
}
