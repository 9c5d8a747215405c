// Package stream holds the byte formats the Engine API streams in its
// responses, written and read exactly as dockerd 20.10 does:
//
//   - stdcopy multiplexing: stdout and stderr of a container without a TTY
//     share one connection in frames with an 8-byte header (NewStdWriter,
//     StdCopy);
//   - JSON message streams: the progress of pull, load, import and build as
//     newline-delimited JSON objects, flushed one by one (Encoder, Decoder);
//   - a flushing writer for streamed HTTP responses (WriteFlusher).
//
// A server multiplexes a container's output:
//
//	stdout := stream.NewStdWriter(conn, stream.Stdout)
//	stderr := stream.NewStdWriter(conn, stream.Stderr)
//
// and a client splits it again:
//
//	_, err := stream.StdCopy(os.Stdout, os.Stderr, conn)
package stream
