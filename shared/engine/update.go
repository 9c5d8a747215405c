package engine

import (
	"context"
	"fmt"

	"github.com/moby/moby/api/types/container"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

// ContainerUpdate answers POST /containers/{name}/update (`docker update`)
// as dockerd 20.10 does: the limits and restart policy given replace the
// container's, and a running container's control group gets the new
// limits at once. Errors: NotFound; InvalidParameter for bad limits;
// Conflict "Cannot update container ID: ..." for an update that clashes
// with what the container has.
func (e *Engine) ContainerUpdate(ctx context.Context, name string, u container.UpdateConfig) (container.UpdateResponse, error) {
	c, err := e.getContainer(name)
	if err != nil {
		return container.UpdateResponse{}, err
	}
	if err := verifyRestartPolicy(u.RestartPolicy); err != nil {
		return container.UpdateResponse{}, err
	}
	if err := verifyResources(&u.Resources, true); err != nil {
		return container.UpdateResponse{}, err
	}
	cannot := func(code backend.Code, format string, args ...any) error {
		return backend.Errorf(code, "Cannot update container %s: %s", c.ID, fmt.Sprintf(format, args...))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.removing || c.State.Dead {
		return container.UpdateResponse{}, cannot(backend.Conflict, `container is marked for removal and cannot be "update"`)
	}
	hc := *c.HostConfig
	if err := mergeUpdate(&hc, u); err != nil {
		return container.UpdateResponse{}, cannot(backend.Conflict, "%v", err)
	}
	if c.State.Running && !c.State.Restarting && c.proc != nil {
		if up, ok := e.b.(backend.ResourceUpdater); ok {
			if err := up.UpdateResources(ctx, c.ID, resources(&hc)); err != nil {
				return container.UpdateResponse{}, cannot(backend.Internal, "%v", err)
			}
		}
	}
	c.HostConfig = &hc
	if u.RestartPolicy.Name != "" && c.restart != nil {
		c.restart.mu.Lock()
		c.restart.policy = hc.RestartPolicy
		c.restart.mu.Unlock()
	}
	e.checkpoint(c)
	e.containerEvent(c, "update", nil)
	return container.UpdateResponse{}, nil
}

// mergeUpdate puts the limits and restart policy u sets into hc, as
// dockerd's Container.UpdateContainer does: a zero value keeps hc's.
func mergeUpdate(hc *container.HostConfig, u container.UpdateConfig) error {
	r, cur := u.Resources, &hc.Resources
	switch {
	case r.NanoCPUs > 0 && cur.CPUPeriod > 0:
		return fmt.Errorf("Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set")
	case r.NanoCPUs > 0 && cur.CPUQuota > 0:
		return fmt.Errorf("Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set")
	case r.CPUPeriod > 0 && cur.NanoCPUs > 0:
		return fmt.Errorf("Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set")
	case r.CPUQuota > 0 && cur.NanoCPUs > 0:
		return fmt.Errorf("Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set")
	}
	set := func(dst *int64, v int64) {
		if v != 0 {
			*dst = v
		}
	}
	if r.BlkioWeight != 0 {
		cur.BlkioWeight = r.BlkioWeight
	}
	set(&cur.CPUShares, r.CPUShares)
	set(&cur.NanoCPUs, r.NanoCPUs)
	set(&cur.CPUPeriod, r.CPUPeriod)
	set(&cur.CPUQuota, r.CPUQuota)
	if r.CpusetCpus != "" {
		cur.CpusetCpus = r.CpusetCpus
	}
	if r.CpusetMems != "" {
		cur.CpusetMems = r.CpusetMems
	}
	if r.Memory != 0 {
		// A memory limit above the swap limit needs a new swap limit too.
		if r.Memory > cur.MemorySwap && r.MemorySwap == 0 {
			return fmt.Errorf("Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time")
		}
		cur.Memory = r.Memory
	}
	set(&cur.MemorySwap, r.MemorySwap)
	set(&cur.MemoryReservation, r.MemoryReservation)
	set(&cur.CPURealtimePeriod, r.CPURealtimePeriod)
	set(&cur.CPURealtimeRuntime, r.CPURealtimeRuntime)
	if r.PidsLimit != nil {
		cur.PidsLimit = r.PidsLimit
	}
	if u.RestartPolicy.Name != "" {
		if hc.AutoRemove && u.RestartPolicy.Name != container.RestartPolicyDisabled {
			return fmt.Errorf("Restart policy cannot be updated because AutoRemove is enabled for the container")
		}
		hc.RestartPolicy = u.RestartPolicy
	}
	return nil
}
