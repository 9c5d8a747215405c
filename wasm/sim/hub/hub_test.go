package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"strings"
	"testing"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/image"
	"github.com/twinbox-dev/twinbox/wasm/sim/sys"
)

func TestBase(t *testing.T) {
	b, err := Base()
	if err != nil {
		t.Fatal(err)
	}
	// The embedded configurations are the real ones, byte for byte.
	for i, want := range []string{
		"sha256:a5ea209d9b10a37a07c5e8a2f6319df47b6a5cab4a13344b0cd3d1dd77beba01",
		"sha256:904f20f6868d5b2e6b23f67d6dde4b2515e69884352255115d70b456f0437110",
	} {
		if got := image.Digest(compact(b.Images[i])); got != want {
			t.Errorf("embedded configuration %d: got ID %s, want the reference's %s", i, got, want)
		}
	}
	if b.Size != b.Metadata.Layer.Size || b.Size != 1984234 {
		t.Errorf("layer size: got %d, want the real layer's %d (1984234)", b.Size, b.Metadata.Layer.Size)
	}
	if b.DiffID == b.Metadata.Layer.DiffID {
		t.Errorf("DiffID: got the real layer's %s, want the simulated layer's own", b.DiffID)
	}
	final, err := image.Parse(b.Final)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct{ what, got, want string }{
		{"ID", image.Digest(b.Final), b.FinalID},
		{"diff_ids", strings.Join(final.RootFS.DiffIDs, ","), b.DiffID},
		{"Config.Image", final.Config.Image, b.AddID},
		{"ContainerConfig.Image", final.ContainerConfig.Image, b.AddID},
		{"Env", strings.Join(final.Config.Env, ","), "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
		{"Cmd", strings.Join(final.Config.Cmd, ","), "sh"},
		{"history 0", final.History[0].CreatedBy, "/bin/sh -c #(nop) ADD file:21b797decdefbf806c2d4a3feb4ebff8daaca5658d2c8fbfeb72a21862891620 in / "},
		{"history 1", final.History[1].CreatedBy, `/bin/sh -c #(nop)  CMD ["sh"]`},
		{"created", final.Created.String(), "2026-11-23 09:13:11.175094369 +0000 UTC"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("final %s: got %q, want %q", c.what, c.got, c.want)
		}
	}
	if !final.History[1].EmptyLayer || final.History[0].EmptyLayer {
		t.Errorf("empty_layer: got %v %v, want false true", final.History[0].EmptyLayer, final.History[1].EmptyLayer)
	}

	// The layer: 268 applet links, the simulated binary, the text files.
	rd := image.NewReader(bytes.NewReader(b.Layer), nil)
	links, paths := 0, 0
	for {
		e, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		paths++
		switch {
		case e.Type == image.TypeSymlink:
			links++
			if e.Linkname != "busybox" || !strings.HasPrefix(e.Path, "bin/") {
				t.Errorf("%s: got link to %q, want bin/APPLET -> busybox", e.Path, e.Linkname)
			}
		case e.Path == "bin/busybox":
			data, _ := io.ReadAll(rd)
			head := "\x7fELF\x02\x01\x01\x00" + sys.BinaryMagic + "busybox\n"
			if len(data) != 1982256 || !bytes.HasPrefix(data, []byte(head)) || bytes.Count(data, []byte{0}) != len(data)-len(head)+1 {
				t.Errorf("bin/busybox: got %d bytes starting %q, want 1982256 bytes: %q then zeros", len(data), data[:min(len(data), 32)], head)
			}
		case e.Path == "etc/passwd":
			data, _ := io.ReadAll(rd)
			if string(data) != "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n" {
				t.Errorf("etc/passwd: got %q", data)
			}
		case e.Path == "tmp":
			if e.Mode.String() != "trwxrwxrwx" {
				t.Errorf("tmp: got mode %v, want 1777", e.Mode)
			}
		}
	}
	if links != 268 || paths != 280 {
		t.Errorf("got %d paths and %d links, want 280 and 268", paths, links)
	}
}

func TestBaseArchive(t *testing.T) {
	b, err := Base()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := b.WriteArchive(&buf); err != nil {
		t.Fatal(err)
	}
	a, err := image.ReadArchive(&buf, &image.MemSpool{})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Images) != 2 {
		t.Fatalf("got %d images, want 2", len(a.Images))
	}
	add, final := a.Images[0], a.Images[1]
	if add.ID != b.AddID || final.ID != b.FinalID || final.Parent != b.AddID || strings.Join(final.RepoTags, ",") != "busybox:latest" {
		t.Errorf("got images %s, %s (parent %s, tags %v), want %s, %s (parent %s, busybox:latest)",
			add.ID, final.ID, final.Parent, final.RepoTags, b.AddID, b.FinalID, b.AddID)
	}
	if !image.ValidParent(final.Image, add.Image) {
		t.Errorf("ValidParent: got false, want true")
	}
	for _, img := range a.Images {
		rc, err := a.OpenLayer(img.Layers[0])
		if err != nil {
			t.Fatal(err)
		}
		diffID, size, err := image.ScanLayer(rc, nil)
		rc.Close()
		if err != nil || diffID != b.DiffID || size != b.Size {
			t.Errorf("layer of %s: got %s size %d, %v, want %s size %d", img.ID, diffID, size, err, b.DiffID, b.Size)
		}
	}
}

func TestPull(t *testing.T) {
	h := New()
	b, err := Base()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	img, err := h.Pull(ctx, "docker.io/library/busybox:latest")
	if err != nil {
		t.Fatal(err)
	}
	if string(img.Config) != string(b.Final) || len(img.Layers) != 1 || img.Layers[0].DiffID != b.DiffID {
		t.Fatalf("got config %s with %d layers, want busybox:latest's", image.Digest(img.Config), len(img.Layers))
	}
	rc, err := img.Layers[0].Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(rc)
	if image.Digest(data) != b.DiffID || int64(len(data)) != img.Layers[0].Size {
		t.Errorf("layer: got %s (%d bytes), want %s (%d bytes)", image.Digest(data), len(data), b.DiffID, img.Layers[0].Size)
	}
	for _, ref := range []string{"busybox", "busybox:latest", "docker.io/library/busybox", "index.docker.io/library/busybox:latest",
		"busybox@" + img.Digest, "docker.io/library/busybox@" + img.Digest} {
		t.Run(ref, func(t *testing.T) {
			got, err := h.Pull(ctx, ref)
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if got.Digest != img.Digest {
				t.Errorf("got digest %s, want %s", got.Digest, img.Digest)
			}
		})
	}
}

func TestPullErrors(t *testing.T) {
	h := New()
	zero := "sha256:" + strings.Repeat("0", 64)
	tests := []struct {
		ref  string
		code backend.Code
		want string
	}{
		{"docker.io/library/nosuch:latest", backend.NotFound,
			"pull access denied for nosuch, repository does not exist or may require 'docker login': denied: requested access to the resource is denied"},
		{"example/hello", backend.NotFound,
			"pull access denied for example/hello, repository does not exist or may require 'docker login': denied: requested access to the resource is denied"},
		{"docker.io/library/busybox:nosuch", backend.NotFound,
			"manifest for busybox:nosuch not found: manifest unknown: manifest unknown"},
		{"busybox@" + zero, backend.NotFound,
			"manifest for busybox@" + zero + " not found: manifest unknown: manifest unknown"},
		{"registry.example.com/x:1", backend.Internal,
			`Get "https://registry.example.com/v2/": dial tcp: lookup registry.example.com: no such host`},
		{"localhost:5000/x", backend.Internal,
			`Get "https://localhost:5000/v2/": dial tcp: lookup localhost: no such host`},
		{"BusyBox", backend.InvalidParameter, "invalid reference format: repository name must be lowercase"},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			_, err := h.Pull(context.Background(), tt.ref)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("got error %v, want %q", err, tt.want)
			}
			if c := backend.CodeOf(err); c != tt.code {
				t.Errorf("got code %v, want %v", c, tt.code)
			}
		})
	}
}

// childImage builds an image on top of busybox with one more layer.
func childImage(t *testing.T, layer []byte) []byte {
	b, _ := Base()
	img, err := image.Parse(b.Final)
	if err != nil {
		t.Fatal(err)
	}
	img.RootFS.DiffIDs = append(img.RootFS.DiffIDs, image.Digest(layer))
	img.History = append(img.History, image.History{CreatedBy: "lesson"})
	data, _, err := img.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func layerOf(t *testing.T, entries ...image.Entry) []byte {
	var buf bytes.Buffer
	w := image.NewLayerWriter(&buf, nil)
	for i := range entries {
		var r io.Reader
		if entries[i].Type == image.TypeRegular {
			r = bytes.NewReader(bytes.Repeat([]byte("x"), int(entries[i].Size)))
		}
		if err := w.WriteEntry(&entries[i], r); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	return buf.Bytes()
}

func TestPush(t *testing.T) {
	h := New()
	ctx := context.Background()
	b, _ := Base()
	layer := layerOf(t, image.Entry{Path: "hello.txt", Type: image.TypeRegular, Mode: 0o644, Size: 3})
	config := childImage(t, layer)
	digest, err := h.Push(ctx, "example/hello:v1", config, []io.Reader{bytes.NewReader(b.Layer), bytes.NewReader(layer)})
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"docker.io/example/hello:v1", "example/hello@" + digest} {
		img, err := h.Pull(ctx, ref)
		if err != nil {
			t.Fatalf("Pull(%s): %v", ref, err)
		}
		if img.Digest != digest || !bytes.Equal(img.Config, config) || len(img.Layers) != 2 {
			t.Errorf("Pull(%s): got %s with %d layers, want %s with 2", ref, img.Digest, len(img.Layers), digest)
		}
	}
	if got := strings.Join(h.Tags("example/hello"), ","); got != "v1" {
		t.Errorf("Tags: got %q, want v1", got)
	}
	// Another repository does not serve the digest.
	if _, err := h.Pull(ctx, "busybox@"+digest); err == nil || !backend.IsNotFound(err) {
		t.Errorf("busybox@<hello's digest>: got %v, want NotFound", err)
	}
}

func TestPushErrors(t *testing.T) {
	h := New()
	b, _ := Base()
	good := layerOf(t, image.Entry{Path: "a", Type: image.TypeRegular, Mode: 0o644, Size: 1})
	other := layerOf(t, image.Entry{Path: "b", Type: image.TypeRegular, Mode: 0o644, Size: 1})
	var hostile bytes.Buffer
	w := image.NewLayerWriter(&hostile, nil)
	w.WriteEntry(&image.Entry{Path: "l", Type: image.TypeSymlink, Mode: 0o777, Linkname: "/"}, nil)
	w.WriteEntry(&image.Entry{Path: "l/etc", Type: image.TypeDir, Mode: 0o755}, nil)
	w.Close()
	config := childImage(t, good)
	tests := []struct {
		name, ref string
		config    []byte
		layers    [][]byte
		want      string
	}{
		{"no tag", "example/x", config, [][]byte{b.Layer, good}, "push example/x: a tag is required"},
		{"bad ref", "Example/x:1", config, [][]byte{b.Layer, good}, "invalid reference format: repository name must be lowercase"},
		{"layer count", "example/x:1", config, [][]byte{b.Layer}, "push example/x:1: 1 layers for 2 diff_ids"},
		{"wrong layer", "example/x:1", config, [][]byte{b.Layer, other}, "invalid diffID for layer 1: expected \"" +
			image.Digest(good) + "\", got \"" + image.Digest(other) + "\""},
		{"hostile layer", "example/x:1", childImage(t, hostile.Bytes()), [][]byte{b.Layer, hostile.Bytes()}, `tar entry "l/etc/": lies below symlink "l"`},
		{"bad config", "example/x:1", []byte("{"), nil, "push example/x:1: unexpected end of JSON input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rs []io.Reader
			for _, l := range tt.layers {
				rs = append(rs, bytes.NewReader(l))
			}
			_, err := h.Push(context.Background(), tt.ref, tt.config, rs)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("got error %v, want %q", err, tt.want)
			}
			if c := backend.CodeOf(err); c != backend.InvalidParameter {
				t.Errorf("got code %v, want InvalidParameter", c)
			}
		})
	}
	if got := h.Tags("example/x"); len(got) != 0 {
		t.Errorf("Tags after failed pushes: got %v, want none", got)
	}
}

func TestRootfsFormat(t *testing.T) {
	files := []File{
		{Path: ".", Type: image.TypeDir, Mode: 0o700},
		{Path: "a b", Type: image.TypeRegular, Mode: fs.ModeSetuid | 0o755, UID: 1, GID: 2, Size: 4, Content: []byte("x\n\"#")},
		{Path: "bin/x", Type: image.TypeRegular, Mode: 0o755, Size: 100, Binary: "busybox"},
		{Path: "l", Type: image.TypeSymlink, Mode: 0o777, Link: "../a b"},
		{Path: "t", Type: image.TypeDir, Mode: fs.ModeSticky | 0o777},
	}
	data := FormatRootfs([]string{"header"}, files)
	want := "# header\n" +
		". dir 0700 0 0\n" +
		"\"a b\" file 4755 1 2 4 \"x\\n\\\"#\"\n" +
		"bin/x binary 0755 0 0 100 busybox\n" +
		"l symlink 0777 0 0 \"../a b\"\n" +
		"t dir 1777 0 0\n"
	if string(data) != want {
		t.Errorf("got\n%s\nwant\n%s", data, want)
	}
	got, err := ParseRootfs(data)
	if err != nil {
		t.Fatal(err)
	}
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(files)
	if string(g) != string(w) {
		t.Errorf("round trip: got %s, want %s", g, w)
	}
}

func TestParseRootfsErrors(t *testing.T) {
	tests := []struct{ line, want string }{
		{"a dir 0755 0", "parse rootfs line 1: 4 fields, want at least 5"},
		{"a dir 0789 0 0", `parse rootfs line 1: mode "0789": strconv.ParseUint: parsing "0789": invalid syntax`},
		{"a pipe 0755 0 0", `parse rootfs line 1: unknown type "pipe"`},
		{"a file 0644 0 0 3 \"ab\"", "parse rootfs line 1: content of 2 bytes, size 3"},
		{"a symlink 0777 0 0", "parse rootfs line 1: type symlink: 0 fields after the owner, want 1"},
		{"\"a dir 0755 0 0", "parse rootfs line 1: invalid syntax"},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			_, err := ParseRootfs([]byte(tt.line))
			if err == nil || err.Error() != tt.want {
				t.Errorf("got %v, want %q", err, tt.want)
			}
		})
	}
}

func BenchmarkBusyboxLayerWrite(b *testing.B) {
	base, err := Base()
	if err != nil {
		b.Fatal(err)
	}
	contents := make([][]byte, len(base.Files))
	for i := range base.Files {
		contents[i] = base.Files[i].FileContent()
	}
	b.SetBytes(int64(len(base.Layer)))
	for b.Loop() {
		if err := WriteLayer(io.Discard, base.Files, func(i int) []byte { return contents[i] }); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBusyboxLayerRead(b *testing.B) {
	base, err := Base()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(base.Layer)))
	for b.Loop() {
		rd := image.NewReader(bytes.NewReader(base.Layer), nil)
		for {
			_, err := rd.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.Copy(io.Discard, rd); err != nil {
				b.Fatal(err)
			}
		}
		if rd.DiffID() != base.DiffID {
			b.Fatalf("got DiffID %s, want %s", rd.DiffID(), base.DiffID)
		}
	}
}

// BenchmarkPull pulls busybox:latest and reads its layer, as the engine does
// before applying it.
func BenchmarkPull(b *testing.B) {
	h := New()
	ctx := context.Background()
	if _, err := h.Pull(ctx, "busybox"); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		img, err := h.Pull(ctx, "docker.io/library/busybox:latest")
		if err != nil {
			b.Fatal(err)
		}
		rc, err := img.Layers[0].Open(ctx)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, rc)
		rc.Close()
	}
}

func FuzzParseRootfs(f *testing.F) {
	f.Add(busyboxRootfs)
	f.Add([]byte("\"a b\" file 4755 1 2 4 \"x\\n\\\"#\"\nl symlink 0777 0 0 \"../a b\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		files, err := ParseRootfs(data)
		if err != nil {
			return
		}
		again, err := ParseRootfs(FormatRootfs(nil, files))
		if err != nil {
			t.Fatalf("formatted description does not parse: %v", err)
		}
		g, _ := json.Marshal(again)
		w, _ := json.Marshal(files)
		if string(g) != string(w) {
			t.Fatalf("round trip: got %s, want %s", g, w)
		}
	})
}

// BenchmarkBuildBase measures what the simulator pays once for busybox:latest:
// parsing the description, writing the layer and hashing it, and encoding
// the configurations.
func BenchmarkBuildBase(b *testing.B) {
	for b.Loop() {
		if _, err := buildBase(); err != nil {
			b.Fatal(err)
		}
	}
}
