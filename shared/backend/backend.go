// Package backend defines Backend, the narrow interface between twinbox's
// engine and a machine that stores layers and runs containers.
//
// Two implementations exist: the simulator (wasm/sim), an in-memory model that
// runs anywhere including js/wasm, and the native Linux backend (native/), which
// uses overlayfs, namespaces, cgroups and netlink for real. The engine
// (shared/engine) sits above Backend and owns everything Docker users see as
// policy: validation, defaults, names and IDs, the container state machine,
// restart policies, logs, events, image metadata and address allocation.
// A backend only does what a kernel and a storage driver do.
//
// The conformance suite in shared/backend/enginetest runs the same scenarios
// against every Backend; a behaviour exists when the suite shows it on both.
//
// Errors: every method returns errors built with this package's codes
// (NotFound, Conflict, InvalidParameter, ...; see errors.go), so the engine can
// map them once to HTTP statuses and Docker's texts. A method comment names the
// code it must use for each failure; any other failure is an Internal error.
//
// Paths inside a container are absolute, slash-separated and resolved inside the
// container's root: a symlink can never lead out of it.
package backend

import (
	"context"
	"io"
	"net/netip"
	"time"
)

// Backend stores layers and container filesystems and runs container processes.
//
// IDs (container, network) are chosen by the engine: 64 lowercase hex digits.
// The engine serialises calls that concern one container; calls about
// different containers may arrive concurrently.
type Backend interface {
	// Describe reports facts about the machine for `docker info` and
	// `docker version`.
	Describe(ctx context.Context) (Description, error)

	// ApplyLayer reads an uncompressed layer tar (Docker's layer format:
	// OCI whiteouts ".wh.NAME" and ".wh..wh..opq") and stores it as a new
	// read-only layer on top of the layer chain parent ("" for a base layer).
	// It returns the layer, whose DiffID is the sha256 of the bytes read and
	// whose ChainID follows the OCI rule. Applying a tar whose chain exists
	// already returns the existing layer. Errors: NotFound when parent does not
	// exist; InvalidParameter when the tar is malformed or names a path that
	// escapes the layer root (absolute or ../ names, links pointing out);
	// nothing is stored then.
	ApplyLayer(ctx context.Context, parent string, tar io.Reader) (Layer, error)

	// Layer returns the layer with the given ChainID. Errors: NotFound.
	Layer(ctx context.Context, chainID string) (Layer, error)

	// LayerTar returns the layer's own content (not its parents') as an
	// uncompressed tar whose sha256 is the layer's DiffID. Errors: NotFound.
	LayerTar(ctx context.Context, chainID string) (io.ReadCloser, error)

	// RemoveLayer deletes a layer. The caller guarantees no image, container
	// or child layer uses it. Errors: NotFound.
	RemoveLayer(ctx context.Context, chainID string) error

	// CreateRootfs prepares container id's filesystem: an empty read-write
	// layer on top of the layer chain parent ("" for an image built FROM
	// scratch). Errors: NotFound when parent does not exist; Conflict when
	// id has a rootfs already.
	CreateRootfs(ctx context.Context, id, parent string) error

	// RemoveRootfs deletes container id's read-write layer and anything the
	// backend keeps for it. The caller guarantees no process of the container
	// runs. Errors: NotFound.
	RemoveRootfs(ctx context.Context, id string) error

	// Changes lists what the container's read-write layer adds, changes and
	// deletes relative to its image, as `docker diff` reports it: a deleted
	// path is Delete (its children are not listed), a new path Add, a path
	// whose content or metadata changed Modify, and every existing directory
	// on the way to a change is Modify. Mount points of volumes and the files
	// the runtime mounts (/etc/hosts, /etc/hostname, /etc/resolv.conf) are not
	// listed unless the container changed them in its own layer. The order is
	// that of Docker's walk of an overlay upper directory: depth first, each
	// directory's entries sorted by name, a directory before its entries.
	// Errors: NotFound.
	Changes(ctx context.Context, id string) ([]Change, error)

	// CommitRootfs turns a snapshot of the container's read-write layer into a
	// new read-only layer on top of the container's parent chain and returns
	// it. The container's layer is unchanged. A layer with no changes is still
	// a layer (of size 0). Errors: NotFound.
	CommitRootfs(ctx context.Context, id string) (Layer, error)

	// ExportRootfs returns the container's merged filesystem as a tar
	// (`docker export`). Errors: NotFound.
	ExportRootfs(ctx context.Context, id string) (io.ReadCloser, error)

	// StatPath describes path in the container's merged filesystem without
	// following a final symlink. Errors: NotFound for the container or path.
	StatPath(ctx context.Context, id, path string) (PathStat, error)

	// CopyOut returns path (a file or a directory and its contents) from the
	// container's merged filesystem, volumes included, as a tar whose entries
	// are named from the path's base name, as `docker cp` expects.
	// Errors: NotFound for the container or path.
	CopyOut(ctx context.Context, id, path string) (io.ReadCloser, error)

	// CopyIn extracts tar into directory dir of the container's filesystem
	// (through its mounts, as a running container sees it), creating what the
	// tar names. Entries may not escape dir. Errors: NotFound for the container
	// or dir; InvalidParameter for a malformed tar or an escaping entry;
	// Conflict when opts forbid replacing a directory by a file or the reverse.
	CopyIn(ctx context.Context, id, dir string, tar io.Reader, opts CopyOptions) error

	// Start runs the container's first process in a new sandbox as spec says
	// and returns once the process runs. The backend copies the process's
	// output to stdio until the process ends. Errors: NotFound when the
	// container has no rootfs; ExecError (InvalidParameter code) when
	// spec.Process.Args[0] cannot be executed, in which case nothing is left
	// running; Conflict when a resource spec asks for is taken (a host port).
	Start(ctx context.Context, id string, spec *Spec, stdio Stdio) (Process, error)

	// Exec runs another process in the running container's sandbox and
	// namespaces. Errors: NotFound; Conflict when the container does not run;
	// ExecError when the command cannot be executed.
	Exec(ctx context.Context, id string, spec *ProcessSpec, stdio Stdio) (Process, error)

	// Restore reattaches to the container's first process after the engine
	// restarted: it returns the process if it still runs, or a Process whose
	// Wait returns the status it ended with. Errors: NotFound when the backend
	// knows nothing of the process (the engine then marks the container exited).
	Restore(ctx context.Context, id string, stdio Stdio) (Process, error)

	// Pause freezes every process of the container; Resume thaws them.
	// Errors: NotFound; Conflict when the container does not run.
	Pause(ctx context.Context, id string) error
	Resume(ctx context.Context, id string) error

	// Processes lists the container's processes with host PIDs, parents first.
	// Errors: NotFound; Conflict when the container does not run.
	Processes(ctx context.Context, id string) ([]ProcessInfo, error)

	// Stats reports the container's resource usage. Errors: NotFound;
	// Conflict when the container does not run.
	Stats(ctx context.Context, id string) (Stats, error)

	// CreateNetwork creates a bridge for n. Errors: Conflict when the bridge
	// or an overlapping subnet exists.
	CreateNetwork(ctx context.Context, n Network) error

	// RemoveNetwork deletes network id's bridge. The caller guarantees no
	// container is connected. Errors: NotFound.
	RemoveNetwork(ctx context.Context, id string) error

	// Connect adds an endpoint to running container id; Disconnect removes
	// the endpoint on network netID. Errors: NotFound; Conflict when the
	// container does not run.
	Connect(ctx context.Context, id string, ep Endpoint) error
	Disconnect(ctx context.Context, id, netID string) error

	// CreateVolume makes the storage for a named volume and returns its
	// mount point as the machine names it. Errors: Conflict when it exists.
	CreateVolume(ctx context.Context, name string) (mountpoint string, err error)

	// RemoveVolume deletes a volume's storage and content. The caller
	// guarantees no container uses it. Errors: NotFound.
	RemoveVolume(ctx context.Context, name string) error
}

// Layer is a read-only filesystem layer.
type Layer struct {
	ChainID string // "sha256:<hex>": identifies this layer on its parents
	DiffID  string // "sha256:<hex>" of the layer's uncompressed tar
	Parent  string // ChainID of the layer below, "" for a base layer
	// Size is what Docker reports as the layer's size: the sum of the sizes
	// of the regular files in its tar plus the length of each symlink's
	// target (what lstat reports for a symlink); directories, devices and
	// whiteouts count 0, and a hard link counts 0. shared/image.Reader's
	// Size computes it. (busybox:latest: 1,982,358 bytes of files plus 268
	// links to "busybox" make its 1,984,234.)
	Size int64
}

// ChangeKind is the kind of a Change, with Docker's numbering.
type ChangeKind int

// The change kinds, numbered as the Engine API numbers them.
const (
	Modify ChangeKind = 0
	Add    ChangeKind = 1
	Delete ChangeKind = 2
)

// String returns the letter `docker diff` prints: C, A or D.
func (k ChangeKind) String() string {
	switch k {
	case Add:
		return "A"
	case Delete:
		return "D"
	default:
		return "C"
	}
}

// Change is one entry of a container's `docker diff`.
type Change struct {
	Path string
	Kind ChangeKind
}

// PathStat describes a path in a container, as the archive API reports it.
type PathStat struct {
	Name       string
	Size       int64
	Mode       uint32 // Go fs.FileMode bits
	Mtime      time.Time
	LinkTarget string
}

// CopyOptions tunes CopyIn.
type CopyOptions struct {
	// NoOverwriteDirNonDir refuses to replace a directory by a non-directory
	// or the reverse.
	NoOverwriteDirNonDir bool
	// UID and GID, when ChownSet, own everything extracted.
	ChownSet bool
	UID, GID int
}

// Spec describes a container's sandbox and first process.
type Spec struct {
	Process    ProcessSpec
	Hostname   string
	Domainname string

	// Files holds the contents of /etc/hostname, /etc/hosts and
	// /etc/resolv.conf as the engine computed them. The backend makes them
	// appear at those paths without writing them into the read-write layer
	// (Docker bind-mounts them), so they are not in `docker diff`.
	Files map[string][]byte

	Mounts         []Mount
	Network        NetworkSpec
	Resources      Resources
	ReadonlyRootfs bool
	Privileged     bool
	CapAdd         []string
	CapDrop        []string

	// PID says which PID namespace the container's processes are in, and
	// IPC which IPC namespace (see NamespaceSpec). A backend that cannot
	// join the namespace asked for returns InvalidParameter; when the
	// container to join is not running, Conflict.
	PID NamespaceSpec
	IPC NamespaceSpec
}

// ProcessSpec describes a process to run in a container.
type ProcessSpec struct {
	// Args is the command; Args[0] is looked up in the PATH of Env when it
	// has no slash, inside the container's filesystem.
	Args []string
	// Env is the environment in order. When it has no HOME, the backend
	// appends HOME=<the user's home directory> as runc does.
	Env []string
	// Cwd is absolute; the backend creates it when missing, as Docker does.
	Cwd string
	// User is resolved in the container (see ResolveUser).
	User        string
	Tty         bool
	ConsoleSize [2]uint // height, width
}

// Mount is a volume, bind mount or tmpfs in a container.
type Mount struct {
	Type        string // "volume", "bind" or "tmpfs"
	Source      string // volume name, or absolute host path for "bind"
	Destination string // absolute path in the container
	ReadOnly    bool
	// CopyUp asks to copy the image's content at Destination into an empty
	// volume before mounting it, as Docker does for new volumes.
	CopyUp bool
}

// Resources are the container's cgroup limits; zero means unlimited.
type Resources struct {
	Memory     int64 // bytes
	MemorySwap int64 // bytes, memory plus swap; -1 unlimited swap
	CPUShares  int64
	NanoCPUs   int64
	PidsLimit  int64
}

// NetworkSpec says which network stack the container gets.
type NetworkSpec struct {
	// Mode is "none" (loopback only), "host" (the machine's stack),
	// "container" (the stack of container Container) or "bridge" (one
	// endpoint per entry of Endpoints, the first holding the default route).
	Mode      string
	Container string
	Endpoints []Endpoint
	Ports     []PortMapping
}

// NamespaceSpec says which namespace of a kind (PID or IPC) a container
// gets, as --pid and --ipc choose it.
type NamespaceSpec struct {
	// Mode is "" for a new namespace of the container's own (for IPC,
	// --ipc private, shareable and none, which differ only in /dev/shm),
	// "host" for the machine's, or "container" for that of the running
	// container Container.
	Mode string
	// Container is the ID of the container whose namespace to join, with
	// Mode "container". The engine has checked that it runs (and, for
	// IPC, that its IPC namespace may be shared).
	Container string
}

// Endpoint is a container's interface on a network.
type Endpoint struct {
	NetworkID string
	Bridge    string       // the bridge's interface name on the machine
	IfName    string       // name inside the container: eth0, eth1, ...
	Address   netip.Prefix // the container's address and the subnet's length
	Gateway   netip.Addr   // default route via this address when the endpoint is first
	MAC       string       // "02:42:ac:11:00:02"
}

// PortMapping publishes a container port on the machine.
type PortMapping struct {
	Proto         string // "tcp" or "udp"
	ContainerPort uint16
	HostIP        netip.Addr // unspecified address: all addresses
	HostPort      uint16
	ContainerIP   netip.Addr
}

// Network is a bridge network the backend realises.
type Network struct {
	ID       string
	Name     string
	Bridge   string // interface name on the machine
	Subnet   netip.Prefix
	Gateway  netip.Addr
	Internal bool
	// ICC allows containers on the bridge to reach each other.
	ICC bool
}

// Stdio is where a process's standard streams go. The engine's writers do not
// block for long. Stdin nil means the process reads end-of-file.
type Stdio struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer // unused when the process has a TTY: all output is Stdout
}

// Process is a running (or, from Restore, possibly finished) process.
type Process interface {
	// Pid is the process's PID on the machine.
	Pid() int
	// Signal delivers sig. Errors: Conflict when the process has ended.
	Signal(sig Signal) error
	// Wait blocks until the process has ended and all its output has been
	// written to Stdio, or ctx is done (then it returns ctx.Err()).
	Wait(ctx context.Context) (ExitStatus, error)
	// Resize changes the TTY's size; without a TTY it does nothing.
	Resize(height, width uint) error
	// CloseStdin closes the process's standard input.
	CloseStdin() error
}

// ExitStatus is how a process ended.
type ExitStatus struct {
	Code      int  // exit code, or 128+signal when killed by a signal
	OOMKilled bool // killed by the kernel for exceeding its memory limit
	At        time.Time
}

// ProcessInfo describes one process of a container, for `docker top`.
type ProcessInfo struct {
	PID     int // on the machine
	PPID    int
	UID     int
	User    string // name on the machine, or the UID in decimal
	Start   time.Time
	CPUTime time.Duration
	TTY     string // "?" without a terminal, else "pts/N"
	Comm    string
	Args    []string
	RSS     int64  // bytes
	VSZ     int64  // bytes
	State   string // "S", "R", "Z", ...
}

// Stats is a container's resource usage.
type Stats struct {
	Read        time.Time
	CPUTotal    time.Duration
	SystemCPU   time.Duration
	OnlineCPUs  int
	MemoryUsage int64
	MemoryLimit int64
	Pids        int64
	PidsLimit   int64
	NetRx       int64
	NetTx       int64
	BlockRead   int64
	BlockWrite  int64
}

// Description is what Describe reports.
type Description struct {
	Name            string // host name of the machine
	Driver          string // storage driver: "overlay2", "vfs"
	DriverStatus    [][2]string
	KernelVersion   string
	OperatingSystem string
	OSVersion       string
	OSType          string // "linux"
	Architecture    string // uname -m: "x86_64"
	NCPU            int
	MemTotal        int64
	CgroupDriver    string
	CgroupVersion   string
	RootDir         string // where the engine's state lives
	// DefaultBridge and DefaultSubnet are the interface name and the free
	// subnet the engine uses for the default "bridge" network ("docker0" and
	// 172.17.0.0/16 in the simulator; "twinbox0" and the first free
	// 172.17-31.x.0/16 range natively).
	DefaultBridge string
	DefaultSubnet netip.Prefix
	// ResolvConf is the machine's /etc/resolv.conf, from which the engine
	// derives containers' (as dockerd does: localhost name servers dropped,
	// Google's public ones when none is left).
	ResolvConf []byte
	// Limits the machine supports, reported by `docker info`.
	MemoryLimit, SwapLimit, CPUShares, PidsLimit, OomKillDisable bool
}

// NameResolver answers containers' DNS queries for names the engine knows,
// as Docker's embedded DNS server at 127.0.0.11 does on user-defined
// networks: other containers' names, network aliases and links.
type NameResolver interface {
	// Resolve returns the IPv4 addresses name has for container id (a
	// container on a user-defined network asking for a peer), or none, in
	// which case the backend answers as the host's resolver would (on these
	// machines: no such host).
	Resolve(id, name string) []netip.Addr
}

// ResolverSetter is an optional Backend capability: a backend that runs
// an embedded DNS server for user-defined networks implements it, and the
// engine gives it its resolver once, right after creating the engine.
type ResolverSetter interface {
	SetResolver(NameResolver)
}

// RouteLister is an optional Backend capability: a backend on a machine
// with networks of its own lists the IPv4 prefixes its routes and addresses
// cover, so that the engine gives new networks subnets that overlap none of
// them, as dockerd picks its default address pools.
type RouteLister interface {
	// Routes returns the IPv4 prefixes in use on the machine, besides the
	// bridges the backend made for the engine's networks.
	Routes(ctx context.Context) ([]netip.Prefix, error)
}

// VolumeSizer is an optional Backend capability: the bytes a volume's
// files take, for `docker volume prune` and `docker system df`.
type VolumeSizer interface {
	// VolumeSize returns the size of volume name's content. Errors:
	// NotFound.
	VolumeSize(ctx context.Context, name string) (int64, error)
}

// HostPathChecker is an optional Backend capability: whether a path exists
// on the machine, for the engine to refuse a `--mount type=bind` whose
// source is missing when the container is created, as dockerd does (a
// `-v /src:/dst` bind makes its missing source at Start instead).
type HostPathChecker interface {
	// HostPathExists reports whether path exists on the machine.
	HostPathExists(ctx context.Context, path string) (bool, error)
}

// FilesUpdater is an optional Backend capability: the engine changes the
// files of Spec.Files while the container runs, as dockerd rewrites the
// files it bind-mounts. It does so when `docker network connect` puts a
// running container whose resolv.conf names the machine's name servers on
// a user-defined network: the file then names the embedded DNS server at
// 127.0.0.11, as libnetwork's rebuildDNS writes it.
type FilesUpdater interface {
	// UpdateFiles gives the files of running container id that files
	// names (keys as in Spec.Files) the new contents, where the container
	// sees them, and starts the container's embedded DNS server when
	// /etc/resolv.conf names 127.0.0.11 and none runs. Errors: NotFound;
	// Conflict when the container does not run.
	UpdateFiles(ctx context.Context, id string, files map[string][]byte) error
}
