package sim

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/image"
	"github.com/twinbox-dev/twinbox/wasm/sim/kernel"
	"github.com/twinbox-dev/twinbox/wasm/sim/sys"
	"github.com/twinbox-dev/twinbox/wasm/sim/vfs"
)

// registry is a test sys.Registry.
type registry map[string]sys.Program

func (r registry) Lookup(name string) (sys.Program, bool) {
	p, ok := r[name]
	return p, ok
}

// testPrograms are the applets of the test image's "testbox" binary.
var testPrograms = registry{
	"true": func(p sys.Proc) int { return 0 },
	"exit": func(p sys.Proc) int {
		n, _ := strconv.Atoi(p.Args()[1])
		return n
	},
	"echo": func(p sys.Proc) int {
		fmt.Fprintln(p.Stdout(), strings.Join(p.Args()[1:], " "))
		return 0
	},
	"sleep": func(p sys.Proc) int {
		d, _ := time.ParseDuration(p.Args()[1])
		if p.Sleep(d) != nil {
			return 1
		}
		return 0
	},
	"wait": func(p sys.Proc) int {
		<-p.Context().Done()
		return 0
	},
	// cat FILE... or stdin.
	"cat": func(p sys.Proc) int {
		if len(p.Args()) == 1 {
			if _, err := io.Copy(p.Stdout(), p.Stdin()); err != nil {
				return 1
			}
			return 0
		}
		for _, f := range p.Args()[1:] {
			data, err := vfs.ReadFile(p.FS(), f)
			if err != nil {
				fmt.Fprintln(p.Stderr(), "cat:", err)
				return 1
			}
			p.Stdout().Write(data)
		}
		return 0
	},
	// write FILE TEXT
	"write": func(p sys.Proc) int {
		err := vfs.WriteFile(p.FS(), p.Args()[1], []byte(p.Args()[2]+"\n"), 0o644)
		if err != nil {
			fmt.Fprintln(p.Stderr(), "write:", err)
			return 1
		}
		return 0
	},
	"rm": func(p sys.Proc) int {
		if err := p.FS().Remove(p.Args()[1]); err != nil {
			fmt.Fprintln(p.Stderr(), "rm:", err)
			return 1
		}
		return 0
	},
	"readlink": func(p sys.Proc) int {
		s, err := p.FS().Readlink(p.Args()[1])
		if err != nil {
			fmt.Fprintln(p.Stderr(), "readlink:", err)
			return 1
		}
		fmt.Fprintln(p.Stdout(), s)
		return 0
	},
	"ps": func(p sys.Proc) int {
		for _, in := range p.Processes() {
			fmt.Fprintf(p.Stdout(), "%d %d %s %s\n", in.PID, in.PPID, in.State, in.Comm)
		}
		return 0
	},
	"hostname": func(p sys.Proc) int {
		fmt.Fprintln(p.Stdout(), p.Hostname())
		return 0
	},
	"env": func(p sys.Proc) int {
		for _, kv := range p.Environ() {
			fmt.Fprintln(p.Stdout(), kv)
		}
		return 0
	},
	"id": func(p sys.Proc) int {
		c := p.Cred()
		fmt.Fprintf(p.Stdout(), "%d %d %v\n", c.UID, c.GID, c.Groups)
		return 0
	},
	"pwd": func(p sys.Proc) int {
		fmt.Fprintln(p.Stdout(), p.Dir())
		return 0
	},
	// ready prints "ready", then waits to be killed.
	"ready": func(p sys.Proc) int {
		fmt.Fprintln(p.Stdout(), "ready")
		p.Sleep(time.Hour)
		return 0
	},
}

// testImage is a base layer: /bin/testbox, a link to it for each test
// program, /etc/passwd and /etc/group as busybox's, /tmp and /root.
func testImage(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := image.NewLayerWriter(&buf, nil)
	epoch := time.Unix(0, 0)
	add := func(e image.Entry, data []byte) {
		e.ModTime = epoch
		if err := w.WriteEntry(&e, bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
	}
	add(image.Entry{Path: "bin", Type: image.TypeDir, Mode: 0o755}, nil)
	names := make([]string, 0, len(testPrograms))
	for name := range testPrograms {
		names = append(names, name)
	}
	names = append(names, "testbox")
	sort.Strings(names)
	bin := simulatedBinary("testbox", 4096)
	for _, name := range names {
		if name == "testbox" {
			add(image.Entry{Path: "bin/testbox", Type: image.TypeRegular, Mode: 0o755, Size: int64(len(bin))}, bin)
			continue
		}
		add(image.Entry{Path: "bin/" + name, Type: image.TypeSymlink, Mode: 0o777, Linkname: "testbox"}, nil)
	}
	passwd := []byte("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n")
	group := []byte("root:x:0:\nnogroup:x:65534:\n")
	add(image.Entry{Path: "etc", Type: image.TypeDir, Mode: 0o755}, nil)
	add(image.Entry{Path: "etc/group", Type: image.TypeRegular, Mode: 0o644, Size: int64(len(group))}, group)
	add(image.Entry{Path: "etc/passwd", Type: image.TypeRegular, Mode: 0o644, Size: int64(len(passwd))}, passwd)
	add(image.Entry{Path: "root", Type: image.TypeDir, Mode: 0o700}, nil)
	add(image.Entry{Path: "tmp", Type: image.TypeDir, Mode: 0o1777}, nil)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// machine is a simulated host with the test image as a layer.
type machine struct {
	b     *Backend
	base  backend.Layer
	ctx   context.Context
	clock *kernel.FakeClock
}

func newMachine(t testing.TB) *machine {
	t.Helper()
	m := &machine{ctx: context.Background()}
	m.b = New(Options{
		Registry:     testPrograms,
		HostCommands: Commands("testbox", []string{"echo", "hostname", "ps", "sleep", "cat"}),
		OnPanic: func(p *kernel.Process, v any, stack []byte) {
			t.Errorf("%v panicked: %v\n%s", p, v, stack)
		},
	})
	t.Cleanup(func() { m.b.Close() })
	l, err := m.b.ApplyLayer(m.ctx, "", bytes.NewReader(testImage(t)))
	if err != nil {
		t.Fatal(err)
	}
	m.base = l
	return m
}

var containerN int

// create makes a container on the test image and returns its ID.
func (m *machine) create(t testing.TB) string {
	t.Helper()
	containerN++
	id := fmt.Sprintf("%064x", containerN)
	if err := m.b.CreateRootfs(m.ctx, id, m.base.ChainID); err != nil {
		t.Fatal(err)
	}
	return id
}

// spec is a container spec running args as Docker would.
func spec(args ...string) *backend.Spec {
	return &backend.Spec{
		Process: backend.ProcessSpec{
			Args: args,
			Env:  []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME=c0ffee"},
			Cwd:  "/",
		},
		Hostname: "c0ffee",
		Network:  backend.NetworkSpec{Mode: "none"},
		Files: map[string][]byte{
			"/etc/hostname":    []byte("c0ffee\n"),
			"/etc/hosts":       []byte("127.0.0.1\tlocalhost\n"),
			"/etc/resolv.conf": []byte("nameserver 8.8.8.8\n"),
		},
	}
}

// start starts a container and returns its process and output.
func (m *machine) start(t testing.TB, id string, s *backend.Spec) (backend.Process, *syncBuffer) {
	t.Helper()
	out := &syncBuffer{}
	p, err := m.b.Start(m.ctx, id, s, backend.Stdio{Stdout: out, Stderr: out})
	if err != nil {
		t.Fatalf("start %q: %v", s.Process.Args, err)
	}
	return p, out
}

// run starts a container, waits for it and returns its status and output.
func (m *machine) run(t testing.TB, id string, s *backend.Spec) (int, string) {
	t.Helper()
	p, out := m.start(t, id, s)
	return wait(t, p), out.String()
}

func wait(t testing.TB, p backend.Process) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := p.Wait(ctx)
	if err != nil {
		t.Fatalf("wait: %v", err)
	}
	return st.Code
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// eventually polls cond until it holds: synchronisation, not timing.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never happened: %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func readHost(t testing.TB, b *Backend, name string) string {
	t.Helper()
	data, err := vfs.ReadFile(b.host, name)
	if err != nil {
		t.Fatalf("read host %s: %v", name, err)
	}
	return string(data)
}
