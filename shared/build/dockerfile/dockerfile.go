// Package dockerfile parses Dockerfile text with buildkit's parser and
// applies the instructions that only change an image's configuration (CMD,
// ENTRYPOINT, ENV, EXPOSE, LABEL, USER, VOLUME, WORKDIR, ONBUILD,
// HEALTHCHECK, STOPSIGNAL, SHELL) the way dockerd's classic builder does.
// `docker commit --change` and the builder both use it.
package dockerfile

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

// DefaultShell is the shell of shell-form instructions on Linux.
var DefaultShell = []string{"/bin/sh", "-c"}

// State is the configuration a sequence of instructions changes.
type State struct {
	Config *container.Config
	// CmdSet records that CMD was given: ENTRYPOINT then keeps it, as in a
	// Dockerfile stage; otherwise ENTRYPOINT clears the inherited CMD.
	CmdSet bool
}

// shell returns the shell for shell-form instructions.
func (s *State) shell() []string {
	if len(s.Config.Shell) > 0 {
		return s.Config.Shell
	}
	return DefaultShell
}

// commitCommands are the instructions `docker commit --change` accepts.
var commitCommands = map[string]bool{
	"cmd": true, "entrypoint": true, "healthcheck": true, "env": true, "expose": true,
	"label": true, "onbuild": true, "user": true, "volume": true, "workdir": true,
}

// ApplyChanges applies `docker commit --change` instructions to a copy of
// cfg and returns it, as dockerd's BuildFromConfig. Errors: InvalidParameter
// for a parse error or an instruction commit does not accept
// ("COPY is not a valid change command").
func ApplyChanges(cfg *container.Config, changes []string) (*container.Config, error) {
	cp := CopyConfig(cfg)
	if len(changes) == 0 {
		return cp, nil
	}
	res, err := parser.Parse(strings.NewReader(strings.Join(changes, "\n")))
	if err != nil {
		return nil, backend.WithCode(backend.InvalidParameter, err)
	}
	for _, n := range res.AST.Children {
		if !commitCommands[strings.ToLower(n.Value)] {
			return nil, backend.Errorf(backend.InvalidParameter, "%s is not a valid change command", strings.ToUpper(n.Value))
		}
	}
	st := &State{Config: cp}
	for _, n := range res.AST.Children {
		cmd, err := instructions.ParseCommand(n)
		if err != nil {
			return nil, backend.WithCode(backend.InvalidParameter, err)
		}
		if err := st.Apply(cmd); err != nil {
			return nil, backend.WithCode(backend.InvalidParameter, err)
		}
	}
	return cp, nil
}

// Apply applies one metadata instruction to the state. Errors: an
// instruction that is not a metadata instruction.
func (s *State) Apply(cmd instructions.Command) error {
	cfg := s.Config
	switch c := cmd.(type) {
	case *instructions.CmdCommand:
		cfg.Cmd = s.commandLine(c.CmdLine, c.PrependShell)
		s.CmdSet = true
	case *instructions.EntrypointCommand:
		cfg.Entrypoint = s.commandLine(c.CmdLine, c.PrependShell)
		if !s.CmdSet {
			cfg.Cmd = nil
		}
	case *instructions.EnvCommand:
		for _, kv := range c.Env {
			SetEnv(cfg, kv.Key, kv.Value)
		}
	case *instructions.LabelCommand:
		if cfg.Labels == nil {
			cfg.Labels = map[string]string{}
		}
		for _, kv := range c.Labels {
			cfg.Labels[kv.Key] = kv.Value
		}
	case *instructions.MaintainerCommand:
		// The author lives outside the run config; the builder records it.
	case *instructions.ExposeCommand:
		if cfg.ExposedPorts == nil {
			cfg.ExposedPorts = network.PortSet{}
		}
		for _, p := range c.Ports {
			ports, err := ParsePorts(p)
			if err != nil {
				return err
			}
			for _, port := range ports {
				cfg.ExposedPorts[port] = struct{}{}
			}
		}
	case *instructions.UserCommand:
		cfg.User = c.User
	case *instructions.VolumeCommand:
		if cfg.Volumes == nil {
			cfg.Volumes = map[string]struct{}{}
		}
		for _, v := range c.Volumes {
			v = strings.TrimSpace(v)
			if v == "" {
				return fmt.Errorf("VOLUME specified can not be an empty string")
			}
			cfg.Volumes[v] = struct{}{}
		}
	case *instructions.WorkdirCommand:
		cfg.WorkingDir = Workdir(cfg.WorkingDir, c.Path)
	case *instructions.OnbuildCommand:
		cfg.OnBuild = append(cfg.OnBuild, c.Expression)
	case *instructions.StopSignalCommand:
		if _, err := backend.ParseSignal(c.Signal); err != nil {
			return err
		}
		cfg.StopSignal = c.Signal
	case *instructions.ShellCommand:
		cfg.Shell = append([]string(nil), c.Shell...)
	case *instructions.HealthCheckCommand:
		hc := *c.Health
		cfg.Healthcheck = &hc
	default:
		return fmt.Errorf("%s is not a metadata instruction", cmd.Name())
	}
	return nil
}

// commandLine returns a command in exec form, prefixing the shell for the
// shell form.
func (s *State) commandLine(args []string, prependShell bool) []string {
	if prependShell {
		return append(append([]string(nil), s.shell()...), strings.Join(args, " "))
	}
	return append([]string(nil), args...)
}

// Workdir resolves a WORKDIR argument against the current working
// directory, as the classic builder does.
func Workdir(current, dir string) string {
	if !path.IsAbs(dir) {
		if current == "" {
			current = "/"
		}
		dir = path.Join(current, dir)
	}
	return path.Clean(dir)
}

// SetEnv sets key=value in cfg.Env, replacing an existing key in place.
func SetEnv(cfg *container.Config, key, value string) {
	kv := key + "=" + value
	for i, e := range cfg.Env {
		if k, _, _ := strings.Cut(e, "="); k == key {
			cfg.Env[i] = kv
			return
		}
	}
	cfg.Env = append(cfg.Env, kv)
}

// ParsePorts reads an EXPOSE argument: "80", "80/udp" or a range "8000-8002".
func ParsePorts(s string) ([]network.Port, error) {
	pr, err := network.ParsePortRange(s)
	if err != nil {
		return nil, fmt.Errorf("invalid containerPort: %s", s)
	}
	var out []network.Port
	for p := range pr.All() {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Num() < out[j].Num() })
	return out, nil
}

// CopyConfig returns a deep copy of cfg (a zero config for nil).
func CopyConfig(cfg *container.Config) *container.Config {
	if cfg == nil {
		return &container.Config{}
	}
	cp := *cfg
	cp.Cmd = cloneStrings(cfg.Cmd)
	cp.Entrypoint = cloneStrings(cfg.Entrypoint)
	cp.Env = cloneStrings(cfg.Env)
	cp.OnBuild = cloneStrings(cfg.OnBuild)
	cp.Shell = cloneStrings(cfg.Shell)
	if cfg.ExposedPorts != nil {
		cp.ExposedPorts = network.PortSet{}
		for k := range cfg.ExposedPorts {
			cp.ExposedPorts[k] = struct{}{}
		}
	}
	if cfg.Volumes != nil {
		cp.Volumes = map[string]struct{}{}
		for k := range cfg.Volumes {
			cp.Volumes[k] = struct{}{}
		}
	}
	if cfg.Labels != nil {
		cp.Labels = map[string]string{}
		for k, v := range cfg.Labels {
			cp.Labels[k] = v
		}
	}
	if cfg.Healthcheck != nil {
		hc := *cfg.Healthcheck
		cp.Healthcheck = &hc
	}
	return &cp
}

func cloneStrings(s []string) []string {
	if s == nil {
		return nil
	}
	return append([]string{}, s...)
}
