package sim

import (
	"io"
	"io/fs"
	"os"

	"github.com/twinbox-dev/twinbox/wasm/sim/kernel"
	"github.com/twinbox-dev/twinbox/wasm/sim/vfs"
)

// What "allocating memory" means in the simulator: its programs have a
// fixed resident size each, so the one way a container grows its memory
// is by keeping data in RAM-backed files, its tmpfs mounts (/dev/shm,
// --tmpfs). Linux charges those pages to the memory cgroup of the process
// that wrote them and cannot reclaim them without swap, so
//
//	docker run -m 8m --memory-swap 8m busybox dd if=/dev/zero of=/dev/shm/f bs=1M count=16
//
// is OOM-killed on a real kernel and here alike: exit 137, OOMKilled true.

// chargedFS is a container's tmpfs: the bytes its regular files grow by
// are charged to the container's cgroup (kernel.Cgroup.Charge), and those
// they shrink by, or that removing them frees, uncharged.
type chargedFS struct {
	vfs.FS
	cg func() *kernel.Cgroup // nil until the sandbox has its cgroup
}

func (c chargedFS) charge(delta int64) error {
	if delta == 0 {
		return nil
	}
	if cg := c.cg(); cg != nil {
		return cg.Charge(delta)
	}
	return nil
}

// regularSize is the size of name when it is a regular file with no other
// link, else 0: what removing or replacing it frees.
func (c chargedFS) regularSize(name string) int64 {
	fi, err := c.FS.Lstat(name)
	if err != nil || !fi.Mode().IsRegular() {
		return 0
	}
	if st, ok := fi.Sys().(*vfs.Stat); ok && st.Nlink > 1 {
		return 0
	}
	return fi.Size()
}

func (c chargedFS) OpenFile(name string, flag int, perm fs.FileMode) (vfs.File, error) {
	var before int64
	if flag&os.O_TRUNC != 0 && flag&(os.O_WRONLY|os.O_RDWR) != 0 {
		before = c.regularSize(name)
	}
	f, err := c.FS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	c.charge(-before)
	if flag&(os.O_WRONLY|os.O_RDWR) == 0 {
		return f, nil
	}
	return &chargedFile{File: f, fs: c, appends: flag&os.O_APPEND != 0}, nil
}

func (c chargedFS) Remove(name string) error {
	size := c.regularSize(name)
	if err := c.FS.Remove(name); err != nil {
		return err
	}
	return c.charge(-size)
}

func (c chargedFS) Rename(oldname, newname string) error {
	size := c.regularSize(newname)
	if err := c.FS.Rename(oldname, newname); err != nil {
		return err
	}
	return c.charge(-size)
}

// chargedFile is a file of a chargedFS open for writing.
type chargedFile struct {
	vfs.File
	fs      chargedFS
	appends bool
}

// growth is how many bytes writing n bytes at the file's offset adds.
func (f *chargedFile) growth(n int64) int64 {
	fi, err := f.File.Stat()
	if err != nil {
		return 0
	}
	pos := fi.Size()
	if !f.appends {
		if pos, err = f.File.Seek(0, io.SeekCurrent); err != nil {
			return 0
		}
	}
	return max(0, pos+n-fi.Size())
}

func (f *chargedFile) Write(b []byte) (int, error) {
	grow := f.growth(int64(len(b)))
	if err := f.fs.charge(grow); err != nil {
		return 0, err
	}
	n, err := f.File.Write(b)
	if n < len(b) {
		f.fs.charge(-min(grow, int64(len(b)-n)))
	}
	return n, err
}

func (f *chargedFile) Truncate(size int64) error {
	fi, err := f.File.Stat()
	if err != nil {
		return err
	}
	if err := f.fs.charge(size - fi.Size()); err != nil {
		return err
	}
	return f.File.Truncate(size)
}
