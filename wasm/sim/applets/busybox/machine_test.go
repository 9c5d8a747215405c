package busybox

import (
	"bytes"
	"io"
	"io/fs"
	"testing"
	"time"

	"github.com/twinbox-dev/twinbox/wasm/sim/applets/internal/testroot"
	"github.com/twinbox-dev/twinbox/wasm/sim/kernel"
	"github.com/twinbox-dev/twinbox/wasm/sim/vfs"
)

// machine is the simulated kernel running busybox's programs over a tree,
// as a container sees it: a mount namespace with the kernel's devices and
// its own PID and UTS namespaces.
type machine struct {
	t     testing.TB
	k     *kernel.Kernel
	clock *kernel.FakeClock
	tree  *vfs.Tree
	ns    kernel.Namespaces
}

func newMachine(t testing.TB, files map[string]testroot.File, at time.Time) *machine {
	t.Helper()
	clock := kernel.NewFakeClock(at)
	tree := vfs.NewTree(clock.Now)
	if err := testroot.Build(tree, files); err != nil {
		t.Fatal(err)
	}
	mnt := vfs.NewNamespace(tree, vfs.MountOptions{Type: "overlay", Device: "overlay", Options: "rw,relatime"})
	k := kernel.New(kernel.Config{Clock: clock, Registry: NewRegistry(), RootFS: mnt, Hostname: "host"})
	mnt.SetDevices(k.Devices(nil))
	ns := k.RootNamespaces()
	ns.Mount = k.NewMountNamespace(mnt)
	ns.UTS = k.NewUTSNamespace("testhost", "")
	ns.PID = k.NewPIDNamespace(nil)
	m := &machine{t: t, k: k, clock: clock, tree: tree, ns: ns}
	t.Cleanup(k.Shutdown)
	return m
}

// kernelSetsUmask reports whether the kernel's processes implement the
// optional SetUmask the shell's umask builtin needs.
func kernelSetsUmask() bool {
	_, ok := any((*kernel.Process)(nil)).(interface{ SetUmask(fs.FileMode) })
	return ok
}

// container gives the machine a new PID namespace, as a new container
// has: the next process started is its init.
func (m *machine) container() {
	m.ns.PID = m.k.NewPIDNamespace(nil)
}

// start starts a container's first process.
func (m *machine) start(args []string, stdin io.Reader, stdout, stderr io.Writer) *kernel.Process {
	m.t.Helper()
	ns := m.ns
	p, err := m.k.Spawn(kernel.Attr{
		Args: args, Env: []string{testPath, "HOME=/root"}, Dir: "/",
		NS: &ns, Setsid: true, Stdin: stdin, Stdout: stdout, Stderr: stderr,
	})
	if err != nil {
		m.t.Fatalf("spawn %q: %v", args, err)
	}
	return p
}

// run runs a command line with sh -c and returns what it printed. Time
// passes by itself while it runs: sleepers wake as soon as they sleep.
func (m *machine) run(script string, stdin io.Reader) outcome {
	m.t.Helper()
	var stdout, stderr bytes.Buffer
	p := m.start([]string{"sh", "-c", script}, stdin, &stdout, &stderr)
	done := make(chan struct{})
	go m.autoAdvance(done)
	st := p.Wait()
	close(done)
	return outcome{status: st, stdout: stdout.String(), stderr: stderr.String()}
}

// runFrozen runs a command line with sh -c while the clock stands still:
// what sleeps stays asleep.
func (m *machine) runFrozen(script string) outcome {
	m.t.Helper()
	var stdout, stderr syncBuffer
	p := m.start([]string{"sh", "-c", script}, nil, &stdout, &stderr)
	st := p.Wait()
	return outcome{status: st, stdout: stdout.String(), stderr: stderr.String()}
}

// autoAdvance moves the clock a millisecond at a time whenever a process
// sleeps, until done is closed.
func (m *machine) autoAdvance(done <-chan struct{}) {
	for m.clock.WaitTimers(1, done) {
		m.clock.Advance(time.Millisecond)
	}
}
