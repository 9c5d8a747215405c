package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/moby/moby/api/types/network"

	"github.com/twinbox-dev/twinbox/shared/api/wire"
)

// Networks and volumes, as the docker client 28 asks for them.

// NetworkList lists networks (GET /networks).
func (c *Client) NetworkList(ctx context.Context, filters Filters) ([]wire.Network, error) {
	q := url.Values{}
	if f := filters.encode(); f != "" {
		q.Set("filters", f)
	}
	var list []wire.Network
	err := c.get(ctx, "/networks", q, &list)
	return list, err
}

// NetworkInspectWithRaw returns a network's details, decoded and as the
// engine sent them (GET /networks/{id}).
func (c *Client) NetworkInspectWithRaw(ctx context.Context, id string, verbose bool) (wire.Network, []byte, error) {
	id, err := trimID("network", id)
	if err != nil {
		return wire.Network{}, nil, err
	}
	q := url.Values{}
	if verbose {
		q.Set("verbose", "true")
	}
	raw, err := c.getRaw(ctx, "/networks/"+id, q)
	if err != nil {
		return wire.Network{}, nil, err
	}
	var n wire.Network
	err = json.Unmarshal(raw, &n)
	return n, raw, err
}

// NetworkCreate creates a network (POST /networks/create). Before API
// 1.44 the client asks the engine to refuse a duplicate name, as docker's
// does.
func (c *Client) NetworkCreate(ctx context.Context, req wire.NetworkCreateRequest) (wire.NetworkCreateResponse, error) {
	if err := c.negotiate(ctx); err != nil {
		return wire.NetworkCreateResponse{}, err
	}
	if versionLess(c.Version(), "1.44") {
		req.CheckDuplicate = true
	}
	var resp wire.NetworkCreateResponse
	r, err := c.request(ctx, http.MethodPost, "/networks/create", nil, &req, nil)
	if err != nil {
		drain(r)
		return resp, err
	}
	err = decode(r, &resp)
	return resp, err
}

// NetworkRemove removes a network (DELETE /networks/{id}).
func (c *Client) NetworkRemove(ctx context.Context, id string) error {
	id, err := trimID("network", id)
	if err != nil {
		return err
	}
	return c.do(ctx, http.MethodDelete, "/networks/"+id, nil, nil)
}

// NetworkConnect connects a container to a network (POST
// /networks/{id}/connect).
func (c *Client) NetworkConnect(ctx context.Context, id, containerID string, config *network.EndpointSettings) error {
	id, err := trimID("network", id)
	if err != nil {
		return err
	}
	containerID, err = trimID("container", containerID)
	if err != nil {
		return err
	}
	body := struct {
		Container      string
		EndpointConfig *network.EndpointSettings `json:",omitempty"`
	}{containerID, config}
	return c.do(ctx, http.MethodPost, "/networks/"+id+"/connect", nil, &body)
}

// NetworkDisconnect disconnects a container from a network (POST
// /networks/{id}/disconnect).
func (c *Client) NetworkDisconnect(ctx context.Context, id, containerID string, force bool) error {
	id, err := trimID("network", id)
	if err != nil {
		return err
	}
	containerID, err = trimID("container", containerID)
	if err != nil {
		return err
	}
	body := struct {
		Container string
		Force     bool
	}{containerID, force}
	return c.do(ctx, http.MethodPost, "/networks/"+id+"/disconnect", nil, &body)
}

// NetworksPrune removes the unused networks (POST /networks/prune).
func (c *Client) NetworksPrune(ctx context.Context, filters Filters) (wire.NetworksPruneReport, error) {
	var rep wire.NetworksPruneReport
	err := c.post(ctx, "/networks/prune", filterQuery(filters), &rep)
	return rep, err
}

// VolumeList lists volumes (GET /volumes).
func (c *Client) VolumeList(ctx context.Context, filters Filters) (wire.VolumeListResponse, error) {
	var list wire.VolumeListResponse
	err := c.get(ctx, "/volumes", filterQuery(filters), &list)
	return list, err
}

// VolumeInspectWithRaw returns a volume's details, decoded and as the
// engine sent them (GET /volumes/{name}).
func (c *Client) VolumeInspectWithRaw(ctx context.Context, name string) (wire.Volume, []byte, error) {
	name, err := trimID("volume", name)
	if err != nil {
		return wire.Volume{}, nil, err
	}
	raw, err := c.getRaw(ctx, "/volumes/"+name, nil)
	if err != nil {
		return wire.Volume{}, nil, err
	}
	var v wire.Volume
	err = json.Unmarshal(raw, &v)
	return v, raw, err
}

// VolumeCreate creates a volume (POST /volumes/create).
func (c *Client) VolumeCreate(ctx context.Context, req wire.VolumeCreateRequest) (wire.Volume, error) {
	var v wire.Volume
	r, err := c.request(ctx, http.MethodPost, "/volumes/create", nil, &req, nil)
	if err != nil {
		drain(r)
		return v, err
	}
	err = decode(r, &v)
	return v, err
}

// VolumeRemove removes a volume (DELETE /volumes/{name}); force is sent
// from API 1.25 on.
func (c *Client) VolumeRemove(ctx context.Context, name string, force bool) error {
	name, err := trimID("volume", name)
	if err != nil {
		return err
	}
	if err := c.negotiate(ctx); err != nil {
		return err
	}
	q := url.Values{}
	if force && !versionLess(c.Version(), "1.25") {
		q.Set("force", "1")
	}
	return c.do(ctx, http.MethodDelete, "/volumes/"+name, q, nil)
}

// VolumesPrune removes the unused volumes (POST /volumes/prune).
func (c *Client) VolumesPrune(ctx context.Context, filters Filters) (wire.VolumesPruneReport, error) {
	var rep wire.VolumesPruneReport
	err := c.post(ctx, "/volumes/prune", filterQuery(filters), &rep)
	return rep, err
}

// filterQuery is the query of a request with only filters.
func filterQuery(filters Filters) url.Values {
	q := url.Values{}
	if f := filters.encode(); f != "" {
		q.Set("filters", f)
	}
	return q
}

// post sends a POST without a body and decodes the JSON answer into v.
func (c *Client) post(ctx context.Context, p string, query url.Values, v any) error {
	resp, err := c.request(ctx, http.MethodPost, p, query, nil, nil)
	if err != nil {
		drain(resp)
		return err
	}
	return decode(resp, v)
}
