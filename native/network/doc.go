// Package network gives containers their network stacks with
// github.com/vishvananda/netlink: a bridge per network with the gateway
// address on it, a network namespace per container, and a veth pair per
// endpoint whose container end (eth0, eth1, ...) is created directly inside
// the namespace with its final name and MAC address. Deleting a namespace
// deletes its veth pairs, so tearing a container down costs the daemon
// nothing: the kernel does it in the background.
//
// Around the bridges, what dockerd's libnetwork does with iptables and
// helper processes, done here so that nothing outlives the daemon:
//   - published ports: a userland proxy per port (Proxy, as docker-proxy);
//   - names on user-defined networks: an embedded DNS server at
//     127.0.0.11:53 inside each container's namespace (DNSServer);
//   - isolation between networks and of internal networks: nftables rules
//     in a table of the daemon's own (Firewall);
//   - ICC off: the bridge ports' isolated flag (AddEndpoint).
//
// Linux-only; on other systems the package is empty.
package network
