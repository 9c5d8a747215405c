package engine

// The methods in this file serve the classic builder (shared/build) as
// dockerd 20.10's image service serves its builder (builder.Backend):
// committing a build step with the configurations the builder computed,
// read-write layers that belong to no container (COPY and ADD), and the
// image store's parent chains for the build cache. Like dockerd's builder
// shims they emit no events.

import (
	"context"
	"io"
	"strings"

	"github.com/moby/moby/api/types/container"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/image"
)

// EmptyLayerDiffID is the DiffID of a layer without files (a tar of
// nothing but its end marker): dockerd records a step that made one as an
// empty_layer history row and leaves the layer out of the image's rootfs.
const EmptyLayerDiffID = "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"

// BuildStep describes the image one build step makes, as the classic
// builder computes it.
type BuildStep struct {
	// Author is the image's author (MAINTAINER), "" for none.
	Author string
	// Config is the image's run configuration after the step.
	Config *container.Config
	// ContainerConfig is recorded as the image's container_config; its
	// Cmd, joined by spaces, is the history row's created_by. The build
	// cache matches steps by it (see ImageChildren).
	ContainerConfig *container.Config
}

// StoredImage is an image configuration in the engine's store.
type StoredImage struct {
	ID     string // "sha256:<hex>"
	Parent string // the parent image's ID, "" when it has none
	// Image is the stored configuration. It is shared: callers must not
	// modify it.
	Image *image.Image
}

func storedImage(r *imageRecord) StoredImage {
	return StoredImage{ID: r.id, Parent: r.parent, Image: r.img}
}

// LookupImage returns the image a reference or (prefix of an) ID names,
// without pulling it. Errors: NotFound "No such image: X";
// InvalidParameter for a malformed reference.
func (e *Engine) LookupImage(ref string) (StoredImage, error) {
	r, err := e.images.lookup(ref)
	if err != nil {
		return StoredImage{}, err
	}
	return storedImage(r), nil
}

// ImageChildren lists the images whose parent is parentID, oldest first;
// for "" it lists the images without a parent (what dockerd's build cache
// searches for a step on FROM scratch).
func (e *Engine) ImageChildren(parentID string) []StoredImage {
	all := e.images.all() // newest first
	var out []StoredImage
	for i := len(all) - 1; i >= 0; i-- {
		if all[i].parent == parentID {
			out = append(out, storedImage(all[i]))
		}
	}
	return out
}

// CommitBuildStep makes an image of build container id's changes on top of
// the container's image, with step's configurations and a history row, as
// dockerd's CommitBuildStep: no commit event, and a container whose
// filesystem did not change gives an empty_layer row and no new layer. It
// returns the image's ID. Errors: NotFound for the container.
func (e *Engine) CommitBuildStep(ctx context.Context, id string, step BuildStep) (string, error) {
	c, err := e.getContainer(id)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	id, release, err := e.commitContainerStep(ctx, c, step)
	c.mu.Unlock()
	if release != "" {
		e.releaseLayer(ctx, release)
	}
	return id, err
}

// commitContainerStep commits c, whose lock the caller holds.
func (e *Engine) commitContainerStep(ctx context.Context, c *Container, step BuildStep) (string, string, error) {
	var parent *imageRecord
	if c.Image != "" {
		var err error
		if parent, err = e.images.lookup(c.Image); err != nil {
			return "", "", err
		}
	}
	// A container that never ran changed its filesystem only if the
	// builder wrote to it (WORKDIR); its changes say so without a commit.
	unchanged := false
	if !c.HasBeenStartedBefore {
		changes, err := e.b.Changes(ctx, c.ID)
		if err != nil {
			return "", "", err
		}
		unchanged = len(changes) == 0
	}
	return e.commitStep(ctx, parent, c.ID, c.ID, unchanged, step)
}

// commitStep commits rootfs rootfsID as a child image of parent (nil for
// scratch) and stores it, as dockerd's image.NewChildImage. It returns the
// image's ID and, when the commit made an empty layer the image leaves
// out, that layer's ChainID for the caller to release.
func (e *Engine) commitStep(ctx context.Context, parent *imageRecord, rootfsID, containerID string, unchanged bool, step BuildStep) (string, string, error) {
	diffID, release := EmptyLayerDiffID, ""
	if !unchanged {
		layer, err := e.b.CommitRootfs(ctx, rootfsID)
		if err != nil {
			return "", "", err
		}
		diffID = layer.DiffID
		if diffID == EmptyLayerDiffID {
			release = layer.ChainID
		}
	}
	empty := diffID == EmptyLayerDiffID
	now := e.now().UTC()
	img := &image.Image{
		Architecture:  goarchOf(e.desc.Architecture),
		Author:        step.Author,
		Config:        step.Config,
		Container:     containerID,
		Created:       now,
		DockerVersion: image.DockerVersion,
		OS:            "linux",
		RootFS:        image.RootFS{Type: "layers"},
	}
	if step.ContainerConfig != nil {
		img.ContainerConfig = *step.ContainerConfig
	}
	parentID := ""
	if parent != nil {
		parentID = parent.id
		p := parent.img
		if p.Architecture != "" {
			img.Architecture = p.Architecture
		}
		img.Variant = p.Variant
		if p.OS != "" {
			img.OS = p.OS
		}
		img.OSFeatures, img.OSVersion = p.OSFeatures, p.OSVersion
		img.History = append(img.History, p.History...)
		img.RootFS.DiffIDs = append(img.RootFS.DiffIDs, p.RootFS.DiffIDs...)
	}
	img.History = append(img.History, image.History{
		Created:    now,
		Author:     step.Author,
		CreatedBy:  strings.Join(img.ContainerConfig.Cmd, " "),
		EmptyLayer: empty,
	})
	if !empty {
		img.RootFS.DiffIDs = append(img.RootFS.DiffIDs, diffID)
	}
	raw, _, err := img.Marshal()
	if err != nil {
		return "", release, err
	}
	rec, err := e.images.put(raw, parentID)
	if err != nil {
		return "", release, err
	}
	return rec.id, release, nil
}

// releaseLayer removes a layer no image or container uses.
func (e *Engine) releaseLayer(ctx context.Context, chainID string) {
	for _, r := range e.images.all() {
		for _, ch := range image.ChainIDs(r.img.RootFS.DiffIDs) {
			if ch == chainID {
				return
			}
		}
	}
	for _, c := range e.listContainers() {
		c.mu.Lock()
		layers := c.Layers
		c.mu.Unlock()
		for _, ch := range layers {
			if ch == chainID {
				return
			}
		}
	}
	if err := e.b.RemoveLayer(ctx, chainID); err != nil && !backend.IsNotFound(err) {
		e.logf("remove layer %s: %v", chainID, err)
	}
}

// BuildLayer is a read-write layer on an image that belongs to no
// container: the builder copies files into it for COPY and ADD, or reads an
// earlier stage's files from it, as dockerd's builder does with its image
// mounts. Its methods must not be called concurrently.
type BuildLayer struct {
	e      *Engine
	id     string
	parent *imageRecord // nil for scratch
}

// NewBuildLayer makes an empty read-write layer on the image imageID ("" for
// scratch). The caller releases it. Errors: NotFound for the image.
func (e *Engine) NewBuildLayer(ctx context.Context, imageID string) (*BuildLayer, error) {
	l := &BuildLayer{e: e, id: e.newID()}
	parentChain := ""
	if imageID != "" {
		r, err := e.images.lookup(imageID)
		if err != nil {
			return nil, err
		}
		l.parent = r
		parentChain = r.img.TopChainID()
	}
	if err := e.b.CreateRootfs(ctx, l.id, parentChain); err != nil {
		return nil, err
	}
	return l, nil
}

// StatPath describes path p in the layer's merged filesystem without
// following a final symlink. Errors: NotFound.
func (l *BuildLayer) StatPath(ctx context.Context, p string) (backend.PathStat, error) {
	return l.e.b.StatPath(ctx, l.id, p)
}

// CopyIn extracts tar into directory dir of the layer, as
// backend.Backend.CopyIn.
func (l *BuildLayer) CopyIn(ctx context.Context, dir string, tar io.Reader, opts backend.CopyOptions) error {
	return l.e.b.CopyIn(ctx, l.id, dir, tar, opts)
}

// CopyOut returns path p of the layer's merged filesystem as a tar whose
// entries are named from p's base name, as backend.Backend.CopyOut.
func (l *BuildLayer) CopyOut(ctx context.Context, p string) (io.ReadCloser, error) {
	return l.e.b.CopyOut(ctx, l.id, p)
}

// Commit makes an image of the layer's changes on top of its image, with
// no container recorded, and returns the image's ID. The layer stays
// usable until released.
func (l *BuildLayer) Commit(ctx context.Context, step BuildStep) (string, error) {
	id, release, err := l.e.commitStep(ctx, l.parent, l.id, "", false, step)
	if release != "" {
		l.e.releaseLayer(ctx, release)
	}
	return id, err
}

// Release deletes the layer.
func (l *BuildLayer) Release(ctx context.Context) error {
	return l.e.b.RemoveRootfs(ctx, l.id)
}
