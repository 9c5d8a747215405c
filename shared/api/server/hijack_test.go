package server

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/twinbox-dev/twinbox/shared/api/stream"
	"github.com/twinbox-dev/twinbox/shared/api/transport"
	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/engine"
)

// listeners returns the transports the hijack tests run over.
func listeners(t *testing.T) map[string]struct {
	l    net.Listener
	dial func() (net.Conn, error)
} {
	t.Helper()
	pipe := transport.NewPipeListener()
	sock := filepath.Join(t.TempDir(), "d.sock")
	ul, err := ListenUnix(sock)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]struct {
		l    net.Listener
		dial func() (net.Conn, error)
	}{
		"pipe": {pipe, func() (net.Conn, error) { return pipe.Dial(context.Background()) }},
		"unix": {ul, func() (net.Conn, error) { return net.Dial("unix", sock) }},
	}
}

// serveOn serves h on l for the test's duration.
func serveOn(t *testing.T, h http.Handler, l net.Listener) {
	t.Helper()
	srv := NewServer(h)
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(l)
	}()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
}

// rawRequest sends a request on a new connection and reads the answer's
// status and headers; the rest of the connection is the stream.
func rawRequest(t *testing.T, dial func() (net.Conn, error), method, path, body string, upgrade bool) (net.Conn, *http.Response, *bufio.Reader) {
	t.Helper()
	conn, err := dial()
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(method, "http://docker"+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if upgrade {
		req.Header.Set("Connection", "Upgrade")
		req.Header.Set("Upgrade", "tcp")
	}
	go req.Write(conn)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		t.Fatal(err)
	}
	return conn, resp, br
}

// demux splits a multiplexed stream into "stdout|stderr" text.
func demux(t *testing.T, r io.Reader) string {
	t.Helper()
	var out, errb bytes.Buffer
	if _, err := stream.StdCopy(&out, &errb, r); err != nil {
		t.Fatal(err)
	}
	return out.String() + "|" + errb.String()
}

func TestAttach(t *testing.T) {
	for name, tr := range listeners(t) {
		t.Run(name, func(t *testing.T) {
			f := &fakeAPI{attach: func(ctx context.Context, name string, opts engine.AttachOptions) error {
				st, err := opts.GetStreams(true)
				if err != nil {
					return err
				}
				fmt.Fprint(st.Stdout, "out\n")
				fmt.Fprint(st.Stderr, "err\n")
				return nil
			}}
			serveOn(t, newHandler(f, Options{}), tr.l)
			conn, resp, br := rawRequest(t, tr.dial, "POST", "/v1.41/containers/web/attach?stream=1&stdout=1&stderr=1", "", true)
			defer conn.Close()
			if resp.StatusCode != 101 || resp.Status != "101 UPGRADED" {
				t.Fatalf("got status %q, want 101 UPGRADED", resp.Status)
			}
			for k, want := range map[string]string{"Content-Type": rawStream, "Connection": "Upgrade", "Upgrade": "tcp"} {
				if got := resp.Header.Get(k); got != want {
					t.Errorf("got %s %q, want %q", k, got, want)
				}
			}
			if got, want := demux(t, br), "out\n|err\n"; got != want {
				t.Errorf("got %q, want %q", got, want)
			}
			if got, want := strings.Join(f.Calls(), ";"), `ContainerAttach("web", {"UseStdin":false,"UseStdout":true,"UseStderr":true,"Logs":false,"Stream":true,"DetachKeys":""})`; got != want {
				t.Errorf("got call %s, want %s", got, want)
			}
		})
	}
}

func TestAttachWithoutUpgradeTTY(t *testing.T) {
	for name, tr := range listeners(t) {
		t.Run(name, func(t *testing.T) {
			f := &fakeAPI{attach: func(ctx context.Context, name string, opts engine.AttachOptions) error {
				st, err := opts.GetStreams(false) // a TTY: raw output
				if err != nil {
					return err
				}
				fmt.Fprint(st.Stdout, "raw\r\n")
				return nil
			}}
			serveOn(t, newHandler(f, Options{}), tr.l)
			conn, resp, _ := rawRequest(t, tr.dial, "POST", "/v1.41/containers/web/attach?stream=1&stdout=1", "", false)
			defer conn.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("got status %d, want 200", resp.StatusCode)
			}
			if ct := resp.Header.Get("Content-Type"); ct != rawStream {
				t.Errorf("got Content-Type %q, want %q", ct, rawStream)
			}
			body, _ := io.ReadAll(resp.Body)
			if string(body) != "raw\r\n" {
				t.Errorf("got %q, want %q", body, "raw\r\n")
			}
		})
	}
}

// A client that half-closes its side after sending its input still gets
// all the output that input causes.
func TestAttachStdinHalfClose(t *testing.T) {
	tr := listeners(t)["unix"]
	f := &fakeAPI{attach: func(ctx context.Context, name string, opts engine.AttachOptions) error {
		st, err := opts.GetStreams(true)
		if err != nil {
			return err
		}
		in, err := io.ReadAll(st.Stdin) // until the client's half-close
		if err != nil {
			return err
		}
		fmt.Fprintf(st.Stdout, "got %q\n", in)
		return nil
	}}
	serveOn(t, newHandler(f, Options{}), tr.l)
	conn, resp, br := rawRequest(t, tr.dial, "POST", "/v1.41/containers/web/attach?stream=1&stdin=1&stdout=1&stderr=1", "", true)
	defer conn.Close()
	if resp.StatusCode != 101 {
		t.Fatalf("got status %d, want 101", resp.StatusCode)
	}
	conn.Write([]byte("hello\n"))
	if err := conn.(*net.UnixConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	if got, want := demux(t, br), "got \"hello\\n\"\n|"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestAttachErrors(t *testing.T) {
	for _, name := range []string{"pipe", "unix"} {
		t.Run(name+"/before the streams", func(t *testing.T) {
			tr := listeners(t)[name]
			f := &fakeAPI{err: backend.Errorf(backend.NotFound, "No such container: nosuch")}
			serveOn(t, newHandler(f, Options{}), tr.l)
			conn, err := tr.dial()
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			fmt.Fprint(conn, "POST /v1.41/containers/nosuch/attach?stream=1 HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n")
			got, _ := io.ReadAll(conn)
			want := "HTTP/1.1 404 Not Found\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\nNo such container: nosuch\r\n"
			if string(got) != want {
				t.Errorf("got %q, want %q", got, want)
			}
		})
		t.Run(name+"/after the streams", func(t *testing.T) {
			tr := listeners(t)[name]
			f := &fakeAPI{attach: func(ctx context.Context, name string, opts engine.AttachOptions) error {
				if _, err := opts.GetStreams(true); err != nil {
					return err
				}
				return backend.Errorf(backend.Internal, "log driver failed")
			}}
			serveOn(t, newHandler(f, Options{}), tr.l)
			conn, _, br := rawRequest(t, tr.dial, "POST", "/v1.41/containers/web/attach?stream=1&stdout=1", "", true)
			defer conn.Close()
			if got, want := demux(t, br), "Error attaching: log driver failed\n|"; got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}

func TestExecStart(t *testing.T) {
	for name, tr := range listeners(t) {
		t.Run(name, func(t *testing.T) {
			f := &fakeAPI{execStart: func(ctx context.Context, id string, opts engine.ExecStartOptions) error {
				st, err := opts.GetStreams(!opts.Tty)
				if err != nil {
					return err
				}
				fmt.Fprint(st.Stdout, "hi\n")
				return backend.Errorf(backend.Conflict, "it broke")
			}}
			serveOn(t, newHandler(f, Options{}), tr.l)
			conn, resp, br := rawRequest(t, tr.dial, "POST", "/v1.41/exec/e1/start", `{"Detach":false,"Tty":false}`, true)
			defer conn.Close()
			if resp.StatusCode != 101 {
				t.Fatalf("got status %d, want 101", resp.StatusCode)
			}
			// The API headers survive the hijack on exec, unlike on attach.
			for k, want := range map[string]string{
				"Content-Type": rawStream, "Api-Version": "1.41", "Docker-Experimental": "false",
				"Ostype": "linux", "Server": "Docker/20.10.24+dfsg1 (linux)", "Upgrade": "tcp",
			} {
				if got := resp.Header.Get(k); got != want {
					t.Errorf("got %s %q, want %q", k, got, want)
				}
			}
			if got, want := demux(t, br), "hi\nit broke\r\n|"; got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}

func TestExecStartTTY(t *testing.T) {
	tr := listeners(t)["pipe"]
	f := &fakeAPI{execStart: func(ctx context.Context, id string, opts engine.ExecStartOptions) error {
		st, err := opts.GetStreams(!opts.Tty)
		if err != nil {
			return err
		}
		fmt.Fprint(st.Stdout, "# ")
		return nil
	}}
	serveOn(t, newHandler(f, Options{}), tr.l)
	conn, resp, _ := rawRequest(t, tr.dial, "POST", "/v1.41/exec/e1/start", `{"Tty":true}`, false)
	defer conn.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("got status %d, want 200", resp.StatusCode)
	}
	body, _ := io.ReadAll(resp.Body)
	if string(body) != "# " {
		t.Errorf("got %q, want %q", body, "# ")
	}
}

func TestStreamMediaType(t *testing.T) {
	tests := []struct {
		version     string
		multiplexed bool
		want        string
	}{
		{"1.41", true, rawStream},
		{"1.41", false, rawStream},
		{"1.42", true, multiplexedStream},
		{"1.42", false, rawStream},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.version, tt.multiplexed), func(t *testing.T) {
			if got := streamMediaType(tt.version, tt.multiplexed); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
