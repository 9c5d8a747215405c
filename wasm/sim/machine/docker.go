package machine

import (
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/cli"
	"github.com/twinbox-dev/twinbox/wasm/sim/sys"
	"github.com/twinbox-dev/twinbox/wasm/sim/vfs"
)

// dockerProgram is /usr/bin/docker on the simulated host: the CLI, talking
// to this machine's engine, with the process's streams, terminal,
// environment, working directory and files.
func (m *Machine) dockerProgram(p sys.Proc) int {
	sigs := make(chan backend.Signal, 4)
	p.Notify(sigs, backend.SIGINT)
	p.Notify(sigs, backend.SIGTERM)
	streams := cli.Streams{Stdin: p.Stdin(), Stdout: p.Stdout(), Stderr: p.Stderr()}
	if t, ok := p.Terminal(0); ok {
		_, outTTY := p.Terminal(1)
		streams.Terminal = &terminal{t: t, stdout: outTTY}
	} else if t, ok := p.Terminal(1); ok {
		streams.Terminal = &terminal{t: t, stdout: true, noStdin: true}
	}
	return cli.Run(p.Context(), p.Args()[1:], streams, cli.Options{
		Handler: m.api,
		Host:    "unix:///var/run/docker.sock",
		Getenv:  func(k string) string { v, _ := p.Getenv(k); return v },
		Getwd:   func() (string, error) { return p.Dir(), nil },
		Files:   &files{fs: p.FS(), dir: p.Dir(), umask: p.Umask()},
		Now:     p.Now,
		Signals: sigs,
	})
}

// terminal is the simulated host's terminal as the CLI sees it.
type terminal struct {
	t       sys.Terminal
	stdout  bool
	noStdin bool
}

func (t *terminal) StdinIsTerminal() bool  { return !t.noStdin }
func (t *terminal) StdoutIsTerminal() bool { return t.stdout }

func (t *terminal) MakeRaw() (func() error, error) {
	was := t.t.SetRaw(true)
	return func() error { t.t.SetRaw(was); return nil }, nil
}

func (t *terminal) Size() (uint, uint, error) {
	rows, cols := t.t.Size()
	return uint(rows), uint(cols), nil
}

// files are the simulated host's files as the CLI reads and writes them.
type files struct {
	fs    vfs.FS
	dir   string
	umask os.FileMode
}

func (f *files) abs(name string) string {
	if !strings.HasPrefix(name, "/") {
		name = path.Join(f.dir, name)
	}
	return name
}

func (f *files) Open(name string) (io.ReadCloser, error) {
	return f.fs.OpenFile(f.abs(name), os.O_RDONLY, 0)
}

// Lstat, ReadDir and Readlink let `docker build` walk a context folder of
// the simulated host.
func (f *files) Lstat(name string) (fs.FileInfo, error) { return f.fs.Lstat(f.abs(name)) }

func (f *files) ReadDir(name string) ([]fs.DirEntry, error) { return f.fs.ReadDir(f.abs(name)) }

func (f *files) Readlink(name string) (string, error) { return f.fs.Readlink(f.abs(name)) }

func (f *files) Create(name string) (io.WriteCloser, error) {
	return f.fs.OpenFile(f.abs(name), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666&^f.umask)
}

// The rest lets `docker cp` write into the simulated host's files, as the
// operating system's files do for the docker CLI (perm is before umask).
var _ cli.CopyFiles = (*files)(nil)

func (f *files) Mkdir(name string, perm fs.FileMode) error {
	return f.fs.Mkdir(f.abs(name), perm&^f.umask)
}

func (f *files) WriteFile(name string, perm fs.FileMode) (io.WriteCloser, error) {
	return f.fs.OpenFile(f.abs(name), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm&^f.umask)
}

func (f *files) Symlink(oldname, newname string) error { return f.fs.Symlink(oldname, f.abs(newname)) }

func (f *files) Link(oldname, newname string) error {
	return f.fs.Link(f.abs(oldname), f.abs(newname))
}

func (f *files) RemoveAll(name string) error { return vfs.RemoveAll(f.fs, f.abs(name)) }

func (f *files) Chmod(name string, mode fs.FileMode) error { return f.fs.Chmod(f.abs(name), mode) }

func (f *files) Chtimes(name string, atime, mtime time.Time) error {
	return f.fs.Chtimes(f.abs(name), atime, mtime)
}
