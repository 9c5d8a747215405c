package server

import (
	"encoding/base64"
	"net/http/httptest"
	"testing"

	"github.com/twinbox-dev/twinbox/shared/api/wire"
	"github.com/twinbox-dev/twinbox/shared/backend"
)

func TestNetworkRoutes(t *testing.T) {
	runRouteCases(t, []routeCase{
		{name: "list", method: "GET", path: "/v1.41/networks", wantStatus: 200,
			wantCall: `Networks({})`},
		{name: "list trailing slash", method: "GET", path: "/v1.41/networks/", wantStatus: 200,
			wantCall: `Networks({})`},
		{name: "list filters", method: "GET", path: `/v1.41/networks?filters={"driver":{"bridge":true},"name":{"b":true,"a":true}}`, wantStatus: 200,
			wantCall: `Networks({"driver":["bridge"],"name":["a","b"]})`},
		{name: "list bad filters", method: "GET", path: `/v1.41/networks?filters={`, wantStatus: 500,
			wantBody: `{"message":"unexpected end of JSON input"}` + "\n"},
		{name: "inspect by name", method: "GET", path: "/v1.41/networks/appnet", wantStatus: 200,
			wantCall: `Networks({}); NetworkInspect("a1a1")`},
		{name: "inspect by ID", method: "GET", path: "/v1.41/networks/a1a2", wantStatus: 200,
			wantCall: `Networks({}); NetworkInspect("a1a2")`},
		{name: "inspect by prefix", method: "GET", path: "/v1.41/networks/b", wantStatus: 200,
			wantCall: `Networks({}); NetworkInspect("b0b0")`},
		{name: "inspect ambiguous prefix", method: "GET", path: "/v1.41/networks/a1", wantStatus: 400,
			wantCall: `Networks({})`, wantBody: `{"message":"2 matches found based on ID prefix: network a1 is ambiguous"}` + "\n"},
		{name: "inspect ambiguous name", method: "GET", path: "/v1.41/networks/twin", wantStatus: 400,
			wantCall: `Networks({})`, wantBody: `{"message":"2 matches found based on name: network twin is ambiguous"}` + "\n"},
		{name: "inspect nosuch", method: "GET", path: "/v1.41/networks/nosuch", wantStatus: 404,
			wantCall: `Networks({})`, wantBody: `{"message":"network nosuch not found"}` + "\n"},
		{name: "inspect local scope", method: "GET", path: "/v1.41/networks/appnet?scope=local&verbose=true", wantStatus: 200,
			wantCall: `Networks({}); NetworkInspect("a1a1")`},
		{name: "inspect swarm scope", method: "GET", path: "/v1.41/networks/appnet?scope=swarm", wantStatus: 404,
			wantBody: `{"message":"network appnet not found"}` + "\n"},
		{name: "inspect bad verbose", method: "GET", path: "/v1.41/networks/appnet?verbose=x", wantStatus: 400,
			wantBody: `{"message":"invalid value for verbose: x: strconv.ParseBool: parsing \"x\": invalid syntax"}` + "\n"},
		{name: "create", method: "POST", path: "/v1.41/networks/create", body: `{"Name":"appnet","CheckDuplicate":true,"Driver":"bridge"}`,
			wantStatus: 201,
			wantCall:   `NetworkCreate({"Name":"appnet","CheckDuplicate":true,"Driver":"bridge","Scope":"","EnableIPv6":false,"IPAM":null,"Internal":false,"Attachable":false,"Ingress":false,"ConfigOnly":false,"ConfigFrom":null,"Options":null,"Labels":null})`,
			wantBody:   `{"Id":"beef","Warning":""}` + "\n"},
		{name: "create without body", method: "POST", path: "/v1.41/networks/create", wantStatus: 400,
			wantBody: `{"message":"got EOF while reading request body"}` + "\n"},
		{name: "create bad json", method: "POST", path: "/v1.41/networks/create", body: `{"Name":1}`, wantStatus: 400},
		{name: "create wrong content type", method: "POST", path: "/v1.41/networks/create", body: `{}`,
			header: map[string]string{"Content-Type": "text/plain"}, wantStatus: 400,
			wantBody: `{"message":"Content-Type specified (text/plain) must be 'application/json'"}` + "\n"},
		{name: "connect", method: "POST", path: "/v1.41/networks/appnet/connect",
			body: `{"Container":"web","EndpointConfig":{"Aliases":["www"]}}`, wantStatus: 200,
			wantCall: `NetworkConnect("appnet", "web", ["www"])`},
		{name: "disconnect", method: "POST", path: "/v1.41/networks/appnet/disconnect",
			body: `{"Container":"web","Force":true}`, wantStatus: 200,
			wantCall: `NetworkDisconnect("appnet", "web", true)`},
		{name: "remove", method: "DELETE", path: "/v1.41/networks/appnet", wantStatus: 204,
			wantCall: `NetworkRemove("appnet")`},
		{name: "prune", method: "POST", path: `/v1.41/networks/prune?filters={"label":{"a=b":true}}`, wantStatus: 200,
			wantCall: `NetworksPrune({"label":["a=b"]})`, wantBody: `{"NetworksDeleted":null}` + "\n"},
	}, func(f *fakeAPI) {
		f.networks = []wire.Network{{Name: "appnet", ID: "a1a1"}, {Name: "twin", ID: "a1a2"}, {Name: "twin", ID: "b0b0"}}
	})
}

func TestNetworkListEmpty(t *testing.T) {
	runRouteCases(t, []routeCase{
		{name: "no networks is an empty list", method: "GET", path: "/v1.41/networks", wantStatus: 200,
			wantCall: `Networks({})`, wantBody: "[]\n"},
	}, nil)
}

func TestVolumeRoutes(t *testing.T) {
	runRouteCases(t, []routeCase{
		{name: "list", method: "GET", path: "/v1.41/volumes", wantStatus: 200,
			wantCall: `Volumes({})`, wantBody: `{"Volumes":[],"Warnings":null}` + "\n"},
		{name: "list dangling", method: "GET", path: `/v1.41/volumes?filters={"dangling":{"true":true}}`, wantStatus: 200,
			wantCall: `Volumes({"dangling":["true"]})`},
		{name: "list bad filters", method: "GET", path: `/v1.41/volumes?filters={`, wantStatus: 400,
			wantBody: `{"message":"error reading volume filters: unexpected end of JSON input"}` + "\n"},
		{name: "inspect", method: "GET", path: "/v1.41/volumes/hello", wantStatus: 200,
			wantCall: `VolumeInspect("hello")`},
		{name: "create", method: "POST", path: "/v1.41/volumes/create", body: `{"Name":"hello","Labels":{"a":"b"}}`, wantStatus: 201,
			wantCall: `VolumeCreate({"Driver":"","DriverOpts":null,"Labels":{"a":"b"},"Name":"hello"})`},
		{name: "create without body", method: "POST", path: "/v1.41/volumes/create", wantStatus: 400,
			wantBody: `{"message":"got EOF while reading request body"}` + "\n"},
		{name: "remove", method: "DELETE", path: "/v1.41/volumes/hello", wantStatus: 204,
			wantCall: `VolumeRemove("hello", false)`},
		{name: "remove force", method: "DELETE", path: "/v1.41/volumes/hello?force=1", wantStatus: 204,
			wantCall: `VolumeRemove("hello", true)`},
		{name: "prune", method: "POST", path: "/v1.41/volumes/prune", wantStatus: 200,
			wantCall: `VolumesPrune({})`, wantBody: `{"VolumesDeleted":null,"SpaceReclaimed":0}` + "\n"},
	}, nil)
}

func TestArchiveStatsPruneRoutes(t *testing.T) {
	runRouteCases(t, []routeCase{
		{name: "stat", method: "HEAD", path: "/v1.41/containers/web/archive?path=/f", wantStatus: 200,
			wantCall: `ContainerStatPath("web", "/f")`},
		{name: "stat without path", method: "HEAD", path: "/v1.41/containers/web/archive", wantStatus: 400},
		{name: "get", method: "GET", path: "/v1.41/containers/web/archive?path=/f", wantStatus: 200,
			wantCall: `ContainerArchive("web", "/f")`, wantBody: "tar"},
		{name: "get without path", method: "GET", path: "/v1.41/containers/web/archive?path=", wantStatus: 400,
			wantBody: `{"message":"bad parameter: pathcannot be empty"}` + "\n"},
		{name: "put", method: "PUT", path: "/v1.41/containers/web/archive?path=/tmp&noOverwriteDirNonDir=true&copyUIDGID=1", body: "TAR",
			wantStatus: 200, wantCall: `ContainerExtractToDir("web", "/tmp", true, true, "TAR")`},
		{name: "stats stream", method: "GET", path: "/v1.41/containers/web/stats", wantStatus: 200,
			wantCall: `ContainerStats("web", {"Stream":true,"OneShot":false})`},
		{name: "stats one-shot", method: "GET", path: "/v1.41/containers/web/stats?stream=0&one-shot=1", wantStatus: 200,
			wantCall: `ContainerStats("web", {"Stream":false,"OneShot":true})`},
		{name: "stats one-shot ignored before 1.41", method: "GET", path: "/v1.40/containers/web/stats?stream=false&one-shot=1", wantStatus: 200,
			wantCall: `ContainerStats("web", {"Stream":false,"OneShot":false})`},
		{name: "containers prune", method: "POST", path: `/v1.41/containers/prune?filters={"until":{"1h":true}}`, wantStatus: 200,
			wantCall: `ContainersPrune({"until":["1h"]})`, wantBody: `{"ContainersDeleted":null,"SpaceReclaimed":0}` + "\n"},
		{name: "containers prune bad filters", method: "POST", path: `/v1.41/containers/prune?filters=x`, wantStatus: 400},
		{name: "images prune", method: "POST", path: `/v1.41/images/prune`, wantStatus: 200,
			wantCall: `ImagesPrune({})`},
	}, nil)
}

func TestArchiveStatHeader(t *testing.T) {
	h := newHandler(&fakeAPI{}, Options{})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("HEAD", "/v1.41/containers/web/archive?path=/f", nil))
	got, err := base64.StdEncoding.DecodeString(rec.Header().Get("X-Docker-Container-Path-Stat"))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"name":"f","size":3,"mode":420,"mtime":"0001-01-01T00:00:00Z","linkTarget":""}`
	if string(got) != want {
		t.Errorf("got stat header %s, want %s", got, want)
	}
	if rec.Body.Len() != 0 {
		t.Errorf("got body %q, want none", rec.Body.String())
	}
}

func TestStatsStreamBody(t *testing.T) {
	for _, tc := range []struct {
		path, contentType string
		lines             int
	}{
		{"/v1.41/containers/web/stats", "", 2},
		{"/v1.41/containers/web/stats?stream=false", "application/json", 1},
	} {
		f := &fakeAPI{}
		h := newHandler(f, Options{})
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", tc.path, nil))
		if got := rec.Header().Get("Content-Type"); got != tc.contentType {
			t.Errorf("%s: got Content-Type %q, want %q", tc.path, got, tc.contentType)
		}
		n := 0
		for _, b := range rec.Body.Bytes() {
			if b == '\n' {
				n++
			}
		}
		if n != tc.lines {
			t.Errorf("%s: got %d lines, want %d: %q", tc.path, n, tc.lines, rec.Body.String())
		}
	}
	f := &fakeAPI{err: backend.Errorf(backend.NotFound, "No such container: web")}
	rec := httptest.NewRecorder()
	newHandler(f, Options{}).ServeHTTP(rec, httptest.NewRequest("GET", "/v1.41/containers/web/stats", nil))
	if rec.Code != 404 {
		t.Errorf("got status %d for a missing container, want 404", rec.Code)
	}
}
