// Package sim is the simulator's Backend: a whole Docker host in memory.
// Layers and container filesystems are vfs layers and unions; containers'
// processes run on the simulated kernel (wasm/sim/kernel) in their own
// namespaces and cgroups; volumes live in the host's filesystem under
// /var/lib/docker/volumes, where Docker keeps them. It builds for js/wasm
// and touches nothing of the real machine.
//
// The simulated host is a machine of its own: a root filesystem laid out as
// Debian 12's (with /root, /home, /tmp, /etc, /var/lib/docker, ...), an
// init, containerd and dockerd processes, and any program a caller starts
// there with StartHost, such as the host shell of `twinbox shell` and the
// browser's terminal:
//
//	reg := busybox.NewRegistry()
//	cmds := sim.Commands("busybox", applets.BusyboxApplets()) // /usr/bin/ls → busybox, ...
//	cmds["docker"] = "docker"                                  // /usr/bin/docker, a binary of its own
//	b := sim.New(sim.Options{Registry: reg, HostCommands: cmds})
//	e, _ := engine.New(ctx, b, engine.Options{Registry: hub.New()})
//	reg.RegisterBinary("docker", dockerMain) // a program that talks to e
//	sh, _ := b.StartHost(ctx, &backend.ProcessSpec{Args: []string{"sh"}, Tty: true,
//		Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"}},
//		backend.Stdio{Stdin: keys, Stdout: screen})
//
// Save writes the whole simulator state (the host's filesystem with its
// volumes, layers, containers' filesystems, networks) and Load makes a
// Backend from it; processes do not survive, as after a reboot:
//
//	var buf bytes.Buffer
//	b.Save(&buf)                                  // gzip; a fresh machine is a few KB
//	b2, err := sim.Load(&buf, sim.Options{Registry: reg, HostCommands: cmds})
package sim

import (
	"context"
	"net/netip"
	"sort"
	"sync"
	"time"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/wasm/sim/kernel"
	"github.com/twinbox-dev/twinbox/wasm/sim/netsim"
	"github.com/twinbox-dev/twinbox/wasm/sim/sys"
	"github.com/twinbox-dev/twinbox/wasm/sim/vfs"
)

// Options configure a Backend.
type Options struct {
	// Registry holds the programs of the multi-call binaries that images
	// and the host contain: busybox's applets, sh, docker.
	Registry sys.Registry
	// Clock is the machine's clock; nil means the real one.
	Clock kernel.Clock
	// Hostname is the host's name; "" means "twinbox".
	Hostname string
	// HostCommands installs commands on the host: command name → the
	// multi-call binary that implements it. Each binary is a file in
	// /usr/bin; each command that is not the binary itself a symlink to it
	// there (/usr/bin/ls → busybox). Commands helps fill it.
	HostCommands map[string]string
	// OnPanic is told about a program that panicked (the kernel ends it as
	// a segmentation fault would); nil ignores it.
	OnPanic func(p *kernel.Process, v any, stack []byte)
}

// Commands maps each name to binary, for Options.HostCommands.
func Commands(binary string, names []string) map[string]string {
	m := make(map[string]string, len(names)+1)
	for _, n := range names {
		m[n] = binary
	}
	m[binary] = binary
	return m
}

// Facts about the simulated machine, a Debian 12 VM running Docker 20.10.
const (
	hostRootDir   = "/var/lib/docker"
	volumesDir    = hostRootDir + "/volumes"
	containersDir = hostRootDir + "/containers"
	netnsDir      = "/run/docker/netns"
	memTotal      = 4104589312 // 3.8 GiB, as `docker info` reports a 4 GB VM
	numCPU        = 2
	hostDisk      = "/dev/sda1"
)

var defaultSubnet = netip.MustParsePrefix("172.17.0.0/16")

// Backend is the simulator's backend.Backend. Its methods are safe for
// concurrent use.
type Backend struct {
	opts  Options
	clock kernel.Clock
	k     *kernel.Kernel
	host  *vfs.Tree      // the host's root filesystem
	hostM *vfs.Namespace // the host's mount namespace over it
	boot  time.Time

	hostDevpts *kernel.Devpts
	containerd *kernel.Process
	dockerd    *kernel.Process

	mu         sync.Mutex
	layers     map[string]*layer // by ChainID
	containers map[string]*container
	networks   map[string]backend.Network
	ports      map[string]string // published host port → container ID

	net      *netsim.Net // the machine's network: host stack, bridges, containers' stacks
	resolver backend.NameResolver
}

var _ backend.Backend = (*Backend)(nil)

// New returns a freshly booted simulated Docker host with no images,
// containers, networks or volumes.
func New(opts Options) *Backend {
	b := newBackend(opts)
	b.installHost()
	b.bootHost()
	return b
}

func newBackend(opts Options) *Backend {
	if opts.Clock == nil {
		opts.Clock = kernel.RealClock{}
	}
	if opts.Hostname == "" {
		opts.Hostname = "twinbox"
	}
	b := &Backend{
		opts:       opts,
		clock:      opts.Clock,
		layers:     map[string]*layer{},
		containers: map[string]*container{},
		networks:   map[string]backend.Network{},
		ports:      map[string]string{},
		hostDevpts: kernel.NewDevpts(),
	}
	b.boot = b.clock.Now()
	b.host = vfs.NewTree(b.clock.Now)
	return b
}

// vclock is the vfs clock of the machine.
func (b *Backend) vclock() vfs.Clock { return b.clock.Now }

// Kernel returns the simulated kernel, for callers that inspect processes
// and namespaces (the lesson pictures, /proc).
func (b *Backend) Kernel() *kernel.Kernel { return b.k }

// Net returns the machine's network: the host's stack, the bridges and
// the containers' stacks, for callers that picture it.
func (b *Backend) Net() *netsim.Net { return b.net }

// HostFS returns the host's filesystem, as the host's root sees it.
func (b *Backend) HostFS() vfs.FS { return b.hostM }

// Close kills every process, as a shutdown does.
func (b *Backend) Close() error {
	b.k.Shutdown()
	return nil
}

// Describe reports a Debian 12 virtual machine running Docker 20.10 with
// the overlay2 driver on cgroup v1, like the reference machine.
func (b *Backend) Describe(ctx context.Context) (backend.Description, error) {
	resolv, _ := vfs.ReadFile(b.host, "/etc/resolv.conf")
	name := b.k.RootNamespaces().UTS.Hostname()
	return backend.Description{
		Name:   name,
		Driver: "overlay2",
		DriverStatus: [][2]string{
			{"Backing Filesystem", "extfs"},
			{"Supports d_type", "true"},
			{"Native Overlay Diff", "true"},
			{"userxattr", "false"},
		},
		KernelVersion:   kernel.DefaultRelease,
		OperatingSystem: "Debian GNU/Linux 12 (bookworm)",
		OSVersion:       "12",
		OSType:          "linux",
		Architecture:    kernel.DefaultMachine,
		NCPU:            numCPU,
		MemTotal:        memTotal,
		CgroupDriver:    "cgroupfs",
		CgroupVersion:   "1",
		RootDir:         hostRootDir,
		DefaultBridge:   "docker0",
		DefaultSubnet:   defaultSubnet,
		ResolvConf:      resolv,
		MemoryLimit:     true,
		SwapLimit:       true,
		CPUShares:       true,
		PidsLimit:       true,
		OomKillDisable:  true,
	}, nil
}

// notFoundContainer is the error for an unknown container ID.
func notFoundContainer(id string) error {
	return backend.Errorf(backend.NotFound, "No such container: %s", id)
}

func notRunning(id string) error {
	return backend.Errorf(backend.Conflict, "Container %s is not running", id)
}

// sortedKeys returns m's keys sorted.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Kind names the backend in `docker version`.
func (b *Backend) Kind() string { return "simulator" }
