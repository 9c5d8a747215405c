package machine

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/twinbox-dev/twinbox/wasm/sim"
	"github.com/twinbox-dev/twinbox/wasm/sim/applets"
	"github.com/twinbox-dev/twinbox/wasm/sim/applets/busybox"
)

// TestBrctlShow lists the host's bridges with the veths Docker plugged
// into them, read from the network simulator.
func TestBrctlShow(t *testing.T) {
	m := newMachine(t)
	if got, code := host(t, m, "brctl show"); code != 0 ||
		got != "bridge name\tbridge id\t\tSTP enabled\tinterfaces\ndocker0\t\t8000."+macHex(t, m, "docker0")+"\tno\t\t\n" {
		t.Errorf("brctl show, no containers: got %q exit %d", got, code)
	}
	for _, args := range [][]string{
		{"network", "create", "appnet"},
		{"run", "-d", "--name", "c1", "busybox", "sleep", "300"},
		{"run", "-d", "--name", "c2", "busybox", "sleep", "300"},
		{"run", "-d", "--name", "c3", "--network", "appnet", "busybox", "sleep", "300"},
		{"run", "-d", "--name", "c4", "--net", "none", "busybox", "sleep", "300"},
	} {
		if out, code := docker(t, m, args...); code != 0 {
			t.Fatalf("docker %v: %s", args, out)
		}
	}
	br := bridgeOf(t, m, "appnet")
	want := fmt.Sprintf("bridge name\tbridge id\t\tSTP enabled\tinterfaces\n"+
		"%s\t\t8000.%s\tno\t\t%s\n"+
		"docker0\t\t8000.%s\tno\t\t%s\n\t\t\t\t\t\t\t%s\n",
		br, macHex(t, m, br), hostVeths(t, m, br)[0],
		macHex(t, m, "docker0"), hostVeths(t, m, "docker0")[0], hostVeths(t, m, "docker0")[1])
	if got, code := host(t, m, "brctl show"); code != 0 || got != want {
		t.Errorf("brctl show: got\n%q\nwant\n%q", got, want)
	}
	if got, code := host(t, m, "brctl show docker0 lo nosuch | head -1; brctl show lo nosuch"); code != 1 ||
		got != "device lo is not a bridge!\nbridge nosuch does not exist!\nbridge name\tbridge id\t\tSTP enabled\tinterfaces\n"+
			"device lo is not a bridge!\nbridge nosuch does not exist!\n" {
		t.Errorf("brctl show of a device and a missing bridge: got %q exit %d", got, code)
	}
	if got, code := host(t, m, "brctl -V; brctl foo >/dev/null; echo $?"); code != 0 || got != "bridge-utils, 1.7\nnever heard of command [foo]\n1\n" {
		t.Errorf("brctl -V, brctl foo: got %q exit %d", got, code)
	}
	docker(t, m, "rm", "-f", "c1", "c2", "c3", "c4")
	if got, _ := host(t, m, "brctl show | tail -n +2 | cut -f1,4-"); got != br+"\tno\t\t\ndocker0\tno\t\t\n" {
		t.Errorf("brctl show after the containers went: got %q", got)
	}
}

// TestHostProgramsStayOnHost checks that a container cannot reach the
// host's own programs through its busybox.
func TestHostProgramsStayOnHost(t *testing.T) {
	m := newMachine(t)
	got, code := docker(t, m, "run", "--rm", "busybox", "sh", "-c",
		"brctl show; ln -s /bin/busybox /bin/docker; docker ps; busybox docker ps")
	want := "brctl: applet not simulated by twinbox\ndocker: applet not found\ndocker: applet not found\n"
	if got != want || code != 127 {
		t.Errorf("host programs in a container: got %q exit %d, want %q exit 127", got, code, want)
	}
}

// macHex is the MAC of the host's interface name without colons.
func macHex(t *testing.T, m *Machine, name string) string {
	t.Helper()
	for _, l := range m.Backend.Net().Host().Links() {
		if l.Name == name {
			return strings.ReplaceAll(l.MAC, ":", "")
		}
	}
	t.Fatalf("no host interface %s", name)
	return ""
}

// hostVeths are the host's veths plugged into bridge br, sorted.
func hostVeths(t *testing.T, m *Machine, br string) []string {
	t.Helper()
	b, ok := m.Backend.Net().Bridge(br)
	if !ok {
		t.Fatalf("no bridge %s", br)
	}
	var names []string
	for _, p := range b.Ports() {
		names = append(names, p.Name)
	}
	if len(names) > 1 && names[0] > names[1] {
		names[0], names[1] = names[1], names[0]
	}
	return names
}

// bridgeOf is the bridge of a network: "br-" and its ID's first 12 digits.
func bridgeOf(t *testing.T, m *Machine, network string) string {
	t.Helper()
	out, code := docker(t, m, "network", "inspect", "-f", "{{.Id}}", network)
	if code != 0 {
		t.Fatal(out)
	}
	return "br-" + out[:12]
}

// TestIPNetns: the host's ip lists Docker's network namespaces once
// /var/run/netns is linked to Docker's folder, with the ids the host's
// namespace has for them, and runs commands in them. The texts are
// iproute2 6.1's (see testdata/ip-netns.txt).
func TestIPNetns(t *testing.T) {
	m := newMachine(t)
	key := func(name string) string {
		out, code := docker(t, m, "inspect", "-f", "{{.NetworkSettings.SandboxKey}}", name)
		if code != 0 {
			t.Fatal(out)
		}
		return strings.TrimPrefix(strings.TrimSpace(out), "/var/run/docker/netns/")
	}
	for _, args := range [][]string{
		{"run", "-d", "--name", "c1", "busybox", "sleep", "300"},
		{"run", "-d", "--name", "c2", "--net", "none", "busybox", "sleep", "300"},
		{"run", "-d", "--name", "c3", "busybox", "sleep", "300"},
	} {
		if out, code := docker(t, m, args...); code != 0 {
			t.Fatalf("docker %v: %s", args, out)
		}
	}
	c1, c2, c3 := key("c1"), key("c2"), key("c3")
	addr, _ := docker(t, m, "inspect", "-f", "{{.NetworkSettings.IPAddress}}", "c3")
	steps := []struct {
		script, want string
		code         int
	}{
		{"ls -ld /var/run | cut -c1-10,57-; ip netns; ip netns list", "lrwxrwxrwx /var/run -> /run\n", 0},
		{"ln -s /var/run/docker/netns /var/run/netns && ip netns",
			c3 + " (id: 1)\n" + c2 + "\n" + c1 + " (id: 0)\n", 0},
		{"ip netns exec " + c3 + " ip -4 -o addr show eth0 | cut -d' ' -f2-8",
			"eth0    inet " + strings.TrimSpace(addr) + "/16 brd\n", 0},
		{"ip netns exec " + c2 + " ip -o link | cut -d: -f2", " lo\n", 0},
		{"ip netns exec " + c3 + " sh -c 'ip netns identify; exit 3'", c3 + "\n", 3},
		{"ip netns identify", "\n", 0},
		{"ip netns exec nosuch true", "Cannot open network namespace \"nosuch\": No such file or directory\n", 255},
		{"ip netns exec", "No netns name specified\n", 1},
		{"ip netns exec " + c1, "No command specified\n", 1},
		{"ip netns exec a/b true", "Invalid netns name \"a/b\"\n", 255},
		{"ip netns exec " + c1 + " nosuchcmd", "exec of \"nosuchcmd\" failed: No such file or directory\n", 1},
		{"ip netns foo", "Command \"foo\" is unknown, try \"ip netns help\".\n", 255},
		{"ip netns help 2>&1 >/dev/null | head -1", "Usage:\tip netns list\n", 0},
		{"touch /run/docker/netns/plain; ip netns exec plain true", "setting the network namespace \"plain\" failed: Invalid argument\n", 255},
		{"ip netns 2>/dev/null; rm /run/docker/netns/plain", "plain\n" + c3 + " (id: 1)\n" + c2 + "\n" + c1 + " (id: 0)\n", 0},
		{"ip -o link show lo", "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue qlen 1000\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n", 0},
	}
	for _, s := range steps {
		if got, code := host(t, m, s.script); got != s.want || code != s.code {
			t.Errorf("%s: got %q exit %d, want %q exit %d", s.script, got, code, s.want, s.code)
		}
	}
	inside, _ := docker(t, m, "exec", "c3", "readlink", "/proc/self/ns/net")
	if got, _ := host(t, m, "ip netns exec "+c3+" readlink /proc/self/ns/net; readlink /proc/self/ns/net"); got != inside+"net:[4026531833]\n" {
		t.Errorf("/proc/self/ns/net in c3's namespace, then on the host: got %q, want %q and the host's", got, inside)
	}
	docker(t, m, "rm", "-f", "c1")
	if out, code := docker(t, m, "run", "-d", "--name", "c4", "busybox", "sleep", "300"); code != 0 {
		t.Fatal(out)
	}
	want := key("c4") + " (id: 0)\n" + c3 + " (id: 1)\n" + c2 + "\n"
	if got, _ := host(t, m, "ip netns"); got != want {
		t.Errorf("ip netns after c1 went and c4 came: got %q, want %q (c1's id is free again)", got, want)
	}
	// A container's ip is busybox's, which has no netns.
	if got, code := docker(t, m, "run", "--rm", "busybox", "sh", "-c", "ip netns 2>&1 | head -1"); code != 0 || !strings.HasPrefix(got, "BusyBox v1.35.0") {
		t.Errorf("ip netns in a container: got %q exit %d, want busybox's usage", got, code)
	}
}

// TestHostProgramsAfterLoad: a machine saved by an older build, whose ip
// was busybox's and which had no brctl, gets the host's own ip and brctl
// when it is restored.
func TestHostProgramsAfterLoad(t *testing.T) {
	reg := busybox.NewRegistry()
	old := BackendOptions(reg, nil, "")
	old.HostCommands = sim.Commands("busybox", applets.BusyboxApplets())
	old.HostCommands["docker"] = "docker"
	var saved bytes.Buffer
	if err := sim.New(old).Save(&saved); err != nil {
		t.Fatal(err)
	}
	b, err := sim.Load(&saved, BackendOptions(reg, nil, ""))
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(context.Background(), Options{Backend: b, Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	want := "-rwxr-xr-x /usr/bin/brctl\n-rwxr-xr-x /usr/bin/ip\nlrwxrwxrwx /usr/bin/ls -> busybox\nbridge name\ndocker0\n"
	if got, code := host(t, m, "ls -l /usr/bin/ls /usr/bin/ip /usr/bin/brctl | cut -c1-10,57-; ip netns; brctl show | cut -f1"); got != want || code != 0 {
		t.Errorf("got %q exit %d, want %q", got, code, want)
	}
}
