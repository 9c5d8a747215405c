package enginetest

import (
	"regexp"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/engine"
)

// The namespace cases look at --pid and --ipc the way a learner does: the
// namespace links under /proc/self/ns and what ps shows inside.

func init() {
	register("NamespacePIDContainer", testNamespacePIDContainer)
	register("NamespacePIDHost", testNamespacePIDHost)
	register("NamespaceIPCShared", testNamespaceIPCShared)
	register("NamespaceJoinErrors", testNamespaceJoinErrors)
}

// runJoining runs busybox with cmd and hc like runHC, but skips the test
// when the backend says it cannot join such a namespace (InvalidParameter,
// as backend.Spec documents), with the backend's reason.
func (f *fixture) runJoining(hc *container.HostConfig, cmd ...string) (int, string) {
	f.t.Helper()
	id := f.create("", &container.Config{Cmd: cmd}, hc)
	wait, err := f.e.ContainerWait(f.ctx, id, container.WaitConditionNextExit)
	if err != nil {
		f.t.Fatalf("wait %s: %v", id, err)
	}
	if err := f.e.ContainerStart(f.ctx, id); err != nil {
		if backend.CodeOf(err) == backend.InvalidParameter {
			f.t.Skipf("the backend does not join namespaces: %v", err)
		}
		f.t.Fatalf("start %s: %v", id, err)
	}
	select {
	case r := <-wait:
		return int(r.StatusCode), f.logs(id, engine.LogsOptions{Stdout: true, Stderr: true})
	case <-f.ctx.Done():
		f.t.Fatalf("wait %s: %v", id, f.ctx.Err())
	}
	return -1, ""
}

// nsLink is what `readlink /proc/self/ns/KIND` prints: "pid:[4026532179]".
var nsLink = regexp.MustCompile(`^(pid|ipc):\[\d+\]$`)

// lines splits a container's output and checks it has n namespace links
// first.
func nsLines(t *testing.T, out string, n int) []string {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) < n {
		t.Fatalf("got %q, want %d namespace links first", out, n)
	}
	for _, l := range lines[:n] {
		if !nsLink.MatchString(l) {
			t.Fatalf("got %q, want namespace links like pid:[4026532179] first", out)
		}
	}
	return lines
}

// testNamespacePIDContainer: --pid container:peer puts the processes in
// peer's PID namespace: peer's first process is PID 1 there, ps shows it,
// and /proc/self/ns/pid is peer's.
func testNamespacePIDContainer(t *testing.T, f *fixture) {
	peerNS := f.startPrinting("peer", nil, "pid")
	code, out := f.runJoining(&container.HostConfig{PidMode: "container:peer"},
		"sh", "-c", "readlink /proc/self/ns/pid; readlink /proc/1/ns/pid; ps")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	lines := nsLines(t, out, 2)
	if lines[0] != peerNS || lines[1] != peerNS {
		t.Errorf("/proc/self/ns/pid and /proc/1/ns/pid: got %q, %q, want peer's %q", lines[0], lines[1], peerNS)
	}
	if !regexp.MustCompile(`(?m)^ +1 root +sleep 300$`).MatchString(out) {
		t.Errorf("ps: got %q, want peer's sleep 300 as PID 1", out)
	}
	code, out = f.runHC(nil, "readlink", "/proc/self/ns/pid")
	if code != 0 || strings.TrimSpace(out) == peerNS {
		t.Errorf("a container of its own: got %q exit %d, want a PID namespace other than peer's %s", out, code, peerNS)
	}
}

// testNamespacePIDHost: --pid host shares the machine's PID namespace:
// two such containers have the same /proc/self/ns/pid, the shell is not
// PID 1, and ps shows another container's process.
func testNamespacePIDHost(t *testing.T, f *fixture) {
	f.startDetached("peer", nil, "sleep", "301")
	host := &container.HostConfig{PidMode: "host"}
	code, out := f.runJoining(host, "sh", "-c", "readlink /proc/self/ns/pid; echo $$; ps")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	lines := nsLines(t, out, 1)
	if len(lines) < 2 || lines[1] == "1" {
		t.Errorf("the shell's PID: got %q, want a machine PID other than 1", out)
	}
	if !regexp.MustCompile(`(?m)^ *\d+ root +sleep 301$`).MatchString(out) {
		t.Errorf("ps: got %q, want the other container's sleep 301", out)
	}
	if again := f.startPrinting("hostpeer", host, "pid"); again != lines[0] {
		t.Errorf("a second --pid host container: got %q, want %s", again, lines[0])
	}
	code, own := f.runHC(nil, "readlink", "/proc/self/ns/pid")
	if code != 0 || strings.TrimSpace(own) == lines[0] {
		t.Errorf("a container of its own: got %q exit %d, want a PID namespace other than the machine's %s", own, code, lines[0])
	}
}

// testNamespaceIPCShared: --ipc container:peer joins a shareable peer's
// IPC namespace; --ipc host containers share the machine's; a private
// container has its own.
func testNamespaceIPCShared(t *testing.T, f *fixture) {
	peerNS := f.startPrinting("peer", &container.HostConfig{IpcMode: "shareable"}, "ipc")
	code, out := f.runJoining(&container.HostConfig{IpcMode: "container:peer"}, "readlink", "/proc/self/ns/ipc")
	if code != 0 || strings.TrimSpace(out) != peerNS {
		t.Errorf("--ipc container:peer: got %q exit %d, want peer's %s", out, code, peerNS)
	}
	// The --ipc host containers run at once, so that a namespace number
	// freed by an exited container cannot make two look the same.
	host := &container.HostConfig{IpcMode: "host"}
	h1 := f.startPrinting("hostpeer", host, "ipc")
	code, h2 := f.runJoining(host, "readlink", "/proc/self/ns/ipc")
	h2 = strings.TrimSpace(h2)
	if code != 0 || h1 != h2 || h1 == peerNS {
		t.Errorf("--ipc host twice: got %q and %q (peer's %s), want the machine's namespace both times", h1, h2, peerNS)
	}
	code, own := f.runHC(&container.HostConfig{IpcMode: "private"}, "readlink", "/proc/self/ns/ipc")
	if own = strings.TrimSpace(own); code != 0 || own == h1 || own == peerNS {
		t.Errorf("--ipc private: got %q exit %d, want a namespace of its own", own, code)
	}
}

// startPrinting starts a long-running container that prints its
// /proc/self/ns/KIND link first, and returns that link. It skips the test
// when the backend cannot join the namespace hc asks for.
func (f *fixture) startPrinting(name string, hc *container.HostConfig, kind string) string {
	f.t.Helper()
	id := f.create(name, &container.Config{Cmd: []string{"sh", "-c", "readlink /proc/self/ns/" + kind + "; exec sleep 300"}}, hc)
	if err := f.e.ContainerStart(f.ctx, id); err != nil {
		if backend.CodeOf(err) == backend.InvalidParameter {
			f.t.Skipf("the backend does not join namespaces: %v", err)
		}
		f.t.Fatalf("start %s: %v", name, err)
	}
	var link string
	f.eventually(name+" prints its namespace", func() bool {
		link = strings.TrimSpace(f.logs(id, engine.LogsOptions{Stdout: true}))
		return link != ""
	})
	nsLines(f.t, link, 1)
	return link
}

// testNamespaceJoinErrors: dockerd's errors for namespaces that cannot be
// joined; the container does not start.
func testNamespaceJoinErrors(t *testing.T, f *fixture) {
	private := f.startDetached("private", nil, "sleep", "300")
	stopped := f.create("stopped", &container.Config{Cmd: []string{"true"}}, nil)
	cases := []struct {
		hc  container.HostConfig
		msg string
	}{
		{container.HostConfig{IpcMode: "container:private"},
			"can't join IPC of container private: non-shareable IPC (hint: use IpcMode:shareable for the donor container)"},
		{container.HostConfig{IpcMode: "container:stopped"}, "can't join IPC of container stopped: container " + stopped + " is not running"},
		{container.HostConfig{IpcMode: "container:nosuch"}, "can't join IPC of container nosuch: No such container: nosuch"},
		{container.HostConfig{PidMode: "container:stopped"}, "container " + stopped + " is not running"},
		{container.HostConfig{PidMode: "container:nosuch"}, "cannot join PID of a non running container: nosuch: No such container: nosuch"},
	}
	for _, tc := range cases {
		hc := tc.hc
		id := f.create("", &container.Config{Cmd: []string{"true"}}, &hc)
		err := f.e.ContainerStart(f.ctx, id)
		wantErr(t, "start with "+string(hc.IpcMode)+string(hc.PidMode), err, backend.Internal, tc.msg)
		if st := f.inspect(id); st.Running || st.Pid != 0 {
			t.Errorf("%s%s: the container runs after the failed start: %+v", hc.IpcMode, hc.PidMode, st)
		}
	}
	if st := f.inspect(private); !st.Running {
		t.Errorf("the donor stopped: %+v", st)
	}
}
