package formatter

import (
	"sort"
	"strconv"
	"strings"

	units "github.com/docker/go-units"

	"github.com/twinbox-dev/twinbox/shared/api/wire"
)

// The volume list, adapted from github.com/docker/cli/cli/command/formatter
// (v28.2.2), Apache License 2.0.

const (
	defaultVolumeQuietFormat = "{{.Name}}"
	defaultVolumeTableFormat = "table {{.Driver}}\t{{.Name}}"

	volumeNameHeader   = "VOLUME NAME"
	mountpointHeader   = "MOUNTPOINT"
	linksHeader        = "LINKS"
	groupHeader        = "GROUP"
	availabilityHeader = "AVAILABILITY"
)

// NewVolumeFormat returns the format of `docker volume ls`.
func NewVolumeFormat(source string, quiet bool) Format {
	switch source {
	case TableFormatKey:
		if quiet {
			return defaultVolumeQuietFormat
		}
		return defaultVolumeTableFormat
	case RawFormatKey:
		if quiet {
			return `name: {{.Name}}`
		}
		return `name: {{.Name}}\ndriver: {{.Driver}}\n`
	}
	return Format(source)
}

// VolumeWrite renders volumes.
func VolumeWrite(ctx Context, volumes []*wire.Volume) error {
	render := func(format func(SubContext) error) error {
		for _, v := range volumes {
			if err := format(&volumeContext{v: *v}); err != nil {
				return err
			}
		}
		return nil
	}
	return ctx.Write(newVolumeContext(), render)
}

// newVolumeContext returns a context holding the header of volume lists.
func newVolumeContext() *volumeContext {
	vc := volumeContext{}
	vc.Header = SubHeaderContext{
		"ID":           "ID",
		"Name":         volumeNameHeader,
		"Group":        groupHeader,
		"Driver":       DriverHeader,
		"Scope":        ScopeHeader,
		"Availability": availabilityHeader,
		"Mountpoint":   mountpointHeader,
		"Labels":       LabelsHeader,
		"Links":        linksHeader,
		"Size":         SizeHeader,
		"Status":       StatusHeader,
	}
	return &vc
}

type volumeContext struct {
	HeaderContext
	v wire.Volume
}

func (c *volumeContext) MarshalJSON() ([]byte, error) { return MarshalJSON(c) }

func (c *volumeContext) Name() string       { return c.v.Name }
func (c *volumeContext) Driver() string     { return c.v.Driver }
func (c *volumeContext) Scope() string      { return c.v.Scope }
func (c *volumeContext) Mountpoint() string { return c.v.Mountpoint }
func (c *volumeContext) Labels() string     { return JoinLabels(c.v.Labels) }

func (c *volumeContext) Label(name string) string { return c.v.Labels[name] }

func (c *volumeContext) Links() string {
	if c.v.UsageData == nil {
		return "N/A"
	}
	return strconv.FormatInt(c.v.UsageData.RefCount, 10)
}

func (c *volumeContext) Size() string {
	if c.v.UsageData == nil {
		return "N/A"
	}
	return units.HumanSize(float64(c.v.UsageData.Size))
}

// Group, Availability and Status are those of cluster volumes, which
// twinbox has none of.
func (c *volumeContext) Group() string        { return "N/A" }
func (c *volumeContext) Availability() string { return "N/A" }
func (c *volumeContext) Status() string       { return "N/A" }

// JoinLabels is "k=v" pairs joined by commas, sorted (docker's order is a
// map's, random).
func JoinLabels(labels map[string]string) string {
	if labels == nil {
		return ""
	}
	out := make([]string, 0, len(labels))
	for k, v := range labels {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}
