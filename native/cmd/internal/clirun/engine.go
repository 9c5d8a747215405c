package clirun

import (
	"os"
	"path/filepath"
	"slices"
)

// EngineCommands are twinbox's own commands, which bin/twinbox-engine runs
// and bin/twinbox hands over to it; every other command line is docker's.
// bin/twinbox is only the CLI so that it starts fast: a docker command is a
// process of its own, and the engine's binary, with the daemon, the
// simulator and the web app in it, takes several times as long to start.
var EngineCommands = []string{"compare", "daemon", "help", "lesson", "serve", "shell", "viz"}

// IsEngineCommand reports whether name is one of EngineCommands.
func IsEngineCommand(name string) bool { return slices.Contains(EngineCommands, name) }

// EngineName is the engine's binary, beside bin/twinbox.
const EngineName = "twinbox-engine"

// EnginePath returns bin/twinbox-engine beside the running binary, its
// symlinks resolved (`docker` may be a link to bin/twinbox).
func EnginePath() (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	if p, err := filepath.EvalSymlinks(self); err == nil {
		self = p
	}
	return filepath.Join(filepath.Dir(self), EngineName), nil
}
