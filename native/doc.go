// Package native is twinbox's Linux backend: backend.Backend done for real
// with overlayfs (storage), namespaces and a monitor per container
// (runtime), control groups (cgroup) and bridges with veth pairs (network),
// plus a directory-backed store for the engine's records (store).
//
// The binary's main calls Init first, as with Docker's reexec.Init, and is
// built with cgo: the container side of twinbox (the monitor, the
// container's process until it executes the command, the helper of `docker
// exec`) is C that runs from a constructor before the Go runtime starts.
//
//	func main() {
//		native.Init()
//		...
//		b, err := native.New(native.Options{}) // root, cgroups, lock
//		st, err := b.RecordStore()             // <root>/records
//		e, err := engine.New(ctx, b, engine.Options{Store: st})
//		...
//		e.Close()
//		st.Close() // syncs the records
//		b.Close() // containers keep running; the next New restores them
//		          // (Close stops their port proxies and DNS servers and
//		          // deletes the daemon's rules; the next New brings them back)
//	}
//
// Layout of Options.Root (default /var/lib/twinbox):
//
//	twinbox.lock                          held (flock) by the backend that owns the root
//	records/<bucket>/<key>                the engine's records (package store)
//	layers/<chain id>/{diff,layer.tar,meta.json}, l/<short>   layers (package storage)
//	containers/<id>/{diff,work,merged,init}                   a container's overlay
//	containers/<id>/{hosts,hostname,resolv.conf}              the files mounted at /etc/...
//	containers/<id>/{monitor.sock,exit,mounts.json,runtime.json}  its monitor and runtime state
//	volumes/<name>/_data                  local volumes
//	networks/<id>.json                    the bridges the engine created
//	tmp/                                  layers being applied
//
// Control groups are <hierarchy>/<Options.CgroupParent>/<id> (default
// parent "twinbox"); the default network's bridge is twinbox0 on the first
// free 172.17-31.0.0/16 (then 192.168.x.0/20). The daemon's packet filter
// rules are in the nftables table inet "twinbox-<first 8 hex digits of the
// sha256 of the root>" (and, on a machine with Docker's iptables, rules
// with that comment in ip filter FORWARD); published ports and the embedded
// DNS servers are sockets of the daemon's process (package network).
//
// Optional capabilities beyond backend.Backend, for the engine to assert:
// GraphDriver (inspect's GraphDriver.Data), ContainerFile (HostsPath,
// HostnamePath, ResolvConfPath), and backend's ResolverSetter,
// RouteLister, VolumeSizer and HostPathChecker.
//
// On systems other than Linux, New returns an error.
package native
