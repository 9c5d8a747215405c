package image

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

func readArchiveFile(t *testing.T, name string) (*Archive, []byte) {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	a, err := ReadArchive(bytes.NewReader(data), &MemSpool{})
	if err != nil {
		t.Fatalf("ReadArchive(%s): %v", name, err)
	}
	return a, data
}

// archiveLayers serves the layers of a as a LayerSource.
func archiveLayers(t *testing.T, a *Archive) LayerSource {
	byDiffID := map[string][]byte{}
	for _, img := range a.Images {
		for i, p := range img.Layers {
			rc, err := a.OpenLayer(p)
			if err != nil {
				t.Fatalf("OpenLayer(%s): %v", p, err)
			}
			diffID, _, err := ScanLayer(rc, nil)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			if want := img.Image.RootFS.DiffIDs[i]; diffID != want {
				t.Fatalf("layer %s: got DiffID %s, want %s", p, diffID, want)
			}
			rc, _ = a.OpenLayer(p)
			data, _ := io.ReadAll(rc)
			rc.Close()
			byDiffID[diffID] = data
		}
	}
	return func(diffID string) (io.ReadCloser, int64, error) {
		data, ok := byDiffID[diffID]
		if !ok {
			return nil, 0, backend.Errorf(backend.NotFound, "no layer %s", diffID)
		}
		return io.NopCloser(bytes.NewReader(data)), -1, nil
	}
}

// The fixtures are `docker save` output of dockerd 20.10.24 for images built
// FROM scratch with COPY a.txt, COPY b.txt and CMD ["x"] (small) and with
// COPY a.txt and LABEL (dup):
//
//	dockerd-save-tags.tar:   docker save small:v1 small:latest
//	dockerd-save-chain.tar:  docker save small:v1 <its parent> <its grandparent>
//	dockerd-save-shared.tar: docker save small:v1 dup
//
// Reading each and writing its images back in the manifest's order gives
// the same bytes.
func TestWriteArchiveReproducesDockerSave(t *testing.T) {
	tests := []struct {
		file    string
		images  int
		parents []string
	}{
		{"testdata/dockerd-save-tags.tar", 1, []string{""}},
		{"testdata/dockerd-save-chain.tar", 3, []string{
			"sha256:a2c8929b09018ec2417a034565601fd57cfb064143d71fa5809ad68ece22450c",
			"sha256:d9958e40118cf7c43eff3d771b1ed4fae7556b15ba0bda372c4458248995c0f7", ""}},
		{"testdata/dockerd-save-shared.tar", 2, []string{"", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			a, golden := readArchiveFile(t, tt.file)
			if len(a.Images) != tt.images {
				t.Fatalf("got %d images, want %d", len(a.Images), tt.images)
			}
			var save []SaveImage
			for i, img := range a.Images {
				if img.Parent != tt.parents[i] {
					t.Errorf("image %d: got parent %q, want %q", i, img.Parent, tt.parents[i])
				}
				save = append(save, SaveImage{Config: img.Config, RepoTags: img.RepoTags, Parent: img.Parent})
			}
			var out bytes.Buffer
			if err := WriteArchive(&out, save, archiveLayers(t, a)); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out.Bytes(), golden) {
				// dockerd leaves the mtime of a directory whose layer.tar
				// links to another layer's at the time of the save.
				diffTars(t, out.Bytes(), golden)
			}
		})
	}
}

// diffTars fails at the first entry where two docker-archives differ,
// other than in the mtimes of a directory holding a linked layer.tar and
// its entries.
func diffTars(t *testing.T, got, want []byte) {
	t.Helper()
	linked := map[string]bool{}
	wr := tar.NewReader(bytes.NewReader(want))
	for {
		h, err := wr.Next()
		if err != nil {
			break
		}
		if h.Typeflag == tar.TypeSymlink {
			linked[strings.TrimSuffix(h.Name, "layer.tar")] = true
		}
	}
	gr, wr := tar.NewReader(bytes.NewReader(got)), tar.NewReader(bytes.NewReader(want))
	for {
		gh, gerr := gr.Next()
		wh, werr := wr.Next()
		if gerr == io.EOF && werr == io.EOF {
			if len(got) != len(want) {
				t.Fatalf("got %d bytes, want %d", len(got), len(want))
			}
			return
		}
		if gerr != nil || werr != nil {
			t.Fatalf("tars differ (%d bytes, want %d); ends: %v, %v", len(got), len(want), gerr, werr)
		}
		gd, _ := io.ReadAll(gr)
		wd, _ := io.ReadAll(wr)
		if dir, _, _ := strings.Cut(wh.Name, "/"); linked[dir+"/"] {
			gh.ModTime = wh.ModTime
		}
		if gh.Name != wh.Name || gh.Mode != wh.Mode || !gh.ModTime.Equal(wh.ModTime) || gh.Linkname != wh.Linkname ||
			gh.Uname != wh.Uname || gh.Gname != wh.Gname || gh.Uid != wh.Uid || gh.Typeflag != wh.Typeflag || !bytes.Equal(gd, wd) {
			t.Fatalf("entry %q: got %q mode %o mtime %v link %q content %q, want %q mode %o mtime %v link %q content %q",
				wh.Name, gh.Name, gh.Mode, gh.ModTime, gh.Linkname, gd, wh.Name, wh.Mode, wh.ModTime, wh.Linkname, wd)
		}
	}
}

func TestReadArchive(t *testing.T) {
	a, _ := readArchiveFile(t, "testdata/dockerd-save-shared.tar")
	var tags []string
	for _, img := range a.Images {
		tags = append(tags, strings.Join(img.RepoTags, ","))
		if img.ID != Digest(img.Config) {
			t.Errorf("ID: got %s, want the config's digest", img.ID)
		}
	}
	if got, want := strings.Join(tags, " "), "small:v1 dup:latest"; got != want {
		t.Errorf("tags: got %s, want %s", got, want)
	}
	// dup's layer.tar is a symlink to small's first layer.
	rc, err := a.OpenLayer(a.Images[1].Layers[0])
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	diffID, size, err := ScanLayer(rc, nil)
	if err != nil || diffID != a.Images[1].Image.RootFS.DiffIDs[0] || size != 2 {
		t.Errorf("dup's layer: got %s size %d, %v, want %s size 2", diffID, size, err, a.Images[1].Image.RootFS.DiffIDs[0])
	}
}

func TestValidParent(t *testing.T) {
	a, _ := readArchiveFile(t, "testdata/dockerd-save-chain.tar")
	small, parent, grand := a.Images[0].Image, a.Images[1].Image, a.Images[2].Image
	tests := []struct {
		name        string
		img, parent *Image
		want        bool
	}{
		{"child of parent", small, parent, true},
		{"parent of grandparent", parent, grand, true},
		{"grandchild", small, grand, false},
		{"reversed", parent, small, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ValidParent(tt.img, tt.parent); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// tarOf builds an archive from name → content ("->target" makes a symlink).
func tarOf(t testing.TB, files [][2]string) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		if target, ok := strings.CutPrefix(f[1], "->"); ok {
			tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: f[0], Linkname: target, Mode: 0o777})
			continue
		}
		tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: f[0], Size: int64(len(f[1])), Mode: 0o644})
		tw.Write([]byte(f[1]))
	}
	tw.Close()
	return buf.Bytes()
}

func TestReadArchiveErrors(t *testing.T) {
	cfg := `{"os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:` + strings.Repeat("0", 64) + `"]}}`
	win := `{"os":"windows","rootfs":{"type":"layers","diff_ids":["sha256:` + strings.Repeat("0", 64) + `"]}}`
	tests := []struct {
		name  string
		files [][2]string
		want  string
	}{
		{"no manifest", [][2]string{{"repositories", "{}"}},
			"load: archive has no manifest.json (the format before Docker 1.10 is not supported)"},
		{"bad manifest", [][2]string{{"manifest.json", "{"}}, "load: manifest.json: unexpected end of JSON input"},
		{"missing config", [][2]string{{"manifest.json", `[{"Config":"c.json","Layers":["l/layer.tar"]}]`}},
			"open c.json: no such file or directory"},
		{"layer count", [][2]string{{"c.json", cfg}, {"manifest.json", `[{"Config":"c.json","Layers":[]}]`}},
			"invalid manifest, layers length mismatch: expected 0, got 1"},
		{"bad tag", [][2]string{{"c.json", cfg}, {"manifest.json", `[{"Config":"c.json","RepoTags":["BusyBox"],"Layers":["l"]}]`}},
			"invalid reference format: repository name must be lowercase"},
		{"untagged tag", [][2]string{{"c.json", cfg}, {"manifest.json", `[{"Config":"c.json","RepoTags":["busybox"],"Layers":["l"]}]`}},
			`invalid tag "busybox"`},
		{"windows", [][2]string{{"c.json", win}, {"manifest.json", `[{"Config":"c.json","Layers":["l"]}]`}},
			"cannot load windows image on linux"},
		{"escaping entry", [][2]string{{"../manifest.json", "[]"}}, `tar entry "../manifest.json": name leads out of the root`},
		// A symlinked config resolves inside the archive: /etc/passwd
		// there is not the host's.
		{"symlink out", [][2]string{{"c.json", "->/etc/passwd"}, {"manifest.json", `[{"Config":"c.json","Layers":["l"]}]`}},
			"open c.json: no such file or directory"},
		{"symlink loop", [][2]string{{"c.json", "->c.json"}, {"manifest.json", `[{"Config":"c.json","Layers":["l"]}]`}},
			"load: c.json: too many levels of symbolic links"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadArchive(bytes.NewReader(tarOf(t, tt.files)), &MemSpool{})
			if err == nil || err.Error() != tt.want {
				t.Fatalf("got error %v, want %q", err, tt.want)
			}
			if c := backend.CodeOf(err); c != backend.InvalidParameter {
				t.Errorf("got code %v, want InvalidParameter", c)
			}
		})
	}
}

func TestReadArchiveFollowsSymlinksInside(t *testing.T) {
	cfg := `{"os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:` + strings.Repeat("0", 64) + `"]}}`
	data := tarOf(t, [][2]string{
		{"real/c.json", cfg},
		{"c.json", "->../../real/c.json"}, // ".." at the root stays at the root
		{"manifest.json", `[{"Config":"c.json","RepoTags":["x:1"],"Layers":["l/layer.tar"]}]`},
	})
	a, err := ReadArchive(bytes.NewReader(data), &MemSpool{})
	if err != nil {
		t.Fatal(err)
	}
	if string(a.Images[0].Config) != cfg {
		t.Errorf("config: got %q, want %q", a.Images[0].Config, cfg)
	}
	if _, err := a.OpenLayer("l/layer.tar"); err == nil {
		t.Errorf("OpenLayer of a missing layer: got no error")
	}
}

func TestWriteArchiveErrors(t *testing.T) {
	noLayers := SaveImage{Config: []byte(`{"os":"linux","rootfs":{"type":"layers"}}`)}
	err := WriteArchive(io.Discard, []SaveImage{noLayers}, nil)
	if err == nil || err.Error() != "empty export - not implemented" {
		t.Errorf("got %v, want \"empty export - not implemented\"", err)
	}
}

func FuzzReadArchive(f *testing.F) {
	for _, name := range []string{"testdata/dockerd-save-tags.tar"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	cfg := `{"os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:` + strings.Repeat("0", 64) + `"]}}`
	f.Add(tarOf(f, [][2]string{{"c.json", cfg}, {"l/layer.tar", "->../c.json"},
		{"manifest.json", `[{"Config":"c.json","RepoTags":["x:1"],"Layers":["l/layer.tar"],"Parent":"sha256:1"}]`}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := ReadArchive(bytes.NewReader(data), &MemSpool{})
		if err != nil {
			return
		}
		for _, img := range a.Images {
			if img.ID != Digest(img.Config) || len(img.Layers) != len(img.Image.RootFS.DiffIDs) {
				t.Fatalf("image %s: inconsistent", img.ID)
			}
			for _, l := range img.Layers {
				if rc, err := a.OpenLayer(l); err == nil {
					ScanLayer(rc, &ReaderOptions{MaxFileSize: 1 << 20})
					rc.Close()
				}
			}
		}
	})
}
