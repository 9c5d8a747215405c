package build

// Configuration handling follows dockerd 20.10 (builder/dockerfile,
// daemon/commit.go's merge, image/cache/compare.go), Apache License 2.0.

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/container"

	"github.com/twinbox-dev/twinbox/shared/build/dockerfile"
	"github.com/twinbox-dev/twinbox/shared/engine"
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
		engine.MergeConfig(cfg, img)
	}
	if cfg.Hostname == "" && len(id) >= 12 {
		cfg.Hostname = id[:12]
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
