package machine

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/twinbox-dev/twinbox/shared/api/wire"
	"github.com/twinbox-dev/twinbox/shared/backend"
)

// host runs script with the host's sh, as root, and returns what it
// printed (stdout and stderr together) and its status.
func host(t *testing.T, m *Machine, script string) (string, int) {
	t.Helper()
	var out screen
	p, err := m.Backend.StartHost(context.Background(), &backend.ProcessSpec{
		Args: []string{"sh", "-c", script},
		Env:  []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
	}, backend.Stdio{Stdout: &out, Stderr: &out})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st, err := p.Wait(ctx)
	if err != nil {
		t.Fatalf("%s: %v", script, err)
	}
	return out.String(), st.Code
}

// TestNetworkScenario runs the network steps of reference scenario 05 and
// compares with what Docker 20.10 printed there.
func TestNetworkScenario(t *testing.T) {
	m := newMachine(t)
	steps := []struct {
		args []string
		want string // a regular expression of the whole output
		code int
	}{
		{[]string{"run", "-d", "--name", "web", "-p", "8080:80", "busybox", "httpd", "-f", "-p", "80"}, `[0-9a-f]{64}\n`, 0},
		{[]string{"inspect", "-f", "{{.NetworkSettings.IPAddress}}", "web"}, `172\.17\.0\.2\n`, 0},
		{[]string{"run", "--rm", "busybox", "ip", "-4", "-o", "addr", "show", "eth0"},
			`\d+: eth0    inet 172\.17\.0\.3/16 brd 172\.17\.255\.255 scope global eth0\\       valid_lft forever preferred_lft forever\n`, 0},
		{[]string{"run", "--rm", "busybox", "ip", "route"},
			`default via 172\.17\.0\.1 dev eth0 \n172\.17\.0\.0/16 dev eth0 scope link  src 172\.17\.0\.3 \n`, 0},
		{[]string{"run", "--rm", "--net", "none", "busybox", "ip", "-o", "link"},
			`1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue qlen 1000\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n`, 0},
		{[]string{"run", "--rm", "--link", "web:db", "busybox", "sh", "-c", "grep -w db /etc/hosts | cut -f2-; ping -c 1 db"},
			`db [0-9a-f]{12} web\nPING db \(172\.17\.0\.2\): 56 data bytes\n64 bytes from 172\.17\.0\.2: seq=0 ttl=64 time=0\.\d{3} ms\n\n--- db ping statistics ---\n1 packets transmitted, 1 packets received, 0% packet loss\nround-trip min/avg/max = [0-9./]+ ms\n`, 0},
		{[]string{"run", "-d", "--name", "db", "--network", "appnet", "busybox", "sleep", "300"}, `[0-9a-f]{64}\n`, 0},
		{[]string{"run", "--rm", "--network", "appnet", "busybox", "sh", "-c", "ping -c 1 -W 1 db | head -1"}, `PING db \(172\.18\.0\.2\): 56 data bytes\n`, 0},
		{[]string{"run", "--rm", "busybox", "ping", "-c", "1", "-W", "1", "db"}, `ping: bad address 'db'\n`, 1},
		{[]string{"run", "--rm", "--network", "appnet", "busybox", "nslookup", "db"},
			"Server:\t\t127\\.0\\.0\\.11\nAddress:\t127\\.0\\.0\\.11:53\n\nNon-authoritative answer:\nName:\tdb\nAddress: 172\\.18\\.0\\.2\n\nNon-authoritative answer:\n\n", 0},
		{[]string{"run", "--rm", "busybox", "nslookup", "db"},
			"Server:\t\t10\\.0\\.2\\.3\nAddress:\t10\\.0\\.2\\.3:53\n\n\\*\\* server can't find db: NXDOMAIN\n\n\\*\\* server can't find db: NXDOMAIN\n\n", 1},
		// A container on the default bridge cannot reach one on appnet.
		{[]string{"run", "--rm", "busybox", "ping", "-c", "1", "-W", "1", "172.18.0.2"},
			`PING 172\.18\.0\.2 \(172\.18\.0\.2\): 56 data bytes\n\n--- 172\.18\.0\.2 ping statistics ---\n1 packets transmitted, 0 packets received, 100% packet loss\n`, 1},
		{[]string{"run", "--rm", "--net", "none", "busybox", "ping", "-c", "1", "172.17.0.2"},
			`PING 172\.17\.0\.2 \(172\.17\.0\.2\): 56 data bytes\nping: sendto: Network is unreachable\n`, 1},
		{[]string{"run", "--rm", "busybox", "wget", "-q", "-O-", "http://172.17.0.2/"},
			`wget: server returned error: HTTP/1\.1 404 Not Found\n`, 1},
		{[]string{"exec", "web", "ip", "-4", "-o", "addr"},
			`1: lo    inet 127\.0\.0\.1/8 scope host lo\\.*\n\d+: eth0    inet 172\.17\.0\.2/16 .*\n\d+: eth1    inet 172\.18\.0\.3/16 brd 172\.18\.255\.255 scope global eth1\\.*\n`, 0},
		{[]string{"run", "--rm", "--net", "container:web", "busybox", "hostname"}, `[0-9a-f]{12}\n`, 0},
		{[]string{"run", "--rm", "busybox", "ifconfig"}, `eth0      Link encap:Ethernet  HWaddr 02:42:AC:11:00:0(\d)  
          inet addr:172\.17\.0\.(\d)  Bcast:172\.17\.255\.255  Mask:255\.255\.0\.0
          UP BROADCAST RUNNING MULTICAST  MTU:1500  Metric:1
          RX packets:0 errors:0 dropped:0 overruns:0 frame:0
          TX packets:0 errors:0 dropped:0 overruns:0 carrier:0
          collisions:0 txqueuelen:0 
          RX bytes:0 \(0\.0 B\)  TX bytes:0 \(0\.0 B\)

lo        Link encap:Local Loopback  
          inet addr:127\.0\.0\.1  Mask:255\.0\.0\.0
          UP LOOPBACK RUNNING  MTU:65536  Metric:1
          RX packets:0 errors:0 dropped:0 overruns:0 frame:0
          TX packets:0 errors:0 dropped:0 overruns:0 carrier:0
          collisions:0 txqueuelen:1000 
          RX bytes:0 \(0\.0 B\)  TX bytes:0 \(0\.0 B\)

`, 0},
	}
	for i, s := range steps {
		// `docker network` is not in the CLI yet: create and connect
		// through the engine, at the steps where scenario 05 does.
		switch i {
		case 6:
			if _, err := m.Engine.NetworkCreate(context.Background(), wire.NetworkCreateRequest{Name: "appnet"}); err != nil {
				t.Fatal(err)
			}
		case 14:
			if err := m.Engine.NetworkConnect(context.Background(), "appnet", "web", nil); err != nil {
				t.Fatal(err)
			}
		}
		got, code := docker(t, m, s.args...)
		if !regexp.MustCompile(`^(?s:`+s.want+`)$`).MatchString(got) || code != s.code {
			t.Errorf("docker %s: got %q exit %d, want /%s/ exit %d", strings.Join(s.args, " "), got, code, s.want, s.code)
		}
	}
	if got, _ := docker(t, m, "exec", "web", "netstat", "-tln"); got != "Active Internet connections (only servers)\n"+
		"Proto Recv-Q Send-Q Local Address           Foreign Address         State       \n"+
		"tcp        0      0 :::80                   :::*                    LISTEN      \n" {
		t.Errorf("netstat -tln in web: got %q", got)
	}
	// docker stats counts what web's interfaces carried: the wget's
	// request in, the 404 out, pings.
	webID, _ := docker(t, m, "inspect", "-f", "{{.Id}}", "web")
	if st, err := m.Backend.Stats(context.Background(), strings.TrimSpace(webID)); err != nil || st.NetRx == 0 || st.NetTx == 0 {
		t.Errorf("web's network counters: got rx %d tx %d (%v), want some each way", st.NetRx, st.NetTx, err)
	}
	// dockerd's namespace files, named as inspect's SandboxKey.
	key, _ := docker(t, m, "inspect", "-f", "{{.NetworkSettings.SandboxKey}}", "web")
	if got, _ := host(t, m, "ls "+strings.TrimSpace(key)); got != strings.Replace(key, "/var/run", "/run", 1) && got != key {
		t.Errorf("the sandbox's namespace file: got %q, want %q", got, key)
	}
	// The host reaches the published port through docker-proxy's model.
	docker(t, m, "exec", "web", "sh", "-c", "echo served > /index.html")
	if got, code := host(t, m, "wget -q -O- http://127.0.0.1:8080/"); got != "served\n" || code != 0 {
		t.Errorf("host wget of the published port: got %q exit %d, want served", got, code)
	}
	got, _ := host(t, m, "ip -o link; ip route")
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^3: docker0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue \\`),
		regexp.MustCompile(`(?m)^\d+: veth[0-9a-f]{7}@if\d+: <BROADCAST,MULTICAST,UP,LOWER_UP,M-DOWN> mtu 1500 qdisc noqueue master docker0 \\`),
		regexp.MustCompile(`(?m)^172\.17\.0\.0/16 dev docker0 scope link  src 172\.17\.0\.1 $`),
		regexp.MustCompile(`(?m)^default via 10\.0\.2\.2 dev eth0 $`),
	} {
		if !want.MatchString(got) {
			t.Errorf("host ip: no line like /%s/ in:\n%s", want, got)
		}
	}
	// ^C (SIGINT) ends ping with its statistics and status 0.
	docker(t, m, "run", "-d", "--name", "pinger", "busybox", "ping", "172.17.0.1")
	docker(t, m, "kill", "-s", "INT", "pinger")
	if got, code := docker(t, m, "wait", "pinger"); got != "0\n" || code != 0 {
		t.Errorf("ping after SIGINT: got status %q", got)
	}
	logs, _ := docker(t, m, "logs", "pinger")
	if !regexp.MustCompile(`^PING 172\.17\.0\.1 \(172\.17\.0\.1\): 56 data bytes\n(64 bytes from 172\.17\.0\.1: seq=\d+ ttl=64 time=0\.\d{3} ms\n)+\n--- 172\.17\.0\.1 ping statistics ---\n(\d+) packets transmitted, (\d+) packets received, 0% packet loss\nround-trip min/avg/max = [0-9./]+ ms\n$`).MatchString(logs) {
		t.Errorf("ping's output after SIGINT: got %q", logs)
	}
	docker(t, m, "rm", "pinger")
	// Changing the network needs CAP_NET_ADMIN, which containers lack.
	if got, code := docker(t, m, "run", "--rm", "busybox", "ip", "link", "set", "eth0", "down"); got != "ip: SIOCSIFFLAGS: Operation not permitted\n" || code != 1 {
		t.Errorf("ip link set without NET_ADMIN: got %q exit %d", got, code)
	}
	if got, code := docker(t, m, "run", "--rm", "busybox", "ip", "addr", "add", "10.1.1.1/24", "dev", "eth0"); got != "ip: RTNETLINK answers: Operation not permitted\n" || code != 2 {
		t.Errorf("ip addr add without NET_ADMIN: got %q exit %d", got, code)
	}
	got, code := docker(t, m, "run", "--rm", "--cap-add", "NET_ADMIN", "busybox", "sh", "-c",
		"ip link set eth0 down; ip route; ping -c 1 172.17.0.1; ip link set eth0 up; ip route; ip route add default via 172.17.0.1; ip route add default via 172.17.0.1; ip addr add 10.1.1.1/24 dev eth0; ip route | wc -l; ping -c 1 -q 172.17.0.1 | tail -1")
	re := regexp.MustCompile(`^PING 172\.17\.0\.1 \(172\.17\.0\.1\): 56 data bytes\nping: sendto: Network is unreachable\n` +
		`172\.17\.0\.0/16 dev eth0 scope link  src 172\.17\.0\.\d+ \n` +
		`ip: RTNETLINK answers: File exists\n3\nround-trip min/avg/max = [0-9./]+ ms\n$`)
	if !re.MatchString(got) || code != 0 {
		t.Errorf("ip changes with NET_ADMIN: got exit %d\n%s", code, got)
	}
	// A port a program of the host listens on cannot be published.
	hostNC, err := m.Backend.StartHost(context.Background(), &backend.ProcessSpec{Args: []string{"nc", "-l", "-p", "9090"},
		Env: []string{"PATH=/usr/bin:/bin"}}, backend.Stdio{})
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); len(m.Backend.Net().Host().Listeners()) == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the host's nc never listened")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got, code := docker(t, m, "run", "-d", "--name", "clash", "-p", "9090:80", "busybox", "sleep", "300"); code != 125 ||
		!strings.Contains(got, "Error starting userland proxy: listen tcp4 0.0.0.0:9090: bind: address already in use") {
		t.Errorf("publishing a port the host uses: got %q exit %d", got, code)
	}
	hostNC.Signal(backend.SIGKILL)
	docker(t, m, "rm", "-f", "clash")
	// nc between two containers: each side shuts down its sending half
	// at the end of its input, as busybox's nc does.
	docker(t, m, "run", "-d", "--name", "ncsrv", "busybox", "sh", "-c", "echo hi from the server | nc -l -p 9000")
	if got, code := docker(t, m, "run", "--rm", "--link", "ncsrv", "busybox", "sh", "-c", "echo hi from the client | nc ncsrv 9000"); got != "hi from the server\n" || code != 0 {
		t.Errorf("nc client: got %q exit %d", got, code)
	}
	docker(t, m, "wait", "ncsrv")
	if got, _ := docker(t, m, "logs", "ncsrv"); got != "hi from the client\n" {
		t.Errorf("nc server: got %q", got)
	}
	if got, code := docker(t, m, "run", "--rm", "busybox", "nc", "172.17.0.1", "9000"); code != 1 || got != "nc: can't connect to remote host (172.17.0.1): Connection refused\n" {
		t.Errorf("nc to a closed port: got %q exit %d", got, code)
	}
	docker(t, m, "rm", "-f", "ncsrv")
	// Removing the containers removes their veths, and docker0 has no
	// carrier left.
	docker(t, m, "rm", "-f", "web", "db")
	if got, _ := host(t, m, "ls /run/docker/netns | wc -l"); got != "0\n" {
		t.Errorf("got %q namespace files after the containers were removed, want 0", got)
	}
	if got, _ := host(t, m, "ip link | grep -c veth"); got != "0\n" {
		t.Errorf("got %q veths after the containers were removed, want 0", got)
	}
	if got, _ := host(t, m, "ip link show docker0 | head -1"); got != "3: docker0: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 qdisc noqueue \n" {
		t.Errorf("empty docker0: got %q", got)
	}
}

// TestRandomPortSkipsHostListener: a random host port a program of the
// simulated host listens on is not handed out (dockerd's proxy would fail
// to bind it and dockerd would take the next).
func TestRandomPortSkipsHostListener(t *testing.T) {
	m := newMachine(t)
	runHostSteps(t, m, []hostStep{
		{"httpd -p 32768 -h /tmp && docker run -d --name web -P --expose 80 busybox sleep 300 >/dev/null && docker port web", "80/tcp -> 0.0.0.0:32769\n80/tcp -> [::]:32769\n", 0},
	})
}
