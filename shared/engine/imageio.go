package engine

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/jsonstream"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/image"
)

// ImageSave answers GET /images/get: a docker-archive of the named images,
// as dockerd's tarexport saves them. A repository name without a tag saves
// every tag of it; an ID saves the image without tags.
func (e *Engine) ImageSave(ctx context.Context, names []string, w io.Writer) error {
	type saved struct {
		rec  *imageRecord
		tags []string
	}
	var order []string
	byID := map[string]*saved{}
	add := func(r *imageRecord, ref reference.Named) {
		s, ok := byID[r.id]
		if !ok {
			s = &saved{rec: r}
			byID[r.id] = s
			order = append(order, r.id)
		}
		if ref == nil {
			return
		}
		if _, canonical := ref.(reference.Canonical); canonical {
			return
		}
		tag := reference.FamiliarString(reference.TagNameOnly(ref))
		for _, t := range s.tags {
			if t == tag {
				return
			}
		}
		s.tags = append(s.tags, tag)
	}
	for _, name := range names {
		ref, err := reference.ParseAnyReference(name)
		if err != nil {
			return backend.WithCode(backend.InvalidParameter, err)
		}
		named, ok := ref.(reference.Named)
		if !ok || reference.FamiliarName(named) == "sha256" {
			r, err := e.images.lookup(name)
			if err != nil {
				return err
			}
			add(r, nil)
			continue
		}
		if reference.IsNameOnly(named) {
			found := false
			for _, r := range e.images.all() {
				for _, rr := range e.images.references(r.id) {
					if rr.Name() == named.Name() {
						add(r, rr)
						found = true
					}
				}
			}
			if !found {
				r, err := e.images.search(name)
				if err != nil {
					return backend.Errorf(backend.NotFound, "reference does not exist")
				}
				add(r, nil)
			}
			continue
		}
		e.images.mu.Lock()
		id, ok := e.images.refs[named.String()]
		e.images.mu.Unlock()
		r, found := e.images.get(id)
		if !ok || !found {
			return backend.Errorf(backend.NotFound, "reference does not exist")
		}
		add(r, named)
	}

	chainOf := map[string]string{} // DiffID → ChainID, from the saved images
	var imgs []image.SaveImage
	for _, id := range order {
		s := byID[id]
		sort.Strings(s.tags)
		parent := ""
		if _, ok := byID[s.rec.parent]; ok {
			parent = s.rec.parent
		}
		imgs = append(imgs, image.SaveImage{Config: s.rec.raw, RepoTags: s.tags, Parent: parent})
		chains := image.ChainIDs(s.rec.img.RootFS.DiffIDs)
		for i, d := range s.rec.img.RootFS.DiffIDs {
			chainOf[d] = chains[i]
		}
	}
	layers := func(diffID string) (io.ReadCloser, int64, error) {
		ch, ok := chainOf[diffID]
		if !ok {
			return nil, 0, fmt.Errorf("save: no layer %s", diffID)
		}
		rc, err := e.b.LayerTar(ctx, ch)
		return rc, -1, err
	}
	if err := image.WriteArchive(w, imgs, layers); err != nil {
		return err
	}
	for _, id := range order {
		e.imageEvent(id, "save", id)
	}
	return nil
}

// ImageLoad answers POST /images/load: it reads a docker-archive, applies
// the layers it lacks and records the images, their tags and parents, with
// dockerd's messages ("Loaded image: busybox:latest"). Progress lines
// ("Loading layer") come unless quiet.
func (e *Engine) ImageLoad(ctx context.Context, r io.Reader, quiet bool, progress ProgressFunc) error {
	arch, err := image.ReadArchive(r, &image.MemSpool{})
	if err != nil {
		return err
	}
	say := func(format string, args ...any) {
		progress(jsonstream.Message{Stream: fmt.Sprintf(format, args...)})
	}
	var idLines strings.Builder
	refCount := 0
	type link struct{ id, parent string }
	var links []link
	loaded := map[string]*image.Image{}
	for _, ai := range arch.Images {
		parent := ""
		for i, diffID := range ai.Image.RootFS.DiffIDs {
			chain := image.ChainID(parent, diffID)
			if _, err := e.b.Layer(ctx, chain); err != nil {
				rc, err := arch.OpenLayer(ai.Layers[i])
				if err != nil {
					return err
				}
				if !quiet {
					progress(jsonstream.Message{Status: "Loading layer", ID: shortID(diffID), Progress: &jsonstream.Progress{}})
				}
				l, err := e.b.ApplyLayer(ctx, parent, rc)
				rc.Close()
				if err != nil {
					return err
				}
				if l.DiffID != diffID {
					e.b.RemoveLayer(ctx, l.ChainID)
					return image.DiffIDMismatch(i, diffID, l.DiffID)
				}
			}
			parent = chain
		}
		rec, err := e.images.put(ai.Config, "")
		if err != nil {
			return err
		}
		loaded[rec.id] = rec.img
		fmt.Fprintf(&idLines, "Loaded image ID: %s\n", rec.id)
		refCount = 0
		for _, tag := range ai.RepoTags {
			named, err := reference.ParseNormalizedNamed(tag)
			if err != nil {
				return backend.WithCode(backend.InvalidParameter, err)
			}
			tagged, ok := named.(reference.NamedTagged)
			if !ok {
				return backend.Errorf(backend.InvalidParameter, "invalid tag %q", tag)
			}
			e.images.mu.Lock()
			prev, existed := e.images.refs[tagged.String()]
			e.images.mu.Unlock()
			if existed && prev != rec.id {
				say("The image %s already exists, renaming the old one with ID %s to empty string\n", reference.FamiliarString(tagged), prev)
			}
			if err := e.images.tag(tagged, rec.id, e.now()); err != nil {
				return err
			}
			say("Loaded image: %s\n", reference.FamiliarString(tagged))
			refCount++
		}
		links = append(links, link{rec.id, ai.Parent})
		e.imageEvent(rec.id, "load", rec.id)
	}
	for _, l := range links {
		if l.parent == "" {
			continue
		}
		child, okc := loaded[l.id]
		parent, okp := loaded[l.parent]
		if okc && okp && image.ValidParent(child, parent) {
			e.images.setParent(l.id, l.parent)
		}
	}
	if refCount == 0 {
		say("%s", idLines.String())
	}
	return nil
}
