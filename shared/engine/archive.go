package engine

import (
	"archive/tar"
	"context"
	"io"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	imagetypes "github.com/moby/moby/api/types/image"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

// archivePath cleans a path of the archive API: relative paths are relative
// to the container's root.
func archivePath(p string) string {
	if !path.IsAbs(p) {
		p = "/" + p
	}
	return path.Clean(p)
}

func (e *Engine) archiveContainer(name string) (*Container, error) {
	c, err := e.getContainer(name)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.removing || c.State.Dead {
		return nil, backend.Errorf(backend.Conflict, "container %s is being removed", c.ID)
	}
	return c, nil
}

// fileNotFound is dockerd's error for a path missing in a container.
func fileNotFound(p, name string) error {
	return backend.Errorf(backend.NotFound, "Could not find the file %s in container %s", p, name)
}

// ContainerStatPath answers HEAD /containers/{name}/archive.
func (e *Engine) ContainerStatPath(ctx context.Context, name, p string) (*container.PathStat, error) {
	c, err := e.archiveContainer(name)
	if err != nil {
		return nil, err
	}
	st, err := e.b.StatPath(ctx, c.ID, archivePath(p))
	if err != nil {
		if backend.IsNotFound(err) {
			return nil, fileNotFound(p, name)
		}
		return nil, err
	}
	base := st.Name
	if dotPath(p) {
		base = "." // dockerd's stat names the path's own base
	}
	return &container.PathStat{Name: base, Size: st.Size, Mode: fs.FileMode(st.Mode), Mtime: st.Mtime, LinkTarget: st.LinkTarget}, nil
}

// ContainerArchive answers GET /containers/{name}/archive: a tar of the path.
func (e *Engine) ContainerArchive(ctx context.Context, name, p string) (io.ReadCloser, *container.PathStat, error) {
	st, err := e.ContainerStatPath(ctx, name, p)
	if err != nil {
		return nil, nil, err
	}
	c, err := e.archiveContainer(name)
	if err != nil {
		return nil, nil, err
	}
	rc, err := e.b.CopyOut(ctx, c.ID, archivePath(p))
	if err != nil {
		if backend.IsNotFound(err) {
			return nil, nil, fileNotFound(p, name)
		}
		return nil, nil, err
	}
	if dotPath(p) && st.Mode.IsDir() {
		// dockerd archives "dir/." as "./" and "./entry", which a client
		// extracts into its destination rather than below it.
		rc = renameTarRoot(rc, path.Base(archivePath(p)), ".")
	}
	e.containerEvent(c, "archive-path", map[string]string{"path": p})
	return rc, st, nil
}

// dotPath reports whether an archive path ends in "/." (or is "."), which
// names a directory's contents.
func dotPath(p string) bool { return p == "." || strings.HasSuffix(p, "/.") }

// renameTarRoot renames the first path element of a tar's entries from
// oldRoot to newRoot.
func renameTarRoot(rc io.ReadCloser, oldRoot, newRoot string) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() {
		defer rc.Close()
		tr := tar.NewReader(rc)
		tw := tar.NewWriter(pw)
		for {
			hdr, err := tr.Next()
			if err == io.EOF {
				pw.CloseWithError(tw.Close())
				return
			}
			if err != nil {
				pw.CloseWithError(err)
				return
			}
			if first, rest, _ := strings.Cut(hdr.Name, "/"); first == oldRoot {
				hdr.Name = newRoot + "/" + rest
			}
			if err := tw.WriteHeader(hdr); err != nil {
				pw.CloseWithError(err)
				return
			}
			if _, err := io.Copy(tw, tr); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
	}()
	return pr
}

// ContainerExtractToDir answers PUT /containers/{name}/archive: it unpacks
// content into directory p. Without copyUIDGID the files belong to root.
func (e *Engine) ContainerExtractToDir(ctx context.Context, name, p string, noOverwriteDirNonDir, copyUIDGID bool, content io.Reader) error {
	c, err := e.archiveContainer(name)
	if err != nil {
		return err
	}
	dir := archivePath(p)
	st, err := e.b.StatPath(ctx, c.ID, dir)
	if err != nil {
		if backend.IsNotFound(err) {
			return fileNotFound(p, name)
		}
		return err
	}
	if !fs.FileMode(st.Mode).IsDir() {
		return backend.Errorf(backend.InvalidParameter, "extraction point is not a directory")
	}
	c.mu.Lock()
	readonly := c.HostConfig.ReadonlyRootfs
	c.mu.Unlock()
	if readonly {
		return backend.Errorf(backend.Forbidden, "container rootfs is marked read-only")
	}
	opts := backend.CopyOptions{NoOverwriteDirNonDir: noOverwriteDirNonDir}
	if !copyUIDGID {
		opts.ChownSet = true
	}
	if err := e.b.CopyIn(ctx, c.ID, dir, content, opts); err != nil {
		return err
	}
	e.containerEvent(c, "extract-to-dir", map[string]string{"path": p})
	return nil
}

// ContainersPrune answers POST /containers/prune: it removes every stopped
// container matching the filters (label, until).
func (e *Engine) ContainersPrune(ctx context.Context, f Filters) (container.PruneReport, error) {
	for k := range f {
		if k != "label" && k != "label!" && k != "until" {
			return container.PruneReport{}, invalidFilter(k)
		}
	}
	var until time.Time
	for _, v := range f["until"] {
		t, err := parseUntil(v, e.now())
		if err != nil {
			return container.PruneReport{}, err
		}
		until = t
	}
	rep := container.PruneReport{}
	for _, c := range e.listContainers() {
		c.mu.Lock()
		skip := c.State.Running || !matchLabels(f["label"], c.Config.Labels) ||
			(len(f["label!"]) > 0 && matchLabels(f["label!"], c.Config.Labels)) ||
			(!until.IsZero() && !c.Created.Before(until))
		c.mu.Unlock()
		if skip {
			continue
		}
		rw, _ := e.containerSizes(ctx, c)
		if err := e.ContainerRemove(ctx, c.ID, RemoveOptions{}); err != nil {
			continue
		}
		rep.ContainersDeleted = append(rep.ContainersDeleted, c.ID)
		rep.SpaceReclaimed += uint64(rw)
	}
	e.events.publish(e.now(), "container", "prune", "", map[string]string{"reclaimed": strconv.FormatUint(rep.SpaceReclaimed, 10)})
	return rep, nil
}

// ImagesPrune answers POST /images/prune: it removes dangling images (with
// dangling=false, every image no container uses).
func (e *Engine) ImagesPrune(ctx context.Context, f Filters) (imagetypes.PruneReport, error) {
	for k := range f {
		if k != "dangling" && k != "label" && k != "until" {
			return imagetypes.PruneReport{}, invalidFilter(k)
		}
	}
	danglingOnly := true
	for _, v := range f["dangling"] {
		danglingOnly = v != "false" && v != "0"
	}
	rep := imagetypes.PruneReport{}
	for _, r := range e.images.all() {
		if _, ok := e.images.get(r.id); !ok {
			continue // removed with a child already
		}
		tags, digests := e.repoTagsAndDigests(r.id)
		if danglingOnly && (len(tags) > 0 || len(digests) > 0) {
			continue
		}
		if len(e.images.children(r.id)) > 0 {
			continue
		}
		if run, stop := e.containersUsing(r.id); run != nil || stop != nil {
			continue
		}
		var labels map[string]string
		if r.img.Config != nil {
			labels = r.img.Config.Labels
		}
		if !matchLabels(f["label"], labels) {
			continue
		}
		size := e.imageSize(ctx, r.img)
		recs, err := e.ImageRemove(ctx, r.id, true, true)
		if err != nil {
			continue
		}
		rep.ImagesDeleted = append(rep.ImagesDeleted, recs...)
		rep.SpaceReclaimed += uint64(size)
	}
	return rep, nil
}

// parseUntil reads an `until` filter: a duration ago or a timestamp.
func parseUntil(v string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(v); err == nil {
		return now.Add(-d), nil
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.Unix(n, 0), nil
	}
	for _, layout := range []string{time.RFC3339Nano, time.RFC3339, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, backend.Errorf(backend.InvalidParameter, "failed to parse value as time or duration: %q", v)
}

// StatsOptions are the parameters of ContainerStats.
type StatsOptions struct {
	// Stream sends a sample a second until ctx is done or the container is
	// removed; without it one sample is sent.
	Stream bool
	// OneShot, without Stream, sends the first sample at once instead of
	// waiting a second for one whose CPU figures can be compared (API 1.41).
	OneShot bool
}

// ContainerStats answers GET /containers/{name}/stats, as dockerd 20.10's
// stats collector: each sample carries the previous one's CPU figures; a
// container that is not running gives samples with only its name and ID
// (at once, without Stream). Errors: NotFound for no such container.
func (e *Engine) ContainerStats(ctx context.Context, name string, opts StatsOptions) (<-chan container.StatsResponse, error) {
	c, err := e.getContainer(name)
	if err != nil {
		return nil, err
	}
	out := make(chan container.StatsResponse, 1)
	c.mu.Lock()
	running, cname, id := c.State.Running, c.Name, c.ID
	c.mu.Unlock()
	if !running && !opts.Stream {
		out <- container.StatsResponse{ID: id, Name: cname}
		close(out)
		return out, nil
	}
	go func() {
		defer close(out)
		var prev container.StatsResponse
		skip := !opts.Stream && !opts.OneShot
		for {
			if _, err := e.getContainer(id); err != nil {
				return // removed
			}
			c.mu.Lock()
			running, cname := c.State.Running, c.Name
			c.mu.Unlock()
			cur := container.StatsResponse{ID: id, Name: cname}
			if running {
				cur.OSType = "linux"
				cur.Read = e.now()
				if s, err := e.b.Stats(ctx, id); err == nil {
					cur = statsResponse(cur, s)
				}
				cur.PreRead = prev.Read
				cur.PreCPUStats = prev.CPUStats
			}
			if !skip {
				select {
				case out <- cur:
				case <-ctx.Done():
					return
				}
				if !opts.Stream {
					return
				}
			}
			skip = false
			prev = cur
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
		}
	}()
	return out, nil
}

func statsResponse(r container.StatsResponse, s backend.Stats) container.StatsResponse {
	r.Read = s.Read
	r.CPUStats = container.CPUStats{
		CPUUsage:    container.CPUUsage{TotalUsage: uint64(s.CPUTotal)},
		SystemUsage: uint64(s.SystemCPU),
		OnlineCPUs:  uint32(s.OnlineCPUs),
	}
	r.MemoryStats = container.MemoryStats{Usage: uint64(s.MemoryUsage), Limit: uint64(s.MemoryLimit), Stats: map[string]uint64{}}
	r.PidsStats = container.PidsStats{Current: uint64(s.Pids), Limit: uint64(s.PidsLimit)}
	r.Networks = map[string]container.NetworkStats{"eth0": {RxBytes: uint64(s.NetRx), TxBytes: uint64(s.NetTx)}}
	r.BlkioStats = container.BlkioStats{IoServiceBytesRecursive: []container.BlkioStatEntry{
		{Op: "read", Value: uint64(s.BlockRead)}, {Op: "write", Value: uint64(s.BlockWrite)},
	}}
	return r
}
