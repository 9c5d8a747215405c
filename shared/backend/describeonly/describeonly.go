// Package describeonly is the smallest backend an engine starts on, for
// tests of the engine and its API that run no container.
package describeonly

import (
	"context"
	"net/netip"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

// Backend describes a machine and accepts the default bridge. Anything
// else it is asked panics (a nil interface), which the API router answers
// with a 500.
type Backend struct{ backend.Backend }

// Describe describes a Debian 12 machine with two CPUs and 4 GiB.
func (Backend) Describe(ctx context.Context) (backend.Description, error) {
	return backend.Description{
		Name: "twinbox", Driver: "overlay2", KernelVersion: "6.1.0", OperatingSystem: "Debian GNU/Linux 12 (bookworm)",
		OSVersion: "12", OSType: "linux", Architecture: "x86_64", NCPU: 2, MemTotal: 4 << 30,
		CgroupDriver: "cgroupfs", CgroupVersion: "1", RootDir: "/var/lib/twinbox",
		DefaultBridge: "docker0", DefaultSubnet: netip.MustParsePrefix("172.17.0.0/16"),
	}, nil
}

// CreateNetwork accepts any network.
func (Backend) CreateNetwork(ctx context.Context, n backend.Network) error { return nil }
