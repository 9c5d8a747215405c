package build

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/engine"
)

// layerFS is the filesystem of a step's container or build layer, as the
// builder writes to it.
type layerFS interface {
	stat(ctx context.Context, p string) (backend.PathStat, error)
	copyIn(ctx context.Context, dir string, tar io.Reader) error
	copyOut(ctx context.Context, p string) (io.ReadCloser, error)
}

// containerFS is an intermediate container's root filesystem. The
// container was made by this build and never runs while the builder
// writes to it.
type containerFS struct {
	r  *run
	id string
}

func (c containerFS) stat(ctx context.Context, p string) (backend.PathStat, error) {
	return c.r.e.Backend().StatPath(ctx, c.id, p)
}

func (c containerFS) copyIn(ctx context.Context, dir string, tr io.Reader) error {
	return c.r.e.Backend().CopyIn(ctx, c.id, dir, tr, backend.CopyOptions{})
}

func (c containerFS) copyOut(ctx context.Context, p string) (io.ReadCloser, error) {
	return c.r.e.Backend().CopyOut(ctx, c.id, p)
}

// buildLayerFS is a build layer's filesystem (COPY and ADD).
type buildLayerFS struct{ l *engine.BuildLayer }

func (b buildLayerFS) stat(ctx context.Context, p string) (backend.PathStat, error) {
	return b.l.StatPath(ctx, p)
}

func (b buildLayerFS) copyIn(ctx context.Context, dir string, tr io.Reader) error {
	return b.l.CopyIn(ctx, dir, tr, backend.CopyOptions{})
}

func (b buildLayerFS) copyOut(ctx context.Context, p string) (io.ReadCloser, error) {
	return b.l.CopyOut(ctx, p)
}

// maxLinks bounds the symlinks one resolution follows, as Linux does.
const maxLinks = 40

// resolvePath follows symlinks in p inside the layer's root (the
// backends' StatPath resolves the directories on the way and reports a
// final symlink's target resolved inside the root) and returns the
// absolute path reached and, when something is there, its description.
func resolvePath(ctx context.Context, fsys layerFS, p string) (string, *backend.PathStat, error) {
	p = path.Clean("/" + p)
	for i := 0; i <= maxLinks; i++ {
		st, err := fsys.stat(ctx, p)
		if err != nil {
			if !backend.IsNotFound(err) {
				return "", nil, err
			}
			if p == "/" {
				return p, nil, nil
			}
			dir, _, err := resolvePath(ctx, fsys, path.Dir(p))
			if err != nil {
				return "", nil, err
			}
			return path.Join(dir, path.Base(p)), nil, nil
		}
		if fs.FileMode(st.Mode)&fs.ModeSymlink == 0 {
			return p, &st, nil
		}
		p = path.Clean("/" + st.LinkTarget)
	}
	return "", nil, fmt.Errorf("%s: too many levels of symbolic links", p)
}

// mkdirAll makes directory p and its missing parents (mode 0755, owned by
// uid:gid), as idtools.MkdirAllAndChownNew: existing directories are left
// as they are. workdir words the error for a path that is a file as
// WORKDIR does.
func (r *run) mkdirAll(fsys layerFS, p string, uid, gid int, workdir bool) error {
	ctx := r.ctx
	resolved, st, err := resolvePath(ctx, fsys, p)
	if err != nil {
		return err
	}
	if st != nil {
		if fs.FileMode(st.Mode).IsDir() {
			return nil
		}
		if workdir {
			return fmt.Errorf("Cannot mkdir: %s is not a directory", p)
		}
		return fmt.Errorf("mkdir %s: not a directory", resolved)
	}
	// Find the deepest existing ancestor, then make what is missing below.
	var missing []string
	anc := resolved
	for {
		missing = append([]string{path.Base(anc)}, missing...)
		anc = path.Dir(anc)
		ast, err := fsys.stat(ctx, anc)
		if err == nil {
			if !fs.FileMode(ast.Mode).IsDir() {
				if workdir {
					return fmt.Errorf("Cannot mkdir: %s is not a directory", p)
				}
				return fmt.Errorf("mkdir %s: not a directory", path.Join(anc, missing[0]))
			}
			break
		}
		if !backend.IsNotFound(err) {
			return err
		}
		if anc == "/" {
			break
		}
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	now := time.Now()
	for i := range missing {
		tw.WriteHeader(&tar.Header{
			Name: strings.Join(missing[:i+1], "/") + "/", Typeflag: tar.TypeDir, Mode: 0o755,
			Uid: uid, Gid: gid, ModTime: now, Format: tar.FormatPAX,
		})
	}
	tw.Close()
	return fsys.copyIn(ctx, anc, &buf)
}
