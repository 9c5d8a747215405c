package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/types/common"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"

	"github.com/twinbox-dev/twinbox/shared/api/wire"
)

// Filters are the filters of a list request: {"name": ["made"]}. They are
// sent as the docker client sends them, {"name":{"made":true}}.
type Filters map[string][]string

// Add adds a value to a filter.
func (f Filters) Add(key, value string) { f[key] = append(f[key], value) }

// encode returns the query value, or "" for no filters.
func (f Filters) encode() string {
	if len(f) == 0 {
		return ""
	}
	m := make(map[string]map[string]bool, len(f))
	for k, vs := range f {
		m[k] = make(map[string]bool, len(vs))
		for _, v := range vs {
			m[k][v] = true
		}
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// CreateOptions are the parameters of ContainerCreate.
type CreateOptions struct {
	Name       string
	Platform   string // "os[/arch[/variant]]", or ""
	Config     *container.Config
	HostConfig *container.HostConfig
	Networking *network.NetworkingConfig
}

// ContainerCreate creates a container (POST /containers/create). Errors:
// *Error with status 404 "No such image: busybox:latest" when the image is
// missing (the CLI then pulls), 409 for a name in use.
func (c *Client) ContainerCreate(ctx context.Context, opts CreateOptions) (container.CreateResponse, error) {
	var r container.CreateResponse
	if err := c.negotiate(ctx); err != nil {
		return r, err
	}
	v := c.Version()
	switch {
	case opts.Config != nil && opts.Config.StopTimeout != nil && versionLess(v, "1.25"):
		return r, newVersionError("stop timeout", "1.25", v)
	case opts.Platform != "" && versionLess(v, "1.41"):
		return r, newVersionError("specify container image platform", "1.41", v)
	case opts.Config != nil && opts.Config.Healthcheck != nil && opts.Config.Healthcheck.StartInterval != 0 && versionLess(v, "1.44"):
		return r, newVersionError("specify health-check start interval", "1.44", v)
	case hasEndpointMacAddress(opts.Networking) && versionLess(v, "1.44"):
		return r, newVersionError("specify mac-address per network", "1.44", v)
	}
	if hc := opts.HostConfig; hc != nil {
		hc.CapAdd = normalizeCapabilities(hc.CapAdd)
		hc.CapDrop = normalizeCapabilities(hc.CapDrop)
	}
	q := url.Values{}
	if opts.Platform != "" {
		q.Set("platform", opts.Platform)
	}
	if opts.Name != "" {
		q.Set("name", opts.Name)
	}
	body := container.CreateRequest{Config: opts.Config, HostConfig: opts.HostConfig, NetworkingConfig: opts.Networking}
	resp, err := c.request(ctx, http.MethodPost, "/containers/create", q, body, nil)
	if err != nil {
		drain(resp)
		return r, err
	}
	err = decode(resp, &r)
	return r, err
}

func hasEndpointMacAddress(n *network.NetworkingConfig) bool {
	if n == nil {
		return false
	}
	for _, ep := range n.EndpointsConfig {
		if ep != nil && len(ep.MacAddress) > 0 {
			return true
		}
	}
	return false
}

// newVersionError is the docker client's error for a feature the engine's
// API version lacks.
func newVersionError(feature, required, version string) error {
	return &InvalidArgumentError{Msg: fmt.Sprintf("%q requires API version %s, but the Docker daemon API version is %s", feature, required, version)}
}

// normalizeCapabilities upper-cases capabilities, adds the CAP_ prefix,
// removes duplicates and sorts them, as the docker client does.
func normalizeCapabilities(caps []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range caps {
		c = strings.ToUpper(c)
		if c != "ALL" && !strings.HasPrefix(c, "CAP_") {
			c = "CAP_" + c
		}
		if seen[c] {
			continue
		}
		seen[c] = true
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// ListOptions are the parameters of ContainerList.
type ListOptions struct {
	All     bool
	Limit   int // -1 or 0: no limit
	Size    bool
	Filters Filters
}

// ContainerList lists containers (GET /containers/json).
func (c *Client) ContainerList(ctx context.Context, opts ListOptions) ([]container.Summary, error) {
	q := url.Values{}
	if opts.All {
		q.Set("all", "1")
	}
	if opts.Limit > 0 {
		q.Set("limit", strconv.Itoa(opts.Limit))
	}
	if opts.Size {
		q.Set("size", "1")
	}
	if f := opts.Filters.encode(); f != "" {
		q.Set("filters", f)
	}
	var list []container.Summary
	err := c.get(ctx, "/containers/json", q, &list)
	return list, err
}

// ContainerInspect returns a container's details (GET
// /containers/{id}/json).
func (c *Client) ContainerInspect(ctx context.Context, id string) (*wire.ContainerJSON, error) {
	v, _, err := c.ContainerInspectWithRaw(ctx, id, false)
	return v, err
}

// ContainerInspectWithRaw returns a container's details, decoded and as the
// engine sent them; size asks for the sizes of its filesystem.
func (c *Client) ContainerInspectWithRaw(ctx context.Context, id string, size bool) (*wire.ContainerJSON, []byte, error) {
	id, err := trimID("container", id)
	if err != nil {
		return nil, nil, err
	}
	q := url.Values{}
	if size {
		q.Set("size", "1")
	}
	raw, err := c.getRaw(ctx, "/containers/"+id+"/json", q)
	if err != nil {
		return nil, nil, err
	}
	var v wire.ContainerJSON
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, raw, err
	}
	return &v, raw, nil
}

// ContainerStart starts a container. Starting a running container is not an
// error (the engine answers 304).
func (c *Client) ContainerStart(ctx context.Context, id string) error {
	id, err := trimID("container", id)
	if err != nil {
		return err
	}
	return c.do(ctx, http.MethodPost, "/containers/"+id+"/start", nil, nil)
}

// StopOptions are the parameters of ContainerStop and ContainerRestart.
type StopOptions struct {
	Signal  string // "" for the container's stop signal; needs API 1.42
	Timeout *int   // seconds before SIGKILL; nil for the container's default
}

// query encodes the options; engines before API 1.42 cannot take a
// signal, and docker does not send it to them.
func (o StopOptions) query(version string) url.Values {
	q := url.Values{}
	if o.Timeout != nil {
		q.Set("t", strconv.Itoa(*o.Timeout))
	}
	if o.Signal != "" && !versionLess(version, "1.42") {
		q.Set("signal", o.Signal)
	}
	return q
}

// ContainerStop stops a container.
func (c *Client) ContainerStop(ctx context.Context, id string, opts StopOptions) error {
	id, err := trimID("container", id)
	if err != nil {
		return err
	}
	if err := c.negotiate(ctx); err != nil {
		return err
	}
	return c.do(ctx, http.MethodPost, "/containers/"+id+"/stop", opts.query(c.Version()), nil)
}

// ContainerRestart restarts a container.
func (c *Client) ContainerRestart(ctx context.Context, id string, opts StopOptions) error {
	id, err := trimID("container", id)
	if err != nil {
		return err
	}
	if err := c.negotiate(ctx); err != nil {
		return err
	}
	return c.do(ctx, http.MethodPost, "/containers/"+id+"/restart", opts.query(c.Version()), nil)
}

// ContainerKill sends a signal ("" for SIGKILL) to a container.
func (c *Client) ContainerKill(ctx context.Context, id, signal string) error {
	id, err := trimID("container", id)
	if err != nil {
		return err
	}
	q := url.Values{}
	if signal != "" {
		q.Set("signal", signal)
	}
	return c.do(ctx, http.MethodPost, "/containers/"+id+"/kill", q, nil)
}

// ContainerPause pauses a container.
func (c *Client) ContainerPause(ctx context.Context, id string) error {
	id, err := trimID("container", id)
	if err != nil {
		return err
	}
	return c.do(ctx, http.MethodPost, "/containers/"+id+"/pause", nil, nil)
}

// ContainerUnpause unpauses a container.
func (c *Client) ContainerUnpause(ctx context.Context, id string) error {
	id, err := trimID("container", id)
	if err != nil {
		return err
	}
	return c.do(ctx, http.MethodPost, "/containers/"+id+"/unpause", nil, nil)
}

// RemoveOptions are the parameters of ContainerRemove.
type RemoveOptions struct {
	Force         bool
	RemoveVolumes bool
	RemoveLinks   bool
}

// ContainerRemove removes a container.
func (c *Client) ContainerRemove(ctx context.Context, id string, opts RemoveOptions) error {
	id, err := trimID("container", id)
	if err != nil {
		return err
	}
	q := url.Values{}
	if opts.RemoveVolumes {
		q.Set("v", "1")
	}
	if opts.RemoveLinks {
		q.Set("link", "1")
	}
	if opts.Force {
		q.Set("force", "1")
	}
	return c.do(ctx, http.MethodDelete, "/containers/"+id, q, nil)
}

// ContainerUpdate changes a container's limits and restart policy.
func (c *Client) ContainerUpdate(ctx context.Context, id string, u container.UpdateConfig) (container.UpdateResponse, error) {
	var resp container.UpdateResponse
	id, err := trimID("container", id)
	if err != nil {
		return resp, err
	}
	r, err := c.request(ctx, http.MethodPost, "/containers/"+id+"/update", nil, u, nil)
	if err != nil {
		drain(r)
		return resp, err
	}
	err = decode(r, &resp)
	return resp, err
}

// ContainerRename renames a container.
func (c *Client) ContainerRename(ctx context.Context, id, newName string) error {
	id, err := trimID("container", id)
	if err != nil {
		return err
	}
	q := url.Values{}
	q.Set("name", newName)
	return c.do(ctx, http.MethodPost, "/containers/"+id+"/rename", q, nil)
}

// ContainerWait waits for a container to reach the condition ("" for
// not-running, "next-exit", "removed"). The answer comes on the first
// channel, or an error on the second; only one of them delivers.
func (c *Client) ContainerWait(ctx context.Context, id string, condition container.WaitCondition) (<-chan container.WaitResponse, <-chan error) {
	resultC := make(chan container.WaitResponse, 1)
	errC := make(chan error, 1)
	id, err := trimID("container", id)
	if err != nil {
		errC <- err
		return resultC, errC
	}
	q := url.Values{}
	if condition != "" {
		q.Set("condition", string(condition))
	}
	resp, err := c.request(ctx, http.MethodPost, "/containers/"+id+"/wait", q, nil, nil)
	if err != nil {
		drain(resp)
		errC <- err
		return resultC, errC
	}
	go func() {
		defer drain(resp)
		var text bytes.Buffer
		var r container.WaitResponse
		if err := json.NewDecoder(io.TeeReader(resp.Body, &text)).Decode(&r); err != nil {
			var syntax *json.SyntaxError
			if errors.As(err, &syntax) {
				errC <- errors.New(text.String())
				return
			}
			if ctx.Err() != nil {
				err = ctx.Err()
			}
			errC <- err
			return
		}
		resultC <- r
	}()
	return resultC, errC
}

// LogsOptions are the parameters of ContainerLogs.
type LogsOptions struct {
	ShowStdout, ShowStderr bool
	Since, Until           string // timestamps or durations, as docker logs takes them
	Timestamps             bool
	Follow                 bool
	Tail                   string
	Details                bool
}

// ContainerLogs returns a container's logs: multiplexed (see StdCopy) unless
// the container has a TTY. The caller closes the stream.
func (c *Client) ContainerLogs(ctx context.Context, id string, opts LogsOptions, now time.Time) (io.ReadCloser, error) {
	id, err := trimID("container", id)
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	if opts.ShowStdout {
		q.Set("stdout", "1")
	}
	if opts.ShowStderr {
		q.Set("stderr", "1")
	}
	if opts.Since != "" {
		ts, err := GetTimestamp(opts.Since, now)
		if err != nil {
			return nil, &InvalidArgumentError{Msg: `invalid value for "since": ` + err.Error()}
		}
		q.Set("since", ts)
	}
	if opts.Until != "" {
		ts, err := GetTimestamp(opts.Until, now)
		if err != nil {
			return nil, &InvalidArgumentError{Msg: `invalid value for "until": ` + err.Error()}
		}
		q.Set("until", ts)
	}
	if opts.Timestamps {
		q.Set("timestamps", "1")
	}
	if opts.Details {
		q.Set("details", "1")
	}
	if opts.Follow {
		q.Set("follow", "1")
	}
	q.Set("tail", opts.Tail)
	resp, err := c.request(ctx, http.MethodGet, "/containers/"+id+"/logs", q, nil, nil)
	if err != nil {
		drain(resp)
		return nil, err
	}
	return resp.Body, nil
}

// ContainerTop lists a container's processes; arguments are ps options.
func (c *Client) ContainerTop(ctx context.Context, id string, arguments []string) (container.TopResponse, error) {
	var r container.TopResponse
	id, err := trimID("container", id)
	if err != nil {
		return r, err
	}
	q := url.Values{}
	if len(arguments) > 0 {
		q.Set("ps_args", strings.Join(arguments, " "))
	}
	err = c.get(ctx, "/containers/"+id+"/top", q, &r)
	return r, err
}

// ContainerDiff lists the changes in a container's filesystem.
func (c *Client) ContainerDiff(ctx context.Context, id string) ([]container.FilesystemChange, error) {
	id, err := trimID("container", id)
	if err != nil {
		return nil, err
	}
	var r []container.FilesystemChange
	err = c.get(ctx, "/containers/"+id+"/changes", nil, &r)
	return r, err
}

// ContainerResize sets the size of a container's TTY.
func (c *Client) ContainerResize(ctx context.Context, id string, height, width uint) error {
	id, err := trimID("container", id)
	if err != nil {
		return err
	}
	return c.do(ctx, http.MethodPost, "/containers/"+id+"/resize", sizeQuery(height, width), nil)
}

func sizeQuery(height, width uint) url.Values {
	q := url.Values{}
	q.Set("h", strconv.FormatUint(uint64(height), 10))
	q.Set("w", strconv.FormatUint(uint64(width), 10))
	return q
}

// AttachOptions are the parameters of ContainerAttach.
type AttachOptions struct {
	Stream     bool
	Stdin      bool
	Stdout     bool
	Stderr     bool
	DetachKeys string
	Logs       bool
}

// ContainerAttach attaches to a container's standard streams.
func (c *Client) ContainerAttach(ctx context.Context, id string, opts AttachOptions) (*HijackedResponse, error) {
	id, err := trimID("container", id)
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	if opts.Stream {
		q.Set("stream", "1")
	}
	if opts.Stdin {
		q.Set("stdin", "1")
	}
	if opts.Stdout {
		q.Set("stdout", "1")
	}
	if opts.Stderr {
		q.Set("stderr", "1")
	}
	if opts.DetachKeys != "" {
		q.Set("detachKeys", opts.DetachKeys)
	}
	if opts.Logs {
		q.Set("logs", "1")
	}
	return c.postHijacked(ctx, "/containers/"+id+"/attach", q, nil)
}

// CommitOptions are the parameters of ContainerCommit.
type CommitOptions struct {
	Reference string // "repo[:tag]", or "" for an untagged image
	Comment   string
	Author    string
	Changes   []string
	Pause     bool
	Config    *container.Config
}

// ContainerCommit makes an image of a container and returns its ID.
// Errors: an invalid reference, as the docker client reports it.
func (c *Client) ContainerCommit(ctx context.Context, id string, opts CommitOptions) (common.IDResponse, error) {
	var r common.IDResponse
	id, err := trimID("container", id)
	if err != nil {
		return r, err
	}
	var repo, tag string
	if opts.Reference != "" {
		repo, tag, err = splitReference(opts.Reference)
		if err != nil {
			return r, err
		}
	}
	q := url.Values{}
	q.Set("container", id)
	q.Set("repo", repo)
	q.Set("tag", tag)
	q.Set("comment", opts.Comment)
	q.Set("author", opts.Author)
	for _, ch := range opts.Changes {
		q.Add("changes", ch)
	}
	if !opts.Pause {
		q.Set("pause", "0")
	}
	var body any
	if opts.Config != nil {
		body = opts.Config
	}
	resp, err := c.request(ctx, http.MethodPost, "/commit", q, body, nil)
	if err != nil {
		drain(resp)
		return r, err
	}
	err = decode(resp, &r)
	return r, err
}
