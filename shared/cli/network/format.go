package formatter

import (
	"sort"
	"strconv"
	"strings"

	"github.com/twinbox-dev/twinbox/shared/api/wire"
)

// The network list, adapted from github.com/docker/cli/cli/command/network
// (v28.2.2), Apache License 2.0.

const (
	defaultNetworkTableFormat = "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}"

	networkIDHeader = "NETWORK ID"
	ipv4Header      = "IPV4"
	ipv6Header      = "IPV6"
	internalHeader  = "INTERNAL"
)

// NewNetworkFormat returns the format of `docker network ls`.
func NewNetworkFormat(source string, quiet bool) Format {
	switch source {
	case TableFormatKey:
		if quiet {
			return DefaultQuietFormat
		}
		return defaultNetworkTableFormat
	case RawFormatKey:
		if quiet {
			return `network_id: {{.ID}}`
		}
		return `network_id: {{.ID}}\nname: {{.Name}}\ndriver: {{.Driver}}\nscope: {{.Scope}}\n`
	}
	return Format(source)
}

// NetworkWrite renders networks.
func NetworkWrite(ctx Context, networks []wire.Network) error {
	render := func(format func(SubContext) error) error {
		for _, n := range networks {
			if err := format(&networkContext{trunc: ctx.Trunc, n: n}); err != nil {
				return err
			}
		}
		return nil
	}
	nc := networkContext{}
	nc.Header = SubHeaderContext{
		"ID":        networkIDHeader,
		"Name":      NameHeader,
		"Driver":    DriverHeader,
		"Scope":     ScopeHeader,
		"IPv4":      ipv4Header,
		"IPv6":      ipv6Header,
		"Internal":  internalHeader,
		"Labels":    LabelsHeader,
		"CreatedAt": CreatedAtHeader,
	}
	return ctx.Write(&nc, render)
}

type networkContext struct {
	HeaderContext
	trunc bool
	n     wire.Network
}

func (c *networkContext) MarshalJSON() ([]byte, error) { return MarshalJSON(c) }

func (c *networkContext) ID() string {
	if c.trunc {
		return TruncateID(c.n.ID)
	}
	return c.n.ID
}

func (c *networkContext) Name() string   { return c.n.Name }
func (c *networkContext) Driver() string { return c.n.Driver }
func (c *networkContext) Scope() string  { return c.n.Scope }

// IPv4 is always false: API 1.41 does not report it, and docker 28 shows
// false then.
func (c *networkContext) IPv4() string     { return strconv.FormatBool(false) }
func (c *networkContext) IPv6() string     { return strconv.FormatBool(c.n.EnableIPv6) }
func (c *networkContext) Internal() string { return strconv.FormatBool(c.n.Internal) }

func (c *networkContext) Labels() string { return joinLabels(c.n.Labels) }

func (c *networkContext) Label(name string) string { return c.n.Labels[name] }

func (c *networkContext) CreatedAt() string { return c.n.Created.String() }

// joinLabels is "k=v" pairs joined by commas, sorted (docker's order is a
// map's, random).
func joinLabels(labels map[string]string) string {
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
