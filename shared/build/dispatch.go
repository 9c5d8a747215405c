package build

// The dispatchers follow dockerd 20.10's builder/dockerfile (builder.go,
// evaluator.go, dispatchers.go, internals.go, imageprobe.go,
// containerbackend.go), Apache License 2.0.

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"

	"github.com/twinbox-dev/twinbox/shared/api/wire"
	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/build/buildcontext"
	"github.com/twinbox-dev/twinbox/shared/build/dockerfile"
	"github.com/twinbox-dev/twinbox/shared/engine"
)

// run is one build in progress.
type run struct {
	ctx    context.Context
	e      *engine.Engine
	opts   *wire.ImageBuildOptions
	src    *buildcontext.Context
	out    *output
	shlex  *shell.Lex
	cache  *prober
	stages stageResults
	// tmp lists the intermediate containers not removed yet, oldest first.
	tmp []string
	// sources holds the files of images COPY --from read, by image ID,
	// for the length of the build.
	sources map[string]*imageSource
}

func newRun(ctx context.Context, e *engine.Engine, opts *wire.ImageBuildOptions, src *buildcontext.Context, out *output, escape rune) *run {
	return &run{
		ctx:     ctx,
		e:       e,
		opts:    opts,
		src:     src,
		out:     out,
		shlex:   shell.NewLex(escape),
		cache:   newProber(e, opts),
		stages:  stageResults{indexed: map[string]*container.Config{}},
		sources: map[string]*imageSource{},
	}
}

// release frees what the build held.
func (r *run) release() {
	clear(r.sources)
}

// state is what a stage's instructions change, dockerd's dispatchState.
type state struct {
	runConfig  *container.Config
	maintainer string
	cmdSet     bool
	imageID    string
	// scratch records a stage FROM scratch: it has a base without an ID.
	scratch   bool
	stageName string
	args      *buildArgs
}

func (s *state) hasFromImage() bool { return s.imageID != "" || s.scratch }

// stageResults are the run configurations of the finished stages, by name
// and by index, for FROM and COPY --from.
type stageResults struct {
	flat    []*container.Config
	indexed map[string]*container.Config
}

func (s *stageResults) byName(name string) (*container.Config, bool) {
	c, ok := s.indexed[strings.ToLower(name)]
	return c, ok
}

func (s *stageResults) get(nameOrIndex string) (*container.Config, error) {
	if c, ok := s.byName(nameOrIndex); ok {
		return c, nil
	}
	ix, err := strconv.ParseInt(nameOrIndex, 10, 0)
	if err != nil {
		return nil, nil
	}
	if int(ix) == len(s.flat) {
		return nil, errors.New("refers to current build stage")
	}
	if ix < 0 || int(ix) > len(s.flat) {
		return nil, errors.New("index out of bounds")
	}
	return s.flat[ix], nil
}

func (s *stageResults) checkName(name string) error {
	if name != "" {
		if _, ok := s.byName(name); ok {
			return fmt.Errorf("%s stage name already used", name)
		}
	}
	return nil
}

func (s *stageResults) commit(name string, cfg *container.Config) error {
	if err := s.checkName(name); err != nil {
		return err
	}
	if name != "" {
		s.indexed[strings.ToLower(name)] = cfg
	}
	s.flat = append(s.flat, cfg)
	return nil
}

// step prints "Step N/M : instruction" as dockerd does: the text, then the
// newline, two writes.
func (r *run) step(n, total int, text string) {
	r.out.printf("Step %d/%d : %s", n, total, text)
	r.out.print("\n")
}

// dispatchAll runs the stages and returns the last one's state.
func (r *run) dispatchAll(stages []instructions.Stage, metaArgs []instructions.ArgCommand) (*state, error) {
	args := newBuildArgs(r.opts.BuildArgs)
	total := len(metaArgs) + len(stages)
	for _, s := range stages {
		total += len(s.Commands)
	}
	n := 1
	for i := range metaArgs {
		r.step(n, total, metaArgs[i].String())
		n++
		if err := r.processMetaArg(&metaArgs[i], args); err != nil {
			return nil, err
		}
	}
	var st *state
	for i := range stages {
		stage := &stages[i]
		if err := r.stages.checkName(stage.Name); err != nil {
			return nil, err
		}
		st = &state{runConfig: &container.Config{}, args: args.forStage()}
		r.step(n, total, stage.SourceCode)
		n++
		if err := r.initializeStage(st, stage); err != nil {
			return nil, err
		}
		st.runConfig.Image = st.imageID
		r.out.printf(" ---> %s\n", shortID(st.imageID))
		for _, cmd := range stage.Commands {
			if r.ctx.Err() != nil {
				r.out.print("Build cancelled\n")
				return nil, errors.New("Build cancelled")
			}
			r.step(n, total, fmt.Sprintf("%v", cmd))
			n++
			if err := r.dispatch(st, cmd); err != nil {
				return nil, err
			}
			st.runConfig.Image = st.imageID
			r.out.printf(" ---> %s\n", shortID(st.imageID))
		}
		if st.imageID != "" {
			r.out.aux(st.imageID)
		}
		args.mergeReferenced(st.args)
		if err := r.stages.commit(st.stageName, st.runConfig); err != nil {
			return nil, err
		}
	}
	if unused := args.unused(); len(unused) > 0 {
		r.out.printf("[Warning] One or more build-args %v were not consumed\n", unused)
	}
	if st == nil {
		st = &state{}
	}
	return st, nil
}

// envGetter adapts a "KEY=value" list to the shell lexer.
func envGetter(env []string) shell.EnvGetter { return shell.EnvsFromSlice(env) }

func (r *run) processWord(word string, env []string) (string, error) {
	s, _, err := r.shlex.ProcessWord(word, envGetter(env))
	return s, err
}

func envList(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

func (r *run) processMetaArg(meta *instructions.ArgCommand, args *buildArgs) error {
	env := envList(args.allAllowed())
	if err := meta.Expand(func(w string) (string, error) { return r.processWord(w, env) }); err != nil {
		return err
	}
	for _, a := range meta.Args {
		args.addArg(a.Key, a.Value)
		args.addMetaArg(a.Key, a.Value)
	}
	return nil
}

// initializeStage runs FROM: it finds the base image (a stage, scratch, a
// local image or a pulled one) and runs its ONBUILD triggers.
func (r *run) initializeStage(st *state, stage *instructions.Stage) error {
	r.cache.reset()
	name, err := r.processWord(stage.BaseName, envList(st.args.allMeta()))
	if err != nil {
		return err
	}
	if name == "" {
		return fmt.Errorf("base name (%s) should not be blank", stage.BaseName)
	}
	st.stageName = stage.Name
	var base *container.Config
	if cfg, ok := r.stages.byName(name); ok {
		img, err := r.e.LookupImage(cfg.Image)
		if err != nil {
			return err
		}
		st.imageID, base = img.ID, img.Image.Config
	} else if name == "scratch" {
		st.scratch = true
	} else {
		img, err := r.image(name, false)
		if err != nil {
			return err
		}
		st.imageID, base = img.ID, img.Image.Config
	}
	if base != nil {
		st.runConfig = copyConfig(base)
	}
	if !hasEnv(st.runConfig.Env, "PATH") {
		st.runConfig.Env = append(st.runConfig.Env, defaultPath)
	}
	st.runConfig.OpenStdin = false
	st.runConfig.StdinOnce = false
	if triggers := st.runConfig.OnBuild; len(triggers) > 0 {
		st.runConfig.OnBuild = nil
		return r.triggers(st, triggers)
	}
	return nil
}

// image returns a local image, pulling it (with the pull's progress in the
// build's stream) when it is absent or --pull asks, unless localOnly.
func (r *run) image(name string, localOnly bool) (engine.StoredImage, error) {
	if !r.opts.PullParent || localOnly {
		img, err := r.e.LookupImage(name)
		if err == nil || localOnly || !backend.IsNotFound(err) {
			return img, err
		}
	}
	if err := r.e.ImagePull(r.ctx, name, r.out.send); err != nil {
		return engine.StoredImage{}, err
	}
	return r.e.LookupImage(name)
}

// triggers runs a base image's ONBUILD instructions.
func (r *run) triggers(st *state, triggers []string) error {
	s := ""
	if len(triggers) > 1 {
		s = "s"
	}
	r.out.printf("# Executing %d build trigger", len(triggers))
	if s != "" {
		r.out.print(s)
	}
	r.out.print("\n")
	for _, t := range triggers {
		st.runConfig.Image = st.imageID
		cmd, err := dockerfile.ParseTrigger(t)
		if err != nil {
			return err
		}
		if err := r.dispatch(st, cmd); err != nil {
			return err
		}
	}
	return nil
}

// dispatch runs one instruction, after expanding the variables of those
// that take them, and removes the intermediate containers as --rm and
// --force-rm say.
func (r *run) dispatch(st *state, cmd instructions.Command) (err error) {
	env := append(append([]string{}, st.runConfig.Env...), st.args.filterAllowed(st.runConfig.Env)...)
	if ex, ok := expandable(cmd); ok {
		if err := ex.Expand(func(w string) (string, error) { return r.processWord(w, env) }); err != nil {
			return backend.WithCode(backend.InvalidParameter, err)
		}
	}
	defer func() {
		if r.opts.ForceRemove || (r.opts.Remove && err == nil) {
			r.removeAll()
		}
	}()
	switch c := cmd.(type) {
	case *instructions.EnvCommand:
		return r.dispatchEnv(st, c)
	case *instructions.MaintainerCommand:
		st.maintainer = c.Maintainer
		return r.commit(st, "MAINTAINER "+c.Maintainer)
	case *instructions.LabelCommand:
		if st.runConfig.Labels == nil {
			st.runConfig.Labels = map[string]string{}
		}
		msg := "LABEL"
		for _, kv := range c.Labels {
			st.runConfig.Labels[kv.Key] = kv.Value
			msg += " " + kv.String()
		}
		return r.commit(st, msg)
	case *instructions.AddCommand:
		return r.dispatchAdd(st, c)
	case *instructions.CopyCommand:
		return r.dispatchCopy(st, c)
	case *instructions.OnbuildCommand:
		st.runConfig.OnBuild = append(st.runConfig.OnBuild, c.Expression)
		return r.commit(st, "ONBUILD "+c.Expression)
	case *instructions.WorkdirCommand:
		return r.dispatchWorkdir(st, c)
	case *instructions.RunCommand:
		return r.dispatchRun(st, c)
	case *instructions.CmdCommand:
		cmd := resolveCmdLine(c.ShellDependantCmdLine, st.runConfig)
		st.runConfig.Cmd = cmd
		st.runConfig.ArgsEscaped = false
		if err := r.commit(st, fmt.Sprintf("CMD %q", cmd)); err != nil {
			return err
		}
		if len(c.CmdLine) != 0 {
			st.cmdSet = true
		}
		return nil
	case *instructions.HealthCheckCommand:
		if old := st.runConfig.Healthcheck; old != nil && len(old.Test) > 0 && old.Test[0] != "NONE" {
			r.out.printf("Note: overriding previous HEALTHCHECK: %v\n", old.Test)
		}
		hc := *c.Health
		st.runConfig.Healthcheck = &hc
		return r.commit(st, "HEALTHCHECK "+healthcheckText(st.runConfig.Healthcheck))
	case *instructions.EntrypointCommand:
		cmd := resolveCmdLine(c.ShellDependantCmdLine, st.runConfig)
		st.runConfig.Entrypoint = cmd
		st.runConfig.ArgsEscaped = false
		if !st.cmdSet {
			st.runConfig.Cmd = nil
		}
		return r.commit(st, fmt.Sprintf("ENTRYPOINT %q", st.runConfig.Entrypoint))
	case *instructions.ExposeCommand:
		return r.dispatchExpose(st, c, env)
	case *instructions.UserCommand:
		st.runConfig.User = c.User
		return r.commit(st, fmt.Sprintf("USER %v", c.User))
	case *instructions.VolumeCommand:
		if st.runConfig.Volumes == nil {
			st.runConfig.Volumes = map[string]struct{}{}
		}
		for _, v := range c.Volumes {
			if v == "" {
				return errors.New("VOLUME specified can not be an empty string")
			}
			st.runConfig.Volumes[v] = struct{}{}
		}
		return r.commit(st, fmt.Sprintf("VOLUME %v", c.Volumes))
	case *instructions.StopSignalCommand:
		if _, err := backend.ParseSignal(c.Signal); err != nil {
			return backend.WithCode(backend.InvalidParameter, err)
		}
		st.runConfig.StopSignal = c.Signal
		return r.commit(st, fmt.Sprintf("STOPSIGNAL %v", c.Signal))
	case *instructions.ArgCommand:
		var msg strings.Builder
		msg.WriteString("ARG ")
		for i, a := range c.Args {
			if i > 0 {
				msg.WriteString(" ")
			}
			msg.WriteString(a.Key)
			if a.Value != nil {
				msg.WriteString("=" + *a.Value)
			}
			st.args.addArg(a.Key, a.Value)
		}
		return r.commit(st, msg.String())
	case *instructions.ShellCommand:
		st.runConfig.Shell = append([]string(nil), c.Shell...)
		return r.commit(st, fmt.Sprintf("SHELL %v", st.runConfig.Shell))
	}
	return fmt.Errorf("unsupported command type: %T", cmd)
}

// expandable returns the instructions whose words dockerd 20.10 expanded
// before dispatching them.
func expandable(cmd instructions.Command) (instructions.SupportsSingleWordExpansion, bool) {
	switch c := cmd.(type) {
	case *instructions.EnvCommand, *instructions.LabelCommand, *instructions.AddCommand,
		*instructions.CopyCommand, *instructions.WorkdirCommand, *instructions.UserCommand,
		*instructions.VolumeCommand, *instructions.StopSignalCommand, *instructions.ArgCommand:
		ex, ok := c.(instructions.SupportsSingleWordExpansion)
		return ex, ok
	}
	return nil, false
}

func (r *run) dispatchEnv(st *state, c *instructions.EnvCommand) error {
	cfg := st.runConfig
	msg := "ENV"
	for _, kv := range c.Env {
		v := kv.String()
		msg += " " + v
		found := false
		for i, e := range cfg.Env {
			if k, _, _ := strings.Cut(e, "="); k == kv.Key {
				cfg.Env[i] = v
				found = true
				break
			}
		}
		if !found {
			cfg.Env = append(cfg.Env, v)
		}
	}
	return r.commit(st, msg)
}

func (r *run) dispatchExpose(st *state, c *instructions.ExposeCommand, env []string) error {
	var ports []string
	for _, p := range c.Ports {
		ps, err := r.shlex.ProcessWords(p, envGetter(env))
		if err != nil {
			return err
		}
		ports = append(ports, ps...)
	}
	parsed, err := dockerfile.ExposedPorts(ports)
	if err != nil {
		return err
	}
	if st.runConfig.ExposedPorts == nil {
		st.runConfig.ExposedPorts = network.PortSet{}
	}
	for _, port := range parsed {
		st.runConfig.ExposedPorts[port] = struct{}{}
	}
	return r.commit(st, "EXPOSE "+strings.Join(ports, " "))
}

// resolveCmdLine returns a command in exec form, the shell prepended to
// the shell form.
func resolveCmdLine(c instructions.ShellDependantCmdLine, cfg *container.Config) []string {
	out := c.CmdLine
	if c.PrependShell && out != nil {
		out = append(shellOf(cfg), out...)
	}
	return out
}

// commit records a metadata step: a container of the configuration with
// a no-op command, committed, unless the cache has the step.
func (r *run) commit(st *state, comment string) error {
	if !st.hasFromImage() {
		return errors.New("Please provide a source image with `from` prior to commit")
	}
	cfg := withCmdComment(copyConfig(st.runConfig), comment)
	id, err := r.probeAndCreate(st, cfg)
	if err != nil || id == "" {
		return err
	}
	return r.commitContainer(st, id, cfg)
}

// probeCache takes the step from the cache when an image made from the
// current one had cfg as its container_config.
func (r *run) probeCache(st *state, cfg *container.Config) bool {
	id := r.cache.probe(st.imageID, cfg)
	if id == "" {
		return false
	}
	r.out.print(" ---> Using cache\n")
	st.imageID = id
	return true
}

func (r *run) probeAndCreate(st *state, cfg *container.Config) (string, error) {
	if r.probeCache(st, cfg) {
		return "", nil
	}
	return r.create(cfg)
}

// create makes an intermediate container of cfg and records in cfg what
// creation changed (see mergeCreated).
func (r *run) create(cfg *container.Config) (string, error) {
	resp, err := r.e.ContainerCreate(r.ctx, engine.CreateOptions{Config: cfg, HostConfig: r.hostConfig()})
	if err != nil {
		return "", err
	}
	r.tmp = append(r.tmp, resp.ID)
	for _, w := range resp.Warnings {
		r.out.printf(" ---> [Warning] %s\n", w)
	}
	r.out.printf(" ---> Running in %s\n", shortID(resp.ID))
	var parent *container.Config
	if cfg.Image != "" {
		if img, err := r.e.LookupImage(cfg.Image); err == nil {
			parent = img.Image.Config
		}
	}
	mergeCreated(cfg, parent, resp.ID)
	return resp.ID, nil
}

func (r *run) hostConfig() *container.HostConfig {
	o := r.opts
	return &container.HostConfig{
		Resources: container.Resources{
			CgroupParent: o.CgroupParent,
			CPUShares:    o.CPUShares,
			CPUPeriod:    o.CPUPeriod,
			CPUQuota:     o.CPUQuota,
			CpusetCpus:   o.CPUSetCPUs,
			CpusetMems:   o.CPUSetMems,
			Memory:       o.Memory,
			MemorySwap:   o.MemorySwap,
		},
		Isolation:   container.Isolation(o.Isolation),
		ShmSize:     o.ShmSize,
		NetworkMode: container.NetworkMode(o.NetworkMode),
		LogConfig:   container.LogConfig{Type: "none"},
		ExtraHosts:  o.ExtraHosts,
	}
}

func (r *run) commitContainer(st *state, id string, cfg *container.Config) error {
	imageID, err := r.e.CommitBuildStep(r.ctx, id, engineStep(st, cfg))
	if err != nil {
		return err
	}
	st.imageID = imageID
	return nil
}

// engineStep is the image a step makes: the stage's configuration, the
// step's container configuration.
func engineStep(st *state, cfg *container.Config) engine.BuildStep {
	return engine.BuildStep{Author: st.maintainer, Config: copyConfig(st.runConfig), ContainerConfig: cfg}
}

// removeAll removes the intermediate containers, oldest first, and stops
// at the first failure, as dockerd's containerManager.
func (r *run) removeAll() {
	ctx := context.WithoutCancel(r.ctx)
	for len(r.tmp) > 0 {
		id := r.tmp[0]
		if err := r.e.ContainerRemove(ctx, id, engine.RemoveOptions{Force: true, RemoveVolumes: true}); err != nil {
			r.out.printf("Error removing intermediate container %s: %v\n", shortID(id), err)
			return
		}
		r.tmp = r.tmp[1:]
		r.out.printf("Removing intermediate container %s\n", shortID(id))
	}
}

// prober finds cached steps, dockerd's imageProber over its local image
// cache: once a step misses, the rest of the stage misses too.
type prober struct {
	e         *engine.Engine
	noCache   bool
	busted    bool
	cacheFrom []string
}

func newProber(e *engine.Engine, opts *wire.ImageBuildOptions) *prober {
	p := &prober{e: e, noCache: opts.NoCache}
	for _, ref := range opts.CacheFrom {
		if img, err := e.LookupImage(ref); err == nil {
			p.cacheFrom = append(p.cacheFrom, img.ID)
		}
	}
	return p
}

func (p *prober) reset() { p.busted = false }

func (p *prober) probe(parentID string, cfg *container.Config) string {
	if p.noCache || p.busted {
		return ""
	}
	id := p.lookup(parentID, cfg)
	if id == "" {
		p.busted = true
	}
	return id
}

// lookup returns the newest child of parentID whose container_config
// matches cfg. With --cache-from, only a match that is an ancestor of one
// of those images counts.
func (p *prober) lookup(parentID string, cfg *container.Config) string {
	var match *engine.StoredImage
	children := p.e.ImageChildren(parentID)
	for i := range children {
		c := &children[i]
		if sameStep(&c.Image.ContainerConfig, cfg) && (match == nil || match.Image.Created.Before(c.Image.Created)) {
			match = c
		}
	}
	if match == nil {
		return ""
	}
	if len(p.cacheFrom) == 0 {
		return match.ID
	}
	for _, src := range p.cacheFrom {
		if p.isAncestor(src, match.ID) {
			return match.ID
		}
	}
	return ""
}

// isAncestor reports whether id is a parent, grand-parent, ... of img.
func (p *prober) isAncestor(img, id string) bool {
	for seen := 0; seen < 1000; seen++ {
		s, err := p.e.LookupImage(img)
		if err != nil || s.Parent == "" {
			return false
		}
		if s.Parent == id {
			return true
		}
		img = s.Parent
	}
	return false
}
