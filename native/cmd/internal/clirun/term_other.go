//go:build !unix

package clirun

import "github.com/twinbox-dev/twinbox/shared/cli"

func newTerminal() cli.Terminal { return nil }
