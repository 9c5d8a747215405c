package build

// Configuration handling follows dockerd 20.10 (builder/dockerfile,
// daemon/commit.go's merge, image/cache/compare.go), Apache License 2.0.

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/container"

	"github.com/twinbox-dev/twinbox/shared/build/dockerfile"
)

// defaultPath is the PATH a stage gets when its base image sets none.
const defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// shellOf returns the shell of shell-form instructions.
func shellOf(c *container.Config) []string {
	if len(c.Shell) == 0 {
		return append([]string{}, dockerfile.DefaultShell...)
	}
	return append([]string{}, c.Shell...)
}

// withCmdComment sets Cmd to the two-argument no-op comment of metadata
// steps: [shell..., "#(nop) ", comment], which history shows with two
// spaces after "#(nop)".
func withCmdComment(c *container.Config, comment string) *container.Config {
	c.Cmd = append(shellOf(c), "#(nop) ", comment)
	return c
}

// withCmdCommentString sets Cmd to the one-argument comment WORKDIR, COPY
// and ADD use: [shell..., "#(nop) " + comment].
func withCmdCommentString(c *container.Config, comment string) *container.Config {
	c.Cmd = append(shellOf(c), "#(nop) "+comment)
	return c
}

// mergeCreated applies to cfg what dockerd's container creation does to
// the configuration it is given (and which the builder then records as
// the step's container_config): the image's settings fill what cfg leaves
// empty, and the host name is the container's short ID.
func mergeCreated(cfg, img *container.Config, id string) {
	if img != nil {
		mergeConfig(cfg, img)
	}
	if cfg.Hostname == "" && len(id) >= 12 {
		cfg.Hostname = id[:12]
	}
}

// mergeConfig is dockerd 20.10's daemon.merge.
func mergeConfig(user, img *container.Config) {
	if user.User == "" {
		user.User = img.User
	}
	if len(user.ExposedPorts) == 0 {
		user.ExposedPorts = img.ExposedPorts
	} else if img.ExposedPorts != nil {
		for p := range img.ExposedPorts {
			if _, ok := user.ExposedPorts[p]; !ok {
				user.ExposedPorts[p] = struct{}{}
			}
		}
	}
	if len(user.Env) == 0 {
		user.Env = img.Env
	} else {
		for _, ie := range img.Env {
			ik, _, _ := strings.Cut(ie, "=")
			found := false
			for _, ue := range user.Env {
				if uk, _, _ := strings.Cut(ue, "="); uk == ik {
					found = true
					break
				}
			}
			if !found {
				user.Env = append(user.Env, ie)
			}
		}
	}
	if user.Labels == nil {
		user.Labels = map[string]string{}
	}
	for k, v := range img.Labels {
		if _, ok := user.Labels[k]; !ok {
			user.Labels[k] = v
		}
	}
	if len(user.Entrypoint) == 0 {
		if len(user.Cmd) == 0 {
			user.Cmd = img.Cmd
		}
		if user.Entrypoint == nil {
			user.Entrypoint = img.Entrypoint
		}
	}
	if img.Healthcheck != nil {
		if user.Healthcheck == nil {
			user.Healthcheck = img.Healthcheck
		} else {
			if len(user.Healthcheck.Test) == 0 {
				user.Healthcheck.Test = img.Healthcheck.Test
			}
			if user.Healthcheck.Interval == 0 {
				user.Healthcheck.Interval = img.Healthcheck.Interval
			}
			if user.Healthcheck.Timeout == 0 {
				user.Healthcheck.Timeout = img.Healthcheck.Timeout
			}
			if user.Healthcheck.StartPeriod == 0 {
				user.Healthcheck.StartPeriod = img.Healthcheck.StartPeriod
			}
			if user.Healthcheck.Retries == 0 {
				user.Healthcheck.Retries = img.Healthcheck.Retries
			}
		}
	}
	if user.WorkingDir == "" {
		user.WorkingDir = img.WorkingDir
	}
	if len(user.Volumes) == 0 {
		user.Volumes = img.Volumes
	} else {
		for k, v := range img.Volumes {
			user.Volumes[k] = v
		}
	}
	if user.StopSignal == "" {
		user.StopSignal = img.StopSignal
	}
}

// sameStep is dockerd's cache comparison of a stored container_config with
// a step's: Image and Hostname do not count, and OpenStdin never matches.
func sameStep(a, b *container.Config) bool {
	if a == nil || b == nil || a.OpenStdin || b.OpenStdin {
		return false
	}
	if a.AttachStdout != b.AttachStdout || a.AttachStderr != b.AttachStderr ||
		a.User != b.User || a.Tty != b.Tty {
		return false
	}
	if len(a.Cmd) != len(b.Cmd) || len(a.Env) != len(b.Env) || len(a.Labels) != len(b.Labels) ||
		len(a.ExposedPorts) != len(b.ExposedPorts) || len(a.Entrypoint) != len(b.Entrypoint) ||
		len(a.Volumes) != len(b.Volumes) {
		return false
	}
	for i := range a.Cmd {
		if a.Cmd[i] != b.Cmd[i] {
			return false
		}
	}
	for i := range a.Env {
		if a.Env[i] != b.Env[i] {
			return false
		}
	}
	for k, v := range a.Labels {
		if v != b.Labels[k] {
			return false
		}
	}
	for k := range a.ExposedPorts {
		if _, ok := b.ExposedPorts[k]; !ok {
			return false
		}
	}
	for i := range a.Entrypoint {
		if a.Entrypoint[i] != b.Entrypoint[i] {
			return false
		}
	}
	for k := range a.Volumes {
		if _, ok := b.Volumes[k]; !ok {
			return false
		}
	}
	return true
}

// healthcheckText is how dockerd 20.10 prints a healthcheck in the
// HEALTHCHECK step's history, %q of its HealthConfig (Test, Interval,
// Timeout, StartPeriod, Retries): &{["CMD-SHELL" "true"] "5s" "0s" "0s" '\x00'}.
func healthcheckText(h *container.HealthConfig) string {
	return fmt.Sprintf("&{%q %q %q %q %s}", h.Test, h.Interval, h.Timeout, h.StartPeriod, strconv.QuoteRune(rune(h.Retries)))
}

// copyConfig is dockerd's copyRunConfig.
func copyConfig(c *container.Config) *container.Config { return dockerfile.CopyConfig(c) }

// hasEnv reports whether env sets key.
func hasEnv(env []string, key string) bool {
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k == key {
			return true
		}
	}
	return false
}
