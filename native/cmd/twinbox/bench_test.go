package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/twinbox-dev/twinbox/native/network"
)

var builtBin = "../../../bin/twinbox"

// BenchmarkRunRm is issue 4's end-to-end figure: `twinbox run --rm busybox
// true` from the CLI (a process of its own, as a user types it) against a
// native daemon, with the default bridge and with --net none. It runs
// bin/twinbox as `make build` left it.
func BenchmarkRunRm(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("the native engine needs root")
	}
	bin, err := filepath.Abs(builtBin)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := os.Stat(bin); err != nil {
		b.Skipf("%s is missing (make build)", builtBin)
	}
	if _, err := os.Stat(*baseImage); err != nil {
		b.Skipf("the base image %s is missing (make base)", *baseImage)
	}
	dir := b.TempDir()
	d := &crashDaemon{
		bin:    bin,
		root:   filepath.Join(dir, "root"),
		sock:   filepath.Join(dir, "engine.sock"),
		bridge: fmt.Sprintf("tbxb%d", os.Getpid()%100000),
	}
	d.start(b)
	defer func() {
		d.cmd.Process.Signal(os.Interrupt)
		d.cmd.Wait()
		network.RemoveBridge(d.bridge)
	}()
	if out, err := d.docker("load", "-i", *baseImage); err != nil {
		b.Fatalf("load: %v\n%s", err, out)
	}
	for _, net := range []string{"bridge", "none"} {
		b.Run(net, func(b *testing.B) {
			args := []string{"--host", "unix://" + d.sock, "run", "--rm", "--net", net, "busybox", "true"}
			for b.Loop() {
				if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
					b.Fatalf("%v\n%s", err, out)
				}
			}
		})
	}
}
