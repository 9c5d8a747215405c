package client

import (
	"context"
	"encoding/json"

	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/api/types/system"

	"github.com/twinbox-dev/twinbox/shared/api/wire"
)

// ServerVersion returns the engine's version (GET /version).
func (c *Client) ServerVersion(ctx context.Context) (system.VersionResponse, error) {
	var v system.VersionResponse
	err := c.get(ctx, "/version", nil, &v)
	return v, err
}

// Info returns the engine's information (GET /info), decoded and as the
// engine sent it.
func (c *Client) Info(ctx context.Context) (*system.Info, []byte, error) {
	raw, err := c.getRaw(ctx, "/info", nil)
	if err != nil {
		return nil, nil, err
	}
	var info system.Info
	if err := json.Unmarshal(raw, &info); err != nil {
		return nil, raw, err
	}
	return &info, raw, nil
}

// DiskUsage returns what the engine's data takes on disk (GET /system/df).
func (c *Client) DiskUsage(ctx context.Context) (*wire.DiskUsage, error) {
	var du wire.DiskUsage
	if err := c.get(ctx, "/system/df", nil, &du); err != nil {
		return nil, err
	}
	return &du, nil
}

// BuildCachePrune prunes the build cache (POST /build/prune), all of it
// with all.
func (c *Client) BuildCachePrune(ctx context.Context, all bool, filters Filters) (build.CachePruneReport, error) {
	q := filterQuery(filters)
	if all {
		q.Set("all", "1")
	}
	var rep build.CachePruneReport
	err := c.post(ctx, "/build/prune", q, &rep)
	return rep, err
}
