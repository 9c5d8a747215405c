package cli

// docker cp, adapted from github.com/docker/cli/cli/command/container/cp.go
// (v28.2.2) and the copy rules of github.com/moby/go-archive (v0.1.0),
// Apache License 2.0. The client's files are reached through Options.Files,
// so that the simulated host's shell can copy too.

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	units "github.com/docker/go-units"
	"github.com/spf13/cobra"

	"github.com/twinbox-dev/twinbox/shared/api/client"
)

// CopyFiles are client files `docker cp` can write to, beside reading
// them as DirFiles. The operating system's files implement it.
type CopyFiles interface {
	DirFiles
	// Mkdir makes a directory with the given permissions (before umask).
	Mkdir(name string, perm fs.FileMode) error
	// WriteFile creates name, or truncates it, for writing; perm applies
	// to a new file.
	WriteFile(name string, perm fs.FileMode) (io.WriteCloser, error)
	// Symlink makes newname a symbolic link to oldname.
	Symlink(oldname, newname string) error
	// Link makes newname a hard link to oldname.
	Link(oldname, newname string) error
	// RemoveAll removes name and what it contains; a missing name is no
	// error.
	RemoveAll(name string) error
	// Chmod sets a file's mode.
	Chmod(name string, mode fs.FileMode) error
	// Chtimes sets a file's access and modification times.
	Chtimes(name string, atime, mtime time.Time) error
}

var _ CopyFiles = osFiles{}

func (osFiles) Mkdir(name string, perm fs.FileMode) error { return os.Mkdir(name, perm) }
func (osFiles) WriteFile(name string, perm fs.FileMode) (io.WriteCloser, error) {
	return os.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, perm)
}
func (osFiles) Symlink(oldname, newname string) error     { return os.Symlink(oldname, newname) }
func (osFiles) Link(oldname, newname string) error        { return os.Link(oldname, newname) }
func (osFiles) RemoveAll(name string) error               { return os.RemoveAll(name) }
func (osFiles) Chmod(name string, mode fs.FileMode) error { return os.Chmod(name, mode) }
func (osFiles) Chtimes(name string, atime, mtime time.Time) error {
	return os.Chtimes(name, atime, mtime)
}

// Errors of the copy rules, with go-archive's texts.
var (
	errCannotCopyDir = errors.New("cannot copy directory")
	errDirNotExists  = errors.New("no such directory")
	errNotDirectory  = errors.New("not a directory")
)

// copyInfo is one end of a copy, as go-archive's CopyInfo.
type copyInfo struct {
	Path       string
	Exists     bool
	IsDir      bool
	RebaseName string
}

func (c *dockerCLI) newCpCommand() *cobra.Command {
	var followLink, copyUIDGID, quiet bool
	cmd := &cobra.Command{
		Use: `cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-
	docker cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH`,
		Short: "Copy files/folders between a container and the local filesystem",
		Long: `Copy files/folders between a container and the local filesystem

Use '-' as the source to read a tar archive from stdin
and extract it to a directory destination in a container.
Use '-' as the destination to stream a tar archive of a
container source to stdout.`,
		Args: exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if args[0] == "" {
				return errors.New("source can not be empty")
			}
			if args[1] == "" {
				return errors.New("destination can not be empty")
			}
			if !cmd.Flag("quiet").Changed {
				quiet = !c.stdoutIsTerminal()
			}
			return c.runCopy(cmd.Context(), args[0], args[1], followLink, copyUIDGID, quiet)
		},
		Annotations: map[string]string{"aliases": "docker container cp, docker cp"},
	}
	flags := cmd.Flags()
	flags.BoolVarP(&followLink, "follow-link", "L", false, "Always follow symbol link in SRC_PATH")
	flags.BoolVarP(&copyUIDGID, "archive", "a", false, "Archive mode (copy all uid/gid information)")
	flags.BoolVarP(&quiet, "quiet", "q", false, "Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached")
	return cmd
}

type cpConfig struct {
	followLink, copyUIDGID, quiet bool
	sourcePath, destPath          string
	container                     string
}

func (c *dockerCLI) runCopy(ctx context.Context, source, destination string, followLink, copyUIDGID, quiet bool) error {
	srcContainer, srcPath := splitCpArg(source)
	destContainer, destPath := splitCpArg(destination)
	cfg := cpConfig{followLink: followLink, copyUIDGID: copyUIDGID, quiet: quiet, sourcePath: srcPath, destPath: destPath}
	switch {
	case srcContainer != "" && destContainer != "":
		return errors.New("copying between containers is not supported")
	case srcContainer != "":
		cfg.container = srcContainer
		return c.copyFromContainer(ctx, cfg)
	case destContainer != "":
		cfg.container = destContainer
		return c.copyToContainer(ctx, cfg)
	}
	return errors.New("must specify at least one container source")
}

// splitCpArg splits "CONTAINER:PATH"; an absolute path or one whose
// "container" starts with a dot is local.
func splitCpArg(arg string) (ctr, p string) {
	if strings.HasPrefix(arg, "/") {
		return "", arg
	}
	ctr, p, ok := strings.Cut(arg, ":")
	if !ok || strings.HasPrefix(ctr, ".") {
		return "", arg
	}
	return ctr, p
}

// resolveLocalPath makes p absolute, keeping a trailing "/" or "/.".
func (c *dockerCLI) resolveLocalPath(p string) (string, error) {
	abs, err := c.abs(p)
	if err != nil {
		return "", err
	}
	return preserveTrailingDotOrSeparator(abs, p), nil
}

func preserveTrailingDotOrSeparator(cleaned, original string) string {
	if specifiesCurrentDir(original) && !specifiesCurrentDir(cleaned) {
		if !strings.HasSuffix(cleaned, "/") {
			cleaned += "/"
		}
		cleaned += "."
	}
	if strings.HasSuffix(original, "/") && !strings.HasSuffix(cleaned, "/") {
		cleaned += "/"
	}
	return cleaned
}

func specifiesCurrentDir(p string) bool { return path.Base(p) == "." && strings.HasSuffix(p, ".") }

// splitPathDirEntry splits a path into its directory and the entry in it,
// keeping a final "." as the entry.
func splitPathDirEntry(p string) (dir, base string) {
	cleaned := path.Clean(p)
	if specifiesCurrentDir(p) {
		cleaned += "/."
	}
	return path.Dir(cleaned), path.Base(cleaned)
}

// getRebaseName is go-archive's: the name entries of a resolved path must
// take so that they keep the name the user asked for.
func getRebaseName(p, resolved string) (string, string) {
	var rebaseName string
	if specifiesCurrentDir(p) && !specifiesCurrentDir(resolved) {
		resolved += "/."
	}
	if strings.HasSuffix(p, "/") && !strings.HasSuffix(resolved, "/") {
		resolved += "/"
	}
	if path.Base(p) != path.Base(resolved) {
		rebaseName = path.Base(p)
	}
	return resolved, rebaseName
}

// stat follows symlinks, as os.Stat.
func stat(fsys DirFiles, p string) (fs.FileInfo, error) {
	r, err := evalSymlinks(fsys, p)
	if err != nil {
		return nil, err
	}
	return fsys.Lstat(r)
}

func pathError(op, p string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return &fs.PathError{Op: op, Path: p, Err: pe.Err}
	}
	return err
}

func (c *dockerCLI) copyFromContainer(ctx context.Context, cfg cpConfig) error {
	dstPath, srcPath := cfg.destPath, cfg.sourcePath
	fsys, _ := c.files().(DirFiles)
	if dstPath != "-" {
		var err error
		if dstPath, err = c.resolveLocalPath(dstPath); err != nil {
			return err
		}
		if fsys == nil {
			return errors.New("docker cp cannot reach this client's files")
		}
		if err := validateOutputPath(fsys, dstPath); err != nil {
			return err
		}
	}
	api, err := c.client()
	if err != nil {
		return err
	}
	var rebaseName string
	if cfg.followLink {
		st, err := api.ContainerStatPath(ctx, cfg.container, srcPath)
		if err == nil && st.Mode&os.ModeSymlink != 0 {
			target := st.LinkTarget
			if !path.IsAbs(target) {
				parent, _ := splitPathDirEntry(srcPath)
				target = path.Join(parent, target)
			}
			target, rebaseName = getRebaseName(srcPath, target)
			srcPath = target
		}
	}
	content, st, err := api.CopyFromContainer(ctx, cfg.container, srcPath)
	if err != nil {
		return err
	}
	defer content.Close()
	if dstPath == "-" {
		_, err = io.Copy(c.out, content)
		return err
	}
	wfs, ok := fsys.(CopyFiles)
	if !ok {
		return errors.New("docker cp cannot write to this client's files")
	}
	srcInfo := copyInfo{Path: srcPath, Exists: true, IsDir: st.Mode.IsDir(), RebaseName: rebaseName}
	var copied int64
	var r io.Reader = content
	if !cfg.quiet {
		r = &countingReader{r: content, n: &copied}
	}
	if srcInfo.RebaseName != "" {
		_, srcBase := splitPathDirEntry(srcInfo.Path)
		r = rebaseArchiveEntries(r, srcBase, srcInfo.RebaseName)
	}
	if cfg.quiet {
		return copyTo(wfs, r, srcInfo, dstPath)
	}
	stop := c.copyProgress("Copying from container - ", &copied)
	res := copyTo(wfs, r, srcInfo, dstPath)
	stop()
	fmt.Fprintln(c.err, "Successfully copied", units.HumanSizeWithPrecision(float64(copied), 3), "to", dstPath)
	return res
}

// validateOutputPath is docker's check of a local destination.
func validateOutputPath(fsys DirFiles, p string) error {
	dir := path.Dir(path.Clean(p))
	if dir != "" && dir != "." {
		if _, err := stat(fsys, dir); errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("invalid output path: directory %q does not exist", dir)
		}
	}
	fi, err := stat(fsys, p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.Mode().IsDir() || fi.Mode().IsRegular() {
		return nil
	}
	if err := validateOutputPathFileMode(fi.Mode()); err != nil {
		return fmt.Errorf("invalid output path: %q must be a directory or a regular file: %w", p, err)
	}
	return nil
}

func validateOutputPathFileMode(m fs.FileMode) error {
	switch {
	case m&os.ModeDevice != 0:
		return errors.New("got a device")
	case m&os.ModeIrregular != 0:
		return errors.New("got an irregular file")
	}
	return nil
}

func (c *dockerCLI) copyToContainer(ctx context.Context, cfg cpConfig) error {
	srcPath, dstPath := cfg.sourcePath, cfg.destPath
	if srcPath != "-" {
		var err error
		if srcPath, err = c.resolveLocalPath(srcPath); err != nil {
			return err
		}
	}
	api, err := c.client()
	if err != nil {
		return err
	}
	dstInfo := copyInfo{Path: dstPath}
	dstStat, err := api.ContainerStatPath(ctx, cfg.container, dstPath)
	if err == nil && dstStat.Mode&os.ModeSymlink != 0 {
		target := dstStat.LinkTarget
		if !path.IsAbs(target) {
			parent, _ := splitPathDirEntry(dstPath)
			target = path.Join(parent, target)
		}
		dstInfo.Path = target
		dstStat, err = api.ContainerStatPath(ctx, cfg.container, target)
	}
	if verr := validateOutputPathFileMode(dstStat.Mode); verr != nil {
		return fmt.Errorf(`destination "%s:%s" must be a directory or a regular file: %w`, cfg.container, dstPath, verr)
	}
	if err == nil {
		dstInfo.Exists, dstInfo.IsDir = true, dstStat.Mode.IsDir()
	}
	var (
		content     io.Reader
		resolvedDst string
		copied      int64
	)
	if srcPath == "-" {
		content = c.in
		resolvedDst = dstInfo.Path
		if !dstInfo.IsDir {
			return fmt.Errorf("destination \"%s:%s\" must be a directory", cfg.container, dstPath)
		}
	} else {
		fsys, ok := c.files().(DirFiles)
		if !ok {
			return errors.New("docker cp cannot reach this client's files")
		}
		srcInfo, err := copyInfoSourcePath(fsys, srcPath, cfg.followLink)
		if err != nil {
			return err
		}
		archive, err := tarResource(fsys, srcInfo)
		if err != nil {
			return err
		}
		dstDir, prepared, err := prepareArchiveCopy(archive, srcInfo, dstInfo)
		if err != nil {
			return err
		}
		resolvedDst = dstDir
		content = prepared
		if !cfg.quiet {
			content = &countingReader{r: content, n: &copied}
		}
	}
	opts := client.CopyToContainerOptions{CopyUIDGID: cfg.copyUIDGID}
	if cfg.quiet {
		return api.CopyToContainer(ctx, cfg.container, resolvedDst, content, opts)
	}
	stop := c.copyProgress("Copying to container - ", &copied)
	res := api.CopyToContainer(ctx, cfg.container, resolvedDst, content, opts)
	stop()
	fmt.Fprintln(c.err, "Successfully copied", units.HumanSizeWithPrecision(float64(copied), 3), "to", cfg.container+":"+dstInfo.Path)
	return res
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n *int64
}

func (cr *countingReader) Read(p []byte) (int, error) {
	n, err := cr.r.Read(p)
	atomic.AddInt64(cr.n, int64(n))
	return n, err
}

// copyProgress shows the bytes copied so far on a terminal, as docker's
// copyProgress does, until stop is called.
func (c *dockerCLI) copyProgress(header string, total *int64) (stop func()) {
	if !c.stdoutIsTerminal() {
		return func() {}
	}
	const (
		save, restore, hide, show = "\x1b7", "\x1b8", "\x1b[?25l", "\x1b[?25h"
		eraseLine, eraseTail      = "\x1b[2K", "\x1b[0K"
	)
	dst := c.err
	fmt.Fprint(dst, save)
	fmt.Fprint(dst, "Preparing to copy...")
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		fmt.Fprint(dst, hide)
		defer fmt.Fprint(dst, show)
		fmt.Fprint(dst, restore, eraseLine, header)
		var last int64
		fmt.Fprint(dst, units.HumanSizeWithPrecision(0, 3))
		ticker := time.NewTicker(75 * time.Millisecond)
		defer ticker.Stop()
		var buf bytes.Buffer
		for {
			select {
			case <-done:
				return
			case <-ticker.C:
				n := atomic.LoadInt64(total)
				if n == last {
					continue
				}
				fmt.Fprintf(&buf, "\x1b[%dG", len(header)+1)
				fmt.Fprint(&buf, eraseTail, units.HumanSizeWithPrecision(float64(n), 3))
				_, _ = buf.WriteTo(dst)
				last += n
			}
		}
	}()
	return func() {
		close(done)
		<-finished
		fmt.Fprint(dst, restore, eraseLine)
	}
}

// copyInfoSourcePath is go-archive's CopyInfoSourcePath on fsys.
func copyInfoSourcePath(fsys DirFiles, p string, followLink bool) (copyInfo, error) {
	var resolved, rebaseName string
	if followLink {
		r, err := evalSymlinks(fsys, p)
		if err != nil {
			return copyInfo{}, pathError("lstat", p, err)
		}
		resolved, rebaseName = getRebaseName(p, r)
	} else {
		dir, base := path.Split(p)
		rdir, err := evalSymlinks(fsys, dir)
		if err != nil {
			return copyInfo{}, pathError("lstat", p, err)
		}
		resolved = strings.TrimSuffix(rdir, "/") + "/" + base
		if strings.HasSuffix(p, "/") && path.Base(p) != path.Base(resolved) {
			rebaseName = path.Base(p)
		}
	}
	fi, err := fsys.Lstat(resolved)
	if err != nil {
		return copyInfo{}, pathError("lstat", resolved, err)
	}
	return copyInfo{Path: resolved, Exists: true, IsDir: fi.IsDir(), RebaseName: rebaseName}, nil
}

// tarResource is go-archive's TarResourceRebase on fsys: a tar of the
// source named after its base (or its rebase name), directories walked in
// name order.
func tarResource(fsys DirFiles, src copyInfo) (io.Reader, error) {
	p := src.Path
	if _, err := fsys.Lstat(strings.TrimSuffix(p, "/.")); err != nil {
		return nil, pathError("lstat", p, err)
	}
	dir, base := splitPathDirEntry(p)
	pr, pw := io.Pipe()
	go func() {
		tw := tar.NewWriter(pw)
		err := tarWalk(fsys, tw, dir, base, src.RebaseName)
		if cerr := tw.Close(); err == nil {
			err = cerr
		}
		pw.CloseWithError(err)
	}()
	return pr, nil
}

func tarWalk(fsys DirFiles, tw *tar.Writer, dir, include, rebaseName string) error {
	root := path.Join(dir, include)
	var walk func(abs, rel string) error
	walk = func(abs, rel string) error {
		fi, err := fsys.Lstat(abs)
		if err != nil {
			return nil // go-archive logs and goes on
		}
		name := rel
		if include == "." && rel != "." {
			name = "./" + rel
		}
		if rebaseName != "" {
			repl := rebaseName
			if rebaseName == "/" {
				repl = ""
			}
			name = strings.Replace(name, include, repl, 1)
		}
		if err := addTarEntry(fsys, tw, abs, name, fi); err != nil {
			return err
		}
		if !fi.IsDir() {
			return nil
		}
		entries, err := fsys.ReadDir(abs)
		if err != nil {
			return nil
		}
		for _, e := range entries {
			childRel := path.Join(rel, e.Name())
			if rel == "." {
				childRel = e.Name()
			}
			if err := walk(path.Join(abs, e.Name()), childRel); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(root, include)
}

func addTarEntry(fsys DirFiles, tw *tar.Writer, abs, name string, fi fs.FileInfo) error {
	var link string
	if fi.Mode()&fs.ModeSymlink != 0 {
		l, err := fsys.Readlink(abs)
		if err != nil {
			return err
		}
		link = l
	}
	hdr, err := tar.FileInfoHeader(fi, link)
	if err != nil {
		return err
	}
	hdr.Format = tar.FormatPAX
	hdr.ModTime = hdr.ModTime.Truncate(time.Second)
	hdr.AccessTime, hdr.ChangeTime = time.Time{}, time.Time{}
	hdr.Uname, hdr.Gname = "", ""
	hdr.Name = name
	if fi.IsDir() && !strings.HasSuffix(name, "/") {
		hdr.Name += "/"
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if hdr.Typeflag != tar.TypeReg || hdr.Size == 0 {
		return nil
	}
	f, err := fsys.Open(abs)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(tw, f)
	return err
}

// prepareArchiveCopy is go-archive's PrepareArchiveCopy: where to extract
// the source's tar, renamed for the destination.
func prepareArchiveCopy(content io.Reader, src, dst copyInfo) (string, io.Reader, error) {
	dstDir, dstBase := splitPathDirEntry(dst.Path)
	_, srcBase := splitPathDirEntry(src.Path)
	if src.RebaseName != "" {
		srcBase = src.RebaseName
	}
	switch {
	case dst.Exists && dst.IsDir:
		return dst.Path, content, nil
	case dst.Exists && src.IsDir:
		return "", nil, errCannotCopyDir
	case dst.Exists, src.IsDir:
		return dstDir, rebaseArchiveEntries(content, srcBase, dstBase), nil
	case strings.HasSuffix(dst.Path, "/") || specifiesCurrentDir(dst.Path):
		return "", nil, errDirNotExists
	}
	return dstDir, rebaseArchiveEntries(content, srcBase, dstBase), nil
}

// rebaseArchiveEntries renames entries as go-archive does: the first
// occurrence of oldBase in each name (and hard link target) becomes
// newBase.
func rebaseArchiveEntries(content io.Reader, oldBase, newBase string) io.Reader {
	if oldBase == "/" {
		oldBase = ""
	}
	pr, pw := io.Pipe()
	go func() {
		tr := tar.NewReader(content)
		tw := tar.NewWriter(pw)
		for {
			hdr, err := tr.Next()
			if err == io.EOF {
				pw.CloseWithError(tw.Close())
				return
			}
			if err != nil {
				pw.CloseWithError(err)
				return
			}
			hdr.Format = tar.FormatPAX
			hdr.Name = strings.Replace(hdr.Name, oldBase, newBase, 1)
			if hdr.Typeflag == tar.TypeLink {
				hdr.Linkname = strings.Replace(hdr.Linkname, oldBase, newBase, 1)
			}
			if err := tw.WriteHeader(hdr); err != nil {
				pw.CloseWithError(err)
				return
			}
			if _, err := io.Copy(tw, tr); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
	}()
	return pr
}

// copyTo is go-archive's CopyTo: it extracts a container's tar at dstPath
// of the client's files.
func copyTo(fsys CopyFiles, content io.Reader, src copyInfo, dstPath string) error {
	dst, err := copyInfoDestinationPath(fsys, dstPath)
	if err != nil {
		return err
	}
	dstDir, archive, err := prepareArchiveCopy(content, src, dst)
	if err != nil {
		return err
	}
	return untar(fsys, archive, dstDir)
}

func copyInfoDestinationPath(fsys CopyFiles, p string) (copyInfo, error) {
	original := p
	fi, err := fsys.Lstat(p)
	if err == nil && fi.Mode()&fs.ModeSymlink == 0 {
		return copyInfo{Path: p, Exists: true, IsDir: fi.IsDir()}, nil
	}
	for n := 0; err == nil && fi.Mode()&fs.ModeSymlink != 0; n++ {
		if n > 10 {
			return copyInfo{}, errors.New("too many symlinks in " + original)
		}
		target, rerr := fsys.Readlink(p)
		if rerr != nil {
			return copyInfo{}, rerr
		}
		if !path.IsAbs(target) {
			parent, _ := splitPathDirEntry(p)
			target = path.Join(parent, target)
		}
		p = target
		fi, err = fsys.Lstat(p)
	}
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			return copyInfo{}, err
		}
		parent, _ := splitPathDirEntry(p)
		pfi, err := stat(fsys, parent)
		if err != nil {
			return copyInfo{}, pathError("stat", parent, err)
		}
		if !pfi.IsDir() {
			return copyInfo{}, errNotDirectory
		}
		return copyInfo{Path: p}, nil
	}
	return copyInfo{Path: p, Exists: true, IsDir: fi.IsDir()}, nil
}

// untar is go-archive's Untar with NoLchown and NoOverwriteDirNonDir, on
// fsys.
func untar(fsys CopyFiles, content io.Reader, dest string) error {
	dest = path.Clean(dest)
	tr := tar.NewReader(content)
	var dirs []*tar.Header
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		hdr.Name = path.Clean(hdr.Name)
		p := path.Join(dest, hdr.Name)
		if !within(p, dest) || throughSymlink(fsys, dest, hdr.Name) {
			return fmt.Errorf("%q is outside of %q", hdr.Name, dest)
		}
		if !strings.HasSuffix(hdr.Name, "/") {
			parent := path.Join(dest, path.Dir(hdr.Name))
			if _, err := fsys.Lstat(parent); errors.Is(err, fs.ErrNotExist) {
				if err := mkdirAll(fsys, parent, 0o755); err != nil {
					return err
				}
			}
		}
		if fi, err := fsys.Lstat(p); err == nil {
			if fi.IsDir() && hdr.Typeflag != tar.TypeDir {
				return fmt.Errorf("cannot overwrite directory %q with non-directory %q", p, dest)
			}
			if !fi.IsDir() && hdr.Typeflag == tar.TypeDir {
				return fmt.Errorf("cannot overwrite non-directory %q with directory %q", p, dest)
			}
			if fi.IsDir() && hdr.Name == "." {
				continue
			}
			if !fi.IsDir() || hdr.Typeflag != tar.TypeDir {
				if err := fsys.RemoveAll(p); err != nil {
					return err
				}
			}
		}
		if err := createTarFile(fsys, p, dest, hdr, tr); err != nil {
			return err
		}
		if hdr.Typeflag == tar.TypeDir {
			dirs = append(dirs, hdr)
		}
	}
	for _, hdr := range dirs {
		if err := fsys.Chtimes(path.Join(dest, hdr.Name), hdr.ModTime, hdr.ModTime); err != nil {
			return err
		}
	}
	return nil
}

// within reports whether p is dir or below it.
func within(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, strings.TrimSuffix(dir, "/")+"/")
}

// throughSymlink reports whether a directory on the way from dest to name
// (relative to it) is a symlink: go-archive trusts the engine's tars not to
// write through one; twinbox's CLI does not, so that no tar can write
// outside the destination.
func throughSymlink(fsys CopyFiles, dest, name string) bool {
	cur := dest
	parts := strings.Split(name, "/")
	for _, el := range parts[:len(parts)-1] {
		if el == "" || el == "." {
			continue
		}
		cur = path.Join(cur, el)
		fi, err := fsys.Lstat(cur)
		if err != nil {
			return false // made as a directory on the way
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return true
		}
	}
	return false
}

func mkdirAll(fsys CopyFiles, p string, perm fs.FileMode) error {
	if fi, err := fsys.Lstat(p); err == nil {
		if fi.IsDir() {
			return nil
		}
		return &fs.PathError{Op: "mkdir", Path: p, Err: errNotDirectory}
	}
	if parent := path.Dir(p); parent != p {
		if err := mkdirAll(fsys, parent, perm); err != nil {
			return err
		}
	}
	return fsys.Mkdir(p, perm)
}

func createTarFile(fsys CopyFiles, p, dest string, hdr *tar.Header, r io.Reader) error {
	mode := hdr.FileInfo().Mode()
	switch hdr.Typeflag {
	case tar.TypeDir:
		if fi, err := fsys.Lstat(p); err != nil || !fi.IsDir() {
			if err := fsys.Mkdir(p, mode.Perm()); err != nil {
				return err
			}
		}
	case tar.TypeReg:
		w, err := fsys.WriteFile(p, mode.Perm())
		if err != nil {
			return err
		}
		if _, err := io.Copy(w, r); err != nil {
			w.Close()
			return err
		}
		if err := w.Close(); err != nil {
			return err
		}
	case tar.TypeLink:
		target := path.Join(dest, hdr.Linkname)
		if !within(target, dest) {
			return fmt.Errorf("invalid hardlink %q -> %q", target, hdr.Linkname)
		}
		if err := fsys.Link(target, p); err != nil {
			return err
		}
	case tar.TypeSymlink:
		target := path.Join(path.Dir(p), hdr.Linkname)
		if !within(target, dest) {
			return fmt.Errorf("invalid symlink %q -> %q", p, hdr.Linkname)
		}
		return fsys.Symlink(hdr.Linkname, p)
	default:
		// Devices and fifos need privileges the client has not; docker
		// fails on them too, without them only being skipped.
		return fmt.Errorf("unhandled tar header type %d", hdr.Typeflag)
	}
	if err := fsys.Chmod(p, mode); err != nil {
		return err
	}
	if hdr.Typeflag != tar.TypeDir {
		return fsys.Chtimes(p, hdr.ModTime, hdr.ModTime)
	}
	return nil
}

func (c *dockerCLI) newExportCommand() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "export [OPTIONS] CONTAINER",
		Short: "Export a container's filesystem as a tar archive",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			// As docker's atomic writer, the file is made (mode 0600)
			// before the engine is asked.
			w := c.out
			if output == "" {
				if c.stdoutIsTerminal() {
					return errors.New("cowardly refusing to save to a terminal. Use the -o flag or redirect")
				}
			} else {
				var f io.WriteCloser
				var err error
				if df, ok := c.files().(DirFiles); ok {
					if dir := path.Dir(output); dir != "." {
						abs, aerr := c.abs(dir)
						if _, serr := stat(df, abs); aerr == nil && errors.Is(serr, fs.ErrNotExist) {
							return fmt.Errorf("failed to export container: invalid output path: %w", &fs.PathError{Op: "stat", Path: dir, Err: syscall.ENOENT})
						}
					}
				}
				if cf, ok := c.files().(CopyFiles); ok {
					f, err = cf.WriteFile(output, 0o600)
				} else {
					f, err = c.files().Create(output)
				}
				if err != nil {
					return fmt.Errorf("failed to export container: %w", err)
				}
				defer f.Close()
				w = f
			}
			api, err := c.client()
			if err != nil {
				return err
			}
			body, err := api.ContainerExport(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			defer body.Close()
			_, err = io.Copy(w, body)
			return err
		},
		Annotations: map[string]string{"aliases": "docker container export, docker export"},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "Write to a file, instead of STDOUT")
	return cmd
}
