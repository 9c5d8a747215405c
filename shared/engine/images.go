package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	imagetypes "github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/api/types/storage"

	"github.com/twinbox-dev/twinbox/shared/api/wire"
	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/image"
)

// layerSizes returns the size of each layer of img, bottom first.
func (e *Engine) layerSizes(ctx context.Context, img *image.Image) []int64 {
	chains := image.ChainIDs(img.RootFS.DiffIDs)
	sizes := make([]int64, len(chains))
	for i, ch := range chains {
		if l, err := e.b.Layer(ctx, ch); err == nil {
			sizes[i] = l.Size
		}
	}
	return sizes
}

// imageSize is the sum of an image's layer sizes.
func (e *Engine) imageSize(ctx context.Context, img *image.Image) int64 {
	var n int64
	for _, s := range e.layerSizes(ctx, img) {
		n += s
	}
	return n
}

// repoTagsAndDigests returns an image's references in familiar form.
func (e *Engine) repoTagsAndDigests(id string) (tags, digests []string) {
	for _, r := range e.images.references(id) {
		switch r.(type) {
		case reference.Canonical:
			digests = append(digests, reference.FamiliarString(r))
		case reference.NamedTagged:
			tags = append(tags, reference.FamiliarString(r))
		}
	}
	return tags, digests
}

// Images answers GET /images/json.
func (e *Engine) Images(ctx context.Context, opts ImageListOptions) ([]wire.ImageSummary, error) {
	match, err := e.imageFilter(opts.Filters)
	if err != nil {
		return nil, err
	}
	out := []wire.ImageSummary{}
	for _, r := range e.images.all() {
		tags, digests := e.repoTagsAndDigests(r.id)
		if !opts.All && len(tags) == 0 && len(digests) == 0 && len(e.images.children(r.id)) > 0 {
			continue // an intermediate image
		}
		if !match(r, tags) {
			continue
		}
		if len(tags) == 0 && len(digests) == 0 {
			tags, digests = []string{"<none>:<none>"}, []string{"<none>@<none>"}
		}
		size := e.imageSize(ctx, r.img)
		var labels map[string]string
		if r.img.Config != nil {
			labels = r.img.Config.Labels
		}
		out = append(out, wire.ImageSummary{
			Summary: imagetypes.Summary{
				Containers:  -1,
				Created:     r.img.Created.Unix(),
				ID:          r.id,
				Labels:      labels,
				ParentID:    r.parent,
				RepoDigests: digests,
				RepoTags:    tags,
				SharedSize:  -1,
				Size:        size,
			},
			VirtualSize: size,
		})
	}
	return out, nil
}

// imageFilter compiles the filters of GET /images/json.
func (e *Engine) imageFilter(f Filters) (func(*imageRecord, []string) bool, error) {
	var before, since time.Time
	for k, vs := range f {
		switch k {
		case "dangling", "label", "reference":
		case "before", "since":
			for _, v := range vs {
				r, err := e.images.lookup(v)
				if err != nil {
					return nil, err
				}
				if k == "before" {
					before = r.img.Created
				} else {
					since = r.img.Created
				}
			}
		default:
			return nil, invalidFilter(k)
		}
	}
	for _, v := range f["dangling"] {
		if v != "true" && v != "false" && v != "1" && v != "0" {
			return nil, backend.Errorf(backend.InvalidParameter, "Invalid filter 'dangling=%s'", v)
		}
	}
	return func(r *imageRecord, tags []string) bool {
		for _, v := range f["dangling"] {
			dangling := v == "true" || v == "1"
			if dangling != (len(tags) == 0) {
				return false
			}
		}
		if !before.IsZero() && !r.img.Created.Before(before) {
			return false
		}
		if !since.IsZero() && !r.img.Created.After(since) {
			return false
		}
		var labels map[string]string
		if r.img.Config != nil {
			labels = r.img.Config.Labels
		}
		if !matchLabels(f["label"], labels) {
			return false
		}
		if refs := f["reference"]; len(refs) > 0 {
			ok := false
			for _, pattern := range refs {
				for _, t := range tags {
					if matchReference(pattern, t) {
						ok = true
					}
				}
			}
			if !ok {
				return false
			}
		}
		return true
	}, nil
}

// ImageInspect answers GET /images/{name}/json.
func (e *Engine) ImageInspect(ctx context.Context, name string) (*wire.ImageInspect, error) {
	r, err := e.images.lookup(name)
	if err != nil {
		return nil, err
	}
	tags, digests := e.repoTagsAndDigests(r.id)
	if tags == nil {
		tags = []string{}
	}
	if digests == nil {
		digests = []string{}
	}
	size := e.imageSize(ctx, r.img)
	cc := r.img.ContainerConfig
	out := &wire.ImageInspect{
		InspectResponse: imagetypes.InspectResponse{
			ID:           r.id,
			RepoTags:     tags,
			RepoDigests:  digests,
			Created:      r.img.Created.Format(time.RFC3339Nano),
			Architecture: r.img.Architecture,
			Os:           r.img.OS,
			Size:         size,
			GraphDriver:  &storage.DriverData{Name: e.desc.Driver, Data: map[string]string{}},
			RootFS:       imagetypes.RootFS{Type: "layers", Layers: r.img.RootFS.DiffIDs},
		},
		Parent:          r.parent,
		Container:       r.img.Container,
		ContainerConfig: &cc,
		DockerVersion:   r.img.DockerVersion,
		Author:          r.img.Author,
		Comment:         r.img.Comment,
		VirtualSize:     size,
		Config:          imageConfigOf(r.img),
	}
	if !r.lastTagTime.IsZero() {
		out.Metadata.LastTagTime = r.lastTagTime
	}
	return out, nil
}

// ImageHistory answers GET /images/{name}/history: the image's build steps,
// newest first, with the IDs of the images along its parent chain.
func (e *Engine) ImageHistory(ctx context.Context, name string) ([]imagetypes.HistoryResponseItem, error) {
	r, err := e.images.lookup(name)
	if err != nil {
		return nil, err
	}
	sizes := e.layerSizes(ctx, r.img)
	var rows []imagetypes.HistoryResponseItem
	layer := 0
	for _, h := range r.img.History {
		var size int64
		if !h.EmptyLayer {
			if layer >= len(sizes) {
				return nil, fmt.Errorf("too many non-empty layers in History section")
			}
			size = sizes[layer]
			layer++
		}
		rows = append([]imagetypes.HistoryResponseItem{{
			ID:        "<missing>",
			Created:   h.Created.Unix(),
			CreatedBy: h.CreatedBy,
			Comment:   h.Comment,
			Size:      size,
		}}, rows...)
	}
	cur := r
	for i := range rows {
		rows[i].ID = cur.id
		tags, _ := e.repoTagsAndDigests(cur.id)
		rows[i].Tags = tags
		if cur.parent == "" {
			break
		}
		next, ok := e.images.get(cur.parent)
		if !ok {
			break
		}
		cur = next
	}
	return rows, nil
}

// parseRepoTag reads a repository and tag for tag or commit. Errors:
// InvalidParameter with the reference library's text.
func parseRepoTag(repo, tag string) (reference.Named, error) {
	named, err := reference.ParseNormalizedNamed(repo)
	if err != nil {
		return nil, backend.WithCode(backend.InvalidParameter, err)
	}
	if _, digested := named.(reference.Digested); digested {
		return nil, backend.Errorf(backend.InvalidParameter, "refusing to create a tag with a digest reference")
	}
	if tag != "" {
		tagged, err := reference.WithTag(reference.TrimNamed(named), tag)
		if err != nil {
			return nil, backend.WithCode(backend.InvalidParameter, err)
		}
		return tagged, nil
	}
	return reference.TagNameOnly(named), nil
}

// ImageTag answers POST /images/{name}/tag.
func (e *Engine) ImageTag(ctx context.Context, name, repo, tag string) error {
	r, err := e.images.lookup(name)
	if err != nil {
		return err
	}
	ref, err := parseRepoTag(repo, tag)
	if err != nil {
		return err
	}
	if err := e.images.tag(ref, r.id, e.now()); err != nil {
		return err
	}
	e.imageEvent(r.id, "tag", reference.FamiliarString(ref))
	return nil
}

func (e *Engine) imageEvent(id, action, name string) {
	e.events.publish(e.now(), events.ImageEventType, events.Action(action), id, map[string]string{"name": name})
}

// containersUsing returns the containers created from image id.
func (e *Engine) containersUsing(id string) (running, stopped *Container) {
	for _, c := range e.listContainers() {
		c.mu.Lock()
		img, run := c.Image, c.State.Running
		c.mu.Unlock()
		if img != id {
			continue
		}
		if run && running == nil {
			running = c
		}
		if !run && stopped == nil {
			stopped = c
		}
	}
	return running, stopped
}

// ImageRemove answers DELETE /images/{name}, following dockerd's rules on
// references, dependent images and containers.
func (e *Engine) ImageRemove(ctx context.Context, name string, force, prune bool) ([]imagetypes.DeleteResponse, error) {
	r, err := e.images.lookup(name)
	if err != nil {
		return nil, err
	}
	records := []imagetypes.DeleteResponse{}
	refs := e.images.references(r.id)
	removedRef := false
	if !isIDPrefix(r.id, name) {
		if !force && isSingleReference(refs) {
			run, stop := e.containersUsing(r.id)
			if c := firstOf(run, stop); c != nil {
				return nil, backend.Errorf(backend.Conflict, "conflict: unable to remove repository reference %q (must force) - container %s is using its referenced image %s", name, shortID(c.ID), shortID(r.id))
			}
		}
		named, err := reference.ParseNormalizedNamed(name)
		if err != nil {
			return nil, backend.WithCode(backend.InvalidParameter, err)
		}
		if _, digested := named.(reference.Digested); !digested {
			named = reference.TagNameOnly(named)
		}
		if !e.images.untag(named) {
			return nil, errNoSuchImage(name)
		}
		records = append(records, imagetypes.DeleteResponse{Untagged: reference.FamiliarString(named)})
		e.imageEvent(r.id, "untag", reference.FamiliarString(named))
		// With the repository's last tag gone, its digest references go too.
		if _, canonical := named.(reference.Canonical); !canonical {
			remaining := e.images.references(r.id)
			tagLeft := false
			for _, ref := range remaining {
				if _, c := ref.(reference.Canonical); !c && ref.Name() == named.Name() {
					tagLeft = true
				}
			}
			if !tagLeft {
				for _, ref := range remaining {
					if _, c := ref.(reference.Canonical); c && ref.Name() == named.Name() {
						e.images.untag(ref)
						records = append(records, imagetypes.DeleteResponse{Untagged: reference.FamiliarString(ref)})
					}
				}
			}
		}
		if len(e.images.references(r.id)) > 0 {
			return records, nil
		}
		removedRef = true
	} else if isSingleReference(refs) {
		hard := true
		if err := e.imageDeleteConflict(r.id, hard, !force, false); err != nil {
			return nil, err
		}
		for _, ref := range refs {
			e.images.untag(ref)
			records = append(records, imagetypes.DeleteResponse{Untagged: reference.FamiliarString(ref)})
			e.imageEvent(r.id, "untag", reference.FamiliarString(ref))
		}
	}
	if err := e.deleteImage(ctx, r.id, &records, force, prune, removedRef); err != nil {
		return nil, err
	}
	return records, nil
}

// isSingleReference reports whether refs name the image once: one tag,
// possibly with digest references of the same repository, as dockerd counts.
func isSingleReference(refs []reference.Named) bool {
	if len(refs) <= 1 {
		return len(refs) == 1
	}
	var single reference.Named
	canonical := map[string]bool{}
	for _, r := range refs {
		if _, ok := r.(reference.Canonical); ok {
			canonical[r.Name()] = true
		} else if single == nil {
			single = r
		} else {
			return false
		}
	}
	if single == nil {
		single = refs[0]
	}
	return len(canonical) == 1 && canonical[single.Name()]
}

func firstOf(cs ...*Container) *Container {
	for _, c := range cs {
		if c != nil {
			return c
		}
	}
	return nil
}

func isIDPrefix(id, s string) bool {
	return strings.HasPrefix(id, s) || strings.HasPrefix(strings.TrimPrefix(id, "sha256:"), s)
}

// imageDeleteConflict reports why image id cannot be deleted: hard checks
// (children, running containers) always, soft ones (other references,
// stopped containers) when soft is set; refs says whether to count
// references as a conflict.
func (e *Engine) imageDeleteConflict(id string, hard, soft, refs bool) error {
	conflict := func(hard bool, msg string) error {
		force := "must be forced"
		if hard {
			force = "cannot be forced"
		}
		return backend.Errorf(backend.Conflict, "conflict: unable to delete %s (%s) - %s", shortID(id), force, msg)
	}
	if len(e.images.children(id)) > 0 {
		return conflict(true, "image has dependent child images")
	}
	run, stop := e.containersUsing(id)
	if run != nil {
		return conflict(true, "image is being used by running container "+shortID(run.ID))
	}
	if soft && refs && len(e.images.references(id)) > 0 {
		return conflict(false, "image is referenced in multiple repositories")
	}
	if soft && stop != nil {
		return conflict(false, "image is being used by stopped container "+shortID(stop.ID))
	}
	return nil
}

// deleteImage removes image id and the layers only it used, then (with
// prune) its untagged parents, as dockerd's imageDeleteHelper.
func (e *Engine) deleteImage(ctx context.Context, id string, records *[]imagetypes.DeleteResponse, force, prune, quiet bool) error {
	if err := e.imageDeleteConflict(id, true, !force, true); err != nil {
		if quiet {
			_, stop := e.containersUsing(id)
			dangling := len(e.images.references(id)) == 0 && len(e.images.children(id)) == 0
			if !dangling || stop != nil || strings.Contains(err.Error(), "running container") {
				return nil
			}
		}
		return err
	}
	r, ok := e.images.get(id)
	if !ok {
		return nil
	}
	for _, ref := range e.images.references(id) {
		e.images.untag(ref)
		*records = append(*records, imagetypes.DeleteResponse{Untagged: reference.FamiliarString(ref)})
		e.imageEvent(id, "untag", reference.FamiliarString(ref))
	}
	parent := r.parent
	e.images.delete(id)
	e.imageEvent(id, "delete", id)
	*records = append(*records, imagetypes.DeleteResponse{Deleted: id})
	for _, ch := range e.releaseLayers(ctx, r.img) {
		*records = append(*records, imagetypes.DeleteResponse{Deleted: ch})
	}
	if !prune || parent == "" {
		return nil
	}
	return e.deleteImage(ctx, parent, records, false, true, true)
}

// releaseLayers removes, top first, the layers of img that no other image
// or container uses, and returns their ChainIDs.
func (e *Engine) releaseLayers(ctx context.Context, img *image.Image) []string {
	used := map[string]bool{}
	for _, r := range e.images.all() {
		for _, ch := range image.ChainIDs(r.img.RootFS.DiffIDs) {
			used[ch] = true
		}
	}
	for _, c := range e.listContainers() {
		c.mu.Lock()
		for _, ch := range c.Layers {
			used[ch] = true
		}
		c.mu.Unlock()
	}
	chains := image.ChainIDs(img.RootFS.DiffIDs)
	var removed []string
	for i := len(chains) - 1; i >= 0; i-- {
		if used[chains[i]] {
			break
		}
		if err := e.b.RemoveLayer(ctx, chains[i]); err != nil {
			if !backend.IsNotFound(err) {
				e.logf("remove layer %s: %v", chains[i], err)
			}
			break
		}
		removed = append(removed, chains[i])
	}
	return removed
}

// ImagePull answers POST /images/create?fromImage=: it reports progress as
// dockerd does. An error before the first progress message is returned; the
// router puts later ones in the stream.
func (e *Engine) ImagePull(ctx context.Context, ref string, progress ProgressFunc) error {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return backend.WithCode(backend.InvalidParameter, err)
	}
	if _, digested := named.(reference.Digested); !digested {
		named = reference.TagNameOnly(named)
	}
	if e.opts.Registry == nil {
		host := registryHost(named)
		return backend.Errorf(backend.Unavailable, "Get \"https://%s/v2/\": dial tcp: lookup %s: no such host", host, host)
	}
	remote, err := e.opts.Registry.Pull(ctx, named.String())
	if err != nil {
		return err
	}
	tagOrDigest := ""
	switch t := named.(type) {
	case reference.Canonical:
		tagOrDigest = t.Digest().String()
	case reference.NamedTagged:
		tagOrDigest = t.Tag()
	}
	progress(jsonstream.Message{Status: "Pulling from " + reference.Path(named), ID: tagOrDigest})
	cfg, err := image.Parse(remote.Config)
	if err != nil {
		return backend.Errorf(backend.InvalidParameter, "invalid image configuration: %v", err)
	}
	if len(cfg.RootFS.DiffIDs) != len(remote.Layers) {
		return backend.Errorf(backend.InvalidParameter, "invalid image: %d layers in the manifest, %d in the configuration", len(remote.Layers), len(cfg.RootFS.DiffIDs))
	}
	parent := ""
	for i, l := range remote.Layers {
		short := shortID(l.Digest)
		chain := image.ChainID(parent, cfg.RootFS.DiffIDs[i])
		if _, err := e.b.Layer(ctx, chain); err == nil {
			progress(jsonstream.Message{Status: "Already exists", ID: short, Progress: &jsonstream.Progress{}})
			parent = chain
			continue
		}
		progress(jsonstream.Message{Status: "Pulling fs layer", ID: short, Progress: &jsonstream.Progress{}})
		rc, err := l.Open(ctx)
		if err != nil {
			return err
		}
		progress(jsonstream.Message{Status: "Downloading", ID: short, Progress: &jsonstream.Progress{Current: l.Size, Total: l.Size}})
		progress(jsonstream.Message{Status: "Verifying Checksum", ID: short, Progress: &jsonstream.Progress{}})
		progress(jsonstream.Message{Status: "Download complete", ID: short, Progress: &jsonstream.Progress{}})
		progress(jsonstream.Message{Status: "Extracting", ID: short, Progress: &jsonstream.Progress{Current: l.Size, Total: l.Size}})
		layer, err := e.b.ApplyLayer(ctx, parent, rc)
		rc.Close()
		if err != nil {
			return err
		}
		if layer.DiffID != cfg.RootFS.DiffIDs[i] {
			return backend.Errorf(backend.InvalidParameter, "layer %s: diff ID %s does not match the image's %s", l.Digest, layer.DiffID, cfg.RootFS.DiffIDs[i])
		}
		progress(jsonstream.Message{Status: "Pull complete", ID: short, Progress: &jsonstream.Progress{}})
		parent = layer.ChainID
	}
	old, _ := e.images.lookup(named.String())
	rec, err := e.images.put(remote.Config, "")
	if err != nil {
		return err
	}
	if remote.Digest != "" {
		if canon, err := reference.WithDigest(reference.TrimNamed(named), digestOf(remote.Digest)); err == nil {
			e.images.tag(canon, rec.id, e.now())
		}
	}
	if _, digested := named.(reference.Digested); !digested {
		if err := e.images.tag(named, rec.id, e.now()); err != nil {
			return err
		}
	}
	if remote.Digest != "" {
		progress(jsonstream.Message{Status: "Digest: " + remote.Digest})
	}
	familiar := reference.FamiliarString(named)
	if old != nil && old.id == rec.id {
		progress(jsonstream.Message{Status: "Status: Image is up to date for " + familiar})
	} else {
		progress(jsonstream.Message{Status: "Status: Downloaded newer image for " + familiar})
	}
	e.imageEvent(rec.id, "pull", familiar)
	return nil
}

// configForCommit is the merged config of a commit; see Commit.
func configForCommit(c *Container, body *container.Config) *container.Config {
	if body == nil {
		cp := *c.Config
		return &cp
	}
	cp := *body
	return &cp
}
