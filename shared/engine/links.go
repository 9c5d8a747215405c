package engine

// Legacy links (--link), as dockerd 20.10 makes them: registered when the
// container is created, turned into environment variables and /etc/hosts
// entries when it starts on the default bridge. Adapted from
// github.com/docker/docker v20.10.24 daemon/links and
// daemon/container_operations.go (Apache License 2.0).

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

// parseLink reads "name:alias" or "name" as opts.ParseLink does.
func parseLink(val string) (name, alias string, err error) {
	if val == "" {
		return "", "", backend.Errorf(backend.InvalidParameter, "empty string specified for links")
	}
	arr := strings.Split(val, ":")
	if len(arr) > 2 {
		return "", "", backend.Errorf(backend.InvalidParameter, "bad format for links: %s", val)
	}
	if len(arr) == 1 {
		return val, val, nil
	}
	// This is kept because we can actually get a HostConfig with links
	// from an already created container and the format is not `foo:bar`
	// but `/foo:/c1/bar`
	if strings.HasPrefix(arr[0], "/") {
		_, alias := path.Split(arr[1])
		return arr[0][1:], alias, nil
	}
	return arr[0], arr[1], nil
}

// registerLinks checks the links of a container being created (named name)
// and rewrites them as dockerd records them: "/child:/parent/alias". Links
// of a container on a user-defined network are left alone: its embedded
// DNS serves them.
func (e *Engine) registerLinks(name string, hc *container.HostConfig) error {
	if len(hc.Links) == 0 || isUserDefinedMode(hc.NetworkMode) {
		return nil
	}
	out := make([]string, 0, len(hc.Links))
	for _, l := range hc.Links {
		childName, alias, err := parseLink(l)
		if err != nil {
			return err
		}
		child, err := e.getContainer(childName)
		if err != nil {
			return backend.Errorf(backend.InvalidParameter, "could not get container for %s: %v", childName, err)
		}
		for {
			child.mu.Lock()
			mode := child.HostConfig.NetworkMode
			child.mu.Unlock()
			if !mode.IsContainer() {
				if mode.IsHost() {
					return backend.Errorf(backend.InvalidParameter, "container cannot be disconnected from host network or connected to host network")
				}
				break
			}
			ref := strings.TrimPrefix(string(mode), "container:")
			if child, err = e.getContainer(ref); err != nil {
				return backend.Errorf(backend.InvalidParameter, "Could not get container for %s: %v", ref, err)
			}
		}
		child.mu.Lock()
		childName = child.Name
		child.mu.Unlock()
		out = append(out, childName+":"+name+"/"+alias)
	}
	hc.Links = out
	return nil
}

// isUserDefinedMode reports whether a network mode names a user-defined
// network.
func isUserDefinedMode(m container.NetworkMode) bool {
	return !isPredefinedNetwork(string(m))
}

// linkRef is one link of a container: the linked (child) container and the
// full link name "/parent/alias".
type linkRef struct {
	child *Container
	name  string
}

// links returns c's legacy links. c.mu is held; children may be missing
// (removed since), and are then left out.
func (e *Engine) links(c *Container) []linkRef {
	var out []linkRef
	for _, l := range c.HostConfig.Links {
		childName, full, ok := strings.Cut(l, ":")
		if !ok || !strings.HasPrefix(childName, "/") {
			continue
		}
		child, err := e.getContainer(strings.TrimPrefix(childName, "/"))
		if err != nil || child == c {
			continue
		}
		out = append(out, linkRef{child: child, name: full})
	}
	return out
}

// setupLinks computes the environment variables and /etc/hosts entries
// c's links give it, for a run whose endpoints are allocated. Only a
// container on the default bridge has legacy links. c.mu is held.
func (e *Engine) setupLinks(c *Container, sb *sandbox) error {
	if ep := c.Networks["bridge"]; ep == nil || ep.IPAddress == "" {
		return nil
	}
	for _, l := range e.links(c) {
		child := l.child
		child.mu.Lock()
		running := child.State.Running
		childEP := child.Networks["bridge"]
		childName, hostname := child.Name, child.Config.Hostname
		var env []string
		exposed := network.PortSet{}
		if child.Config != nil {
			env = child.Config.Env
			for p := range child.Config.ExposedPorts {
				exposed[p] = struct{}{}
			}
		}
		ip := ""
		if childEP != nil {
			ip = childEP.IPAddress
		}
		child.mu.Unlock()
		if childEP == nil {
			return backend.Errorf(backend.InvalidParameter, "Cannot link to %s, as it does not belong to the default network", childName)
		}
		if !running || ip == "" {
			return backend.Errorf(backend.InvalidParameter, "Cannot link to a non running container: %s AS %s", childName, l.name)
		}
		_, alias := path.Split(l.name)
		hosts := alias + " " + hostname
		if alias != strings.TrimPrefix(childName, "/") {
			hosts += " " + strings.TrimPrefix(childName, "/")
		}
		sb.LinkHosts = append(sb.LinkHosts, hostsRecord{ip: ip, hosts: hosts})
		sb.LinkEnv = append(sb.LinkEnv, linkEnv(l.name, ip, env, exposed)...)
	}
	return nil
}

// linkEnv is Link.ToEnv of dockerd's links package: the variables a link
// named name ("/parent/alias") to a container at ip with env and exposed
// ports gives.
func linkEnv(name, ip string, childEnv []string, exposed network.PortSet) []string {
	_, n := path.Split(name)
	alias := strings.ReplaceAll(strings.ToUpper(n), "-", "_")
	ports := make([]network.Port, 0, len(exposed))
	for p := range exposed {
		ports = append(ports, p)
	}
	sort.Slice(ports, func(i, j int) bool {
		pi, pj := ports[i], ports[j]
		if pi.Num() != pj.Num() {
			return pi.Num() < pj.Num()
		}
		return pi.Proto() == "tcp" && pj.Proto() != "tcp"
	})
	var env []string
	if len(ports) > 0 {
		p := ports[0]
		env = append(env, fmt.Sprintf("%s_PORT=%s://%s:%d", alias, p.Proto(), ip, p.Num()))
	}
	for i := 0; i < len(ports); {
		p := ports[i]
		j := nextContiguous(ports, int(p.Num()), i)
		if j > i+1 {
			up := strings.ToUpper(string(p.Proto()))
			env = append(env,
				fmt.Sprintf("%s_PORT_%d_%s_START=%s://%s:%d", alias, p.Num(), up, p.Proto(), ip, p.Num()),
				fmt.Sprintf("%s_PORT_%d_%s_ADDR=%s", alias, p.Num(), up, ip),
				fmt.Sprintf("%s_PORT_%d_%s_PROTO=%s", alias, p.Num(), up, p.Proto()),
				fmt.Sprintf("%s_PORT_%d_%s_PORT_START=%d", alias, p.Num(), up, p.Num()))
			q := ports[j]
			env = append(env,
				fmt.Sprintf("%s_PORT_%d_%s_END=%s://%s:%d", alias, p.Num(), strings.ToUpper(string(q.Proto())), q.Proto(), ip, q.Num()),
				fmt.Sprintf("%s_PORT_%d_%s_PORT_END=%d", alias, p.Num(), strings.ToUpper(string(q.Proto())), q.Num()))
			i = j + 1
			continue
		}
		i++
	}
	for _, p := range ports {
		up := strings.ToUpper(string(p.Proto()))
		env = append(env,
			fmt.Sprintf("%s_PORT_%d_%s=%s://%s:%d", alias, p.Num(), up, p.Proto(), ip, p.Num()),
			fmt.Sprintf("%s_PORT_%d_%s_ADDR=%s", alias, p.Num(), up, ip),
			fmt.Sprintf("%s_PORT_%d_%s_PORT=%d", alias, p.Num(), up, p.Num()),
			fmt.Sprintf("%s_PORT_%d_%s_PROTO=%s", alias, p.Num(), up, p.Proto()))
	}
	env = append(env, fmt.Sprintf("%s_NAME=%s", alias, name))
	for _, v := range childEnv {
		k, val, ok := strings.Cut(v, "=")
		if !ok || k == "HOME" || k == "PATH" {
			continue
		}
		env = append(env, fmt.Sprintf("%s_ENV_%s=%s", alias, k, val))
	}
	return env
}

func nextContiguous(ports []network.Port, value, index int) int {
	if index+1 == len(ports) {
		return index
	}
	for i := index + 1; i < len(ports); i++ {
		if int(ports[i].Num()) > value+1 {
			return i - 1
		}
		value++
	}
	return len(ports) - 1
}

// linkNames are the names c is known by through other containers' links
// ("/parent/alias"), sorted. c.mu is held.
func (e *Engine) linkNames(c *Container) []string {
	var out []string
	for _, p := range e.listContainers() {
		if p == c {
			continue
		}
		// HostConfig.Links does not change once the container exists, so
		// it is read without p.mu (c.mu is held: no second lock).
		for _, l := range p.HostConfig.Links {
			child, full, ok := strings.Cut(l, ":")
			if ok && child == c.Name {
				out = append(out, full)
			}
		}
	}
	sort.Strings(out)
	return out
}
