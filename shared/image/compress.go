package image

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"io"

	"github.com/ulikunitz/xz"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

// Compression is how a tar is compressed.
type Compression int

// The compressions dockerd 20.10 recognises (pkg/archive.DetectCompression).
const (
	Uncompressed Compression = iota
	Gzip
	Bzip2
	Xz
)

func (c Compression) String() string {
	switch c {
	case Gzip:
		return "gzip"
	case Bzip2:
		return "bzip2"
	case Xz:
		return "xz"
	}
	return "uncompressed"
}

// DetectCompression tells the compression from the first bytes of a stream
// by their magic numbers; anything else is Uncompressed.
func DetectCompression(head []byte) Compression {
	switch {
	case bytes.HasPrefix(head, []byte{0x1F, 0x8B, 0x08}):
		return Gzip
	case bytes.HasPrefix(head, []byte{0x42, 0x5A, 0x68}):
		return Bzip2
	case bytes.HasPrefix(head, []byte{0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00}):
		return Xz
	}
	return Uncompressed
}

// Decompress returns r decompressed, detecting the compression by magic
// number as `docker load`, `docker import` and the builder's ADD do.
// An empty stream is an empty uncompressed one. Errors: InvalidParameter for
// a corrupt header (errors in the data surface when reading).
func Decompress(r io.Reader) (io.ReadCloser, Compression, error) {
	br := bufio.NewReaderSize(r, 32<<10)
	head, err := br.Peek(10)
	if err != nil && err != io.EOF {
		return nil, Uncompressed, err
	}
	c := DetectCompression(head)
	switch c {
	case Gzip:
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, c, backend.Errorf(backend.InvalidParameter, "decompress gzip: %w", err)
		}
		return zr, c, nil
	case Bzip2:
		return io.NopCloser(bzip2.NewReader(br)), c, nil
	case Xz:
		xr, err := xz.NewReader(br)
		if err != nil {
			return nil, c, backend.Errorf(backend.InvalidParameter, "decompress xz: %w", err)
		}
		return io.NopCloser(xr), c, nil
	}
	return io.NopCloser(br), c, nil
}

// IsArchive reports whether r holds a tar, possibly compressed, as the
// builder's ADD decides whether to extract a local file: it must decompress
// and have a valid first header.
func IsArchive(r io.Reader) bool {
	d, _, err := Decompress(r)
	if err != nil {
		return false
	}
	defer d.Close()
	_, err = tar.NewReader(d).Next()
	return err == nil
}
