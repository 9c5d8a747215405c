// Package baseimage makes twinbox's base image busybox:latest from Debian's
// busybox-static package, the way the reference engine's was made (see
// ../shared/reference/README.md and RATIONALE.md):
//
//  1. a root filesystem: /bin/busybox, a symlink /bin/APPLET -> busybox for
//     each applet `busybox --list` prints, /etc/passwd, /etc/group and empty
//     /root, /tmp (1777), /var, /home, /usr/bin and /usr/sbin;
//  2. rootfs.tar: that tree as GNU tar writes it sorted by name with mtime 0
//     and numeric owner 0 (2,129,920 bytes);
//  3. the image the classic builder makes of `FROM scratch` / `ADD
//     rootfs.tar /` / `CMD ["sh"]`: one layer (the extracted tree, as
//     dockerd writes layers), an intermediate image for the ADD step and the
//     final image for CMD, with the reference engine's times and container
//     ID, so that its IDs are the reference's own.
//
// scripts/mkbase writes the result as a docker-archive; wasm/sim/hub embeds
// a description of it (Describe) and checks in a test that the description
// is what this package makes.
package baseimage

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"

	"github.com/twinbox-dev/twinbox/shared/image"
	"github.com/twinbox-dev/twinbox/wasm/sim/hub"
)

// The reference engine's base image, which Build reproduces.
const (
	// PackageVersion is the Debian version of busybox-static used.
	PackageVersion = "1:1.35.0-4+deb12u1+b1"
	// RootfsTarSize is the size of rootfs.tar.
	RootfsTarSize = 2129920
	// AddHash is the ADD step's hash of rootfs.tar as a context entry.
	AddHash = "file:21b797decdefbf806c2d4a3feb4ebff8daaca5658d2c8fbfeb72a21862891620"
	// LayerDiffID is the DiffID of the image's layer.
	LayerDiffID = "sha256:23996da91515196bda72621b621579b8e2a6babca6a612a81a14bc01ef0d3fff"
	// LayerSize is the layer's size as Docker reports it.
	LayerSize = 1984234
	// ParentID is the ID of the ADD step's image.
	ParentID = "sha256:a5ea209d9b10a37a07c5e8a2f6319df47b6a5cab4a13344b0cd3d1dd77beba01"
	// ImageID is the ID of busybox:latest.
	ImageID = "sha256:904f20f6868d5b2e6b23f67d6dde4b2515e69884352255115d70b456f0437110"
	// Tag is the image's tag.
	Tag = "busybox:latest"
)

// The build's facts as the reference engine recorded them: the final
// image's creation time and container come from image-inspect.json; the ADD
// step's time is within the second its history row reports, and the one
// that gives the reference's parent ID.
var (
	addCreated   = time.Date(2026, 11, 23, 9, 13, 10, 977163043, time.UTC)
	cmdCreated   = time.Date(2026, 11, 23, 9, 13, 11, 175094369, time.UTC)
	cmdContainer = "3a8df1c065e7a4cbf6a5ed12bf5183851b2c27a9fbc95f42279ab6b93847d8de"
	defaultPath  = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
)

// The text files of the root filesystem.
const (
	passwd = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n"
	group  = "root:x:0:\nnogroup:x:65534:\n"
)

// Source is busybox-static's binary and what it says about itself.
type Source struct {
	Version string // the Debian package's version
	Binary  []byte // /bin/busybox
	Applets []string
}

// FromDeb reads busybox-static's .deb (as `apt-get download busybox-static`
// fetches it) without installing it, and runs the binary to list its
// applets.
func FromDeb(path string) (*Source, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	members, err := readAr(data)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	var src Source
	for name, body := range members {
		switch {
		case strings.HasPrefix(name, "control.tar"):
			control, err := fileInTar(body, "./control")
			if err != nil {
				return nil, fmt.Errorf("read %s: %s: %w", path, name, err)
			}
			m := regexp.MustCompile(`(?m)^Version: (.+)$`).FindSubmatch(control)
			if m == nil {
				return nil, fmt.Errorf("read %s: control has no Version", path)
			}
			src.Version = string(m[1])
		case strings.HasPrefix(name, "data.tar"):
			if src.Binary, err = fileInTar(body, "./bin/busybox"); err != nil {
				return nil, fmt.Errorf("read %s: %s: %w", path, name, err)
			}
		}
	}
	if src.Version == "" || src.Binary == nil {
		return nil, fmt.Errorf("read %s: not a busybox-static package", path)
	}
	if err := src.listApplets(); err != nil {
		return nil, err
	}
	return &src, nil
}

// FromBinary reads an installed busybox-static binary (/bin/busybox) and
// takes the package version from its banner ("BusyBox v1.35.0 (Debian
// 1:1.35.0-4+deb12u1+b1) multi-call binary.").
func FromBinary(path string) (*Source, error) {
	bin, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	src := &Source{Binary: bin}
	out, err := src.run("--help")
	if err != nil && len(out) == 0 {
		return nil, err
	}
	m := regexp.MustCompile(`BusyBox v[^ ]+ \(Debian ([^)]+)\)`).FindSubmatch(out)
	if m == nil {
		return nil, fmt.Errorf("%s: no Debian version in its banner", path)
	}
	src.Version = string(m[1])
	if err := src.listApplets(); err != nil {
		return nil, err
	}
	return src, nil
}

// run executes a copy of the binary with args and returns its output.
func (s *Source) run(args ...string) ([]byte, error) {
	dir, err := os.MkdirTemp("", "twinbox-busybox-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "busybox")
	if err := os.WriteFile(bin, s.Binary, 0o755); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("run busybox %s: %w", strings.Join(args, " "), err)
	}
	return out, nil
}

func (s *Source) listApplets() error {
	out, err := s.run("--list")
	if err != nil {
		return err
	}
	for _, a := range strings.Fields(string(out)) {
		if a != "busybox" {
			s.Applets = append(s.Applets, a)
		}
	}
	if len(s.Applets) == 0 {
		return errors.New("busybox --list printed no applets")
	}
	return nil
}

// readAr returns the members of an ar archive (a .deb).
func readAr(data []byte) (map[string][]byte, error) {
	const magic = "!<arch>\n"
	if !bytes.HasPrefix(data, []byte(magic)) {
		return nil, errors.New("not an ar archive")
	}
	out := map[string][]byte{}
	for off := len(magic); off+60 <= len(data); {
		hdr := data[off : off+60]
		name := strings.TrimSuffix(strings.TrimSpace(string(hdr[0:16])), "/")
		var size int
		if _, err := fmt.Sscanf(strings.TrimSpace(string(hdr[48:58])), "%d", &size); err != nil {
			return nil, fmt.Errorf("member %q: bad size", name)
		}
		off += 60
		if size < 0 || off+size > len(data) {
			return nil, fmt.Errorf("member %q: truncated", name)
		}
		out[name] = data[off : off+size]
		off += size + size%2
	}
	return out, nil
}

// fileInTar returns the content of one file of a (compressed) tar.
func fileInTar(data []byte, name string) ([]byte, error) {
	d, c, err := image.Decompress(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	defer d.Close()
	if c == image.Uncompressed && bytes.HasPrefix(data, []byte{0x28, 0xB5, 0x2F, 0xFD}) {
		return nil, errors.New("zstd-compressed member: not supported")
	}
	tr := tar.NewReader(d)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil, fmt.Errorf("no %s", name)
		}
		if err != nil {
			return nil, err
		}
		if h.Name == name {
			return io.ReadAll(tr)
		}
	}
}

// File is one path of the root filesystem with its real content.
type File struct {
	hub.File
	Data []byte // a regular file's content
}

func unixMode(f File) uint32 {
	u := uint32(f.Mode.Perm())
	if f.Mode&fs.ModeSticky != 0 {
		u |= 0o1000
	}
	if f.Mode&fs.ModeSetgid != 0 {
		u |= 0o2000
	}
	if f.Mode&fs.ModeSetuid != 0 {
		u |= 0o4000
	}
	return u
}

// Rootfs returns the root filesystem's paths in GNU tar's --sort=name
// order (the root first, then depth first with each directory's names
// sorted), which is also Docker's walk order.
func (s *Source) Rootfs() []File {
	dir := func(p string, mode fs.FileMode) File {
		return File{File: hub.File{Path: p, Type: image.TypeDir, Mode: mode}}
	}
	text := func(p, content string) File {
		return File{File: hub.File{Path: p, Type: image.TypeRegular, Mode: 0o644, Size: int64(len(content)), Content: []byte(content)},
			Data: []byte(content)}
	}
	files := []File{
		dir(".", 0o700), // mktemp -d
		dir("bin", 0o755),
		{File: hub.File{Path: "bin/busybox", Type: image.TypeRegular, Mode: 0o755, Size: int64(len(s.Binary)), Binary: "busybox"},
			Data: s.Binary},
		dir("etc", 0o755),
		text("etc/group", group),
		text("etc/passwd", passwd),
		dir("home", 0o755),
		dir("root", 0o755),
		dir("tmp", 0o777|fs.ModeSticky),
		dir("usr", 0o755),
		dir("usr/bin", 0o755),
		dir("usr/sbin", 0o755),
		dir("var", 0o755),
	}
	for _, a := range s.Applets {
		files = append(files, File{File: hub.File{Path: "bin/" + a, Type: image.TypeSymlink, Mode: 0o777, Link: "busybox"}})
	}
	sort.SliceStable(files[1:], func(i, j int) bool {
		return walkLess(files[1+i].Path, files[1+j].Path)
	})
	return files
}

// walkLess orders paths as a depth-first walk with sorted names does.
func walkLess(a, b string) bool {
	as, bs := strings.Split(a, "/"), strings.Split(b, "/")
	for k := 0; k < len(as) && k < len(bs); k++ {
		if as[k] != bs[k] {
			return as[k] < bs[k]
		}
	}
	return len(as) < len(bs)
}

// Images returns the configurations the classic builder gives the ADD step
// and the CMD step of `FROM scratch` / `ADD rootfs.tar /` / `CMD ["sh"]`
// for a rootfs.tar of hash addHash whose layer has DiffID diffID: the ADD
// step's image (the parent) and busybox:latest.
func Images(addHash, diffID string) (add, final *image.Image, err error) {
	addCmd := fmt.Sprintf("ADD %s in / ", addHash)
	add = &image.Image{
		Architecture:  "amd64",
		Config:        &container.Config{Env: []string{defaultPath}},
		Created:       addCreated,
		DockerVersion: image.DockerVersion,
		ContainerConfig: container.Config{
			Env: []string{defaultPath},
			Cmd: []string{"/bin/sh", "-c", "#(nop) " + addCmd},
		},
		History: []image.History{{Created: addCreated, CreatedBy: "/bin/sh -c #(nop) " + addCmd}},
		OS:      "linux",
		RootFS:  image.RootFS{Type: "layers", DiffIDs: []string{diffID}},
	}
	_, addID, err := add.Marshal()
	if err != nil {
		return nil, nil, err
	}
	final = &image.Image{
		Architecture: "amd64",
		Config:       &container.Config{Env: []string{defaultPath}, Cmd: []string{"sh"}, Image: addID},
		Container:    cmdContainer,
		ContainerConfig: container.Config{
			Hostname: cmdContainer[:12],
			Env:      []string{defaultPath},
			Cmd:      []string{"/bin/sh", "-c", "#(nop) ", `CMD ["sh"]`},
			Image:    addID,
			Labels:   map[string]string{},
		},
		Created:       cmdCreated,
		DockerVersion: image.DockerVersion,
		History: append(append([]image.History(nil), add.History...),
			image.History{Created: cmdCreated, CreatedBy: `/bin/sh -c #(nop)  CMD ["sh"]`, EmptyLayer: true}),
		OS:     "linux",
		RootFS: image.RootFS{Type: "layers", DiffIDs: []string{diffID}},
	}
	return add, final, nil
}

// Base is the built base image.
type Base struct {
	Source    *Source
	Files     []File
	RootfsTar []byte
	AddHash   string // "file:<tarsum of rootfs.tar>"
	Layer     []byte
	DiffID    string
	Size      int64 // the layer's size as Docker reports it
	// Add and Final are the configurations as stored, AddID and FinalID
	// their IDs.
	Add, Final     []byte
	AddID, FinalID string
}

// Build makes the base image from src.
func Build(src *Source) (*Base, error) {
	b := &Base{Source: src, Files: src.Rootfs()}
	var err error
	if b.RootfsTar, err = RootfsTar(b.Files); err != nil {
		return nil, err
	}
	sum, err := image.TarsumV1(&tar.Header{Name: "rootfs.tar", Mode: 0o644, Size: int64(len(b.RootfsTar)), Typeflag: tar.TypeReg},
		bytes.NewReader(b.RootfsTar))
	if err != nil {
		return nil, err
	}
	b.AddHash = "file:" + sum
	var layer bytes.Buffer
	hubFiles := b.HubFiles()
	if err := hub.WriteLayer(&layer, hubFiles, func(i int) []byte { return b.Files[i].Data }); err != nil {
		return nil, err
	}
	b.Layer = layer.Bytes()
	if b.DiffID, b.Size, err = image.ScanLayer(bytes.NewReader(b.Layer), nil); err != nil {
		return nil, err
	}
	add, final, err := Images(b.AddHash, b.DiffID)
	if err != nil {
		return nil, err
	}
	if b.Add, b.AddID, err = add.Marshal(); err != nil {
		return nil, err
	}
	if b.Final, b.FinalID, err = final.Marshal(); err != nil {
		return nil, err
	}
	return b, nil
}

// HubFiles returns the files without their real content.
func (b *Base) HubFiles() []hub.File {
	out := make([]hub.File, len(b.Files))
	for i, f := range b.Files {
		out[i] = f.File
	}
	return out
}

// Check compares b with the reference engine's base image and lists every
// difference.
func (b *Base) Check() error {
	var errs []error
	for _, c := range []struct {
		what      string
		got, want any
	}{
		{"busybox-static version", b.Source.Version, PackageVersion},
		{"rootfs.tar size", len(b.RootfsTar), RootfsTarSize},
		{"ADD hash of rootfs.tar", b.AddHash, AddHash},
		{"layer DiffID", b.DiffID, LayerDiffID},
		{"layer size", b.Size, int64(LayerSize)},
		{"parent image ID", b.AddID, ParentID},
		{"image ID", b.FinalID, ImageID},
	} {
		if c.got != c.want {
			errs = append(errs, fmt.Errorf("%s: got %v, want %v", c.what, c.got, c.want))
		}
	}
	return errors.Join(errs...)
}

// WriteArchive writes the image as a docker-archive: busybox:latest and
// its parent, the ADD step's image, so that a loaded busybox has a parent
// and shows both rows of `docker history` with IDs, as a built one does.
// The parent comes first: `docker load` then prints only "Loaded image:
// busybox:latest" (it lists image IDs when the last image has no tag).
func (b *Base) WriteArchive(w io.Writer) error {
	images := []image.SaveImage{
		{Config: b.Add},
		{Config: b.Final, RepoTags: []string{Tag}, Parent: b.AddID},
	}
	return image.WriteArchive(w, images, func(diffID string) (io.ReadCloser, int64, error) {
		if diffID != b.DiffID {
			return nil, 0, fmt.Errorf("no layer %s", diffID)
		}
		return io.NopCloser(bytes.NewReader(b.Layer)), int64(len(b.Layer)), nil
	})
}

// Describe returns the description files wasm/sim/hub embeds:
// busybox.rootfs (FormatRootfs) and busybox.json (Metadata).
func (b *Base) Describe() (rootfs, metadata []byte, err error) {
	header := []string{
		"The root filesystem of twinbox's base image " + Tag + ", from busybox-static " + b.Source.Version + ".",
		"Generated by scripts/mkbase (go run ./scripts/mkbase -deb busybox-static.deb -hub wasm/sim/hub); do not edit.",
		"PATH dir MODE UID GID | PATH file|binary MODE UID GID SIZE CONTENT|NAME | PATH symlink MODE UID GID TARGET",
	}
	rootfs = hub.FormatRootfs(header, b.HubFiles())
	m := hub.Metadata{Package: "busybox-static " + b.Source.Version, Tag: Tag, Images: []json.RawMessage{b.Add, b.Final}}
	m.RootfsTar.Size, m.RootfsTar.AddHash = len(b.RootfsTar), b.AddHash
	m.Layer.DiffID, m.Layer.Size = b.DiffID, b.Size
	metadata, err = json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, nil, err
	}
	return rootfs, append(metadata, '\n'), nil
}
