package storage

import (
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

type rootfsMeta struct {
	Parent   string // ChainID of the image's top layer, "" for scratch
	InitLink string // short name of the init layer under l/
}

// Layout is where a container's overlay comes from and goes.
type Layout struct {
	// Lower are the lower directories, top first: the init layer, then the
	// image's layers. Each is a short path under <root>/l.
	Lower []string
	// LowerRel are the same relative to the root, for a mount made from
	// there when the absolute option would not fit one page.
	LowerRel           []string
	Upper, Work, Merge string
	// Dir is the container's folder for the runtime's own files.
	Dir string
}

// ContainerDir returns the container's folder.
func (s *Store) ContainerDir(id string) string { return filepath.Join(s.root, "containers", id) }

func (s *Store) rootfsMeta(id string) (*rootfsMeta, error) {
	data, err := os.ReadFile(filepath.Join(s.ContainerDir(id), "rootfs.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, backend.Errorf(backend.NotFound, "No such container: %s", id)
	}
	if err != nil {
		return nil, err
	}
	m := new(rootfsMeta)
	return m, json.Unmarshal(data, m)
}

// initEntries is what Docker's init layer holds (daemon/initlayer): mount
// points the runtime covers, so that they never show in `docker diff`.
var initEntries = []struct{ path, kind string }{
	{"/dev/pts", "dir"}, {"/dev/shm", "dir"}, {"/proc", "dir"}, {"/sys", "dir"},
	{"/.dockerenv", "file"}, {"/etc/resolv.conf", "file"}, {"/etc/hosts", "file"},
	{"/etc/hostname", "file"}, {"/dev/console", "file"}, {"/etc/mtab", "/proc/mounts"},
}

// CreateRootfs prepares container id's layers on parent. Errors: NotFound,
// Conflict.
func (s *Store) CreateRootfs(id, parent string) error {
	if parent != "" {
		if _, err := s.chain(parent); err != nil {
			return err
		}
	}
	dir := s.ContainerDir(id)
	if err := os.Mkdir(dir, 0o710); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return backend.Errorf(backend.Conflict, "container %s has a root filesystem already", id)
		}
		return err
	}
	ok := false
	defer func() {
		if !ok {
			removeAll(dir)
		}
	}()
	for _, d := range []string{"diff", "work", "merged", "init"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	for _, e := range initEntries {
		p := filepath.Join(dir, "init", e.path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		var err error
		switch e.kind {
		case "dir":
			err = os.Mkdir(p, 0o755)
		case "file":
			var f *os.File
			if f, err = os.OpenFile(p, os.O_CREATE, 0o755); err == nil {
				f.Close()
			}
		default:
			err = os.Symlink(e.kind, p)
		}
		if err != nil {
			return err
		}
	}
	s.mu.Lock()
	link, err := s.newLink()
	if err == nil {
		err = os.Symlink(filepath.Join("..", "containers", id, "init"), filepath.Join(s.root, "l", link))
	}
	s.mu.Unlock()
	if err != nil {
		return err
	}
	// rootfs.json marks the root filesystem complete. It is renamed into
	// place, not synced: a sync here cost 1.5-2 ms of every create, and
	// after a power cut RemoveRootfs removes a folder without it.
	data, _ := json.Marshal(rootfsMeta{Parent: parent, InitLink: link})
	if err := writeRenamed(filepath.Join(dir, "rootfs.json"), data); err != nil {
		os.Remove(filepath.Join(s.root, "l", link))
		return err
	}
	ok = true
	return nil
}

// RemoveRootfs deletes container id's layers and folder. Errors: NotFound.
func (s *Store) RemoveRootfs(id string) error {
	dir := s.ContainerDir(id)
	m, err := s.rootfsMeta(id)
	if err != nil {
		if _, serr := os.Lstat(dir); serr != nil || id == "" || id == "." || id == ".." || strings.ContainsRune(id, '/') {
			return err
		}
		// A folder whose rootfs.json a power cut lost (it is not synced):
		// it goes all the same; its l/ link is left dangling.
		m = &rootfsMeta{}
	}
	// A mount left by a crashed runtime would keep the files busy.
	unix.Unmount(filepath.Join(dir, "merged"), unix.MNT_DETACH)
	os.Remove(filepath.Join(dir, "rootfs.json"))
	if m.InitLink != "" {
		os.Remove(filepath.Join(s.root, "l", m.InitLink))
	}
	return s.discard(dir)
}

// discard removes dir: it renames it into tmp/ at once (which Open
// empties, should the daemon stop first) and deletes the files in the
// background. Deleting a container's files takes 2 to 4 ms here, which a
// `docker run --rm` would otherwise wait for.
func (s *Store) discard(dir string) error {
	trash, err := os.MkdirTemp(filepath.Join(s.root, "tmp"), "rm-")
	if err != nil {
		return removeAll(dir)
	}
	if err := os.Rename(dir, filepath.Join(trash, "x")); err != nil {
		os.Remove(trash)
		return removeAll(dir)
	}
	go removeAll(trash)
	return nil
}

// Layout returns where container id's overlay comes from. Errors: NotFound.
func (s *Store) Layout(id string) (Layout, error) {
	m, err := s.rootfsMeta(id)
	if err != nil {
		return Layout{}, err
	}
	chain, err := s.chain(m.Parent)
	if err != nil {
		return Layout{}, err
	}
	dir := s.ContainerDir(id)
	l := Layout{Upper: filepath.Join(dir, "diff"), Work: filepath.Join(dir, "work"), Merge: filepath.Join(dir, "merged"), Dir: dir}
	links := []string{m.InitLink}
	for _, c := range chain {
		links = append(links, c.Link)
	}
	for _, k := range links {
		l.Lower = append(l.Lower, filepath.Join(s.root, "l", k))
		l.LowerRel = append(l.LowerRel, "l/"+k)
	}
	return l, nil
}

// lowerDirs returns the real folders of a container's lower layers, top
// first.
func (s *Store) lowerDirs(id string) ([]string, error) {
	m, err := s.rootfsMeta(id)
	if err != nil {
		return nil, err
	}
	chain, err := s.chain(m.Parent)
	if err != nil {
		return nil, err
	}
	dirs := []string{filepath.Join(s.ContainerDir(id), "init")}
	for _, c := range chain {
		dirs = append(dirs, filepath.Join(s.layerDir(c.ChainID), "diff"))
	}
	return dirs, nil
}

// Changes lists what container id's read-write layer changed, as `docker
// diff` reports it for overlay2: a depth-first walk of the upper folder,
// entries sorted by name (filepath.Walk's order, as in pkg/archive's
// changes()); a 0/0 character device is a deleted path; a path absent from
// every lower layer is added, otherwise modified, except a folder whose
// size, mode and modification time equal the lower one's; and every folder
// holding a change is listed as modified just before its entries, as
// dockerd 20.10's naive diff does (it is what the reference shows:
// `C /etc` above `C /etc/passwd`). Errors: NotFound.
func (s *Store) Changes(id string) ([]backend.Change, error) {
	layers, err := s.lowerDirs(id)
	if err != nil {
		return nil, err
	}
	rw := filepath.Join(s.ContainerDir(id), "diff")
	var walk func(dir string) ([]backend.Change, error)
	walk = func(dir string) ([]backend.Change, error) {
		ents, err := os.ReadDir(filepath.Join(rw, dir))
		if err != nil {
			return nil, err
		}
		var out []backend.Change
		// os.ReadDir sorts by name, as filepath.Walk does.
		for _, e := range ents {
			p := filepath.Join(dir, e.Name())
			fi, err := e.Info()
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					continue
				}
				return nil, err
			}
			ch := backend.Change{Path: p, Kind: backend.Add}
			listed := true
			if st, ok := fi.Sys().(*syscall.Stat_t); ok && fi.Mode()&fs.ModeCharDevice != 0 && st.Rdev == 0 {
				ch.Kind = backend.Delete
			} else {
				for _, l := range layers {
					lst, err := os.Lstat(filepath.Join(l, p))
					if err != nil {
						if errors.Is(err, fs.ErrNotExist) || errors.Is(err, unix.ENOTDIR) {
							continue
						}
						return nil, err
					}
					if lst.IsDir() && fi.IsDir() && fi.Size() == lst.Size() && fi.Mode() == lst.Mode() && sameFsTime(fi.ModTime(), lst.ModTime()) {
						listed = false
					}
					ch.Kind = backend.Modify
					break
				}
			}
			var sub []backend.Change
			if fi.IsDir() {
				if sub, err = walk(p); err != nil {
					return nil, err
				}
			}
			if listed || len(sub) > 0 {
				out = append(out, ch)
			}
			out = append(out, sub...)
		}
		return out, nil
	}
	out, err := walk("/")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return out, nil
}

// sameFsTime compares modification times as Docker does: equal, or the same
// second when either has no sub-second part (tar keeps whole seconds).
func sameFsTime(a, b time.Time) bool {
	return a.Equal(b) || (a.Unix() == b.Unix() && (a.Nanosecond() == 0 || b.Nanosecond() == 0))
}

// CommitRootfs stores a snapshot of container id's read-write layer as a new
// layer on the container's parent. Errors: NotFound.
func (s *Store) CommitRootfs(id string) (backend.Layer, error) {
	m, err := s.rootfsMeta(id)
	if err != nil {
		return backend.Layer{}, err
	}
	tmp, err := os.CreateTemp(filepath.Join(s.root, "tmp"), "commit-*.tar")
	if err != nil {
		return backend.Layer{}, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if err := s.DiffTar(id, tmp); err != nil {
		return backend.Layer{}, err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return backend.Layer{}, err
	}
	return s.ApplyLayer(m.Parent, tmp)
}
