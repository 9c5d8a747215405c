package sim

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"syscall"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/wasm/sim/kernel"
	"github.com/twinbox-dev/twinbox/wasm/sim/vfs"
)

// mountReq is one mount of a namespace being built.
type mountReq struct {
	target string
	fs     vfs.FS
	opts   vfs.MountOptions
}

// mountList builds a mount namespace and remembers its mounts, so that a
// read-only root can be set up after the mount points are made.
type mountList struct {
	ns   *vfs.Namespace
	reqs []mountReq
	// cg is the container's cgroup, which its tmpfs mounts charge; nil
	// for the host's.
	cg func() *kernel.Cgroup
}

// tmpfs returns a new tmpfs for l's namespace: charged to the container's
// cgroup in a container.
func (b *Backend) tmpfs(l *mountList) vfs.FS {
	t := vfs.NewTree(b.vclock())
	if l.cg == nil {
		return t
	}
	return chargedFS{FS: t, cg: l.cg}
}

func (l *mountList) mount(target string, fsys vfs.FS, opts vfs.MountOptions) error {
	if err := l.ns.Mount(target, fsys, opts); err != nil {
		return err
	}
	l.reqs = append(l.reqs, mountReq{target, fsys, opts})
	return nil
}

// Mount options as /proc/mounts shows them in a Docker container.
var (
	procOpts   = vfs.MountOptions{Type: "proc", Device: "proc", Options: "rw,nosuid,nodev,noexec,relatime"}
	devOpts    = vfs.MountOptions{Type: "tmpfs", Device: "tmpfs", Options: "rw,nosuid,size=65536k,mode=755"}
	ptsOpts    = vfs.MountOptions{Type: "devpts", Device: "devpts", Options: "rw,nosuid,noexec,relatime,gid=5,mode=620,ptmxmode=666"}
	sysOpts    = vfs.MountOptions{Type: "sysfs", Device: "sysfs", Options: "ro,nosuid,nodev,noexec,relatime", ReadOnly: true}
	mqueueOpts = vfs.MountOptions{Type: "mqueue", Device: "mqueue", Options: "rw,nosuid,nodev,noexec,relatime"}
	shmOpts    = vfs.MountOptions{Type: "tmpfs", Device: "shm", Options: "rw,nosuid,nodev,noexec,relatime,size=65536k"}
	diskOpts   = vfs.MountOptions{Type: "ext4", Device: hostDisk, Options: "rw,relatime"}
	tmpfsOpts  = vfs.MountOptions{Type: "tmpfs", Device: "tmpfs", Options: "rw,nosuid,nodev,noexec,relatime"}
)

// systemKind says whose system mounts mountSystem makes.
type systemKind int

const (
	hostSystem systemKind = iota
	containerSystem
)

// mountSystem mounts /proc, /dev (with /dev/pts, /dev/mqueue, /dev/shm)
// and /sys into l's namespace, and installs the kernel's device drivers.
func (b *Backend) mountSystem(ns *vfs.Namespace, l *mountList, pidns func() *kernel.PIDNamespace, kind systemKind) error {
	if l == nil {
		l = &mountList{ns: ns}
	}
	proc := &procFS{b: b, nsOf: pidns, mnt: ns}
	dev := b.devTree(kind)
	steps := []struct {
		target string
		fs     vfs.FS
		opts   vfs.MountOptions
	}{
		{"/proc", vfs.SynthFS(proc), procOpts},
		{"/dev", dev, devOpts},
		{"/dev/pts", vfs.NewTree(b.vclock()), ptsOpts},
		{"/sys", b.sysTree(), sysOpts},
		{"/dev/mqueue", vfs.NewTree(b.vclock()), mqueueOpts},
		{"/dev/shm", b.tmpfs(l), shmOpts},
	}
	if kind == hostSystem {
		steps[1].opts = vfs.MountOptions{Type: "devtmpfs", Device: "udev", Options: "rw,nosuid,relatime,size=1985384k,nr_inodes=496346,mode=755"}
		steps[5].opts = vfs.MountOptions{Type: "tmpfs", Device: "tmpfs", Options: "rw,nosuid,nodev"}
	}
	for _, s := range steps {
		if err := l.mount(s.target, s.fs, s.opts); err != nil {
			return err
		}
	}
	return nil
}

// devTree returns a fresh /dev: the device nodes and links Docker gives a
// container.
func (b *Backend) devTree(kind systemKind) *vfs.Tree {
	t := vfs.NewTree(b.vclock())
	for _, d := range []string{"/pts", "/shm", "/mqueue"} {
		must(t.Mkdir(d, 0o755))
	}
	must(t.Chmod("/shm", 0o1777))
	for _, n := range []struct {
		name string
		dev  uint64
	}{
		{"/null", kernel.DevNull}, {"/zero", kernel.DevZero}, {"/full", kernel.DevFull},
		{"/random", kernel.DevRandom}, {"/urandom", kernel.DevURandom}, {"/tty", kernel.DevTTY},
	} {
		must(t.Mknod(n.name, fs.ModeDevice|fs.ModeCharDevice|0o666, n.dev))
		must(t.Chmod(n.name, 0o666))
	}
	for _, l := range [][2]string{
		{"/proc/self/fd", "/fd"}, {"/proc/self/fd/0", "/stdin"}, {"/proc/self/fd/1", "/stdout"},
		{"/proc/self/fd/2", "/stderr"}, {"pts/ptmx", "/ptmx"}, {"/proc/kcore", "/core"},
	} {
		must(t.Symlink(l[0], l[1]))
	}
	if kind == hostSystem {
		must(t.Mknod("/console", fs.ModeDevice|fs.ModeCharDevice|0o600, kernel.DevConsole))
	}
	return t
}

// sysTree returns the read-only /sys a container sees: its top-level
// directories, empty.
func (b *Backend) sysTree() *vfs.Tree {
	t := vfs.NewTree(b.vclock())
	for _, d := range []string{"/block", "/bus", "/class", "/dev", "/devices", "/firmware", "/fs", "/fs/cgroup", "/kernel", "/module", "/power"} {
		must(t.Mkdir(d, 0o755))
	}
	return t
}

// containerMounts builds the container's mount namespace: its root, the
// system mounts, the engine's files (/etc/hostname, /etc/hosts,
// /etc/resolv.conf, kept on the host as Docker keeps them in
// /var/lib/docker/containers/ID) and the volumes, bind mounts and tmpfs
// mounts of spec, shallowest first.
func (b *Backend) containerMounts(c *container, spec *backend.Spec, sb *sandbox) (*vfs.Namespace, error) {
	rootOpts := vfs.MountOptions{Type: "overlay", Device: "overlay", Options: b.overlayOptions(c, "rw")}
	l := &mountList{ns: vfs.NewNamespace(c.rootfs, rootOpts), cg: func() *kernel.Cgroup { return sb.cg }}
	if err := b.mountSystem(l.ns, l, func() *kernel.PIDNamespace { return sb.ns.PID }, containerSystem); err != nil {
		return nil, backend.WithCode(backend.Internal, err)
	}
	dir := containersDir + "/" + c.id
	for _, name := range []string{"/etc/resolv.conf", "/etc/hostname", "/etc/hosts"} {
		data, ok := spec.Files[name]
		if !ok {
			continue
		}
		src := dir + "/" + path.Base(name)
		if err := vfs.MkdirAll(b.host, dir, 0o710); err != nil {
			return nil, err
		}
		if err := vfs.WriteFile(b.host, src, data, 0o644); err != nil {
			return nil, err
		}
		opts := diskOpts
		opts.Source = src
		if err := l.mount(name, b.host, opts); err != nil {
			return nil, backend.WithCode(backend.Internal, err)
		}
	}
	mounts := append([]backend.Mount(nil), spec.Mounts...)
	sort.SliceStable(mounts, func(i, j int) bool { return depth(mounts[i].Destination) < depth(mounts[j].Destination) })
	for _, m := range mounts {
		if err := b.mountUser(l, m); err != nil {
			return nil, err
		}
	}
	c.mounts = mounts
	ns := l.ns
	if spec.ReadonlyRootfs {
		rootOpts.ReadOnly = true
		rootOpts.Options = b.overlayOptions(c, "ro")
		ns = vfs.NewNamespace(c.rootfs, rootOpts)
		for _, r := range l.reqs {
			if err := ns.Mount(r.target, r.fs, r.opts); err != nil {
				return nil, backend.WithCode(backend.Internal, err)
			}
		}
	}
	ns.SetDevices(b.k.Devices(func() *kernel.PTY { return sb.console }))
	return ns, nil
}

// overlayOptions are the root's options in /proc/mounts, naming the
// directories overlay2 would use.
func (b *Backend) overlayOptions(c *container, rw string) string {
	d := hostRootDir + "/overlay2/" + c.id
	lower := d + "-init/diff"
	if c.parent != "" {
		lower += ":" + hostRootDir + "/overlay2/" + strings.TrimPrefix(c.parent, "sha256:")[:26] + "/diff"
	}
	return rw + ",relatime,lowerdir=" + lower + ",upperdir=" + d + "/diff,workdir=" + d + "/work"
}

func depth(p string) int { return strings.Count(path.Clean(p), "/") }

// mountUser mounts a volume, bind mount or tmpfs, making its mount point
// (in the container's layer, or inside an earlier mount) first.
func (b *Backend) mountUser(l *mountList, m backend.Mount) error {
	var src vfs.FS
	opts := diskOpts
	switch m.Type {
	case "volume":
		src = b.host
		opts.Source = volumesDir + "/" + m.Source + "/_data"
		if _, err := b.host.Stat(opts.Source); err != nil {
			return backend.Errorf(backend.NotFound, "get %s: no such volume", m.Source)
		}
	case "bind":
		src = b.host
		p, err := realpath(b.host, m.Source)
		if errors.Is(err, syscall.ENOENT) {
			// `-v /host/dir:/dir` makes a missing source directory.
			err = vfs.MkdirAll(b.host, m.Source, 0o755)
			if err == nil {
				p, err = realpath(b.host, m.Source)
			}
		}
		if err != nil {
			return backend.Errorf(backend.InvalidParameter, "invalid mount config for type \"bind\": bind source path does not exist: %s", m.Source)
		}
		opts.Source = p
	case "tmpfs":
		src = b.tmpfs(l)
		opts = tmpfsOpts
	default:
		return backend.Errorf(backend.InvalidParameter, "unknown mount type %q", m.Type)
	}
	if opts.Source == "" {
		opts.Source = "/"
	}
	fi, err := src.Stat(opts.Source)
	if err != nil {
		return backend.WithCode(backend.Internal, err)
	}
	if err := makeMountPoint(l.ns, m.Destination, fi.IsDir()); err != nil {
		return backend.Errorf(backend.InvalidParameter, "error while creating mount source path '%s': %v", m.Destination, err)
	}
	if m.CopyUp && m.Type == "volume" && fi.IsDir() {
		if err := copyUp(l.ns, m.Destination, src, opts.Source); err != nil {
			return backend.WithCode(backend.Internal, err)
		}
	}
	opts.ReadOnly = m.ReadOnly
	if m.ReadOnly {
		opts.Options = strings.Replace(opts.Options, "rw", "ro", 1)
	}
	return l.mount(m.Destination, src, opts)
}

// makeMountPoint makes an empty directory (or file) at dest unless
// something is there.
func makeMountPoint(fsys vfs.FS, dest string, dir bool) error {
	if _, err := fsys.Stat(dest); err == nil {
		return nil
	}
	if dir {
		return vfs.MkdirAll(fsys, dest, 0o755)
	}
	if err := vfs.MkdirAll(fsys, path.Dir(dest), 0o755); err != nil {
		return err
	}
	f, err := fsys.OpenFile(dest, os.O_WRONLY|os.O_CREATE, 0o755)
	if err != nil {
		return err
	}
	return f.Close()
}

// copyUp copies what the container has at dest into an empty volume, as
// Docker does when it first mounts a new volume over image content.
func copyUp(from vfs.FS, dest string, to vfs.FS, dir string) error {
	ents, err := to.ReadDir(dir)
	if err != nil || len(ents) > 0 {
		return err
	}
	fi, err := from.Stat(dest)
	if err != nil || !fi.IsDir() {
		return nil
	}
	return copyTree(to, dir, from, dest)
}

// copyTree copies directory src of from into directory dst of to,
// keeping modes, owners and times; dst exists.
func copyTree(to vfs.FS, dst string, from vfs.FS, src string) error {
	ents, err := from.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range ents {
		s, d := path.Join(src, e.Name()), path.Join(dst, e.Name())
		fi, err := from.Lstat(s)
		if err != nil {
			return err
		}
		switch {
		case fi.IsDir():
			if err := to.Mkdir(d, fi.Mode().Perm()); err != nil {
				return err
			}
			if err := copyTree(to, d, from, s); err != nil {
				return err
			}
		case fi.Mode()&fs.ModeSymlink != 0:
			target, err := from.Readlink(s)
			if err != nil {
				return err
			}
			if err := to.Symlink(target, d); err != nil {
				return err
			}
		case fi.Mode().IsRegular():
			if err := copyFile(to, d, from, s, fi.Mode().Perm()); err != nil {
				return err
			}
		default:
			if err := to.Mknod(d, fi.Mode(), vfs.StatOf(fi).Rdev); err != nil {
				return err
			}
		}
		st := vfs.StatOf(fi)
		to.Lchown(d, st.UID, st.GID)
		if fi.Mode()&fs.ModeSymlink == 0 {
			to.Chmod(d, fi.Mode()&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky))
			to.Chtimes(d, st.Atime, st.Mtime)
		}
	}
	return nil
}

func copyFile(to vfs.FS, dst string, from vfs.FS, src string, perm fs.FileMode) error {
	r, err := from.OpenFile(src, os.O_RDONLY, 0)
	if err != nil {
		return err
	}
	defer r.Close()
	w, err := to.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	_, err = io.Copy(w, r)
	if err1 := w.Close(); err == nil {
		err = err1
	}
	return err
}

// realpath resolves every symlink of p in fsys, as a bind mount's source
// is resolved once.
func realpath(fsys vfs.FS, p string) (string, error) {
	out := "/"
	rest := strings.Split(strings.Trim(path.Clean("/"+p), "/"), "/")
	for hops := 0; len(rest) > 0; {
		name := rest[0]
		rest = rest[1:]
		if name == "" || name == "." {
			continue
		}
		if name == ".." {
			out = path.Dir(out)
			continue
		}
		next := path.Join(out, name)
		fi, err := fsys.Lstat(next)
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				return "", pe.Err
			}
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			out = next
			continue
		}
		if hops++; hops > 40 {
			return "", syscall.ELOOP
		}
		target, err := fsys.Readlink(next)
		if err != nil {
			return "", err
		}
		if path.IsAbs(target) {
			out = "/"
		}
		rest = append(strings.Split(strings.Trim(target, "/"), "/"), rest...)
	}
	return out, nil
}

// mountOne mounts one of a stopped container's volumes or bind mounts into
// ns for the archive API; errors are ignored (the volume may be gone).
func (b *Backend) mountOne(ns *vfs.Namespace, m backend.Mount) {
	if m.Type == "tmpfs" {
		return
	}
	m.CopyUp = false
	b.mountUser(&mountList{ns: ns}, m)
}

var _ backend.FilesUpdater = (*Backend)(nil)

// UpdateFiles rewrites a running container's engine files in place on the
// host, so that its bind mounts of them show the new contents at once, as
// dockerd rewrites resolv.conf on `docker network connect`. The embedded
// DNS server needs no start here: every network namespace of the
// simulation answers at 127.0.0.11 once the engine's resolver is set.
func (b *Backend) UpdateFiles(ctx context.Context, id string, files map[string][]byte) error {
	b.mu.Lock()
	c, ok := b.containers[id]
	running := ok && c.run != nil
	b.mu.Unlock()
	switch {
	case !ok:
		return notFoundContainer(id)
	case !running:
		return backend.Errorf(backend.Conflict, "container %s is not running", id)
	}
	for name, data := range files {
		switch name {
		case "/etc/resolv.conf", "/etc/hostname", "/etc/hosts":
		default:
			return backend.Errorf(backend.InvalidParameter, "%s is not a file the engine keeps", name)
		}
		// Truncate and write the same inode: the bind mount holds it.
		f, err := b.host.OpenFile(containersDir+"/"+id+"/"+path.Base(name), os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			return backend.WithCode(backend.Internal, err)
		}
		_, err = f.Write(data)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return backend.WithCode(backend.Internal, err)
		}
	}
	return nil
}
