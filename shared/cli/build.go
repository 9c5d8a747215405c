package cli

// `docker build` follows docker CLI 28.2.2 (cli/command/image/build.go,
// build/context.go, cmd/docker/builder.go), Apache License 2.0, with the
// classic builder only: BuildKit needs the buildx plugin, which is absent.

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/distribution/reference"
	units "github.com/docker/go-units"
	"github.com/spf13/cobra"

	"github.com/twinbox-dev/twinbox/shared/api/wire"
	"github.com/twinbox-dev/twinbox/shared/build/buildcontext"
	"github.com/twinbox-dev/twinbox/shared/cli/formatter"
	"github.com/twinbox-dev/twinbox/shared/image"
)

// DirFiles is a Files that can also describe, list and read links: what
// `docker build` needs to send a folder as the build context. The
// operating system's files implement it; so must the simulated host's
// (its shell's folders are where a learner writes a Dockerfile).
type DirFiles interface {
	Files
	// Lstat describes name without following a final symlink.
	Lstat(name string) (fs.FileInfo, error)
	// ReadDir lists a directory's entries sorted by name.
	ReadDir(name string) ([]fs.DirEntry, error)
	// Readlink returns a symlink's target.
	Readlink(name string) (string, error)
}

var _ DirFiles = osFiles{}

func (osFiles) Lstat(name string) (fs.FileInfo, error)     { return os.Lstat(name) }
func (osFiles) ReadDir(name string) ([]fs.DirEntry, error) { return os.ReadDir(name) }
func (osFiles) Readlink(name string) (string, error)       { return os.Readlink(name) }

// The warnings docker 28 prints before a classic build.
const (
	buildxMissingWarning = "DEPRECATED: The legacy builder is deprecated and will be removed in a future release.\n" +
		"            Install the buildx component to build images with BuildKit:\n" +
		"            https://docs.docker.com/go/buildx/"
	buildkitDisabledWarning = "DEPRECATED: The legacy builder is deprecated and will be removed in a future release.\n" +
		"            BuildKit is currently disabled; enable it by removing the DOCKER_BUILDKIT=0\n" +
		"            environment-variable."
	buildxMissingError = "ERROR: BuildKit is enabled but the buildx component is missing or broken.\n" +
		"       Install the buildx component to build images with BuildKit:\n" +
		"       https://docs.docker.com/go/buildx/"
)

type buildOptions struct {
	context        string
	dockerfileName string
	tags           []string
	labels         []string
	buildArgs      []string
	extraHosts     []string
	ulimits        *ulimitOpt
	memory         memBytes
	memorySwap     memSwapBytes
	shmSize        memBytes
	cpuShares      int64
	cpuPeriod      int64
	cpuQuota       int64
	cpuSetCpus     string
	cpuSetMems     string
	cgroupParent   string
	isolation      string
	quiet          bool
	noCache        bool
	rm             bool
	forceRm        bool
	pull           bool
	cacheFrom      []string
	compress       bool
	securityOpt    []string
	networkMode    string
	squash         bool
	target         string
	imageIDFile    string
	platform       string
	untrusted      bool
}

func (c *dockerCLI) newBuildCommand() *cobra.Command {
	o := buildOptions{ulimits: newUlimitOpt()}
	cmd := &cobra.Command{
		Use:   "build [OPTIONS] PATH | URL | -",
		Short: "Build an image from a Dockerfile",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.context = args[0]
			if err := c.selectBuilder(); err != nil {
				return err
			}
			return c.runBuild(cmd.Context(), o)
		},
		Annotations: map[string]string{
			"category-top": "4",
			"aliases":      "docker image build, docker build, docker builder build",
		},
	}
	flags := cmd.Flags()
	flags.VarP(newListOpts(&o.tags, validateTag), "tag", "t", `Name and optionally a tag in the "name:tag" format`)
	flags.Var(newListOpts(&o.buildArgs, c.validateEnv), "build-arg", "Set build-time variables")
	flags.Var(o.ulimits, "ulimit", "Ulimit options")
	flags.StringVarP(&o.dockerfileName, "file", "f", "", `Name of the Dockerfile (Default is "PATH/Dockerfile")`)
	flags.VarP(&o.memory, "memory", "m", "Memory limit")
	flags.Var(&o.memorySwap, "memory-swap", "Swap limit equal to memory plus swap: -1 to enable unlimited swap")
	flags.Var(&o.shmSize, "shm-size", `Size of "/dev/shm"`)
	flags.Int64VarP(&o.cpuShares, "cpu-shares", "c", 0, "CPU shares (relative weight)")
	flags.Int64Var(&o.cpuPeriod, "cpu-period", 0, "Limit the CPU CFS (Completely Fair Scheduler) period")
	flags.Int64Var(&o.cpuQuota, "cpu-quota", 0, "Limit the CPU CFS (Completely Fair Scheduler) quota")
	flags.StringVar(&o.cpuSetCpus, "cpuset-cpus", "", "CPUs in which to allow execution (0-3, 0,1)")
	flags.StringVar(&o.cpuSetMems, "cpuset-mems", "", "MEMs in which to allow execution (0-3, 0,1)")
	flags.StringVar(&o.cgroupParent, "cgroup-parent", "", `Set the parent cgroup for the "RUN" instructions during build`)
	flags.StringVar(&o.isolation, "isolation", "", "Container isolation technology")
	flags.Var(newListOpts(&o.labels, validateBuildLabel), "label", "Set metadata for an image")
	flags.BoolVar(&o.noCache, "no-cache", false, "Do not use cache when building the image")
	flags.BoolVar(&o.rm, "rm", true, "Remove intermediate containers after a successful build")
	flags.BoolVar(&o.forceRm, "force-rm", false, "Always remove intermediate containers")
	flags.BoolVarP(&o.quiet, "quiet", "q", false, "Suppress the build output and print image ID on success")
	flags.BoolVar(&o.pull, "pull", false, "Always attempt to pull a newer version of the image")
	flags.StringSliceVar(&o.cacheFrom, "cache-from", []string{}, "Images to consider as cache sources")
	flags.BoolVar(&o.compress, "compress", false, "Compress the build context using gzip")
	flags.StringSliceVar(&o.securityOpt, "security-opt", []string{}, "Security options")
	flags.StringVar(&o.networkMode, "network", "default", "Set the networking mode for the RUN instructions during build")
	_ = flags.SetAnnotation("network", "version", []string{"1.25"})
	flags.Var(newListOpts(&o.extraHosts, nil), "add-host", `Add a custom host-to-IP mapping ("host:ip")`)
	flags.StringVar(&o.target, "target", "", "Set the target build stage to build.")
	flags.StringVar(&o.imageIDFile, "iidfile", "", "Write the image ID to the file")
	addTrustFlag(flags, &o.untrusted)
	flags.StringVar(&o.platform, "platform", c.getenv("DOCKER_DEFAULT_PLATFORM"), "Set platform if server is multi-platform capable")
	_ = flags.SetAnnotation("platform", "version", []string{"1.38"})
	flags.BoolVar(&o.squash, "squash", false, "Squash newly built layers into a single new layer")
	_ = flags.SetAnnotation("squash", "experimental", nil)
	_ = flags.SetAnnotation("squash", "version", []string{"1.25"})
	return cmd
}

// validateTag checks that a -t value is a reference.
func validateTag(raw string) (string, error) {
	if _, err := reference.ParseNormalizedNamed(raw); err != nil {
		return "", err
	}
	return raw, nil
}

// validateEnv reads a --build-arg: "K=V", or "K" for the client's own
// value of K when it has one.
func (c *dockerCLI) validateEnv(val string) (string, error) {
	k, _, ok := strings.Cut(val, "=")
	if k == "" {
		return "", fmt.Errorf("invalid environment variable: %s", val)
	}
	if ok {
		return val, nil
	}
	if v := c.getenv(val); v != "" {
		return val + "=" + v, nil
	}
	return val, nil
}

// validateBuildLabel checks a --label as docker's ValidateLabel.
func validateBuildLabel(val string) (string, error) {
	k, _, _ := strings.Cut(val, "=")
	if strings.TrimLeft(k, " \t") == "" {
		return "", fmt.Errorf("invalid label '%s': empty name", val)
	}
	if strings.ContainsAny(k, " \t") {
		return "", fmt.Errorf("label '%s' contains whitespaces", k)
	}
	return val, nil
}

// selectBuilder does what docker 28 does before a build: DOCKER_BUILDKIT=0
// selects the classic builder with a warning; without the variable the
// missing buildx plugin makes the same choice with another warning; asking
// for BuildKit fails.
func (c *dockerCLI) selectBuilder() error {
	v := c.getenv("DOCKER_BUILDKIT")
	if v == "" {
		fmt.Fprintf(c.err, "%s\n\n", buildxMissingWarning)
		return nil
	}
	enabled, err := strconv.ParseBool(v)
	if err != nil {
		return fmt.Errorf("DOCKER_BUILDKIT environment variable expects boolean value: %w", err)
	}
	if enabled {
		return errors.New(buildxMissingError)
	}
	fmt.Fprintf(c.err, "%s\n\n", buildkitDisabledWarning)
	return nil
}

// dirFiles returns the client's files as DirFiles, or nil.
func (c *dockerCLI) dirFiles() DirFiles {
	d, _ := c.files().(DirFiles)
	return d
}

func (c *dockerCLI) runBuild(ctx context.Context, o buildOptions) error {
	var (
		buildCtx      []byte
		dockerfileCtx io.Reader
		contextDir    string
		relDockerfile string
		err           error
	)
	if o.dockerfileName == "-" {
		if o.context == "-" {
			return errors.New("invalid argument: can't use stdin for both build context and dockerfile")
		}
		dockerfileCtx = c.in
	}
	var progBuff, buildBuff io.Writer = c.out, c.out
	var progBuf, buildBuf bytes.Buffer
	if o.quiet {
		progBuff, buildBuff = &progBuf, &buildBuf
	}
	fsys := c.dirFiles()
	switch {
	case o.context == "-":
		buildCtx, relDockerfile, err = contextFromReader(c.in, o.dockerfileName, c.now())
	case fsys != nil && c.isLocalDir(fsys, o.context):
		contextDir, relDockerfile, err = c.contextFromLocalDir(fsys, o.context, o.dockerfileName)
		if err == nil && strings.HasPrefix(relDockerfile, "../") {
			f, err := c.files().Open(o.dockerfileName)
			if err != nil {
				return fmt.Errorf("unable to open Dockerfile: %v", err)
			}
			defer f.Close()
			dockerfileCtx = f
		}
	case isGitURL(o.context):
		err = errors.New(`unable to find 'git': exec: "git": executable file not found in $PATH`)
	case isURL(o.context):
		err = fmt.Errorf("unable to download remote context %s: %v", o.context, noNetwork(o.context))
	default:
		return fmt.Errorf("unable to prepare context: path %q not found", o.context)
	}
	if err != nil {
		return fmt.Errorf("unable to prepare context: %s", err)
	}
	if buildCtx == nil {
		excludes, err := buildcontext.ReadDockerignore(fsys, contextDir)
		if err != nil {
			return err
		}
		if err := buildcontext.ValidateDir(fsys, contextDir, excludes); err != nil {
			return fmt.Errorf("error checking context: %w", err)
		}
		excludes = buildcontext.TrimBuildFilesFromExcludes(excludes, relDockerfile, o.dockerfileName == "-")
		var buf bytes.Buffer
		if err := buildcontext.Write(&buf, fsys, contextDir, excludes); err != nil {
			return err
		}
		buildCtx = buf.Bytes()
	}
	if dockerfileCtx != nil && buildCtx != nil {
		if buildCtx, relDockerfile, err = addDockerfileToContext(dockerfileCtx, buildCtx, c.now()); err != nil {
			return err
		}
	}
	if o.compress {
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write(buildCtx)
		zw.Close()
		buildCtx = gz.Bytes()
	}
	body := &uploadProgress{r: bytes.NewReader(buildCtx), out: progBuff, terminal: !o.quiet && c.stdoutIsTerminal(), now: c.now}

	api, err := c.client()
	if err != nil {
		return err
	}
	resp, err := api.ImageBuild(ctx, body, c.imageBuildOptions(o, relDockerfile))
	if err != nil {
		if o.quiet {
			fmt.Fprintf(c.err, "%s", progBuf.Bytes())
		}
		return err
	}
	defer resp.Body.Close()

	imageID := ""
	aux := func(m wire.JSONMessage) {
		var res struct{ ID string }
		if err := json.Unmarshal(*m.Aux, &res); err != nil {
			fmt.Fprintf(c.err, "Failed to parse aux message: %s", err)
			return
		}
		imageID = res.ID
	}
	terminal := !o.quiet && c.stdoutIsTerminal()
	width := 0
	if terminal {
		_, w := c.ttySize()
		width = int(w)
	}
	err = formatter.DisplayJSONMessages(resp.Body, formatter.ProgressOutput{Out: buildBuff, Terminal: terminal, Width: width, Now: c.opts.Now, Aux: aux})
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		var se *formatter.StreamError
		if errors.As(err, &se) {
			code := se.Code
			if code == 0 {
				code = 1
			}
			if o.quiet {
				fmt.Fprintf(c.err, "%s%s", progBuf.Bytes(), buildBuf.Bytes())
			}
			return StatusError{Status: se.Message, StatusCode: code}
		}
		return err
	}
	if o.quiet {
		imageID = buildBuf.String()
		fmt.Fprint(c.out, imageID)
	}
	if o.imageIDFile != "" {
		if imageID == "" {
			return fmt.Errorf("Server did not provide an image ID. Cannot write %s", o.imageIDFile)
		}
		w, err := c.files().Create(o.imageIDFile)
		if err != nil {
			return err
		}
		if _, err := io.WriteString(w, imageID); err != nil {
			w.Close()
			return err
		}
		return w.Close()
	}
	return nil
}

// imageBuildOptions are the request's options, as docker's
// imageBuildOptions.
func (c *dockerCLI) imageBuildOptions(o buildOptions, dockerfile string) wire.ImageBuildOptions {
	args := map[string]*string{}
	for _, kv := range o.buildArgs {
		k, v, ok := strings.Cut(kv, "=")
		if ok {
			args[k] = &v
		} else {
			args[k] = nil
		}
	}
	labels := map[string]string{}
	for _, kv := range o.labels {
		k, v, _ := strings.Cut(kv, "=")
		labels[k] = v
	}
	return wire.ImageBuildOptions{
		Tags:           o.tags,
		Dockerfile:     dockerfile,
		SuppressOutput: o.quiet,
		NoCache:        o.noCache,
		Remove:         o.rm,
		ForceRemove:    o.forceRm,
		PullParent:     o.pull,
		Isolation:      o.isolation,
		CPUSetCPUs:     o.cpuSetCpus,
		CPUSetMems:     o.cpuSetMems,
		CPUShares:      o.cpuShares,
		CPUQuota:       o.cpuQuota,
		CPUPeriod:      o.cpuPeriod,
		Memory:         int64(o.memory),
		MemorySwap:     int64(o.memorySwap),
		CgroupParent:   o.cgroupParent,
		NetworkMode:    o.networkMode,
		ShmSize:        int64(o.shmSize),
		BuildArgs:      args,
		Labels:         labels,
		CacheFrom:      o.cacheFrom,
		ExtraHosts:     o.extraHosts,
		Squash:         o.squash,
		Target:         o.target,
		Platform:       o.platform,
		Version:        "1",
	}
}

func isURL(s string) bool { return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") }

func isGitURL(s string) bool {
	if isURL(s) && strings.HasSuffix(strings.SplitN(s, "#", 2)[0], ".git") {
		return true
	}
	for _, p := range []string{"git://", "github.com/", "git@"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// noNetwork is what fetching a URL says on a machine without network.
func noNetwork(u string) error {
	host := strings.TrimPrefix(strings.TrimPrefix(u, "http://"), "https://")
	if i := strings.IndexAny(host, "/:?#"); i >= 0 {
		host = host[:i]
	}
	return fmt.Errorf("Get %q: dial tcp: lookup %s: no such host", u, host)
}

// evalSymlinks resolves symlinks in the absolute path p as
// filepath.EvalSymlinks does.
func evalSymlinks(fsys DirFiles, p string) (string, error) {
	resolved := "/"
	todo := strings.Split(strings.Trim(path.Clean(p), "/"), "/")
	links := 0
	for len(todo) > 0 {
		el := todo[0]
		todo = todo[1:]
		switch el {
		case "", ".":
			continue
		case "..":
			resolved = path.Dir(resolved)
			continue
		}
		next := path.Join(resolved, el)
		fi, err := fsys.Lstat(next)
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			resolved = next
			continue
		}
		if links++; links > 255 {
			return "", errors.New("EvalSymlinks: too many links")
		}
		target, err := fsys.Readlink(next)
		if err != nil {
			return "", err
		}
		if path.IsAbs(target) {
			resolved = "/"
		}
		todo = append(strings.Split(strings.Trim(target, "/"), "/"), todo...)
	}
	return resolved, nil
}

// isLocalDir reports whether p exists (following symlinks), as docker's
// os.Stat check.
func (c *dockerCLI) isLocalDir(fsys DirFiles, p string) bool {
	abs, err := c.abs(p)
	if err != nil {
		return false
	}
	_, err = evalSymlinks(fsys, abs)
	return err == nil
}

// contextFromLocalDir is docker's GetContextFromLocalDir: the context
// folder, absolute with symlinks resolved, and the Dockerfile's path
// relative to it (-f is relative to the working directory).
func (c *dockerCLI) contextFromLocalDir(fsys DirFiles, dir, dockerfile string) (string, string, error) {
	abs, err := c.abs(dir)
	if err != nil {
		return "", "", fmt.Errorf("unable to get absolute context directory of given context directory %q: %v", dir, err)
	}
	abs, err = evalSymlinks(fsys, abs)
	if err != nil {
		return "", "", fmt.Errorf("unable to evaluate symlinks in context path: %v", err)
	}
	fi, err := fsys.Lstat(abs)
	if err != nil {
		return "", "", fmt.Errorf("unable to stat context directory %q: %v", abs, err)
	}
	if !fi.IsDir() {
		return "", "", fmt.Errorf("context must be a directory: %s", abs)
	}
	if dockerfile != "" && dockerfile != "-" {
		if dockerfile, err = c.abs(dockerfile); err != nil {
			return "", "", fmt.Errorf("unable to get absolute path to Dockerfile: %v", err)
		}
	}
	rel, err := dockerfileRelPath(fsys, abs, dockerfile)
	return abs, rel, err
}

// dockerfileRelPath is docker's getDockerfileRelPath.
func dockerfileRelPath(fsys DirFiles, contextDir, dockerfile string) (string, error) {
	if dockerfile == "-" {
		return dockerfile, nil
	}
	abs := dockerfile
	if abs == "" {
		abs = path.Join(contextDir, "Dockerfile")
		if _, err := fsys.Lstat(abs); errors.Is(err, fs.ErrNotExist) {
			alt := path.Join(contextDir, "dockerfile")
			if _, err := fsys.Lstat(alt); err == nil {
				abs = alt
			}
		}
	}
	if !path.IsAbs(abs) {
		abs = path.Join(contextDir, abs)
	}
	abs, err := evalSymlinks(fsys, abs)
	if err != nil {
		return "", fmt.Errorf("unable to evaluate symlinks in Dockerfile path: %v", err)
	}
	if _, err := fsys.Lstat(abs); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("Cannot locate Dockerfile: %q", abs)
		}
		return "", fmt.Errorf("unable to stat Dockerfile: %v", err)
	}
	rel, ok := relPath(contextDir, abs)
	if !ok {
		return "", fmt.Errorf("unable to get relative Dockerfile path: Rel: can't make %s relative to %s", abs, contextDir)
	}
	return rel, nil
}

// relPath is filepath.Rel for clean absolute paths.
func relPath(base, target string) (string, bool) {
	if base == target {
		return ".", true
	}
	if base == "/" {
		return strings.TrimPrefix(target, "/"), true
	}
	if strings.HasPrefix(target, base+"/") {
		return target[len(base)+1:], true
	}
	b := strings.Split(strings.Trim(base, "/"), "/")
	t := strings.Split(strings.Trim(target, "/"), "/")
	i := 0
	for i < len(b) && i < len(t) && b[i] == t[i] {
		i++
	}
	parts := make([]string, 0, len(b)-i+len(t)-i)
	for range b[i:] {
		parts = append(parts, "..")
	}
	parts = append(parts, t[i:]...)
	return strings.Join(parts, "/"), true
}

// contextFromReader is docker's GetContextFromReader: standard input is a
// context tar (possibly compressed) or a Dockerfile, which then makes a
// context of its own.
func contextFromReader(r io.Reader, dockerfile string, now time.Time) ([]byte, string, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, "", fmt.Errorf("failed to peek context header from STDIN: %v", err)
	}
	head := data
	if len(head) > 1024 {
		head = head[:1024]
	}
	if image.DetectCompression(head) != image.Uncompressed {
		return data, dockerfile, nil
	}
	if _, err := tar.NewReader(bytes.NewReader(head)).Next(); err == nil {
		return data, dockerfile, nil
	}
	if dockerfile == "-" {
		return nil, "", errors.New("build context is not an archive")
	}
	if dockerfile != "" {
		return nil, "", errors.New("ambiguous Dockerfile source: both stdin and flag correspond to Dockerfiles")
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "Dockerfile", Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(data)), ModTime: now.Truncate(time.Second), Format: tar.FormatPAX})
	tw.Write(data)
	tw.Close()
	return buf.Bytes(), "Dockerfile", nil
}

// addDockerfileToContext is docker's AddDockerfileToBuildContext: the
// Dockerfile from outside the context (or standard input) goes into it
// under a random name, which .dockerignore then lists so that the daemon
// drops it.
func addDockerfileToContext(dockerfile io.Reader, ctxTar []byte, now time.Time) ([]byte, string, error) {
	df, err := io.ReadAll(dockerfile)
	if err != nil {
		return nil, "", err
	}
	rnd := make([]byte, 10)
	rand.Read(rnd)
	name := ".dockerfile." + hex.EncodeToString(rnd)
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	tr := tar.NewReader(bytes.NewReader(ctxTar))
	ignore := func(h *tar.Header, content []byte) error {
		if h == nil {
			h = &tar.Header{Name: ".dockerignore", Mode: 0o600, ModTime: now, Typeflag: tar.TypeReg, AccessTime: now, ChangeTime: now}
			content = []byte(".dockerignore")
		}
		content = append(append(content, '\n'), name+"\n"...)
		h.Size = int64(len(content))
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		_, err := tw.Write(content)
		return err
	}
	sawIgnore := false
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, "", err
		}
		content, err := io.ReadAll(tr)
		if err != nil {
			return nil, "", err
		}
		if h.Name == ".dockerignore" {
			sawIgnore = true
			if err := ignore(h, content); err != nil {
				return nil, "", err
			}
			continue
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, "", err
		}
		tw.Write(content)
	}
	tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, ModTime: now, Typeflag: tar.TypeReg, AccessTime: now, ChangeTime: now, Size: int64(len(df))})
	tw.Write(df)
	if !sawIgnore {
		if err := ignore(nil, nil); err != nil {
			return nil, "", err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, "", err
	}
	return out.Bytes(), name, nil
}

// uploadProgress reports the upload of the build context as docker's
// progress reader does: "Sending build context to Docker daemon  3.072kB"
// when the whole context is read (then "\r" and a new line), and on a
// terminal every 512 kB too, at most ten times a second.
type uploadProgress struct {
	r          io.Reader
	out        io.Writer
	terminal   bool
	now        func() time.Time
	current    int64
	lastUpdate int64
	lastPrint  time.Time
	done       bool
}

func (p *uploadProgress) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.current += int64(n)
	if err != nil && n == 0 && !p.done {
		p.done = true
		fmt.Fprintf(p.out, "Sending build context to Docker daemon %8v\r\r\n", units.HumanSize(float64(p.current)))
		return n, err
	}
	if p.terminal && p.current-p.lastUpdate > 512<<10 {
		if t := p.now(); p.lastPrint.IsZero() || t.Sub(p.lastPrint) >= 100*time.Millisecond {
			p.lastPrint = t
			fmt.Fprintf(p.out, "Sending build context to Docker daemon %8v\r", units.HumanSize(float64(p.current)))
		}
		p.lastUpdate = p.current
	}
	return n, err
}
