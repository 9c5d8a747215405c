package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/twinbox-dev/twinbox/native"
	"github.com/twinbox-dev/twinbox/native/cmd/internal/clirun"
	"github.com/twinbox-dev/twinbox/native/registry"
	"github.com/twinbox-dev/twinbox/shared/api/server"
	"github.com/twinbox-dev/twinbox/shared/build"
	"github.com/twinbox-dev/twinbox/shared/engine"
	"github.com/twinbox-dev/twinbox/wasm/sim/machine"
)

func init() {
	register("daemon", "Serve the Engine API of a simulated or native engine", daemonMain)
}

func daemonMain(args []string) int {
	fs := flag.NewFlagSet("twinbox daemon", flag.ContinueOnError)
	backendName := fs.String("backend", "native", "the engine's backend: sim or native")
	host := fs.String("host", "unix://"+clirun.DefaultSocket, "where to listen (unix://PATH)")
	root := fs.String("root", "", "the native engine's state directory (default /var/lib/twinbox)")
	preload := fs.Bool("preload", true, "sim: start with busybox:latest loaded, as after `make base` and `twinbox load`")
	bridge := fs.String("bridge", "", "native: the default network's bridge (default twinbox0)")
	if err := fs.Parse(args); err != nil {
		return 125
	}
	if err := serveDaemon(*backendName, *host, *root, *bridge, *preload); err != nil {
		fmt.Fprintf(os.Stderr, "twinbox daemon: %v\n", err)
		return 1
	}
	return 0
}

func serveDaemon(backendName, host, root, bridge string, preload bool) error {
	path, ok := strings.CutPrefix(host, "unix://")
	if !ok {
		return fmt.Errorf("--host %s: only unix:///PATH is served", host)
	}
	ctx := context.Background()
	var (
		handler http.Handler
		closers []io.Closer
	)
	switch backendName {
	case "sim":
		m, err := machine.New(ctx, machine.Options{Preload: preload})
		if err != nil {
			return err
		}
		handler = m.Handler()
		closers = append(closers, m)
	case "native":
		b, err := native.New(native.Options{Root: root, DefaultBridge: bridge})
		if err != nil {
			return err
		}
		st, err := b.RecordStore()
		if err != nil {
			b.Close()
			return err
		}
		e, err := engine.New(ctx, b, engine.Options{Store: st, Registry: &registry.Registry{}})
		if err != nil {
			b.Close()
			return err
		}
		handler = server.New(e, server.Options{Build: build.New(e).Build})
		closers = append(closers, e, st, b)
	default:
		return fmt.Errorf("--backend %s: want sim or native", backendName)
	}
	defer func() {
		for _, c := range closers {
			c.Close()
		}
	}()
	if err := os.MkdirAll(dirOf(path), 0o755); err != nil {
		return err
	}
	l, err := server.ListenUnix(path)
	if err != nil {
		return err
	}
	srv := server.NewServer(handler)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-sigs
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}()
	fmt.Fprintf(os.Stderr, "twinbox daemon: %s engine listening on %s\n", backendName, host)
	if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	os.Remove(path)
	return nil
}

func dirOf(p string) string {
	if i := strings.LastIndexByte(p, '/'); i > 0 {
		return p[:i]
	}
	return "."
}
