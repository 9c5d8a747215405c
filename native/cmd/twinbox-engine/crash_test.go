package main

// A native daemon killed with SIGKILL in the middle of a commit leaves a
// store that the next daemon loads: images and containers list, the image
// being committed is either whole or absent, and new work succeeds.

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twinbox-dev/twinbox/native/network"
)

// crashDaemon is a native daemon on a root that outlives it.
type crashDaemon struct {
	bin, root, sock, bridge string
	cmd                     *exec.Cmd
	log                     bytes.Buffer
}

func (d *crashDaemon) start(t testing.TB) {
	t.Helper()
	d.log.Reset()
	d.cmd = exec.Command(d.bin, "daemon", "--backend", "native", "--host", "unix://"+d.sock, "--root", d.root, "--bridge", d.bridge)
	d.cmd.Stdout, d.cmd.Stderr = &d.log, &d.log
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("unix", d.sock); err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("daemon did not listen:\n%s", d.log.String())
		}
	}
}

func (d *crashDaemon) kill() {
	if d.cmd != nil && d.cmd.Process != nil {
		d.cmd.Process.Kill()
		d.cmd.Wait()
	}
	d.cmd = nil
}

// docker runs bin/twinbox as the CLI against d.
func (d *crashDaemon) docker(args ...string) (string, error) {
	cmd := exec.Command(d.bin, append([]string{"--host", "unix://" + d.sock}, args...)...)
	cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+filepath.Join(d.root, "..", "cli"))
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// newPrivateDaemon starts a native daemon on a private root, socket and
// bridge (named prefix and the test process's PID), loads the base image
// into it, and on cleanup removes its containers, stops it and deletes
// its bridge. It skips when the base image is missing.
func newPrivateDaemon(t testing.TB, bin, prefix string) *crashDaemon {
	t.Helper()
	if _, err := os.Stat(*baseImage); err != nil {
		t.Skipf("the base image %s is missing (make base)", *baseImage)
	}
	dir := t.TempDir()
	d := &crashDaemon{
		bin:    bin,
		root:   filepath.Join(dir, "root"),
		sock:   filepath.Join(dir, "engine.sock"),
		bridge: fmt.Sprintf("%s%d", prefix, os.Getpid()%100000),
	}
	d.start(t)
	t.Cleanup(func() {
		if d.cmd == nil {
			d.start(t)
		}
		if ids, _ := d.docker("ps", "-aq"); strings.TrimSpace(ids) != "" {
			d.docker(append([]string{"rm", "-f"}, strings.Fields(ids)...)...)
		}
		d.docker("network", "prune", "-f")
		d.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { d.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			d.kill()
		}
		network.RemoveBridge(d.bridge)
	})
	if out, err := d.docker("load", "-i", *baseImage); err != nil {
		t.Fatalf("load: %v\n%s", err, out)
	}
	return d
}

func TestDaemonKilledMidCommit(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the native engine needs root")
	}
	d := newPrivateDaemon(t, buildTwinbox(t), "tbxk")
	// A read-write layer big enough that its commit takes a while.
	if out, err := d.docker("run", "--name", "big", "busybox", "sh", "-c",
		"mkdir /data && cd /data && for i in $(seq 1 400); do dd if=/dev/zero of=f$i bs=64k count=1 2>/dev/null; done"); err != nil {
		t.Fatalf("run: %v\n%s", err, out)
	}
	interrupted := 0
	for round, delay := range []time.Duration{5, 20, 60, 150} {
		delay *= time.Millisecond
		tag := fmt.Sprintf("snap:%d", round)
		commit := exec.Command(d.bin, "--host", "unix://"+d.sock, "commit", "big", tag)
		if err := commit.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		d.kill()
		if commit.Wait() != nil {
			interrupted++
		}

		d.start(t)
		images, err := d.docker("images", "--format", "{{.Repository}}:{{.Tag}} {{.Size}}")
		if err != nil {
			t.Fatalf("round %d: images after the kill: %v\n%s\n%s", round, err, images, d.log.String())
		}
		if !strings.Contains(images, "busybox:latest") {
			t.Fatalf("round %d: busybox is gone after the kill:\n%s", round, images)
		}
		ps, err := d.docker("ps", "-a", "--format", "{{.Names}} {{.Status}}")
		if err != nil || !strings.Contains(ps, "big Exited (0)") {
			t.Fatalf("round %d: ps -a after the kill: %v\n%s", round, err, ps)
		}
		// The image is whole or absent: when listed, a container runs from it
		// and sees every file.
		if strings.Contains(images, tag+" ") {
			out, err := d.docker("run", "--rm", tag, "sh", "-c", "ls /data | wc -l")
			if err != nil || strings.TrimSpace(out) != "400" {
				t.Fatalf("round %d: %s was listed but is not whole: %v %q", round, tag, err, out)
			}
		}
	}
	if interrupted == 0 {
		t.Fatal("no commit was interrupted: every kill came after the commit ended")
	}
	t.Logf("%d of 4 commits interrupted", interrupted)
	// And the store takes new work.
	if out, err := d.docker("commit", "big", "snap:after"); err != nil {
		t.Fatalf("commit after the kills: %v\n%s", err, out)
	}
	if out, err := d.docker("run", "--rm", "snap:after", "sh", "-c", "ls /data | wc -l"); err != nil || strings.TrimSpace(out) != "400" {
		t.Fatalf("run of the new image: %v %q", err, out)
	}
}
