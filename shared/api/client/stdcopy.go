package client

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// The stream numbers of the multiplexed format.
const (
	streamStdin     = 0
	streamStdout    = 1
	streamStderr    = 2
	streamSystemErr = 3
)

// StdCopy copies a multiplexed stream (the output of a container without a
// TTY: attach, logs, exec) to stdout and stderr until src ends. Each frame
// is an 8-byte header — the stream (1 stdout, 2 stderr, 3 an error of the
// engine), three zero bytes, the payload's length as a big-endian uint32 —
// and the payload. A frame of stream 3 ends the copy with its text as the
// error; a nil writer discards its stream. It returns the bytes written.
//
// (shared/api/stream holds the engine's side of this format; the client
// keeps its own small reader so it does not depend on the router.)
func StdCopy(stdout, stderr io.Writer, src io.Reader) (written int64, err error) {
	var header [8]byte
	buf := make([]byte, 32*1024)
	for {
		if _, err := io.ReadFull(src, header[:]); err != nil {
			if err == io.EOF {
				return written, nil
			}
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return written, nil // the stream was cut mid-header, as the docker client tolerates
			}
			return written, err
		}
		size := int(binary.BigEndian.Uint32(header[4:]))
		var out io.Writer
		switch header[0] {
		case streamStdin, streamStdout:
			out = stdout
		case streamStderr:
			out = stderr
		case streamSystemErr:
			msg := make([]byte, size)
			if _, err := io.ReadFull(src, msg); err != nil {
				return written, err
			}
			return written, fmt.Errorf("error from daemon in stream: %s", msg)
		default:
			return written, fmt.Errorf("unrecognized input header: %d", header[0])
		}
		for size > 0 {
			n := min(size, len(buf))
			m, rerr := io.ReadFull(src, buf[:n])
			if m > 0 && out != nil {
				w, werr := out.Write(buf[:m])
				written += int64(w)
				if werr != nil {
					return written, werr
				}
			}
			size -= m
			if rerr != nil {
				if errors.Is(rerr, io.ErrUnexpectedEOF) || rerr == io.EOF {
					return written, nil
				}
				return written, rerr
			}
		}
	}
}
