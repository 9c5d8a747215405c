package runtime

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	goruntime "runtime"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/twinbox-dev/twinbox/native/storage"
	"github.com/twinbox-dev/twinbox/shared/backend"
)

// Init is the hook main calls first, as Docker's reexec.Init: the
// container side of twinbox (monitor, container process, exec helper) runs
// in C constructors before the Go runtime starts, and never returns into
// Go. Init only catches a binary built without cgo, whose re-executed
// copies would otherwise run the daemon's main.
func Init() {
	if os.Getenv("_TWINBOX_ROLE") != "" {
		fmt.Fprintln(os.Stderr, errNoCgo)
		os.Exit(127)
	}
}

// rootfsConfig is what the daemon sets up in a new container's mount
// namespace.
type rootfsConfig struct {
	Root           string // storage root, for relative overlay mounts
	Layout         storage.Layout
	Cwd            string
	Files          map[string]string // container path → host file
	Mounts         []mountConfig
	ReadonlyRootfs bool
	Privileged     bool
	Tty            bool
}

// mountConfig is a backend.Mount with its host source resolved.
type mountConfig struct {
	Type        string
	Source      string // host path ("" for tmpfs)
	Destination string
	ReadOnly    bool
	CopyUp      bool
}

// inNamespace runs fn on a thread that has entered process pid's mount
// namespace (a Go thread can once it stops sharing its filesystem
// attributes), then returns the thread to the daemon's namespace. The
// thread is never reused: Go ends it, or parks it for good.
func inNamespace(pid int, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		goruntime.LockOSThread() // never unlocked
		errc <- func() error {
			orig, err := os.Open("/proc/thread-self/ns/mnt")
			if err != nil {
				return err
			}
			defer orig.Close()
			target, err := os.Open(fmt.Sprintf("/proc/%d/ns/mnt", pid))
			if err != nil {
				return err
			}
			defer target.Close()
			if err := unix.Unshare(unix.CLONE_FS); err != nil {
				return fmt.Errorf("unshare fs: %w", err)
			}
			if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNS); err != nil {
				return fmt.Errorf("enter the container's mount namespace: %w", err)
			}
			defer unix.Setns(int(orig.Fd()), unix.CLONE_NEWNS)
			return fn()
		}()
	}()
	return <-errc
}

// Docker's masked and read-only paths (oci/defaults.go).
var (
	maskedPaths = []string{
		"/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
		"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
	}
	readonlyPaths = []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}
)

// setupRootfs mounts container pid's root filesystem in its mount
// namespace and pivots into it. procFd, sysFd and mqFd are mounts the
// container's process made in its namespaces. With c.Tty it returns the
// master of a terminal in the container's devpts whose other side is
// /dev/console, and the other side.
func setupRootfs(pid int, c *rootfsConfig, procFd, sysFd, mqFd int) (master, slave *os.File, err error) {
	err = inNamespace(pid, func() error {
		if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
			return fmt.Errorf("make / private: %w", err)
		}
		merged := c.Layout.Merge
		if err := storage.MountOverlay(c.Root, c.Layout, merged, true); err != nil {
			return err
		}
		rootFd, err := unix.Open(merged, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer unix.Close(rootFd)
		const all = unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC
		steps := []struct {
			dest, fstype string
			flags        uintptr
			data         string
			fd           int
		}{
			{"/proc", "", 0, "", procFd},
			{"/dev", "tmpfs", unix.MS_NOSUID | unix.MS_STRICTATIME, "mode=755,size=65536k", -1},
			{"/dev/pts", "devpts", unix.MS_NOSUID | unix.MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5", -1},
			{"/sys", "", 0, "", sysFd},
			{"/dev/mqueue", "", 0, "", mqFd},
			{"/dev/shm", "tmpfs", all, "mode=1777,size=65536k", -1},
		}
		for _, m := range steps {
			if err := mountIn(rootFd, m.dest, m.fstype, m.flags, m.data, m.fd); err != nil {
				return err
			}
			if m.dest == "/dev" {
				if err := populateDev(rootFd); err != nil {
					return err
				}
			}
		}
		for dest, src := range c.Files {
			if err := storage.BindIn(rootFd, src, dest, false); err != nil {
				return err
			}
		}
		for _, m := range c.Mounts {
			if err := mountVolume(rootFd, m); err != nil {
				return err
			}
		}
		if err := storage.MkdirIn(rootFd, c.Cwd); err != nil {
			return fmt.Errorf("working directory %s: %w", c.Cwd, err)
		}
		if c.Tty {
			if master, slave, err = openPtyIn(rootFd); err != nil {
				return err
			}
			if err := storage.BindIn(rootFd, fmt.Sprintf("/proc/self/fd/%d", slave.Fd()), "/dev/console", false); err != nil {
				return err
			}
		}
		if err := pivot(merged); err != nil {
			return err
		}
		if !c.Privileged {
			for _, p := range maskedPaths {
				if err := maskPath(p); err != nil {
					return err
				}
			}
			for _, p := range readonlyPaths {
				if err := readonlyPath(p); err != nil {
					return err
				}
			}
		}
		if c.ReadonlyRootfs {
			if err := unix.Mount("", "/", "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
				return fmt.Errorf("read-only root: %w", err)
			}
		}
		return nil
	})
	if err != nil && master != nil {
		master.Close()
		slave.Close()
		master, slave = nil, nil
	}
	return master, slave, err
}

// mountIn mounts a filesystem on dest inside the root, creating the
// folder: a new one of type fstype, or the detached mount fd.
func mountIn(rootFd int, dest, fstype string, flags uintptr, data string, fd int) error {
	if err := storage.MkdirIn(rootFd, dest); err != nil {
		return fmt.Errorf("mount point %s: %w", dest, err)
	}
	target, err := storage.OpenIn(rootFd, dest, unix.O_PATH|unix.O_DIRECTORY)
	if err != nil {
		return fmt.Errorf("mount point %s: %w", dest, err)
	}
	defer unix.Close(target)
	if fd >= 0 {
		if err := unix.MoveMount(fd, "", target, "", unix.MOVE_MOUNT_F_EMPTY_PATH|unix.MOVE_MOUNT_T_EMPTY_PATH); err != nil {
			return fmt.Errorf("mount on %s: %w", dest, err)
		}
		return nil
	}
	if err := unix.Mount(fstype, fmt.Sprintf("/proc/self/fd/%d", target), fstype, flags, data); err != nil {
		return fmt.Errorf("mount %s on %s: %w", fstype, dest, err)
	}
	return nil
}

// populateDev makes the device nodes and links of a container's /dev.
func populateDev(rootFd int) error {
	dev, err := storage.OpenIn(rootFd, "/dev", unix.O_PATH|unix.O_DIRECTORY)
	if err != nil {
		return err
	}
	defer unix.Close(dev)
	for _, d := range []struct {
		name         string
		major, minor uint32
	}{{"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0}} {
		if err := unix.Mknodat(dev, d.name, unix.S_IFCHR|0o666, int(unix.Mkdev(d.major, d.minor))); err != nil {
			return fmt.Errorf("mknod /dev/%s: %w", d.name, err)
		}
		// mknod obeys the umask; the modes must be exact.
		if err := unix.Fchmodat(dev, d.name, 0o666, 0); err != nil {
			return err
		}
	}
	for name, target := range map[string]string{
		"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1",
		"stderr": "/proc/self/fd/2", "ptmx": "pts/ptmx", "core": "/proc/kcore",
	} {
		if err := unix.Symlinkat(target, dev, name); err != nil {
			return fmt.Errorf("/dev/%s: %w", name, err)
		}
	}
	return storage.CreateFileIn(rootFd, "/dev/console")
}

// mountVolume mounts a volume, bind mount or tmpfs, creating the mount
// point in the container's layer (where `docker diff` shows it).
func mountVolume(rootFd int, m mountConfig) error {
	if m.Type == "tmpfs" {
		flags := uintptr(unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC)
		if m.ReadOnly {
			flags |= unix.MS_RDONLY
		}
		return mountIn(rootFd, m.Destination, "tmpfs", flags, "mode=1777", -1)
	}
	st, err := os.Stat(m.Source)
	if err != nil {
		return fmt.Errorf("mount source %s: %w", m.Source, err)
	}
	if st.IsDir() {
		if err := storage.MkdirIn(rootFd, m.Destination); err != nil {
			return fmt.Errorf("mount point %s: %w", m.Destination, err)
		}
	} else if err := storage.CreateFileIn(rootFd, m.Destination); err != nil {
		return fmt.Errorf("mount point %s: %w", m.Destination, err)
	}
	if m.CopyUp && st.IsDir() {
		if err := copyUp(rootFd, m); err != nil {
			return fmt.Errorf("copy up %s: %w", m.Destination, err)
		}
	}
	return storage.BindIn(rootFd, m.Source, m.Destination, m.ReadOnly)
}

// copyUp copies the image's content at a volume's destination into the
// volume when the volume is empty, as Docker does for a new volume.
func copyUp(rootFd int, m mountConfig) error {
	ents, err := os.ReadDir(m.Source)
	if err != nil || len(ents) > 0 {
		return err
	}
	src, err := storage.OpenIn(rootFd, m.Destination, unix.O_RDONLY|unix.O_DIRECTORY)
	if err != nil {
		return err
	}
	defer unix.Close(src)
	dst, err := unix.Open(m.Source, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(dst)
	if err := storage.CopyTree(src, dst); err != nil {
		return err
	}
	// The volume's root takes the owner and mode of the image's folder,
	// as dockerd's copyOwnership gives it.
	var st unix.Stat_t
	if err := unix.Fstat(src, &st); err != nil {
		return err
	}
	if err := unix.Fchown(dst, int(st.Uid), int(st.Gid)); err != nil {
		return err
	}
	return unix.Fchmod(dst, st.Mode&0o7777)
}

// pivot makes merged the root, as runc does without a spare folder.
func pivot(merged string) error {
	if err := unix.Chdir(merged); err != nil {
		return err
	}
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root: %w", err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("unmount old root: %w", err)
	}
	return unix.Chdir("/")
}

func maskPath(p string) error {
	st, err := os.Stat(p)
	if err != nil {
		return nil // absent: nothing to hide
	}
	if st.IsDir() {
		err = unix.Mount("tmpfs", p, "tmpfs", unix.MS_RDONLY, "")
	} else {
		err = unix.Mount("/dev/null", p, "", unix.MS_BIND, "")
	}
	if err != nil {
		return fmt.Errorf("mask %s: %w", p, err)
	}
	return nil
}

func readonlyPath(p string) error {
	if err := unix.Mount(p, p, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil
		}
		return fmt.Errorf("read-only %s: %w", p, err)
	}
	if err := unix.Mount(p, p, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY|unix.MS_REC|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("read-only %s: %w", p, err)
	}
	return nil
}

// openPtyIn opens a new terminal in the devpts under rootFd, so that the
// container sees it as /dev/pts/N.
func openPtyIn(rootFd int) (master, slave *os.File, err error) {
	fd, err := unix.Openat2(rootFd, "dev/pts/ptmx", &unix.OpenHow{
		Flags:   unix.O_RDWR | unix.O_NOCTTY | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_SYMLINKS,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("runtime: open the container's ptmx: %w", err)
	}
	master = os.NewFile(uintptr(fd), "ptmx")
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		master.Close()
		return nil, nil, fmt.Errorf("runtime: unlock pty: %w", err)
	}
	sfd, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.TIOCGPTPEER, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC)
	if errno != 0 {
		master.Close()
		return nil, nil, fmt.Errorf("runtime: open pty peer: %w", errno)
	}
	return master, os.NewFile(sfd, "pty"), nil
}

// readIn reads a file inside rootFd; nil when it is missing.
func readIn(rootFd int, p string) []byte {
	fd, err := storage.OpenIn(rootFd, p, unix.O_RDONLY)
	if err != nil {
		return nil
	}
	f := os.NewFile(uintptr(fd), p)
	defer f.Close()
	data, _ := io.ReadAll(io.LimitReader(f, 16<<20))
	return data
}

// resolveUser resolves a user spec against the container's files.
func resolveUser(rootFd int, spec string) (backend.ExecUser, error) {
	var pr, gr io.Reader
	if b := readIn(rootFd, "/etc/passwd"); b != nil {
		pr = bytes.NewReader(b)
	}
	if b := readIn(rootFd, "/etc/group"); b != nil {
		gr = bytes.NewReader(b)
	}
	return backend.ResolveUser(spec, pr, gr)
}

// lookPath finds the command inside rootFd as runc's exec.LookPath finds
// it in the container, with the same errors (`exec: "NAME": REASON`).
func lookPath(rootFd int, cwd, name, pathEnv string) (string, error) {
	abs := func(p string) string {
		if path.IsAbs(p) {
			return p
		}
		return path.Join(cwd, p)
	}
	if strings.Contains(name, "/") {
		if err := findExecutable(rootFd, abs(name), name); err != nil {
			return "", &exec.Error{Name: name, Err: err}
		}
		return abs(name), nil
	}
	for _, dir := range strings.Split(pathEnv, ":") {
		if dir == "" {
			dir = "."
		}
		p := abs(path.Join(dir, name))
		if findExecutable(rootFd, p, p) == nil {
			return p, nil
		}
	}
	return "", &exec.Error{Name: name, Err: exec.ErrNotFound}
}

// findExecutable is os/exec's: a file with an execute bit, else
// fs.ErrPermission; a missing file is stat's error on shown.
func findExecutable(rootFd int, p, shown string) error {
	fd, err := storage.OpenIn(rootFd, p, unix.O_PATH)
	if err != nil {
		return &fs.PathError{Op: "stat", Path: shown, Err: err}
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return &fs.PathError{Op: "stat", Path: shown, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR && st.Mode&0o111 != 0 {
		return nil
	}
	return fs.ErrPermission
}

// execMessage prepares what the container side needs to become the
// process: the command found, the user, the environment with HOME, and
// the capability mask (see child_exec in nsexec_linux.go).
func execMessage(rootFd int, p *backend.ProcessSpec, caps []string, hostname, domainname string) ([]byte, error) {
	u, err := resolveUser(rootFd, p.User)
	if err != nil {
		return nil, err
	}
	env := p.Env
	pathEnv := ""
	hasHome := false
	for _, e := range env {
		hasHome = hasHome || strings.HasPrefix(e, "HOME=")
		if v, ok := strings.CutPrefix(e, "PATH="); ok {
			pathEnv = v
		}
	}
	if !hasHome {
		env = append(env[:len(env):len(env)], "HOME="+u.Home)
	}
	if len(p.Args) == 0 {
		return nil, backend.Errorf(backend.InvalidParameter, "no command specified")
	}
	cwd := p.Cwd
	if cwd == "" {
		cwd = "/"
	}
	name, err := lookPath(rootFd, cwd, p.Args[0], pathEnv)
	if err != nil {
		return nil, err
	}
	var mask uint64
	for _, c := range caps {
		if i := capIndex(c); i >= 0 {
			mask |= 1 << i
		}
	}
	var b bytes.Buffer
	add := func(s string) { b.WriteString(s); b.WriteByte(0) }
	num := func(n int) { add(strconv.Itoa(n)) }
	add(name)
	add(cwd)
	add(hostname)
	add(domainname)
	// The supplementary groups start with the primary one, as initgroups
	// and `id` show them.
	groups := []int{u.GID}
	for _, g := range u.Groups {
		if g != u.GID {
			groups = append(groups, g)
		}
	}
	num(u.UID)
	num(u.GID)
	num(len(groups))
	for _, g := range groups {
		num(g)
	}
	add(strconv.FormatUint(mask&0xffffffff, 10))
	add(strconv.FormatUint(mask>>32, 10))
	if p.Tty {
		num(1)
	} else {
		num(0)
	}
	num(len(p.Args))
	for _, a := range p.Args {
		add(a)
	}
	num(len(env))
	for _, e := range env {
		add(e)
	}
	for _, s := range append(append([]string{name, cwd, hostname, domainname}, p.Args...), env...) {
		if strings.IndexByte(s, 0) >= 0 {
			return nil, backend.Errorf(backend.InvalidParameter, "invalid argument: NUL byte in %q", s)
		}
	}
	return b.Bytes(), nil
}

// Steps of child_exec (nsexec_linux.go), for error messages.
var steps = map[int]string{
	1: "receive the command", 2: "set the terminal up", 3: "set the host name", 4: "drop capabilities",
	5: "set no_new_privs", 6: "setgroups", 7: "setgid", 8: "setuid", 9: "set capabilities",
	10: "chdir", 11: "exec", 12: "mount proc, sysfs and mqueue", 13: "bring lo up",
}

// childError turns the container side's 'E' record into the error Start
// or Exec return.
func childError(args []string, v int32) error {
	step, errno := int(v>>16), unix.Errno(v&0xffff)
	if step == 11 && len(args) > 0 {
		return &backend.ExecError{Name: args[0], Reason: errno.Error()}
	}
	if step == 10 {
		return fmt.Errorf("runtime: chdir to cwd set in config.json failed: %w", errno)
	}
	return fmt.Errorf("runtime: container process: %s: %w", steps[step], errno)
}

// execError converts a lookup failure into backend.ExecError.
func execError(err error) error {
	var x *exec.Error
	if errors.As(err, &x) {
		return &backend.ExecError{Name: x.Name, Reason: x.Err.Error()}
	}
	return err
}
