package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// freePort returns a TCP port nothing listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// get fetches url from the machine, retrying for a second while the
// server starts.
func get(url string) (string, error) {
	var err error
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		var resp *http.Response
		if resp, err = http.Get(url); err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return resp.Status + " " + string(b), nil
		}
	}
	return "", err
}

func listening(port int) bool {
	c, err := net.DialTimeout("tcp4", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
	if err == nil {
		c.Close()
	}
	return err == nil
}

// waitPorts fails t unless bridge has n interfaces within 3 s (the kernel
// deletes a namespace's veths in the background, soon).
func waitPorts(t *testing.T, bridge string, n int) {
	t.Helper()
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		ports, _ := os.ReadDir("/sys/class/net/" + bridge + "/brif")
		if len(ports) == n {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("%d interfaces on %s after 3 s, want %d", len(ports), bridge, n)
			return
		}
	}
}

// TestNetworkCrashRestart: natively, the machine reaches httpd in a
// container published with -p at 127.0.0.1, two containers on a user
// network reach each other by name and not one on another network, as does
// a container connected to the network later; after
// the daemon is killed the port is free, and a restarted daemon serves the
// still running containers' port and names again; once they and their
// networks are removed, no veth, rule, listener, control group or mount of
// theirs is left.
func TestNetworkCrashRestart(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the native engine needs root")
	}
	d := newPrivateDaemon(t, buildTwinbox(t), "tbxn")
	must := func(args ...string) string {
		t.Helper()
		out, err := d.docker(args...)
		if err != nil {
			t.Fatalf("docker %s: %v\n%s\n%s", strings.Join(args, " "), err, out, d.log.String())
		}
		return strings.TrimSpace(out)
	}
	port := freePort(t)
	must("run", "-d", "--name", "web", "-p", fmt.Sprintf("%d:80", port), "busybox", "sh", "-c", "echo hello > /index.html && exec httpd -f -p 80")
	url := fmt.Sprintf("http://127.0.0.1:%d/index.html", port)
	if got, err := get(url); err != nil || got != "200 OK hello\n" {
		t.Fatalf("GET %s: got %q, %v; want 200 OK hello", url, got, err)
	}
	// A port something else holds: dockerd's error, and nothing of the
	// failed start is left (its veth is gone with its namespace).
	taken, err := net.Listen("tcp4", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	takenPort := taken.Addr().(*net.TCPAddr).Port
	out, err := d.docker("run", "-d", "--name", "clash", "-p", fmt.Sprintf("%d:80", takenPort), "busybox", "sleep", "300")
	taken.Close()
	wantErr := fmt.Sprintf("Error starting userland proxy: listen tcp4 0.0.0.0:%d: bind: address already in use", takenPort)
	if err == nil || !strings.Contains(out, "driver failed programming external connectivity on endpoint clash (") || !strings.Contains(out, wantErr) {
		t.Errorf("run -p on a taken port: got %v\n%s\nwant dockerd's error ending %q", err, out, wantErr)
	}
	waitPorts(t, d.bridge, 1)
	must("rm", "clash")
	must("network", "create", "tn-a")
	must("network", "create", "tn-b")
	must("run", "-d", "--name", "db", "--network", "tn-a", "busybox", "sleep", "300")
	must("run", "-d", "--name", "other", "--network", "tn-b", "busybox", "sleep", "300")
	otherIP := must("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", "other")
	ping := func(target string) error {
		_, err := d.docker("run", "--rm", "--network", "tn-a", "busybox", "ping", "-c", "1", "-W", "1", target)
		return err
	}
	if err := ping("db"); err != nil {
		t.Errorf("ping db from tn-a: %v, want reached", err)
	}
	if err := ping(otherIP); err == nil {
		t.Errorf("ping %s (on tn-b) from tn-a: reached, want not", otherIP)
	}

	// Connected to a user-defined network, a container started on the
	// default bridge asks the embedded DNS server, as with dockerd.
	must("network", "connect", "tn-a", "web")
	if got := must("exec", "web", "cat", "/etc/resolv.conf"); !strings.Contains(got, "nameserver 127.0.0.11") {
		t.Errorf("web's resolv.conf after network connect:\n%s\nwant nameserver 127.0.0.11", got)
	}
	if out, err := d.docker("exec", "web", "ping", "-c", "1", "-W", "1", "db"); err != nil {
		t.Errorf("ping db in web after network connect: %v\n%s", err, out)
	}

	d.kill()
	if listening(port) {
		t.Errorf("port %d still served after the daemon was killed", port)
	}
	d.start(t)
	sum := sha256.Sum256([]byte(d.root))
	tag := "twinbox-" + hex.EncodeToString(sum[:4])
	// The new daemon replaced the killed one's rules, not added to them:
	// one table, and three accept rules per bridge in a Docker host's
	// FORWARD (within the bridge, out of it, the replies back).
	if rules, err := exec.Command("nft", "list", "ruleset").Output(); err == nil {
		if n := bytes.Count(rules, []byte("table inet "+tag+" ")); n != 1 {
			t.Errorf("%d tables %s after the restart, want 1", n, tag)
		}
		if bytes.Contains(rules, []byte("chain FORWARD")) {
			if n := bytes.Count(rules, []byte(`comment "`+tag+`"`)); n != 9 {
				t.Errorf("%d FORWARD rules of %s after the restart, want 9 (three a bridge)", n, tag)
			}
		}
	}
	if got, err := get(url); err != nil || got != "200 OK hello\n" {
		t.Errorf("GET %s after the restart: got %q, %v; want 200 OK hello", url, got, err)
	}
	for _, c := range []string{"db", "web"} {
		if out, err := d.docker("exec", c, "ping", "-c", "1", "-W", "1", "db"); err != nil {
			t.Errorf("ping db in %s after the restart: %v\n%s", c, err, out)
		}
	}
	if err := ping(otherIP); err == nil {
		t.Errorf("ping %s (on tn-b) from tn-a after the restart: reached, want not", otherIP)
	}

	bridges := []string{d.bridge}
	for _, n := range []string{"tn-a", "tn-b"} {
		bridges = append(bridges, "br-"+must("network", "inspect", "-f", "{{.Id}}", n)[:12])
	}
	var ids []string
	for _, c := range []string{"web", "db", "other"} {
		ids = append(ids, must("inspect", "-f", "{{.Id}}", c))
	}
	must("rm", "-f", "web", "db", "other")
	for _, id := range ids {
		if groups, _ := filepath.Glob("/sys/fs/cgroup/*/twinbox/" + id); len(groups) > 0 {
			t.Errorf("control groups of %s left: %v", id[:12], groups)
		}
	}
	if listening(port) {
		t.Errorf("port %d still served after the container's removal", port)
	}
	for _, b := range bridges {
		waitPorts(t, b, 0)
	}
	must("network", "rm", "tn-a", "tn-b")
	for _, b := range bridges[1:] {
		if _, err := os.Stat("/sys/class/net/" + b); err == nil {
			t.Errorf("bridge %s left after network rm", b)
		}
	}
	rules, err := exec.Command("nft", "list", "ruleset").Output()
	if err != nil {
		t.Skipf("nft: %v", err)
	}
	for _, b := range bridges[1:] {
		if bytes.Contains(rules, []byte(b)) {
			t.Errorf("rules naming %s left after network rm:\n%s", b, rules)
		}
	}
	d.cmd.Process.Signal(os.Interrupt)
	d.cmd.Wait()
	if out, _ := exec.Command("nft", "list", "ruleset").Output(); bytes.Contains(out, []byte(tag)) {
		t.Errorf("rules of %s left after the daemon ended:\n%s", tag, out)
	}
	if mounts, _ := os.ReadFile("/proc/self/mountinfo"); bytes.Contains(mounts, []byte(d.root)) {
		t.Errorf("mounts under %s left", d.root)
	}
	d.start(t) // for the cleanup
}
