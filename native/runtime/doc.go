// Package runtime runs containers on Linux. A container's first process
// is created in new pid, mount, uts, ipc and network namespaces; the daemon
// mounts its root filesystem (overlay, /proc, /dev, /sys, the files Docker
// bind-mounts, volumes) from a thread that enters the container's mount
// namespace, pivots into it, masks Docker's masked paths, finds the command
// and the user inside, and the process then drops to Docker's default
// capabilities with no_new_privs and executes the command, which so
// becomes PID 1 of its namespace, with no signal handlers of its own.
//
// Process tree and why:
//
//	daemon ── monitor (setsid) ── container PID 1
//
// The monitor is the container's parent, so the container survives the
// daemon: it waits for PID 1, writes its wait status to <dir>/exit and
// tells the daemon, and it holds the read ends of the container's output
// pipes, which a restarted daemon fetches from it over <dir>/monitor.sock
// (see Restore). The monitor and the container side up to the exec are C
// that runs from a constructor before the Go runtime starts (as runc's
// nsexec): no Go start-up on a container's start (it costs 6 to 15 ms
// here), and `docker exec` can join a running container's mount namespace
// and fork into its pid namespace. Only proc, sysfs and mqueue are mounted
// by the container's process itself (they belong to its namespaces); it
// hands them to the daemon as detached mounts.
//
// The binary's main must call Init first (see native.Init).
//
// Linux-only; on other systems the package is empty.
package runtime
