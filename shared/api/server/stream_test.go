package server

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/jsonstream"

	"github.com/twinbox-dev/twinbox/shared/api/wire"
	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/engine"
)

// TestPingHeaders compares the headers of GET /_ping with those recorded
// from dockerd 20.10.24 (testdata/ping.txt), Date aside.
func TestPingHeaders(t *testing.T) {
	data, err := os.ReadFile("testdata/ping.txt")
	if err != nil {
		t.Fatal(err)
	}
	want, err := http.ReadResponse(bufio.NewReader(strings.NewReader(string(data))), nil)
	if err != nil {
		t.Fatal(err)
	}
	wantBody, _ := io.ReadAll(want.Body)
	srv := httptest.NewServer(newHandler(&fakeAPI{}, Options{}))
	defer srv.Close()
	for _, method := range []string{"GET", "HEAD"} {
		t.Run(method, func(t *testing.T) {
			req, _ := http.NewRequest(method, srv.URL+"/_ping", nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			headers := func(h http.Header) string {
				var lines []string
				for k, v := range h {
					if k == "Date" || (method == "HEAD" && k == "Content-Length") {
						continue
					}
					lines = append(lines, k+": "+strings.Join(v, ","))
				}
				sort.Strings(lines)
				return strings.Join(lines, "\n")
			}
			if got, want := headers(resp.Header), headers(want.Header); got != want {
				t.Errorf("got headers\n%s\nwant\n%s", got, want)
			}
			wb := string(wantBody)
			if method == "HEAD" {
				wb = ""
				if cl := resp.Header.Get("Content-Length"); cl != "0" {
					t.Errorf("got Content-Length %q, want 0", cl)
				}
			}
			if string(body) != wb {
				t.Errorf("got body %q, want %q", body, wb)
			}
		})
	}
}

// TestHeadersOnEveryRoute checks the API headers on a route other than
// ping, and their absence on a path no route matches, as in dockerd.
func TestHeadersOnEveryRoute(t *testing.T) {
	h := newHandler(&fakeAPI{}, Options{Experimental: true, ServerVersion: "1.2.3"})
	tests := []struct {
		path string
		want map[string]string
	}{
		{"/v1.41/containers/json", map[string]string{"Api-Version": "1.41", "Docker-Experimental": "true", "Ostype": "linux", "Server": "Docker/1.2.3 (linux)"}},
		{"/v1.99/containers/json", map[string]string{"Api-Version": "1.41", "Docker-Experimental": "", "Ostype": "linux", "Server": "Docker/1.2.3 (linux)"}},
		{"/v1.41/nosuch", map[string]string{"Api-Version": "", "Docker-Experimental": "", "Ostype": "", "Server": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", tt.path, nil))
			for k, want := range tt.want {
				if got := rec.Header().Get(k); got != want {
					t.Errorf("got %s %q, want %q", k, got, want)
				}
			}
		})
	}
}

func TestPanicIsA500(t *testing.T) {
	for _, route := range []struct{ method, path, panicOn string }{
		{"GET", "/v1.41/containers/json", "Containers"},
		{"GET", "/v1.41/version", "Version"},
	} {
		t.Run(route.panicOn, func(t *testing.T) {
			f := &fakeAPI{panicOn: route.panicOn}
			var logged []string
			srv := httptest.NewServer(newHandler(f, Options{Logf: func(format string, args ...any) { logged = append(logged, format) }}))
			defer srv.Close()
			for range 2 { // the server survives and answers again
				req, _ := http.NewRequest(route.method, srv.URL+route.path, nil)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 500 {
					t.Errorf("got status %d, want 500", resp.StatusCode)
				}
				want := `{"message":"panic: fake ` + route.panicOn + ` exploded"}` + "\n"
				if string(body) != want {
					t.Errorf("got body %q, want %q", body, want)
				}
			}
			if len(logged) == 0 {
				t.Errorf("got no log of the panic, want one")
			}
		})
	}
}

func TestPanicInHijackedStream(t *testing.T) {
	tr := listeners(t)["pipe"]
	f := &fakeAPI{attach: func(ctx context.Context, name string, opts engine.AttachOptions) error {
		opts.GetStreams(true)
		panic("mid-stream")
	}}
	serveOn(t, newHandler(f, Options{}), tr.l)
	conn, resp, br := rawRequest(t, tr.dial, "POST", "/v1.41/containers/web/attach?stream=1", "", true)
	defer conn.Close()
	if resp.StatusCode != 101 {
		t.Fatalf("got status %d, want 101", resp.StatusCode)
	}
	if rest, _ := io.ReadAll(br); len(rest) != 0 {
		t.Errorf("got %q after the panic, want the connection closed", rest)
	}
	// The server still answers.
	conn2, resp2, _ := rawRequest(t, tr.dial, "GET", "/_ping", "", false)
	defer conn2.Close()
	if resp2.StatusCode != 200 {
		t.Errorf("got status %d after a panic, want 200", resp2.StatusCode)
	}
}

func logChan(msgs ...engine.LogMessage) <-chan engine.LogMessage {
	ch := make(chan engine.LogMessage, len(msgs))
	for _, m := range msgs {
		ch <- m
	}
	close(ch)
	return ch
}

func TestLogStream(t *testing.T) {
	at := time.Date(2026, 11, 23, 9, 18, 36, 5000, time.UTC)
	msgs := []engine.LogMessage{
		{Stream: "stdout", Time: at, Line: []byte("out\n")},
		{Stream: "stderr", Time: at, Line: []byte("err\n")},
	}
	tests := []struct {
		name  string
		query string
		tty   bool
		want  string
	}{
		{"multiplexed", "stdout=1&stderr=1", false, "out\n|err\n"},
		{"stdout only", "stdout=1", false, "out\n|"},
		{"timestamps", "stdout=1&stderr=1&timestamps=1", false,
			"2026-11-23T09:18:36.000005000Z out\n|2026-11-23T09:18:36.000005000Z err\n"},
		{"tty is raw", "stdout=1&stderr=1", true, "out\nerr\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeAPI{logs: func(name string, opts engine.LogsOptions) (<-chan engine.LogMessage, bool, error) {
				return logChan(msgs...), tt.tty, nil
			}}
			rec := httptest.NewRecorder()
			newHandler(f, Options{}).ServeHTTP(rec, httptest.NewRequest("GET", "/v1.41/containers/web/logs?"+tt.query, nil))
			var got string
			if tt.tty {
				got = rec.Body.String()
			} else {
				got = demux(t, rec.Body)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPullStream(t *testing.T) {
	tests := []struct {
		name       string
		pull       func(ref string, progress engine.ProgressFunc) error
		wantStatus int
		want       string
	}{
		{"progress", func(ref string, p engine.ProgressFunc) error {
			p(jsonstream.Message{Status: "Pulling from library/busybox", ID: "latest"})
			p(jsonstream.Message{Status: "Pull complete", ID: "abc", Progress: &jsonstream.Progress{}})
			return nil
		}, 200, `{"status":"Pulling from library/busybox","id":"latest"}` + "\r\n" +
			`{"status":"Pull complete","progressDetail":{},"id":"abc"}` + "\r\n"},
		{"error before progress is an HTTP error", func(ref string, p engine.ProgressFunc) error {
			return backend.Errorf(backend.NotFound, "pull access denied for nosuch")
		}, 404, `{"message":"pull access denied for nosuch"}` + "\n"},
		{"error after progress is in the stream", func(ref string, p engine.ProgressFunc) error {
			p(jsonstream.Message{Status: "Pulling from library/busybox", ID: "latest"})
			return errors.New("unexpected EOF")
		}, 200, `{"status":"Pulling from library/busybox","id":"latest"}` + "\r\n" +
			`{"errorDetail":{"message":"unexpected EOF"},"error":"unexpected EOF"}` + "\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			newHandler(&fakeAPI{pull: tt.pull}, Options{}).ServeHTTP(rec, httptest.NewRequest("POST", "/v1.41/images/create?fromImage=busybox&tag=latest", nil))
			if rec.Code != tt.wantStatus {
				t.Errorf("got status %d, want %d", rec.Code, tt.wantStatus)
			}
			if rec.Body.String() != tt.want {
				t.Errorf("got %q, want %q", rec.Body.String(), tt.want)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("got Content-Type %q, want application/json", ct)
			}
		})
	}
}

func TestLoadErrorsAreInTheStream(t *testing.T) {
	f := &fakeAPI{load: func(r io.Reader, p engine.ProgressFunc) error {
		return backend.Errorf(backend.InvalidParameter, "unexpected EOF")
	}}
	rec := httptest.NewRecorder()
	newHandler(f, Options{}).ServeHTTP(rec, httptest.NewRequest("POST", "/v1.41/images/load", strings.NewReader("not a tar")))
	if rec.Code != 200 {
		t.Errorf("got status %d, want 200", rec.Code)
	}
	want := `{"errorDetail":{"message":"unexpected EOF"},"error":"unexpected EOF"}` + "\r\n"
	if rec.Body.String() != want {
		t.Errorf("got %q, want %q", rec.Body.String(), want)
	}
}

func TestEventsStream(t *testing.T) {
	live := make(chan events.Message, 1)
	live <- events.Message{Type: events.ImageEventType, Action: "tag", Actor: events.Actor{ID: "sha256:1", Attributes: map[string]string{"name": "a:b"}}, Scope: "local", Time: 2, TimeNano: 2000000000}
	close(live)
	f := &fakeAPI{events: func(opts engine.EventsOptions) ([]events.Message, <-chan events.Message, error) {
		return []events.Message{{
			Type: events.ContainerEventType, Action: "start",
			Actor: events.Actor{ID: "c1", Attributes: map[string]string{"image": "busybox", "name": "web"}},
			Scope: "local", Time: 1, TimeNano: 1000000001,
		}}, live, nil
	}}
	rec := httptest.NewRecorder()
	newHandler(f, Options{}).ServeHTTP(rec, httptest.NewRequest("GET", "/v1.41/events", nil))
	want := `{"status":"start","id":"c1","from":"busybox","Type":"container","Action":"start","Actor":{"ID":"c1","Attributes":{"image":"busybox","name":"web"}},"scope":"local","time":1,"timeNano":1000000001}` + "\n" +
		`{"status":"tag","id":"sha256:1","Type":"image","Action":"tag","Actor":{"ID":"sha256:1","Attributes":{"name":"a:b"}},"scope":"local","time":2,"timeNano":2000000000}` + "\n"
	if rec.Body.String() != want {
		t.Errorf("got\n%s\nwant\n%s", rec.Body.String(), want)
	}
}

func TestWaitSendsHeadersFirst(t *testing.T) {
	release := make(chan container.WaitResponse)
	f := &fakeAPI{wait: func(name string) (<-chan container.WaitResponse, error) { return release, nil }}
	srv := httptest.NewServer(newHandler(f, Options{}))
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/v1.41/containers/web/wait?condition=next-exit", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	// The status arrived while the container still runs.
	if resp.StatusCode != 200 {
		t.Fatalf("got status %d, want 200", resp.StatusCode)
	}
	release <- container.WaitResponse{StatusCode: 3, Error: &container.WaitExitError{Message: "oops"}}
	body, _ := io.ReadAll(resp.Body)
	if want := `{"Error":{"Message":"oops"},"StatusCode":3}` + "\n"; string(body) != want {
		t.Errorf("got %q, want %q", body, want)
	}
}

func TestChangesOrder(t *testing.T) {
	f := &fakeAPI{changes: func(name string) ([]container.FilesystemChange, error) {
		return []container.FilesystemChange{{Kind: container.ChangeAdd, Path: "/new"}, {Kind: container.ChangeModify, Path: "/etc"}}, nil
	}}
	rec := httptest.NewRecorder()
	newHandler(f, Options{}).ServeHTTP(rec, httptest.NewRequest("GET", "/v1.41/containers/web/changes", nil))
	if want := `[{"Path":"/new","Kind":1},{"Path":"/etc","Kind":0}]` + "\n"; rec.Body.String() != want {
		t.Errorf("got %q, want %q", rec.Body.String(), want)
	}
}

func TestBuild(t *testing.T) {
	ok := func(ctx context.Context, bc io.Reader, opts *wire.ImageBuildOptions, p engine.ProgressFunc) (string, error) {
		data, _ := io.ReadAll(bc)
		p(jsonstream.Message{Stream: "Step 1/1 : FROM busybox\n"})
		p(jsonstream.Message{Stream: "context " + string(data) + " tags " + strings.Join(opts.Tags, ",") + "\n"})
		return "sha256:feed", nil
	}
	failing := func(ctx context.Context, bc io.Reader, opts *wire.ImageBuildOptions, p engine.ProgressFunc) (string, error) {
		io.ReadAll(bc)
		p(jsonstream.Message{Stream: "Step 1/1 : RUN false\n"})
		return "", errors.New("The command '/bin/sh -c false' returned a non-zero code: 1")
	}
	tests := []struct {
		name       string
		build      BuildFunc
		query      string
		wantStatus int
		want       string
	}{
		{"verbose", ok, "t=a&t=b", 200,
			`{"stream":"Step 1/1 : FROM busybox\n"}` + "\r\n" + `{"stream":"context TAR tags a,b\n"}` + "\r\n"},
		{"quiet", ok, "q=1", 200, `{"stream":"sha256:feed\n"}` + "\r\n"},
		{"failure", failing, "", 200,
			`{"stream":"Step 1/1 : RUN false\n"}` + "\r\n" +
				`{"errorDetail":{"message":"The command '/bin/sh -c false' returned a non-zero code: 1"},"error":"The command '/bin/sh -c false' returned a non-zero code: 1"}` + "\r\n"},
		{"quiet failure shows the output", failing, "q=1", 200,
			`{"stream":"Step 1/1 : RUN false\n"}` + "\r\n" +
				`{"errorDetail":{"message":"The command '/bin/sh -c false' returned a non-zero code: 1"},"error":"The command '/bin/sh -c false' returned a non-zero code: 1"}` + "\r\n"},
		{"bad build args", ok, "buildargs=nope", 400, `{"message":"error reading build args: invalid character 'o' in literal null (expecting 'u')"}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h := newHandler(&fakeAPI{}, Options{Build: tt.build})
			h.ServeHTTP(rec, httptest.NewRequest("POST", "/v1.41/build?"+tt.query, strings.NewReader("TAR")))
			if rec.Code != tt.wantStatus {
				t.Errorf("got status %d, want %d", rec.Code, tt.wantStatus)
			}
			if rec.Body.String() != tt.want {
				t.Errorf("got %q, want %q", rec.Body.String(), tt.want)
			}
		})
	}
}

func TestBuildOptions(t *testing.T) {
	req := httptest.NewRequest("POST", `/build?t=x:1&dockerfile=D&nocache=1&pull=1&memory=5&buildargs={"A":"1","B":null}&labels={"l":"v"}&cachefrom=["c"]&target=s`, nil)
	req.ParseForm()
	o, err := buildOptions(req, "1.41")
	if err != nil {
		t.Fatal(err)
	}
	if o.Dockerfile != "D" || !o.NoCache || !o.PullParent || o.Memory != 5 || o.Target != "s" ||
		len(o.Tags) != 1 || o.Tags[0] != "x:1" || *o.BuildArgs["A"] != "1" || o.BuildArgs["B"] != nil ||
		o.Labels["l"] != "v" || o.CacheFrom[0] != "c" || o.Version != "1" {
		t.Errorf("got %+v, want the query's values", o)
	}
	for _, tt := range []struct {
		query string
		want  bool
	}{{"", true}, {"rm=0", false}, {"rm=1", true}, {"rm=0&forcerm=1", true}} {
		t.Run("remove "+tt.query, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/build?"+tt.query, nil)
			req.ParseForm()
			o, err := buildOptions(req, "1.41")
			if err != nil {
				t.Fatal(err)
			}
			if o.Remove != tt.want {
				t.Errorf("got Remove %v, want %v", o.Remove, tt.want)
			}
		})
	}
}
