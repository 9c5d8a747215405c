package engine

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/moby/moby/api/types/container"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

// defaultPath is the PATH dockerd gives containers whose image sets none.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// containerEnv is the first process's environment as dockerd builds it:
// PATH, HOSTNAME, TERM for a TTY, link variables, then the container's Env
// replacing or extending those.
func containerEnv(c *Container, linkEnv []string) []string {
	env := []string{"PATH=" + defaultPath, "HOSTNAME=" + c.Config.Hostname}
	if c.Config.Tty {
		env = append(env, "TERM=xterm")
	}
	env = append(env, linkEnv...)
	return replaceOrAppendEnv(env, c.Config.Env)
}

// replaceOrAppendEnv overrides defaults with overrides by key; an override
// without "=" removes the key.
func replaceOrAppendEnv(defaults, overrides []string) []string {
	index := make(map[string]int, len(defaults))
	for i, kv := range defaults {
		k, _, _ := strings.Cut(kv, "=")
		index[k] = i
	}
	for _, kv := range overrides {
		k, _, hasValue := strings.Cut(kv, "=")
		if i, ok := index[k]; ok {
			if hasValue {
				defaults[i] = kv
			} else {
				defaults[i] = ""
			}
			continue
		}
		if hasValue {
			index[k] = len(defaults)
			defaults = append(defaults, kv)
		}
	}
	out := defaults[:0]
	for _, kv := range defaults {
		if kv != "" {
			out = append(out, kv)
		}
	}
	return out
}

// hostsRecord is one line of /etc/hosts.
type hostsRecord struct{ ip, hosts string }

var defaultHosts = []hostsRecord{
	{"127.0.0.1", "localhost"},
	{"::1", "localhost ip6-localhost ip6-loopback"},
	{"fe00::0", "ip6-localnet"},
	{"ff00::0", "ip6-mcastprefix"},
	{"ff02::1", "ip6-allnodes"},
	{"ff02::2", "ip6-allrouters"},
}

// hostsFile builds a container's /etc/hosts as libnetwork does.
func hostsFile(extra []hostsRecord, ip, hostname, domain string) []byte {
	var b strings.Builder
	for _, r := range defaultHosts {
		fmt.Fprintf(&b, "%s\t%s\n", r.ip, r.hosts)
	}
	for _, r := range extra {
		fmt.Fprintf(&b, "%s\t%s\n", r.ip, r.hosts)
	}
	if ip != "" {
		name := hostname
		if domain != "" {
			name = hostname + "." + domain + " " + hostname
		}
		fmt.Fprintf(&b, "%s\t%s\n", ip, name)
	}
	return []byte(b.String())
}

var (
	localhostNS = regexp.MustCompile(`(?m)^nameserver\s+((127\.([0-9]{1,3}\.){2}[0-9]{1,3})|(::1)$)\s*\n*`)
	ipv6NS      = regexp.MustCompile(`(?m)^nameserver\s+([0-9A-Fa-f]{0,4}:){2,7}([0-9A-Fa-f]{0,4})(%\w+)?\s*\n*`)
	anyNS       = regexp.MustCompile(`(?m)^\s*nameserver\s*(\S+)`)
)

// resolvConf derives a container's /etc/resolv.conf from the machine's as
// libnetwork does: localhost and IPv6 name servers dropped, Google's public
// servers added when none is left.
func resolvConf(host []byte) []byte {
	out := localhostNS.ReplaceAll(host, nil)
	out = ipv6NS.ReplaceAll(out, nil)
	if len(anyNS.FindAll(out, -1)) == 0 {
		out = append(out, []byte("\nnameserver 8.8.8.8\nnameserver 8.8.4.4")...)
	}
	return out
}

// buildSpec assembles what the backend needs to run c. c.mu is held; the
// network endpoints must already be allocated.
func (e *Engine) buildSpec(c *Container, netSpec backend.NetworkSpec) *backend.Spec {
	args := append([]string{c.Path}, c.Args...)
	hc := c.HostConfig
	spec := &backend.Spec{
		Process: backend.ProcessSpec{
			Args: args,
			Env:  containerEnv(c, e.linkEnvOf(c)),
			Cwd:  c.Config.WorkingDir,
			User: c.Config.User,
			Tty:  c.Config.Tty,
		},
		Hostname:       utsHostname(c, e.desc.Name),
		Domainname:     c.Config.Domainname,
		Network:        netSpec,
		Resources:      resources(hc),
		ReadonlyRootfs: hc.ReadonlyRootfs,
		Privileged:     hc.Privileged,
		CapAdd:         hc.CapAdd,
		CapDrop:        hc.CapDrop,
	}
	if spec.Process.Cwd == "" {
		spec.Process.Cwd = "/"
	}
	if hc.ConsoleSize[0] > 0 || hc.ConsoleSize[1] > 0 {
		spec.Process.ConsoleSize = [2]uint{hc.ConsoleSize[0], hc.ConsoleSize[1]}
	}
	spec.Files = e.sandboxFiles(c, netSpec)
	for _, m := range c.MountPoints {
		spec.Mounts = append(spec.Mounts, backend.Mount{
			Type:        m.Type,
			Source:      m.backendSource(),
			Destination: m.Destination,
			ReadOnly:    !m.RW,
			CopyUp:      m.CopyData,
		})
	}
	return spec
}

// utsHostname is the name the container's processes see: with --uts host
// the machine's, as it shares the machine's UTS namespace on dockerd
// (whose inspect and HOSTNAME still show the container's own).
func utsHostname(c *Container, machine string) string {
	if c.HostConfig.UTSMode.IsHost() {
		return machine
	}
	return c.Config.Hostname
}

// resources are the limits of host config hc a backend applies.
func resources(hc *container.HostConfig) backend.Resources {
	r := backend.Resources{Memory: hc.Memory, MemorySwap: hc.MemorySwap, CPUShares: hc.CPUShares, NanoCPUs: hc.NanoCPUs}
	if hc.PidsLimit != nil {
		r.PidsLimit = *hc.PidsLimit
	}
	return r
}
