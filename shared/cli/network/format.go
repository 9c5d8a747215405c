package network

import (
	"strconv"

	"github.com/twinbox-dev/twinbox/shared/api/wire"
	"github.com/twinbox-dev/twinbox/shared/cli/formatter"
)

// Package network formats `docker network ls` as docker 28's package of
// the same name does (its row type's name shows in template errors:
// "*network.networkContext"), adapted from
// github.com/docker/cli/cli/command/network (v28.2.2), Apache License 2.0.

const (
	defaultNetworkTableFormat = "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}"

	networkIDHeader = "NETWORK ID"
	ipv4Header      = "IPV4"
	ipv6Header      = "IPV6"
	internalHeader  = "INTERNAL"
)

// NewFormat returns the format of `docker network ls`.
func NewFormat(source string, quiet bool) formatter.Format {
	switch source {
	case formatter.TableFormatKey:
		if quiet {
			return formatter.DefaultQuietFormat
		}
		return defaultNetworkTableFormat
	case formatter.RawFormatKey:
		if quiet {
			return `network_id: {{.ID}}`
		}
		return `network_id: {{.ID}}\nname: {{.Name}}\ndriver: {{.Driver}}\nscope: {{.Scope}}\n`
	}
	return formatter.Format(source)
}

// FormatWrite renders networks.
func FormatWrite(ctx formatter.Context, networks []wire.Network) error {
	render := func(format func(formatter.SubContext) error) error {
		for _, n := range networks {
			if err := format(&networkContext{trunc: ctx.Trunc, n: n}); err != nil {
				return err
			}
		}
		return nil
	}
	nc := networkContext{}
	nc.Header = formatter.SubHeaderContext{
		"ID":        networkIDHeader,
		"Name":      formatter.NameHeader,
		"Driver":    formatter.DriverHeader,
		"Scope":     formatter.ScopeHeader,
		"IPv4":      ipv4Header,
		"IPv6":      ipv6Header,
		"Internal":  internalHeader,
		"Labels":    formatter.LabelsHeader,
		"CreatedAt": formatter.CreatedAtHeader,
	}
	return ctx.Write(&nc, render)
}

type networkContext struct {
	formatter.HeaderContext
	trunc bool
	n     wire.Network
}

func (c *networkContext) MarshalJSON() ([]byte, error) { return formatter.MarshalJSON(c) }

func (c *networkContext) ID() string {
	if c.trunc {
		return formatter.TruncateID(c.n.ID)
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

func (c *networkContext) Labels() string { return formatter.JoinLabels(c.n.Labels) }

func (c *networkContext) Label(name string) string { return c.n.Labels[name] }

func (c *networkContext) CreatedAt() string { return c.n.Created.String() }
