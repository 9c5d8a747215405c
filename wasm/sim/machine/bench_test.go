package machine

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"

	"github.com/twinbox-dev/twinbox/shared/api/wire"
	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/engine"
)

// BenchmarkRunDiffCommit is issue 2's cycle through the engine on the
// simulator: run `sh -c 'touch /a'`, docker diff, docker commit.
func BenchmarkRunDiffCommit(b *testing.B) {
	ctx := context.Background()
	m, err := New(ctx, Options{Preload: true})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	e := m.Engine
	for b.Loop() {
		c, err := e.ContainerCreate(ctx, engine.CreateOptions{Config: &container.Config{Image: "busybox", Cmd: []string{"sh", "-c", "touch /a"}}})
		if err != nil {
			b.Fatal(err)
		}
		w, _ := e.ContainerWait(ctx, c.ID, container.WaitConditionNextExit)
		if err := e.ContainerStart(ctx, c.ID); err != nil {
			b.Fatal(err)
		}
		<-w
		if ch, err := e.ContainerChanges(ctx, c.ID); err != nil || len(ch) != 1 {
			b.Fatalf("diff: %v %v", ch, err)
		}
		if _, err := e.Commit(ctx, c.ID, engine.CommitOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDiff10k is `docker diff` of a container with 10,000 added files.
func BenchmarkDiff10k(b *testing.B) {
	ctx := context.Background()
	m, err := New(ctx, Options{Preload: true})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	e := m.Engine
	c, err := e.ContainerCreate(ctx, engine.CreateOptions{Config: &container.Config{Image: "busybox", Cmd: []string{"true"}}})
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "many/", Typeflag: tar.TypeDir, Mode: 0o755})
	for i := 0; i < 10000; i++ {
		tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("many/f%05d", i), Typeflag: tar.TypeReg, Mode: 0o644, Size: 1})
		tw.Write([]byte("x"))
	}
	tw.Close()
	if err := e.ContainerExtractToDir(ctx, c.ID, "/", false, false, &buf); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		ch, err := e.ContainerChanges(ctx, c.ID)
		if err != nil || len(ch) != 10001 {
			b.Fatalf("diff: %d changes, %v", len(ch), err)
		}
	}
}

// BenchmarkIdleExitedContainer reports the memory one exited container
// costs the engine and the simulator together (its files are a few bytes).
func BenchmarkIdleExitedContainer(b *testing.B) {
	ctx := context.Background()
	m, err := New(ctx, Options{Preload: true})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	e := m.Engine
	const n = 200
	run := func() {
		c, err := e.ContainerCreate(ctx, engine.CreateOptions{Config: &container.Config{Image: "busybox", Cmd: []string{"sh", "-c", "echo hi > /a"}}})
		if err != nil {
			b.Fatal(err)
		}
		w, _ := e.ContainerWait(ctx, c.ID, container.WaitConditionNextExit)
		if err := e.ContainerStart(ctx, c.ID); err != nil {
			b.Fatal(err)
		}
		<-w
	}
	run() // warm up
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for i := 0; i < n; i++ {
			run()
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "B/container")
	}
}

// BenchmarkNetworkInspect100 is issue 6's simulator figure: `docker network
// inspect` of a user-defined network with 100 running containers on it
// (target ≤ 5 ms). Setting up the containers reports their start time.
func BenchmarkNetworkInspect100(b *testing.B) {
	ctx := context.Background()
	m, err := New(ctx, Options{Preload: true})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	e := m.Engine
	if _, err := e.NetworkCreate(ctx, wire.NetworkCreateRequest{Name: "bench"}); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	for i := range 100 {
		c, err := e.ContainerCreate(ctx, engine.CreateOptions{Name: fmt.Sprintf("c%03d", i),
			Config:     &container.Config{Image: "busybox", Cmd: []string{"sleep", "3600"}},
			HostConfig: &container.HostConfig{NetworkMode: "bench"}})
		if err != nil {
			b.Fatal(err)
		}
		if err := e.ContainerStart(ctx, c.ID); err != nil {
			b.Fatal(err)
		}
	}
	perStart := float64(time.Since(start).Microseconds()) / 100
	veths := 0
	for _, br := range m.Backend.Net().Bridges() {
		if br.Link.Name != "docker0" {
			veths += len(br.Ports())
		}
	}
	if veths != 100 {
		b.Fatalf("got %d veths on the network's bridge, want 100", veths)
	}
	b.ResetTimer()
	for b.Loop() {
		n, err := e.NetworkInspect(ctx, "bench")
		if err != nil || len(n.Containers) != 100 {
			b.Fatalf("inspect: %d containers, %v", len(n.Containers), err)
		}
	}
	b.ReportMetric(perStart, "µs/container-start")
}

// BenchmarkHostDocker is a docker command typed in the simulated host's
// shell, as the browser's terminal runs it, without the page: the shell,
// the docker program (the CLI, its command tree, the router in process,
// the engine) and the output. In the browser add the messages to and from
// the worker and the terminal's drawing (issue 7's ≤ 5 ms p50):
//
//	go test ./wasm/sim/machine -run '^$' -bench HostDocker -count 5
//	GOOS=js GOARCH=wasm go test -exec="$(go env GOROOT)/lib/wasm/go_js_wasm_exec" ./wasm/sim/machine -run '^$' -bench HostDocker -count 5
func BenchmarkHostDocker(b *testing.B) {
	ctx := context.Background()
	m, err := New(ctx, Options{Preload: true})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	for i := range 3 {
		hostBench(b, m, fmt.Sprintf("docker run -d --name c%d busybox sleep 3600 >/dev/null", i))
	}
	hostBench(b, m, "docker run --name changed busybox sh -c 'mkdir /tmp/d && touch /tmp/d/f && rm /etc/group'")
	for _, cmd := range []string{"docker ps", "docker diff changed", "docker --version"} {
		b.Run(strings.Fields(cmd)[1], func(b *testing.B) {
			for b.Loop() {
				hostBench(b, m, cmd)
			}
		})
	}
}

// hostBench runs script in the host's shell and fails b if it fails.
func hostBench(b *testing.B, m *Machine, script string) {
	var out bytes.Buffer
	p, err := m.Backend.StartHost(context.Background(), &backend.ProcessSpec{
		Args: []string{"sh", "-c", script},
		Env:  []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
	}, backend.Stdio{Stdout: &out, Stderr: &out})
	if err != nil {
		b.Fatal(err)
	}
	if st, err := p.Wait(context.Background()); err != nil || st.Code != 0 {
		b.Fatalf("%s: exit %d, %v\n%s", script, st.Code, err, out.String())
	}
}
