package runtime

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	goruntime "runtime"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/twinbox-dev/twinbox/native/storage"
	"github.com/twinbox-dev/twinbox/shared/backend"
)

// syncFd is the init's end of the sync socket with the daemon.
const syncFd = 3

// Init runs the container side of twinbox when this process is one: the
// init of a new container or a process `docker exec` starts (the C
// helpers, which ran before the Go runtime, set _TWINBOX_ROLE). Then it
// never returns. In any other process it returns at once. main must call it
// before anything else.
func Init() {
	role := os.Getenv("_TWINBOX_ROLE")
	if role == "init" || role == "execinit" {
		// The daemon learns that the command runs when this closes at exec.
		unix.CloseOnExec(syncFd)
		os.Unsetenv("_TWINBOX_ROLE")
	}
	switch role {
	case "init":
		goruntime.LockOSThread()
		fatal(runInit())
	case "execinit":
		goruntime.LockOSThread()
		fatal(runExecInit())
	}
}

// fatal reports err to the daemon and exits.
func fatal(err error) {
	m := message{Kind: "error", Error: err.Error()}
	var x *exec.Error
	if errors.As(err, &x) {
		m.Exec = true
		m.Error = x.Err.Error()
	}
	send(syncFd, m)
	os.Exit(127)
}

func runInit() error {
	m, _, err := recv(syncFd)
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	c := m.Init
	if c == nil {
		return errors.New("no config")
	}
	if err := setupRootfs(c); err != nil {
		return err
	}
	if c.Hostname != "" {
		if err := unix.Sethostname([]byte(c.Hostname)); err != nil {
			return fmt.Errorf("sethostname: %w", err)
		}
	}
	if c.Domainname != "" {
		if err := unix.Setdomainname([]byte(c.Domainname)); err != nil {
			return fmt.Errorf("setdomainname: %w", err)
		}
	}
	if c.LoopbackUp {
		if err := loopbackUp(); err != nil {
			return err
		}
	}
	if err := send(syncFd, message{Kind: "ready"}); err != nil {
		return err
	}
	m, fds, err := recv(syncFd)
	if err != nil || m.Kind != "go" {
		return fmt.Errorf("waiting for the daemon: %v %s", err, m.Error)
	}
	if c.Process.Tty {
		if len(fds) != 1 {
			return errors.New("no terminal from the daemon")
		}
		if err := bindConsole(fds[0]); err != nil {
			return err
		}
		if err := takeTerminal(fds[0]); err != nil {
			return err
		}
	}
	if c.ReadonlyRootfs {
		if err := unix.Mount("", "/", "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
			return fmt.Errorf("read-only root: %w", err)
		}
	}
	return execProcess(&c.Process, c.Caps)
}

func runExecInit() error {
	m, fds, err := recv(syncFd)
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	c := m.Proc
	if c == nil {
		return errors.New("no config")
	}
	if c.Process.Tty {
		if len(fds) != 1 {
			return errors.New("no terminal from the daemon")
		}
		if err := takeTerminal(fds[0]); err != nil {
			return err
		}
	}
	return execProcess(&c.Process, c.Caps)
}

// takeTerminal makes the terminal fd the process's standard streams and
// controlling terminal.
func takeTerminal(fd int) error {
	if _, err := unix.Setsid(); err != nil {
		return fmt.Errorf("setsid: %w", err)
	}
	for i := 0; i < 3; i++ {
		if err := unix.Dup2(fd, i); err != nil {
			return err
		}
	}
	unix.Close(fd)
	if err := unix.IoctlSetInt(0, unix.TIOCSCTTY, 0); err != nil {
		return fmt.Errorf("controlling terminal: %w", err)
	}
	return nil
}

// bindConsole mounts the terminal on /dev/console, as runc does.
func bindConsole(fd int) error {
	f, err := os.OpenFile("/dev/console", os.O_CREATE|os.O_WRONLY, 0o666)
	if err != nil {
		return err
	}
	f.Close()
	return unix.Mount(fmt.Sprintf("/proc/self/fd/%d", fd), "/dev/console", "", unix.MS_BIND, "")
}

// execProcess resolves the user and the command inside the container,
// drops privileges and executes the command. It returns only on failure:
// an *exec.Error when the command cannot be executed.
func execProcess(p *backend.ProcessSpec, caps []string) error {
	passwd, _ := os.ReadFile("/etc/passwd")
	group, _ := os.ReadFile("/etc/group")
	var pr, gr *bytes.Reader
	if passwd != nil {
		pr = bytes.NewReader(passwd)
	}
	if group != nil {
		gr = bytes.NewReader(group)
	}
	var u backend.ExecUser
	var err error
	if pr != nil && gr != nil {
		u, err = backend.ResolveUser(p.User, pr, gr)
	} else if pr != nil {
		u, err = backend.ResolveUser(p.User, pr, nil)
	} else if gr != nil {
		u, err = backend.ResolveUser(p.User, nil, gr)
	} else {
		u, err = backend.ResolveUser(p.User, nil, nil)
	}
	if err != nil {
		return err
	}
	env := p.Env
	hasHome := false
	for _, e := range env {
		hasHome = hasHome || strings.HasPrefix(e, "HOME=")
	}
	if !hasHome {
		env = append(env[:len(env):len(env)], "HOME="+u.Home)
	}
	os.Clearenv()
	for _, e := range env {
		if k, v, ok := strings.Cut(e, "="); ok {
			os.Setenv(k, v)
		}
	}
	cwd := p.Cwd
	if cwd == "" {
		cwd = "/"
	}
	if err := os.MkdirAll(cwd, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("mkdir %s: %w", cwd, err)
	}
	if len(p.Args) == 0 {
		return errors.New("no command specified")
	}
	// As runc: look the command up before dropping privileges, with the
	// container's PATH; errors read `exec: "NAME": REASON`.
	name, err := exec.LookPath(p.Args[0])
	if err != nil && !errors.Is(err, exec.ErrDot) {
		return err
	}
	if err := dropBounding(caps); err != nil {
		return err
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("no_new_privs: %w", err)
	}
	if err := unix.Setgroups(u.Groups); err != nil {
		return fmt.Errorf("setgroups: %w", err)
	}
	if err := unix.Setgid(u.GID); err != nil {
		return fmt.Errorf("setgid: %w", err)
	}
	if err := unix.Setuid(u.UID); err != nil {
		return fmt.Errorf("setuid: %w", err)
	}
	if u.UID == 0 {
		if err := setCaps(caps); err != nil {
			return fmt.Errorf("capset: %w", err)
		}
	}
	if err := os.Chdir(cwd); err != nil {
		return fmt.Errorf("chdir to cwd (%q) set in config.json failed: %w", cwd, err)
	}
	err = unix.Exec(name, p.Args, os.Environ())
	return &exec.Error{Name: p.Args[0], Err: err}
}

// loopbackUp brings lo up, as runc's loopback strategy does.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("lo: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("lo up: %w", err)
	}
	return nil
}

// Docker's masked and read-only paths (oci/defaults.go).
var (
	maskedPaths = []string{
		"/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
		"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
	}
	readonlyPaths = []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}
)

// setupRootfs mounts the container's root filesystem and pivots into it.
func setupRootfs(c *initConfig) error {
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
	const (
		nsd = unix.MS_NOSUID | unix.MS_NODEV
		all = unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC
	)
	mounts := []struct {
		dest, fstype string
		flags        uintptr
		data         string
	}{
		{"/proc", "proc", all, ""},
		{"/dev", "tmpfs", unix.MS_NOSUID | unix.MS_STRICTATIME, "mode=755,size=65536k"},
		{"/dev/pts", "devpts", unix.MS_NOSUID | unix.MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5"},
		{"/sys", "sysfs", all | unix.MS_RDONLY, ""},
		{"/dev/mqueue", "mqueue", all, ""},
		{"/dev/shm", "tmpfs", all, "mode=1777,size=65536k"},
	}
	if c.Privileged {
		mounts[3].flags &^= unix.MS_RDONLY
	}
	for _, m := range mounts {
		if err := mountIn(rootFd, m.dest, m.fstype, m.flags, m.data); err != nil {
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
	if err := storage.MkdirIn(rootFd, c.Process.Cwd); err != nil {
		return fmt.Errorf("working directory %s: %w", c.Process.Cwd, err)
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
	return nil
}

// mountIn mounts a filesystem on dest inside the root, creating the folder.
func mountIn(rootFd int, dest, fstype string, flags uintptr, data string) error {
	if err := storage.MkdirIn(rootFd, dest); err != nil {
		return fmt.Errorf("mount point %s: %w", dest, err)
	}
	fd, err := storage.OpenIn(rootFd, dest, unix.O_PATH|unix.O_DIRECTORY)
	if err != nil {
		return fmt.Errorf("mount point %s: %w", dest, err)
	}
	defer unix.Close(fd)
	if err := unix.Mount(fstype, fmt.Sprintf("/proc/self/fd/%d", fd), fstype, flags, data); err != nil {
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
	return nil
}

// mountVolume mounts a volume, bind mount or tmpfs, creating the mount
// point in the container's layer (where `docker diff` shows it).
func mountVolume(rootFd int, m mountConfig) error {
	if m.Type == "tmpfs" {
		flags := uintptr(unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC)
		if m.ReadOnly {
			flags |= unix.MS_RDONLY
		}
		return mountIn(rootFd, m.Destination, "tmpfs", flags, "mode=1777")
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
	return storage.CopyTree(src, dst)
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
