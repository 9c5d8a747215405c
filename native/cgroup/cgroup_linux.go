package cgroup

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/containerd/cgroups/v3"
	"github.com/containerd/cgroups/v3/cgroup1"
	"github.com/containerd/cgroups/v3/cgroup2"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

// Manager creates and finds the containers' groups under one parent name.
type Manager struct {
	parent  string // "twinbox": groups are /twinbox/<id>
	unified bool   // cgroup v2 only
	v2mount string

	once       sync.Once
	subsystems []cgroup1.Subsystem
	subErr     error
	swap       bool
}

// required are the controllers containers need; NewManager names any that
// is missing.
var required = []string{"memory", "cpu", "pids", "freezer"}

// NewManager checks the host's cgroups and returns a Manager whose groups
// live under parent. Errors name the missing controller.
func NewManager(parent string) (*Manager, error) {
	m := &Manager{parent: parent, v2mount: "/sys/fs/cgroup"}
	switch cgroups.Mode() {
	case cgroups.Unavailable:
		return nil, errors.New("cgroups: no cgroup filesystem is mounted at /sys/fs/cgroup")
	case cgroups.Unified:
		m.unified = true
		data, err := os.ReadFile("/sys/fs/cgroup/cgroup.controllers")
		if err != nil {
			return nil, fmt.Errorf("cgroups: %w", err)
		}
		have := strings.Fields(string(data))
		for _, c := range required {
			if c == "freezer" {
				continue // cgroup.freeze is core in v2
			}
			if !contains(have, c) {
				return nil, fmt.Errorf("cgroups: the %s controller is not available (cgroup v2: /sys/fs/cgroup/cgroup.controllers)", c)
			}
		}
		return m, nil
	}
	subs, err := m.hierarchy()
	if err != nil {
		return nil, err
	}
	for _, c := range required {
		found := false
		for _, s := range subs {
			found = found || string(s.Name()) == c
		}
		if !found {
			return nil, fmt.Errorf("cgroups: the %s controller is not mounted (cgroup v1: /sys/fs/cgroup/%s)", c, c)
		}
	}
	_, err = os.Stat("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes")
	m.swap = err == nil
	return m, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// hierarchy returns the v1 subsystems, read once from /proc/self/mountinfo.
func (m *Manager) hierarchy() ([]cgroup1.Subsystem, error) {
	m.once.Do(func() {
		all, err := cgroup1.Default()
		if err != nil {
			m.subErr = fmt.Errorf("cgroups: %w", err)
			return
		}
		// Only the controllers containers use: each more hierarchy costs
		// every start a directory and a migration.
		for _, s := range all {
			switch s.Name() {
			case cgroup1.Memory, cgroup1.Cpu, cgroup1.Cpuacct, cgroup1.Pids, cgroup1.Freezer, cgroup1.Devices:
				m.subsystems = append(m.subsystems, s)
			}
		}
	})
	return m.subsystems, m.subErr
}

// Version returns "1" or "2" for `docker info`.
func (m *Manager) Version() string {
	if m.unified {
		return "2"
	}
	return "1"
}

// SwapLimit reports whether memory plus swap can be limited.
func (m *Manager) SwapLimit() bool { return m.unified || m.swap }

// Group is one container's control group.
type Group struct {
	m    *Manager
	id   string
	path string // "/twinbox/<id>"
	v1   cgroup1.Cgroup
	v2   *cgroup2.Manager
}

func (m *Manager) path(id string) string { return "/" + m.parent + "/" + id }

// Docker's default device rules (oci/devices_linux.go and
// oci/defaults.go): nothing but mknod, the standard character devices,
// terminals and tun.
func deviceRules() []specs.LinuxDeviceCgroup {
	c := func(major, minor int64, access string) specs.LinuxDeviceCgroup {
		r := specs.LinuxDeviceCgroup{Allow: true, Type: "c", Access: access}
		if major >= 0 {
			r.Major = &major
		}
		if minor >= 0 {
			r.Minor = &minor
		}
		return r
	}
	return []specs.LinuxDeviceCgroup{
		{Allow: false, Access: "rwm"},
		c(-1, -1, "m"), {Allow: true, Type: "b", Access: "m"},
		c(1, 3, "rwm"), c(1, 5, "rwm"), c(1, 7, "rwm"), c(1, 8, "rwm"), c(1, 9, "rwm"),
		c(5, 0, "rwm"), c(5, 1, "rwm"), c(5, 2, "rwm"), c(136, -1, "rwm"), c(10, 200, "rwm"),
	}
}

func (m *Manager) resources(r backend.Resources, privileged bool) *specs.LinuxResources {
	res := &specs.LinuxResources{Devices: deviceRules()}
	if privileged {
		res.Devices = []specs.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}}
	}
	if r.Memory > 0 {
		res.Memory = &specs.LinuxMemory{Limit: &r.Memory}
		swap := r.MemorySwap
		if swap == 0 {
			swap = 2 * r.Memory // Docker's default: as much swap as memory
		}
		if m.SwapLimit() {
			res.Memory.Swap = &swap
		}
	}
	if r.CPUShares > 0 || r.NanoCPUs > 0 {
		res.CPU = &specs.LinuxCPU{}
		if r.CPUShares > 0 {
			s := uint64(r.CPUShares)
			res.CPU.Shares = &s
		}
		if r.NanoCPUs > 0 {
			period := uint64(100000)
			quota := r.NanoCPUs * int64(period) / 1e9
			res.CPU.Period, res.CPU.Quota = &period, &quota
		}
	}
	if r.PidsLimit > 0 {
		res.Pids = &specs.LinuxPids{Limit: &r.PidsLimit}
	}
	return res
}

// Create makes container id's group with limits r and Docker's device
// rules (every device when privileged). An existing group of the same name
// (left by a crash) is reused.
func (m *Manager) Create(id string, r backend.Resources, privileged bool) (*Group, error) {
	g := &Group{m: m, id: id, path: m.path(id)}
	res := m.resources(r, privileged)
	var err error
	if m.unified {
		g.v2, err = cgroup2.NewManager(m.v2mount, g.path, cgroup2.ToResources(res))
		if err != nil && errors.Is(err, fs.ErrNotExist) {
			// The parent must hand its controllers down first.
			if perr := m.enableV2(); perr == nil {
				g.v2, err = cgroup2.NewManager(m.v2mount, g.path, cgroup2.ToResources(res))
			}
		}
	} else {
		g.v1, err = cgroup1.New(cgroup1.StaticPath(g.path), res, cgroup1.WithHierarchy(m.hierarchy))
	}
	if err != nil {
		return nil, fmt.Errorf("cgroups: create %s: %w", g.path, err)
	}
	return g, nil
}

func (m *Manager) enableV2() error {
	dir := filepath.Join(m.v2mount, m.parent)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, c := range []string{"cpu", "memory", "pids", "io"} {
		os.WriteFile(filepath.Join(m.v2mount, "cgroup.subtree_control"), []byte("+"+c), 0)
		os.WriteFile(filepath.Join(dir, "cgroup.subtree_control"), []byte("+"+c), 0)
	}
	return nil
}

// Load returns container id's existing group. Errors: NotFound.
func (m *Manager) Load(id string) (*Group, error) {
	g := &Group{m: m, id: id, path: m.path(id)}
	if m.unified {
		if _, err := os.Stat(filepath.Join(m.v2mount, g.path)); err != nil {
			return nil, backend.Errorf(backend.NotFound, "cgroups: %s: no such group", g.path)
		}
		var err error
		g.v2, err = cgroup2.Load(g.path, cgroup2.WithMountpoint(m.v2mount))
		return g, err
	}
	if _, err := os.Stat(filepath.Join("/sys/fs/cgroup/pids", g.path)); err != nil {
		return nil, backend.Errorf(backend.NotFound, "cgroups: %s: no such group", g.path)
	}
	var err error
	g.v1, err = cgroup1.Load(cgroup1.StaticPath(g.path), cgroup1.WithHierarchy(m.hierarchy))
	return g, err
}

// Update sets the group's limits to r (`docker update`); the device rules
// stay as Create made them.
func (g *Group) Update(r backend.Resources) error {
	res := g.m.resources(r, false)
	res.Devices = nil
	var err error
	if g.v2 != nil {
		err = g.v2.Update(cgroup2.ToResources(res))
	} else {
		err = g.v1.Update(res)
	}
	if err == nil && r.PidsLimit <= 0 {
		// containerd's cgroups writes no pids limit for 0, which here
		// means none: lift the one the group may have.
		dir := filepath.Join("/sys/fs/cgroup/pids", g.path)
		if g.v2 != nil {
			dir = filepath.Join(g.m.v2mount, g.path)
		}
		err = os.WriteFile(filepath.Join(dir, "pids.max"), []byte("max"), 0)
	}
	if err != nil {
		return fmt.Errorf("cgroups: update %s: %w", g.path, err)
	}
	return nil
}

// ProcsFiles lists the cgroup.procs files a process writes 0 into to join
// the group (one per v1 hierarchy).
func (g *Group) ProcsFiles() []string {
	if g.v2 != nil {
		return []string{filepath.Join(g.m.v2mount, g.path, "cgroup.procs")}
	}
	var out []string
	for _, s := range g.v1.Subsystems() {
		if p, ok := s.(interface{ Path(string) string }); ok {
			f := filepath.Join(p.Path(g.path), "cgroup.procs")
			if _, err := os.Stat(f); err == nil {
				out = append(out, f)
			}
		}
	}
	return out
}

// Freeze stops every process of the group; Thaw resumes them.
func (g *Group) Freeze() error {
	if g.v2 != nil {
		return g.v2.Freeze()
	}
	return g.v1.Freeze()
}

// Thaw resumes the group's processes.
func (g *Group) Thaw() error {
	if g.v2 != nil {
		return g.v2.Thaw()
	}
	return g.v1.Thaw()
}

// Pids lists the group's processes (host PIDs).
func (g *Group) Pids() ([]int, error) {
	file := filepath.Join("/sys/fs/cgroup/pids", g.path, "cgroup.procs")
	if g.v2 != nil {
		file = filepath.Join(g.m.v2mount, g.path, "cgroup.procs")
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var out []int
	for _, f := range strings.Fields(string(data)) {
		if n, err := strconv.Atoi(f); err == nil {
			out = append(out, n)
		}
	}
	return out, nil
}

// OOMKilled reports whether the kernel killed a process of the group for
// exceeding its memory limit.
func (g *Group) OOMKilled() bool {
	if g.v2 != nil {
		data, _ := os.ReadFile(filepath.Join(g.m.v2mount, g.path, "memory.events"))
		return kv(string(data), "oom_kill") > 0
	}
	data, _ := os.ReadFile(filepath.Join("/sys/fs/cgroup/memory", g.path, "memory.oom_control"))
	return kv(string(data), "oom_kill") > 0
}

func kv(data, key string) int64 {
	for _, line := range strings.Split(data, "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == key {
			n, _ := strconv.ParseInt(f[1], 10, 64)
			return n
		}
	}
	return 0
}

// Stats fills the cgroup part of a container's statistics.
func (g *Group) Stats(st *backend.Stats) error {
	if g.v2 != nil {
		m, err := g.v2.Stat()
		if err != nil {
			return err
		}
		if m.CPU != nil {
			st.CPUTotal = time.Duration(m.CPU.UsageUsec) * time.Microsecond
		}
		if m.Memory != nil {
			st.MemoryUsage, st.MemoryLimit = int64(m.Memory.Usage), int64(m.Memory.UsageLimit)
		}
		if m.Pids != nil {
			st.Pids, st.PidsLimit = int64(m.Pids.Current), int64(m.Pids.Limit)
		}
		return nil
	}
	m, err := g.v1.Stat(cgroup1.IgnoreNotExist)
	if err != nil {
		return err
	}
	if m.CPU != nil && m.CPU.Usage != nil {
		st.CPUTotal = time.Duration(m.CPU.Usage.Total)
	}
	if m.Memory != nil && m.Memory.Usage != nil {
		st.MemoryUsage, st.MemoryLimit = int64(m.Memory.Usage.Usage), int64(m.Memory.Usage.Limit)
	}
	if m.Pids != nil {
		st.Pids, st.PidsLimit = int64(m.Pids.Current), int64(m.Pids.Limit)
	}
	return nil
}

// Delete removes the group; it must hold no process.
func (g *Group) Delete() error {
	var err error
	for range 50 {
		if g.v2 != nil {
			err = g.v2.Delete()
		} else {
			err = g.v1.Delete()
		}
		if err == nil {
			return nil
		}
		// The kernel may still be tearing the last process down.
		time.Sleep(2 * time.Millisecond)
	}
	return fmt.Errorf("cgroups: delete %s: %w", g.path, err)
}

// RemoveParent removes the parent group of the containers' groups where it
// is empty (tests, and a daemon that is uninstalled).
func (m *Manager) RemoveParent() {
	if m.unified {
		os.Remove(filepath.Join(m.v2mount, m.parent))
		return
	}
	subs, _ := m.hierarchy()
	for _, s := range subs {
		if p, ok := s.(interface{ Path(string) string }); ok {
			os.Remove(p.Path("/" + m.parent))
		}
	}
}
