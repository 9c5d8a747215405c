package storage

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

// MountOverlay mounts the overlay of l at target. When the option string
// with absolute lower paths would not fit a page, and relOK says the caller
// may change the working directory (a thread with its own filesystem
// attributes), it mounts from the root with relative paths, as dockerd's
// overlay2 does.
//
// The mount is volatile: overlayfs then skips syncing the upper layer,
// which otherwise costs every container's exit an ext4 journal commit (10
// to 20 ms here). Writes in a container are as durable as any unsynced
// write; after a machine crash overlayfs refuses the upper directory until
// its incompat/volatile marker is removed, which this function does, as the
// container's layer is then simply what reached the disk.
func MountOverlay(root string, l Layout, target string, relOK bool) error {
	os.RemoveAll(filepath.Join(l.Work, "work", "incompat"))
	opts := func(lower []string, upper, work string) string {
		return "index=off,volatile,lowerdir=" + strings.Join(lower, ":") + ",upperdir=" + upper + ",workdir=" + work
	}
	data := opts(l.Lower, l.Upper, l.Work)
	if len(data) >= os.Getpagesize()-1 && relOK {
		rel := func(p string) string { r, _ := filepath.Rel(root, p); return r }
		data = opts(l.LowerRel, rel(l.Upper), rel(l.Work))
		if err := os.Chdir(root); err != nil {
			return err
		}
	}
	if len(data) >= os.Getpagesize()-1 {
		return fmt.Errorf("overlay mount: %d layers do not fit the mount options", len(l.Lower))
	}
	err := unix.Mount("overlay", target, "overlay", 0, data)
	if errors.Is(err, unix.EINVAL) {
		// Kernels without the index or volatile options (before 5.10).
		err = unix.Mount("overlay", target, "overlay", 0, strings.TrimPrefix(data, "index=off,volatile,"))
	}
	if err != nil {
		return fmt.Errorf("overlay mount on %s: %w", target, err)
	}
	return nil
}

// SavedMount is a volume or bind mount a container had when it last
// started, so that archive operations see it while the container is stopped.
type SavedMount struct {
	Source      string // host path
	Destination string
	ReadOnly    bool
}

// SaveMounts records the container's mounts for WithRoot.
func (s *Store) SaveMounts(id string, mounts []SavedMount) error {
	data, err := json.Marshal(mounts)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(s.ContainerDir(id), "mounts.json"), data, 0o600)
}

// WithRoot calls fn with container id's root directory open: /proc/PID/root
// when the container runs as pid (pid > 0), else its overlay and saved
// mounts, mounted in a private mount namespace of one locked thread that
// leaves it when fn returns, so that no mount outlives the call, even if the
// daemon dies.
// Errors: NotFound.
func (s *Store) WithRoot(id string, pid int, fn func(rootFd int) error) error {
	if pid > 0 {
		fd, err := unix.Open(fmt.Sprintf("/proc/%d/root", pid), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return backend.Errorf(backend.Conflict, "container %s: %v", id, err)
		}
		defer unix.Close(fd)
		return fn(fd)
	}
	l, err := s.Layout(id)
	if err != nil {
		return err
	}
	var mounts []SavedMount
	if data, err := os.ReadFile(filepath.Join(l.Dir, "mounts.json")); err == nil {
		json.Unmarshal(data, &mounts)
	}
	errc := make(chan error, 1)
	go func() {
		// Never unlocked: the thread, its namespace and mounts end with
		// this goroutine.
		runtime.LockOSThread()
		errc <- func() error {
			orig, err := os.Open("/proc/thread-self/ns/mnt")
			if err != nil {
				return err
			}
			defer orig.Close()
			if err := unix.Unshare(unix.CLONE_NEWNS | unix.CLONE_FS); err != nil {
				return fmt.Errorf("unshare: %w", err)
			}
			// Go parks rather than ends a locked main thread: return to the
			// daemon's namespace, so the private one and its mounts go away
			// in any case.
			defer unix.Setns(int(orig.Fd()), unix.CLONE_NEWNS)
			if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
				return fmt.Errorf("make private: %w", err)
			}
			if err := MountOverlay(s.root, l, l.Merge, false); err != nil {
				return err
			}
			fd, err := unix.Open(l.Merge, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
			if err != nil {
				return err
			}
			defer unix.Close(fd)
			for _, m := range mounts {
				if err := BindIn(fd, m.Source, m.Destination, m.ReadOnly); err != nil && !errors.Is(err, fs.ErrNotExist) {
					return err
				}
			}
			return fn(fd)
		}()
	}()
	return <-errc
}

// BindIn bind-mounts host path src onto dest inside rootFd, which must
// exist; the mount point is resolved in the root and mounted through its
// descriptor, so a symlink cannot redirect it.
func BindIn(rootFd int, src, dest string, readOnly bool) error {
	fd, err := openIn(rootFd, dest, unix.O_PATH|unix.O_NOFOLLOW)
	if err != nil {
		return fmt.Errorf("mount point %s: %w", dest, err)
	}
	defer unix.Close(fd)
	target := fmt.Sprintf("/proc/self/fd/%d", fd)
	if err := unix.Mount(src, target, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind %s on %s: %w", src, dest, err)
	}
	if readOnly {
		fd2, err := openIn(rootFd, dest, unix.O_PATH)
		if err != nil {
			return err
		}
		defer unix.Close(fd2)
		if err := unix.Mount("", fmt.Sprintf("/proc/self/fd/%d", fd2), "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY|unix.MS_REC, ""); err != nil {
			return fmt.Errorf("read-only %s: %w", dest, err)
		}
	}
	return nil
}

// VolumePath returns a volume's mount point.
func (s *Store) VolumePath(name string) string {
	return filepath.Join(s.root, "volumes", name, "_data")
}

func checkVolumeName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\x00") {
		return backend.Errorf(backend.InvalidParameter, "invalid volume name %q", name)
	}
	return nil
}

// CreateVolume makes volume name's folder. Errors: Conflict when it exists.
func (s *Store) CreateVolume(name string) (string, error) {
	if err := checkVolumeName(name); err != nil {
		return "", err
	}
	dir := filepath.Join(s.root, "volumes", name)
	if err := os.Mkdir(dir, 0o701); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return "", backend.Errorf(backend.Conflict, "volume %s exists", name)
		}
		return "", err
	}
	if err := os.Mkdir(filepath.Join(dir, "_data"), 0o755); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	return s.VolumePath(name), nil
}

// RemoveVolume deletes a volume and its content. Errors: NotFound.
func (s *Store) RemoveVolume(name string) error {
	if err := checkVolumeName(name); err != nil {
		return err
	}
	dir := filepath.Join(s.root, "volumes", name)
	if _, err := os.Lstat(dir); err != nil {
		return backend.Errorf(backend.NotFound, "get %s: no such volume", name)
	}
	return removeAll(dir)
}

// VolumeSize returns the size of a volume's content as dockerd's
// directory.Size counts it: the sizes of everything but directories, a
// hard-linked file once. Errors: NotFound.
func (s *Store) VolumeSize(name string) (int64, error) {
	if err := checkVolumeName(name); err != nil {
		return 0, err
	}
	dir := filepath.Join(s.root, "volumes", name)
	if _, err := os.Lstat(dir); err != nil {
		return 0, backend.Errorf(backend.NotFound, "get %s: no such volume", name)
	}
	return dirSize(s.VolumePath(name))
}

// Volumes lists the volumes' names.
func (s *Store) Volumes() ([]string, error) {
	ents, err := os.ReadDir(filepath.Join(s.root, "volumes"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out, nil
}

// RootfsSize returns the size of container id's read-write layer, as
// VolumeSize sizes a volume. Errors: NotFound.
func (s *Store) RootfsSize(id string) (int64, error) {
	if _, err := s.rootfsMeta(id); err != nil {
		return 0, err
	}
	return dirSize(filepath.Join(s.ContainerDir(id), "diff"))
}

// dirSize is Docker's directory.Size: the Lstat sizes of everything below
// dir but directories, each inode once.
func dirSize(dir string) (int64, error) {
	var size int64
	seen := map[uint64]bool{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return nil
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Nlink > 1 {
			if seen[st.Ino] {
				return nil
			}
			seen[st.Ino] = true
		}
		size += fi.Size()
		return nil
	})
	return size, err
}
