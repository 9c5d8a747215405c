package kernel

import (
	"context"
	"crypto/rand"
	"io"
	"io/fs"
	"os"
	"syscall"

	"github.com/twinbox-dev/twinbox/wasm/sim/vfs"
)

// Mkdev makes a device number from its major and minor numbers, as glibc's
// makedev does.
func Mkdev(major, minor uint32) uint64 {
	ma, mi := uint64(major), uint64(minor)
	return mi&0xff | (ma&0xfff)<<8 | (mi&^0xff)<<12 | (ma&^0xfff)<<32
}

// Device numbers of the character devices the kernel drives.
var (
	DevNull    = Mkdev(1, 3)
	DevZero    = Mkdev(1, 5)
	DevFull    = Mkdev(1, 7)
	DevRandom  = Mkdev(1, 8)
	DevURandom = Mkdev(1, 9)
	DevTTY     = Mkdev(5, 0)
	DevConsole = Mkdev(5, 1)
	DevPtmx    = Mkdev(5, 2)
)

// Devices returns the drivers of a mount namespace's device nodes, to
// install with vfs.Namespace.SetDevices: /dev/null, /dev/zero, /dev/full,
// /dev/random and /dev/urandom, and /dev/tty and /dev/console, which are
// console's slave side (ENXIO when console returns nil: a container
// without a terminal).
func (k *Kernel) Devices(console func() *PTY) vfs.DeviceOpener {
	return func(name string, fi fs.FileInfo, flag int) (vfs.File, error) {
		if fi.Mode()&fs.ModeCharDevice == 0 {
			return nil, &fs.PathError{Op: "open", Path: name, Err: syscall.ENXIO}
		}
		var d device
		switch vfs.StatOf(fi).Rdev {
		case DevNull:
			d = nullDev{}
		case DevZero:
			d = zeroDev{}
		case DevFull:
			d = fullDev{}
		case DevRandom, DevURandom:
			d = randomDev{}
		case DevTTY, DevConsole:
			var t *PTY
			if console != nil {
				t = console()
			}
			if t == nil {
				return nil, &fs.PathError{Op: "open", Path: name, Err: syscall.ENXIO}
			}
			d = ttyDev{t.slave}
		default:
			return nil, &fs.PathError{Op: "open", Path: name, Err: syscall.ENXIO}
		}
		return &devFile{name: name, fi: fi, flag: flag, d: d}, nil
	}
}

type device interface {
	io.Reader
	io.Writer
}

type nullDev struct{}

func (nullDev) Read([]byte) (int, error)    { return 0, io.EOF }
func (nullDev) Write(b []byte) (int, error) { return len(b), nil }

type zeroDev struct{}

func (zeroDev) Read(b []byte) (int, error)  { clear(b); return len(b), nil }
func (zeroDev) Write(b []byte) (int, error) { return len(b), nil }

type fullDev struct{}

func (fullDev) Read(b []byte) (int, error) { clear(b); return len(b), nil }
func (fullDev) Write([]byte) (int, error)  { return 0, syscall.ENOSPC }

type randomDev struct{}

func (randomDev) Read(b []byte) (int, error)  { return rand.Read(b) }
func (randomDev) Write(b []byte) (int, error) { return len(b), nil }

type ttyDev struct{ s *ptySlave }

func (t ttyDev) Read(b []byte) (int, error)  { return t.s.Read(b) }
func (t ttyDev) Write(b []byte) (int, error) { return t.s.Write(b) }

// devFile is an open device node.
type devFile struct {
	name string
	fi   fs.FileInfo
	flag int
	d    device
}

func (f *devFile) Name() string               { return f.name }
func (f *devFile) Stat() (fs.FileInfo, error) { return f.fi, nil }
func (f *devFile) Close() error               { return nil }
func (f *devFile) Truncate(int64) error       { return nil }
func (f *devFile) Seek(int64, int) (int64, error) {
	return 0, nil
}

func (f *devFile) Read(b []byte) (int, error) {
	if f.flag&(os.O_WRONLY|os.O_RDWR) == os.O_WRONLY {
		return 0, &fs.PathError{Op: "read", Path: f.name, Err: syscall.EBADF}
	}
	return f.d.Read(b)
}

// ReadContext lets a terminal read be interrupted.
func (f *devFile) ReadContext(ctx context.Context, b []byte) (int, error) {
	if t, ok := f.d.(ttyDev); ok && f.flag&(os.O_WRONLY|os.O_RDWR) != os.O_WRONLY {
		return t.s.ReadContext(ctx, b)
	}
	return f.Read(b)
}

func (f *devFile) ReadAt(b []byte, off int64) (int, error) { return f.Read(b) }

func (f *devFile) Write(b []byte) (int, error) {
	if f.flag&(os.O_WRONLY|os.O_RDWR) == 0 {
		return 0, &fs.PathError{Op: "write", Path: f.name, Err: syscall.EBADF}
	}
	return f.d.Write(b)
}
