package enginetest

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"

	"github.com/twinbox-dev/twinbox/shared/api/wire"
	"github.com/twinbox-dev/twinbox/shared/engine"
)

// The network cases look at the network the way a learner does, from
// inside busybox containers (ip, ping, wget, /etc/hosts), so that the same
// checks hold for the simulator's model and a real kernel's stack.

func init() {
	register("NetworkBridgeAddress", testNetworkBridgeAddress)
	register("NetworkNone", testNetworkNone)
	register("NetworkUserDefinedNames", testNetworkUserDefinedNames)
	register("NetworkLinks", testNetworkLinks)
	register("NetworkPublishedPort", testNetworkPublishedPort)
}

// runHC runs busybox with cmd and hc and returns its exit code and output.
func (f *fixture) runHC(hc *container.HostConfig, cmd ...string) (int, string) {
	f.t.Helper()
	id := f.create("", &container.Config{Cmd: cmd}, hc)
	code := f.startWait(id)
	return code, f.logs(id, engine.LogsOptions{Stdout: true, Stderr: true})
}

// startDetached starts a long-running container and returns its ID.
func (f *fixture) startDetached(name string, hc *container.HostConfig, cmd ...string) string {
	f.t.Helper()
	id := f.create(name, &container.Config{Cmd: cmd}, hc)
	if err := f.e.ContainerStart(f.ctx, id); err != nil {
		f.t.Fatalf("start %s: %v", name, err)
	}
	return id
}

// endpoint returns the container's address and gateway on network net.
func (f *fixture) endpoint(id, net string) (addr, gw netip.Addr) {
	f.t.Helper()
	j, err := f.e.ContainerInspect(f.ctx, id, false)
	if err != nil {
		f.t.Fatalf("inspect %s: %v", id, err)
	}
	if j.NetworkSettings == nil || j.NetworkSettings.Networks[net] == nil {
		f.t.Fatalf("inspect %s: not on network %s", id, net)
	}
	ep := j.NetworkSettings.Networks[net]
	return ep.IPAddress, ep.Gateway
}

// subnet returns network net's first subnet.
func (f *fixture) subnet(net string) netip.Prefix {
	f.t.Helper()
	n, err := f.e.NetworkInspect(f.ctx, net)
	if err != nil || len(n.IPAM.Config) == 0 {
		f.t.Fatalf("inspect network %s: %v %+v", net, err, n.IPAM)
	}
	p, err := netip.ParsePrefix(n.IPAM.Config[0].Subnet)
	if err != nil {
		f.t.Fatalf("network %s subnet %q: %v", net, n.IPAM.Config[0].Subnet, err)
	}
	return p
}

// testNetworkBridgeAddress: a container on the default bridge has eth0 with
// an address of the bridge's subnet, the one inspect reports, and a default
// route through the bridge's gateway; it reaches another container there.
func testNetworkBridgeAddress(t *testing.T, f *fixture) {
	sub := f.subnet("bridge")
	peer := f.startDetached("peer", nil, "sleep", "300")
	peerIP, gw := f.endpoint(peer, "bridge")
	if !sub.Contains(peerIP) || !sub.Contains(gw) {
		t.Fatalf("inspect: got address %s gateway %s, want both in %s", peerIP, gw, sub)
	}
	id := f.create("", &container.Config{Cmd: []string{"sh", "-c", "ip -4 -o addr show eth0; ip route; ping -c 1 -W 2 " + peerIP.String()}}, nil)
	code := f.startWait(id)
	out := f.logs(id, engine.LogsOptions{Stdout: true, Stderr: true})
	if code != 0 {
		t.Fatalf("ip and ping in a container: exit %d:\n%s", code, out)
	}
	lines := strings.Split(out, "\n")
	f4 := strings.Fields(lines[0])
	if len(f4) < 4 || f4[1] != "eth0" || f4[2] != "inet" {
		t.Fatalf("ip -4 -o addr show eth0: got %q", lines[0])
	}
	p, err := netip.ParsePrefix(f4[3])
	if err != nil || p.Bits() != sub.Bits() || !sub.Contains(p.Addr()) || p.Addr() == peerIP {
		t.Errorf("eth0's address: got %s, want a new one in %s", f4[3], sub)
	}
	if want := fmt.Sprintf("default via %s dev eth0 ", gw); lines[1] != want {
		t.Errorf("ip route: got %q, want %q", lines[1], want)
	}
	if want := fmt.Sprintf("%s dev eth0 scope link  src %s ", sub, p.Addr()); lines[2] != want {
		t.Errorf("ip route: got %q, want %q", lines[2], want)
	}
	if !strings.Contains(out, "1 packets transmitted, 1 packets received, 0% packet loss") {
		t.Errorf("ping of a container on the same bridge: got\n%s", out)
	}
}

// testNetworkNone: --net none leaves only the loopback interface, and no
// route anywhere.
func testNetworkNone(t *testing.T, f *fixture) {
	code, out := f.runHC(&container.HostConfig{NetworkMode: "none"}, "sh", "-c", "ip -o link | cut -d' ' -f2; ping -c 1 -W 1 8.8.8.8")
	want := "lo:\nPING 8.8.8.8 (8.8.8.8): 56 data bytes\nping: sendto: Network is unreachable\n"
	if code != 1 || out != want {
		t.Errorf("--net none: got exit %d %q, want exit 1 %q", code, out, want)
	}
}

// testNetworkUserDefinedNames: on a user-defined network containers find
// each other by name through the embedded DNS; a container on the default
// bridge finds no such name and cannot reach the other network.
func testNetworkUserDefinedNames(t *testing.T, f *fixture) {
	if _, err := f.e.NetworkCreate(f.ctx, wire.NetworkCreateRequest{Name: "appnet", CheckDuplicate: true}); err != nil {
		t.Fatal(err)
	}
	db := f.startDetached("db", &container.HostConfig{NetworkMode: "appnet"}, "sleep", "300")
	t.Cleanup(func() {
		// The bridge goes too, natively a real interface.
		f.e.ContainerRemove(f.ctx, db, engine.RemoveOptions{Force: true})
		if err := f.e.NetworkRemove(f.ctx, "appnet"); err != nil {
			t.Errorf("remove appnet: %v", err)
		}
	})
	dbIP, _ := f.endpoint(db, "appnet")
	code, out := f.runHC(&container.HostConfig{NetworkMode: "appnet"}, "ping", "-c", "1", "-W", "2", "db")
	if want := fmt.Sprintf("PING db (%s): 56 data bytes\n", dbIP); code != 0 || !strings.HasPrefix(out, want) {
		t.Errorf("ping db on appnet: got exit %d %q, want exit 0 and %q first", code, out, want)
	}
	code, out = f.runHC(nil, "ping", "-c", "1", "-W", "1", "db")
	if want := "ping: bad address 'db'\n"; code != 1 || out != want {
		t.Errorf("ping db from the default bridge: got exit %d %q, want exit 1 %q", code, out, want)
	}
	code, out = f.runHC(nil, "ping", "-c", "1", "-W", "1", dbIP.String())
	if !strings.Contains(out, "1 packets transmitted, 0 packets received, 100% packet loss") || code != 1 {
		t.Errorf("ping across networks: got exit %d %q, want 100%% packet loss, exit 1", code, out)
	}
}

// testNetworkLinks: --link gives the alias in /etc/hosts and Docker's
// environment variables, and the alias answers.
func testNetworkLinks(t *testing.T, f *fixture) {
	web := f.create("web", &container.Config{Cmd: []string{"httpd", "-f", "-p", "80"},
		ExposedPorts: network.PortSet{network.MustParsePort("80/tcp"): {}}}, nil)
	if err := f.e.ContainerStart(f.ctx, web); err != nil {
		t.Fatal(err)
	}
	webIP, _ := f.endpoint(web, "bridge")
	code, out := f.runHC(&container.HostConfig{Links: []string{"web:db"}}, "sh", "-c",
		"env | grep ^DB_PORT_80 | sort; grep -w db /etc/hosts | cut -f2-; ping -c 1 -W 2 db | head -1")
	want := fmt.Sprintf("DB_PORT_80_TCP=tcp://%[1]s:80\nDB_PORT_80_TCP_ADDR=%[1]s\nDB_PORT_80_TCP_PORT=80\nDB_PORT_80_TCP_PROTO=tcp\n", webIP)
	re := regexp.MustCompile("^" + regexp.QuoteMeta(want) + `db [0-9a-f]{12} web\n` + regexp.QuoteMeta(fmt.Sprintf("PING db (%s): 56 data bytes\n", webIP)) + "$")
	if code != 0 || !re.MatchString(out) {
		t.Errorf("--link web:db: got exit %d\n%s\nwant /%s/", code, out, re)
	}
}

// publishedPort is the host port the published-port case uses; a free one
// on a test machine.
const publishedPort = 18481

// testNetworkPublishedPort: httpd in a container published with -p is
// reachable at the host's side of the bridge on the published port (as
// docker-proxy or the DNAT rules carry it) and directly at the container's
// address; the port is refused once the container is gone.
func testNetworkPublishedPort(t *testing.T, f *fixture) {
	hc := &container.HostConfig{PortBindings: network.PortMap{
		network.MustParsePort("80/tcp"): {{HostPort: fmt.Sprint(publishedPort)}},
	}}
	web := f.create("web", &container.Config{
		Cmd:          []string{"sh", "-c", "echo hello from web > /index.html; exec httpd -f -p 80 -h /"},
		ExposedPorts: network.PortSet{network.MustParsePort("80/tcp"): {}},
	}, hc)
	if err := f.e.ContainerStart(f.ctx, web); err != nil {
		t.Fatal(err)
	}
	webIP, gw := f.endpoint(web, "bridge")
	get := func(url string) (int, string) {
		// httpd may take a moment to listen after the shell starts it.
		return f.runHC(nil, "sh", "-c", "for i in 1 2 3 4 5; do wget -q -O- "+url+" && exit 0; sleep 1; done; exit 1")
	}
	if code, out := get(fmt.Sprintf("http://%s/", webIP)); code != 0 || out != "hello from web\n" {
		t.Errorf("wget of the container's address: got exit %d %q", code, out)
	}
	if code, out := get(fmt.Sprintf("http://%s:%d/", gw, publishedPort)); code != 0 || out != "hello from web\n" {
		t.Errorf("wget of the published port on the gateway: got exit %d %q", code, out)
	}
	if err := f.e.ContainerRemove(f.ctx, web, engine.RemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	code, out := f.runHC(nil, "wget", "-q", "-O-", fmt.Sprintf("http://%s:%d/", gw, publishedPort))
	if want := fmt.Sprintf("wget: can't connect to remote host (%s): Connection refused\n", gw); code != 1 || out != want {
		t.Errorf("wget after the container is gone: got exit %d %q, want exit 1 %q", code, out, want)
	}
}
