package vfs

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"runtime"
	"testing"
)

// BenchmarkChanges10000 is `docker diff` of a container that added 10,000
// files (100 directories of 100).
func BenchmarkChanges10000(b *testing.B) {
	u := container(b, nil)
	for d := 0; d < 100; d++ {
		dir := fmt.Sprintf("/data%02d", d)
		if err := u.Mkdir(dir, 0o755); err != nil {
			b.Fatal(err)
		}
		for f := 0; f < 99; f++ {
			if err := WriteFile(u, fmt.Sprintf("%s/f%02d", dir, f), nil, 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}
	if n := len(u.Changes()); n != 100*100 {
		b.Fatalf("got %d changes, want 10000", n)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		u.Changes()
	}
}

// BenchmarkCopyUp appends to a small lower file in a fresh container:
// copy-up of the file and its directory, then the write.
func BenchmarkCopyUp(b *testing.B) {
	image := NewLayer(nil, busyboxTree(b))
	init := InitLayer(image, nil)
	line := []byte("root2\n")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		u := NewUnion(init, nil)
		f, err := u.OpenFile("/etc/passwd", os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			b.Fatal(err)
		}
		f.Write(line)
		f.Close()
	}
}

// BenchmarkImportLayer reads a busybox-sized layer: 400 symlinks and one
// 2 MB file.
func BenchmarkImportLayer(b *testing.B) {
	raw := busyboxTar(b)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := ImportLayer(bytes.NewReader(raw), nil, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExportLayer writes the same layer, made by a commit (so the tar
// is generated, not the imported bytes).
func BenchmarkExportLayer(b *testing.B) {
	l, err := ImportLayer(bytes.NewReader(busyboxTar(b)), nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	fresh := newLayer(nil, l.own)
	b.SetBytes(int64(len(l.tar.raw)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		io.Copy(io.Discard, ExportLayer(fresh))
	}
}

// BenchmarkIdleUnion measures what an exited container's root costs: its
// own init layer (as the simulator makes one per container) and a union
// over it with a few changes, as d1 of the reference leaves it, over a
// shared busybox image of 400 applets. bytes/container is the heap it
// holds; the budget is 64 KiB.
func BenchmarkIdleUnion(b *testing.B) {
	tr := busyboxTree(b)
	for i := 0; i < 400; i++ {
		tr.Symlink("busybox", fmt.Sprintf("/bin/applet%03d", i))
	}
	image := NewLayer(nil, tr)
	image.root()
	const n = 200
	unions := make([]*Union, n)
	for i := 0; i < b.N; i++ {
		clear(unions)
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for j := range unions {
			u := NewUnion(InitLayer(image, nil), nil)
			WriteFile(u, "/NEW-FILE", nil, 0o644)
			u.Remove("/bin/ls")
			unions[j] = u
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "bytes/container")
	}
	runtime.KeepAlive(unions)
}
