package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/types/mount"

	"github.com/twinbox-dev/twinbox/shared/api/wire"
	"github.com/twinbox-dev/twinbox/shared/backend"
)

// mountPoint is a volume, bind mount or tmpfs in a container.
type mountPoint struct {
	Type        string // "volume", "bind" or "tmpfs"
	Name        string // volume name
	Source      string // host path: the bind source or the volume's mount point
	Destination string
	Driver      string
	Mode        string
	RW          bool
	Propagation string
	CopyData    bool // copy the image's content into a new volume
}

func (m mountPoint) backendSource() string {
	if m.Type == "volume" {
		return m.Name
	}
	return m.Source
}

// volumeRecord is a volume the engine knows.
type volumeRecord struct {
	Name       string
	Driver     string
	Mountpoint string
	CreatedAt  time.Time
	Labels     map[string]string
	Options    map[string]string
	Anonymous  bool
}

var validVolumeName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]+$`)

// volume returns a volume record. Errors: NotFound.
func (e *Engine) volume(name string) (*volumeRecord, error) {
	data, err := e.store.Get("volumes", name)
	if err != nil {
		if backend.IsNotFound(err) {
			return nil, backend.Errorf(backend.NotFound, "get %s: no such volume", name)
		}
		return nil, err
	}
	v := new(volumeRecord)
	if err := json.Unmarshal(data, v); err != nil {
		return nil, fmt.Errorf("volume %s: %w", name, err)
	}
	return v, nil
}

// createVolume makes a volume or returns the existing one of that name.
// Errors: InvalidParameter with dockerd's texts for a bad name or driver.
func (e *Engine) createVolume(ctx context.Context, name string, anonymous bool, labels, options map[string]string) (*volumeRecord, error) {
	if v, err := e.volume(name); err == nil {
		return v, nil
	}
	if len(name) == 1 {
		return nil, backend.Errorf(backend.InvalidParameter, "create %s: volume name is too short, names should be at least two alphanumeric characters", name)
	}
	if !validVolumeName.MatchString(name) {
		return nil, backend.Errorf(backend.InvalidParameter, "create %s: %q includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path", name, name)
	}
	mp, err := e.b.CreateVolume(ctx, name)
	if err != nil && !backend.IsConflict(err) {
		return nil, err
	}
	if len(labels) == 0 {
		labels = nil
	}
	if len(options) == 0 {
		options = nil
	}
	v := &volumeRecord{Name: name, Driver: "local", Mountpoint: mp, CreatedAt: e.now().UTC().Truncate(time.Second),
		Labels: labels, Options: options, Anonymous: anonymous}
	data, _ := json.Marshal(v)
	if err := e.store.Put("volumes", name, data); err != nil {
		return nil, err
	}
	e.events.publish(e.now(), "volume", "create", name, map[string]string{"driver": "local"})
	return v, nil
}

// volumeUsers lists the containers whose mounts use volume name.
func (e *Engine) volumeUsers(name string) []string {
	var ids []string
	for _, c := range e.listContainers() {
		c.mu.Lock()
		for _, m := range c.MountPoints {
			if m.Type == "volume" && m.Name == name {
				ids = append(ids, c.ID)
				break
			}
		}
		c.mu.Unlock()
	}
	return ids
}

// removeVolume deletes a volume. Errors: NotFound; Conflict when in use.
func (e *Engine) removeVolume(ctx context.Context, name string, force bool) error {
	if _, err := e.volume(name); err != nil {
		return err
	}
	if users := e.volumeUsers(name); len(users) > 0 {
		return backend.Errorf(backend.Conflict, "remove %s: volume is in use - [%s]", name, strings.Join(users, ", "))
	}
	if err := e.b.RemoveVolume(ctx, name); err != nil && !backend.IsNotFound(err) {
		return err
	}
	e.store.Delete("volumes", name)
	e.events.publish(e.now(), "volume", "destroy", name, map[string]string{"driver": "local"})
	return nil
}

// setupMounts computes c's mount points from its host config and the image's
// volumes, creating the volumes they need. c.mu is held.
func (e *Engine) setupMounts(ctx context.Context, c *Container, img *imageRecord) error {
	hc := c.HostConfig
	byDest := map[string]mountPoint{}
	add := func(m mountPoint) error {
		if _, dup := byDest[m.Destination]; dup {
			return backend.Errorf(backend.InvalidParameter, "Duplicate mount point: %s", m.Destination)
		}
		byDest[m.Destination] = m
		return nil
	}
	// --volumes-from first: explicit mounts may override them.
	for _, spec := range hc.VolumesFrom {
		ref, mode, _ := strings.Cut(spec, ":")
		src, err := e.getContainer(ref)
		if err != nil {
			return err
		}
		if src.ID == c.ID {
			continue
		}
		src.mu.Lock()
		mounts := append([]mountPoint(nil), src.MountPoints...)
		src.mu.Unlock()
		for _, m := range mounts {
			switch mode {
			case "ro":
				m.RW = false
			case "rw":
				m.RW = true
			}
			m.CopyData = false
			byDest[m.Destination] = m
		}
	}
	fromBinds := map[string]bool{}
	for _, b := range hc.Binds {
		m, err := parseBind(b)
		if err != nil {
			return err
		}
		if err := add(m); err != nil {
			return err
		}
		fromBinds[m.Destination] = true
	}
	for _, mt := range hc.Mounts {
		m := mountPoint{Type: string(mt.Type), Destination: path.Clean(mt.Target), RW: !mt.ReadOnly}
		switch mt.Type {
		case mount.TypeBind:
			m.Source = mt.Source
			m.Propagation = "rprivate"
			if hc, ok := e.b.(backend.HostPathChecker); ok {
				if exists, err := hc.HostPathExists(ctx, mt.Source); err == nil && !exists {
					return backend.Errorf(backend.InvalidParameter, "invalid mount config for type \"bind\": bind source path does not exist: %s", mt.Source)
				}
			}
		case mount.TypeVolume:
			m.Name = mt.Source
			m.Driver = "local"
			m.CopyData = mt.VolumeOptions == nil || !mt.VolumeOptions.NoCopy
		case mount.TypeTmpfs:
		default:
			return backend.Errorf(backend.InvalidParameter, "invalid mount config for type %q", mt.Type)
		}
		if err := add(m); err != nil {
			return err
		}
	}
	// The container's (and its image's) VOLUME paths become anonymous volumes.
	dests := make([]string, 0, len(c.Config.Volumes))
	for d := range c.Config.Volumes {
		dests = append(dests, d)
	}
	sort.Strings(dests)
	for _, d := range dests {
		d = path.Clean(d)
		if _, ok := byDest[d]; ok {
			continue
		}
		byDest[d] = mountPoint{Type: "volume", Destination: d, Driver: "local", RW: true, CopyData: true}
	}

	var out []mountPoint
	for _, m := range byDest {
		if m.Type == "volume" {
			anonymous := m.Name == ""
			if anonymous {
				m.Name = e.newID()
			}
			v, err := e.createVolume(ctx, m.Name, anonymous, nil, nil)
			if err != nil {
				return err
			}
			m.Source = v.Mountpoint
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Destination < out[j].Destination })
	c.MountPoints = out
	return nil
}

// parseBind reads a -v value with a source: "name:/dst[:opts]" or
// "/host:/dst[:opts]".
func parseBind(spec string) (mountPoint, error) {
	parts := strings.Split(spec, ":")
	bad := func() (mountPoint, error) {
		return mountPoint{}, backend.Errorf(backend.InvalidParameter, "invalid volume specification: '%s'", spec)
	}
	if len(parts) < 2 || len(parts) > 3 {
		return bad()
	}
	src, dst := parts[0], parts[1]
	if src == "" || !path.IsAbs(dst) {
		if !path.IsAbs(dst) {
			return mountPoint{}, backend.Errorf(backend.InvalidParameter, "invalid mount config for type \"bind\": invalid mount path: '%s' mount path must be absolute", dst)
		}
		return bad()
	}
	m := mountPoint{Destination: path.Clean(dst), RW: true}
	if len(parts) == 3 {
		for _, o := range strings.Split(parts[2], ",") {
			switch o {
			case "ro":
				m.RW = false
			case "rw":
				m.RW = true
			case "z", "Z", "nocopy", "private", "rprivate", "shared", "rshared", "slave", "rslave", "consistent", "cached", "delegated":
			default:
				return mountPoint{}, backend.Errorf(backend.InvalidParameter, "invalid mode: %s", o)
			}
		}
		m.Mode = parts[2]
	}
	if path.IsAbs(src) {
		m.Type = "bind"
		m.Source = path.Clean(src)
		m.Propagation = "rprivate"
		return m, nil
	}
	m.Type = "volume"
	m.Name = src
	m.Driver = "local"
	m.CopyData = !strings.Contains(m.Mode, "nocopy")
	if m.Mode == "" {
		m.Mode = "z"
	}
	return m, nil
}

// removeMountPoints forgets c's mounts and, with removeVolumes, deletes its
// anonymous volumes that no other container uses. c.mu is held.
func (e *Engine) removeMountPoints(c *Container, removeVolumes bool) {
	mounts := c.MountPoints
	c.MountPoints = nil
	if !removeVolumes {
		return
	}
	for _, m := range mounts {
		if m.Type != "volume" {
			continue
		}
		v, err := e.volume(m.Name)
		if err != nil || !v.Anonymous {
			continue
		}
		if err := e.removeVolume(context.Background(), m.Name, false); err != nil && !backend.IsConflict(err) {
			e.logf("remove volume %s: %v", m.Name, err)
		}
	}
}

// volumeAPI is a volume as the API shows it.
func volumeAPI(v *volumeRecord) *wire.Volume {
	return &wire.Volume{
		CreatedAt:  v.CreatedAt.Format(time.RFC3339),
		Driver:     v.Driver,
		Labels:     v.Labels,
		Mountpoint: v.Mountpoint,
		Name:       v.Name,
		Options:    v.Options,
		Scope:      "local",
	}
}

// allVolumes returns every volume record, sorted by name.
func (e *Engine) allVolumes() ([]*volumeRecord, error) {
	names, err := e.store.Keys("volumes")
	if err != nil {
		return nil, err
	}
	out := make([]*volumeRecord, 0, len(names))
	for _, n := range names {
		if v, err := e.volume(n); err == nil {
			out = append(out, v)
		}
	}
	return out, nil
}

var volumeListFilters = map[string]bool{"dangling": true, "name": true, "driver": true, "label": true}

// Volumes answers GET /volumes: the volumes matching the filters (dangling,
// name, driver, label), sorted by name.
func (e *Engine) Volumes(ctx context.Context, f Filters) (wire.VolumeListResponse, error) {
	for k := range f {
		if !volumeListFilters[k] {
			return wire.VolumeListResponse{}, invalidFilter(k)
		}
	}
	dangling, hasDangling, err := danglingFilter(f)
	if err != nil {
		return wire.VolumeListResponse{}, err
	}
	vols, err := e.allVolumes()
	if err != nil {
		return wire.VolumeListResponse{}, err
	}
	var out []*wire.Volume
	for _, v := range vols {
		if len(f["driver"]) > 0 && !slices.Contains(f["driver"], v.Driver) {
			continue
		}
		if len(f["name"]) > 0 && !matchRegexps(f["name"], v.Name) {
			continue
		}
		if !matchLabels(f["label"], v.Labels) {
			continue
		}
		if hasDangling && (len(e.volumeUsers(v.Name)) == 0) != dangling {
			continue
		}
		out = append(out, volumeAPI(v))
	}
	return wire.VolumeListResponse{Volumes: out}, nil
}

// danglingFilter reads the dangling filter of volume lists. Errors:
// InvalidParameter "Invalid filter 'dangling=[x]'".
func danglingFilter(f Filters) (dangling, set bool, err error) {
	vs := f["dangling"]
	if len(vs) == 0 {
		return false, false, nil
	}
	switch {
	case slices.Contains(vs, "true") || slices.Contains(vs, "1"):
		return true, true, nil
	case slices.Contains(vs, "false") || slices.Contains(vs, "0"):
		return false, true, nil
	}
	return false, false, backend.Errorf(backend.InvalidParameter, "Invalid filter 'dangling=%s'", vs)
}

// VolumeInspect answers GET /volumes/{name}. Errors: NotFound "get X: no
// such volume".
func (e *Engine) VolumeInspect(ctx context.Context, name string) (*wire.Volume, error) {
	v, err := e.volume(name)
	if err != nil {
		return nil, err
	}
	return volumeAPI(v), nil
}

// VolumeCreate answers POST /volumes/create: it makes a local volume, or
// returns the existing one of that name; an empty name gets a random one.
func (e *Engine) VolumeCreate(ctx context.Context, req wire.VolumeCreateRequest) (*wire.Volume, error) {
	name := req.Name
	if name == "" {
		name = e.newID()
	}
	if req.Driver != "" && req.Driver != "local" {
		return nil, backend.Errorf(backend.NotFound, "create %s: error looking up volume plugin %s: plugin %q not found", name, req.Driver, req.Driver)
	}
	v, err := e.createVolume(ctx, name, false, req.Labels, req.DriverOpts)
	if err != nil {
		return nil, err
	}
	return volumeAPI(v), nil
}

// VolumeRemove answers DELETE /volumes/{name}. Errors: NotFound (none with
// force); Conflict "remove X: volume is in use - [IDs]".
func (e *Engine) VolumeRemove(ctx context.Context, name string, force bool) error {
	err := e.removeVolume(ctx, name, force)
	if force && backend.IsNotFound(err) {
		return nil
	}
	return err
}

var volumePruneFilters = map[string]bool{"label": true, "label!": true}

// VolumesPrune answers POST /volumes/prune: it removes the local volumes no
// container uses and that were made without driver options.
func (e *Engine) VolumesPrune(ctx context.Context, f Filters) (wire.VolumesPruneReport, error) {
	for k := range f {
		if !volumePruneFilters[k] {
			return wire.VolumesPruneReport{}, invalidFilter(k)
		}
	}
	vols, err := e.allVolumes()
	if err != nil {
		return wire.VolumesPruneReport{}, err
	}
	rep := wire.VolumesPruneReport{VolumesDeleted: []string{}}
	for _, v := range vols {
		if len(v.Options) > 0 || len(e.volumeUsers(v.Name)) > 0 || !matchLabels(f["label"], v.Labels) ||
			(len(f["label!"]) > 0 && matchLabels(f["label!"], v.Labels)) {
			continue
		}
		size := e.volumeSize(ctx, v.Name)
		if err := e.removeVolume(ctx, v.Name, false); err != nil {
			continue
		}
		rep.VolumesDeleted = append(rep.VolumesDeleted, v.Name)
		rep.SpaceReclaimed += uint64(size)
	}
	e.events.publish(e.now(), "volume", "prune", "", map[string]string{"reclaimed": strconv.FormatUint(rep.SpaceReclaimed, 10)})
	return rep, nil
}

// volumeSize is the bytes a volume holds, when the backend can tell.
func (e *Engine) volumeSize(ctx context.Context, name string) int64 {
	if s, ok := e.b.(backend.VolumeSizer); ok {
		if n, err := s.VolumeSize(ctx, name); err == nil {
			return n
		}
	}
	return 0
}
