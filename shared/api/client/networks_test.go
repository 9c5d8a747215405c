package client

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/network"

	"github.com/twinbox-dev/twinbox/shared/api/wire"
)

func TestNetworkVolumeArchiveRequests(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		call func(c *Client) error
		want string
	}{
		{"network list", func(c *Client) error {
			_, err := c.NetworkList(ctx, Filters{"driver": {"bridge"}})
			return err
		}, "GET /v1.41/networks?filters=%7B%22driver%22%3A%7B%22bridge%22%3Atrue%7D%7D"},
		{"network inspect verbose", func(c *Client) error { _, _, err := c.NetworkInspectWithRaw(ctx, "appnet", true); return err },
			"GET /v1.41/networks/appnet?verbose=true"},
		{"network create checks duplicates before 1.44", func(c *Client) error {
			_, err := c.NetworkCreate(ctx, wire.NetworkCreateRequest{Name: "appnet", Driver: "bridge"})
			return err
		}, `POST /v1.41/networks/create {"Name":"appnet","CheckDuplicate":true,"Driver":"bridge","Scope":"","EnableIPv6":false,"IPAM":null,"Internal":false,"Attachable":false,"Ingress":false,"ConfigOnly":false,"ConfigFrom":null,"Options":null,"Labels":null}`},
		{"network connect", func(c *Client) error {
			return c.NetworkConnect(ctx, "appnet", "web", &network.EndpointSettings{Aliases: []string{"www"}})
		}, `POST /v1.41/networks/appnet/connect {"Container":"web","EndpointConfig":{"IPAMConfig":null,"Links":null,"Aliases":["www"],"DriverOpts":null,"GwPriority":0,"NetworkID":"","EndpointID":"","Gateway":"","IPAddress":"","MacAddress":"","IPPrefixLen":0,"IPv6Gateway":"","GlobalIPv6Address":"","GlobalIPv6PrefixLen":0,"DNSNames":null}}`},
		{"network disconnect", func(c *Client) error { return c.NetworkDisconnect(ctx, "appnet", "web", true) },
			`POST /v1.41/networks/appnet/disconnect {"Container":"web","Force":true}`},
		{"network remove", func(c *Client) error { return c.NetworkRemove(ctx, "appnet") }, "DELETE /v1.41/networks/appnet"},
		{"networks prune", func(c *Client) error { _, err := c.NetworksPrune(ctx, nil); return err }, "POST /v1.41/networks/prune"},
		{"volume list", func(c *Client) error { _, err := c.VolumeList(ctx, Filters{"dangling": {"true"}}); return err },
			"GET /v1.41/volumes?filters=%7B%22dangling%22%3A%7B%22true%22%3Atrue%7D%7D"},
		{"volume inspect", func(c *Client) error { _, _, err := c.VolumeInspectWithRaw(ctx, "hello"); return err }, "GET /v1.41/volumes/hello"},
		{"volume create", func(c *Client) error {
			_, err := c.VolumeCreate(ctx, wire.VolumeCreateRequest{Name: "hello", Driver: "local"})
			return err
		},
			`POST /v1.41/volumes/create {"Driver":"local","DriverOpts":null,"Labels":null,"Name":"hello"}`},
		{"volume remove force", func(c *Client) error { return c.VolumeRemove(ctx, "hello", true) }, "DELETE /v1.41/volumes/hello?force=1"},
		{"volumes prune", func(c *Client) error { _, err := c.VolumesPrune(ctx, Filters{"label": {"a"}}); return err },
			"POST /v1.41/volumes/prune?filters=%7B%22label%22%3A%7B%22a%22%3Atrue%7D%7D"},
		{"containers prune", func(c *Client) error { _, err := c.ContainersPrune(ctx, nil); return err }, "POST /v1.41/containers/prune"},
		{"stat path", func(c *Client) error { _, err := c.ContainerStatPath(ctx, "web", "/etc/hosts"); return err },
			"HEAD /v1.41/containers/web/archive?path=%2Fetc%2Fhosts"},
		{"copy from", func(c *Client) error {
			r, st, err := c.CopyFromContainer(ctx, "web", "/f")
			if err == nil {
				r.Close()
				if st.Name != "f" || st.Size != 3 {
					t.Errorf("got stat %+v, want f of 3 bytes", st)
				}
			}
			return err
		}, "GET /v1.41/containers/web/archive?path=%2Ff"},
		{"copy to", func(c *Client) error {
			return c.CopyToContainer(ctx, "web", "/tmp", strings.NewReader("TAR"), CopyToContainerOptions{CopyUIDGID: true})
		}, "PUT /v1.41/containers/web/archive?copyUIDGID=true&noOverwriteDirNonDir=true&path=%2Ftmp TAR"},
		{"stats one-shot", func(c *Client) error {
			r, err := c.ContainerStatsOneShot(ctx, "web")
			if err == nil {
				r.Body.Close()
			}
			return err
		}, "GET /v1.41/containers/web/stats?one-shot=1&stream=0"},
	}
	stat := base64.StdEncoding.EncodeToString([]byte(`{"name":"f","size":3,"mode":420}`))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeEngine{apiVersion: "1.41", recordBody: true, handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("X-Docker-Container-Path-Stat", stat)
				switch {
				case r.Method == http.MethodGet && (strings.HasSuffix(r.URL.Path, "/networks")):
					w.Write([]byte(`[]`))
				case r.Method == http.MethodDelete || r.Method == http.MethodHead || r.Method == http.MethodPut || strings.HasSuffix(r.URL.Path, "connect"):
					w.WriteHeader(http.StatusOK)
				default:
					w.Write([]byte(`{}`))
				}
			}}
			c := start(t, f)
			if err := tt.call(c); err != nil {
				t.Fatal(err)
			}
			got := f.recorded()
			if len(got) != 2 || got[1] != tt.want {
				t.Errorf("got requests %q, want a ping and %q", got, tt.want)
			}
		})
	}
}
