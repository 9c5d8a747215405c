package sim

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/wasm/sim/kernel"
	"github.com/twinbox-dev/twinbox/wasm/sim/netsim"
	"github.com/twinbox-dev/twinbox/wasm/sim/sys"
	"github.com/twinbox-dev/twinbox/wasm/sim/vfs"
)

// The host's files: a Debian 12 machine with merged /usr.
var hostDirs = []struct {
	path string
	mode fs.FileMode
}{
	{"/boot", 0o755}, {"/dev", 0o755}, {"/etc", 0o755}, {"/home", 0o755},
	{"/media", 0o755}, {"/mnt", 0o755}, {"/opt", 0o755}, {"/proc", 0o555},
	{"/root", 0o700}, {"/run", 0o755}, {"/run/containerd", 0o711},
	{"/run/docker", 0o700}, {"/run/docker/netns", 0o755}, {"/srv", 0o755}, {"/sys", 0o555},
	{"/tmp", 0o1777}, {"/usr", 0o755}, {"/usr/bin", 0o755}, {"/usr/sbin", 0o755},
	{"/usr/lib", 0o755}, {"/usr/lib64", 0o755}, {"/usr/local", 0o755},
	{"/usr/local/bin", 0o755}, {"/usr/local/sbin", 0o755}, {"/usr/share", 0o755},
	{"/var", 0o755}, {"/var/cache", 0o755}, {"/var/lib", 0o755}, {"/var/log", 0o755},
	{"/var/tmp", 0o1777}, {hostRootDir, 0o710}, {hostRootDir + "/containers", 0o710},
	{hostRootDir + "/image", 0o700}, {hostRootDir + "/network", 0o750},
	{hostRootDir + "/overlay2", 0o710}, {volumesDir, 0o701},
}

var hostLinks = [][2]string{
	{"usr/bin", "/bin"}, {"usr/sbin", "/sbin"}, {"usr/lib", "/lib"},
	{"usr/lib64", "/lib64"}, {"/run", "/var/run"}, {"/proc/self/mounts", "/etc/mtab"},
}

var hostFiles = []struct {
	path    string
	mode    fs.FileMode
	content string
}{
	{"/etc/os-release", 0o644, `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
SUPPORT_URL="https://www.debian.org/support"
BUG_REPORT_URL="https://bugs.debian.org/"
`},
	{"/etc/debian_version", 0o644, "12.10\n"},
	{"/etc/issue", 0o644, "Debian GNU/Linux 12 \\n \\l\n\n"},
	{"/etc/passwd", 0o644, `root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
bin:x:2:2:bin:/bin:/usr/sbin/nologin
sys:x:3:3:sys:/dev:/usr/sbin/nologin
sync:x:4:65534:sync:/bin:/bin/sync
man:x:6:12:man:/var/cache/man:/usr/sbin/nologin
mail:x:8:8:mail:/var/mail:/usr/sbin/nologin
www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
`},
	{"/etc/group", 0o644, `root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
mail:x:8:
www-data:x:33:
users:x:100:
docker:x:998:
nogroup:x:65534:
`},
	{"/etc/shadow", 0o640, "root:*:19500:0:99999:7:::\nnobody:*:19500:0:99999:7:::\n"},
	{"/etc/resolv.conf", 0o644, "nameserver 10.0.2.3\n"},
	{"/etc/profile", 0o644, `PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
export PATH
`},
	{"/etc/docker/daemon.json", 0o644, "{}\n"},
	{"/root/.profile", 0o644, "# ~/.profile: executed by the command interpreter for login shells.\n"},
}

// hostBinarySize is the size of a simulated binary installed on the host:
// busybox-static's, which the base image has too.
const hostBinarySize = 1982256

// installHost lays out the host's root filesystem and mount namespace.
func (b *Backend) installHost() {
	t := b.host
	for _, d := range hostDirs {
		must(vfs.MkdirAll(t, d.path, 0o755))
		must(t.Chmod(d.path, d.mode))
	}
	must(t.Chmod("/", 0o755))
	for _, l := range hostLinks {
		must(t.Symlink(l[0], l[1]))
	}
	hostname := b.opts.Hostname
	files := append(hostFiles[:len(hostFiles):len(hostFiles)],
		struct {
			path    string
			mode    fs.FileMode
			content string
		}{"/etc/hostname", 0o644, hostname + "\n"},
		struct {
			path    string
			mode    fs.FileMode
			content string
		}{"/etc/hosts", 0o644, "127.0.0.1\tlocalhost\n127.0.1.1\t" + hostname + "\n\n::1\tlocalhost ip6-localhost ip6-loopback\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n"},
	)
	for _, f := range files {
		must(vfs.MkdirAll(t, path.Dir(f.path), 0o755))
		must(vfs.WriteFile(t, f.path, []byte(f.content), f.mode))
		must(t.Chmod(f.path, f.mode))
	}
	must(t.Lchown("/etc/shadow", 0, 42))
	b.installCommands()
}

// bootHost starts the kernel over the host's filesystem and the host's
// daemons.
func (b *Backend) bootHost() {
	b.hostM = vfs.NewNamespace(b.host, vfs.MountOptions{Type: "ext4", Device: hostDisk, Options: "rw,relatime"})
	b.k = kernel.New(kernel.Config{
		Clock:    b.clock,
		Registry: b.opts.Registry,
		RootFS:   b.hostM,
		Hostname: b.opts.Hostname,
		OnPanic:  b.opts.OnPanic,
	})
	// Network namespaces die with a reboot; so do their bind mounts.
	if ents, err := b.host.ReadDir(netnsDir); err == nil {
		for _, e := range ents {
			b.host.Remove(netnsDir + "/" + e.Name())
		}
	}
	b.net = netsim.New()
	b.k.RootNamespaces().Net.Stack = b.net.Host()
	b.mu.Lock()
	for _, id := range sortedKeys(b.networks) {
		b.addBridgeLocked(b.networks[id])
	}
	b.mu.Unlock()
	must(b.mountSystem(b.hostM, nil, func() *kernel.PIDNamespace { return b.k.RootNamespaces().PID }, hostSystem))
	// Boot-time processes that have come and gone.
	b.k.SkipPIDs(400)
	b.containerd = b.daemon([]string{"/usr/bin/containerd"}, "containerd", 1795208<<10, 47720<<10)
	b.dockerd = b.daemon([]string{"/usr/sbin/dockerd", "-H", "fd://", "--containerd=/run/containerd/containerd.sock"}, "dockerd", 2047096<<10, 83012<<10)
	b.k.SkipPIDs(300)
}

// daemon starts a host process that does nothing but exist, with the
// memory sizes ps shows for the real one.
func (b *Backend) daemon(args []string, comm string, vsz, rss int64) *kernel.Process {
	p, err := b.k.Spawn(kernel.Attr{
		Args:    args,
		Env:     []string{"PATH=" + kernel.DefaultPath},
		Dir:     "/",
		Program: idle,
		Comm:    comm,
		Setsid:  true,
		VSZ:     vsz,
		RSS:     rss,
	})
	must(err)
	return p
}

func idle(p sys.Proc) int {
	<-p.Context().Done()
	return 0
}

// simulatedBinary is the content of a simulated multi-call binary called
// name (see sys.BinaryMagic), padded to size.
func simulatedBinary(name string, size int) []byte {
	head := "\x7fELF\x02\x01\x01\x00" + sys.BinaryMagic + name + "\n"
	buf := make([]byte, max(size, len(head)))
	copy(buf, head)
	return buf
}

// StartHost starts a program on the host, in the machine's own namespaces,
// as a login would: spec.Args[0] is looked up in spec.Env's PATH (the
// default PATH when it has none) in the host's filesystem, spec.User is
// resolved in the host's /etc/passwd (empty: root), spec.Cwd defaults to
// the user's home, HOME is added when missing. With spec.Tty the program
// gets a terminal of the host (pts/N) of spec.ConsoleSize (24x80 when
// zero), whose master side is copied to stdio.Stdout and from stdio.Stdin.
// This is what `twinbox shell` and the browser's terminal run the host
// shell with. Errors: *backend.ExecError when the program cannot be
// executed; InvalidParameter for an unknown user.
func (b *Backend) StartHost(ctx context.Context, spec *backend.ProcessSpec, stdio backend.Stdio) (backend.Process, error) {
	user, err := b.resolveUser(b.hostM, spec.User)
	if err != nil {
		return nil, err
	}
	env := spec.Env
	if env == nil {
		env = []string{"PATH=" + kernel.DefaultPath}
	}
	env = withHome(env, user.Home)
	dir := spec.Cwd
	if dir == "" {
		dir = user.Home
	}
	a := kernel.Attr{
		Args:   spec.Args,
		Env:    env,
		Dir:    dir,
		Cred:   credOf(user),
		Caps:   kernel.Caps{SysAdmin: user.UID == 0, NetAdmin: user.UID == 0},
		Setsid: true,
	}
	p, err := b.startProcess(a, spec, stdio, b.hostDevpts, nil)
	if err != nil {
		return nil, err
	}
	close(p.started)
	return p, nil
}

// resolveUser resolves spec in fsys's /etc/passwd and /etc/group.
func (b *Backend) resolveUser(fsys vfs.FS, spec string) (backend.ExecUser, error) {
	return backend.ResolveUser(spec, fileReader(fsys, "/etc/passwd"), fileReader(fsys, "/etc/group"))
}

// fileReader returns a reader of name's content, or nil when it cannot be
// read.
func fileReader(fsys vfs.FS, name string) io.Reader {
	data, err := vfs.ReadFile(fsys, name)
	if err != nil {
		return nil
	}
	return bytes.NewReader(data)
}

// credOf is the credentials of a process running as u: its supplementary
// groups are its primary group and those that list it, as dockerd's
// getUser gives them to runc.
func credOf(u backend.ExecUser) sys.Cred {
	return sys.Cred{UID: u.UID, GID: u.GID, Groups: append([]int{u.GID}, u.Groups...)}
}

// withHome appends HOME=home when env has no HOME, as runc and login do.
func withHome(env []string, home string) []string {
	for _, kv := range env {
		if strings.HasPrefix(kv, "HOME=") {
			return env
		}
	}
	out := make([]string, len(env), len(env)+1)
	copy(out, env)
	return append(out, "HOME="+home)
}

// userName returns the host's name for uid, or uid in decimal, as ps on
// the host shows it.
func (b *Backend) userName(uid int) string {
	data, _ := vfs.ReadFile(b.host, "/etc/passwd")
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Split(line, ":")
		if len(f) > 2 && f[2] == itoa(uid) {
			return f[0]
		}
	}
	return itoa(uid)
}

func must(err error) {
	if err != nil {
		panic("sim: " + err.Error())
	}
}
