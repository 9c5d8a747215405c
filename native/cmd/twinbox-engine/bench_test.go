package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var builtBin = "../../../bin/twinbox"

// BenchmarkRunRm is issue 4's end-to-end figure: `twinbox run --rm busybox
// true` from the CLI (a process of its own, as a user types it) against a
// native daemon, with the default bridge and with --net none. It runs
// bin/twinbox as `make build` left it, and for comparison
// bin/twinbox-engine, which runs docker commands too but is the whole
// engine to start.
func BenchmarkRunRm(b *testing.B) {
	d, bin := benchDaemon(b, "tbxb")
	for _, c := range []struct{ name, args string }{
		{"bridge", "--net bridge"},
		{"none", "--net none"},
		// Issue 6: with a published port (a proxy listening and closed).
		{"publish", "--net bridge -p 80"},
	} {
		for _, cli := range []string{bin, filepath.Join(filepath.Dir(bin), "twinbox-engine")} {
			b.Run(c.name+"/"+filepath.Base(cli), func(b *testing.B) {
				args := append([]string{"--host", "unix://" + d.sock, "run", "--rm"}, strings.Fields(c.args)...)
				args = append(args, "busybox", "true")
				for b.Loop() {
					if out, err := exec.Command(cli, args...).CombinedOutput(); err != nil {
						b.Fatalf("%v\n%s", err, out)
					}
				}
			})
		}
	}
}

// BenchmarkHundredOnBridge is issue 6's scale figure: 100 containers
// started (`run -d`, each from the CLI) on one user-defined network and
// removed with one `rm -f`; it reports the time per container and fails
// when a veth, a listener or a bridge is left.
func BenchmarkHundredOnBridge(b *testing.B) {
	d, _ := benchDaemon(b, "tbxh")
	if out, err := d.docker("network", "create", "hundred"); err != nil {
		b.Fatalf("network create: %v\n%s", err, out)
	}
	id, _ := d.docker("network", "inspect", "-f", "{{.Id}}", "hundred")
	brif := "/sys/class/net/br-" + strings.TrimSpace(id)[:12] + "/brif"
	const n = 100
	for b.Loop() {
		names := make([]string, n)
		for i := range names {
			names[i] = fmt.Sprintf("c%03d", i)
			if out, err := d.docker("run", "-d", "--name", names[i], "--network", "hundred", "busybox", "sleep", "600"); err != nil {
				b.Fatalf("run %s: %v\n%s", names[i], err, out)
			}
		}
		if ports, _ := os.ReadDir(brif); len(ports) != n {
			b.Fatalf("%d veths on the bridge, want %d", len(ports), n)
		}
		if out, err := d.docker(append([]string{"rm", "-f"}, names...)...); err != nil {
			b.Fatalf("rm: %v\n%s", err, out)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N*n), "ms/container")
	b.StopTimer()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		ports, _ := os.ReadDir(brif)
		if len(ports) == 0 {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d veths left on the bridge 5 s after rm", len(ports))
		}
	}
	if out, err := d.docker("network", "rm", "hundred"); err != nil {
		b.Fatalf("network rm: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Dir(brif)); err == nil {
		b.Fatal("the network's bridge is left")
	}
}

// benchDaemon is a private native daemon for a benchmark of bin/twinbox as
// `make build` left it; it skips where that cannot run.
func benchDaemon(b *testing.B, prefix string) (*crashDaemon, string) {
	b.Helper()
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
	return newPrivateDaemon(b, bin, prefix), bin
}
