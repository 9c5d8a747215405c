package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

type routeCase struct {
	name       string
	method     string
	path       string
	body       string
	header     map[string]string
	wantStatus int
	wantCall   string // "" for no engine call
	wantBody   string // checked when not ""
}

func runRouteCases(t *testing.T, cases []routeCase, setup func(*fakeAPI)) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeAPI{}
			if setup != nil {
				setup(f)
			}
			h := newHandler(f, Options{})
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			req := httptest.NewRequest(tc.method, tc.path, body)
			if tc.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.wantStatus {
				t.Errorf("got status %d, want %d (body %q)", rec.Code, tc.wantStatus, rec.Body.String())
			}
			calls := f.Calls()
			got := strings.Join(calls, "; ")
			if got != tc.wantCall {
				t.Errorf("got call %s, want %s", got, tc.wantCall)
			}
			if tc.wantBody != "" && rec.Body.String() != tc.wantBody {
				t.Errorf("got body %q, want %q", rec.Body.String(), tc.wantBody)
			}
		})
	}
}

func TestContainerRoutes(t *testing.T) {
	runRouteCases(t, []routeCase{
		{name: "list defaults", method: "GET", path: "/v1.41/containers/json", wantStatus: 200,
			wantCall: `Containers({"All":false,"Limit":0,"Size":false,"Filters":{}})`, wantBody: "[]\n"},
		{name: "list all size limit", method: "GET", path: "/v1.41/containers/json?all=1&size=true&limit=3", wantStatus: 200,
			wantCall: `Containers({"All":true,"Limit":3,"Size":true,"Filters":{}})`},
		{name: "list booleans false", method: "GET", path: "/containers/json?all=0&size=no", wantStatus: 200,
			wantCall: `Containers({"All":false,"Limit":0,"Size":false,"Filters":{}})`},
		{name: "list filters", method: "GET", path: `/v1.41/containers/json?filters={"status":{"exited":true},"name":{"b":true,"a":true}}`, wantStatus: 200,
			wantCall: `Containers({"All":false,"Limit":0,"Size":false,"Filters":{"name":["a","b"],"status":["exited"]}})`},
		{name: "list legacy filters", method: "GET", path: `/v1.41/containers/json?filters={"status":["exited","running"]}`, wantStatus: 200,
			wantCall: `Containers({"All":false,"Limit":0,"Size":false,"Filters":{"status":["exited","running"]}})`},
		{name: "list bad filters", method: "GET", path: `/v1.41/containers/json?filters={`, wantStatus: 500,
			wantBody: `{"message":"unexpected end of JSON input"}` + "\n"},
		{name: "list bad limit", method: "GET", path: `/v1.41/containers/json?limit=x`, wantStatus: 500,
			wantBody: `{"message":"strconv.Atoi: parsing \"x\": invalid syntax"}` + "\n"},
		{name: "inspect", method: "GET", path: "/v1.41/containers/web/json?size=1", wantStatus: 200,
			wantCall: `ContainerInspect("web", true)`},
		{name: "inspect name with slash", method: "GET", path: "/v1.41/containers/a/b/json", wantStatus: 200,
			wantCall: `ContainerInspect("a/b", false)`},
		{name: "top", method: "GET", path: "/v1.41/containers/web/top?ps_args=aux", wantStatus: 200,
			wantCall: `ContainerTop("web", "aux")`},
		{name: "changes", method: "GET", path: "/v1.41/containers/web/changes", wantStatus: 200,
			wantCall: `ContainerChanges("web")`, wantBody: "[]\n"},
		{name: "create", method: "POST", path: "/v1.41/containers/create?name=web",
			body: `{"Image":"busybox","Cmd":["true"],"HostConfig":{"PidsLimit":0}}`, wantStatus: 201,
			wantCall: `ContainerCreate({"Name":"web","Image":"busybox","NetworkMode":"default","CgroupnsMode":"","IpcMode":"","Cmd":["true"],"Volumes":{},"PidsLimit":null,"AutoRemove":false})`,
			wantBody: `{"Id":"c0ffee","Warnings":[]}` + "\n"},
		{name: "create for API 1.24", method: "POST", path: "/v1.24/containers/create",
			body: `{"Image":"busybox","HostConfig":{"AutoRemove":true,"NetworkMode":"none"}}`, wantStatus: 201,
			wantCall: `ContainerCreate({"Name":"","Image":"busybox","NetworkMode":"none","CgroupnsMode":"host","IpcMode":"shareable","Cmd":null,"Volumes":{},"PidsLimit":null,"AutoRemove":false})`},
		{name: "create without host config", method: "POST", path: "/v1.41/containers/create",
			body: `{"Image":"busybox"}`, wantStatus: 201,
			wantCall: `ContainerCreate({"Name":"","Image":"busybox","NetworkMode":"","CgroupnsMode":"","IpcMode":"","Cmd":null,"Volumes":null,"PidsLimit":null,"AutoRemove":false})`},
		{name: "create wrong content type", method: "POST", path: "/v1.41/containers/create", body: `{}`,
			header: map[string]string{"Content-Type": "text/plain"}, wantStatus: 400,
			wantBody: `{"message":"Content-Type specified (text/plain) must be 'application/json'"}` + "\n"},
		{name: "create bad json", method: "POST", path: "/v1.41/containers/create", body: `{"Image":`, wantStatus: 500},
		{name: "start", method: "POST", path: "/v1.41/containers/web/start", wantStatus: 204, wantCall: `ContainerStart("web")`},
		{name: "start with body", method: "POST", path: "/v1.41/containers/web/start", body: `{"Binds":["/a:/b"]}`, wantStatus: 400,
			wantBody: `{"message":"starting container with non-empty request body was deprecated since API v1.22 and removed in v1.24"}` + "\n"},
		{name: "stop with timeout", method: "POST", path: "/v1.41/containers/web/stop?t=5", wantStatus: 204,
			wantCall: `ContainerStop("web", {"Signal":"","Timeout":5})`},
		{name: "stop default timeout", method: "POST", path: "/v1.41/containers/web/stop", wantStatus: 204,
			wantCall: `ContainerStop("web", {"Signal":"","Timeout":null})`},
		{name: "stop bad timeout", method: "POST", path: "/v1.41/containers/web/stop?t=soon", wantStatus: 500},
		{name: "restart", method: "POST", path: "/v1.41/containers/web/restart?t=0", wantStatus: 204,
			wantCall: `ContainerRestart("web", {"Signal":"","Timeout":0})`},
		{name: "kill", method: "POST", path: "/v1.41/containers/web/kill?signal=HUP", wantStatus: 204,
			wantCall: `ContainerKill("web", "HUP")`},
		{name: "kill default signal", method: "POST", path: "/v1.41/containers/web/kill", wantStatus: 204,
			wantCall: `ContainerKill("web", "")`},
		{name: "kill bad signal", method: "POST", path: "/v1.41/containers/web/kill?signal=NOPE", wantStatus: 400,
			wantBody: `{"message":"Invalid signal: NOPE"}` + "\n"},
		{name: "pause", method: "POST", path: "/v1.41/containers/web/pause", wantStatus: 204, wantCall: `ContainerPause("web")`},
		{name: "unpause", method: "POST", path: "/v1.41/containers/web/unpause", wantStatus: 204, wantCall: `ContainerUnpause("web")`},
		{name: "rename", method: "POST", path: "/v1.41/containers/web/rename?name=site", wantStatus: 204,
			wantCall: `ContainerRename("web", "site")`},
		{name: "resize", method: "POST", path: "/v1.41/containers/web/resize?h=24&w=80", wantStatus: 200,
			wantCall: `ContainerResize("web", 24, 80)`},
		{name: "resize bad height", method: "POST", path: "/v1.41/containers/web/resize?h=x&w=80", wantStatus: 400,
			wantBody: `{"message":"strconv.Atoi: parsing \"x\": invalid syntax"}` + "\n"},
		{name: "remove", method: "DELETE", path: "/v1.41/containers/web?force=1&v=1", wantStatus: 204,
			wantCall: `ContainerRemove("web", {"Force":true,"RemoveVolumes":true,"RemoveLink":false})`},
		{name: "wait next-exit", method: "POST", path: "/v1.41/containers/web/wait?condition=next-exit", wantStatus: 200,
			wantCall: `ContainerWait("web", "next-exit")`, wantBody: `{"Error":null,"StatusCode":0}` + "\n"},
		{name: "wait unknown condition", method: "POST", path: "/v1.41/containers/web/wait?condition=whenever", wantStatus: 200,
			wantCall: `ContainerWait("web", "not-running")`},
		{name: "logs need a stream", method: "GET", path: "/v1.41/containers/web/logs", wantStatus: 400,
			wantBody: `{"message":"Bad parameters: you must choose at least one stream"}` + "\n"},
		{name: "logs options", method: "GET", path: "/v1.41/containers/web/logs?stdout=1&follow=1&tail=10&timestamps=1&since=1700000000.5", wantStatus: 200,
			wantCall: `ContainerLogs("web", {"Stdout":true,"Stderr":false,"Follow":true,"Timestamps":true,"Since":"` + "2023-11-14T22:13:20.5Z" + `","Until":"0001-01-01T00:00:00Z","Tail":"10"})`},
		{name: "logs bad since", method: "GET", path: "/v1.41/containers/web/logs?stdout=1&since=yesterday", wantStatus: 500},
		{name: "export", method: "GET", path: "/v1.41/containers/web/export", wantStatus: 200, wantCall: `ContainerExport("web")`},
		{name: "commit", method: "POST", path: "/v1.41/commit?container=web&repo=img&tag=v1&comment=c&author=a&changes=CMD+%5B%22sh%22%5D", wantStatus: 201,
			wantCall: `Commit("web", {"Repo":"img","Tag":"v1","Comment":"c","Author":"a","Pause":true,"Changes":["CMD [\"sh\"]"],"Config":null})`,
			wantBody: `{"Id":"sha256:abc"}` + "\n"},
		{name: "commit pause=0", method: "POST", path: "/v1.41/commit?container=web&pause=0", wantStatus: 201,
			wantCall: `Commit("web", {"Repo":"","Tag":"","Comment":"","Author":"","Pause":false,"Changes":null,"Config":null})`},
		{name: "copy removed", method: "POST", path: "/v1.41/containers/web/copy", wantStatus: 404, wantBody: ""},
		{name: "exec create", method: "POST", path: "/v1.41/containers/web/exec", body: `{"Cmd":["ls"],"AttachStdout":true}`, wantStatus: 201,
			wantCall: `ExecCreate("web", {"User":"","Privileged":false,"Tty":false,"AttachStdin":false,"AttachStderr":false,"AttachStdout":true,"DetachKeys":"","Env":null,"WorkingDir":"","Cmd":["ls"]})`,
			wantBody: `{"Id":"e1"}` + "\n"},
		{name: "exec create without command", method: "POST", path: "/v1.41/containers/web/exec", body: `{"Cmd":[]}`, wantStatus: 400,
			wantBody: `{"message":"No exec command specified"}` + "\n"},
		{name: "exec create empty body", method: "POST", path: "/v1.41/containers/web/exec", wantStatus: 400,
			wantBody: `{"message":"got EOF while reading request body"}` + "\n"},
		{name: "exec start detached", method: "POST", path: "/v1.41/exec/e1/start", body: `{"Detach":true}`, wantStatus: 200,
			wantCall: `ExecStart("e1", {"Detach":true,"Tty":false,"ConsoleSize":null})`, wantBody: ""},
		{name: "exec inspect", method: "GET", path: "/v1.41/exec/e1/json", wantStatus: 200, wantCall: `ExecInspect("e1")`},
		{name: "exec resize", method: "POST", path: "/v1.41/exec/e1/resize?h=10&w=20", wantStatus: 200, wantCall: `ExecResize("e1", 10, 20)`},
	}, nil)
}

func TestImageRoutes(t *testing.T) {
	runRouteCases(t, []routeCase{
		{name: "list", method: "GET", path: "/v1.41/images/json?all=1", wantStatus: 200, wantCall: `Images({"All":true,"Filters":{}})`},
		{name: "list old filter param", method: "GET", path: "/v1.40/images/json?filter=busy*", wantStatus: 200,
			wantCall: `Images({"All":false,"Filters":{"reference":["busy*"]}})`},
		{name: "list filter param ignored in 1.41", method: "GET", path: "/v1.41/images/json?filter=busy*", wantStatus: 200,
			wantCall: `Images({"All":false,"Filters":{}})`},
		{name: "inspect", method: "GET", path: "/v1.41/images/library/busybox:latest/json", wantStatus: 200,
			wantCall: `ImageInspect("library/busybox:latest")`},
		{name: "history", method: "GET", path: "/v1.41/images/busybox/history", wantStatus: 200, wantCall: `ImageHistory("busybox")`},
		{name: "tag", method: "POST", path: "/v1.41/images/busybox/tag?repo=mine&tag=v1", wantStatus: 201,
			wantCall: `ImageTag("busybox", "mine", "v1")`, wantBody: ""},
		{name: "remove", method: "DELETE", path: "/v1.41/images/busybox?force=1&noprune=1", wantStatus: 200,
			wantCall: `ImageRemove("busybox", true, false)`, wantBody: `[{"Untagged":"busybox"}]` + "\n"},
		{name: "remove blank", method: "DELETE", path: "/v1.41/images/%20", wantStatus: 400,
			wantBody: `{"message":"image name cannot be blank"}` + "\n"},
		{name: "pull", method: "POST", path: "/v1.41/images/create?fromImage=busybox&tag=latest", wantStatus: 200,
			wantCall: `ImagePull("busybox:latest")`},
		{name: "pull digest", method: "POST", path: "/v1.41/images/create?fromImage=busybox&tag=sha256:" + strings.Repeat("a", 64), wantStatus: 200,
			wantCall: `ImagePull("busybox@sha256:` + strings.Repeat("a", 64) + `")`},
		{name: "pull tag replaces tag", method: "POST", path: "/v1.41/images/create?fromImage=busybox:1&tag=2", wantStatus: 200,
			wantCall: `ImagePull("busybox:2")`},
		{name: "pull trailing colon", method: "POST", path: "/v1.41/images/create?fromImage=example.com/a/b:", wantStatus: 200,
			wantCall: `ImagePull("example.com/a/b")`},
		{name: "pull bad reference", method: "POST", path: "/v1.41/images/create?fromImage=Busybox", wantStatus: 400,
			wantBody: `{"message":"invalid reference format: repository name (library/Busybox) must be lowercase"}` + "\n"},
		{name: "import not implemented", method: "POST", path: "/v1.41/images/create?fromSrc=-", wantStatus: 501},
		{name: "save names", method: "GET", path: "/v1.41/images/get?names=a&names=b", wantStatus: 200, wantCall: `ImageSave(["a","b"])`},
		{name: "save one", method: "GET", path: "/v1.41/images/busybox:latest/get", wantStatus: 200, wantCall: `ImageSave(["busybox:latest"])`},
		{name: "load quiet default", method: "POST", path: "/v1.41/images/load", wantStatus: 200, wantCall: `ImageLoad(true)`},
		{name: "load verbose", method: "POST", path: "/v1.41/images/load?quiet=0", wantStatus: 200, wantCall: `ImageLoad(false)`},
		{name: "search", method: "GET", path: "/v1.41/images/search?term=x", wantStatus: 501},
	}, nil)
}

func TestSystemRoutes(t *testing.T) {
	runRouteCases(t, []routeCase{
		{name: "ping", method: "GET", path: "/_ping", wantStatus: 200, wantBody: "OK"},
		{name: "ping versioned", method: "GET", path: "/v1.41/_ping", wantStatus: 200, wantBody: "OK"},
		{name: "ping head", method: "HEAD", path: "/_ping", wantStatus: 200, wantBody: ""},
		{name: "version", method: "GET", path: "/v1.41/version", wantStatus: 200, wantCall: `Version()`},
		{name: "info", method: "GET", path: "/v1.41/info", wantStatus: 200, wantCall: `Info()`},
		{name: "options anywhere", method: "OPTIONS", path: "/v1.41/anything/at/all", wantStatus: 200, wantBody: ""},
		{name: "too new", method: "GET", path: "/v1.42/version", wantStatus: 400,
			wantBody: `{"message":"client version 1.42 is too new. Maximum supported API version is 1.41"}` + "\n"},
		{name: "too old", method: "GET", path: "/v1.11/version", wantStatus: 400,
			wantBody: "client version 1.11 is too old. Minimum supported API version is 1.12, please upgrade your client to a newer version\n"},
		{name: "1.24 is served", method: "GET", path: "/v1.24/version", wantStatus: 200, wantCall: `Version()`},
		{name: "oldest", method: "GET", path: "/v1.12/version", wantStatus: 200, wantCall: `Version()`},
		{name: "unknown path", method: "GET", path: "/v1.41/nosuch", wantStatus: 404, wantBody: `{"message":"page not found"}` + "\n"},
		{name: "unknown path unversioned", method: "GET", path: "/nosuch", wantStatus: 404, wantBody: `{"message":"page not found"}` + "\n"},
		{name: "unknown path old client is text", method: "GET", path: "/v1.20/nosuch", wantStatus: 404, wantBody: "page not found\n"},
		{name: "wrong method", method: "PUT", path: "/v1.41/containers/json", wantStatus: 404, wantBody: `{"message":"page not found"}` + "\n"},
		{name: "bad version syntax", method: "GET", path: "/vX/version", wantStatus: 404},
		{name: "unclean path redirects", method: "GET", path: "/v1.41//containers/json", wantStatus: 301},
		{name: "events", method: "GET", path: "/v1.41/events?since=100&until=200&filters={\"type\":[\"container\"]}", wantStatus: 200,
			wantCall: `Events({"Since":"1970-01-01T00:01:40Z","Until":"1970-01-01T00:03:20Z","Filters":{"type":["container"]}})`},
		{name: "events until before since", method: "GET", path: "/v1.41/events?since=200&until=100", wantStatus: 400,
			wantBody: "{\"message\":\"`since` time (200) cannot be after `until` time (100)\"}\n"},
		{name: "build without builder", method: "POST", path: "/v1.41/build?t=x", wantStatus: 501},
	}, nil)
}

func TestErrorStatuses(t *testing.T) {
	tests := []struct {
		code backend.Code
		want int
	}{
		{backend.NotFound, 404},
		{backend.Conflict, 409},
		{backend.InvalidParameter, 400},
		{backend.NotModified, 304},
		{backend.Internal, 500},
		{backend.Unavailable, 503},
		{backend.NotImplemented, 501},
		{backend.Forbidden, 403},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.want), func(t *testing.T) {
			f := &fakeAPI{err: backend.Errorf(tt.code, "No such container: nosuch")}
			srv := httptest.NewServer(newHandler(f, Options{}))
			defer srv.Close()
			resp, err := http.Post(srv.URL+"/v1.41/containers/nosuch/start", "", nil)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("got status %d, want %d", resp.StatusCode, tt.want)
			}
			wantBody := `{"message":"No such container: nosuch"}` + "\n"
			if tt.want == 304 {
				wantBody = "" // a 304 has no body
			}
			if string(body) != wantBody {
				t.Errorf("got body %q, want %q", body, wantBody)
			}
			if ct := resp.Header.Get("Content-Type"); tt.want != 304 && ct != "application/json" {
				t.Errorf("got Content-Type %q, want application/json", ct)
			}
		})
	}
}

func TestKillErrorIsPrefixed(t *testing.T) {
	f := &fakeAPI{kill: func(name, sig string) error {
		return backend.Errorf(backend.Conflict, "Container abc is not running")
	}}
	rec := httptest.NewRecorder()
	newHandler(f, Options{}).ServeHTTP(rec, httptest.NewRequest("POST", "/v1.41/containers/web/kill", nil))
	if rec.Code != 409 {
		t.Errorf("got status %d, want 409", rec.Code)
	}
	want := `{"message":"Cannot kill container: web: Container abc is not running"}` + "\n"
	if rec.Body.String() != want {
		t.Errorf("got %q, want %q", rec.Body.String(), want)
	}
}
