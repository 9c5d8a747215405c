package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"

	"github.com/twinbox-dev/twinbox/shared/api/transport"
	"github.com/twinbox-dev/twinbox/shared/backend"
)

// fakeEngine answers with fixed answers and records the requests.
type fakeEngine struct {
	mu         sync.Mutex
	apiVersion string // Api-Version of the ping; "" sends none
	requests   []string
	recordBody bool // record a request's body after its URI
	handler    func(w http.ResponseWriter, r *http.Request)
}

func (f *fakeEngine) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := r.Method + " " + r.URL.RequestURI()
	if f.recordBody && r.Body != nil {
		if b, _ := io.ReadAll(r.Body); len(b) > 0 {
			rec += " " + strings.TrimSpace(string(b))
		}
	}
	f.mu.Lock()
	f.requests = append(f.requests, rec)
	f.mu.Unlock()
	if r.URL.Path == "/_ping" {
		if f.apiVersion != "" {
			w.Header().Set("Api-Version", f.apiVersion)
		}
		w.Header().Set("Ostype", "linux")
		w.Header().Set("Docker-Experimental", "false")
		w.Write([]byte("OK"))
		return
	}
	if f.handler != nil {
		f.handler(w, r)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (f *fakeEngine) recorded() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.requests...)
}

// start serves f over TCP and returns a client of it.
func start(t *testing.T, f *fakeEngine, opts ...Option) *Client {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	addr := srv.Listener.Addr().String()
	c := New(func(ctx context.Context) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", addr)
	}, opts...)
	t.Cleanup(func() { c.Close() })
	return c
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func jsonAnswer(status int, body []byte) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write(body)
	}
}

func TestNegotiation(t *testing.T) {
	tests := []struct {
		name       string
		apiVersion string
		opts       []Option
		wantPath   string
		wantPing   bool
	}{
		{name: "same", apiVersion: "1.41", wantPath: "/v1.41/containers/json", wantPing: true},
		{name: "older engine", apiVersion: "1.40", wantPath: "/v1.40/containers/json", wantPing: true},
		{name: "newer engine", apiVersion: "1.50", wantPath: "/v1.41/containers/json", wantPing: true},
		{name: "engine without version", apiVersion: "", wantPath: "/v1.24/containers/json", wantPing: true},
		{name: "fixed", apiVersion: "1.41", opts: []Option{WithVersion("1.30")}, wantPath: "/v1.30/containers/json"},
		{name: "fixed with v", apiVersion: "1.41", opts: []Option{WithVersion("v1.38")}, wantPath: "/v1.38/containers/json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeEngine{apiVersion: tt.apiVersion, handler: jsonAnswer(200, []byte("[]"))}
			c := start(t, f, tt.opts...)
			for i := 0; i < 2; i++ {
				if _, err := c.ContainerList(context.Background(), ListOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			var pings, lists int
			for _, r := range f.recorded() {
				switch {
				case strings.HasSuffix(r, " /_ping"):
					pings++
				case r == "GET "+tt.wantPath:
					lists++
				default:
					t.Errorf("got request %q, want GET %s", r, tt.wantPath)
				}
			}
			if want := map[bool]int{true: 1, false: 0}[tt.wantPing]; pings != want {
				t.Errorf("pings: got %d, want %d (once per client)", pings, want)
			}
			if lists != 2 {
				t.Errorf("lists: got %d, want 2", lists)
			}
		})
	}
}

func TestPingFallsBackToGet(t *testing.T) {
	f := &fakeEngine{}
	f.handler = nil
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		f.ServeHTTP(w, r)
	}))
	defer srv.Close()
	f.apiVersion = "1.40"
	addr := srv.Listener.Addr().String()
	c := New(func(ctx context.Context) (net.Conn, error) { return net.Dial("tcp", addr) })
	p, err := c.Ping(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if p.APIVersion != "1.40" || p.OSType != "linux" {
		t.Errorf("got %+v, want API version 1.40 on linux", p)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		contentType string
		body        string
		wantText    string
		wantCode    backend.Code
	}{
		{"json", 404, "application/json", string(fixtureNoSuch), "Error response from daemon: No such container: nosuch", backend.NotFound},
		{"json conflict", 409, "application/json", `{"message":"Conflict. The container name \"/first\" is already in use"}`, `Error response from daemon: Conflict. The container name "/first" is already in use`, backend.Conflict},
		{"trailing space trimmed", 400, "application/json", `{"message":"Invalid signal: FOO\n"}`, "Error response from daemon: Invalid signal: FOO", backend.InvalidParameter},
		{"text", 500, "text/plain", "boom\n", "Error response from daemon: boom", backend.Internal},
		{"json without message", 409, "application/json", `{}`, "Error response from daemon: API returned a 409 (Conflict) but provided no error-message", backend.Conflict},
		{"empty", 404, "text/plain", "", "request returned 404 Not Found for API route and version http://api.moby.localhost/v1.41/containers/nosuch/json, check if the server supports the requested API version", backend.NotFound},
		{"not implemented", 501, "application/json", `{"message":"engine: POST /containers/{name}/update is not implemented"}`, "Error response from daemon: engine: POST /containers/{name}/update is not implemented", backend.NotImplemented},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeEngine{apiVersion: "1.41", handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.contentType)
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}}
			c := start(t, f)
			_, err := c.ContainerInspect(context.Background(), "nosuch")
			if err == nil {
				t.Fatal("got no error")
			}
			if got := err.Error(); got != tt.wantText {
				t.Errorf("text: got %q, want %q", got, tt.wantText)
			}
			var e *Error
			if !errors.As(err, &e) || e.StatusCode != tt.status {
				t.Errorf("got %#v, want an *Error with status %d", err, tt.status)
			}
			if got := backend.CodeOf(err); got != tt.wantCode {
				t.Errorf("code: got %v, want %v", got, tt.wantCode)
			}
		})
	}
}

var fixtureNoSuch = []byte(`{
    "message": "No such container: nosuch"
}`)

func TestConnectionError(t *testing.T) {
	tests := []struct {
		name string
		host string
		want string
	}{
		{"default", "", "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?"},
		{"named", "unix:///run/twinbox/twinbox.sock", "Cannot connect to the Docker daemon at unix:///run/twinbox/twinbox.sock. Is the docker daemon running?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []Option
			if tt.host != "" {
				opts = append(opts, WithHost(tt.host))
			}
			c := New(func(context.Context) (net.Conn, error) { return nil, errors.New("dial unix: no such file") }, opts...)
			_, err := c.ContainerList(context.Background(), ListOptions{})
			if err == nil || err.Error() != tt.want {
				t.Errorf("got %v, want %q", err, tt.want)
			}
			if !IsConnectionError(err) {
				t.Errorf("IsConnectionError(%v): got false, want true", err)
			}
		})
	}
}

func TestRequests(t *testing.T) {
	ctx := context.Background()
	timeout := 1
	tests := []struct {
		name string
		call func(c *Client) error
		want string
	}{
		{"list", func(c *Client) error {
			_, err := c.ContainerList(ctx, ListOptions{All: true, Limit: 2, Size: true, Filters: Filters{"name": {"made"}}})
			return err
		}, `GET /v1.41/containers/json?all=1&filters=%7B%22name%22%3A%7B%22made%22%3Atrue%7D%7D&limit=2&size=1`},
		{"list without options", func(c *Client) error { _, err := c.ContainerList(ctx, ListOptions{Limit: -1}); return err }, "GET /v1.41/containers/json"},
		{"start", func(c *Client) error { return c.ContainerStart(ctx, "web") }, "POST /v1.41/containers/web/start"},
		{"stop", func(c *Client) error { return c.ContainerStop(ctx, "web", StopOptions{Timeout: &timeout}) }, "POST /v1.41/containers/web/stop?t=1"},
		{"restart signal dropped before 1.42", func(c *Client) error { return c.ContainerRestart(ctx, "web", StopOptions{Signal: "SIGINT"}) }, "POST /v1.41/containers/web/restart"},
		{"kill", func(c *Client) error { return c.ContainerKill(ctx, "web", "HUP") }, "POST /v1.41/containers/web/kill?signal=HUP"},
		{"kill default", func(c *Client) error { return c.ContainerKill(ctx, "web", "") }, "POST /v1.41/containers/web/kill"},
		{"pause", func(c *Client) error { return c.ContainerPause(ctx, "web") }, "POST /v1.41/containers/web/pause"},
		{"unpause", func(c *Client) error { return c.ContainerUnpause(ctx, "web") }, "POST /v1.41/containers/web/unpause"},
		{"remove", func(c *Client) error {
			return c.ContainerRemove(ctx, "web", RemoveOptions{Force: true, RemoveVolumes: true})
		}, "DELETE /v1.41/containers/web?force=1&v=1"},
		{"rename", func(c *Client) error { return c.ContainerRename(ctx, "bg", "bg2") }, "POST /v1.41/containers/bg/rename?name=bg2"},
		{"resize", func(c *Client) error { return c.ContainerResize(ctx, "web", 24, 80) }, "POST /v1.41/containers/web/resize?h=24&w=80"},
		{"top", func(c *Client) error { _, err := c.ContainerTop(ctx, "web", []string{"-o", "pid,args"}); return err }, "GET /v1.41/containers/web/top?ps_args=-o+pid%2Cargs"},
		{"commit", func(c *Client) error {
			_, err := c.ContainerCommit(ctx, "c1", CommitOptions{Reference: "hello:v1", Comment: "add hello", Author: "Ann", Changes: []string{"ENV A=1", "CMD sh"}, Pause: true})
			return err
		}, "POST /v1.41/commit?author=Ann&changes=ENV+A%3D1&changes=CMD+sh&comment=add+hello&container=c1&repo=docker.io%2Flibrary%2Fhello&tag=v1"},
		{"commit without pause", func(c *Client) error { _, err := c.ContainerCommit(ctx, "c1", CommitOptions{}); return err },
			"POST /v1.41/commit?author=&comment=&container=c1&pause=0&repo=&tag="},
		{"tag", func(c *Client) error { return c.ImageTag(ctx, "hello:v2", "example/hello") }, "POST /v1.41/images/hello:v2/tag?repo=docker.io%2Fexample%2Fhello&tag=latest"},
		{"image remove", func(c *Client) error {
			_, err := c.ImageRemove(ctx, "hello:v1", ImageRemoveOptions{Force: true})
			return err
		}, "DELETE /v1.41/images/hello:v1?force=1&noprune=1"},
		{"pull", func(c *Client) error {
			r, err := c.ImagePull(ctx, "busybox", ImagePullOptions{})
			if err == nil {
				r.Close()
			}
			return err
		}, "POST /v1.41/images/create?fromImage=docker.io%2Flibrary%2Fbusybox&tag=latest"},
		{"logs", func(c *Client) error {
			r, err := c.ContainerLogs(ctx, "bg", LogsOptions{ShowStdout: true, ShowStderr: true, Tail: "1", Since: "1m"}, time.Unix(1000, 0))
			if err == nil {
				r.Close()
			}
			return err
		}, "GET /v1.41/containers/bg/logs?since=940&stderr=1&stdout=1&tail=1"},
		{"save", func(c *Client) error {
			r, err := c.ImageSave(ctx, []string{"busybox", "hello"})
			if err == nil {
				r.Close()
			}
			return err
		}, "GET /v1.41/images/get?names=busybox&names=hello"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeEngine{apiVersion: "1.41", handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				switch {
				case strings.HasPrefix(r.URL.Path, "/v1.41/commit"):
					w.Write([]byte(`{"Id":"sha256:abc"}`))
				case strings.Contains(r.URL.Path, "/top"):
					w.Write([]byte(`{"Titles":["PID"],"Processes":[["1"]]}`))
				case r.Method == http.MethodDelete && strings.Contains(r.URL.Path, "/images/"):
					w.Write([]byte(`[{"Untagged":"hello:v1"}]`))
				case strings.HasSuffix(r.URL.Path, "/containers/json"):
					w.Write([]byte(`[]`))
				default:
					w.WriteHeader(http.StatusNoContent)
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

func TestClientSideErrors(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		call func(c *Client) error
		want string
	}{
		{"empty container", func(c *Client) error { return c.ContainerStart(ctx, " ") }, "invalid container name or ID: value is empty"},
		{"tag bad target", func(c *Client) error { return c.ImageTag(ctx, "busybox", "Bad") },
			`Error parsing reference: "Bad" is not a valid repository/tag: invalid reference format: repository name (library/Bad) must be lowercase`},
		{"tag digest", func(c *Client) error {
			return c.ImageTag(ctx, "busybox", "busybox@sha256:"+strings.Repeat("a", 64))
		}, "refusing to create a tag with a digest reference"},
		{"commit bad reference", func(c *Client) error {
			_, err := c.ContainerCommit(ctx, "c2", CommitOptions{Reference: "Bad:Ref"})
			return err
		},
			"invalid reference format: repository name (library/Bad) must be lowercase"},
		{"logs bad since", func(c *Client) error {
			_, err := c.ContainerLogs(ctx, "bg", LogsOptions{Since: "yesterday"}, time.Now())
			return err
		},
			`invalid value for "since": failed to parse value as time or duration: "yesterday"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeEngine{apiVersion: "1.41"}
			c := start(t, f)
			err := tt.call(c)
			if err == nil || err.Error() != tt.want {
				t.Errorf("got %v, want %q", err, tt.want)
			}
			for _, r := range f.recorded() {
				if !strings.HasSuffix(r, "/_ping") {
					t.Errorf("got request %q, want none", r)
				}
			}
		})
	}
}

func TestDecodeFixtures(t *testing.T) {
	ctx := context.Background()
	f := &fakeEngine{apiVersion: "1.41", handler: func(w http.ResponseWriter, r *http.Request) {
		name := map[string]string{
			"/v1.41/containers/web/json":     "container-inspect.json",
			"/v1.41/containers/json":         "containers-list.json",
			"/v1.41/images/json":             "images-list.json",
			"/v1.41/images/busybox/json":     "image-inspect.json",
			"/v1.41/images/busybox/history":  "image-history.json",
			"/v1.41/containers/web/changes":  "container-changes.json",
			"/v1.41/version":                 "version.json",
			"/v1.41/info":                    "info.json",
			"/v1.41/containers/create":       "container-create-response.json",
			"/v1.41/containers/nosuch/json":  "error-no-such-container.json",
			"/v1.41/containers/nosuch/start": "error-no-such-container.json",
		}[r.URL.Path]
		status := 200
		if strings.Contains(r.URL.Path, "nosuch") {
			status = 404
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write(fixture(t, name))
	}}
	c := start(t, f)

	ctr, raw, err := c.ContainerInspectWithRaw(ctx, "web", false)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(raw, fixture(t, "container-inspect.json")) {
		t.Error("raw inspect: got other bytes than the engine sent")
	}
	if got := ctr.NetworkSettings.IPAddress; got != "172.17.0.2" {
		t.Errorf("IPAddress: got %q, want 172.17.0.2", got)
	}
	if got := ctr.Name; got != "/web" {
		t.Errorf("Name: got %q, want /web", got)
	}
	list, err := c.ContainerList(ctx, ListOptions{})
	if err != nil || len(list) != 1 || list[0].Names[0] != "/web" || list[0].Ports[1].IP.String() != "::" {
		t.Errorf("list: got %+v, %v; want /web with ports on 0.0.0.0 and ::", list, err)
	}
	images, err := c.ImageList(ctx, ImageListOptions{})
	if err != nil || len(images) != 1 || images[0].VirtualSize != 1984234 || images[0].RepoTags[0] != "busybox:latest" {
		t.Errorf("images: got %+v, %v", images, err)
	}
	img, _, err := c.ImageInspectWithRaw(ctx, "busybox")
	if err != nil || img.Parent != "sha256:a5ea209d9b10a37a07c5e8a2f6319df47b6a5cab4a13344b0cd3d1dd77beba01" || img.DockerVersion != "20.10.24+dfsg1" {
		t.Errorf("image inspect: got %+v, %v", img, err)
	}
	history, err := c.ImageHistory(ctx, "busybox")
	if err != nil || len(history) != 2 || history[1].Size != 1984234 {
		t.Errorf("history: got %+v, %v", history, err)
	}
	changes, err := c.ContainerDiff(ctx, "web")
	if err != nil || len(changes) != 2 || changes[0].Kind != container.ChangeAdd || changes[0].Path != "/data" {
		t.Errorf("changes: got %+v, %v", changes, err)
	}
	v, err := c.ServerVersion(ctx)
	if err != nil || v.Version != "20.10.24+dfsg1" || len(v.Components) != 4 {
		t.Errorf("version: got %+v, %v", v, err)
	}
	info, _, err := c.Info(ctx)
	if err != nil || info.NCPU != 2 || info.Driver != "overlay2" {
		t.Errorf("info: got %+v, %v", info, err)
	}
	created, err := c.ContainerCreate(ctx, CreateOptions{Config: &container.Config{Image: "busybox"}})
	if err != nil || created.ID != "7342b3613ab4223fd03d7a826739fa66dde9db9102b9f5a5a9fb549d419463b5" {
		t.Errorf("create: got %+v, %v", created, err)
	}
	if err := c.ContainerStart(ctx, "nosuch"); !backend.IsNotFound(err) {
		t.Errorf("start nosuch: got %v, want a not-found error", err)
	}
}

func TestWait(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		wantCode int64
		wantErr  string
	}{
		{"exit code", `{"Error":null,"StatusCode":137}`, 137, ""},
		{"error in answer", `{"Error":{"Message":"boom"},"StatusCode":-1}`, -1, ""},
		{"not json", "some plain error", 0, "some plain error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeEngine{apiVersion: "1.41", handler: func(w http.ResponseWriter, r *http.Request) {
				if got := r.URL.RequestURI(); got != "/v1.41/containers/bg/wait?condition=next-exit" {
					t.Errorf("got %s, want /v1.41/containers/bg/wait?condition=next-exit", got)
				}
				io.WriteString(w, tt.body)
			}}
			c := start(t, f)
			resultC, errC := c.ContainerWait(context.Background(), "bg", container.WaitConditionNextExit)
			select {
			case r := <-resultC:
				if tt.wantErr != "" || r.StatusCode != tt.wantCode {
					t.Errorf("got status %d, want %d (error %q)", r.StatusCode, tt.wantCode, tt.wantErr)
				}
			case err := <-errC:
				if err.Error() != tt.wantErr {
					t.Errorf("got error %v, want %q", err, tt.wantErr)
				}
			}
		})
	}
}

// frame builds one multiplexed frame.
func frame(stream byte, s string) []byte {
	h := make([]byte, 8)
	h[0] = stream
	binary.BigEndian.PutUint32(h[4:], uint32(len(s)))
	return append(h, s...)
}

// hijackHandler switches protocols, sends out, then echoes stdin in
// stdout frames until the client half-closes.
func hijackHandler(t *testing.T, out []byte, echo bool) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "tcp" || r.Header.Get("Connection") != "Upgrade" {
			t.Errorf("got Upgrade %q, Connection %q; want tcp, Upgrade", r.Header.Get("Upgrade"), r.Header.Get("Connection"))
		}
		conn, rw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		fmt.Fprint(conn, "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n")
		conn.Write(out)
		if echo {
			in, _ := io.ReadAll(rw)
			conn.Write(frame(1, "stdin was: "+string(in)))
		}
	}
}

func TestAttach(t *testing.T) {
	out := append(frame(1, "out\n"), frame(2, "err\n")...)
	f := &fakeEngine{apiVersion: "1.41", handler: hijackHandler(t, out, true)}
	c := start(t, f)
	resp, err := c.ContainerAttach(context.Background(), "web", AttachOptions{Stream: true, Stdin: true, Stdout: true, Stderr: true})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Close()
	if _, err := io.WriteString(resp.Conn, "hello"); err != nil {
		t.Fatal(err)
	}
	if err := resp.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if _, err := StdCopy(&stdout, &stderr, resp.Reader); err != nil {
		t.Fatal(err)
	}
	if got, want := stdout.String(), "out\nstdin was: hello"; got != want {
		t.Errorf("stdout: got %q, want %q", got, want)
	}
	if got, want := stderr.String(), "err\n"; got != want {
		t.Errorf("stderr: got %q, want %q", got, want)
	}
	reqs := f.recorded()
	if want := "POST /v1.41/containers/web/attach?stderr=1&stdin=1&stdout=1&stream=1"; reqs[len(reqs)-1] != want {
		t.Errorf("got %q, want %q", reqs[len(reqs)-1], want)
	}
}

// TestAttachInProcess attaches over the in-process transports: HTTP on a
// pipe, and calls of the router (the browser's).
func TestAttachInProcess(t *testing.T) {
	f := &fakeEngine{apiVersion: "1.41", handler: hijackHandler(t, []byte("raw tty output\r\n"), false)}
	l := transport.NewPipeListener()
	srv := &http.Server{Handler: f}
	go srv.Serve(l)
	defer srv.Close()
	for name, c := range map[string]*Client{"pipe": New(l.Dial), "handler": NewInProcess(f)} {
		t.Run(name, func(t *testing.T) {
			defer c.Close()
			resp, err := c.ExecAttach(context.Background(), "abc", container.ExecStartRequest{Tty: true})
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Close()
			got, err := io.ReadAll(resp.Reader)
			if err != nil && !errors.Is(err, io.ErrClosedPipe) {
				t.Fatal(err)
			}
			if string(got) != "raw tty output\r\n" {
				t.Errorf("got %q, want %q", got, "raw tty output\r\n")
			}
		})
	}
}

// TestInProcessErrors gets error answers by calling the router: the same
// errors as over a socket.
func TestInProcessErrors(t *testing.T) {
	f := &fakeEngine{apiVersion: "1.41", handler: jsonAnswer(409, []byte(`{"message":"container is not running"}`))}
	c := NewInProcess(f)
	_, err := c.ContainerAttach(context.Background(), "web", AttachOptions{Stream: true, Stdout: true})
	if err == nil || err.Error() != "unable to upgrade to tcp, received 409" || !backend.IsConflict(err) {
		t.Errorf("attach: got %v, want docker's %q", err, "unable to upgrade to tcp, received 409")
	}
	err = c.ContainerStart(context.Background(), "web")
	if err == nil || err.Error() != "Error response from daemon: container is not running" || !backend.IsConflict(err) {
		t.Errorf("start: got %v, want %q", err, "Error response from daemon: container is not running")
	}
}

func TestHijackRefused(t *testing.T) {
	f := &fakeEngine{apiVersion: "1.41", handler: jsonAnswer(409, []byte(`{"message":"container is not running"}`))}
	c := start(t, f)
	_, err := c.ContainerAttach(context.Background(), "web", AttachOptions{Stream: true, Stdout: true})
	if err == nil || err.Error() != "unable to upgrade to tcp, received 409" {
		t.Errorf("got %v, want docker's %q", err, "unable to upgrade to tcp, received 409")
	}
	if !backend.IsConflict(err) {
		t.Errorf("got code %v, want Conflict", backend.CodeOf(err))
	}
}

func TestFiltersEncode(t *testing.T) {
	tests := []struct {
		f    Filters
		want string
	}{
		{nil, ""},
		{Filters{"name": {"made"}}, `{"name":{"made":true}}`},
		{Filters{"status": {"exited", "created"}, "label": {"a=b"}}, `{"label":{"a=b":true},"status":{"created":true,"exited":true}}`},
	}
	for _, tt := range tests {
		if got := tt.f.encode(); got != tt.want {
			t.Errorf("%v: got %s, want %s", tt.f, got, tt.want)
		}
	}
}

func TestGetTimestamp(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 18, 34, 0, time.UTC)
	tests := []struct {
		in, want string
		err      bool
	}{
		{"42m", "1795422994", false},
		{"1h30m", "1795420114", false},
		{"2026-11-23T09:00:00Z", "1795424400.000000000", false},
		{"2026-11-23T09:00:00", "1795424400.000000000", false},
		{"2026-11-23", "1795392000.000000000", false},
		{"2026-11-23T09:00:00.5Z", "1795424400.500000000", false},
		{"1795424400", "1795424400", false},
		{"1795424400.5", "1795424400.5", false},
		{"0", "0", false},
		{"yesterday", "", true},
		{"2026-13-01", "", true},
	}
	for _, tt := range tests {
		got, err := GetTimestamp(tt.in, now)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("GetTimestamp(%q): got %q, %v; want %q (error %v)", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestVersionLess(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"1.24", "1.41", true},
		{"1.41", "1.41", false},
		{"1.9", "1.10", true},
		{"1.50", "1.41", false},
		{"2", "1.99", false},
	}
	for _, tt := range tests {
		if got := VersionLess(tt.a, tt.b); got != tt.want {
			t.Errorf("VersionLess(%s, %s): got %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestPingFixtureHeaders(t *testing.T) {
	// The reference ping answer of dockerd 20.10.24.
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(fixture(t, "ping.txt"))), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := parsePing(resp)
	want := Ping{APIVersion: "1.41", OSType: "linux"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestStopSignalNeedsAPI142(t *testing.T) {
	tests := []struct{ engine, want string }{
		{"1.41", "POST /v1.41/containers/web/stop"},
		{"1.43", "POST /v1.41/containers/web/stop"}, // the client speaks 1.41 at most
	}
	for _, tt := range tests {
		f := &fakeEngine{apiVersion: tt.engine}
		c := start(t, f)
		if err := c.ContainerStop(context.Background(), "web", StopOptions{Signal: "SIGINT"}); err != nil {
			t.Fatal(err)
		}
		if got := f.recorded(); got[len(got)-1] != tt.want {
			t.Errorf("engine %s: got %q, want %q", tt.engine, got[len(got)-1], tt.want)
		}
	}
	f := &fakeEngine{apiVersion: "1.43"}
	c := start(t, f, WithVersion("1.42"))
	if err := c.ContainerStop(context.Background(), "web", StopOptions{Signal: "SIGINT"}); err != nil {
		t.Fatal(err)
	}
	if got, want := f.recorded()[0], "POST /v1.42/containers/web/stop?signal=SIGINT"; got != want {
		t.Errorf("fixed 1.42: got %q, want %q", got, want)
	}
}
