package sim

import (
	"context"
	"io"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/wasm/sim/vfs"
)

// container is what the backend keeps of a container: its read-write layer
// over an init layer over its image's layers, and, while it runs, its
// sandbox.
type container struct {
	id     string
	parent string     // ChainID of the image's top layer, "" for scratch
	init   *vfs.Layer // Docker's init layer: mount points for /etc/hosts, /proc, ...
	rootfs *vfs.Union
	mounts []backend.Mount // the volumes and bind mounts of the last run

	// Guarded by Backend.mu.
	run     *sandbox
	ended   *backend.ExitStatus // how the last run ended
	lastPID int
}

// CreateRootfs makes container id's read-write layer on the chain parent.
func (b *Backend) CreateRootfs(ctx context.Context, id, parent string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.containers[id]; ok {
		return backend.Errorf(backend.Conflict, "rootfs of container %s exists", id)
	}
	var below *vfs.Layer
	if parent != "" {
		l, ok := b.layers[parent]
		if !ok {
			return layerNotFound(parent)
		}
		below = l.vl
	}
	c := &container{id: id, parent: parent}
	c.init = vfs.InitLayer(below, b.vclock())
	c.rootfs = vfs.NewUnion(c.init, b.vclock())
	b.containers[id] = c
	return nil
}

// RemoveRootfs forgets the container's layers and its files on the host.
func (b *Backend) RemoveRootfs(ctx context.Context, id string) error {
	b.mu.Lock()
	_, ok := b.containers[id]
	delete(b.containers, id)
	b.mu.Unlock()
	if !ok {
		return notFoundContainer(id)
	}
	return vfs.RemoveAll(b.host, containersDir+"/"+id)
}

func (b *Backend) container(id string) (*container, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, ok := b.containers[id]
	if !ok {
		return nil, notFoundContainer(id)
	}
	return c, nil
}

// Changes is `docker diff` of the container's read-write layer.
func (b *Backend) Changes(ctx context.Context, id string) ([]backend.Change, error) {
	c, err := b.container(id)
	if err != nil {
		return nil, err
	}
	return c.rootfs.Changes(), nil
}

// RootfsSize returns the size of the container's read-write layer.
func (b *Backend) RootfsSize(ctx context.Context, id string) (int64, error) {
	c, err := b.container(id)
	if err != nil {
		return 0, err
	}
	return c.rootfs.Size(), nil
}

// CommitRootfs makes a layer of the container's changes on its image.
func (b *Backend) CommitRootfs(ctx context.Context, id string) (backend.Layer, error) {
	c, err := b.container(id)
	if err != nil {
		return backend.Layer{}, err
	}
	b.mu.Lock()
	var below *vfs.Layer
	if c.parent != "" {
		l, ok := b.layers[c.parent]
		if !ok {
			b.mu.Unlock()
			return backend.Layer{}, layerNotFound(c.parent)
		}
		below = l.vl
	}
	b.mu.Unlock()
	return b.addLayer(c.parent, c.rootfs.Commit(below)), nil
}

// ExportRootfs is `docker export`: the merged root without its mounts.
func (b *Backend) ExportRootfs(ctx context.Context, id string) (io.ReadCloser, error) {
	c, err := b.container(id)
	if err != nil {
		return nil, err
	}
	return io.NopCloser(vfs.ExportMerged(c.rootfs)), nil
}

// view returns the container's filesystem as the archive API sees it: the
// running container's mount namespace, or the root with the volumes and
// bind mounts of its last run.
func (b *Backend) view(id string) (vfs.FS, error) {
	b.mu.Lock()
	c, ok := b.containers[id]
	var sb *sandbox
	if ok {
		sb = c.run
	}
	b.mu.Unlock()
	if !ok {
		return nil, notFoundContainer(id)
	}
	if sb != nil {
		return sb.mnt, nil
	}
	ns := vfs.NewNamespace(c.rootfs, vfs.MountOptions{Type: "overlay", Device: "overlay"})
	for _, m := range c.mounts {
		b.mountOne(ns, m) // best effort: a volume removed since is skipped
	}
	return ns, nil
}

// StatPath describes a path in the container.
func (b *Backend) StatPath(ctx context.Context, id, path string) (backend.PathStat, error) {
	fsys, err := b.view(id)
	if err != nil {
		return backend.PathStat{}, err
	}
	return vfs.StatPath(fsys, path)
}

// CopyOut tars a path of the container, volumes included.
func (b *Backend) CopyOut(ctx context.Context, id, path string) (io.ReadCloser, error) {
	fsys, err := b.view(id)
	if err != nil {
		return nil, err
	}
	r, err := vfs.CopyOut(fsys, path)
	if err != nil {
		return nil, err
	}
	return io.NopCloser(r), nil
}

// CopyIn extracts a tar into a directory of the container.
func (b *Backend) CopyIn(ctx context.Context, id, dir string, tar io.Reader, opts backend.CopyOptions) error {
	fsys, err := b.view(id)
	if err != nil {
		return err
	}
	return vfs.CopyIn(fsys, dir, tar, opts)
}
