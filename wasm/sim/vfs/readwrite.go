package vfs

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"syscall"
)

// ReadFile returns the content of the file name in fsys.
func ReadFile(fsys FS, name string) ([]byte, error) {
	f, err := fsys.OpenFile(name, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// WriteFile writes data to the file name in fsys, creating it with perm or
// truncating it first.
func WriteFile(fsys FS, name string, data []byte, perm fs.FileMode) error {
	f, err := fsys.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err1 := f.Close(); err == nil {
		err = err1
	}
	return err
}

// MkdirAll makes directory name and any missing parents with perm, like
// `mkdir -p`. An existing directory (or a symlink to one) is no error.
func MkdirAll(fsys FS, name string, perm fs.FileMode) error {
	fi, err := fsys.Stat(name)
	if err == nil {
		if fi.IsDir() {
			return nil
		}
		return &fs.PathError{Op: "mkdir", Path: name, Err: syscall.ENOTDIR}
	}
	if dir := path.Dir(trimSlash(name)); dir != "/" && dir != "." && dir != name {
		if err := MkdirAll(fsys, dir, perm); err != nil {
			return err
		}
	}
	err = fsys.Mkdir(name, perm)
	if errors.Is(err, syscall.EEXIST) {
		if fi, err1 := fsys.Stat(name); err1 == nil && fi.IsDir() {
			return nil
		}
	}
	return err
}

// RemoveAll removes name and, if it is a directory, everything in it, like
// `rm -rf`. A missing name is no error.
func RemoveAll(fsys FS, name string) error {
	fi, err := fsys.Lstat(name)
	if err != nil {
		if errors.Is(err, syscall.ENOENT) {
			return nil
		}
		return err
	}
	if fi.IsDir() {
		ents, err := fsys.ReadDir(name)
		if err != nil {
			return err
		}
		for _, e := range ents {
			if err := RemoveAll(fsys, path.Join(name, e.Name())); err != nil {
				return err
			}
		}
	}
	return fsys.Remove(name)
}

func trimSlash(name string) string {
	for len(name) > 1 && name[len(name)-1] == '/' {
		name = name[:len(name)-1]
	}
	return name
}
