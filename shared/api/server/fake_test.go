package server

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"sync"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/system"

	"github.com/twinbox-dev/twinbox/shared/api/wire"
	"github.com/twinbox-dev/twinbox/shared/engine"
)

// fakeAPI records the engine calls the router makes, as
// `Method(arg, arg, ...)` with each argument in JSON, and answers with
// zero values unless a hook is set. It lets the router's tests check what
// each request turns into without an engine.
type fakeAPI struct {
	mu    sync.Mutex
	calls []string

	err error // returned by every method when set

	version    func() (system.VersionResponse, error)
	events     func(opts engine.EventsOptions) ([]events.Message, <-chan events.Message, error)
	create     func(opts engine.CreateOptions) (container.CreateResponse, error)
	containers func() ([]container.Summary, error)
	inspect    func(name string) (*wire.ContainerJSON, error)
	kill       func(name, sig string) error
	wait       func(name string) (<-chan container.WaitResponse, error)
	logs       func(name string, opts engine.LogsOptions) (<-chan engine.LogMessage, bool, error)
	changes    func(name string) ([]container.FilesystemChange, error)
	attach     func(ctx context.Context, name string, opts engine.AttachOptions) error
	execStart  func(ctx context.Context, id string, opts engine.ExecStartOptions) error
	pull       func(ref string, progress engine.ProgressFunc) error
	load       func(r io.Reader, progress engine.ProgressFunc) error
	save       func(names []string, w io.Writer) error
	export     func(name string, w io.Writer) error
	networks   []wire.Network // what Networks answers
	panicOn    string         // a method name that panics
}

func (f *fakeAPI) record(method string, args ...any) error {
	parts := make([]string, len(args))
	for i, a := range args {
		if _, ok := a.(context.Context); ok {
			continue
		}
		b, err := json.Marshal(a)
		if err != nil {
			b = []byte("?")
		}
		parts[i] = string(b)
	}
	f.mu.Lock()
	f.calls = append(f.calls, method+"("+strings.Join(parts, ", ")+")")
	f.mu.Unlock()
	if f.panicOn == method {
		panic("fake " + method + " exploded")
	}
	return f.err
}

func (f *fakeAPI) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeAPI) Version(ctx context.Context) (system.VersionResponse, error) {
	if err := f.record("Version"); err != nil {
		return system.VersionResponse{}, err
	}
	if f.version != nil {
		return f.version()
	}
	return system.VersionResponse{Version: "20.10.24+dfsg1", APIVersion: "1.41"}, nil
}

func (f *fakeAPI) Info(ctx context.Context) (*system.Info, error) {
	if err := f.record("Info"); err != nil {
		return nil, err
	}
	return &system.Info{ID: "X", Name: "twinbox"}, nil
}

func (f *fakeAPI) Events(ctx context.Context, opts engine.EventsOptions) ([]events.Message, <-chan events.Message, error) {
	if err := f.record("Events", opts); err != nil {
		return nil, nil, err
	}
	if f.events != nil {
		return f.events(opts)
	}
	return nil, nil, nil
}

func (f *fakeAPI) ContainerCreate(ctx context.Context, opts engine.CreateOptions) (container.CreateResponse, error) {
	type summary struct {
		Name, Image, NetworkMode, CgroupnsMode, IpcMode string
		Cmd                                             []string
		Volumes                                         map[string]struct{}
		PidsLimit                                       *int64
		AutoRemove                                      bool
	}
	sum := summary{Name: opts.Name}
	if c := opts.Config; c != nil {
		sum.Image, sum.Cmd, sum.Volumes = c.Image, c.Cmd, c.Volumes
	}
	if hc := opts.HostConfig; hc != nil {
		sum.NetworkMode, sum.CgroupnsMode, sum.IpcMode = string(hc.NetworkMode), string(hc.CgroupnsMode), string(hc.IpcMode)
		sum.PidsLimit, sum.AutoRemove = hc.PidsLimit, hc.AutoRemove
	}
	if err := f.record("ContainerCreate", sum); err != nil {
		return container.CreateResponse{}, err
	}
	if f.create != nil {
		return f.create(opts)
	}
	return container.CreateResponse{ID: "c0ffee", Warnings: []string{}}, nil
}

func (f *fakeAPI) Containers(ctx context.Context, opts engine.ListOptions) ([]container.Summary, error) {
	if err := f.record("Containers", opts); err != nil {
		return nil, err
	}
	if f.containers != nil {
		return f.containers()
	}
	return []container.Summary{}, nil
}

func (f *fakeAPI) ContainerInspect(ctx context.Context, name string, size bool) (*wire.ContainerJSON, error) {
	if err := f.record("ContainerInspect", name, size); err != nil {
		return nil, err
	}
	if f.inspect != nil {
		return f.inspect(name)
	}
	return &wire.ContainerJSON{}, nil
}

func (f *fakeAPI) ContainerStart(ctx context.Context, name string) error {
	return f.record("ContainerStart", name)
}

func (f *fakeAPI) ContainerStop(ctx context.Context, name string, opts engine.StopOptions) error {
	return f.record("ContainerStop", name, opts)
}

func (f *fakeAPI) ContainerRestart(ctx context.Context, name string, opts engine.StopOptions) error {
	return f.record("ContainerRestart", name, opts)
}

func (f *fakeAPI) ContainerKill(ctx context.Context, name, signal string) error {
	if err := f.record("ContainerKill", name, signal); err != nil {
		return err
	}
	if f.kill != nil {
		return f.kill(name, signal)
	}
	return nil
}

func (f *fakeAPI) ContainerPause(ctx context.Context, name string) error {
	return f.record("ContainerPause", name)
}

func (f *fakeAPI) ContainerUnpause(ctx context.Context, name string) error {
	return f.record("ContainerUnpause", name)
}

func (f *fakeAPI) ContainerWait(ctx context.Context, name string, cond container.WaitCondition) (<-chan container.WaitResponse, error) {
	if err := f.record("ContainerWait", name, cond); err != nil {
		return nil, err
	}
	if f.wait != nil {
		return f.wait(name)
	}
	ch := make(chan container.WaitResponse, 1)
	ch <- container.WaitResponse{StatusCode: 0}
	return ch, nil
}

func (f *fakeAPI) ContainerRemove(ctx context.Context, name string, opts engine.RemoveOptions) error {
	return f.record("ContainerRemove", name, opts)
}

func (f *fakeAPI) ContainerRename(ctx context.Context, name, newName string) error {
	return f.record("ContainerRename", name, newName)
}

func (f *fakeAPI) ContainerLogs(ctx context.Context, name string, opts engine.LogsOptions) (<-chan engine.LogMessage, bool, error) {
	if err := f.record("ContainerLogs", name, opts); err != nil {
		return nil, false, err
	}
	if f.logs != nil {
		return f.logs(name, opts)
	}
	ch := make(chan engine.LogMessage)
	close(ch)
	return ch, false, nil
}

func (f *fakeAPI) ContainerTop(ctx context.Context, name, psArgs string) (container.TopResponse, error) {
	return container.TopResponse{}, f.record("ContainerTop", name, psArgs)
}

func (f *fakeAPI) ContainerChanges(ctx context.Context, name string) ([]container.FilesystemChange, error) {
	if err := f.record("ContainerChanges", name); err != nil {
		return nil, err
	}
	if f.changes != nil {
		return f.changes(name)
	}
	return []container.FilesystemChange{}, nil
}

func (f *fakeAPI) ContainerAttach(ctx context.Context, name string, opts engine.AttachOptions) error {
	o := struct {
		UseStdin, UseStdout, UseStderr, Logs, Stream bool
		DetachKeys                                   string
	}{opts.UseStdin, opts.UseStdout, opts.UseStderr, opts.Logs, opts.Stream, opts.DetachKeys}
	if err := f.record("ContainerAttach", name, o); err != nil {
		return err
	}
	if f.attach != nil {
		return f.attach(ctx, name, opts)
	}
	return nil
}

func (f *fakeAPI) ContainerResize(ctx context.Context, name string, height, width uint) error {
	return f.record("ContainerResize", name, height, width)
}

func (f *fakeAPI) ContainerExport(ctx context.Context, name string, w io.Writer) error {
	if err := f.record("ContainerExport", name); err != nil {
		return err
	}
	if f.export != nil {
		return f.export(name, w)
	}
	return nil
}

func (f *fakeAPI) ExecCreate(ctx context.Context, name string, req *container.ExecCreateRequest) (string, error) {
	return "e1", f.record("ExecCreate", name, req)
}

func (f *fakeAPI) ExecStart(ctx context.Context, id string, opts engine.ExecStartOptions) error {
	o := struct {
		Detach, Tty bool
		ConsoleSize *[2]uint
	}{opts.Detach, opts.Tty, opts.ConsoleSize}
	if err := f.record("ExecStart", id, o); err != nil {
		return err
	}
	if f.execStart != nil {
		return f.execStart(ctx, id, opts)
	}
	return nil
}

func (f *fakeAPI) ExecInspect(ctx context.Context, id string) (*container.ExecInspectResponse, error) {
	return &container.ExecInspectResponse{ID: id}, f.record("ExecInspect", id)
}

func (f *fakeAPI) ExecResize(ctx context.Context, id string, height, width uint) error {
	return f.record("ExecResize", id, height, width)
}

func (f *fakeAPI) Commit(ctx context.Context, name string, opts engine.CommitOptions) (string, error) {
	return "sha256:abc", f.record("Commit", name, opts)
}

func (f *fakeAPI) Images(ctx context.Context, opts engine.ImageListOptions) ([]wire.ImageSummary, error) {
	return []wire.ImageSummary{}, f.record("Images", opts)
}

func (f *fakeAPI) ImageInspect(ctx context.Context, name string) (*wire.ImageInspect, error) {
	return &wire.ImageInspect{}, f.record("ImageInspect", name)
}

func (f *fakeAPI) ImageHistory(ctx context.Context, name string) ([]image.HistoryResponseItem, error) {
	return []image.HistoryResponseItem{}, f.record("ImageHistory", name)
}

func (f *fakeAPI) ImageTag(ctx context.Context, name, repo, tag string) error {
	return f.record("ImageTag", name, repo, tag)
}

func (f *fakeAPI) ImageRemove(ctx context.Context, name string, force, prune bool) ([]image.DeleteResponse, error) {
	return []image.DeleteResponse{{Untagged: name}}, f.record("ImageRemove", name, force, prune)
}

func (f *fakeAPI) ImagePush(ctx context.Context, name, tag string, progress engine.ProgressFunc) error {
	return f.record("ImagePush", name, tag)
}

func (f *fakeAPI) ImagePull(ctx context.Context, ref string, progress engine.ProgressFunc) error {
	if err := f.record("ImagePull", ref); err != nil {
		return err
	}
	if f.pull != nil {
		return f.pull(ref, progress)
	}
	return nil
}

func (f *fakeAPI) ImageSave(ctx context.Context, names []string, w io.Writer) error {
	if err := f.record("ImageSave", names); err != nil {
		return err
	}
	if f.save != nil {
		return f.save(names, w)
	}
	return nil
}

func (f *fakeAPI) ImageLoad(ctx context.Context, r io.Reader, quiet bool, progress engine.ProgressFunc) error {
	if err := f.record("ImageLoad", quiet); err != nil {
		return err
	}
	if f.load != nil {
		return f.load(r, progress)
	}
	return nil
}

var _ api = (*fakeAPI)(nil)
