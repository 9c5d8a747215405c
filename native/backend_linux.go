package native

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/twinbox-dev/twinbox/native/cgroup"
	"github.com/twinbox-dev/twinbox/native/network"
	"github.com/twinbox-dev/twinbox/native/runtime"
	"github.com/twinbox-dev/twinbox/native/storage"
	"github.com/twinbox-dev/twinbox/native/store"
	"github.com/twinbox-dev/twinbox/shared/backend"
)

// DefaultRoot is where the native engine keeps its state.
const DefaultRoot = "/var/lib/twinbox"

// Options configure the native backend. The zero value is usable.
type Options struct {
	// Root is the engine's state folder; "" means DefaultRoot.
	Root string
	// CgroupParent names the control group under which each container gets
	// its own; "" means "twinbox".
	CgroupParent string
	// Exe is the binary re-executed as containers' monitors and inits (its
	// main must call Init first); "" means this process's own binary.
	Exe string
	// DefaultBridge names the default network's bridge; "" means
	// "twinbox0". (Tests use their own, beside a running daemon's.)
	DefaultBridge string
}

// Backend is backend.Backend on the Linux kernel. Its methods are safe for
// concurrent use.
type Backend struct {
	root   string
	bridge string
	lock   *os.File
	store  *storage.Store
	cg     *cgroup.Manager
	rt     *runtime.Runtime
	fw     *network.Firewall

	netMu sync.Mutex
}

var (
	_ backend.ResolverSetter  = (*Backend)(nil)
	_ backend.RouteLister     = (*Backend)(nil)
	_ backend.VolumeSizer     = (*Backend)(nil)
	_ backend.RootfsSizer     = (*Backend)(nil)
	_ backend.ResourceUpdater = (*Backend)(nil)
	_ backend.HostPathChecker = (*Backend)(nil)
	_ backend.FilesUpdater    = (*Backend)(nil)
)

var _ backend.Backend = (*Backend)(nil)

// Init runs the container side of twinbox when this process is a
// re-executed monitor, init or exec helper, and then never returns; in any
// other process it returns at once. main calls it first.
func Init() { runtime.Init() }

// New checks the machine (root, overlayfs, cgroup controllers), takes the
// root's lock and returns the backend. Errors say what is missing.
func New(opts Options) (*Backend, error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("native backend: needs root (namespaces, mounts, cgroups and network devices are privileged)")
	}
	fsys, err := os.ReadFile("/proc/filesystems")
	if err != nil {
		return nil, fmt.Errorf("native backend: %w", err)
	}
	if !bytes.Contains(fsys, []byte("\toverlay\n")) {
		return nil, errors.New("native backend: the kernel has no overlay filesystem (modprobe overlay)")
	}
	root := opts.Root
	if root == "" {
		root = DefaultRoot
	}
	parent := opts.CgroupParent
	if parent == "" {
		parent = "twinbox"
	}
	cg, err := cgroup.NewManager(parent)
	if err != nil {
		return nil, fmt.Errorf("native backend: %w", err)
	}
	if err := os.MkdirAll(root, 0o711); err != nil {
		return nil, fmt.Errorf("native backend: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(root, "twinbox.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("native backend: %w", err)
	}
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		lock.Close()
		return nil, fmt.Errorf("native backend: another twinbox daemon uses %s", root)
	}
	st, err := storage.Open(root)
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("native backend: %w", err)
	}
	os.MkdirAll(filepath.Join(root, "networks"), 0o700)
	rt := runtime.New(st, cg)
	if opts.Exe != "" {
		rt.Exe = opts.Exe
	}
	bridge := opts.DefaultBridge
	if bridge == "" {
		bridge = network.DefaultBridge
	}
	// The daemon's packet filter rules, named after its root: the rules a
	// crashed daemon on this root left go now, and the engine's
	// CreateNetwork calls at its start add its bridges' again.
	sum := sha256.Sum256([]byte(st.Root()))
	fw, err := network.OpenFirewall(hex.EncodeToString(sum[:4]))
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("native backend: %w", err)
	}
	return &Backend{root: st.Root(), bridge: bridge, lock: lock, store: st, cg: cg, rt: rt, fw: fw}, nil
}

// RecordStore returns the directory-backed store for the engine's records,
// <root>/records.
func (b *Backend) RecordStore() (*store.Store, error) {
	return store.Open(filepath.Join(b.root, "records"))
}

// Root returns the backend's state folder.
func (b *Backend) Root() string { return b.root }

// Close stops the port proxies and DNS servers of running containers,
// deletes the daemon's packet filter rules and releases the root's lock.
// Containers keep running; a new backend on the same root restores them
// and serves them again.
func (b *Backend) Close() error {
	b.rt.Close()
	err := b.fw.Close()
	if lerr := b.lock.Close(); err == nil {
		err = lerr
	}
	return err
}

// SetResolver gives the embedded DNS servers the engine's names.
func (b *Backend) SetResolver(r backend.NameResolver) { b.rt.SetResolver(r.Resolve) }

// Routes lists the machine's IPv4 prefixes but the daemon's bridges'.
func (b *Backend) Routes(ctx context.Context) ([]netip.Prefix, error) {
	skip := map[string]bool{b.bridge: true}
	for _, n := range b.networks() {
		skip[n.Bridge] = true
	}
	return network.Routes(skip)
}

// networks returns the networks the backend realised.
func (b *Backend) networks() []backend.Network {
	ents, _ := os.ReadDir(filepath.Join(b.root, "networks"))
	var out []backend.Network
	for _, e := range ents {
		data, err := os.ReadFile(filepath.Join(b.root, "networks", e.Name()))
		var n backend.Network
		if err == nil && json.Unmarshal(data, &n) == nil {
			out = append(out, n)
		}
	}
	return out
}

// VolumeSize returns the bytes a volume's files take.
func (b *Backend) VolumeSize(ctx context.Context, name string) (int64, error) {
	return b.store.VolumeSize(name)
}

// RootfsSize returns the size of the container's read-write layer.
func (b *Backend) RootfsSize(ctx context.Context, id string) (int64, error) {
	return b.store.RootfsSize(id)
}

// HostPathExists reports whether path exists on the machine.
func (b *Backend) HostPathExists(ctx context.Context, path string) (bool, error) {
	_, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// PortFree reports whether proto port can be bound on hostIP now.
func (b *Backend) PortFree(proto string, hostIP netip.Addr, port uint16) bool {
	return network.PortFree(proto, hostIP, port)
}

// Describe reports facts about the machine.
func (b *Backend) Describe(ctx context.Context) (backend.Description, error) {
	var u unix.Utsname
	unix.Uname(&u)
	str := func(b []byte) string { return string(bytes.TrimRight(b, "\x00")) }
	d := backend.Description{
		Name: str(u.Nodename[:]), Driver: "overlay2", KernelVersion: str(u.Release[:]),
		OSType: "linux", Architecture: str(u.Machine[:]), NCPU: goruntime.NumCPU(),
		CgroupDriver: "cgroupfs", CgroupVersion: b.cg.Version(), RootDir: b.root,
		DefaultBridge: b.bridge,
		MemoryLimit:   true, SwapLimit: b.cg.SwapLimit(), CPUShares: true, PidsLimit: true,
		OomKillDisable: b.cg.Version() == "1",
	}
	d.DriverStatus = [][2]string{{"Backing Filesystem", backingFS(b.root)}, {"Supports d_type", "true"}, {"Native Overlay Diff", "true"}, {"userxattr", "false"}}
	d.OperatingSystem, d.OSVersion = osRelease()
	d.MemTotal = memTotal()
	d.ResolvConf, _ = os.ReadFile("/etc/resolv.conf")
	subnet, err := network.FreeSubnet(b.bridge)
	if err != nil {
		return d, err
	}
	d.DefaultSubnet = subnet
	return d, nil
}

func backingFS(dir string) string {
	var s unix.Statfs_t
	if unix.Statfs(dir, &s) != nil {
		return "unknown"
	}
	switch s.Type {
	case unix.EXT4_SUPER_MAGIC:
		return "extfs"
	case unix.XFS_SUPER_MAGIC:
		return "xfs"
	case unix.BTRFS_SUPER_MAGIC:
		return "btrfs"
	case unix.TMPFS_MAGIC:
		return "tmpfs"
	}
	return fmt.Sprintf("<unknown (%x)>", s.Type)
}

func osRelease() (name, version string) {
	f, err := os.Open("/etc/os-release")
	if err != nil {
		return "Linux", ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), "=")
		v = strings.Trim(v, `"`)
		switch k {
		case "PRETTY_NAME":
			name = v
		case "VERSION_ID":
			version = v
		}
	}
	return name, version
}

func memTotal() int64 {
	var si unix.Sysinfo_t
	if unix.Sysinfo(&si) != nil {
		return 0
	}
	return int64(si.Totalram) * int64(si.Unit)
}

// ApplyLayer stores a layer tar.
func (b *Backend) ApplyLayer(ctx context.Context, parent string, tar io.Reader) (backend.Layer, error) {
	return b.store.ApplyLayer(parent, tar)
}

// Layer returns a layer.
func (b *Backend) Layer(ctx context.Context, chainID string) (backend.Layer, error) {
	return b.store.Layer(chainID)
}

// LayerTar returns a layer's tar.
func (b *Backend) LayerTar(ctx context.Context, chainID string) (io.ReadCloser, error) {
	return b.store.LayerTar(chainID)
}

// RemoveLayer deletes a layer.
func (b *Backend) RemoveLayer(ctx context.Context, chainID string) error {
	return b.store.RemoveLayer(chainID)
}

// CreateRootfs prepares a container's layers.
func (b *Backend) CreateRootfs(ctx context.Context, id, parent string) error {
	return b.store.CreateRootfs(id, parent)
}

// RemoveRootfs deletes a container's layers and folder.
func (b *Backend) RemoveRootfs(ctx context.Context, id string) error {
	b.rt.Forget(id)
	if b.rt.Pid(id) == 0 {
		// A group a crashed daemon left behind.
		if g, err := b.cg.Load(id); err == nil {
			g.Delete()
		}
	}
	return b.store.RemoveRootfs(id)
}

// Changes lists the container's changes.
func (b *Backend) Changes(ctx context.Context, id string) ([]backend.Change, error) {
	return b.store.Changes(id)
}

// CommitRootfs turns the container's layer into a new layer.
func (b *Backend) CommitRootfs(ctx context.Context, id string) (backend.Layer, error) {
	return b.store.CommitRootfs(id)
}

// withRoot runs fn on the container's root as it is now: the running
// container's, mounts included, or a private mount of a stopped one.
func (b *Backend) withRoot(id string, fn func(rootFd int) error) error {
	return b.store.WithRoot(id, b.rt.Pid(id), fn)
}

// stream runs fn on the container's root in the background, writing to the
// returned reader, after checking with check (synchronously, so errors are
// returned by the caller).
func (b *Backend) stream(id string, check func(rootFd int) error, fn func(rootFd int, w io.Writer) error) (io.ReadCloser, error) {
	pr, pw := io.Pipe()
	checked := make(chan error, 1)
	go func() {
		err := b.withRoot(id, func(fd int) error {
			if err := check(fd); err != nil {
				checked <- err
				return err
			}
			checked <- nil
			return fn(fd, pw)
		})
		select {
		case checked <- err: // failed before the check
		default:
		}
		pw.CloseWithError(err)
	}()
	if err := <-checked; err != nil {
		pr.Close()
		return nil, err
	}
	return pr, nil
}

// ExportRootfs returns the container's filesystem as a tar.
func (b *Backend) ExportRootfs(ctx context.Context, id string) (io.ReadCloser, error) {
	return b.stream(id, func(int) error { return nil }, storage.Export)
}

// StatPath describes a path in the container.
func (b *Backend) StatPath(ctx context.Context, id, path string) (backend.PathStat, error) {
	var st backend.PathStat
	err := b.withRoot(id, func(fd int) error {
		var err error
		st, err = storage.Stat(fd, path)
		return err
	})
	return st, err
}

// CopyOut returns a path of the container as a tar.
func (b *Backend) CopyOut(ctx context.Context, id, path string) (io.ReadCloser, error) {
	return b.stream(id, func(fd int) error { return storage.CheckPath(fd, path) },
		func(fd int, w io.Writer) error { return storage.WriteTar(fd, path, w) })
}

// CopyIn extracts a tar into a folder of the container.
func (b *Backend) CopyIn(ctx context.Context, id, dir string, tar io.Reader, opts backend.CopyOptions) error {
	return b.withRoot(id, func(fd int) error { return storage.CopyIn(fd, dir, tar, opts) })
}

// Start runs the container's first process.
func (b *Backend) Start(ctx context.Context, id string, spec *backend.Spec, stdio backend.Stdio) (backend.Process, error) {
	return b.rt.Start(ctx, id, spec, stdio)
}

// Exec runs a process in a running container.
func (b *Backend) Exec(ctx context.Context, id string, spec *backend.ProcessSpec, stdio backend.Stdio) (backend.Process, error) {
	return b.rt.Exec(ctx, id, spec, stdio)
}

// Restore reattaches to a container's first process.
func (b *Backend) Restore(ctx context.Context, id string, stdio backend.Stdio) (backend.Process, error) {
	return b.rt.Restore(ctx, id, stdio)
}

// UpdateResources sets a running container's limits.
func (b *Backend) UpdateResources(ctx context.Context, id string, r backend.Resources) error {
	return b.rt.UpdateResources(id, r)
}

// Pause freezes the container.
func (b *Backend) Pause(ctx context.Context, id string) error { return b.rt.Pause(id) }

// Resume thaws the container.
func (b *Backend) Resume(ctx context.Context, id string) error { return b.rt.Resume(id) }

// Processes lists the container's processes.
func (b *Backend) Processes(ctx context.Context, id string) ([]backend.ProcessInfo, error) {
	return b.rt.Processes(id)
}

// Stats reports the container's resource usage.
func (b *Backend) Stats(ctx context.Context, id string) (backend.Stats, error) {
	return b.rt.Stats(id)
}

func (b *Backend) networkFile(id string) string {
	return filepath.Join(b.root, "networks", id+".json")
}

// CreateNetwork creates a network's bridge.
func (b *Backend) CreateNetwork(ctx context.Context, n backend.Network) error {
	b.netMu.Lock()
	defer b.netMu.Unlock()
	_, err := os.Stat("/sys/class/net/" + n.Bridge)
	existed := err == nil // a restarted daemon's, with containers on it
	if err := network.CreateBridge(n); err != nil {
		return err
	}
	if err := b.fw.AddBridge(n.Bridge, n.Internal); err != nil {
		if !existed {
			network.RemoveBridge(n.Bridge)
		}
		return err
	}
	data, _ := json.Marshal(n)
	return os.WriteFile(b.networkFile(n.ID), data, 0o600)
}

// RemoveNetwork deletes a network's bridge.
func (b *Backend) RemoveNetwork(ctx context.Context, id string) error {
	b.netMu.Lock()
	defer b.netMu.Unlock()
	data, err := os.ReadFile(b.networkFile(id))
	if errors.Is(err, fs.ErrNotExist) {
		return backend.Errorf(backend.NotFound, "network %s not found", id)
	}
	if err != nil {
		return err
	}
	var n backend.Network
	if err := json.Unmarshal(data, &n); err != nil {
		return err
	}
	if err := b.fw.RemoveBridge(n.Bridge); err != nil {
		return err
	}
	if err := network.RemoveBridge(n.Bridge); err != nil && !backend.IsNotFound(err) {
		return err
	}
	return os.Remove(b.networkFile(id))
}

// Connect adds an endpoint to a running container.
func (b *Backend) Connect(ctx context.Context, id string, ep backend.Endpoint) error {
	return b.rt.Connect(id, ep)
}

// UpdateFiles rewrites a running container's /etc files.
func (b *Backend) UpdateFiles(ctx context.Context, id string, files map[string][]byte) error {
	return b.rt.UpdateFiles(id, files)
}

// Disconnect removes a container's endpoint.
func (b *Backend) Disconnect(ctx context.Context, id, netID string) error {
	return b.rt.Disconnect(id, netID)
}

// CreateVolume makes a volume's folder.
func (b *Backend) CreateVolume(ctx context.Context, name string) (string, error) {
	return b.store.CreateVolume(name)
}

// RemoveVolume deletes a volume.
func (b *Backend) RemoveVolume(ctx context.Context, name string) error {
	return b.store.RemoveVolume(name)
}

// GraphDriver returns what `docker inspect` shows as GraphDriver.Data for
// container id: LowerDir (the init layer, then the image's layers, top
// first), MergedDir, UpperDir and WorkDir. It is an optional capability:
// the engine checks for it with an interface assertion. Errors: NotFound.
func (b *Backend) GraphDriver(ctx context.Context, id string) (map[string]string, error) {
	l, err := b.store.Layout(id)
	if err != nil {
		return nil, err
	}
	lower := make([]string, len(l.Lower))
	for i, p := range l.Lower {
		if lower[i], err = filepath.EvalSymlinks(p); err != nil {
			lower[i] = p
		}
	}
	return map[string]string{
		"LowerDir": strings.Join(lower, ":"), "MergedDir": l.Merge, "UpperDir": l.Upper, "WorkDir": l.Work,
	}, nil
}

// ContainerFile returns where the machine keeps the file the runtime
// mounts at path ("/etc/hosts", "/etc/hostname", "/etc/resolv.conf") for
// container id, as `docker inspect` shows HostsPath, HostnamePath and
// ResolvConfPath. It is an optional capability, like GraphDriver.
func (b *Backend) ContainerFile(id, path string) string {
	return runtime.HostFile(b.store.ContainerDir(id), path)
}

// Kind names the backend in `docker version`.
func (b *Backend) Kind() string { return "native" }
