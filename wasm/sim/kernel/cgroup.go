package kernel

import (
	"syscall"
	"time"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

// Limits are a cgroup's resource limits; zero means unlimited.
type Limits struct {
	Memory     int64 // bytes
	MemorySwap int64 // bytes, memory plus swap; -1 unlimited swap
	CPUShares  int64
	NanoCPUs   int64
	PidsLimit  int64
}

// Cgroup is a control group: the processes of one container. It carries
// the container's limits, its accounting and the freezer that `docker
// pause` uses. The pids limit is enforced at Spawn (fork fails with
// EAGAIN). The memory limit is enforced on what the simulation can count:
// its processes' resident memory (fixed per program) plus the bytes of the
// files they keep in the container's tmpfs mounts (/dev/shm, --tmpfs),
// which Linux charges to the writer's cgroup and cannot reclaim without
// swap; Charge accounts those and runs the OOM killer.
type Cgroup struct {
	k      *Kernel
	path   string
	limits Limits
	frozen bool
	procs  map[*Process]struct{}
	// CPU time of processes that have left the group.
	cpuGone time.Duration
	shmem   int64 // bytes of tmpfs files charged to it
	oom     bool  // the OOM killer has killed one of its processes
}

// NewCgroup makes a cgroup named path ("/docker/<id>") with limits.
func (k *Kernel) NewCgroup(path string, limits Limits) *Cgroup {
	return &Cgroup{k: k, path: path, limits: limits, procs: map[*Process]struct{}{}}
}

// Path returns the cgroup's path in the hierarchy.
func (c *Cgroup) Path() string { return c.path }

// Limits returns the cgroup's limits.
func (c *Cgroup) Limits() Limits {
	c.k.mu.Lock()
	defer c.k.mu.Unlock()
	return c.limits
}

// SetLimits replaces the cgroup's limits (`docker update`).
func (c *Cgroup) SetLimits(l Limits) {
	c.k.mu.Lock()
	defer c.k.mu.Unlock()
	c.limits = l
}

// Freeze stops every process of the cgroup at its next kernel call, as the
// cgroup freezer does; signals sent to them wait until Thaw. ps shows frozen
// processes in state "D", as Linux reports tasks in the refrigerator.
func (c *Cgroup) Freeze() {
	c.k.mu.Lock()
	defer c.k.mu.Unlock()
	c.frozen = true
}

// Thaw lets the cgroup's processes run again and delivers the signals that
// arrived while they were frozen.
func (c *Cgroup) Thaw() {
	c.k.mu.Lock()
	defer c.k.mu.Unlock()
	if !c.frozen {
		return
	}
	c.frozen = false
	for p := range c.procs {
		c.k.flushPendingLocked(p)
	}
	c.k.cond.Broadcast()
}

// Frozen reports whether the cgroup is frozen.
func (c *Cgroup) Frozen() bool {
	c.k.mu.Lock()
	defer c.k.mu.Unlock()
	return c.frozen
}

// Usage is a cgroup's resource accounting.
type Usage struct {
	CPU    time.Duration // CPU time of all its processes, past and present
	Memory int64         // resident memory of its processes, bytes
	Pids   int64         // processes in it, zombies included
}

// Usage reports the cgroup's current accounting.
func (c *Cgroup) Usage() Usage {
	c.k.mu.Lock()
	defer c.k.mu.Unlock()
	u := Usage{CPU: c.cpuGone, Pids: int64(len(c.procs))}
	for p := range c.procs {
		u.CPU += p.cpuLocked()
		if p.state != stateZombie {
			u.Memory += p.rss
		}
	}
	u.Memory += c.shmem
	return u
}

// Charge accounts delta bytes of tmpfs pages to the cgroup (a negative
// delta uncharges freed pages). When a charge would take the cgroup's
// memory past its limit, the kernel's OOM killer sends SIGKILL to the
// process of the cgroup with the most resident memory (the newest one on a
// tie, as select_bad_process ends up choosing), the cgroup records the OOM
// kill, and the charge fails with ENOMEM. A cgroup without a limit takes
// any charge.
func (c *Cgroup) Charge(delta int64) error {
	c.k.mu.Lock()
	defer c.k.mu.Unlock()
	if delta <= 0 {
		c.shmem = max(0, c.shmem+delta)
		return nil
	}
	lim := c.limits.Memory
	if lim <= 0 {
		c.shmem += delta
		return nil
	}
	var used int64
	var victim *Process
	for p := range c.procs {
		if p.state == stateZombie {
			continue
		}
		used += p.rss
		if p.killSig == 0 && (victim == nil || p.rss > victim.rss || (p.rss == victim.rss && p.pid > victim.pid)) {
			victim = p
		}
	}
	if used+c.shmem+delta <= lim {
		c.shmem += delta
		return nil
	}
	c.oom = true
	if victim != nil {
		c.k.sendLocked(c.k.root.PID, victim, backend.SIGKILL)
	}
	return syscall.ENOMEM
}

// OOMKilled reports whether the OOM killer has killed a process of the
// cgroup, as memory.oom_control's oom_kill counter tells dockerd.
func (c *Cgroup) OOMKilled() bool {
	c.k.mu.Lock()
	defer c.k.mu.Unlock()
	return c.oom
}

// Processes returns the cgroup's processes, by host PID.
func (c *Cgroup) Processes() []*Process {
	c.k.mu.Lock()
	defer c.k.mu.Unlock()
	out := make([]*Process, 0, len(c.procs))
	for p := range c.procs {
		out = append(out, p)
	}
	sortByPID(out)
	return out
}
