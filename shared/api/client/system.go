package client

import (
	"context"
	"encoding/json"

	"github.com/moby/moby/api/types/system"
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
