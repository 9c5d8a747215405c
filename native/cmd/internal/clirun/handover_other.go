//go:build !unix

package clirun

import (
	"errors"
	"os"
	"os/exec"
)

// HandOver runs the engine with args (args[0] its name) and exits with its
// status; it returns only when the engine could not be run.
func HandOver(engine string, args []string) error {
	cmd := exec.Command(engine, args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		os.Exit(exit.ExitCode())
	}
	if err != nil {
		return err
	}
	os.Exit(0)
	return nil
}
