package backend

import (
	"context"
	"net/netip"
)

// Optional capabilities: a Backend may implement these as well; the engine
// checks for them with type assertions where it uses them.

// Kinder names the kind of machine for people: "simulator", "native". The
// engine shows it in `docker version`.
type Kinder interface {
	Kind() string
}

// GraphDriverReporter reports what `docker inspect` shows as
// GraphDriver.Data for container id (LowerDir, MergedDir, UpperDir,
// WorkDir). Errors: NotFound.
type GraphDriverReporter interface {
	GraphDriver(ctx context.Context, id string) (map[string]string, error)
}

// ContainerFiler reports where the machine keeps the file the runtime
// mounts at path ("/etc/hosts", "/etc/hostname", "/etc/resolv.conf") for
// container id, for inspect's HostsPath, HostnamePath and ResolvConfPath.
type ContainerFiler interface {
	ContainerFile(id, path string) string
}

// RootfsSizer reports the size of container id's read-write layer (the Lstat
// sizes of everything in it but directories, each inode once, as
// Docker's directory.Size), for `docker ps -s` and `docker system df`.
type RootfsSizer interface {
	RootfsSize(ctx context.Context, id string) (int64, error)
}

// PortChecker reports whether a host port is free on the machine, where
// other programs may hold ports the engine did not hand out. The engine
// skips a random host port that is not, as dockerd retries another when
// its proxy cannot bind one; a port asked for by number is not checked
// (the proxy's error is Docker's answer).
type PortChecker interface {
	// PortFree reports whether proto ("tcp" or "udp") port can be bound on
	// hostIP (an unspecified address: every address of its family).
	PortFree(proto string, hostIP netip.Addr, port uint16) bool
}

// ResourceUpdater changes the limits of a running container's control
// group (`docker update`).
type ResourceUpdater interface {
	UpdateResources(ctx context.Context, id string, r Resources) error
}
