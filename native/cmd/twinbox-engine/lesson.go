package main

// twinbox lesson run|check: lessons (lessons/*.md) run against a fresh
// engine each, on the simulator in process, on a private native daemon, or
// with the stock docker CLI on the engine DOCKER_HOST names.

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/creack/pty"

	"github.com/twinbox-dev/twinbox/shared/api/client"
	"github.com/twinbox-dev/twinbox/shared/api/transport"
	"github.com/twinbox-dev/twinbox/shared/lesson"
	"github.com/twinbox-dev/twinbox/shared/lesson/markdown"
	"github.com/twinbox-dev/twinbox/wasm/sim/machine"
)

func init() {
	register("lesson", "Run lessons against an engine (lesson run FILE... --backend sim|native|docker)", lessonMain)
}

const lessonUsage = `Usage:  twinbox lesson run [OPTIONS] FILE...
        twinbox lesson check FILE...

Run each lesson's steps against a fresh engine and report each step, with a
diff of the expected and the actual output when they differ; or only check
that the files are well formed.

Options:
  --backend sim|native|docker  the engine (default sim): the simulator in
                               process; a private twinbox daemon --backend
                               native (root); the stock docker CLI against
                               $DOCKER_HOST, removing only what the lessons made
  --base FILE                  the base image the native engine loads, and
                               real Docker when it lacks busybox:latest
                               (default build/images/busybox.tar)
  --docker PATH                the stock docker CLI (default: docker on PATH)
  --timeout DURATION           how long a command may run (default 60s)
  --format text|json           the report's format (default text)
  -v, --verbose                show every command's output
`

func lessonMain(args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(os.Stdout, lessonUsage)
		if len(args) == 0 {
			return 125
		}
		return 0
	}
	switch args[0] {
	case "run":
		return lessonRun(args[1:])
	case "check":
		return lessonCheck(args[1:])
	}
	fmt.Fprintf(os.Stderr, "twinbox lesson: unknown command %q\n\n%s", args[0], lessonUsage)
	return 125
}

// lessonOptions are the flags of lesson run and compare.
type lessonOptions struct {
	backend, base, docker, format string
	timeout                       time.Duration
	verbose                       bool
	with                          string // compare only
	width                         int    // compare only
}

// parseInterleaved parses flags that may come before, between or after
// the files, and returns the files.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return files, nil
		}
		if args[0] == "--" {
			return append(files, args[1:]...), nil
		}
		files = append(files, args[0])
		args = args[1:]
	}
}

func lessonFlags(name string, o *lessonOptions) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(os.Stderr, lessonUsage) }
	fs.StringVar(&o.backend, "backend", lesson.EngineSim, "")
	fs.StringVar(&o.base, "base", "build/images/busybox.tar", "")
	fs.StringVar(&o.docker, "docker", "", "")
	fs.StringVar(&o.format, "format", "text", "")
	fs.DurationVar(&o.timeout, "timeout", lesson.DefaultTimeout, "")
	fs.BoolVar(&o.verbose, "v", false, "")
	fs.BoolVar(&o.verbose, "verbose", false, "")
	return fs
}

func lessonCheck(args []string) int {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, lessonUsage)
		return 125
	}
	code := 0
	for _, f := range args {
		l, err := markdown.ReadFile(f)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
			continue
		}
		fmt.Printf("%s: %s: %d steps, %d checks\n", f, l.Meta.Title, len(l.Steps), countChecks(l))
	}
	return code
}

func countChecks(l *lesson.Lesson) int {
	n := 0
	for _, s := range l.Steps {
		n += len(s.Checks)
	}
	return n
}

func lessonRun(args []string) int {
	var o lessonOptions
	fs := lessonFlags("twinbox lesson run", &o)
	files, err := parseInterleaved(fs, args)
	if err != nil {
		return 125
	}
	if len(files) == 0 {
		fmt.Fprintf(os.Stderr, "twinbox lesson run: no lesson files\n\n%s", lessonUsage)
		return 125
	}
	if o.format != "text" && o.format != "json" {
		fmt.Fprintf(os.Stderr, "twinbox lesson run: --format %s: want text or json\n", o.format)
		return 125
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	open, err := targetOpener(o.backend, o)
	if err != nil {
		fmt.Fprintf(os.Stderr, "twinbox lesson run: %v\n", err)
		return 125
	}
	r := &lesson.Runner{Engine: o.backend, Open: open, Timeout: o.timeout}
	start := time.Now()
	var results []*lesson.Result
	failed, broken := 0, 0
	for _, f := range files {
		l, err := markdown.ReadFile(f)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			broken++
			continue
		}
		res := r.Run(ctx, l)
		results = append(results, res)
		if !res.Passed() && res.Skipped == "" {
			failed++
		}
		if o.format == "text" {
			lesson.WriteReport(os.Stdout, res, o.verbose)
			fmt.Println()
		}
	}
	if o.format == "json" {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if results == nil {
			results = []*lesson.Result{}
		}
		enc.Encode(results)
	} else {
		verdict := "PASS"
		if failed+broken > 0 {
			verdict = "FAIL"
		}
		fmt.Printf("%s: %d lessons on %s: %d passed, %d failed, %d unreadable (%s)\n", verdict, len(files), o.backend,
			len(results)-failed, failed, broken, time.Since(start).Round(10*time.Millisecond))
	}
	if failed+broken > 0 {
		return 1
	}
	return 0
}

// targetOpener returns what opens a fresh target of the backend for each
// lesson.
func targetOpener(backendName string, o lessonOptions) (func(context.Context) (lesson.Target, error), error) {
	switch backendName {
	case lesson.EngineSim:
		return openSim, nil
	case lesson.EngineNative:
		if os.Geteuid() != 0 {
			return nil, errors.New("--backend native needs root (the native engine makes namespaces, mounts and bridges)")
		}
		self, err := os.Executable()
		if err != nil {
			return nil, err
		}
		base, err := findBaseImage(o.base, true)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) (lesson.Target, error) { return openNative(ctx, self, base) }, nil
	case lesson.EngineDocker:
		cli := o.docker
		if cli == "" {
			p, err := exec.LookPath("docker")
			if err != nil {
				return nil, errors.New("--backend docker needs the docker CLI on PATH (or --docker PATH)")
			}
			cli = p
		}
		if filepath.Base(cli) == "docker" {
			if self, err := os.Executable(); err == nil && sameFile(self, cli) {
				return nil, fmt.Errorf("--backend docker: %s is twinbox; give the stock CLI with --docker", cli)
			}
		}
		host := os.Getenv("DOCKER_HOST")
		if host == "" {
			host = "unix:///var/run/docker.sock"
		}
		base, _ := findBaseImage(o.base, false)
		return func(ctx context.Context) (lesson.Target, error) { return openDocker(ctx, cli, host, base) }, nil
	}
	return nil, fmt.Errorf("--backend %s: want sim, native or docker", backendName)
}

func sameFile(a, b string) bool {
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}

// findBaseImage finds the base image archive: as given, else beside the
// binary's checkout (bin/../build/images).
func findBaseImage(p string, required bool) (string, error) {
	if _, err := os.Stat(p); err == nil {
		return filepath.Abs(p)
	}
	if !filepath.IsAbs(p) {
		if self, err := os.Executable(); err == nil {
			alt := filepath.Join(filepath.Dir(self), "..", p)
			if _, err := os.Stat(alt); err == nil {
				return filepath.Abs(alt)
			}
		}
	}
	if required {
		return "", fmt.Errorf("the base image %s is missing: run make base", p)
	}
	return "", nil
}

// openSim boots a simulated Docker host in process.
func openSim(ctx context.Context) (lesson.Target, error) {
	m, err := machine.New(ctx, machine.Options{Preload: true})
	if err != nil {
		return nil, err
	}
	k := m.Backend.Kernel()
	return &lesson.HostTarget{
		Host:     m.Backend,
		DialFunc: m.Dial,
		Raw: func(pid int) bool {
			p := k.Find(pid)
			return p != nil && p.TTY() != nil && p.TTY().Raw()
		},
		CloseFunc: func() error {
			err := m.Close()
			m.Backend.Close()
			return err
		},
	}, nil
}

func waitSocket(ctx context.Context, sock string, exited <-chan struct{}) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			return nil
		}
		select {
		case <-exited:
			return errors.New("the native daemon ended at start")
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return errors.New("the native daemon did not listen within 30s")
		}
	}
}

func loadBase(ctx context.Context, dial transport.DialFunc, base string) error {
	f, err := os.Open(base)
	if err != nil {
		return err
	}
	defer f.Close()
	c := client.New(dial)
	defer c.Close()
	resp, err := c.ImageLoad(ctx, f, true)
	if err != nil {
		return fmt.Errorf("load %s: %w", base, err)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return err
}

func removeAllContainers(ctx context.Context, dial transport.DialFunc) error {
	c := client.New(dial)
	defer c.Close()
	list, err := c.ContainerList(ctx, client.ListOptions{All: true})
	if err != nil {
		return err
	}
	var errs []error
	for _, x := range list {
		if err := c.ContainerRemove(ctx, x.ID, client.RemoveOptions{Force: true, RemoveVolumes: true}); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// openDocker prepares a run with the stock docker CLI on an engine the
// runner does not own: it notes what the engine holds, to remove only what
// the lesson creates.
func openDocker(ctx context.Context, cli, host, base string) (lesson.Target, error) {
	dial, err := transport.Parse(host)
	if err != nil {
		return nil, err
	}
	c := client.New(dial, client.WithHost(host))
	defer c.Close()
	if _, _, err := c.ImageInspectWithRaw(ctx, "busybox:latest"); err != nil {
		if base == "" {
			return nil, fmt.Errorf("the engine at %s has no busybox:latest (%v): load build/images/busybox.tar into it", host, err)
		}
		if err := loadBase(ctx, dial, base); err != nil {
			return nil, err
		}
	}
	inv, err := lesson.TakeInventory(ctx, dial)
	if err != nil {
		return nil, fmt.Errorf("list what %s holds: %w", host, err)
	}
	dir, err := os.MkdirTemp("", "twinbox-lesson-")
	if err != nil {
		return nil, err
	}
	t := &execTarget{engine: lesson.EngineDocker, dir: dir, dockerPath: cli, host: host, dial: dial}
	t.cleanup = func() error {
		cctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		return inv.RemoveAdded(cctx, dial)
	}
	if err := t.prepare(); err != nil {
		t.Close()
		return nil, err
	}
	return t, nil
}

// execTarget runs a lesson's commands with bash on this machine, docker
// on the PATH being dockerPath, talking to host.
type execTarget struct {
	engine     string
	dir        string // the target's own folder: work/, bin/, home/ (and the daemon's root)
	dockerPath string
	host       string
	dial       transport.DialFunc
	env        []string
	cleanup    func() error
	closeOnce  sync.Once
	closeErr   error
}

var _ lesson.Target = (*execTarget)(nil)

// prepare makes the working folder, a bin folder with docker in it, and
// the environment.
func (t *execTarget) prepare() error {
	for _, d := range []string{"work", "bin", "home", "config"} {
		if err := os.MkdirAll(filepath.Join(t.dir, d), 0o755); err != nil {
			return err
		}
	}
	if err := os.Symlink(t.dockerPath, filepath.Join(t.dir, "bin", "docker")); err != nil {
		return err
	}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "DOCKER_"), k == "PATH", k == "HOME", k == "TERM", k == "PWD", k == "OLDPWD", k == "CDPATH", k == "BASH_ENV", k == "ENV":
			continue
		}
		t.env = append(t.env, kv)
	}
	t.env = append(t.env,
		"PATH="+filepath.Join(t.dir, "bin")+":"+os.Getenv("PATH"),
		"HOME="+filepath.Join(t.dir, "home"),
		"DOCKER_HOST="+t.host,
		"DOCKER_CONFIG="+filepath.Join(t.dir, "config"),
	)
	return nil
}

func (t *execTarget) Engine() string { return t.engine }

func (t *execTarget) Dial(ctx context.Context) (net.Conn, error) { return t.dial(ctx) }

func (t *execTarget) Close() error {
	t.closeOnce.Do(func() {
		if t.cleanup != nil {
			t.closeErr = t.cleanup()
		}
		if err := os.RemoveAll(t.dir); err != nil && t.closeErr == nil {
			t.closeErr = err
		}
	})
	return t.closeErr
}

// Start runs script with bash -c, in its own process group (its own
// session with a terminal).
func (t *execTarget) Start(ctx context.Context, script string, opts lesson.StartOptions) (lesson.Proc, error) {
	cmd := exec.Command("bash", "-c", script)
	cmd.Dir = filepath.Join(t.dir, "work")
	cmd.Env = t.env
	p := &execProc{cmd: cmd, copied: make(chan struct{})}
	if !opts.TTY {
		cmd.Stdin = opts.Stdin
		cmd.Stdout, cmd.Stderr = opts.Output, opts.Output
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		close(p.copied)
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		return p, nil
	}
	cmd.Env = append(cmd.Env[:len(cmd.Env):len(cmd.Env)], "TERM=xterm")
	master, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 24, Cols: 80})
	if err != nil {
		return nil, err
	}
	p.master = master
	go func() {
		io.Copy(opts.Output, master) // ends with EIO once the session's programs have closed the terminal
		close(p.copied)
	}()
	if opts.Stdin != nil {
		go io.Copy(master, opts.Stdin)
	}
	return p, nil
}

// execProc is a script started by execTarget.
type execProc struct {
	cmd    *exec.Cmd
	master *os.File
	copied chan struct{}
}

func (p *execProc) Wait() (int, error) {
	err := p.cmd.Wait()
	if p.master != nil {
		select {
		case <-p.copied:
		case <-time.After(5 * time.Second): // a background program kept the terminal
		}
		p.master.Close()
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal()), nil
		}
		return ee.ExitCode(), nil
	}
	if err != nil {
		return -1, err
	}
	return 0, nil
}

func (p *execProc) Kill() error { return syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL) }

// TerminalRaw reports whether a program has switched the terminal off
// canonical mode and echo, as docker run -it does.
func (p *execProc) TerminalRaw() bool {
	if p.master == nil {
		return true
	}
	return terminalRaw(p.master)
}
