package hub

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/twinbox-dev/twinbox/shared/image"
)

// Metadata is the embedded description's busybox.json: the real base
// image's facts and configurations.
type Metadata struct {
	Package   string // "busybox-static 1:1.35.0-4+deb12u1+b1"
	Tag       string // "busybox:latest"
	RootfsTar struct {
		Size    int    // bytes of rootfs.tar
		AddHash string // "file:<hash>" of the ADD step
	}
	Layer struct {
		DiffID string // of the real layer
		Size   int64
	}
	// Images are the configurations of the ADD step's image and of the
	// tagged image, exactly as the real ones are stored (their sha256 are
	// the real IDs).
	Images []json.RawMessage
}

// LayerEntries returns the layer entries of a root filesystem description:
// the tree as the classic builder extracts rootfs.tar (mtime 0) without the
// root itself, in the description's order.
func LayerEntries(files []File) []image.Entry {
	var out []image.Entry
	for _, f := range files {
		if f.Path == "." {
			continue
		}
		out = append(out, image.Entry{
			Path: f.Path, Type: f.Type, Mode: f.Mode, UID: f.UID, GID: f.GID,
			Size: f.Size, Linkname: f.Link, ModTime: time.Unix(0, 0),
		})
	}
	return out
}

// WriteLayer writes the layer tar of a root filesystem description, as
// dockerd writes the layer of `ADD rootfs.tar /`; content(i) gives the
// content of regular file files[i].
func WriteLayer(w io.Writer, files []File, content func(i int) []byte) error {
	lw := image.NewLayerWriter(w, nil)
	entries := LayerEntries(files)
	k := 0
	for i, f := range files {
		if f.Path == "." {
			continue
		}
		var r io.Reader
		if f.Type == image.TypeRegular {
			r = bytes.NewReader(content(i))
		}
		if err := lw.WriteEntry(&entries[k], r); err != nil {
			return err
		}
		k++
	}
	return lw.Close()
}

// SimBase is the simulated base image.
type SimBase struct {
	Metadata
	Files []File
	// Layer is the simulated layer tar; DiffID its sha256 and Size its
	// size as Docker reports it (the real layer's: the simulated binary
	// has the real one's size).
	Layer  []byte
	DiffID string
	Size   int64
	// Add and Final are the configurations of the ADD step's image and of
	// busybox:latest, AddID and FinalID their IDs: the real ones with the
	// simulated layer's DiffID.
	Add, Final     []byte
	AddID, FinalID string
}

var base = sync.OnceValues(buildBase)

// Base returns the simulated base image, built from the embedded
// description on first use. The result is shared: do not modify it.
func Base() (*SimBase, error) { return base() }

func buildBase() (*SimBase, error) {
	b := &SimBase{}
	if err := json.Unmarshal(busyboxMetadata, &b.Metadata); err != nil {
		return nil, fmt.Errorf("hub: busybox.json: %w", err)
	}
	if len(b.Images) != 2 {
		return nil, fmt.Errorf("hub: busybox.json: %d images, want 2", len(b.Images))
	}
	var err error
	if b.Files, err = ParseRootfs(busyboxRootfs); err != nil {
		return nil, fmt.Errorf("hub: busybox.rootfs: %w", err)
	}
	var layer bytes.Buffer
	layer.Grow(layerSizeHint(b.Files))
	if err := WriteLayer(&layer, b.Files, func(i int) []byte { return b.Files[i].FileContent() }); err != nil {
		return nil, fmt.Errorf("hub: busybox layer: %w", err)
	}
	b.Layer = layer.Bytes()
	if b.DiffID, b.Size, err = image.ScanLayer(bytes.NewReader(b.Layer), nil); err != nil {
		return nil, fmt.Errorf("hub: busybox layer: %w", err)
	}
	realAdd := image.Digest(compact(b.Images[0]))
	add, err := image.Parse(b.Images[0])
	if err != nil {
		return nil, fmt.Errorf("hub: busybox.json: %w", err)
	}
	add.RootFS.DiffIDs = []string{b.DiffID}
	if b.Add, b.AddID, err = add.Marshal(); err != nil {
		return nil, err
	}
	final, err := image.Parse(b.Images[1])
	if err != nil {
		return nil, fmt.Errorf("hub: busybox.json: %w", err)
	}
	final.RootFS.DiffIDs = []string{b.DiffID}
	if final.Config != nil && final.Config.Image == realAdd {
		final.Config.Image = b.AddID
	}
	if final.ContainerConfig.Image == realAdd {
		final.ContainerConfig.Image = b.AddID
	}
	if b.Final, b.FinalID, err = final.Marshal(); err != nil {
		return nil, err
	}
	return b, nil
}

// layerSizeHint is a little more than the size of the layer tar of files:
// a header and padded content for each, and the end blocks.
func layerSizeHint(files []File) int {
	n := 2 * 512
	for _, f := range files {
		n += 512 + int(f.Size+511)/512*512
	}
	return n
}

func compact(raw []byte) []byte {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return raw
	}
	return buf.Bytes()
}

// WriteArchive writes the simulated base image as a docker-archive, as
// scripts/mkbase writes the real one: the ADD step's image and
// busybox:latest with it as parent. Loading it gives the simulator the state
// `twinbox load build/images/busybox.tar` gives the native engine.
func (b *SimBase) WriteArchive(w io.Writer) error {
	images := []image.SaveImage{
		{Config: b.Add},
		{Config: b.Final, RepoTags: []string{b.Tag}, Parent: b.AddID},
	}
	return image.WriteArchive(w, images, func(diffID string) (io.ReadCloser, int64, error) {
		if diffID != b.DiffID {
			return nil, 0, fmt.Errorf("hub: no layer %s", diffID)
		}
		return io.NopCloser(bytes.NewReader(b.Layer)), int64(len(b.Layer)), nil
	})
}
