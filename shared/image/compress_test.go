package image

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"testing"

	"github.com/ulikunitz/xz"
)

func TestDecompress(t *testing.T) {
	bz2Data, err := os.ReadFile("testdata/hello.tar.bz2")
	if err != nil {
		t.Fatal(err)
	}
	// The fixtures were made by bzip2 and xz from one tar; read it back.
	bz, _, err := Decompress(bytes.NewReader(bz2Data))
	if err != nil {
		t.Fatal(err)
	}
	tarData, err := io.ReadAll(bz)
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(tarData)
	zw.Close()
	var xzGo bytes.Buffer
	xw, _ := xz.NewWriter(&xzGo)
	xw.Write(tarData)
	xw.Close()
	xzCLI, err := os.ReadFile("testdata/hello.tar.xz")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data []byte
		want Compression
	}{
		{"plain", tarData, Uncompressed},
		{"gzip", gz.Bytes(), Gzip},
		{"bzip2 (bzip2 1.0.8)", bz2Data, Bzip2},
		{"xz (xz 5.4)", xzCLI, Xz},
		{"xz (Go)", xzGo.Bytes(), Xz},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if c := DetectCompression(tt.data); c != tt.want {
				t.Errorf("DetectCompression: got %v, want %v", c, tt.want)
			}
			r, c, err := Decompress(bytes.NewReader(tt.data))
			if err != nil || c != tt.want {
				t.Fatalf("Decompress: got %v, %v, want %v", c, err, tt.want)
			}
			defer r.Close()
			entries, _, err := readAllFrom(r, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 1 || entries[0].Path != "hello.txt" || entries[0].Size != 30 {
				t.Errorf("got %+v, want hello.txt of 30 bytes", entries)
			}
			if !IsArchive(bytes.NewReader(tt.data)) {
				t.Errorf("IsArchive: got false, want true")
			}
		})
	}
	if IsArchive(bytes.NewReader([]byte("#!/bin/sh\necho not a tar\n"))) {
		t.Errorf("IsArchive(script): got true, want false")
	}
	r, c, err := Decompress(bytes.NewReader(nil))
	if err != nil || c != Uncompressed {
		t.Errorf("Decompress(empty): got %v, %v, want an empty uncompressed stream", c, err)
	} else if n, _ := io.Copy(io.Discard, r); n != 0 {
		t.Errorf("Decompress(empty): got %d bytes, want 0", n)
	}
	if _, _, err := Decompress(bytes.NewReader([]byte{0x1F, 0x8B, 0x08, 0, 0})); err == nil {
		t.Errorf("Decompress(truncated gzip header): got no error")
	}
}
