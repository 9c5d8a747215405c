package client

import (
	"io"

	"github.com/twinbox-dev/twinbox/shared/api/stream"
)

// StdCopy copies a multiplexed stream (the output of a container without a
// TTY: attach, logs, exec) to stdout and stderr until src ends, as the
// docker client does (see stream.StdCopy for the format). A nil writer
// discards its stream. It returns the bytes written.
func StdCopy(stdout, stderr io.Writer, src io.Reader) (written int64, err error) {
	if stdout == nil {
		stdout = io.Discard
	}
	if stderr == nil {
		stderr = io.Discard
	}
	return stream.StdCopy(stdout, stderr, src)
}
