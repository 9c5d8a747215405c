// Package cgroup gives each container a control group with
// github.com/containerd/cgroups/v3: memory (with swap), CPU shares and
// quota, a pids limit, Docker's device rules, the freezer for pause, and the
// statistics of `docker stats` and `docker top`. It works on cgroup v1,
// hybrid (v1 controllers, as on this project's machines) and v2 hosts.
//
// A container's group is <hierarchy>/twinbox/<id> (StaticPath: the
// daemon's own group belongs to the host). cgroup v1 cannot clone a process
// into a group, so the runtime's first process writes 0 into the files
// ProcsFiles lists before it does anything else.
//
// Linux-only; on other systems the package is empty.
package cgroup
