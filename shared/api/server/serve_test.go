package server

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/twinbox-dev/twinbox/shared/engine"
)

func TestListenUnix(t *testing.T) {
	dir := t.TempDir()
	t.Run("mode 0660", func(t *testing.T) {
		path := filepath.Join(dir, "a.sock")
		l, err := ListenUnix(path)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Type() != fs.ModeSocket || fi.Mode().Perm() != 0o660 {
			t.Errorf("got mode %v, want a socket with 0660", fi.Mode())
		}
	})
	t.Run("stale socket is replaced", func(t *testing.T) {
		path := filepath.Join(dir, "stale.sock")
		l, err := net.Listen("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		l.(*net.UnixListener).SetUnlinkOnClose(false)
		l.Close() // a daemon that died: the file stays, nobody answers
		l2, err := ListenUnix(path)
		if err != nil {
			t.Fatalf("got %v, want the stale socket replaced", err)
		}
		l2.Close()
	})
	t.Run("live socket is refused", func(t *testing.T) {
		path := filepath.Join(dir, "live.sock")
		l, err := ListenUnix(path)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		if l2, err := ListenUnix(path); err == nil {
			l2.Close()
			t.Errorf("got a second listener on a live socket, want an error")
		}
	})
	t.Run("not a socket", func(t *testing.T) {
		path := filepath.Join(dir, "file")
		os.WriteFile(path, nil, 0o600)
		if l, err := ListenUnix(path); err == nil {
			l.Close()
			t.Errorf("got a listener over a regular file, want an error")
		}
	})
}

// TestShutdownWaitsForStreams checks that Shutdown lets an attached stream
// finish, and that a Shutdown whose context ends closes the stream.
func TestShutdownWaitsForStreams(t *testing.T) {
	for _, graceful := range []bool{true, false} {
		t.Run(fmt.Sprintf("graceful=%v", graceful), func(t *testing.T) {
			tr := listeners(t)["unix"]
			release := make(chan struct{})
			f := &fakeAPI{attach: func(ctx context.Context, name string, opts engine.AttachOptions) error {
				st, err := opts.GetStreams(false)
				if err != nil {
					return err
				}
				<-release
				fmt.Fprint(st.Stdout, "bye\n")
				return nil
			}}
			srv := NewServer(newHandler(f, Options{}))
			served := make(chan error, 1)
			go func() { served <- srv.Serve(tr.l) }()
			conn, resp, br := rawRequest(t, tr.dial, "POST", "/v1.41/containers/web/attach?stream=1&stdout=1", "", true)
			defer conn.Close()
			if resp.StatusCode != 101 {
				t.Fatalf("got status %d, want 101", resp.StatusCode)
			}
			ctx, cancel := context.WithCancel(context.Background())
			if !graceful {
				cancel()
			}
			shut := make(chan error, 1)
			go func() { shut <- srv.Shutdown(ctx) }()
			if err := <-served; err != nil {
				t.Errorf("got Serve error %v, want nil after Shutdown", err)
			}
			if graceful {
				close(release)
				rest, _ := io.ReadAll(br)
				if string(rest) != "bye\n" {
					t.Errorf("got %q, want the stream to finish with %q", rest, "bye\n")
				}
				conn.Close()
				if err := <-shut; err != nil {
					t.Errorf("got Shutdown error %v, want nil", err)
				}
			} else {
				if err := <-shut; err != context.Canceled {
					t.Errorf("got Shutdown error %v, want %v", err, context.Canceled)
				}
				if rest, _ := io.ReadAll(br); len(rest) != 0 {
					t.Errorf("got %q, want the stream cut", rest)
				}
				close(release)
			}
			cancel()
			if _, err := tr.dial(); err == nil {
				t.Errorf("got a connection after Shutdown, want none")
			}
		})
	}
}
