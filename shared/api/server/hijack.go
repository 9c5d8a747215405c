package server

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/moby/moby/api/types/container"

	"github.com/twinbox-dev/twinbox/shared/api/stream"
	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/engine"
)

// The media types of a hijacked stream. API 1.41 always says raw-stream,
// multiplexed or not; API 1.42 introduced multiplexed-stream for streams
// framed with stdcopy.
const (
	rawStream         = "application/vnd.docker.raw-stream"
	multiplexedStream = "application/vnd.docker.multiplexed-stream"
)

func streamMediaType(version string, multiplexed bool) string {
	if multiplexed && versionAtLeast(version, "1.42") {
		return multiplexedStream
	}
	return rawStream
}

// drainTimeout bounds how long a finished stream waits for the client to
// close its end before the server closes the connection.
const drainTimeout = 30 * time.Second

// session is a hijacked attach or exec connection.
type session struct {
	conn net.Conn

	readMu sync.Mutex    // serialises readers of in: the engine's stdin copier, drains
	in     *bufio.Reader // the client's input, starting with what net/http buffered

	mu     sync.Mutex
	closed bool
}

// hijack takes the connection over from net/http.
func hijack(w http.ResponseWriter) (*session, error) {
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return nil, backend.Errorf(backend.InvalidParameter, "error attaching: hijack connection missing: %w", err)
	}
	return &session{conn: conn, in: brw.Reader}, nil
}

// Read reads the client's input.
func (s *session) Read(p []byte) (int, error) {
	s.readMu.Lock()
	defer s.readMu.Unlock()
	return s.in.Read(p)
}

// stdin is the client's input as the engine gets it. Closing it stops
// reading (a Read blocked on the connection returns) but keeps the output
// open.
type stdin struct {
	s    *session
	once sync.Once
	done chan struct{}
}

func newStdin(s *session) *stdin { return &stdin{s: s, done: make(chan struct{})} }

func (in *stdin) Read(p []byte) (int, error) {
	select {
	case <-in.done:
		return 0, io.EOF
	default:
	}
	n, err := in.s.Read(p)
	select {
	case <-in.done:
		if err != nil {
			return n, io.EOF
		}
	default:
	}
	return n, err
}

func (in *stdin) Close() error {
	in.once.Do(func() {
		close(in.done)
		_ = in.s.conn.SetReadDeadline(time.Now())
	})
	return nil
}

// finish ends the stream as dockerd does: the output side is closed (a
// half-close where the connection has one, so the client reads to the end);
// then the server waits, a bounded time, for the client to close its side,
// and closes the connection.
func (s *session) finish() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.mu.Unlock()
	cw, ok := s.conn.(interface{ CloseWrite() error })
	if !ok || cw.CloseWrite() != nil {
		s.conn.Close()
		return
	}
	_ = s.conn.SetReadDeadline(time.Now().Add(drainTimeout))
	go func() {
		_, _ = io.Copy(io.Discard, s)
		s.conn.Close()
	}()
}

// streams returns the engine's view of the session: output multiplexed
// with stdcopy when asked.
func (s *session) streams(multiplexed bool) engine.Streams {
	st := engine.Streams{Stdin: newStdin(s), Stdout: s.conn, Stderr: s.conn}
	if multiplexed {
		st.Stdout = stream.NewStdWriter(s.conn, stream.Stdout)
		st.Stderr = stream.NewStdWriter(s.conn, stream.Stderr)
	}
	return st
}

// containerAttach answers POST /containers/{name}/attach. Errors the engine
// returns before asking for the streams are written, as dockerd writes
// them, as a bare HTTP response on the hijacked connection; errors after
// travel in the output as "Error attaching: ...".
func (h *Handler) containerAttach(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	if err := parseForm(r); err != nil {
		return err
	}
	if _, ok := w.(http.Hijacker); !ok {
		return backend.Errorf(backend.InvalidParameter, "error attaching to container %s, hijack connection missing", v.name)
	}
	_, upgrade := r.Header["Upgrade"]
	useStdin := boolValue(r, "stdin")
	// The client's input ending is not the client going away: the docker
	// CLI half-closes its side as soon as it has no more stdin to send, and
	// net/http cancels the request's context when a read of the hijacked
	// connection meets that end of input. So the stream outlives the
	// request's context; a client that leaves is noticed when writing its
	// output fails.
	ctx = context.WithoutCancel(ctx)
	var (
		sess    *session
		streams engine.Streams
	)
	getStreams := func(multiplexed bool) (engine.Streams, error) {
		if sess != nil {
			return streams, nil
		}
		s, err := hijack(w)
		if err != nil {
			return engine.Streams{}, err
		}
		sess = s
		mt := streamMediaType(v.version, multiplexed)
		if upgrade {
			fmt.Fprintf(s.conn, "HTTP/1.1 101 UPGRADED\r\nContent-Type: %s\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n", mt)
		} else {
			fmt.Fprintf(s.conn, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\n\r\n", mt)
		}
		streams = s.streams(multiplexed)
		if !useStdin {
			go func() { _, _ = io.Copy(io.Discard, s) }()
		}
		return streams, nil
	}
	err := h.api.ContainerAttach(ctx, v.name, engine.AttachOptions{
		GetStreams: getStreams,
		UseStdin:   useStdin,
		UseStdout:  boolValue(r, "stdout"),
		UseStderr:  boolValue(r, "stderr"),
		Logs:       boolValue(r, "logs"),
		Stream:     boolValue(r, "stream"),
		DetachKeys: r.FormValue("detachKeys"),
	})
	if sess != nil {
		if err != nil {
			fmt.Fprintf(streams.Stdout, "Error attaching: %s\n", err)
		}
		sess.finish()
		return nil
	}
	if err == nil {
		return nil
	}
	h.logf("Handler for %s %s returned error: %v", r.Method, r.URL.Path, err)
	s, herr := hijack(w)
	if herr != nil {
		return err
	}
	status := backend.CodeOf(err).HTTPStatus()
	fmt.Fprintf(s.conn, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n\r\n%s\r\n", status, http.StatusText(status), rawStream, err.Error())
	s.finish()
	return nil
}

// execStart answers POST /exec/{id}/start. Detached, it answers 200 with no
// body once the process runs. Otherwise it hijacks the connection when the
// engine asks for the streams, with the API headers in the upgrade
// response; errors after that are written to the output followed by "\r\n",
// as dockerd does.
func (h *Handler) execStart(ctx context.Context, w http.ResponseWriter, r *http.Request, v vars) error {
	if err := parseForm(r); err != nil {
		return err
	}
	if compareVersions(v.version, "1.21") > 0 {
		if err := checkForJSON(r); err != nil {
			return err
		}
	}
	var req container.ExecStartRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		if errors.Is(err, io.EOF) {
			return backend.Errorf(backend.InvalidParameter, "got EOF while reading request body")
		}
		return backend.WithCode(backend.InvalidParameter, err)
	}
	// The process outlives the request, as in dockerd.
	ctx = context.WithoutCancel(ctx)
	opts := engine.ExecStartOptions{Detach: req.Detach, Tty: req.Tty, ConsoleSize: req.ConsoleSize}
	if req.Detach {
		return h.api.ExecStart(ctx, v.name, opts)
	}
	_, upgrade := r.Header["Upgrade"]
	var (
		sess    *session
		streams engine.Streams
	)
	opts.GetStreams = func(multiplexed bool) (engine.Streams, error) {
		if sess != nil {
			return streams, nil
		}
		s, err := hijack(w)
		if err != nil {
			return engine.Streams{}, err
		}
		sess = s
		mt := streamMediaType(v.version, multiplexed)
		if upgrade {
			fmt.Fprintf(s.conn, "HTTP/1.1 101 UPGRADED\r\nContent-Type: %s\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n", mt)
		} else {
			fmt.Fprintf(s.conn, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\n", mt)
		}
		// The headers the middlewares set, which the hijack dropped.
		_ = w.Header().WriteSubset(s.conn, nil)
		fmt.Fprint(s.conn, "\r\n")
		streams = s.streams(multiplexed)
		return streams, nil
	}
	err := h.api.ExecStart(ctx, v.name, opts)
	if sess == nil {
		return err
	}
	if err != nil {
		h.logf("Error running exec %s in container: %v", v.name, err)
		_, _ = streams.Stdout.Write([]byte(err.Error() + "\r\n"))
	}
	sess.finish()
	return nil
}
