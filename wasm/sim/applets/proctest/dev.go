package proctest

import (
	"io"
	"io/fs"

	"github.com/twinbox-dev/twinbox/wasm/sim/vfs"
)

// WithDevices wraps fsys so that its character devices 1,3 and 1,5 behave
// as /dev/null and /dev/zero: the kernel's device drivers, in small.
func WithDevices(fsys vfs.FS) vfs.FS { return devFS{fsys} }

type devFS struct{ vfs.FS }

func (d devFS) OpenFile(name string, flag int, perm fs.FileMode) (vfs.File, error) {
	if fi, err := d.FS.Stat(name); err == nil && fi.Mode()&fs.ModeCharDevice != 0 {
		switch vfs.StatOf(fi).Rdev {
		case 1<<8 | 3:
			return &devFile{name: name, fi: fi}, nil
		case 1<<8 | 5:
			return &devFile{name: name, fi: fi, zero: true}, nil
		}
	}
	return d.FS.OpenFile(name, flag, perm)
}

// devFile is an open /dev/null or /dev/zero.
type devFile struct {
	name string
	fi   fs.FileInfo
	zero bool
}

func (f *devFile) Read(b []byte) (int, error) {
	if !f.zero {
		return 0, io.EOF
	}
	clear(b)
	return len(b), nil
}
func (f *devFile) ReadAt(b []byte, off int64) (int, error) { return f.Read(b) }
func (f *devFile) Write(b []byte) (int, error)             { return len(b), nil }
func (f *devFile) Seek(int64, int) (int64, error)          { return 0, nil }
func (f *devFile) Close() error                            { return nil }
func (f *devFile) Stat() (fs.FileInfo, error)              { return f.fi, nil }
func (f *devFile) Truncate(int64) error                    { return nil }
func (f *devFile) Name() string                            { return f.name }
