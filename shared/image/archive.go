package image

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

// The docker-archive format of `docker save` and `docker load`, as dockerd
// 20.10 writes it (image/tarexport): a tar holding
//
//	<v1 id>/VERSION      "1.0"
//	<v1 id>/json         the layer's legacy v1 configuration
//	<v1 id>/layer.tar    the layer (a symlink to an earlier copy of the same layer)
//	<image id>.json      each image's configuration, as stored
//	manifest.json        [{"Config", "RepoTags", "Layers", "Parent"}]
//	repositories         {"name": {"tag": "<v1 id of the top layer>"}}
//
// where a layer's v1 ID is derived from its chain and its parent's v1 ID.

const (
	manifestFileName     = "manifest.json"
	repositoriesFileName = "repositories"
	layerFileName        = "layer.tar"
	v1ConfigFileName     = "json"
	v1VersionFileName    = "VERSION"
)

// MaxArchiveMetadata is the largest manifest, configuration or other
// non-layer file ReadArchive accepts: 8 MiB.
const MaxArchiveMetadata = 8 << 20

type manifestItem struct {
	Config       string
	RepoTags     []string
	Layers       []string
	Parent       string                     `json:",omitempty"`
	LayerSources map[string]json.RawMessage `json:",omitempty"`
}

// v1Image is dockerd 20.10's image.V1Image, the legacy per-layer
// configuration.
type v1Image struct {
	ID              string       `json:"id,omitempty"`
	Parent          string       `json:"parent,omitempty"`
	Comment         string       `json:"comment,omitempty"`
	Created         time.Time    `json:"created"`
	Container       string       `json:"container,omitempty"`
	ContainerConfig ConfigV1_41  `json:"container_config,omitempty"`
	DockerVersion   string       `json:"docker_version,omitempty"`
	Author          string       `json:"author,omitempty"`
	Config          *ConfigV1_41 `json:"config,omitempty"`
	Architecture    string       `json:"architecture,omitempty"`
	Variant         string       `json:"variant,omitempty"`
	OS              string       `json:"os,omitempty"`
	Size            int64        `json:",omitempty"`
}

// v1ID computes a layer's legacy ID as image/v1.CreateID does: the digest
// of the v1 configuration (without id) with layer_id and parent added, keys
// sorted.
func v1ID(img v1Image, chainID, parent string) (string, error) {
	img.ID = ""
	data, err := json.Marshal(img)
	if err != nil {
		return "", err
	}
	var m map[string]*json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return "", err
	}
	raw := func(s string) *json.RawMessage {
		b, _ := json.Marshal(s)
		r := json.RawMessage(b)
		return &r
	}
	m["layer_id"] = raw(chainID)
	if parent != "" {
		m["parent"] = raw(parent)
	}
	data, err = json.Marshal(m)
	if err != nil {
		return "", err
	}
	return Digest(data), nil
}

// SaveImage is an image for WriteArchive.
type SaveImage struct {
	// Config is the configuration as stored; its sha256 is the image ID.
	Config []byte
	// RepoTags are the tags to record, familiar ("busybox:latest"), in
	// order.
	RepoTags []string
	// Parent is the ID of the image this one was built on; the archive
	// records it only when that image is saved too.
	Parent string
}

// LayerSource opens the uncompressed tar of the layer with the given DiffID.
// size is its length in bytes, or -1 when unknown: WriteArchive then reads
// the layer into memory first to learn it.
type LayerSource func(diffID string) (rc io.ReadCloser, size int64, err error)

// WriteArchive writes images as `docker save` does, byte for byte what
// dockerd 20.10 writes for them (dockerd orders several images as its map
// iterates; WriteArchive keeps the order given, and a layer shared by two
// images is stored with the first and linked from the second).
// Errors: InvalidParameter for an image without layers ("empty export - not
// implemented") or a bad configuration or tag.
func WriteArchive(w io.Writer, images []SaveImage, layers LayerSource) error {
	type layerDir struct {
		created time.Time
		json    []byte
		diffID  string
		link    string // "../<v1 id>/layer.tar" when the layer is stored already
	}
	dirs := map[string]*layerDir{}
	diffIDPaths := map[string]string{} // DiffID → v1 ID holding its layer.tar
	type file struct {
		data    []byte
		created time.Time
	}
	files := map[string]file{}
	repos := map[string]map[string]string{}
	ids := map[string]bool{}
	var manifest []manifestItem

	for _, si := range images {
		img, err := Parse(si.Config)
		if err != nil {
			return backend.Errorf(backend.InvalidParameter, "save image: %w", err)
		}
		id := Digest(si.Config)
		ids[id] = true
		if len(img.RootFS.DiffIDs) == 0 {
			return backend.Errorf(backend.InvalidParameter, "empty export - not implemented")
		}
		var top v1Image
		if err := json.Unmarshal(si.Config, &top); err != nil {
			return backend.Errorf(backend.InvalidParameter, "save image %s: %w", id, err)
		}
		top.ID, top.Parent, top.Size = "", "", 0
		chains := ChainIDs(img.RootFS.DiffIDs)
		parent := ""
		var layerPaths []string
		for i, diffID := range img.RootFS.DiffIDs {
			v1 := v1Image{Created: time.Unix(0, 0).UTC()}
			if i == len(img.RootFS.DiffIDs)-1 {
				v1 = top
			}
			lid, err := v1ID(v1, chains[i], parent)
			if err != nil {
				return err
			}
			hexID := strings.TrimPrefix(lid, "sha256:")
			v1.ID = hexID
			if parent != "" {
				v1.Parent = strings.TrimPrefix(parent, "sha256:")
			}
			v1.OS = img.OS
			if _, ok := dirs[hexID]; !ok {
				data, err := json.Marshal(v1)
				if err != nil {
					return err
				}
				d := &layerDir{created: img.Created, json: data, diffID: diffID}
				if old, ok := diffIDPaths[diffID]; ok {
					d.link = "../" + old + "/" + layerFileName
				} else {
					diffIDPaths[diffID] = hexID
				}
				dirs[hexID] = d
			}
			layerPaths = append(layerPaths, hexID+"/"+layerFileName)
			parent = lid
		}
		top1 := strings.TrimSuffix(layerPaths[len(layerPaths)-1], "/"+layerFileName)
		var tags []string
		for _, t := range si.RepoTags {
			r, err := ParseRef(t)
			if err != nil {
				return err
			}
			if r.Tag() == "" || r.Digest() != "" {
				continue // dockerd saves tags only
			}
			if repos[r.FamiliarName()] == nil {
				repos[r.FamiliarName()] = map[string]string{}
			}
			repos[r.FamiliarName()][r.Tag()] = top1
			tags = append(tags, r.FamiliarString())
		}
		hexImg := strings.TrimPrefix(id, "sha256:")
		files[hexImg+".json"] = file{si.Config, img.Created}
		manifest = append(manifest, manifestItem{Config: hexImg + ".json", RepoTags: tags, Layers: layerPaths, Parent: si.Parent})
	}
	for i := range manifest {
		if !ids[manifest[i].Parent] || manifest[i].Parent == Digest(images[i].Config) {
			manifest[i].Parent = ""
		}
	}
	encode := func(v any) ([]byte, error) {
		var buf bytes.Buffer
		err := json.NewEncoder(&buf).Encode(v)
		return buf.Bytes(), err
	}
	epoch := time.Unix(0, 0)
	if len(repos) > 0 {
		data, err := encode(repos)
		if err != nil {
			return err
		}
		files[repositoriesFileName] = file{data, epoch}
	}
	data, err := encode(manifest)
	if err != nil {
		return err
	}
	files[manifestFileName] = file{data, epoch}

	var names []string
	for n := range dirs {
		names = append(names, n)
	}
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	lw := NewLayerWriter(w, nil)
	writeFile := func(name string, data []byte, mtime time.Time) error {
		return lw.WriteEntry(&Entry{Path: name, Type: TypeRegular, Mode: 0o644, Size: int64(len(data)), ModTime: mtime}, bytes.NewReader(data))
	}
	for _, n := range names {
		if f, ok := files[n]; ok {
			if err := writeFile(n, f.data, f.created); err != nil {
				return err
			}
			continue
		}
		d := dirs[n]
		if err := lw.WriteEntry(&Entry{Path: n, Type: TypeDir, Mode: 0o755, ModTime: d.created}, nil); err != nil {
			return err
		}
		if err := writeFile(n+"/"+v1VersionFileName, []byte("1.0"), d.created); err != nil {
			return err
		}
		if err := writeFile(n+"/"+v1ConfigFileName, d.json, d.created); err != nil {
			return err
		}
		lp := n + "/" + layerFileName
		if d.link != "" {
			if err := lw.WriteEntry(&Entry{Path: lp, Type: TypeSymlink, Mode: 0o777, Linkname: d.link, ModTime: d.created}, nil); err != nil {
				return err
			}
			continue
		}
		if err := writeLayerFile(lw, lp, d.diffID, d.created, layers); err != nil {
			return err
		}
	}
	return lw.Close()
}

func writeLayerFile(lw *LayerWriter, name, diffID string, mtime time.Time, layers LayerSource) error {
	rc, size, err := layers(diffID)
	if err != nil {
		return err
	}
	defer rc.Close()
	var r io.Reader = rc
	if size < 0 {
		data, err := io.ReadAll(rc)
		if err != nil {
			return err
		}
		size, r = int64(len(data)), bytes.NewReader(data)
	}
	return lw.WriteEntry(&Entry{Path: name, Type: TypeRegular, Mode: 0o644, Size: size, ModTime: mtime}, r)
}

// Spool keeps the files of an archive while ReadArchive reads it, until the
// manifest (which comes last) says what they are. MemSpool keeps them in
// memory; a backend with a disk may keep them in a directory.
type Spool interface {
	// Create returns a writer for the file called name (a clean relative
	// path); closing it completes the file.
	Create(name string) (io.WriteCloser, error)
	// Open returns the file's content. Errors: fs.ErrNotExist.
	Open(name string) (io.ReadCloser, error)
}

// MemSpool is a Spool in memory. The zero value is ready to use.
type MemSpool struct {
	mu    sync.Mutex
	files map[string][]byte
}

type memFile struct {
	bytes.Buffer
	name string
	s    *MemSpool
}

func (f *memFile) Close() error {
	f.s.mu.Lock()
	defer f.s.mu.Unlock()
	if f.s.files == nil {
		f.s.files = map[string][]byte{}
	}
	f.s.files[f.name] = f.Bytes()
	return nil
}

// Create implements Spool.
func (s *MemSpool) Create(name string) (io.WriteCloser, error) {
	return &memFile{name: name, s: s}, nil
}

// Open implements Spool.
func (s *MemSpool) Open(name string) (io.ReadCloser, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	data, ok := s.files[name]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return io.NopCloser(bytes.NewReader(data)), nil
}

// Archive is a docker-archive read by ReadArchive.
type Archive struct {
	// Images are the manifest's images, in its order.
	Images []ArchiveImage

	spool Spool
	links map[string]string // symlink path → target, as stored
	kind  map[string]EntryType
}

// ArchiveImage is one image of an Archive.
type ArchiveImage struct {
	ID       string // "sha256:<hex>" of Config
	Config   []byte
	Image    *Image
	RepoTags []string // as the manifest lists them ("busybox:latest")
	// Layers are the archive paths of the layers, one per DiffID; open them
	// with Archive.OpenLayer.
	Layers []string
	// Parent is the manifest's parent ID, "" when none; the loader sets it
	// only if that image is in the archive and this one's history extends
	// the parent's by one row (see ValidParent).
	Parent string
}

// ReadArchive reads a docker-archive (possibly compressed) as `docker load`
// does, checking every entry with a Reader (no devices, nothing outside the
// archive), keeping files in spool and decoding the manifest and the
// configurations. It does not read layers: open them with OpenLayer.
//
// Errors are InvalidParameter, with dockerd's texts where it has one:
// "invalid manifest, layers length mismatch: expected 2, got 1", "invalid
// tag \"busybox\"", "cannot load windows image on linux"; an archive without
// manifest.json (the pre-1.10 format) is refused.
func ReadArchive(r io.Reader, spool Spool) (*Archive, error) {
	dr, _, err := Decompress(r)
	if err != nil {
		return nil, err
	}
	defer dr.Close()
	a := &Archive{spool: spool, links: map[string]string{}, kind: map[string]EntryType{}}
	tr := NewReader(dr, nil)
	for {
		e, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch e.Type {
		case TypeRegular:
			if err := a.store(e.Path, tr); err != nil {
				return nil, err
			}
		case TypeHardlink:
			a.links[e.Path] = "/" + e.Linkname
		case TypeSymlink:
			a.links[e.Path] = e.Linkname
		case TypeDir:
		default:
			continue
		}
		a.kind[e.Path] = e.Type
	}
	data, err := a.readFile(manifestFileName)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, backend.Errorf(backend.InvalidParameter, "load: archive has no manifest.json (the format before Docker 1.10 is not supported)")
	}
	if err != nil {
		return nil, err
	}
	var manifest []manifestItem
	if err := json.Unmarshal(data, &manifest); err != nil {
		return nil, backend.Errorf(backend.InvalidParameter, "load: manifest.json: %w", err)
	}
	for _, m := range manifest {
		config, err := a.readFile(m.Config)
		if err != nil {
			return nil, err
		}
		img, err := Parse(config)
		if err != nil {
			return nil, backend.Errorf(backend.InvalidParameter, "load: %s: %w", m.Config, err)
		}
		if img.OS == "windows" {
			return nil, backend.Errorf(backend.InvalidParameter, "cannot load windows image on linux")
		}
		if len(m.Layers) != len(img.RootFS.DiffIDs) {
			return nil, backend.Errorf(backend.InvalidParameter, "invalid manifest, layers length mismatch: expected %d, got %d",
				len(m.Layers), len(img.RootFS.DiffIDs))
		}
		for _, t := range m.RepoTags {
			r, err := ParseRef(t)
			if err != nil {
				return nil, err
			}
			if r.Tag() == "" || r.Digest() != "" {
				return nil, backend.Errorf(backend.InvalidParameter, "invalid tag %q", t)
			}
		}
		a.Images = append(a.Images, ArchiveImage{
			ID: Digest(config), Config: config, Image: img, RepoTags: m.RepoTags, Layers: m.Layers, Parent: m.Parent,
		})
	}
	return a, nil
}

func (a *Archive) store(name string, r io.Reader) error {
	w, err := a.spool.Create(name)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, r); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

// resolve follows symlinks in name inside the archive, as dockerd's
// safePath (FollowSymlinkInScope) does: ".." and absolute targets stay
// inside the archive's root.
func (a *Archive) resolve(name string) (string, error) {
	todo := strings.Split(strings.Trim(path.Clean("/"+name), "/"), "/")
	cur := ""
	for n := 0; len(todo) > 0; {
		el := todo[0]
		todo = todo[1:]
		if el == "" || el == "." {
			continue
		}
		if el == ".." {
			cur = strings.TrimPrefix(path.Dir("/"+cur), "/")
			continue
		}
		next := path.Join(cur, el)
		target, ok := a.links[next]
		if !ok {
			cur = next
			continue
		}
		if n++; n > 255 {
			return "", backend.Errorf(backend.InvalidParameter, "load: %s: too many levels of symbolic links", name)
		}
		if strings.HasPrefix(target, "/") {
			cur = ""
		} else {
			cur = path.Dir("/" + next)[1:]
		}
		todo = append(strings.Split(strings.Trim(target, "/"), "/"), todo...)
	}
	return cur, nil
}

func (a *Archive) open(name string) (io.ReadCloser, error) {
	p, err := a.resolve(name)
	if err != nil {
		return nil, err
	}
	if a.kind[p] != TypeRegular {
		return nil, &backend.Error{Code: backend.InvalidParameter, Msg: "open " + name + ": no such file or directory", Err: fs.ErrNotExist}
	}
	return a.spool.Open(p)
}

func (a *Archive) readFile(name string) ([]byte, error) {
	rc, err := a.open(name)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, MaxArchiveMetadata+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxArchiveMetadata {
		return nil, backend.Errorf(backend.InvalidParameter, "load: %s is larger than %d bytes", name, MaxArchiveMetadata)
	}
	return data, nil
}

// OpenLayer opens the layer at an archive path of ArchiveImage.Layers,
// decompressed as `docker load` does. Apply it with a Reader (the backends'
// ApplyLayer do) and compare the DiffID it gives with the configuration's
// (see DiffIDMismatch).
func (a *Archive) OpenLayer(p string) (io.ReadCloser, error) {
	rc, err := a.open(p)
	if err != nil {
		return nil, err
	}
	d, _, err := Decompress(rc)
	if err != nil {
		rc.Close()
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{d, closers{d, rc}}, nil
}

type closers []io.Closer

func (c closers) Close() error {
	var first error
	for _, cl := range c {
		if err := cl.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// DiffIDMismatch is the error `docker load` gives when layer i of an image
// does not have the DiffID its configuration says.
func DiffIDMismatch(i int, want, got string) error {
	return backend.Errorf(backend.InvalidParameter, "invalid diffID for layer %d: expected %q, got %q", i, want, got)
}

// ValidParent reports whether parent may be recorded as img's parent after
// a load: their histories agree and img's has one more row (or neither has
// any), as dockerd checks.
func ValidParent(img, parent *Image) bool {
	if len(img.History) == 0 && len(parent.History) == 0 {
		return true
	}
	if len(img.History)-len(parent.History) != 1 {
		return false
	}
	for i, h := range parent.History {
		g := img.History[i]
		if !h.Created.Equal(g.Created) || h.Author != g.Author || h.CreatedBy != g.CreatedBy ||
			h.Comment != g.Comment || h.EmptyLayer != g.EmptyLayer {
			return false
		}
	}
	return true
}
