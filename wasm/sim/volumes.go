package sim

import (
	"context"
	"errors"
	"io/fs"
	"strings"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/wasm/sim/vfs"
)

// CreateVolume makes /var/lib/docker/volumes/NAME/_data on the host.
func (b *Backend) CreateVolume(ctx context.Context, name string) (string, error) {
	if !validVolumeName(name) {
		return "", backend.Errorf(backend.InvalidParameter, "create %s: invalid volume name", name)
	}
	dir := volumesDir + "/" + name
	if _, err := b.host.Lstat(dir); err == nil {
		return "", backend.Errorf(backend.Conflict, "volume %s exists", name)
	}
	if err := b.host.Mkdir(dir, 0o755); err != nil {
		return "", backend.Errorf(backend.InvalidParameter, "create %s: %v", name, err)
	}
	data := dir + "/_data"
	if err := b.host.Mkdir(data, 0o755); err != nil {
		return "", err
	}
	b.host.Chmod(data, 0o755)
	return data, nil
}

// RemoveVolume deletes a volume and its content.
func (b *Backend) RemoveVolume(ctx context.Context, name string) error {
	dir := volumesDir + "/" + name
	if _, err := b.host.Lstat(dir); err != nil || !validVolumeName(name) {
		return backend.Errorf(backend.NotFound, "get %s: no such volume", name)
	}
	return vfs.RemoveAll(b.host, dir)
}

// VolumeSize returns the bytes a volume's files take.
func (b *Backend) VolumeSize(ctx context.Context, name string) (int64, error) {
	if !validVolumeName(name) {
		return 0, backend.Errorf(backend.NotFound, "get %s: no such volume", name)
	}
	n, err := b.host.DirSize(volumesDir + "/" + name + "/_data")
	if errors.Is(err, fs.ErrNotExist) {
		return 0, backend.Errorf(backend.NotFound, "get %s: no such volume", name)
	}
	return n, err
}

var (
	_ backend.VolumeSizer = (*Backend)(nil)
	_ backend.RootfsSizer = (*Backend)(nil)
)

// validVolumeName keeps a name inside the volumes directory.
func validVolumeName(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.ContainsAny(name, "/\x00")
}

var _ backend.HostPathChecker = (*Backend)(nil)

// HostPathExists reports whether path exists in the simulated host's
// files, so that `--mount type=bind` of a missing source is refused at
// create as dockerd refuses it.
func (b *Backend) HostPathExists(ctx context.Context, path string) (bool, error) {
	_, err := b.host.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}
