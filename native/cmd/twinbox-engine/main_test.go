package main

import (
	"testing"

	"github.com/twinbox-dev/twinbox/native/cmd/internal/clirun"
)

// TestEngineCommandsListed: bin/twinbox hands over exactly the commands
// registered here (register panics on one missing from the list).
func TestEngineCommandsListed(t *testing.T) {
	for _, name := range clirun.EngineCommands {
		if _, ok := subcommands[name]; !ok {
			t.Errorf("clirun.EngineCommands has %q, which twinbox-engine does not run", name)
		}
	}
}
