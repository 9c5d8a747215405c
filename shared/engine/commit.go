package engine

import (
	"context"
	"strings"

	"github.com/distribution/reference"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/build/dockerfile"
	"github.com/twinbox-dev/twinbox/shared/image"
)

// Commit answers POST /commit and returns the new image's ID. The image is
// the container's image plus one layer (the container's changes, possibly
// empty) and a history row whose CreatedBy is the container's command.
func (e *Engine) Commit(ctx context.Context, name string, opts CommitOptions) (string, error) {
	c, err := e.getContainer(name)
	if err != nil {
		return "", err
	}
	var ref reference.Named
	if opts.Repo != "" {
		if ref, err = parseRepoTag(opts.Repo, opts.Tag); err != nil {
			return "", err
		}
	} else if opts.Tag != "" {
		return "", backend.Errorf(backend.InvalidParameter, "tag is specified without a repository")
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	if c.removing || c.State.Dead {
		return "", backend.Errorf(backend.Conflict, "You cannot commit container %s which is being removed", c.ID)
	}
	if opts.Pause && c.State.Running && !c.State.Paused {
		if err := e.b.Pause(ctx, c.ID); err != nil {
			return "", err
		}
		defer e.b.Resume(context.Background(), c.ID)
	}
	newConfig, err := dockerfile.ApplyChanges(configForCommit(c, opts.Config), opts.Changes)
	if err != nil {
		return "", err
	}
	MergeConfig(newConfig, c.Config)

	var parent *image.Image
	if c.Image != "" {
		if r, ok := e.images.get(c.Image); ok {
			parent = r.img
		}
	}
	layer, err := e.b.CommitRootfs(ctx, c.ID)
	if err != nil {
		return "", err
	}
	now := e.now().UTC()
	img := &image.Image{
		Architecture:    goarchOf(e.desc.Architecture),
		Author:          opts.Author,
		Comment:         opts.Comment,
		Config:          newConfig,
		Container:       c.ID,
		ContainerConfig: *dockerfile.CopyConfig(c.Config),
		Created:         now,
		DockerVersion:   image.DockerVersion,
		OS:              "linux",
		RootFS:          image.RootFS{Type: "layers"},
	}
	if parent != nil {
		img.History = append(img.History, parent.History...)
		img.RootFS.DiffIDs = append(img.RootFS.DiffIDs, parent.RootFS.DiffIDs...)
		if parent.Architecture != "" {
			img.Architecture = parent.Architecture
		}
	}
	img.History = append(img.History, image.History{
		Created:   now,
		Author:    opts.Author,
		CreatedBy: strings.Join(append([]string{c.Path}, c.Args...), " "),
		Comment:   opts.Comment,
	})
	img.RootFS.DiffIDs = append(img.RootFS.DiffIDs, layer.DiffID)
	raw, _, err := img.Marshal()
	if err != nil {
		return "", err
	}
	rec, err := e.images.put(raw, c.Image)
	if err != nil {
		return "", err
	}
	if ref != nil {
		if err := e.images.tag(ref, rec.id, now); err != nil {
			return "", err
		}
	}
	e.containerEvent(c, "commit", map[string]string{"comment": opts.Comment, "author": opts.Author})
	return rec.id, nil
}

// goarchOf maps `uname -m` to Go's architecture names used in images.
func goarchOf(machine string) string {
	switch machine {
	case "x86_64", "":
		return "amd64"
	case "aarch64":
		return "arm64"
	}
	return machine
}
