package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/twinbox-dev/twinbox/native/cmd/internal/clirun"
	"github.com/twinbox-dev/twinbox/shared/api/client"
	"github.com/twinbox-dev/twinbox/shared/api/transport"
	"github.com/twinbox-dev/twinbox/shared/viz"
	"github.com/twinbox-dev/twinbox/wasm/sim/machine"
)

func init() {
	register("viz", "Draw the engine's state as SVG: viz layers IMAGE | container NAME | containers | lifecycle | network | processes", vizMain)
}

// vizMain draws the same pictures as the web app's panels, from the engine
// the CLI talks to (DOCKER_HOST, else twinbox's daemon).
func vizMain(args []string) int {
	fs := flag.NewFlagSet("twinbox viz", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(os.Stderr, "Usage:  twinbox viz [-sim] layers IMAGE | container NAME | containers | lifecycle | network | processes  > out.svg")
	}
	sim := fs.Bool("sim", false, "draw from a fresh simulated Docker host (busybox loaded) instead of the engine")
	if err := fs.Parse(args); err != nil {
		return 125
	}
	want := map[string]int{"layers": 2, "container": 2, "containers": 1, "lifecycle": 1, "network": 1, "processes": 1}
	if fs.NArg() == 0 || want[fs.Arg(0)] != fs.NArg() {
		fs.Usage()
		return 125
	}
	ctx := context.Background()
	var dial transport.DialFunc
	if *sim {
		m, err := machine.New(ctx, machine.Options{Preload: true})
		if err != nil {
			fmt.Fprintf(os.Stderr, "twinbox viz: %v\n", err)
			return 1
		}
		defer m.Close()
		dial = m.Dial
	} else {
		host := os.Getenv("DOCKER_HOST")
		if host == "" {
			host = "unix://" + clirun.DefaultSocket
			clirun.EnsureDaemon(clirun.DefaultSocket, self())
		}
		d, err := transport.Parse(host)
		if err != nil {
			fmt.Fprintf(os.Stderr, "twinbox viz: %v\n", err)
			return 1
		}
		dial = d
	}
	c := client.New(dial)
	defer c.Close()
	var err error
	var svg []byte
	switch fs.Arg(0) {
	case "layers":
		var img viz.Image
		if img, err = viz.FetchImage(ctx, c, fs.Arg(1)); err == nil {
			svg = viz.Layers(img)
		}
	case "container":
		var cfs viz.ContainerFS
		if cfs, err = viz.FetchContainer(ctx, c, fs.Arg(1)); err == nil {
			svg = viz.Container(cfs)
		}
	case "containers", "lifecycle":
		var list []viz.ContainerState
		if list, err = viz.FetchContainers(ctx, c); err == nil {
			svg = viz.Containers(list)
			if fs.Arg(0) == "lifecycle" {
				svg = viz.Lifecycle(list)
			}
		}
	case "network":
		var n viz.Networking
		if n, err = viz.FetchNetwork(ctx, c); err == nil {
			svg = viz.Network(n)
		}
	case "processes":
		var t viz.ProcessTable
		if t, err = viz.FetchProcesses(ctx, c); err == nil {
			svg = viz.Processes(t)
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "twinbox viz: %v\n", err)
		return 1
	}
	os.Stdout.Write(svg)
	return 0
}
