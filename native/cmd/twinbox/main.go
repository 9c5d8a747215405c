// Command twinbox is the docker-compatible CLI, the engine daemon (simulated
// or native) and the web app's server in one binary.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "twinbox: the command set arrives with shared/cli")
	os.Exit(2)
}
