package sim

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

func TestContainerNamespaces(t *testing.T) {
	m := newMachine(t)
	id := m.create(t)
	p, out := m.start(t, id, spec("sleep", "300s"))
	if p.Pid() <= 1 {
		t.Errorf("got host PID %d, want a large one", p.Pid())
	}
	// What the container's first process sees: PID 1, no parent.
	xp, err := m.b.Exec(m.ctx, id, &backend.ProcessSpec{Args: []string{"ps"}, Cwd: "/"}, backend.Stdio{Stdout: out, Stderr: out})
	if err != nil {
		t.Fatal(err)
	}
	wait(t, xp)
	if got, want := out.String(), "1 0 S sleep\n2 0 R ps\n"; got != want {
		t.Errorf("ps inside: got %q, want %q", got, want)
	}
	// What the host sees: the shim is the parent.
	procs, err := m.b.Processes(m.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(procs) != 1 || procs[0].PID != p.Pid() || procs[0].Comm != "sleep" || procs[0].User != "root" || procs[0].TTY != "?" {
		t.Fatalf("got processes %+v, want sleep with PID %d", procs, p.Pid())
	}
	shim := m.b.k.Find(procs[0].PPID)
	if shim == nil || shim.Info(nil).Comm != "containerd-shim" || shim.Info(nil).PPID != 1 {
		t.Errorf("got parent %v, want containerd-shim, child of init", shim)
	}
	// Hostname and namespaces.
	if code, got := m.runExec(t, id, "hostname"); code != 0 || got != "c0ffee\n" {
		t.Errorf("hostname: got %d %q, want c0ffee", code, got)
	}
	code, link := m.runExec(t, id, "readlink", "/proc/1/ns/pid")
	init := m.b.k.Find(p.Pid())
	if want := "pid:[" + strconv.FormatUint(init.Namespaces().PID.Inode(), 10) + "]\n"; code != 0 || link != want {
		t.Errorf("/proc/1/ns/pid: got %d %q, want %q", code, link, want)
	}
	if host := m.b.k.RootNamespaces().PID.Inode(); strings.Contains(link, strconv.FormatUint(host, 10)) {
		t.Errorf("container shares the host's PID namespace %d", host)
	}
	// docker stop: SIGTERM does nothing to sleep as PID 1, SIGKILL ends it.
	p.Signal(backend.SIGTERM)
	if err := p.Signal(backend.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if got := wait(t, p); got != 137 {
		t.Errorf("got status %d, want 137", got)
	}
	if err := p.Signal(backend.SIGKILL); !backend.IsConflict(err) {
		t.Errorf("signal after exit: got %v, want Conflict", err)
	}
	if _, err := m.b.Exec(m.ctx, id, &backend.ProcessSpec{Args: []string{"true"}}, backend.Stdio{}); !backend.IsConflict(err) {
		t.Errorf("exec in a stopped container: got %v, want Conflict", err)
	}
	if n := len(m.b.k.Processes(nil)); n != 3 {
		t.Errorf("got %d processes on the host after the container, want 3 (init, containerd, dockerd)", n)
	}
}

// runExec runs args in running container id.
func (m *machine) runExec(t *testing.T, id string, args ...string) (int, string) {
	t.Helper()
	out := &syncBuffer{}
	p, err := m.b.Exec(m.ctx, id, &backend.ProcessSpec{Args: args, Cwd: "/"}, backend.Stdio{Stdout: out, Stderr: out})
	if err != nil {
		t.Fatalf("exec %q: %v", args, err)
	}
	return wait(t, p), out.String()
}

func TestStartErrors(t *testing.T) {
	m := newMachine(t)
	tests := []struct {
		args   []string
		reason string
	}{
		{[]string{"nosuchcmd"}, "executable file not found in $PATH"},
		{[]string{"/nosuch"}, "stat /nosuch: no such file or directory"},
		{[]string{"/etc/passwd"}, "permission denied"},
		{[]string{"/tmp"}, "permission denied"},
	}
	before := len(m.b.k.Processes(nil))
	for _, tt := range tests {
		t.Run(tt.args[0], func(t *testing.T) {
			id := m.create(t)
			_, err := m.b.Start(m.ctx, id, spec(tt.args...), backend.Stdio{})
			var xe *backend.ExecError
			if !errors.As(err, &xe) || xe.Reason != tt.reason {
				t.Fatalf("got %v, want an ExecError %q", err, tt.reason)
			}
			if n := len(m.b.k.Processes(nil)); n != before {
				t.Errorf("got %d processes after a failed start, want %d: nothing may be left running", n, before)
			}
			if _, err := m.b.Processes(m.ctx, id); !backend.IsConflict(err) {
				t.Errorf("processes: got %v, want Conflict", err)
			}
			// The container can start again with a command that runs.
			if code, out := m.run(t, id, spec("echo", "ok")); code != 0 || out != "ok\n" {
				t.Errorf("second start: got %d %q", code, out)
			}
		})
	}
	if _, err := m.b.Start(m.ctx, strings.Repeat("f", 64), spec("true"), backend.Stdio{}); !backend.IsNotFound(err) {
		t.Errorf("start of an unknown container: got %v, want NotFound", err)
	}
	id := m.create(t)
	_, err := m.b.Start(m.ctx, id, &backend.Spec{Process: backend.ProcessSpec{Args: []string{"true"}, User: "nobody2"}}, backend.Stdio{})
	if backend.CodeOf(err) != backend.InvalidParameter || !strings.Contains(err.Error(), "unable to find user nobody2") {
		t.Errorf("unknown user: got %v", err)
	}
}

func TestEnvironmentUserAndWorkdir(t *testing.T) {
	m := newMachine(t)
	tests := []struct {
		name string
		edit func(s *backend.Spec)
		args []string
		want string
	}{
		{"HOME is appended", nil, []string{"env"}, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nHOSTNAME=c0ffee\nHOME=/root\n"},
		{"HOME is kept", func(s *backend.Spec) { s.Process.Env = []string{"HOME=/x"} }, []string{"/bin/env"}, "HOME=/x\n"},
		{"root's groups", nil, []string{"id"}, "0 0 [0]\n"},
		{"nobody", func(s *backend.Spec) { s.Process.User = "nobody" }, []string{"id"}, "65534 65534 [65534]\n"},
		{"a numeric user", func(s *backend.Spec) { s.Process.User = "1000:1000" }, []string{"id"}, "1000 1000 [1000]\n"},
		{"a missing workdir is made", func(s *backend.Spec) { s.Process.Cwd = "/new/dir" }, []string{"pwd"}, "/new/dir\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := spec(tt.args...)
			if tt.edit != nil {
				tt.edit(s)
			}
			if code, out := m.run(t, m.create(t), s); code != 0 || out != tt.want {
				t.Errorf("got %d %q, want 0 %q", code, out, tt.want)
			}
		})
	}
}

func TestFilesAndDiff(t *testing.T) {
	m := newMachine(t)
	id := m.create(t)
	code, out := m.run(t, id, spec("cat", "/etc/hostname", "/etc/hosts", "/etc/resolv.conf"))
	if want := "c0ffee\n127.0.0.1\tlocalhost\nnameserver 8.8.8.8\n"; code != 0 || out != want {
		t.Errorf("got %d %q, want %q", code, out, want)
	}
	changes, err := m.b.Changes(m.ctx, id)
	if err != nil || len(changes) != 0 {
		t.Errorf("diff after reading: got %v %v, want nothing: the runtime's files are not in the container's layer", changes, err)
	}
	if got := readHost(t, m.b, containersDir+"/"+id+"/hosts"); got != "127.0.0.1\tlocalhost\n" {
		t.Errorf("host copy of /etc/hosts: got %q", got)
	}
	// Changes are the container's own.
	m.run(t, id, spec("write", "/tmp/new", "x"))
	changes, _ = m.b.Changes(m.ctx, id)
	if got, want := formatChanges(changes), "C /tmp A /tmp/new"; got != want {
		t.Errorf("diff: got %q, want %q", got, want)
	}
	if err := m.b.RemoveRootfs(m.ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := m.b.host.Stat(containersDir + "/" + id); err == nil {
		t.Errorf("the container's host directory outlived it")
	}
}

func formatChanges(cs []backend.Change) string {
	var s []string
	for _, c := range cs {
		s = append(s, c.Kind.String()+" "+c.Path)
	}
	return strings.Join(s, " ")
}

func TestVolumesAndBindMounts(t *testing.T) {
	m := newMachine(t)
	mp, err := m.b.CreateVolume(m.ctx, "hello")
	if err != nil || mp != "/var/lib/docker/volumes/hello/_data" {
		t.Fatalf("got %q %v, want Docker's mount point", mp, err)
	}
	if _, err := m.b.CreateVolume(m.ctx, "hello"); !backend.IsConflict(err) {
		t.Errorf("second create: got %v, want Conflict", err)
	}
	id := m.create(t)
	s := spec("write", "/data/f", "saved")
	s.Mounts = []backend.Mount{{Type: "volume", Source: "hello", Destination: "/data"}}
	if code, out := m.run(t, id, s); code != 0 {
		t.Fatalf("write: %d %s", code, out)
	}
	if got := readHost(t, m.b, mp+"/f"); got != "saved\n" {
		t.Errorf("volume content on the host: got %q", got)
	}
	changes, _ := m.b.Changes(m.ctx, id)
	if got, want := formatChanges(changes), "A /data"; got != want {
		t.Errorf("diff: got %q, want %q (the mount point, not the volume's content)", got, want)
	}
	// Another container sees the volume; docker cp sees it through the
	// stopped container too.
	s = spec("cat", "/data/f")
	s.Mounts = []backend.Mount{{Type: "volume", Source: "hello", Destination: "/data", ReadOnly: true}}
	if code, out := m.run(t, m.create(t), s); code != 0 || out != "saved\n" {
		t.Errorf("read: got %d %q", code, out)
	}
	st, err := m.b.StatPath(m.ctx, id, "/data/f")
	if err != nil || st.Size != 6 {
		t.Errorf("stat through a stopped container's volume: got %+v %v", st, err)
	}
	// A read-only bind mount from the host.
	vfsMkdir(t, m.b, "/root/host")
	s = spec("write", "/h/new", "x")
	s.Mounts = []backend.Mount{{Type: "bind", Source: "/root/host", Destination: "/h", ReadOnly: true}}
	if code, out := m.run(t, m.create(t), s); code != 1 || !strings.Contains(out, syscall.EROFS.Error()) {
		t.Errorf("write to a read-only bind mount: got %d %q, want EROFS", code, out)
	}
	// Copy-up of image content into a new volume.
	if _, err := m.b.CreateVolume(m.ctx, "etc"); err != nil {
		t.Fatal(err)
	}
	s = spec("true")
	s.Mounts = []backend.Mount{{Type: "volume", Source: "etc", Destination: "/etc", CopyUp: true}}
	m.run(t, m.create(t), s)
	if got := readHost(t, m.b, "/var/lib/docker/volumes/etc/_data/group"); got != "root:x:0:\nnogroup:x:65534:\n" {
		t.Errorf("copied-up /etc/group: got %q", got)
	}
	if err := m.b.RemoveVolume(m.ctx, "hello"); err != nil {
		t.Fatal(err)
	}
	if err := m.b.RemoveVolume(m.ctx, "hello"); !backend.IsNotFound(err) {
		t.Errorf("second remove: got %v, want NotFound", err)
	}
	if _, err := m.b.CreateVolume(m.ctx, "../../etc"); err == nil {
		t.Errorf("a volume name leading out was accepted")
	}
}

func vfsMkdir(t *testing.T, b *Backend, name string) {
	t.Helper()
	if err := b.host.Mkdir(name, 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestPauseResume(t *testing.T) {
	m := newMachine(t)
	id := m.create(t)
	p, _ := m.start(t, id, spec("sleep", "300s"))
	if err := m.b.Pause(m.ctx, id); err != nil {
		t.Fatal(err)
	}
	procs, _ := m.b.Processes(m.ctx, id)
	if procs[0].State != "D" {
		t.Errorf("paused: got state %q, want D", procs[0].State)
	}
	if err := m.b.Resume(m.ctx, id); err != nil {
		t.Fatal(err)
	}
	procs, _ = m.b.Processes(m.ctx, id)
	if procs[0].State != "S" {
		t.Errorf("resumed: got state %q, want S", procs[0].State)
	}
	p.Signal(backend.SIGKILL)
	wait(t, p)
	if err := m.b.Pause(m.ctx, id); !backend.IsConflict(err) {
		t.Errorf("pause of a stopped container: got %v, want Conflict", err)
	}
}

func TestTerminal(t *testing.T) {
	m := newMachine(t)
	id := m.create(t)
	s := spec("cat")
	s.Process.Tty = true
	s.Process.ConsoleSize = [2]uint{30, 100}
	in, typing := io.Pipe()
	out := &syncBuffer{}
	p, err := m.b.Start(m.ctx, id, s, backend.Stdio{Stdin: in, Stdout: out})
	if err != nil {
		t.Fatal(err)
	}
	procs, _ := m.b.Processes(m.ctx, id)
	if procs[0].TTY != "pts/0" {
		t.Errorf("got TTY %q, want pts/0", procs[0].TTY)
	}
	typing.Write([]byte("hi\r\x04"))
	if got := wait(t, p); got != 0 {
		t.Errorf("got status %d, want 0", got)
	}
	if got, want := out.String(), "hi\r\nhi\r\n"; got != want {
		t.Errorf("got %q, want %q (echo, then cat's output)", got, want)
	}
}

func TestStdinCloses(t *testing.T) {
	m := newMachine(t)
	in, _ := io.Pipe() // never written, never closed
	out := &syncBuffer{}
	p, err := m.b.Start(m.ctx, m.create(t), spec("cat"), backend.Stdio{Stdin: in, Stdout: out})
	if err != nil {
		t.Fatal(err)
	}
	p.CloseStdin()
	if got := wait(t, p); got != 0 {
		t.Errorf("got status %d, want 0: cat ends at end-of-file", got)
	}
}

func TestRestore(t *testing.T) {
	m := newMachine(t)
	id := m.create(t)
	if _, err := m.b.Restore(m.ctx, id, backend.Stdio{}); !backend.IsNotFound(err) {
		t.Errorf("restore before any run: got %v, want NotFound", err)
	}
	p, _ := m.start(t, id, spec("ready"))
	out := &syncBuffer{}
	r, err := m.b.Restore(m.ctx, id, backend.Stdio{Stdout: out})
	if err != nil || r.Pid() != p.Pid() {
		t.Fatalf("restore of a running container: got %v %v", r, err)
	}
	r.Signal(backend.SIGKILL)
	if got := wait(t, r); got != 137 {
		t.Errorf("got %d, want 137", got)
	}
	r, err = m.b.Restore(m.ctx, id, backend.Stdio{})
	if err != nil || wait(t, r) != 137 {
		t.Errorf("restore of an ended container: got %v %v, want its status", r, err)
	}
}

func TestCommitAndLayers(t *testing.T) {
	m := newMachine(t)
	if m.base.ChainID != m.base.DiffID || m.base.Parent != "" {
		t.Errorf("base layer: got %+v, want ChainID = DiffID", m.base)
	}
	again, err := m.b.ApplyLayer(m.ctx, "", bytes.NewReader(testImage(t)))
	if err != nil || again != m.base {
		t.Errorf("applying the same tar: got %+v %v, want the same layer", again, err)
	}
	id := m.create(t)
	m.run(t, id, spec("write", "/greeting", "hi"))
	l, err := m.b.CommitRootfs(m.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if l.Parent != m.base.ChainID || l.ChainID != chainID(m.base.ChainID, l.DiffID) || l.Size != 3 {
		t.Errorf("got layer %+v, want a 3-byte layer on the base", l)
	}
	rc, err := m.b.LayerTar(m.ctx, l.ChainID)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(rc)
	var names []string
	for {
		hdr, err := tr.Next()
		if err != nil {
			break
		}
		names = append(names, hdr.Name)
	}
	if got := strings.Join(names, " "); got != "greeting" {
		t.Errorf("layer tar: got %q, want greeting", got)
	}
	// A container on the new layer sees the file.
	c2 := m.containerOn(t, l.ChainID)
	if code, out := m.run(t, c2, spec("cat", "/greeting")); code != 0 || out != "hi\n" {
		t.Errorf("got %d %q", code, out)
	}
	if err := m.b.CreateRootfs(m.ctx, c2, l.ChainID); !backend.IsConflict(err) {
		t.Errorf("second CreateRootfs: got %v, want Conflict", err)
	}
	if err := m.b.CreateRootfs(m.ctx, strings.Repeat("e", 64), "sha256:nosuch"); !backend.IsNotFound(err) {
		t.Errorf("CreateRootfs on a missing layer: got %v, want NotFound", err)
	}
	if _, err := m.b.ApplyLayer(m.ctx, "", strings.NewReader("not a tar")); backend.CodeOf(err) != backend.InvalidParameter {
		t.Errorf("a malformed tar: got %v, want InvalidParameter", err)
	}
}

func (m *machine) containerOn(t *testing.T, chain string) string {
	t.Helper()
	containerN++
	id := strings.Repeat("0", 60) + strconv.Itoa(1000+containerN)
	if err := m.b.CreateRootfs(m.ctx, id, chain); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestNotFound(t *testing.T) {
	m := newMachine(t)
	id := strings.Repeat("a", 64)
	ctx := m.ctx
	calls := map[string]func() error{
		"Changes":      func() error { _, err := m.b.Changes(ctx, id); return err },
		"CommitRootfs": func() error { _, err := m.b.CommitRootfs(ctx, id); return err },
		"ExportRootfs": func() error { _, err := m.b.ExportRootfs(ctx, id); return err },
		"StatPath":     func() error { _, err := m.b.StatPath(ctx, id, "/"); return err },
		"CopyOut":      func() error { _, err := m.b.CopyOut(ctx, id, "/"); return err },
		"CopyIn":       func() error { return m.b.CopyIn(ctx, id, "/", strings.NewReader(""), backend.CopyOptions{}) },
		"RemoveRootfs": func() error { return m.b.RemoveRootfs(ctx, id) },
		"Exec": func() error {
			_, err := m.b.Exec(ctx, id, &backend.ProcessSpec{Args: []string{"true"}}, backend.Stdio{})
			return err
		},
		"Restore":       func() error { _, err := m.b.Restore(ctx, id, backend.Stdio{}); return err },
		"Pause":         func() error { return m.b.Pause(ctx, id) },
		"Resume":        func() error { return m.b.Resume(ctx, id) },
		"Processes":     func() error { _, err := m.b.Processes(ctx, id); return err },
		"Stats":         func() error { _, err := m.b.Stats(ctx, id); return err },
		"Layer":         func() error { _, err := m.b.Layer(ctx, "sha256:"+id); return err },
		"LayerTar":      func() error { _, err := m.b.LayerTar(ctx, "sha256:"+id); return err },
		"RemoveLayer":   func() error { return m.b.RemoveLayer(ctx, "sha256:"+id) },
		"RemoveNetwork": func() error { return m.b.RemoveNetwork(ctx, id) },
		"Connect":       func() error { return m.b.Connect(ctx, id, backend.Endpoint{}) },
		"RemoveVolume":  func() error { return m.b.RemoveVolume(ctx, "nosuch") },
	}
	for _, name := range sortedKeys(calls) {
		t.Run(name, func(t *testing.T) {
			if err := calls[name](); !backend.IsNotFound(err) {
				t.Errorf("got %v, want NotFound", err)
			}
		})
	}
}

func TestNetworksAndPorts(t *testing.T) {
	m := newMachine(t)
	n := backend.Network{ID: "n1", Name: "net", Bridge: "br-n1", Subnet: netip.MustParsePrefix("172.18.0.0/16")}
	if err := m.b.CreateNetwork(m.ctx, n); err != nil {
		t.Fatal(err)
	}
	overlap := backend.Network{ID: "n2", Bridge: "br-n2", Subnet: netip.MustParsePrefix("172.18.5.0/24")}
	if err := m.b.CreateNetwork(m.ctx, overlap); !backend.IsConflict(err) {
		t.Errorf("overlapping subnet: got %v, want Conflict", err)
	}
	// A published port is held while its container runs.
	s := spec("sleep", "300s")
	s.Network = backend.NetworkSpec{Mode: "bridge", Ports: []backend.PortMapping{{Proto: "tcp", ContainerPort: 80, HostPort: 8080}}}
	a := m.create(t)
	p, _ := m.start(t, a, s)
	_, err := m.b.Start(m.ctx, m.create(t), s, backend.Stdio{})
	if !backend.IsConflict(err) || err.Error() != "Bind for 0.0.0.0:8080 failed: port is already allocated" {
		t.Errorf("second publisher: got %v, want Docker's conflict", err)
	}
	if err := m.b.Connect(m.ctx, a, backend.Endpoint{NetworkID: "n1", Address: netip.MustParsePrefix("172.18.0.2/16")}); err != nil {
		t.Errorf("connect: %v", err)
	}
	br, _ := m.b.net.Bridge("br-n1")
	if got := len(br.Ports()); got != 1 {
		t.Errorf("got %d veths on br-n1 after connect, want 1", got)
	}
	if err := m.b.Disconnect(m.ctx, a, "n1"); err != nil {
		t.Errorf("disconnect: %v", err)
	}
	if got := len(br.Ports()); got != 0 {
		t.Errorf("got %d veths on br-n1 after disconnect, want 0", got)
	}
	p.Signal(backend.SIGKILL)
	wait(t, p)
	if _, err := m.b.Start(m.ctx, m.create(t), s, backend.Stdio{}); err != nil {
		t.Errorf("start after the port was freed: %v", err)
	}
	if err := m.b.RemoveNetwork(m.ctx, "n1"); err != nil {
		t.Error(err)
	}
}

func TestDescribe(t *testing.T) {
	m := newMachine(t)
	d, err := m.b.Describe(m.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d.Driver != "overlay2" || d.NCPU != 2 || d.DefaultBridge != "docker0" || d.DefaultSubnet.String() != "172.17.0.0/16" ||
		!strings.HasPrefix(d.KernelVersion, "6.") || d.OperatingSystem != "Debian GNU/Linux 12 (bookworm)" || d.Name != "twinbox" ||
		d.RootDir != "/var/lib/docker" || string(d.ResolvConf) != "nameserver 10.0.2.3\n" {
		t.Errorf("got %+v", d)
	}
}

func TestHostProgram(t *testing.T) {
	m := newMachine(t)
	out := &syncBuffer{}
	p, err := m.b.StartHost(m.ctx, &backend.ProcessSpec{Args: []string{"hostname"}, Tty: true}, backend.Stdio{Stdout: out})
	if err != nil {
		t.Fatal(err)
	}
	if got := wait(t, p); got != 0 {
		t.Errorf("got %d", got)
	}
	if got := out.String(); got != "twinbox\r\n" {
		t.Errorf("got %q, want twinbox on a terminal", got)
	}
	out = &syncBuffer{}
	p, err = m.b.StartHost(m.ctx, &backend.ProcessSpec{Args: []string{"ps"}}, backend.Stdio{Stdout: out})
	if err != nil {
		t.Fatal(err)
	}
	wait(t, p)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 || lines[0] != "1 0 S systemd" || !strings.HasSuffix(lines[1], " 1 S containerd") ||
		!strings.HasSuffix(lines[2], " 1 S dockerd") || !strings.HasSuffix(lines[3], " R ps") {
		t.Errorf("host ps: got %q", lines)
	}
	if _, err := m.b.StartHost(m.ctx, &backend.ProcessSpec{Args: []string{"nosuch"}}, backend.Stdio{}); err == nil {
		t.Errorf("a missing host command started")
	}
	if _, err := m.b.host.Lstat("/usr/bin/echo"); err != nil {
		t.Errorf("host command link: %v", err)
	}
}

func TestStats(t *testing.T) {
	m := newMachine(t)
	id := m.create(t)
	s := spec("sleep", "300s")
	s.Resources = backend.Resources{Memory: 64 << 20, PidsLimit: 10}
	p, _ := m.start(t, id, s)
	st, err := m.b.Stats(m.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if st.Pids != 1 || st.PidsLimit != 10 || st.MemoryLimit != 64<<20 || st.MemoryUsage <= 0 || st.OnlineCPUs != 2 || st.CPUTotal <= 0 {
		t.Errorf("got %+v", st)
	}
	p.Signal(backend.SIGKILL)
	wait(t, p)
	if _, err := m.b.Stats(m.ctx, id); !backend.IsConflict(err) {
		t.Errorf("stats of a stopped container: got %v, want Conflict", err)
	}
	var _ context.Context
}

func TestExecTerminalsAreNumberedInTheContainer(t *testing.T) {
	m := newMachine(t)
	id := m.create(t)
	s := spec("sleep", "300s")
	s.Process.Tty = true
	init, _ := m.start(t, id, s)
	for i := 0; i < 2; i++ {
		p, err := m.b.Exec(m.ctx, id, &backend.ProcessSpec{Args: []string{"sleep", "300s"}, Cwd: "/", Tty: true}, backend.Stdio{Stdout: io.Discard})
		if err != nil {
			t.Fatal(err)
		}
		procs, _ := m.b.Processes(m.ctx, id)
		if len(procs) != 2 || procs[0].TTY != "pts/0" || procs[1].TTY != "pts/1" {
			t.Errorf("exec %d: got %+v, want the init on pts/0 and the exec on pts/1", i, procs)
		}
		p.Signal(backend.SIGKILL)
		wait(t, p)
	}
	init.Signal(backend.SIGKILL)
	wait(t, init)
}

func TestProcSelf(t *testing.T) {
	m := newMachine(t)
	id := m.create(t)
	p, _ := m.start(t, id, spec("sleep", "300s"))
	defer func() { p.Signal(backend.SIGKILL); wait(t, p) }()
	code, out := m.runExec(t, id, "cat", "/proc/self/comm", "/proc/1/comm")
	if code != 0 || out != "cat\nsleep\n" {
		t.Errorf("got %d %q, want cat then sleep", code, out)
	}
	code, out = m.runExec(t, id, "readlink", "/proc/self/ns/uts")
	init := m.b.k.Find(p.Pid())
	if want := "uts:[" + strconv.FormatUint(init.Namespaces().UTS.Inode(), 10) + "]\n"; code != 0 || out != want {
		t.Errorf("got %d %q, want %q", code, out, want)
	}
	code, out = m.runExec(t, id, "cat", "/proc/self/nosuch")
	if code != 1 || !strings.Contains(out, "/proc/self/nosuch") {
		t.Errorf("got %d %q, want an error naming /proc/self/nosuch", code, out)
	}
}
