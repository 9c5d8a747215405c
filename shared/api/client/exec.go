package client

import (
	"context"
	"net/http"

	"github.com/moby/moby/api/types/common"
	"github.com/moby/moby/api/types/container"
)

// ExecCreateOptions are the parameters of ExecCreate: moby's request, and
// Detach, which the docker CLI sends too.
type ExecCreateOptions struct {
	container.ExecCreateRequest
	Detach bool
}

// ExecCreate creates an exec process in a running container. Errors:
// *Error 409 when the container does not run.
func (c *Client) ExecCreate(ctx context.Context, id string, req ExecCreateOptions) (common.IDResponse, error) {
	var r common.IDResponse
	id, err := trimID("container", id)
	if err != nil {
		return r, err
	}
	if err := c.negotiate(ctx); err != nil {
		return r, err
	}
	if versionLess(c.Version(), "1.42") {
		req.ConsoleSize = nil // engines before 1.42 ignore it; docker does not send it
	}
	resp, err := c.request(ctx, http.MethodPost, "/containers/"+id+"/exec", nil, req, nil)
	if err != nil {
		drain(resp)
		return r, err
	}
	err = decode(resp, &r)
	return r, err
}

// ExecStart starts an exec process without attaching to it (detached).
func (c *Client) ExecStart(ctx context.Context, execID string, req container.ExecStartRequest) error {
	if err := c.negotiate(ctx); err != nil {
		return err
	}
	if versionLess(c.Version(), "1.42") {
		req.ConsoleSize = nil
	}
	return c.do(ctx, http.MethodPost, "/exec/"+execID+"/start", nil, req)
}

// ExecAttach starts an exec process and attaches to its standard streams.
func (c *Client) ExecAttach(ctx context.Context, execID string, req container.ExecStartRequest) (*HijackedResponse, error) {
	if err := c.negotiate(ctx); err != nil {
		return nil, err
	}
	if versionLess(c.Version(), "1.42") {
		req.ConsoleSize = nil
	}
	return c.postHijacked(ctx, "/exec/"+execID+"/start", nil, req)
}

// ExecInspect returns an exec process's state and exit code.
func (c *Client) ExecInspect(ctx context.Context, execID string) (container.ExecInspectResponse, error) {
	var r container.ExecInspectResponse
	err := c.get(ctx, "/exec/"+execID+"/json", nil, &r)
	return r, err
}

// ExecResize sets the size of an exec process's TTY.
func (c *Client) ExecResize(ctx context.Context, execID string, height, width uint) error {
	return c.do(ctx, http.MethodPost, "/exec/"+execID+"/resize", sizeQuery(height, width), nil)
}
