package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/twinbox-dev/twinbox/site"
)

func init() {
	register("serve", "Serve the web app: lessons beside a terminal on a simulated Docker host", serveMain)
}

func serveMain(args []string) int {
	fs := flag.NewFlagSet("twinbox serve", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "the address to listen on (loopback unless you mean otherwise)")
	lessons := fs.String("lessons", "", "serve the lessons of this folder instead of the built-in ones (for writing them)")
	if err := fs.Parse(args); err != nil {
		return 125
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "twinbox serve: unexpected argument %q\n", fs.Arg(0))
		return 125
	}
	var opts site.Options
	if *lessons != "" {
		opts.Lessons = os.DirFS(*lessons)
	}
	h, err := site.New(opts)
	if err != nil {
		fmt.Fprintf(os.Stderr, "twinbox serve: %v\n", err)
		return 1
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "twinbox serve: %v\n", err)
		return 1
	}
	if !h.HasSimulator() {
		fmt.Fprintln(os.Stderr, "twinbox serve: warning: the simulator (wasm) is not built in; run make run")
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	fmt.Printf("twinbox: serving the web app at http://%s/ (Ctrl-C to stop)\n", ln.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(os.Stderr, "twinbox serve: %v\n", err)
		return 1
	}
	return 0
}
