package buildcontext

// Write follows docker CLI 28.2.2's context handling (cli/command/image/build
// and github.com/moby/go-archive v0.1.0's TarWithOptions), Apache License
// 2.0.

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// FS is the client's filesystem as `docker build` reads a context folder
// from it. Names are absolute, slash-separated paths. The simulator's host
// and the real one each provide one.
type FS interface {
	// Lstat describes name without following a final symlink.
	Lstat(name string) (fs.FileInfo, error)
	// ReadDir lists a directory's entries sorted by name.
	ReadDir(name string) ([]fs.DirEntry, error)
	// Readlink returns a symlink's target.
	Readlink(name string) (string, error)
	// Open opens a file for reading.
	Open(name string) (io.ReadCloser, error)
}

// ReadDockerignore reads dir/.dockerignore and returns its patterns, none
// when the file is absent. Errors: "error reading .dockerignore: ..."
func ReadDockerignore(fsys FS, dir string) ([]string, error) {
	f, err := fsys.Open(path.Join(dir, ".dockerignore"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("error reading .dockerignore: %w", err)
	}
	return patterns, nil
}

// ParseDockerignore reads .dockerignore content.
func ParseDockerignore(r io.Reader) ([]string, error) {
	return ignorefile.ReadAll(r)
}

// TrimBuildFilesFromExcludes keeps .dockerignore and the Dockerfile
// (relative to the context, slash-separated) in the context even when
// excluded: the daemon removes them after reading them.
func TrimBuildFilesFromExcludes(excludes []string, dockerfile string, dockerfileFromStdin bool) []string {
	if keep, _ := patternmatcher.Matches(".dockerignore", excludes); keep {
		excludes = append(excludes, "!.dockerignore")
	}
	if keep, _ := patternmatcher.Matches(dockerfile, excludes); keep && !dockerfileFromStdin {
		excludes = append(excludes, "!"+dockerfile)
	}
	return excludes
}

// Matches reports whether a context-relative path is excluded by the
// patterns, as dockerd does when deciding to drop the Dockerfile or
// .dockerignore from a received context.
func Matches(file string, patterns []string) bool {
	m, _ := patternmatcher.Matches(file, patterns)
	return m
}

// ValidateDir checks, as docker CLI's ValidateContextDirectory does, that
// everything the context will hold can be read: "can't stat '%s'",
// "file ('%s') not found or excluded by .dockerignore", "no permission to
// read from '%s'".
func ValidateDir(fsys FS, dir string, excludes []string) error {
	pm, err := patternmatcher.New(excludes)
	if err != nil {
		return err
	}
	return walk(fsys, dir, func(p, rel string, fi fs.FileInfo, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrPermission) {
				return fmt.Errorf("can't stat '%s'", p)
			}
			if errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("file ('%s') not found or excluded by .dockerignore", p)
			}
			return err
		}
		if rel != "." {
			skip, err := pm.MatchesOrParentMatches(rel)
			if err != nil {
				return err
			}
			if skip {
				if fi.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
		}
		if fi.Mode()&(fs.ModeSymlink|fs.ModeNamedPipe) != 0 || fi.IsDir() {
			return nil
		}
		f, err := fsys.Open(p)
		if err != nil {
			if errors.Is(err, fs.ErrPermission) {
				return fmt.Errorf("no permission to read from '%s'", p)
			}
			return nil
		}
		f.Close()
		return nil
	})
}

// walkFunc is called for each path of a walk with its path relative to the
// walk's root ("." for the root). Returning fs.SkipDir on a directory skips
// its content.
type walkFunc func(p, rel string, fi fs.FileInfo, err error) error

// walk walks dir as filepath.Walk does: depth first, a directory's entries
// in name order, symlinks not followed.
func walk(fsys FS, dir string, fn walkFunc) error {
	fi, err := fsys.Lstat(dir)
	if err != nil {
		return fn(dir, ".", nil, err)
	}
	err = walkDir(fsys, dir, ".", fi, fn)
	if err == fs.SkipDir {
		return nil
	}
	return err
}

func walkDir(fsys FS, p, rel string, fi fs.FileInfo, fn walkFunc) error {
	if err := fn(p, rel, fi, nil); err != nil || !fi.IsDir() {
		return err
	}
	ents, err := fsys.ReadDir(p)
	if err != nil {
		if err := fn(p, rel, fi, err); err != nil && err != fs.SkipDir {
			return err
		}
		return nil
	}
	for _, ent := range ents {
		cp := path.Join(p, ent.Name())
		crel := path.Join(rel, ent.Name())
		cfi, err := fsys.Lstat(cp)
		if err != nil {
			if err := fn(cp, crel, nil, err); err != nil && err != fs.SkipDir {
				return err
			}
			continue
		}
		if err := walkDir(fsys, cp, crel, cfi, fn); err != nil {
			if err == fs.SkipDir && cfi.IsDir() {
				continue
			}
			return err
		}
	}
	return nil
}

// Write writes the context tar of folder dir as docker CLI 28 does for a
// local context: entries in walk order, named relative to dir, the
// excluded ones left out (a directory is still walked when an exception
// pattern may re-include something in it), modes with the permission and
// special bits only, owner 0:0 without names, times truncated to the
// second, no access or change times, sockets left out. The tarsums dockerd
// computes, and so COPY's history hashes, depend on these bytes.
func Write(w io.Writer, fsys FS, dir string, excludes []string) error {
	pm, err := patternmatcher.New(excludes)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(w)
	type parent struct {
		rel  string
		info patternmatcher.MatchInfo
	}
	var parents []parent
	err = walk(fsys, dir, func(p, rel string, fi fs.FileInfo, err error) error {
		if err != nil {
			return nil // go-archive logs and goes on
		}
		if rel == "." {
			return nil
		}
		for len(parents) > 0 && !strings.HasPrefix(rel, parents[len(parents)-1].rel+"/") {
			parents = parents[:len(parents)-1]
		}
		var pinfo patternmatcher.MatchInfo
		if len(parents) > 0 {
			pinfo = parents[len(parents)-1].info
		}
		skip, info, err := pm.MatchesUsingParentResults(rel, pinfo)
		if err != nil {
			return err
		}
		if fi.IsDir() {
			parents = append(parents, parent{rel, info})
		}
		if skip {
			if !fi.IsDir() {
				return nil
			}
			if !pm.Exclusions() {
				return fs.SkipDir
			}
			for _, pat := range pm.Patterns() {
				if pat.Exclusion() && strings.HasPrefix(pat.String()+"/", rel+"/") {
					return nil
				}
			}
			return fs.SkipDir
		}
		return addFile(tw, fsys, p, rel, fi)
	})
	if err != nil {
		return err
	}
	return tw.Close()
}

// addFile writes one entry as go-archive's addTarFile with ChownOpts 0:0.
func addFile(tw *tar.Writer, fsys FS, p, rel string, fi fs.FileInfo) error {
	m := fi.Mode()
	hdr := &tar.Header{
		Name:    rel,
		Mode:    int64(m.Perm()),
		ModTime: fi.ModTime().Truncate(time.Second),
		Format:  tar.FormatPAX,
	}
	if m&fs.ModeSetuid != 0 {
		hdr.Mode |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		hdr.Mode |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		hdr.Mode |= 0o1000
	}
	switch {
	case m.IsRegular():
		hdr.Typeflag = tar.TypeReg
		hdr.Size = fi.Size()
	case m.IsDir():
		hdr.Typeflag = tar.TypeDir
		hdr.Name += "/"
	case m&fs.ModeSymlink != 0:
		hdr.Typeflag = tar.TypeSymlink
		link, err := fsys.Readlink(p)
		if err != nil {
			return nil
		}
		hdr.Linkname = link
	case m&fs.ModeNamedPipe != 0:
		hdr.Typeflag = tar.TypeFifo
	case m&fs.ModeCharDevice != 0:
		hdr.Typeflag = tar.TypeChar
	case m&fs.ModeDevice != 0:
		hdr.Typeflag = tar.TypeBlock
	default:
		return nil // sockets: "archive/tar: sockets not supported", skipped
	}
	if hdr.Typeflag != tar.TypeReg {
		return tw.WriteHeader(hdr)
	}
	f, err := fsys.Open(p)
	if err != nil {
		return nil
	}
	defer f.Close()
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	n, err := io.Copy(tw, io.LimitReader(f, hdr.Size))
	if err != nil {
		return err
	}
	if n < hdr.Size {
		// The file shrank while being read: pad, as the size is written.
		if _, err := io.CopyN(tw, zeros{}, hdr.Size-n); err != nil {
			return err
		}
	}
	return nil
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
