package client

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/image"
)

// ContainerStatPath stats a path in a container (HEAD
// /containers/{id}/archive).
func (c *Client) ContainerStatPath(ctx context.Context, id, p string) (container.PathStat, error) {
	id, err := trimID("container", id)
	if err != nil {
		return container.PathStat{}, err
	}
	q := url.Values{}
	q.Set("path", filepath.ToSlash(p))
	resp, err := c.request(ctx, http.MethodHead, "/containers/"+id+"/archive", q, nil, nil)
	defer drain(resp)
	if err != nil {
		return container.PathStat{}, err
	}
	return pathStatFromHeader(resp.Header)
}

// CopyFromContainer returns a tar of a path in a container and the path's
// stat (GET /containers/{id}/archive). The caller closes the reader.
func (c *Client) CopyFromContainer(ctx context.Context, id, p string) (io.ReadCloser, container.PathStat, error) {
	id, err := trimID("container", id)
	if err != nil {
		return nil, container.PathStat{}, err
	}
	q := url.Values{}
	q.Set("path", filepath.ToSlash(p))
	resp, err := c.request(ctx, http.MethodGet, "/containers/"+id+"/archive", q, nil, nil)
	if err != nil {
		drain(resp)
		return nil, container.PathStat{}, err
	}
	st, err := pathStatFromHeader(resp.Header)
	if err != nil {
		drain(resp)
		return nil, st, fmt.Errorf("unable to get resource stat from response: %s", err)
	}
	return resp.Body, st, nil
}

// CopyToContainerOptions are the parameters of CopyToContainer.
type CopyToContainerOptions struct {
	AllowOverwriteDirWithFile bool
	CopyUIDGID                bool
}

// CopyToContainer unpacks a tar into a directory of a container (PUT
// /containers/{id}/archive).
func (c *Client) CopyToContainer(ctx context.Context, id, dst string, content io.Reader, opts CopyToContainerOptions) error {
	id, err := trimID("container", id)
	if err != nil {
		return err
	}
	q := url.Values{}
	q.Set("path", filepath.ToSlash(dst))
	if !opts.AllowOverwriteDirWithFile {
		q.Set("noOverwriteDirNonDir", "true")
	}
	if opts.CopyUIDGID {
		q.Set("copyUIDGID", "true")
	}
	ap, err := c.apiPath(ctx, "/containers/"+id+"/archive", q)
	if err != nil {
		return err
	}
	resp, err := c.send(ctx, http.MethodPut, ap, content, http.Header{"Content-Type": {"application/x-tar"}})
	drain(resp)
	return err
}

func pathStatFromHeader(h http.Header) (container.PathStat, error) {
	var st container.PathStat
	dec := base64.NewDecoder(base64.StdEncoding, strings.NewReader(h.Get("X-Docker-Container-Path-Stat")))
	if err := json.NewDecoder(dec).Decode(&st); err != nil {
		return st, fmt.Errorf("unable to decode container path stat header: %s", err)
	}
	return st, nil
}

// StatsReader is the answer of ContainerStats: JSON samples, one a line.
type StatsReader struct {
	Body   io.ReadCloser
	OSType string
}

// ContainerStats returns a container's resource usage (GET
// /containers/{id}/stats): a sample a second while stream is set, else
// one.
func (c *Client) ContainerStats(ctx context.Context, id string, stream bool) (StatsReader, error) {
	q := url.Values{}
	q.Set("stream", "0")
	if stream {
		q.Set("stream", "1")
	}
	return c.stats(ctx, id, q)
}

// ContainerStatsOneShot returns one sample at once, without waiting for a
// second one to compare CPU figures with.
func (c *Client) ContainerStatsOneShot(ctx context.Context, id string) (StatsReader, error) {
	q := url.Values{}
	q.Set("stream", "0")
	q.Set("one-shot", "1")
	return c.stats(ctx, id, q)
}

func (c *Client) stats(ctx context.Context, id string, q url.Values) (StatsReader, error) {
	id, err := trimID("container", id)
	if err != nil {
		return StatsReader{}, err
	}
	resp, err := c.request(ctx, http.MethodGet, "/containers/"+id+"/stats", q, nil, nil)
	if err != nil {
		drain(resp)
		return StatsReader{}, err
	}
	return StatsReader{Body: resp.Body, OSType: osOfServer(resp.Header.Get("Server"))}, nil
}

// ContainersPrune removes the stopped containers (POST /containers/prune).
func (c *Client) ContainersPrune(ctx context.Context, filters Filters) (container.PruneReport, error) {
	var rep container.PruneReport
	err := c.post(ctx, "/containers/prune", filterQuery(filters), &rep)
	return rep, err
}

// ImagesPrune removes the unused images (POST /images/prune).
func (c *Client) ImagesPrune(ctx context.Context, filters Filters) (image.PruneReport, error) {
	var rep image.PruneReport
	err := c.post(ctx, "/images/prune", filterQuery(filters), &rep)
	return rep, err
}

// ContainerExport returns a container's filesystem as a tar (GET
// /containers/{id}/export). The caller closes the reader.
func (c *Client) ContainerExport(ctx context.Context, id string) (io.ReadCloser, error) {
	id, err := trimID("container", id)
	if err != nil {
		return nil, err
	}
	resp, err := c.request(ctx, http.MethodGet, "/containers/"+id+"/export", nil, nil, nil)
	if err != nil {
		drain(resp)
		return nil, err
	}
	return resp.Body, nil
}
