package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

// fakeTerminal is a terminal of a given size that records raw mode.
type fakeTerminal struct {
	mu       sync.Mutex
	stdin    bool
	stdout   bool
	raw      int // MakeRaw calls
	restored int
}

func (t *fakeTerminal) StdinIsTerminal() bool  { return t.stdin }
func (t *fakeTerminal) StdoutIsTerminal() bool { return t.stdout }
func (t *fakeTerminal) Size() (uint, uint, error) {
	return 24, 80, nil
}
func (t *fakeTerminal) MakeRaw() (func() error, error) {
	t.mu.Lock()
	t.raw++
	t.mu.Unlock()
	return func() error {
		t.mu.Lock()
		t.restored++
		t.mu.Unlock()
		return nil
	}, nil
}

// ttyEngine is a fake engine whose container echoes its TTY input until it
// reads "exit\r", then exits with status 3.
type ttyEngine struct {
	mu       sync.Mutex
	requests []string
	bodies   map[string]string
	input    bytes.Buffer // what the container read
	exited   chan struct{}
	once     sync.Once
}

func newTTYEngine() *ttyEngine {
	return &ttyEngine{bodies: map[string]string{}, exited: make(chan struct{})}
}

func (e *ttyEngine) exit() { e.once.Do(func() { close(e.exited) }) }

func (e *ttyEngine) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	e.mu.Lock()
	e.requests = append(e.requests, r.Method+" "+r.URL.RequestURI())
	e.bodies[r.URL.Path] = string(body)
	e.mu.Unlock()
	p := strings.TrimPrefix(r.URL.Path, "/v1.41")
	switch {
	case strings.HasSuffix(p, "/_ping"):
		w.Header().Set("Api-Version", "1.41")
		w.Header().Set("Ostype", "linux")
	case p == "/containers/create":
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"Id":"c0ffee","Warnings":[]}`)
	case p == "/containers/c0ffee/json":
		io.WriteString(w, `{"Id":"c0ffee","Config":{"Tty":true,"OpenStdin":true},"HostConfig":{}}`)
	case p == "/containers/c0ffee/exec":
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"Id":"e1"}`)
	case p == "/exec/e1/json":
		io.WriteString(w, `{"ID":"e1","Running":false,"ExitCode":3}`)
	case strings.HasSuffix(p, "/attach") || p == "/exec/e1/start":
		conn, rw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		io.WriteString(conn, "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n")
		io.WriteString(conn, "/ # ")
		buf := make([]byte, 1)
		for {
			if _, err := rw.Read(buf); err != nil {
				return
			}
			e.mu.Lock()
			e.input.Write(buf)
			done := strings.HasSuffix(e.input.String(), "exit\r")
			e.mu.Unlock()
			conn.Write(buf) // the TTY echoes
			if done {
				conn.Write([]byte("\r\n"))
				e.exit()
				return
			}
		}
	case strings.HasSuffix(p, "/wait"):
		w.(http.Flusher).Flush()
		select {
		case <-e.exited:
			io.WriteString(w, `{"Error":null,"StatusCode":3}`)
		case <-r.Context().Done():
		}
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

func (e *ttyEngine) sawRequest(prefix string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, r := range e.requests {
		if strings.HasPrefix(r, prefix) {
			return true
		}
	}
	return false
}

func runWith(t *testing.T, h http.Handler, args []string, stdin io.Reader, term Terminal, signals chan backend.Signal) (int, string, string) {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	addr := srv.Listener.Addr().String()
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), args, Streams{Stdin: stdin, Stdout: &stdout, Stderr: &stderr, Terminal: term}, Options{
		Dial: func(ctx context.Context) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "tcp", addr)
		},
		Signals: signals,
	})
	return code, stdout.String(), stderr.String()
}

func TestRunInteractiveTTY(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		input      string
		wantCode   int
		wantOut    string
		wantInput  string
		wantExited bool
	}{
		{"exit", []string{"run", "-it", "busybox", "sh"}, "ls\rexit\r", 3, "/ # ls\rexit\r\r\n", "ls\rexit\r", true},
		{"detach", []string{"run", "-it", "busybox", "sh"}, "ls\r\x10\x11exit\r", 0, "/ # ls\r", "ls\r", false},
		{"detach keys held back until they do not match", []string{"run", "-it", "busybox", "sh"}, "a\x10b\x10\x11", 0, "/ # a\x10b", "a\x10b", false},
		{"custom detach keys", []string{"run", "-it", "--detach-keys", "ctrl-a,x", "busybox", "sh"}, "ls\r\x10\x11\x01x", 0, "/ # ls\r\x10\x11", "ls\r\x10\x11", false},
		{"exec", []string{"exec", "-it", "c0ffee", "sh"}, "pwd\rexit\r", 3, "/ # pwd\rexit\r\r\n", "pwd\rexit\r", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTTYEngine()
			term := &fakeTerminal{stdin: true, stdout: true}
			code, out, errOut := runWith(t, e, tt.args, strings.NewReader(tt.input), term, nil)
			if code != tt.wantCode {
				t.Errorf("exit: got %d, want %d (stderr %q)", code, tt.wantCode, errOut)
			}
			// After a detach, the echo of the last input may not have
			// arrived: the output is then a prefix.
			if out != tt.wantOut && (tt.wantExited || !strings.HasPrefix(tt.wantOut, out)) {
				t.Errorf("stdout: got %q, want %q", out, tt.wantOut)
			}
			e.mu.Lock()
			input := e.input.String()
			e.mu.Unlock()
			// After a detach, closing the connection may lose input in
			// flight: the container then read a prefix, never the keys.
			if input != tt.wantInput && (tt.wantExited || !strings.HasPrefix(tt.wantInput, input)) {
				t.Errorf("container read %q, want %q", input, tt.wantInput)
			}
			if term.raw != 1 || term.restored != 1 {
				t.Errorf("raw mode: got %d MakeRaw and %d restores, want 1 and 1", term.raw, term.restored)
			}
			if errOut != "" {
				t.Errorf("stderr: got %q, want nothing", errOut)
			}
			resize := "POST /v1.41/containers/c0ffee/resize?h=24&w=80"
			if tt.args[0] == "exec" {
				resize = "POST /v1.41/exec/e1/resize?h=24&w=80"
			}
			if !e.sawRequest(resize) {
				t.Errorf("got requests %q, want %q", e.requests, resize)
			}
		})
	}
}

func TestRunConsoleSize(t *testing.T) {
	e := newTTYEngine()
	term := &fakeTerminal{stdin: true, stdout: true}
	runWith(t, e, []string{"run", "-it", "busybox", "sh"}, strings.NewReader("exit\r"), term, nil)
	var req struct {
		Tty        bool
		OpenStdin  bool
		StdinOnce  bool
		HostConfig struct{ ConsoleSize [2]uint }
	}
	if err := json.Unmarshal([]byte(e.bodies["/v1.41/containers/create"]), &req); err != nil {
		t.Fatal(err)
	}
	if !req.Tty || !req.OpenStdin || !req.StdinOnce || req.HostConfig.ConsoleSize != [2]uint{24, 80} {
		t.Errorf("create: got %+v, want a TTY with open stdin, once, of 24x80", req)
	}
}

func TestNotATTY(t *testing.T) {
	tests := []struct {
		name string
		term Terminal
	}{
		{"no terminal", nil},
		{"stdin redirected", &fakeTerminal{stdin: false, stdout: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTTYEngine()
			code, _, errOut := runWith(t, e, []string{"run", "-it", "busybox", "sh"}, strings.NewReader(""), tt.term, nil)
			if code != 1 || errOut != "the input device is not a TTY\n" {
				t.Errorf("got %d %q, want 1 %q", code, errOut, "the input device is not a TTY\n")
			}
			if e.sawRequest("POST /v1.41/containers/create") {
				t.Error("created a container; docker refuses first")
			}
		})
	}
}

// signalEngine runs a container without TTY that exits when killed.
type signalEngine struct {
	ttyEngine
	killed chan string
}

func (e *signalEngine) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(r.URL.Path, "/v1.41")
	switch {
	case strings.HasSuffix(p, "/kill"):
		e.killed <- r.URL.Query().Get("signal")
		e.exit()
		w.WriteHeader(http.StatusNoContent)
	case strings.HasSuffix(p, "/attach"):
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		io.WriteString(conn, "HTTP/1.1 101 UPGRADED\r\n\r\n")
		conn.Write(append([]byte{1, 0, 0, 0, 0, 0, 0, 8}, "started\n"...))
		go func() {
			<-e.exited
			conn.Close()
		}()
	default:
		e.ttyEngine.ServeHTTP(w, r)
	}
}

func TestRunForwardsSignals(t *testing.T) {
	e := &signalEngine{ttyEngine: *newTTYEngine(), killed: make(chan string, 1)}
	signals := make(chan backend.Signal, 1)
	go func() {
		signals <- backend.SIGINT
	}()
	code, out, errOut := runWith(t, e, []string{"run", "busybox", "sleep", "300"}, strings.NewReader(""), nil, signals)
	if got := <-e.killed; got != "INT" {
		t.Errorf("signal: got %q, want INT", got)
	}
	if code != 3 || out != "started\n" || errOut != "" {
		t.Errorf("got %d %q %q, want 3 %q and no error", code, out, errOut, "started\n")
	}
}

func TestEscapeProxy(t *testing.T) {
	tests := []struct {
		name    string
		keys    []byte
		chunks  []string
		want    string
		escaped bool
	}{
		{"plain", []byte{16, 17}, []string{"hello"}, "hello", false},
		{"escape", []byte{16, 17}, []string{"ab\x10\x11cd"}, "ab", true},
		{"escape across reads", []byte{16, 17}, []string{"ab\x10", "\x11cd"}, "ab", true},
		{"partial then other", []byte{16, 17}, []string{"a\x10", "b"}, "a\x10b", false},
		{"no keys", nil, []string{"a\x10\x11"}, "a\x10\x11", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &escapeProxy{escapeKeys: tt.keys, r: &chunkReader{chunks: tt.chunks}}
			got, err := io.ReadAll(p)
			if string(got) != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if (err == errEscape) != tt.escaped {
				t.Errorf("error: got %v, want escape %v", err, tt.escaped)
			}
		})
	}
}

type chunkReader struct{ chunks []string }

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.chunks[0])
	r.chunks[0] = r.chunks[0][n:]
	if r.chunks[0] == "" {
		r.chunks = r.chunks[1:]
	}
	return n, nil
}

func TestToBytes(t *testing.T) {
	tests := []struct {
		in   string
		want []byte
		err  string
	}{
		{"ctrl-p,ctrl-q", []byte{16, 17}, ""},
		{"a,b", []byte{'a', 'b'}, ""},
		{"ctrl-@,DEL", []byte{0, 127}, ""},
		{"ctrl-xx", nil, "Unknown character: 'ctrl-xx'"},
	}
	for _, tt := range tests {
		got, err := toBytes(tt.in)
		if fmt.Sprint(err) != map[bool]string{true: "<nil>", false: tt.err}[tt.err == ""] || !bytes.Equal(got, tt.want) {
			t.Errorf("toBytes(%q): got %v, %v; want %v, %q", tt.in, got, err, tt.want, tt.err)
		}
	}
}
