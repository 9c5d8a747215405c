// Command dockercli is twinbox's docker-compatible CLI as a program, for
// the scenario tests: they run the reference scripts with it as "docker".
package main

import (
	"context"
	"os"

	"github.com/twinbox-dev/twinbox/shared/cli"
)

func main() {
	os.Exit(cli.Run(context.Background(), os.Args[1:],
		cli.Streams{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr},
		cli.Options{Getenv: os.Getenv}))
}
