// Package runtime runs containers on Linux: a container's first process is
// a re-executed twinbox (the init) in new pid, mount, uts, ipc and network
// namespaces that mounts the root filesystem, pivots into it, sets up /proc,
// /dev and /sys, drops to Docker's default capabilities and executes the
// command, which so becomes PID 1 of its namespace.
//
// Process tree and why:
//
//	daemon ── monitor (C, before the Go runtime starts; setsid) ── container PID 1
//
// The monitor is the container's parent, so the container survives the
// daemon: it waits for PID 1, writes its wait status to <dir>/exit and
// tells the daemon, and it holds the read ends of the container's output
// pipes, which a restarted daemon fetches from it over <dir>/monitor.sock
// (see Restore). It is written in C and runs from a constructor, as runc's
// nsexec does, so that it costs no Go runtime start-up, and so that `docker
// exec` can join a running container's mount namespace (setns into a mount
// namespace is refused to a multi-threaded process) and fork into its pid
// namespace.
//
// The binary's main must call Init first (see native.Init): in the re-executed
// processes it never returns.
//
// Linux-only; on other systems the package is empty.
package runtime
