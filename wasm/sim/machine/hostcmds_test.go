package machine

import (
	"fmt"
	"strings"
	"testing"
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
