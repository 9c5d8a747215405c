package stream

// Adapted from github.com/docker/docker/pkg/stdcopy (v20.10.24),
// Apache License 2.0.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
)

// StdType is the stream a frame of a multiplexed stream belongs to: its
// header's first byte.
type StdType byte

// The streams of a multiplexed connection.
const (
	Stdin     StdType = iota // standard input (written to stdout by StdCopy)
	Stdout                   // standard output
	Stderr                   // standard error
	Systemerr                // an error of the daemon itself; StdCopy returns it
)

const (
	headerLen    = 8
	fdIndex      = 0
	sizeIndex    = 4
	startBufSize = 32*1024 + headerLen + 1
)

var bufPool = sync.Pool{New: func() any { return new([]byte) }}

type stdWriter struct {
	w      io.Writer
	prefix StdType
}

// NewStdWriter returns a writer that frames everything written to it as
// stream t of a multiplexed stream on w: each Write becomes one frame, an
// 8-byte header (the stream's number, three zero bytes and the length as a
// big-endian uint32) followed by the bytes, written to w in one Write.
// Write returns the number of bytes of p written, not counting the header.
// Writers for different streams may share w if their Writes do not overlap.
func NewStdWriter(w io.Writer, t StdType) io.Writer {
	return &stdWriter{w: w, prefix: t}
}

func (w *stdWriter) Write(p []byte) (int, error) {
	if w == nil || w.w == nil {
		return 0, errors.New("Writer not instantiated")
	}
	if p == nil {
		return 0, nil
	}
	bp := bufPool.Get().(*[]byte)
	buf := append((*bp)[:0], byte(w.prefix), 0, 0, 0, 0, 0, 0, 0)
	binary.BigEndian.PutUint32(buf[sizeIndex:], uint32(len(p)))
	buf = append(buf, p...)
	n, err := w.w.Write(buf)
	n -= headerLen
	if n < 0 {
		n = 0
	}
	*bp = buf[:0]
	bufPool.Put(bp)
	return n, err
}

// StdCopy demultiplexes src, a stream written by NewStdWriter writers: it
// writes the frames of Stdin and Stdout to dstout and those of Stderr to
// dsterr, until src ends. A frame cut short by the end of src is dropped.
// It returns the number of bytes written and nil at the end of src; an error
// means a real failure: a read or write error, an unknown stream number
// ("Unrecognized input header: N"), or a Systemerr frame, returned as
// "error from daemon in stream: TEXT".
//
// Memory grows with the data src delivers, not with the lengths its headers
// claim.
func StdCopy(dstout, dsterr io.Writer, src io.Reader) (written int64, err error) {
	buf := make([]byte, startBufSize)
	nr := 0 // bytes in buf
	// fill reads until buf holds at least want bytes; it reports false at
	// the end of src.
	fill := func(want int) (bool, error) {
		for nr < want {
			if len(buf) == nr {
				// Grow with the data that arrives, at most to want.
				size := 2 * len(buf)
				if size > want {
					size = want
				}
				nb := make([]byte, size)
				copy(nb, buf[:nr])
				buf = nb
			}
			n, er := src.Read(buf[nr:])
			nr += n
			if er == io.EOF {
				return nr >= want, nil
			}
			if er != nil {
				return false, er
			}
		}
		return true, nil
	}
	for {
		ok, er := fill(headerLen)
		if er != nil {
			return 0, er
		}
		if !ok {
			return written, nil
		}
		stream := StdType(buf[fdIndex])
		var out io.Writer
		switch stream {
		case Stdin, Stdout:
			out = dstout
		case Stderr:
			out = dsterr
		case Systemerr:
		default:
			return 0, fmt.Errorf("Unrecognized input header: %d", buf[fdIndex])
		}
		frameSize := int(binary.BigEndian.Uint32(buf[sizeIndex : sizeIndex+4]))
		end := headerLen + frameSize
		ok, er = fill(end)
		if er != nil {
			return 0, er
		}
		if !ok {
			return written, nil
		}
		if stream == Systemerr {
			return written, fmt.Errorf("error from daemon in stream: %s", string(buf[headerLen:end]))
		}
		nw, ew := out.Write(buf[headerLen:end])
		if ew != nil {
			return 0, ew
		}
		if nw != frameSize {
			return 0, io.ErrShortWrite
		}
		written += int64(nw)
		copy(buf, buf[end:nr])
		nr -= end
	}
}
