package transport

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestPipeListenerHTTP serves HTTP in process, including a hijacked stream
// whose client half-closes, and a keep-alive connection that net/http
// abandons with a read deadline.
func TestPipeListenerHTTP(t *testing.T) {
	l := NewPipeListener()
	mux := http.NewServeMux()
	mux.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hi") })
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		io.WriteString(conn, "HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n")
		data, _ := io.ReadAll(buf) // ends at the client's CloseWrite
		conn.Write([]byte(strings.ToUpper(string(data))))
	})
	srv := &http.Server{Handler: mux}
	go srv.Serve(l)
	defer srv.Close()

	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return l.Dial(ctx)
	}}}
	for i := 0; i < 3; i++ { // reuses the kept-alive connection
		resp, err := client.Get("http://engine/hello")
		if err != nil {
			t.Fatalf("get: %v", err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != "hi" {
			t.Fatalf("body: got %q, want hi", body)
		}
	}

	c, err := l.Dial(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(c, "POST /echo HTTP/1.1\r\nHost: engine\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\nhello")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 101 {
		t.Fatalf("upgrade: got %v %v, want 101", resp, err)
	}
	c.(interface{ CloseWrite() error }).CloseWrite()
	done := make(chan string)
	go func() {
		b, _ := io.ReadAll(br)
		done <- string(b)
	}()
	select {
	case got := <-done:
		if got != "HELLO" {
			t.Errorf("hijacked echo: got %q, want HELLO", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("half-close did not reach the server")
	}
}

func TestPipeDeadline(t *testing.T) {
	a, _ := newPipe()
	a.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	_, err := a.Read(make([]byte, 1))
	if ne, ok := err.(interface{ Timeout() bool }); !ok || !ne.Timeout() {
		t.Errorf("read past deadline: got %v, want a timeout", err)
	}
}
