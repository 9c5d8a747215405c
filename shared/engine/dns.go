package engine

// Name resolution inside containers: the /etc/hosts, /etc/hostname and
// /etc/resolv.conf each gets, and the names the embedded DNS server of
// user-defined networks answers (dockerd's libnetwork resolver, served by
// the backend at 127.0.0.11 through backend.NameResolver).

import (
	"bytes"
	"net/netip"
	"regexp"
	"strings"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

// embeddedDNS is the address of the DNS server on user-defined networks.
const embeddedDNS = "127.0.0.11"

// dnsEntry is a running container's endpoint on a network, for the
// embedded DNS server.
type dnsEntry struct {
	ip    netip.Addr
	names []string          // lowercase: its name, aliases (short ID, host name)
	links map[string]string // its own links on this network: alias → container name
}

// registerDNS records c's endpoints on user-defined networks. c.mu is held.
func (e *Engine) registerDNS(c *Container) {
	ns := e.networks
	for name, ep := range c.Networks {
		n, ok := ns.network(name)
		if !ok || !n.userDefined() || ep.IPAddress == "" {
			continue
		}
		ip, err := netip.ParseAddr(ep.IPAddress)
		if err != nil {
			continue
		}
		entry := dnsEntry{ip: ip, names: []string{strings.ToLower(strings.TrimPrefix(c.Name, "/"))}, links: map[string]string{}}
		for _, a := range ep.Aliases {
			entry.names = append(entry.names, strings.ToLower(a))
		}
		for _, l := range ep.Links {
			target, alias, err := parseLink(l)
			if err == nil {
				entry.links[strings.ToLower(alias)] = strings.ToLower(strings.TrimPrefix(target, "/"))
			}
		}
		ns.mu.Lock()
		if ns.dns == nil {
			ns.dns = map[string]map[string]dnsEntry{}
		}
		if ns.dns[n.ID] == nil {
			ns.dns[n.ID] = map[string]dnsEntry{}
		}
		ns.dns[n.ID][c.ID] = entry
		ns.mu.Unlock()
	}
}

// unregisterDNS forgets c's endpoints on netID, or on every network when
// netID is "".
func (e *Engine) unregisterDNS(id, netID string) {
	ns := e.networks
	ns.mu.Lock()
	defer ns.mu.Unlock()
	for n, entries := range ns.dns {
		if netID == "" || n == netID {
			delete(entries, id)
		}
	}
}

// resolver is the engine's backend.NameResolver.
type resolver struct{ e *Engine }

var _ backend.NameResolver = resolver{}

// Resolve answers a DNS query of container id for name as dockerd's
// embedded server does: a container name, alias or link alias on one of
// the querying container's user-defined networks, or "name.network".
func (r resolver) Resolve(id, name string) []netip.Addr {
	ns := r.e.networks
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	ns.mu.Lock()
	defer ns.mu.Unlock()
	var mine []string // network IDs the querying container is on
	for netID, entries := range ns.dns {
		if _, ok := entries[id]; ok {
			mine = append(mine, netID)
		}
	}
	lookup := func(netID, name string) []netip.Addr {
		entries := ns.dns[netID]
		if target, ok := entries[id].links[name]; ok {
			name = target
		}
		var out []netip.Addr
		for _, en := range entries {
			for _, n := range en.names {
				if n == name {
					out = append(out, en.ip)
					break
				}
			}
		}
		return out
	}
	var out []netip.Addr
	for _, netID := range mine {
		out = appendNew(out, lookup(netID, name)...)
	}
	if len(out) > 0 {
		return out
	}
	// "a.b.c" as a.b on network c, then a on network b.c.
	for i := strings.LastIndexByte(name, '.'); i > 0; i = strings.LastIndexByte(name[:i], '.') {
		host, netName := name[:i], name[i+1:]
		for _, netID := range mine {
			if n := ns.byID[netID]; n != nil && strings.ToLower(n.Name) == netName {
				out = appendNew(out, lookup(netID, host)...)
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	return nil
}

func appendNew(out []netip.Addr, as ...netip.Addr) []netip.Addr {
	for _, a := range as {
		dup := false
		for _, o := range out {
			dup = dup || o == a
		}
		if !dup {
			out = append(out, a)
		}
	}
	return out
}

var (
	searchLine  = regexp.MustCompile(`(?m)^\s*search\s*(.*)$`)
	optionsLine = regexp.MustCompile(`(?m)^\s*options\s*(.*)$`)
	ipv6NSLine  = regexp.MustCompile(`(?m)^\s*nameserver\s*(\S+)`)
)

// embeddedResolvConf is the /etc/resolv.conf of a container on a
// user-defined network, as libnetwork's rebuildDNS writes it: the host's
// search domains, the embedded server, the host's IPv6 name servers, and the
// host's options with ndots:0 added when they set no ndots.
func embeddedResolvConf(host []byte) []byte {
	var search, options []string
	for _, m := range searchLine.FindAllSubmatch(host, -1) {
		search = strings.Fields(string(m[1]))
	}
	for _, m := range optionsLine.FindAllSubmatch(host, -1) {
		options = strings.Fields(string(m[1]))
	}
	ns := []string{embeddedDNS}
	for _, m := range ipv6NSLine.FindAllSubmatch(host, -1) {
		if a, err := netip.ParseAddr(string(m[1])); err == nil && a.Is6() && !a.Is4In6() {
			ns = append(ns, string(m[1]))
		}
	}
	ndots := false
	for _, o := range options {
		ndots = ndots || strings.HasPrefix(o, "ndots")
	}
	if !ndots {
		options = append(options, "ndots:0")
	}
	var b bytes.Buffer
	if s := strings.Join(search, " "); len(search) > 0 && strings.Trim(s, " ") != "." {
		b.WriteString("search " + s + "\n")
	}
	for _, n := range ns {
		b.WriteString("nameserver " + n + "\n")
	}
	if len(options) > 0 {
		b.WriteString("options " + strings.Join(options, " ") + "\n")
	}
	return b.Bytes()
}

// sandboxFiles returns the /etc/hostname, /etc/hosts and /etc/resolv.conf
// of a run of c with netSpec, or nil when the container uses the machine's
// (host network) or shares another's (container network). c.mu is held.
func (e *Engine) sandboxFiles(c *Container, netSpec backend.NetworkSpec) map[string][]byte {
	sb := e.liveSandbox(c.ID)
	switch netSpec.Mode {
	case "host":
		return nil
	case "container":
		if sb != nil {
			return sb.Files
		}
		return nil
	}
	ip := ""
	if len(netSpec.Endpoints) > 0 {
		ip = netSpec.Endpoints[0].Address.Addr().String()
	}
	var extra []hostsRecord
	if sb != nil {
		extra = sb.LinkHosts
	}
	resolv := resolvConf(e.desc.ResolvConf)
	if e.usesEmbeddedDNS(c) {
		resolv = embeddedResolvConf(e.desc.ResolvConf)
	}
	files := map[string][]byte{
		"/etc/hostname":    []byte(c.Config.Hostname + "\n"),
		"/etc/hosts":       hostsFile(extra, ip, c.Config.Hostname, c.Config.Domainname),
		"/etc/resolv.conf": resolv,
	}
	if sb != nil {
		sb.Files = files
	}
	return files
}

// usesEmbeddedDNS reports whether c's primary network is user-defined.
// c.mu is held.
func (e *Engine) usesEmbeddedDNS(c *Container) bool {
	names := sortedNetworks(c)
	if len(names) == 0 {
		return false
	}
	n, ok := e.networks.network(names[0])
	return ok && n.userDefined()
}

// linkEnvOf returns the variables c's links give it for the current run.
func (e *Engine) linkEnvOf(c *Container) []string {
	if sb := e.liveSandbox(c.ID); sb != nil {
		return sb.LinkEnv
	}
	return nil
}
