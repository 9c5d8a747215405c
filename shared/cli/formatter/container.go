package formatter

// Adapted from github.com/docker/cli/cli/command/formatter/container.go
// (v28.2.2), Apache License 2.0.

import (
	"fmt"
	"net"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/distribution/reference"
	units "github.com/docker/go-units"
	"github.com/moby/moby/api/types/container"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

const (
	defaultContainerTableFormat = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"

	namesHeader      = "NAMES"
	commandHeader    = "COMMAND"
	runningForHeader = "CREATED"
	mountsHeader     = "MOUNTS"
	localVolumes     = "LOCAL VOLUMES"
	networksHeader   = "NETWORKS"
	platformHeader   = "PLATFORM"
)

// NewContainerFormat returns the format of `docker ps` for a --format value
// (source), -q and -s.
func NewContainerFormat(source string, quiet bool, size bool) Format {
	switch source {
	case TableFormatKey, "":
		if quiet {
			return DefaultQuietFormat
		}
		format := defaultContainerTableFormat
		if size {
			format += `\t{{.Size}}`
		}
		return Format(format)
	case RawFormatKey:
		if quiet {
			return `container_id: {{.ID}}`
		}
		format := `container_id: {{.ID}}
image: {{.Image}}
command: {{.Command}}
created_at: {{.CreatedAt}}
state: {{- pad .State 1 0}}
status: {{- pad .Status 1 0}}
names: {{.Names}}
labels: {{- pad .Labels 1 0}}
ports: {{- pad .Ports 1 0}}
`
		if size {
			format += `size: {{.Size}}\n`
		}
		return Format(format)
	default:
		if quiet {
			return DefaultQuietFormat
		}
		return Format(source)
	}
}

// ContainerWrite renders containers.
func ContainerWrite(ctx Context, containers []container.Summary) error {
	now := ctx.now()
	return ctx.Write(NewContainerContext(), func(format func(SubContext) error) error {
		for _, c := range containers {
			if err := format(&ContainerContext{trunc: ctx.Trunc, c: c, now: now}); err != nil {
				return err
			}
		}
		return nil
	})
}

// ContainerContext is one row of `docker ps`.
type ContainerContext struct {
	HeaderContext
	trunc bool
	c     container.Summary
	now   time.Time

	// FieldsUsed records the fields a template used, so ps asks for sizes
	// only when {{.Size}} is shown.
	FieldsUsed map[string]any
}

// NewContainerContext returns a context holding the header of `docker ps`.
func NewContainerContext() *ContainerContext {
	c := ContainerContext{}
	c.Header = SubHeaderContext{
		"ID":           ContainerIDHeader,
		"Names":        namesHeader,
		"Image":        ImageHeader,
		"Command":      commandHeader,
		"CreatedAt":    CreatedAtHeader,
		"RunningFor":   runningForHeader,
		"Ports":        PortsHeader,
		"State":        StateHeader,
		"Status":       StatusHeader,
		"Size":         SizeHeader,
		"Labels":       LabelsHeader,
		"Mounts":       mountsHeader,
		"LocalVolumes": localVolumes,
		"Networks":     networksHeader,
		"Platform":     platformHeader,
	}
	return &c
}

// MarshalJSON encodes the row for {{json .}}.
func (c *ContainerContext) MarshalJSON() ([]byte, error) { return MarshalJSON(c) }

// ID is the container's ID, 12 characters unless --no-trunc.
func (c *ContainerContext) ID() string {
	if c.trunc {
		return TruncateID(c.c.ID)
	}
	return c.c.ID
}

// Names are the container's names without their "/"; truncated, only its
// own name (not link names).
func (c *ContainerContext) Names() string {
	names := StripNamePrefix(c.c.Names)
	if c.trunc {
		for _, name := range names {
			if len(strings.Split(name, "/")) == 1 {
				names = []string{name}
				break
			}
		}
	}
	return strings.Join(names, ",")
}

// StripNamePrefix removes the leading "/" of names.
func StripNamePrefix(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.TrimPrefix(s, "/")
	}
	return out
}

// Image is the image the container was created from, as given (shortened
// to a familiar name when truncating).
func (c *ContainerContext) Image() string {
	if c.c.Image == "" {
		return "<no image>"
	}
	if c.trunc {
		if trunc := TruncateID(c.c.ImageID); trunc == TruncateID(c.c.Image) {
			return trunc
		}
		ref, err := reference.ParseNormalizedNamed(c.c.Image)
		if err == nil {
			if nt, ok := ref.(reference.NamedTagged); ok {
				if namedTagged, err := reference.WithTag(reference.TrimNamed(nt), nt.Tag()); err == nil {
					return reference.FamiliarString(namedTagged)
				}
			} else {
				return reference.FamiliarString(reference.TrimNamed(ref))
			}
		}
	}
	return c.c.Image
}

// Command is the container's command, quoted, cut to 20 columns.
func (c *ContainerContext) Command() string {
	command := c.c.Command
	if c.trunc {
		command = Ellipsis(command, 20)
	}
	return strconv.Quote(command)
}

// CreatedAt is when the container was created.
func (c *ContainerContext) CreatedAt() string {
	return time.Unix(c.c.Created, 0).String()
}

// RunningFor is how long ago the container was created.
func (c *ContainerContext) RunningFor() string {
	createdAt := time.Unix(c.c.Created, 0)
	return units.HumanDuration(c.now.UTC().Sub(createdAt)) + " ago"
}

// Platform is a container's image platform.
type Platform struct {
	ocispec.Platform
}

// String returns "os/arch[/variant]".
func (p Platform) String() string {
	if p.OS == "" {
		return "unknown"
	}
	return path.Join(p.OS, p.Architecture, p.Variant)
}

// Platform is the platform of the container's image, nil (printed
// "<nil>") when the engine does not say, as API 1.41 engines do not.
func (c *ContainerContext) Platform() *Platform {
	p := c.c.ImageManifestDescriptor
	if p == nil || p.Platform == nil {
		return nil
	}
	return &Platform{*p.Platform}
}

// Ports are the container's exposed and published ports.
func (c *ContainerContext) Ports() string { return DisplayablePorts(c.c.Ports) }

// State is the container's state ("running").
func (c *ContainerContext) State() string { return string(c.c.State) }

// Status is the container's status ("Up 3 seconds").
func (c *ContainerContext) Status() string { return c.c.Status }

// Size is the size of the container's writable layer (and of its image).
func (c *ContainerContext) Size() string {
	if c.FieldsUsed == nil {
		c.FieldsUsed = map[string]any{}
	}
	c.FieldsUsed["Size"] = struct{}{}
	srw := units.HumanSizeWithPrecision(float64(c.c.SizeRw), 3)
	sv := units.HumanSizeWithPrecision(float64(c.c.SizeRootFs), 3)
	sf := srw
	if c.c.SizeRootFs > 0 {
		sf = fmt.Sprintf("%s (virtual %s)", srw, sv)
	}
	return sf
}

// Labels are the container's labels, "k=v" sorted and joined by commas.
func (c *ContainerContext) Labels() string {
	if c.c.Labels == nil {
		return ""
	}
	joinLabels := make([]string, 0, len(c.c.Labels))
	for k, v := range c.c.Labels {
		joinLabels = append(joinLabels, k+"="+v)
	}
	sort.Strings(joinLabels)
	return strings.Join(joinLabels, ",")
}

// Label is the value of one label.
func (c *ContainerContext) Label(name string) string {
	if c.c.Labels == nil {
		return ""
	}
	return c.c.Labels[name]
}

// Mounts are the names (or sources) of the container's mounts.
func (c *ContainerContext) Mounts() string {
	mounts := make([]string, 0, len(c.c.Mounts))
	for _, m := range c.c.Mounts {
		name := m.Name
		if name == "" {
			name = m.Source
		}
		if c.trunc {
			name = Ellipsis(name, 15)
		}
		mounts = append(mounts, name)
	}
	return strings.Join(mounts, ",")
}

// LocalVolumes is the number of the container's local volumes.
func (c *ContainerContext) LocalVolumes() string {
	count := 0
	for _, m := range c.c.Mounts {
		if m.Driver == "local" {
			count++
		}
	}
	return strconv.Itoa(count)
}

// Networks are the names of the container's networks. (docker lists them
// in map order; twinbox sorts them.)
func (c *ContainerContext) Networks() string {
	if c.c.NetworkSettings == nil {
		return ""
	}
	networks := make([]string, 0, len(c.c.NetworkSettings.Networks))
	for k := range c.c.NetworkSettings.Networks {
		networks = append(networks, k)
	}
	sort.Strings(networks)
	return strings.Join(networks, ",")
}

// port is a container port as docker's formatter sees it.
type port struct {
	IP          string
	PrivatePort uint16
	PublicPort  uint16
	Type        string
}

// DisplayablePorts renders ports as `docker ps` shows them: ranges grouped,
// "0.0.0.0:8080->80/tcp" for published ones.
func DisplayablePorts(summary []container.PortSummary) string {
	ports := make([]port, len(summary))
	for i, p := range summary {
		ports[i] = port{PrivatePort: p.PrivatePort, PublicPort: p.PublicPort, Type: p.Type}
		if p.IP.IsValid() {
			ports[i].IP = p.IP.String()
		}
	}
	type portGroup struct {
		first uint16
		last  uint16
	}
	groupMap := make(map[string]*portGroup)
	var result []string
	var hostMappings []string
	var groupMapKeys []string
	sort.Slice(ports, func(i, j int) bool { return comparePorts(ports[i], ports[j]) })

	for _, p := range ports {
		current := p.PrivatePort
		portKey := p.Type
		if p.IP != "" {
			if p.PublicPort != current {
				hAddrPort := net.JoinHostPort(p.IP, strconv.Itoa(int(p.PublicPort)))
				hostMappings = append(hostMappings, fmt.Sprintf("%s->%d/%s", hAddrPort, p.PrivatePort, p.Type))
				continue
			}
			portKey = p.IP + "/" + p.Type
		}
		group := groupMap[portKey]
		if group == nil {
			groupMap[portKey] = &portGroup{first: current, last: current}
			groupMapKeys = append(groupMapKeys, portKey)
			continue
		}
		if current == (group.last + 1) {
			group.last = current
			continue
		}
		result = append(result, formGroup(portKey, group.first, group.last))
		groupMap[portKey] = &portGroup{first: current, last: current}
	}
	for _, portKey := range groupMapKeys {
		g := groupMap[portKey]
		result = append(result, formGroup(portKey, g.first, g.last))
	}
	result = append(result, hostMappings...)
	return strings.Join(result, ", ")
}

func formGroup(key string, start, last uint16) string {
	parts := strings.Split(key, "/")
	groupType := parts[0]
	var ip string
	if len(parts) > 1 {
		ip = parts[0]
		groupType = parts[1]
	}
	group := strconv.Itoa(int(start))
	if start != last {
		group = fmt.Sprintf("%s-%d", group, last)
	}
	if ip != "" {
		group = fmt.Sprintf("%s->%s", net.JoinHostPort(ip, group), group)
	}
	return group + "/" + groupType
}

func comparePorts(i, j port) bool {
	if i.PrivatePort != j.PrivatePort {
		return i.PrivatePort < j.PrivatePort
	}
	if i.IP != j.IP {
		return i.IP < j.IP
	}
	if i.PublicPort != j.PublicPort {
		return i.PublicPort < j.PublicPort
	}
	return i.Type < j.Type
}
