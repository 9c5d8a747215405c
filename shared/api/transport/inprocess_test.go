package transport

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestInProcessAnswers(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) {
		if r.RequestURI != "/hello?x=1" || r.Body == nil || r.ContentLength != 0 {
			t.Errorf("request: got URI %q, body %v, length %d; want a server's request", r.RequestURI, r.Body, r.ContentLength)
		}
		w.Header().Set("Api-Version", "1.41")
		io.WriteString(w, "hi")
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength != -1 {
			t.Errorf("content length of a streamed body: got %d, want -1", r.ContentLength)
		}
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusConflict)
		w.Write(b)
	})
	mux.HandleFunc("/nothing", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	c := &http.Client{Transport: NewInProcess(mux)}

	resp, err := c.Get("http://engine/hello?x=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Status != "200 OK" || string(body) != "hi" || resp.Header.Get("Api-Version") != "1.41" || resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Errorf("got %s %q %v, want 200 OK \"hi\" with Api-Version and a sniffed Content-Type", resp.Status, body, resp.Header)
	}

	pr, pw := io.Pipe()
	go func() { io.WriteString(pw, `{"a":1}`); pw.Close() }()
	resp, err = c.Post("http://engine/echo", "application/json", pr)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusConflict || string(body) != `{"a":1}` {
		t.Errorf("got %s %q, want 409 {\"a\":1}", resp.Status, body)
	}

	resp, err = c.Head("http://engine/hello?x=1")
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := io.Copy(io.Discard, resp.Body); n != 0 {
		t.Errorf("HEAD: got a body of %d bytes, want none", n)
	}
	resp, err = c.Get("http://engine/nothing")
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("got %v %v, want 204", resp, err)
	}
}

// TestInProcessStream reads a streamed answer as it is flushed, and hangs
// up: the handler's context ends.
func TestInProcessStream(t *testing.T) {
	ended := make(chan error, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "first\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
		ended <- r.Context().Err()
	})
	resp, err := NewInProcess(h).RoundTrip(mustRequest(t, context.Background(), "GET", nil))
	if err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if line != "first\n" {
		t.Fatalf("got %q %v, want the flushed line", line, err)
	}
	resp.Body.Close()
	select {
	case err := <-ended:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("got %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the handler's context did not end when the client hung up")
	}

	// The client's context ending fails reads of the body.
	ctx, cancel := context.WithCancel(context.Background())
	resp, err = NewInProcess(h).RoundTrip(mustRequest(t, ctx, "GET", nil))
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := io.ReadAll(resp.Body); !errors.Is(err, context.Canceled) {
		t.Errorf("read after cancel: got %v, want context.Canceled", err)
	}
	<-ended
}

// TestInProcessHijack upgrades as attach does: the handler writes the head
// on the hijacked connection, echoes the input to its end, then closes.
func TestInProcessHijack(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		go func() {
			defer conn.Close()
			io.WriteString(conn, "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n")
			data, _ := io.ReadAll(buf) // ends at the client's CloseWrite
			conn.Write([]byte(strings.ToUpper(string(data))))
		}()
	})
	resp, err := NewInProcess(h).RoundTrip(mustRequest(t, context.Background(), "POST", strings.NewReader("{}")))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols || resp.Header.Get("Content-Type") != "application/vnd.docker.raw-stream" {
		t.Fatalf("got %s %v, want 101 with the stream's type", resp.Status, resp.Header)
	}
	conn, ok := resp.Body.(net.Conn)
	if !ok {
		t.Fatalf("got body %T, want a net.Conn", resp.Body)
	}
	defer conn.Close()
	io.WriteString(conn, "hello")
	conn.(interface{ CloseWrite() error }).CloseWrite()
	out, err := io.ReadAll(conn)
	if string(out) != "HELLO" || err != nil {
		t.Errorf("got %q %v, want HELLO", out, err)
	}
}

// TestInProcessPanic ends the answer with an error, as a server aborts the
// connection.
func TestInProcessPanic(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "partial")
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	})
	resp, err := NewInProcess(h).RoundTrip(mustRequest(t, context.Background(), "GET", nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(resp.Body); err == nil {
		t.Error("got a complete body, want an error")
	}
}

func mustRequest(t *testing.T, ctx context.Context, method string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, method, "http://engine/x", body)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// eofReader records that its reader met the end.
type eofReader struct {
	r   io.Reader
	eof chan struct{}
}

func (e *eofReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF {
		close(e.eof)
	}
	return n, err
}

// TestInProcessSendsWholeBody reads the client's body to its end, as a
// client sends it, though the handler reads only a part.
func TestInProcessSendsWholeBody(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := make([]byte, 4)
		io.ReadFull(r.Body, b)
		w.Write(b)
	})
	body := &eofReader{r: strings.NewReader("head and tail"), eof: make(chan struct{})}
	resp, err := NewInProcess(h).RoundTrip(mustRequest(t, context.Background(), "POST", body))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(got) != "head" {
		t.Errorf("got %q, want %q", got, "head")
	}
	select {
	case <-body.eof:
	case <-time.After(5 * time.Second):
		t.Error("the client's body was not read to its end")
	}
}
