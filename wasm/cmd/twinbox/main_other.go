//go:build !js

package main

import (
	"fmt"
	"os"
)

// main explains where this program runs: it is the browser's simulator
// (GOOS=js GOARCH=wasm); the native binaries are native/cmd/twinbox (the CLI) and
// native/cmd/twinbox-engine.
func main() {
	fmt.Fprintln(os.Stderr, "twinbox: this is the browser build (GOOS=js GOARCH=wasm); use native/cmd/twinbox here")
	os.Exit(2)
}
