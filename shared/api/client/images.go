package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/image"

	"github.com/twinbox-dev/twinbox/shared/api/wire"
)

// ImageListOptions are the parameters of ImageList.
type ImageListOptions struct {
	All     bool
	Filters Filters
}

// ImageList lists images (GET /images/json).
func (c *Client) ImageList(ctx context.Context, opts ImageListOptions) ([]wire.ImageSummary, error) {
	q := url.Values{}
	if opts.All {
		q.Set("all", "1")
	}
	if f := opts.Filters.encode(); f != "" {
		q.Set("filters", f)
	}
	var list []wire.ImageSummary
	err := c.get(ctx, "/images/json", q, &list)
	return list, err
}

// ImageInspectWithRaw returns an image's details, decoded and as the engine
// sent them.
func (c *Client) ImageInspectWithRaw(ctx context.Context, name string) (*wire.ImageInspect, []byte, error) {
	name, err := trimID("image", name)
	if err != nil {
		return nil, nil, err
	}
	raw, err := c.getRaw(ctx, "/images/"+name+"/json", nil)
	if err != nil {
		return nil, nil, err
	}
	var v wire.ImageInspect
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, raw, err
	}
	return &v, raw, nil
}

// ImageHistory returns an image's history, newest first.
func (c *Client) ImageHistory(ctx context.Context, name string) ([]image.HistoryResponseItem, error) {
	name, err := trimID("image", name)
	if err != nil {
		return nil, err
	}
	var h []image.HistoryResponseItem
	err = c.get(ctx, "/images/"+name+"/history", nil, &h)
	return h, err
}

// ImageTag gives the image source the name target. Errors: references the
// docker client rejects, with its texts.
func (c *Client) ImageTag(ctx context.Context, source, target string) error {
	if _, err := reference.ParseAnyReference(source); err != nil {
		return fmt.Errorf("Error parsing reference: %q is not a valid repository/tag: %w", source, err)
	}
	ref, err := reference.ParseNormalizedNamed(target)
	if err != nil {
		return fmt.Errorf("Error parsing reference: %q is not a valid repository/tag: %w", target, err)
	}
	if _, ok := ref.(reference.Canonical); ok {
		return errors.New("refusing to create a tag with a digest reference")
	}
	ref = reference.TagNameOnly(ref)
	q := url.Values{}
	q.Set("repo", ref.Name())
	if tagged, ok := ref.(reference.Tagged); ok {
		q.Set("tag", tagged.Tag())
	}
	return c.do(ctx, http.MethodPost, "/images/"+source+"/tag", q, nil)
}

// splitReference reads "repo[:tag]" as commit takes it: the repository's
// full name and the tag, "latest" when absent.
func splitReference(s string) (repo, tag string, err error) {
	ref, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		return "", "", err
	}
	if _, ok := ref.(reference.Canonical); ok {
		return "", "", errors.New("refusing to create a tag with a digest reference")
	}
	ref = reference.TagNameOnly(ref)
	if tagged, ok := ref.(reference.Tagged); ok {
		tag = tagged.Tag()
	}
	return ref.Name(), tag, nil
}

// ImageRemoveOptions are the parameters of ImageRemove.
type ImageRemoveOptions struct {
	Force         bool
	PruneChildren bool
}

// ImageRemove untags and removes an image.
func (c *Client) ImageRemove(ctx context.Context, name string, opts ImageRemoveOptions) ([]image.DeleteResponse, error) {
	q := url.Values{}
	if opts.Force {
		q.Set("force", "1")
	}
	if !opts.PruneChildren {
		q.Set("noprune", "1")
	}
	resp, err := c.request(ctx, http.MethodDelete, "/images/"+name, q, nil, nil)
	if err != nil {
		drain(resp)
		return nil, err
	}
	var dels []image.DeleteResponse
	err = decode(resp, &dels)
	return dels, err
}

// ImagePullOptions are the parameters of ImagePull.
type ImagePullOptions struct {
	All      bool   // every tag of the repository
	Platform string // "os[/arch[/variant]]", or ""
}

// ImagePull pulls an image (POST /images/create?fromImage=) and returns the
// engine's progress, a JSON message stream, which the caller reads to the
// end and closes. A reference without a tag pulls "latest" unless All.
func (c *Client) ImagePull(ctx context.Context, ref string, opts ImagePullOptions) (io.ReadCloser, error) {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	q.Set("fromImage", named.Name())
	if !opts.All {
		q.Set("tag", apiTag(named))
	}
	if opts.Platform != "" {
		q.Set("platform", strings.ToLower(opts.Platform))
	}
	resp, err := c.request(ctx, http.MethodPost, "/images/create", q, nil, http.Header{"X-Registry-Auth": {""}})
	if err != nil {
		drain(resp)
		return nil, err
	}
	return resp.Body, nil
}

// ImagePush pushes the image ref (a familiar name with its tag) and returns
// the JSON message stream of the push, which the caller closes.
func (c *Client) ImagePush(ctx context.Context, ref string) (io.ReadCloser, error) {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	if t, ok := named.(reference.Tagged); ok {
		q.Set("tag", t.Tag())
	}
	name := reference.FamiliarName(named)
	resp, err := c.request(ctx, http.MethodPost, "/images/"+name+"/push", q, nil, http.Header{"X-Registry-Auth": {"e30="}})
	if err != nil {
		drain(resp)
		return nil, err
	}
	return resp.Body, nil
}

// apiTag is the tag (or digest) query parameter for a reference.
func apiTag(ref reference.Named) string {
	if d, ok := ref.(reference.Digested); ok {
		return d.Digest().String()
	}
	ref = reference.TagNameOnly(ref)
	if t, ok := ref.(reference.Tagged); ok {
		return t.Tag()
	}
	return ""
}

// ImageSave returns the named images as a docker-archive tar, which the
// caller closes.
func (c *Client) ImageSave(ctx context.Context, names []string) (io.ReadCloser, error) {
	q := url.Values{"names": names}
	resp, err := c.request(ctx, http.MethodGet, "/images/get", q, nil, nil)
	if err != nil {
		drain(resp)
		return nil, err
	}
	return resp.Body, nil
}

// LoadResponse is the answer of ImageLoad.
type LoadResponse struct {
	Body io.ReadCloser
	JSON bool // Body is a JSON message stream
}

// ImageLoad loads images from a tar (POST /images/load).
func (c *Client) ImageLoad(ctx context.Context, input io.Reader, quiet bool) (LoadResponse, error) {
	q := url.Values{}
	q.Set("quiet", "0")
	if quiet {
		q.Set("quiet", "1")
	}
	ap, err := c.apiPath(ctx, "/images/load", q)
	if err != nil {
		return LoadResponse{}, err
	}
	resp, err := c.send(ctx, http.MethodPost, ap, input, http.Header{"Content-Type": {"application/x-tar"}})
	if err != nil {
		drain(resp)
		return LoadResponse{}, err
	}
	return LoadResponse{Body: resp.Body, JSON: resp.Header.Get("Content-Type") == "application/json"}, nil
}
