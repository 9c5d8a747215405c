package client

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/twinbox-dev/twinbox/shared/api/wire"
)

// ImageBuildResponse is the answer of ImageBuild.
type ImageBuildResponse struct {
	// Body is the build's JSON message stream, which the caller reads to
	// the end and closes.
	Body io.ReadCloser
	// OSType is the engine's OS, from its Server header ("linux").
	OSType string
}

// ImageBuild sends a build context (a tar, possibly compressed) to POST
// /build with the options as docker CLI 28's client encodes them: only
// what differs from the daemon's defaults ("rm=0" to keep intermediate
// containers), the build arguments, labels and cache sources as JSON, an
// empty registry configuration.
func (c *Client) ImageBuild(ctx context.Context, buildContext io.Reader, opts wire.ImageBuildOptions) (ImageBuildResponse, error) {
	q := buildQuery(opts)
	ap, err := c.apiPath(ctx, "/build", q)
	if err != nil {
		return ImageBuildResponse{}, err
	}
	header := http.Header{}
	header.Set("X-Registry-Config", base64.URLEncoding.EncodeToString([]byte("{}")))
	header.Set("Content-Type", "application/x-tar")
	resp, err := c.send(ctx, http.MethodPost, ap, buildContext, header)
	if err != nil {
		drain(resp)
		return ImageBuildResponse{}, err
	}
	return ImageBuildResponse{Body: resp.Body, OSType: osOfServer(resp.Header.Get("Server"))}, nil
}

// buildQuery is docker's imageBuildOptionsToQuery.
func buildQuery(o wire.ImageBuildOptions) url.Values {
	q := url.Values{}
	if len(o.Tags) > 0 {
		q["t"] = o.Tags
	}
	if len(o.ExtraHosts) > 0 {
		q["extrahosts"] = o.ExtraHosts
	}
	if o.SuppressOutput {
		q.Set("q", "1")
	}
	if o.RemoteContext != "" {
		q.Set("remote", o.RemoteContext)
	}
	if o.NoCache {
		q.Set("nocache", "1")
	}
	if !o.Remove {
		q.Set("rm", "0")
	}
	if o.ForceRemove {
		q.Set("forcerm", "1")
	}
	if o.PullParent {
		q.Set("pull", "1")
	}
	if o.Squash {
		q.Set("squash", "1")
	}
	if o.Isolation != "" && o.Isolation != "default" {
		q.Set("isolation", o.Isolation)
	}
	if o.CPUSetCPUs != "" {
		q.Set("cpusetcpus", o.CPUSetCPUs)
	}
	if o.NetworkMode != "" && o.NetworkMode != "default" {
		q.Set("networkmode", o.NetworkMode)
	}
	if o.CPUSetMems != "" {
		q.Set("cpusetmems", o.CPUSetMems)
	}
	setInt := func(k string, v int64) {
		if v != 0 {
			q.Set(k, strconv.FormatInt(v, 10))
		}
	}
	setInt("cpushares", o.CPUShares)
	setInt("cpuquota", o.CPUQuota)
	setInt("cpuperiod", o.CPUPeriod)
	setInt("memory", o.Memory)
	setInt("memswap", o.MemorySwap)
	if o.CgroupParent != "" {
		q.Set("cgroupparent", o.CgroupParent)
	}
	setInt("shmsize", o.ShmSize)
	if o.Dockerfile != "" {
		q.Set("dockerfile", o.Dockerfile)
	}
	if o.Target != "" {
		q.Set("target", o.Target)
	}
	if len(o.BuildArgs) != 0 {
		b, _ := json.Marshal(o.BuildArgs)
		q.Set("buildargs", string(b))
	}
	if len(o.Labels) != 0 {
		b, _ := json.Marshal(o.Labels)
		q.Set("labels", string(b))
	}
	if len(o.CacheFrom) != 0 {
		b, _ := json.Marshal(o.CacheFrom)
		q.Set("cachefrom", string(b))
	}
	if o.SessionID != "" {
		q.Set("session", o.SessionID)
	}
	if o.Platform != "" {
		q.Set("platform", o.Platform)
	}
	if o.BuildID != "" {
		q.Set("buildid", o.BuildID)
	}
	if o.Version != "" {
		q.Set("version", o.Version)
	}
	return q
}

// osOfServer reads the OS from a Server header ("Docker/20.10.24 (linux)").
func osOfServer(server string) string {
	for i := len(server) - 1; i >= 0; i-- {
		if server[i] == '(' {
			end := len(server)
			if server[end-1] == ')' {
				end--
			}
			return server[i+1 : end]
		}
	}
	return ""
}
