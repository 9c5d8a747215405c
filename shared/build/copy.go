package build

// COPY and ADD follow dockerd 20.10's builder/dockerfile/copy.go and
// internals.go (Apache License 2.0).

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/build/buildcontext"
	"github.com/twinbox-dev/twinbox/shared/image"
)

const errChmod = "the --chmod option requires BuildKit. Refer to https://docs.docker.com/go/buildkit/ to learn how to build images with BuildKit enabled"

// copyInfo is one source of a COPY or ADD.
type copyInfo struct {
	src  *buildcontext.Context // the context, or an image's filesystem
	path string                // relative to src's root, as given
	hash string
}

// copyInstruction is a COPY or ADD with its sources resolved.
type copyInstruction struct {
	cmdName           string
	infos             []copyInfo
	dest              string
	chown             string
	decompress        bool // ADD: extract local archives
	preserveOwnership bool // COPY --from without --chown
}

func (r *run) dispatchAdd(st *state, c *instructions.AddCommand) error {
	if c.Chmod != "" {
		return errors.New(errChmod)
	}
	inst, err := r.copyInstruction(c.SourcePaths, c.DestPath, "ADD", r.src, false)
	if err != nil {
		return err
	}
	inst.chown = c.Chown
	inst.decompress = true
	return r.performCopy(st, inst)
}

func (r *run) dispatchCopy(st *state, c *instructions.CopyCommand) error {
	if c.Chmod != "" {
		return errors.New(errChmod)
	}
	src, fromImage := r.src, false
	if c.From != "" {
		s, err := r.fromSource(c.From, c.SourcePaths)
		if err != nil {
			return fmt.Errorf("invalid from flag value %s: %w", c.From, err)
		}
		src, fromImage = s, true
	}
	inst, err := r.copyInstruction(c.SourcePaths, c.DestPath, "COPY", src, fromImage)
	if err != nil {
		return err
	}
	inst.chown = c.Chown
	inst.preserveOwnership = fromImage && c.Chown == ""
	return r.performCopy(st, inst)
}

// fromSource returns the filesystem of a stage (by name or index) or of an
// image, for COPY --from, holding at least what sources need.
func (r *run) fromSource(ref string, sources []string) (*buildcontext.Context, error) {
	cfg, err := r.stages.get(ref)
	if err != nil {
		return nil, err
	}
	var id string
	if cfg != nil {
		img, err := r.e.LookupImage(cfg.Image)
		if err != nil {
			return nil, err
		}
		id = img.ID
	} else {
		img, err := r.image(ref, false)
		if err != nil {
			return nil, err
		}
		id = img.ID
	}
	src := r.sources[id]
	if src == nil {
		src = &imageSource{id: id, loaded: map[string]bool{}}
		r.sources[id] = src
	}
	return src.files(r, sources)
}

// imageSource is the part of an image's filesystem COPY --from read so
// far: the top-level entries it needed, copied out of a build layer.
type imageSource struct {
	id     string
	loaded map[string]bool // top-level names; "/" for everything
	tar    bytes.Buffer    // their entries, without the end marker
	ctx    *buildcontext.Context
}

// files returns the source's files once every top-level entry the
// sources name, or reach through symlinks, is loaded.
func (s *imageSource) files(r *run, sources []string) (*buildcontext.Context, error) {
	var need []string
	for _, p := range sources {
		p = strings.TrimPrefix(strings.TrimPrefix(p, "/"), "./")
		first, _, _ := strings.Cut(path.Clean(p), "/")
		if first == "." || first == ".." || containsWildcards(first) {
			first = "/"
		}
		need = append(need, first)
	}
	for round := 0; round < 16; round++ {
		var load []string
		for _, n := range need {
			if !s.loaded[n] && !s.loaded["/"] {
				load = append(load, n)
			}
		}
		if len(load) == 0 && s.ctx != nil {
			return s.ctx, nil
		}
		if err := s.load(r, load); err != nil {
			return nil, err
		}
		// Symlinks may lead to top-level entries not loaded yet.
		need = need[:0]
		for _, p := range sources {
			if res, err := s.ctx.Resolve(strings.TrimPrefix(p, "/")); err == nil && res != "." {
				first, _, _ := strings.Cut(res, "/")
				need = append(need, first)
			}
		}
	}
	return s.ctx, nil
}

// load copies the named top-level entries out of the image and rebuilds
// the tree.
func (s *imageSource) load(r *run, names []string) error {
	if len(names) > 0 {
		l, err := r.e.NewBuildLayer(r.ctx, s.id)
		if err != nil {
			return err
		}
		defer l.Release(context.WithoutCancel(r.ctx))
		tw := tar.NewWriter(&s.tar)
		for _, n := range names {
			s.loaded[n] = true
			if n != "/" {
				if _, err := l.StatPath(r.ctx, "/"+n); backend.IsNotFound(err) {
					continue
				}
			}
			rc, err := l.CopyOut(r.ctx, path.Join("/", n))
			if err != nil {
				return err
			}
			tr := tar.NewReader(rc)
			for {
				h, err := tr.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					rc.Close()
					return err
				}
				if err := tw.WriteHeader(h); err != nil {
					rc.Close()
					return err
				}
				if _, err := io.Copy(tw, tr); err != nil {
					rc.Close()
					return err
				}
			}
			rc.Close()
		}
		tw.Flush()
	}
	var whole bytes.Buffer
	whole.Write(s.tar.Bytes())
	whole.Write(make([]byte, 1024)) // the end marker
	c, err := buildcontext.ReadImage(&whole)
	if err != nil {
		return err
	}
	s.ctx = c
	return nil
}

// copyInstruction resolves the sources of a COPY or ADD and their hashes.
func (r *run) copyInstruction(sources []string, dest, cmdName string, src *buildcontext.Context, fromImage bool) (*copyInstruction, error) {
	inst := &copyInstruction{cmdName: cmdName, dest: dest}
	var infos []copyInfo
	for _, orig := range sources {
		if isURL(orig) {
			if cmdName == "COPY" {
				return nil, fmt.Errorf("%s failed: source can't be a URL for COPY", cmdName)
			}
			return nil, fmt.Errorf("%s failed: %w", cmdName, downloadError(orig))
		}
		ci, err := calcCopyInfo(src, orig, true, fromImage)
		if err != nil {
			return nil, fmt.Errorf("%s failed: %w", cmdName, err)
		}
		infos = append(infos, ci...)
	}
	if len(infos) == 0 {
		return nil, fmt.Errorf("%s failed: no source files were specified", cmdName)
	}
	if len(infos) > 1 && !strings.HasSuffix(dest, "/") {
		return nil, fmt.Errorf("When using %s with more than one source file, the destination must be a directory and end with a /", cmdName)
	}
	inst.infos = infos
	return inst, nil
}

func isURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

// downloadError is what a machine without network says to ADD of a URL.
func downloadError(u string) error {
	host := strings.TrimPrefix(strings.TrimPrefix(u, "http://"), "https://")
	if i := strings.IndexAny(host, "/:?#"); i >= 0 {
		host = host[:i]
	}
	return fmt.Errorf("Get %q: dial tcp: lookup %s: no such host", u, host)
}

// calcCopyInfo resolves one source: a wildcard pattern, a file or a
// directory, with its hash.
func calcCopyInfo(src *buildcontext.Context, orig string, wildcards, fromImage bool) ([]copyInfo, error) {
	p := strings.TrimPrefix(orig, "/")
	p = strings.TrimPrefix(p, "./")
	if wildcards && containsWildcards(p) {
		var out []copyInfo
		for _, rel := range src.Paths() {
			if ok, _ := path.Match(p, rel); !ok {
				continue
			}
			ci, err := calcCopyInfo(src, rel, false, fromImage)
			if err != nil {
				return nil, err
			}
			out = append(out, ci...)
		}
		return out, nil
	}
	if c := path.Clean(p); c == ".." || strings.HasPrefix(c, "../") {
		return nil, fmt.Errorf("forbidden path outside the build context: %s ()", p)
	}
	if _, err := src.Resolve(p); err != nil {
		return nil, fmt.Errorf("forbidden path outside the build context: %s ()", p)
	}
	hash, err := src.SourceHash(p)
	if err != nil {
		notFound := fmt.Errorf("stat %s: file does not exist", p)
		if !fromImage {
			return nil, fmt.Errorf("file not found in build context or excluded by .dockerignore: %w", notFound)
		}
		return nil, notFound
	}
	return []copyInfo{{src: src, path: p, hash: hash}}, nil
}

func containsWildcards(name string) bool {
	for i := 0; i < len(name); i++ {
		switch name[i] {
		case '\\':
			i++
		case '*', '?', '[':
			return true
		}
	}
	return false
}

// sourceHash is the hash of all of a step's sources.
func sourceHash(infos []copyInfo) string {
	if len(infos) == 1 {
		return infos[0].hash
	}
	hashes := make([]string, len(infos))
	for i, ci := range infos {
		hashes[i] = ci.hash
	}
	return image.MultiHash(hashes)
}

// identity is the owner copied files get.
type identity struct{ uid, gid int }

// performCopy runs a COPY or ADD: unless cached, it copies the sources into
// a build layer on the current image and commits it.
func (r *run) performCopy(st *state, inst *copyInstruction) error {
	chown := ""
	if inst.chown != "" {
		chown = "--chown=" + inst.chown
	}
	comment := fmt.Sprintf("%s %s%s in %s ", inst.cmdName, chown, sourceHash(inst.infos), inst.dest)
	cfg := withCmdCommentString(copyConfig(st.runConfig), comment)
	if r.probeCache(st, cfg) {
		return nil
	}
	l, err := r.e.NewBuildLayer(r.ctx, st.imageID)
	if err != nil {
		return fmt.Errorf("failed to get destination image %q: %w", st.imageID, err)
	}
	defer l.Release(context.WithoutCancel(r.ctx))
	fsys := buildLayerFS{l}
	dest := normalizeDest(st.runConfig.WorkingDir, inst.dest)
	id := &identity{}
	if inst.chown != "" {
		if id, err = r.parseChown(fsys, inst.chown); err != nil {
			return fmt.Errorf("unable to convert uid/gid chown string to host mapping: %w", err)
		}
	}
	if inst.preserveOwnership {
		id = nil
	}
	for _, ci := range inst.infos {
		if err := r.copyOne(fsys, dest, ci, inst.decompress, id); err != nil {
			return fmt.Errorf("failed to copy files: %w", err)
		}
	}
	imageID, err := l.Commit(r.ctx, engineStep(st, cfg))
	if err != nil {
		return err
	}
	st.imageID = imageID
	return nil
}

// normalizeDest makes a relative destination relative to the working
// directory, keeping a trailing slash.
func normalizeDest(workdir, dest string) string {
	if path.IsAbs(dest) {
		return dest
	}
	out := path.Join("/", workdir, dest)
	if strings.HasSuffix(dest, "/") {
		out += "/"
	}
	return out
}

// copyOne copies one source to dest, as dockerd's performCopyForInfo.
func (r *run) copyOne(fsys layerFS, dest string, ci copyInfo, decompress bool, id *identity) error {
	f, srcPath, ok := ci.src.Lookup(ci.path)
	if !ok {
		return fmt.Errorf("source path not found: stat %s: no such file or directory", ci.path)
	}
	destPath, st, err := resolvePath(r.ctx, fsys, dest)
	if err != nil {
		return err
	}
	if f.IsDir() {
		return r.copyDir(fsys, ci.src, srcPath, destPath, st, id)
	}
	if decompress && f.Header.Typeflag == tar.TypeReg && image.IsArchive(bytes.NewReader(f.Data)) {
		return r.untar(fsys, f.Data, destPath, st)
	}
	if strings.HasSuffix(dest, "/") || (st != nil && fs.FileMode(st.Mode).IsDir()) {
		destPath = path.Join(destPath, path.Base(ci.path))
	}
	owner := identity{}
	if id != nil {
		owner = *id
	}
	if err := r.mkdirAll(fsys, path.Dir(destPath), owner.uid, owner.gid, false); err != nil {
		return err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := writeEntry(tw, f, path.Base(destPath), id); err != nil {
		return err
	}
	tw.Close()
	return fsys.copyIn(r.ctx, path.Dir(destPath), &buf)
}

// copyDir copies the content of directory srcDir into destPath, made if
// missing (and then owned by the copy's owner).
func (r *run) copyDir(fsys layerFS, src *buildcontext.Context, srcDir, destPath string, st *backend.PathStat, id *identity) error {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	into := destPath
	prefix := ""
	if st == nil {
		if err := r.mkdirAll(fsys, path.Dir(destPath), 0, 0, false); err != nil {
			return err
		}
		// The destination itself, made as MkdirAll makes it; a copy with
		// an owner chowns it too.
		owner := identity{}
		if id != nil {
			owner = *id
		}
		into, prefix = path.Dir(destPath), path.Base(destPath)
		tw.WriteHeader(&tar.Header{Name: prefix + "/", Typeflag: tar.TypeDir, Mode: 0o755,
			Uid: owner.uid, Gid: owner.gid, ModTime: time.Now(), Format: tar.FormatPAX})
	} else if !fs.FileMode(st.Mode).IsDir() {
		return fmt.Errorf("mkdir %s: not a directory", destPath)
	}
	for _, p := range src.Below(srcDir) {
		f, _ := src.File(p)
		rel := strings.TrimPrefix(p, srcDir+"/")
		if srcDir == "." {
			rel = p
		}
		if prefix != "" {
			rel = prefix + "/" + rel
		}
		if err := writeEntry(tw, f, rel, id); err != nil {
			return err
		}
	}
	tw.Close()
	return fsys.copyIn(r.ctx, into, &buf)
}

// writeEntry writes a context file as an entry named name, owned by id (or
// by its own owner when id is nil).
func writeEntry(tw *tar.Writer, f *buildcontext.File, name string, id *identity) error {
	h := *f.Header
	h.Name = name
	if h.Typeflag == tar.TypeDir {
		h.Name += "/"
	}
	h.Uname, h.Gname = "", ""
	h.PAXRecords = nil
	h.Format = tar.FormatPAX
	h.AccessTime, h.ChangeTime = time.Time{}, time.Time{}
	if id != nil {
		h.Uid, h.Gid = id.uid, id.gid
	}
	if h.Typeflag != tar.TypeReg {
		h.Size = 0
	}
	if err := tw.WriteHeader(&h); err != nil {
		return err
	}
	if h.Typeflag == tar.TypeReg {
		_, err := tw.Write(f.Data)
		return err
	}
	return nil
}

// untar extracts a local archive (gzip, bzip2, xz or plain) into destPath,
// made if missing, keeping the owners the archive records.
func (r *run) untar(fsys layerFS, data []byte, destPath string, st *backend.PathStat) error {
	if st == nil {
		if err := r.mkdirAll(fsys, destPath, 0, 0, false); err != nil {
			return err
		}
	}
	rd, _, err := image.Decompress(bytes.NewReader(data))
	if err != nil {
		return err
	}
	defer rd.Close()
	return fsys.copyIn(r.ctx, destPath, rd)
}

// parseChown resolves --chown=user[:group] with the destination's
// /etc/passwd and /etc/group, as dockerd's parseChownFlag.
func (r *run) parseChown(fsys layerFS, chown string) (*identity, error) {
	parts := strings.Split(chown, ":")
	if len(parts) > 2 {
		return nil, errors.New("invalid chown string format: " + chown)
	}
	user, group := parts[0], parts[0]
	if len(parts) == 2 {
		group = parts[1]
	}
	uid, err := r.lookupID(fsys, "/etc/passwd", user, 2)
	if err != nil {
		return nil, fmt.Errorf("can't find uid for user %s: %w", user, err)
	}
	gid, err := r.lookupID(fsys, "/etc/group", group, 2)
	if err != nil {
		return nil, fmt.Errorf("can't find gid for group %s: %w", group, err)
	}
	return &identity{uid, gid}, nil
}

// lookupID returns a number given as is, else the field at index field
// of the line naming name in the file.
func (r *run) lookupID(fsys layerFS, file, name string, field int) (int, error) {
	if n, err := strconv.Atoi(name); err == nil {
		return n, nil
	}
	data, err := r.readFile(fsys, file)
	if err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Split(sc.Text(), ":")
		if len(f) > field && f[0] == name {
			n, err := strconv.Atoi(f[field])
			if err != nil {
				return 0, err
			}
			return n, nil
		}
	}
	what := "user"
	if strings.HasSuffix(file, "group") {
		what = "group"
	}
	return 0, fmt.Errorf("no such %s: %s", what, name)
}

// readFile reads a regular file from the layer (symlinks followed).
func (r *run) readFile(fsys layerFS, p string) ([]byte, error) {
	resolved, st, err := resolvePath(r.ctx, fsys, p)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return nil, fmt.Errorf("open %s: no such file or directory", p)
	}
	rc, err := fsys.copyOut(r.ctx, resolved)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil, fmt.Errorf("open %s: no such file or directory", p)
		}
		if err != nil {
			return nil, err
		}
		if h.Typeflag == tar.TypeReg {
			return io.ReadAll(tr)
		}
	}
}
