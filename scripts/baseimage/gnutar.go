package baseimage

import (
	"bytes"
	"fmt"
	"io"
	"strconv"

	"github.com/twinbox-dev/twinbox/shared/image"
)

// gnuTar writes a tar as GNU tar 1.34 does with --format=gnu (its default),
// --numeric-owner and the default blocking factor of 20: 512-byte headers
// with octal fields, the "ustar  " magic, no user or group names, no device
// numbers for other files than devices, and the archive padded with zeros to
// a multiple of 10240 bytes. It knows only what the base image needs:
// directories, regular files and symlinks with names and targets of at most
// 99 bytes.
type gnuTar struct {
	w io.Writer
	n int64
}

const (
	blockSize  = 512
	recordSize = 20 * blockSize
)

// octal writes v into field as GNU tar does: zero-padded octal digits filling
// all but the last byte, then NUL.
func octal(field []byte, v int64) error {
	s := strconv.FormatInt(v, 8)
	if len(s) > len(field)-1 {
		return fmt.Errorf("gnu tar: %d does not fit %d octal digits", v, len(field)-1)
	}
	for i := range field[:len(field)-1] {
		field[i] = '0'
	}
	copy(field[len(field)-1-len(s):], s)
	field[len(field)-1] = 0
	return nil
}

// header writes one entry's header. name is as it goes into the tar
// ("./bin/"); mode the Unix permission bits with setuid, setgid and sticky.
func (t *gnuTar) header(name string, typeflag byte, mode uint32, uid, gid int, size int64, link string) error {
	if len(name) > 99 || len(link) > 99 {
		return fmt.Errorf("gnu tar: name %q or link %q is too long for a plain header", name, link)
	}
	var h [blockSize]byte
	copy(h[0:100], name)
	for _, f := range []struct {
		field []byte
		v     int64
	}{
		{h[100:108], int64(mode)},
		{h[108:116], int64(uid)},
		{h[116:124], int64(gid)},
		{h[124:136], size},
		{h[136:148], 0}, // mtime
	} {
		if err := octal(f.field, f.v); err != nil {
			return err
		}
	}
	h[156] = typeflag
	copy(h[157:257], link)
	copy(h[257:265], "ustar  \x00")
	// The checksum is computed with its own field as spaces and written as
	// six octal digits, NUL and a space.
	copy(h[148:156], "        ")
	var sum int64
	for _, c := range h {
		sum += int64(c)
	}
	copy(h[148:156], fmt.Sprintf("%06o\x00 ", sum))
	_, err := t.w.Write(h[:])
	t.n += blockSize
	return err
}

func (t *gnuTar) content(data []byte) error {
	if _, err := t.w.Write(data); err != nil {
		return err
	}
	pad := (blockSize - len(data)%blockSize) % blockSize
	_, err := t.w.Write(make([]byte, pad))
	t.n += int64(len(data) + pad)
	return err
}

// close writes the two zero blocks that end the archive and pads it to a
// whole record.
func (t *gnuTar) close() error {
	end := 2 * blockSize
	if rem := (t.n + int64(end)) % recordSize; rem != 0 {
		end += int(recordSize - rem)
	}
	_, err := t.w.Write(make([]byte, end))
	t.n += int64(end)
	return err
}

// RootfsTar returns rootfs.tar: files (in GNU tar's --sort=name order, the
// root first) as `tar --sort=name --mtime=@0 --owner=0 --group=0
// --numeric-owner -C DIR -cf rootfs.tar .` writes them, DIR being a fresh
// mktemp -d directory (hence the root's mode 0700).
func RootfsTar(files []File) ([]byte, error) {
	var buf bytes.Buffer
	t := &gnuTar{w: &buf}
	for _, f := range files {
		name := "./"
		if f.Path != "." {
			name += f.Path
		}
		mode := unixMode(f)
		var err error
		switch f.Type {
		case image.TypeDir:
			if f.Path != "." {
				name += "/"
			}
			err = t.header(name, '5', mode, f.UID, f.GID, 0, "")
		case image.TypeSymlink:
			err = t.header(name, '2', mode, f.UID, f.GID, 0, f.Link)
		case image.TypeRegular:
			if err = t.header(name, '0', mode, f.UID, f.GID, int64(len(f.Data)), ""); err == nil {
				err = t.content(f.Data)
			}
		default:
			err = fmt.Errorf("rootfs.tar: %s: unsupported type %v", f.Path, f.Type)
		}
		if err != nil {
			return nil, err
		}
	}
	if err := t.close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
