// Package testroot builds the trees the shell and applet tests run on: the
// busybox:latest root filesystem as the reference describes it, plus
// whatever files a test adds.
package testroot

import (
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/twinbox-dev/twinbox/wasm/sim/applets"
	"github.com/twinbox-dev/twinbox/wasm/sim/sys"
	"github.com/twinbox-dev/twinbox/wasm/sim/vfs"
)

// BusyboxSize is the size of Debian's busybox-static 1.35.0 binary, which
// the simulated /bin/busybox is padded to.
const BusyboxSize = 1982256

// BusyboxBinary is the content of a simulated /bin/busybox.
func BusyboxBinary() []byte {
	b := make([]byte, BusyboxSize)
	copy(b, "\x7fELF\x02\x01\x01\x00"+sys.BinaryMagic+"busybox\n")
	return b
}

// File is a file of a test tree.
type File struct {
	Mode    fs.FileMode // type and permission bits
	Content string      // a regular file's content, or a symlink's target
	UID     int
	GID     int
	MTime   time.Time // zero: the Unix epoch
}

// BaseImage is the busybox:latest root filesystem as the reference
// describes it: /bin/busybox and a symlink for each of its applets,
// /etc/passwd, /etc/group, and empty /root, /tmp, /var, /home, /usr/bin
// and /usr/sbin, everything owned by root and dated at the epoch.
func BaseImage() map[string]File {
	m := map[string]File{
		"/bin":         {Mode: fs.ModeDir | 0o755},
		"/bin/busybox": {Mode: 0o755, Content: string(BusyboxBinary())},
		"/etc":         {Mode: fs.ModeDir | 0o755},
		"/etc/passwd":  {Mode: 0o644, Content: "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n"},
		"/etc/group":   {Mode: 0o644, Content: "root:x:0:\nnogroup:x:65534:\n"},
		"/root":        {Mode: fs.ModeDir | 0o700},
		"/tmp":         {Mode: fs.ModeDir | fs.ModeSticky | 0o777},
		"/var":         {Mode: fs.ModeDir | 0o755},
		"/home":        {Mode: fs.ModeDir | 0o755},
		"/usr":         {Mode: fs.ModeDir | 0o755},
		"/usr/bin":     {Mode: fs.ModeDir | 0o755},
		"/usr/sbin":    {Mode: fs.ModeDir | 0o755},
	}
	for _, a := range applets.BusyboxApplets() {
		if a != "busybox" {
			m["/bin/"+a] = File{Mode: fs.ModeSymlink | 0o777, Content: "busybox"}
		}
	}
	return m
}

// Build makes the files in fsys, parents first, and sets their owners
// and times.
func Build(fsys vfs.FS, files map[string]File) error {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sortByDepth(names)
	for _, n := range names {
		f := files[n]
		var err error
		switch {
		case f.Mode.IsDir():
			err = fsys.Mkdir(n, f.Mode.Perm())
			if err == nil {
				err = fsys.Chmod(n, f.Mode&(fs.ModePerm|fs.ModeSticky|fs.ModeSetuid|fs.ModeSetgid))
			}
		case f.Mode&fs.ModeSymlink != 0:
			err = fsys.Symlink(f.Content, n)
		case f.Mode&(fs.ModeDevice|fs.ModeCharDevice|fs.ModeNamedPipe) != 0:
			var major, minor uint64
			fmt.Sscanf(f.Content, "%d,%d", &major, &minor)
			err = fsys.Mknod(n, f.Mode, major<<8|minor)
		default:
			var fl vfs.File
			fl, err = fsys.OpenFile(n, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, f.Mode.Perm())
			if err == nil {
				_, err = fl.Write([]byte(f.Content))
				fl.Close()
			}
			if err == nil {
				err = fsys.Chmod(n, f.Mode&(fs.ModePerm|fs.ModeSticky|fs.ModeSetuid|fs.ModeSetgid))
			}
		}
		if err != nil {
			return err
		}
		if err := fsys.Lchown(n, f.UID, f.GID); err != nil {
			return err
		}
		if f.Mode&fs.ModeSymlink == 0 {
			t := f.MTime
			if t.IsZero() {
				t = time.Unix(0, 0)
			}
			if err := fsys.Chtimes(n, t, t); err != nil {
				return err
			}
		}
	}
	// Directories got their entries after their times were set.
	for i := len(names) - 1; i >= 0; i-- {
		f := files[names[i]]
		if f.Mode.IsDir() {
			t := f.MTime
			if t.IsZero() {
				t = time.Unix(0, 0)
			}
			if err := fsys.Chtimes(names[i], t, t); err != nil {
				return err
			}
		}
	}
	return nil
}

func sortByDepth(names []string) {
	sort.Slice(names, func(i, j int) bool {
		di, dj := strings.Count(names[i], "/"), strings.Count(names[j], "/")
		if di != dj {
			return di < dj
		}
		return names[i] < names[j]
	})
}
