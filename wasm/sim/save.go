package sim

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/image"
	"github.com/twinbox-dev/twinbox/wasm/sim/kernel"
	"github.com/twinbox-dev/twinbox/wasm/sim/sys"
	"github.com/twinbox-dev/twinbox/wasm/sim/vfs"
)

// A saved simulator is a gzip-compressed tar:
//
//	sim.json               the records (savedState)
//	host.tar               the host's root filesystem, as a layer tar
//	layers/N.tar           each layer's own tar, parents first
//	containers/ID.tar      each container's read-write layer, whiteouts included
//
// Volumes are in the host's filesystem. Processes are not saved: Load is a
// reboot.
//
// In host.tar and the containers' tars a simulated binary (an ELF-looking
// head naming the program, then zeros to a real binary's size) is stored
// as its head alone, and sim.json's Grown lists it with its size: Load
// makes it whole again. The host's few binaries are 2 MB of zeros each, and
// inflating, copying and writing them was most of a restore (in the
// browser, most of a page load). A layer keeps its tar's bytes, which its
// DiffID hashes: its file leaves out only the tar's long runs of zeros
// (see savedLayer), which Load puts back.

// saveFormat is the version of the format Save writes; Load reads it and
// format 1 (the same without Grown).
const saveFormat = 2

type savedState struct {
	Format     int
	Saved      time.Time
	Hostname   string
	Layers     []savedLayer
	Containers []savedContainer
	Networks   []backend.Network
	// Grown lists, per tar, the files stored shorter than they are.
	Grown map[string][]grownFile `json:",omitempty"`
}

// grownFile is a file a tar stores as its head only.
type grownFile struct {
	Path string // as in the tar
	Size int64
}

type savedLayer struct {
	backend.Layer
	File string
	// TarSize and Holes (format 2): File holds the layer's tar without
	// its long runs of zeros, Holes their offsets and lengths in the
	// TarSize bytes of the tar, which Load puts back byte for byte.
	TarSize int64      `json:",omitempty"`
	Holes   [][2]int64 `json:",omitempty"`
}

type savedContainer struct {
	ID      string
	Parent  string
	Mounts  []backend.Mount
	Running bool                // it ran when saved: Load ends it
	Ended   *backend.ExitStatus // how its last run ended
	LastPID int
	File    string
}

// Save writes the simulator's state to w: the host's files (volumes
// included), layers, containers' read-write layers, and the records of
// containers and networks. Running containers are saved as they are;
// their processes are not.
func (b *Backend) Save(w io.Writer) error {
	// The fastest level: a save is taken after each command, and what is
	// saved is mostly the simulated binaries' zeros, which any level
	// compresses about as well.
	zw, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
	tw := tar.NewWriter(zw)
	b.mu.Lock()
	st := savedState{Format: saveFormat, Saved: b.clock.Now(), Hostname: b.opts.Hostname}
	layers := b.layerOrderLocked()
	var files []savedFile
	for i, l := range layers {
		name := fmt.Sprintf("layers/%d.tar", i)
		st.Layers = append(st.Layers, savedLayer{Layer: l.info, File: name})
		files = append(files, savedFile{name, func() io.Reader { return vfs.ExportLayer(l.vl) }})
	}
	for _, id := range sortedKeys(b.containers) {
		c := b.containers[id]
		name := "containers/" + id + ".tar"
		st.Containers = append(st.Containers, savedContainer{
			ID: id, Parent: c.parent, Mounts: c.mounts, Running: c.run != nil,
			Ended: c.ended, LastPID: c.lastPID, File: name,
		})
		rootfs := c.rootfs
		files = append(files, savedFile{name, func() io.Reader { return vfs.ExportLayer(rootfs.Commit(nil)) }})
	}
	for _, id := range sortedKeys(b.networks) {
		st.Networks = append(st.Networks, b.networks[id])
	}
	b.mu.Unlock()

	host := func() io.Reader { return vfs.ExportLayer(vfs.NewLayer(nil, b.host)) }
	files = append([]savedFile{{"host.tar", host}}, files...)
	// The tars Load applies file by file have their simulated binaries
	// shortened (see Grown), the layers' tars their runs of zeros (see
	// savedLayer); what was left out goes into sim.json, written first.
	for i, f := range files {
		if strings.HasPrefix(f.name, "layers/") {
			raw, err := io.ReadAll(f.content())
			if err != nil {
				return err
			}
			packed, holes := elideZeros(raw)
			for j := range st.Layers {
				if st.Layers[j].File == f.name {
					st.Layers[j].TarSize, st.Layers[j].Holes = int64(len(raw)), holes
				}
			}
			files[i].content = func() io.Reader { return bytes.NewReader(packed) }
			continue
		}
		if f.name != "host.tar" && !strings.HasPrefix(f.name, "containers/") {
			continue
		}
		data, grown, err := shortenBinaries(f.content())
		if err != nil {
			return err
		}
		if len(grown) > 0 {
			if st.Grown == nil {
				st.Grown = map[string][]grownFile{}
			}
			st.Grown[f.name] = grown
		}
		files[i].content = func() io.Reader { return bytes.NewReader(data) }
	}
	meta, err := json.Marshal(st)
	if err != nil {
		return err
	}
	files = append([]savedFile{{"sim.json", func() io.Reader { return bytes.NewReader(meta) }}}, files...)
	for _, f := range files {
		r := f.content()
		n, ok := r.(interface{ Len() int }) // bytes.Reader, bytes.Buffer: no copy
		if !ok {
			var buf bytes.Buffer
			if _, err := io.Copy(&buf, r); err != nil {
				return err
			}
			r, n = &buf, &buf
		}
		hdr := &tar.Header{Name: f.name, Mode: 0o600, Size: int64(n.Len()), Typeflag: tar.TypeReg, ModTime: st.Saved}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := io.Copy(tw, r); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return zw.Close()
}

type savedFile struct {
	name    string
	content func() io.Reader
}

// layerOrderLocked lists the layers parents first.
func (b *Backend) layerOrderLocked() []*layer {
	var out []*layer
	done := map[string]bool{}
	var visit func(id string)
	visit = func(id string) {
		l, ok := b.layers[id]
		if !ok || done[id] {
			return
		}
		done[id] = true
		visit(l.info.Parent)
		out = append(out, l)
	}
	for _, id := range sortedKeys(b.layers) {
		visit(id)
	}
	return out
}

// Load makes a Backend from what Save wrote, with opts for what is not
// saved (the registry, the clock, the host's commands, which are installed
// again where missing). The machine boots afresh: containers that were
// running have ended, with status 255, as after a reboot; Restore reports
// them so. Errors: InvalidParameter for data Save did not write.
func Load(r io.Reader, opts Options) (*Backend, error) {
	files, err := readSaved(r)
	if err != nil {
		return nil, backend.Errorf(backend.InvalidParameter, "load simulator: %v", err)
	}
	var st savedState
	if err := json.Unmarshal(files["sim.json"], &st); err != nil {
		return nil, backend.Errorf(backend.InvalidParameter, "load simulator: sim.json: %v", err)
	}
	if st.Format != saveFormat && st.Format != 1 {
		return nil, backend.Errorf(backend.InvalidParameter, "load simulator: format %d, want %d", st.Format, saveFormat)
	}
	if opts.Hostname == "" {
		opts.Hostname = st.Hostname
	}
	b := newBackend(opts)
	if err := applyTar(b.host, bytes.NewReader(files["host.tar"]), st.grown("host.tar")); err != nil {
		return nil, backend.Errorf(backend.InvalidParameter, "load simulator: host.tar: %v", err)
	}
	b.installCommands()
	for _, sl := range st.Layers {
		var below *vfs.Layer
		if sl.Parent != "" {
			p, ok := b.layers[sl.Parent]
			if !ok {
				return nil, backend.Errorf(backend.InvalidParameter, "load simulator: layer %s before its parent", sl.ChainID)
			}
			below = p.vl
		}
		raw, err := fillHoles(files[sl.File], sl.TarSize, sl.Holes)
		if err != nil {
			return nil, backend.Errorf(backend.InvalidParameter, "load simulator: %s: %v", sl.File, err)
		}
		vl, err := vfs.ImportLayerBytes(raw, below, &vfs.ImportOptions{Clock: b.vclock()})
		if err != nil {
			return nil, backend.Errorf(backend.InvalidParameter, "load simulator: %s: %v", sl.File, err)
		}
		b.layers[sl.ChainID] = &layer{info: sl.Layer, vl: vl}
	}
	now := b.clock.Now()
	for _, sc := range st.Containers {
		var below *vfs.Layer
		if sc.Parent != "" {
			p, ok := b.layers[sc.Parent]
			if !ok {
				return nil, backend.Errorf(backend.InvalidParameter, "load simulator: container %s: no layer %s", sc.ID, sc.Parent)
			}
			below = p.vl
		}
		c := &container{id: sc.ID, parent: sc.Parent, mounts: sc.Mounts, ended: sc.Ended, lastPID: sc.LastPID}
		c.init = vfs.InitLayer(below, b.vclock())
		c.rootfs = vfs.NewUnion(c.init, b.vclock())
		if err := applyTar(c.rootfs, bytes.NewReader(files[sc.File]), st.grown(sc.File)); err != nil {
			return nil, backend.Errorf(backend.InvalidParameter, "load simulator: %s: %v", sc.File, err)
		}
		if sc.Running {
			c.ended = &backend.ExitStatus{Code: 255, At: now}
		}
		b.containers[sc.ID] = c
	}
	for _, n := range st.Networks {
		b.networks[n.ID] = n
	}
	b.bootHost()
	return b, nil
}

// readSaved reads the files of a saved simulator.
func readSaved(r io.Reader) (map[string][]byte, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(zr)
	files := map[string][]byte{}
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		data, err := readContent(tr, hdr.Size)
		if err != nil {
			return nil, err
		}
		files[hdr.Name] = data
	}
	if files["sim.json"] == nil {
		return nil, errors.New("no sim.json")
	}
	return files, nil
}

// grown returns the sizes of the files tar file stores shortened, by path.
func (st *savedState) grown(file string) map[string]int64 {
	m := map[string]int64{}
	for _, g := range st.Grown[file] {
		m[g.Path] = g.Size
	}
	return m
}

// zeroBlock is the unit elideZeros looks for zeros in, minHole the
// shortest run it leaves out.
const (
	zeroBlock = 4 << 10
	minHole   = 64 << 10
)

// elideZeros returns data without its runs of at least minHole zeros (on
// zeroBlock boundaries), and where they were.
func elideZeros(data []byte) (packed []byte, holes [][2]int64) {
	var zeros [zeroBlock]byte
	isZero := func(off int) bool {
		return off+zeroBlock <= len(data) && bytes.Equal(data[off:off+zeroBlock], zeros[:])
	}
	kept := 0 // data[kept:] is not yet in packed
	for off := 0; off+zeroBlock <= len(data); {
		if !isZero(off) {
			off += zeroBlock
			continue
		}
		end := off
		for isZero(end) {
			end += zeroBlock
		}
		if end-off >= minHole {
			packed = append(packed, data[kept:off]...)
			holes = append(holes, [2]int64{int64(off), int64(end - off)})
			kept = end
		}
		off = end
	}
	if holes == nil {
		return data, nil
	}
	return append(packed, data[kept:]...), holes
}

// fillHoles puts back what elideZeros left out of a tar of size bytes
// (size 0: packed is whole, as format 1 saved it).
func fillHoles(packed []byte, size int64, holes [][2]int64) ([]byte, error) {
	if holes == nil && (size == 0 || size == int64(len(packed))) {
		return packed, nil
	}
	if size < int64(len(packed)) || size > vfs.DefaultMaxLayerBytes {
		return nil, fmt.Errorf("size %d does not fit %d bytes", size, len(packed))
	}
	raw := make([]byte, size)
	var src, dst int64
	for _, h := range holes {
		off, n := h[0], h[1]
		if off < dst || n <= 0 || off+n > size || src+(off-dst) > int64(len(packed)) {
			return nil, fmt.Errorf("bad hole %d+%d", off, n)
		}
		src += int64(copy(raw[dst:off], packed[src:src+(off-dst)]))
		dst = off + n
	}
	if size-dst != int64(len(packed))-src {
		return nil, fmt.Errorf("%d bytes for a tar of %d", len(packed), size)
	}
	copy(raw[dst:], packed[src:])
	return raw, nil
}

// minShortened is the smallest file shortenBinaries looks at.
const minShortened = 64 << 10

// shortenBinaries copies the layer tar r, storing each simulated binary
// (sys.BinaryMagic's head, then only zeros) as its head alone, and returns
// the copy and what it shortened.
func shortenBinaries(r io.Reader) ([]byte, []grownFile, error) {
	var out bytes.Buffer
	var grown []grownFile
	tr := tar.NewReader(r)
	tw := tar.NewWriter(&out)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		if hdr.Typeflag != tar.TypeReg || hdr.Size < minShortened {
			if err := tw.WriteHeader(hdr); err != nil {
				return nil, nil, err
			}
			if _, err := io.Copy(tw, tr); err != nil {
				return nil, nil, err
			}
			continue
		}
		data, err := readContent(tr, hdr.Size)
		if err != nil {
			return nil, nil, err
		}
		if head := binaryHead(data); head > 0 {
			grown = append(grown, grownFile{Path: path.Clean(hdr.Name), Size: hdr.Size})
			data = data[:head]
			hdr.Size = int64(head)
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, nil, err
		}
		if _, err := tw.Write(data); err != nil {
			return nil, nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, nil, err
	}
	return out.Bytes(), grown, nil
}

// binaryHead returns the length of a simulated binary's head (through the
// newline after its name) when data is one, else 0.
func binaryHead(data []byte) int {
	const elf = "\x7fELF\x02\x01\x01\x00"
	if !bytes.HasPrefix(data, []byte(elf+sys.BinaryMagic)) {
		return 0
	}
	nl := bytes.IndexByte(data[:min(len(data), 256)], '\n')
	if nl < 0 {
		return 0
	}
	rest := data[nl+1:]
	var zeros [4096]byte
	for len(rest) > 0 {
		n := min(len(rest), len(zeros))
		if !bytes.Equal(rest[:n], zeros[:n]) {
			return 0
		}
		rest = rest[n:]
	}
	return nl + 1
}

// applyTar applies a layer tar to fsys through its ordinary operations, as
// Docker applies a layer to a mounted root: whiteouts remove, an opaque
// directory is emptied of what was below, everything else is made with its
// owner, mode and times. On a union the result is the same upper tree.
// Files in grown are stored shortened: they are made whole (zeros) to the
// size it gives (see Grown).
func applyTar(fsys vfs.FS, r io.Reader, grown map[string]int64) error {
	rd := image.NewReader(r, &image.ReaderOptions{AllowDevices: true, NoDigest: true})
	var entries []image.Entry
	var data [][]byte
	opaque := map[string]bool{}
	for {
		e, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		var content []byte
		if e.Type == image.TypeRegular && e.Size > 0 {
			if content, err = readContent(rd, e.Size); err != nil {
				return err
			}
		}
		if e.Type == image.TypeOpaque {
			opaque[e.Path] = true
		}
		entries = append(entries, *e)
		data = append(data, content)
	}
	type dirTime struct {
		name string
		t    time.Time
	}
	var dirs []dirTime
	for i := range entries {
		e := &entries[i]
		name := "/" + e.Path
		if e.Path == "." {
			name = "/"
		}
		var err error
		switch e.Type {
		case image.TypeOpaque:
			continue // handled with its directory
		case image.TypeWhiteout:
			err = vfs.RemoveAll(fsys, name)
		case image.TypeDir:
			fi, serr := fsys.Lstat(name)
			switch {
			case serr == nil && fi.IsDir() && !opaque[e.Path]:
			case serr == nil:
				if err = vfs.RemoveAll(fsys, name); err == nil {
					err = fsys.Mkdir(name, e.Mode.Perm())
				}
			default:
				err = fsys.Mkdir(name, e.Mode.Perm())
			}
			dirs = append(dirs, dirTime{name, e.ModTime})
		case image.TypeHardlink:
			vfs.RemoveAll(fsys, name)
			err = fsys.Link("/"+e.Linkname, name)
		case image.TypeSymlink:
			vfs.RemoveAll(fsys, name)
			err = fsys.Symlink(e.Linkname, name)
		case image.TypeRegular:
			vfs.RemoveAll(fsys, name)
			err = writeNew(fsys, name, data[i], e.Mode.Perm(), grown[e.Path])
		default:
			vfs.RemoveAll(fsys, name)
			dev := kernel.Mkdev(uint32(e.Devmajor), uint32(e.Devminor))
			err = fsys.Mknod(name, e.FileMode(), dev)
		}
		if err != nil {
			return err
		}
		if e.Type == image.TypeWhiteout || e.Type == image.TypeHardlink {
			continue
		}
		if err := fsys.Lchown(name, e.UID, e.GID); err != nil {
			return err
		}
		if e.Type != image.TypeSymlink {
			if err := fsys.Chmod(name, e.Mode); err != nil {
				return err
			}
			if e.Type != image.TypeDir {
				if err := fsys.Chtimes(name, e.ModTime, e.ModTime); err != nil {
					return err
				}
			}
		}
	}
	sort.SliceStable(dirs, func(i, j int) bool { return len(dirs[i].name) > len(dirs[j].name) })
	for _, d := range dirs {
		if err := fsys.Chtimes(d.name, d.t, d.t); err != nil {
			return err
		}
	}
	return nil
}

// readContent reads the size bytes of a tar entry's content in one
// allocation (io.ReadAll would grow its buffer step by step, which for the
// simulated binaries' megabytes costs more than reading them).
func readContent(r io.Reader, size int64) ([]byte, error) {
	if size > 1<<30 {
		return nil, fmt.Errorf("entry of %d bytes: too large", size)
	}
	data := make([]byte, size)
	if _, err := io.ReadFull(r, data); err != nil {
		return nil, err
	}
	return data, nil
}

// writeNew makes file name with data, then zeros up to size when that is
// larger.
func writeNew(fsys vfs.FS, name string, data []byte, perm fs.FileMode, size int64) error {
	f, err := fsys.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil && size > int64(len(data)) {
		err = f.Truncate(size)
	}
	if err1 := f.Close(); err == nil {
		err = err1
	}
	return err
}

// installCommands installs the host's commands that are missing (after a
// Load, a newer build may bring more).
func (b *Backend) installCommands() {
	t := b.host
	cmds := sortedKeys(b.opts.HostCommands)
	bins := map[string]bool{}
	for _, c := range cmds {
		bins[b.opts.HostCommands[c]] = true
	}
	for _, bin := range sortedKeys(bins) {
		p := "/usr/bin/" + bin
		if fi, err := t.Lstat(p); err == nil {
			// Older builds linked a command that is now a binary of its
			// own (the host's ip, iproute2's) to busybox: replace the link.
			target, _ := t.Readlink(p)
			if fi.Mode()&fs.ModeSymlink == 0 || bin == target || b.opts.HostCommands[bin] != bin || target != "busybox" {
				continue
			}
			t.Remove(p)
		}
		if err := vfs.WriteFile(t, p, simulatedBinary(bin, hostBinarySize), 0o755); err == nil {
			t.Chmod(p, 0o755)
		}
	}
	for _, c := range cmds {
		bin := b.opts.HostCommands[c]
		link := "/usr/bin/" + c
		if c == bin || path.Base(c) != c {
			continue
		}
		if _, err := t.Lstat(link); errors.Is(err, syscall.ENOENT) {
			t.Symlink(bin, link)
		}
	}
}
