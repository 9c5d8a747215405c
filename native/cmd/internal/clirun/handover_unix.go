//go:build unix

package clirun

import (
	"os"
	"syscall"
)

// HandOver replaces the process with the engine running args (args[0] its
// name); it returns only when that fails.
func HandOver(engine string, args []string) error {
	return syscall.Exec(engine, args, os.Environ())
}
