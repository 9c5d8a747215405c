package machine

import "testing"

// TestCopyHostFiles copies between a container and the simulated host's
// files both ways with the docker in the host's shell.
func TestCopyHostFiles(t *testing.T) {
	m := newMachine(t)
	steps := []hostStep{
		{"docker run --name src busybox sh -c 'mkdir -p /data/sub && echo one > /data/a && echo two > /data/sub/b && ln -s a /data/link'", "", 0},
		{"cd /root && docker cp src:/data ./copy && ls -R copy && cat copy/a copy/sub/b && readlink copy/link", "copy:\na\nlink\nsub\n\ncopy/sub:\nb\none\ntwo\na\n", 0},
		{"cd /root && docker cp src:/data/. ./flat && ls flat", "a\nlink\nsub\n", 0},
		{"cd /root && echo three > c && docker cp c src:/data/c && docker cp src:/data/c ./back && cat back", "three\n", 0},
		{"cd /root && docker cp src:/nope ./x", "Error response from daemon: Could not find the file /nope in container src\n", 1},
		{"ls /root/x", "ls: /root/x: No such file or directory\n", 1},
	}
	runHostSteps(t, m, steps)
}

// TestMountMissingSource: --mount type=bind of a missing host path is
// refused at create, -v of one makes it, as dockerd.
func TestMountMissingSource(t *testing.T) {
	m := newMachine(t)
	steps := []hostStep{
		{"docker create --name aa --mount type=bind,src=/missing,dst=/m busybox", "Error response from daemon: invalid mount config for type \"bind\": bind source path does not exist: /missing\n", 1},
		{"docker ps -aq | wc -l", "0\n", 0},
		{"docker run --rm -v /made:/m busybox true && ls -d /made", "/made\n", 0},
		{"docker run --rm --mount type=bind,src=/made,dst=/m busybox ls -d /m", "/m\n", 0},
	}
	runHostSteps(t, m, steps)
}

// TestConnectUsesEmbeddedDNS: connecting a running container of the
// default bridge to a user-defined network points its resolv.conf at the
// embedded DNS server, so it finds containers there by name.
func TestConnectUsesEmbeddedDNS(t *testing.T) {
	m := newMachine(t)
	steps := []hostStep{
		{"docker network create appnet >/dev/null && docker run -d --name db --network appnet busybox sleep 300 >/dev/null && docker run -d --name web busybox sleep 300 >/dev/null", "", 0},
		{"docker exec web grep -c 127.0.0.11 /etc/resolv.conf", "0\n", 1},
		{"docker network connect appnet web && docker exec web grep nameserver /etc/resolv.conf", "nameserver 127.0.0.11\n", 0},
		{"docker exec web ping -c 1 -W 1 db | head -1", "PING db (172.18.0.2): 56 data bytes\n", 0},
	}
	runHostSteps(t, m, steps)
}

// hostStep is a line of the host's shell, what it prints and its status.
type hostStep struct {
	script, want string
	code         int
}

func runHostSteps(t *testing.T, m *Machine, steps []hostStep) {
	t.Helper()
	for _, s := range steps {
		got, code := host(t, m, s.script)
		if got != s.want || code != s.code {
			t.Errorf("%s: got %q exit %d, want %q exit %d", s.script, got, code, s.want, s.code)
		}
	}
}

// TestUTSHost: with --uts host a container's processes see the machine's
// name; inspect keeps the container's own, as dockerd.
func TestUTSHost(t *testing.T) {
	m := newMachine(t)
	runHostSteps(t, m, []hostStep{
		{"docker run --rm --uts host busybox hostname", "twinbox\n", 0},
		{"docker run --name uu --uts host busybox true && docker inspect -f '{{.Config.Hostname}}' uu | wc -c", "13\n", 0},
		{"docker run --rm -h named busybox hostname", "named\n", 0},
	})
}
