//go:build !unix

package main

import "github.com/twinbox-dev/twinbox/shared/cli"

func newTerminal() cli.Terminal { return nil }
