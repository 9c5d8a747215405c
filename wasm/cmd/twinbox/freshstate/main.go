// Command freshstate writes the state of a fresh simulated Docker host
// (busybox loaded, nothing else) as the browser's simulator saves it. The
// page boots a new host from it, which is quicker in the browser than
// loading the base image; make wasm runs it.
//
//	go run ./wasm/cmd/twinbox/freshstate -o site/gen/fresh.state
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/twinbox-dev/twinbox/wasm/cmd/twinbox/internal/state"
	"github.com/twinbox-dev/twinbox/wasm/sim/machine"
)

func main() {
	out := flag.String("o", "fresh.state", "the file to write")
	flag.Parse()
	if err := write(*out); err != nil {
		fmt.Fprintf(os.Stderr, "freshstate: %v\n", err)
		os.Exit(1)
	}
}

func write(out string) error {
	st := state.NewStore()
	m, err := machine.New(context.Background(), machine.Options{Preload: true, Store: st})
	if err != nil {
		return err
	}
	defer m.Close()
	doc, err := state.Save(m, st)
	if err != nil {
		return err
	}
	return os.WriteFile(out, doc, 0o644)
}
