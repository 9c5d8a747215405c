// Package network gives containers their network stacks with
// github.com/vishvananda/netlink: a bridge per network with the gateway
// address on it, a network namespace per container, and a veth pair per
// endpoint whose container end (eth0, eth1, ...) is created directly inside
// the namespace with its final name and MAC address. Deleting a namespace
// deletes its veth pairs, so tearing a container down costs the daemon
// nothing: the kernel does it in the background.
//
// Linux-only; on other systems the package is empty.
package network
