package viz

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"

	"github.com/twinbox-dev/twinbox/shared/api/client"
	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/wasm/sim/machine"
)

// simState is a fresh simulated host (busybox loaded) after lines, run
// by its shell, and a client of its engine.
func simState(t *testing.T, lines ...string) *client.Client {
	t.Helper()
	ctx := context.Background()
	m, err := machine.New(ctx, machine.Options{Preload: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	for _, line := range lines {
		var out bytes.Buffer
		p, err := m.Backend.StartHost(ctx, &backend.ProcessSpec{
			Args: []string{"sh", "-c", line},
			Env:  []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root"},
		}, backend.Stdio{Stdout: &out, Stderr: &out})
		if err != nil {
			t.Fatal(err)
		}
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		st, err := p.Wait(wctx)
		cancel()
		if err != nil || st.Code != 0 {
			t.Fatalf("%s: %v, exit %d\n%s", line, err, st.Code, out.String())
		}
	}
	c := client.New(m.Dial)
	t.Cleanup(func() { c.Close() })
	return c
}

// netLines are the lesson's networking steps: the default bridge with a
// published port, a user-defined network, a second network for web,
// --net none, host and container:, and a container never started.
var netLines = []string{
	"docker network create -o com.docker.network.bridge.name=br-appnet appnet",
	"docker run -d --name web -p 8080:80 busybox httpd -f -p 80",
	"docker run -d --name api --net appnet busybox sleep 1000",
	"docker network connect appnet web",
	"docker run -d --name iso --net none busybox sleep 1000",
	"docker run -d --name hostweb --net host busybox sleep 1000",
	"docker run -d --name side --net container:web busybox sleep 1000",
	"docker create --name idle busybox",
}

func TestFetchNetwork(t *testing.T) {
	c := simState(t, netLines...)
	m, err := FetchNetwork(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Bridges) != 2 || m.Bridges[0].Name != "bridge" || m.Bridges[1].Name != "appnet" {
		t.Fatalf("bridges: %+v", m.Bridges)
	}
	def, app := m.Bridges[0], m.Bridges[1]
	if def.Device != "docker0" || def.Subnet != "172.17.0.0/16" || def.Gateway != "172.17.0.1" {
		t.Errorf("default bridge: %+v", def)
	}
	if app.Device != "br-appnet" || app.Gateway == "" || app.Subnet == "" {
		t.Errorf("appnet: %+v", app)
	}
	if len(def.Endpoints) != 1 || def.Endpoints[0].Container != "web" || def.Endpoints[0].Address != "172.17.0.2/16" || def.Endpoints[0].MAC == "" {
		t.Errorf("default bridge's endpoints: %+v", def.Endpoints)
	}
	if len(app.Endpoints) != 2 || app.Endpoints[0].Container != "api" || app.Endpoints[1].Container != "web" {
		t.Errorf("appnet's endpoints: %+v", app.Endpoints)
	}
	modes := map[string]NetContainer{}
	for _, nc := range m.Containers {
		modes[nc.Name] = nc
	}
	for name, want := range map[string]string{"web": "bridge", "api": "bridge", "iso": "none", "hostweb": "host", "side": "container"} {
		if modes[name].Mode != want {
			t.Errorf("%s: mode %q, want %q", name, modes[name].Mode, want)
		}
	}
	if modes["side"].Joins != "web" {
		t.Errorf("side joins %q, want web", modes["side"].Joins)
	}
	if p := modes["web"].Ports; len(p) != 1 || p[0].Port != "80/tcp" || len(p[0].Host) == 0 || p[0].Host[0] != "0.0.0.0:8080" {
		t.Errorf("web's ports: %+v", p)
	}
	if len(m.Stopped) != 1 || m.Stopped[0] != "idle" {
		t.Errorf("stopped: %v", m.Stopped)
	}

	// A network's own bridge name is br- and its ID's first 12 digits.
	c2 := simState(t, "docker network create other")
	m2, err := FetchNetwork(context.Background(), c2)
	if err != nil {
		t.Fatal(err)
	}
	nets, err := c2.NetworkList(context.Background(), client.Filters{"name": {"other"}})
	if err != nil || len(nets) != 1 {
		t.Fatal(nets, err)
	}
	if len(m2.Bridges) != 2 || m2.Bridges[1].Device != "br-"+nets[0].ID[:12] {
		t.Errorf("other: %+v, want device br-%s", m2.Bridges, nets[0].ID[:12])
	}
}

// TestNetworkDrawn checks what a learner reads in the network picture of
// the simulator's state, and compares it with its golden file.
func TestNetworkDrawn(t *testing.T) {
	c := simState(t, netLines...)
	m, err := FetchNetwork(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	svg := Network(m)
	golden(t, "network-sim", svg)
	got := string(svg)
	for _, want := range []string{
		"docker0", "172.17.0.1", "network bridge  172.17.0.0/16", "br-appnet", "network appnet",
		">172.17.0.2/16<", "eth0 172.18.0.2/16", "veth…", "0.0.0.0:8080, [::]:8080 → web:80/tcp",
		"+ side (container:web)", "lo only (--net none)", "--net host: the host&#39;s stack",
		"not running, no network stack: idle", "2 networks, 5 containers running",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("no %q in\n%s", want, got)
		}
	}
	// web is on two networks: its box is on both bridges, with each address
	// and no interface name the API does not give.
	if n := strings.Count(got, ">web</text>"); n != 2 {
		t.Errorf("web drawn %d times, want 2 (one per network)", n)
	}
	if strings.Contains(got, "eth1") || strings.Contains(got, "eth0 172.18.0.3") || strings.Contains(got, "eth0 172.17") {
		t.Errorf("an interface name the API does not give:\n%s", got)
	}
}

// procLines start containers with namespaces of their own, the host's and
// another container's, and one with children.
var procLines = []string{
	"docker run -d --name web --ipc shareable busybox httpd -f -p 80",
	"docker run -d --name side --pid container:web --ipc container:web --net container:web busybox sleep 1000",
	"docker run -d --name hw --pid host --net host --uts host busybox sleep 1000",
	"docker create --name idle busybox",
	// Last, so no host process takes a PID between its children's.
	"docker run -d --name kids busybox sh -c 'sleep 1000 & sleep 1001 & wait'",
}

// procState is the simulator's state after procLines, once kids' sh has
// started its two children (docker run -d returns before).
func procState(t *testing.T) *client.Client {
	c := simState(t, procLines...)
	for i := 0; ; i++ {
		top, err := c.ContainerTop(context.Background(), "kids", nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(top.Processes) >= 3 {
			return c
		}
		if i == 100 {
			t.Fatalf("kids: %v", top.Processes)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestFetchProcesses(t *testing.T) {
	c := procState(t)
	m, err := FetchProcesses(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]NSContainer{}
	var order []string
	for _, nc := range m.Containers {
		by[nc.Name] = nc
		order = append(order, nc.Name)
	}
	if strings.Join(order, " ") != "hw kids side web" {
		t.Fatalf("containers %v, want the running ones by name", order)
	}
	for name, want := range map[string][4]string{
		"web":  {"", "", "", ""},
		"side": {"web", "web", "", "web"},
		"hw":   {"host", "host", "host", ""},
		"kids": {"", "", "", ""},
	} {
		nc := by[name]
		if got := [4]string{nc.PID, nc.Net, nc.UTS, nc.IPC}; got != want {
			t.Errorf("%s: pid, net, uts, ipc %q, want %q", name, got, want)
		}
	}
	web := by["web"]
	if web.Pid == 0 || len(web.Procs) != 1 || web.Procs[0].PID != web.Pid || web.Procs[0].NSPID != 1 || web.Procs[0].Cmd != "httpd -f -p 80" {
		t.Errorf("web: %+v", web)
	}
	// Joining web's PID namespace, side's first process is not PID 1 there.
	if side := by["side"]; len(side.Procs) != 1 || side.Procs[0].NSPID != 0 {
		t.Errorf("side: %+v", side)
	}
	// In the host's PID namespace a PID inside is the host PID.
	if hw := by["hw"]; len(hw.Procs) != 1 || hw.Procs[0].NSPID != hw.Procs[0].PID {
		t.Errorf("hw: %+v", hw)
	}
	kids := by["kids"]
	if len(kids.Procs) != 3 || kids.Procs[0].NSPID != 1 || kids.Procs[1].NSPID != 0 || kids.Procs[1].PPID != kids.Procs[0].PID {
		t.Errorf("kids: %+v", kids)
	}
}

func TestProcessesDrawn(t *testing.T) {
	c := procState(t)
	m, err := FetchProcesses(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	svg := Processes(m)
	golden(t, "processes-sim", svg)
	got := string(svg)
	for _, want := range []string{
		"4 running containers", "pid: its own", "pid: web&#39;s", "net: the host&#39;s", "uts: the host&#39;s", "ipc: web&#39;s",
		"httpd -f -p 80", `x="206" y="252" text-anchor="start">sleep 1000<`, "PID 1 there: web&#39;s first process, host PID 706", "host PID", "PID inside", "first process host PID",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("no %q in\n%s", want, got)
		}
	}
	if strings.Contains(got, "idle") {
		t.Errorf("a container not running is drawn:\n%s", got)
	}
}

// A container linked into another has that link among its names; the
// pictures name it by its own.
func TestContainerNames(t *testing.T) {
	n := containerNames([]container.Summary{{ID: "aaaa1111", Names: []string{"/client/db", "/web"}}, {ID: "bbbb2222", Names: []string{"/client"}}, {ID: "cccc3333"}})
	if n["aaaa1111"] != "web" || n["bbbb2222"] != "client" || n["cccc3333"] != "cccc3333" {
		t.Errorf("names: %v", n)
	}
	for ref, want := range map[string]string{"web": "web", "aaaa1111": "web", "bbbb": "client", "gone": "gone"} {
		if got := n.resolve(ref); got != want {
			t.Errorf("resolve(%q) = %q, want %q", ref, got, want)
		}
	}
}
