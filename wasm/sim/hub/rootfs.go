package hub

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/twinbox-dev/twinbox/shared/image"
	"github.com/twinbox-dev/twinbox/wasm/sim/sys"
)

// File is one path of a root filesystem description: what the simulator
// needs to rebuild an image's layer without its binaries.
type File struct {
	Path string // clean and relative; "." is the root
	Type image.EntryType
	// Mode holds the permission bits and fs.ModeSetuid, fs.ModeSetgid and
	// fs.ModeSticky.
	Mode     fs.FileMode
	UID, GID int
	Size     int64  // regular files
	Link     string // symlink target
	// Content is a regular file's content when the description holds it
	// (small text files).
	Content []byte
	// Binary names the simulated multi-call binary a regular file is
	// ("busybox") when the description does not hold its content: its
	// content is then SimulatedBinary(Binary, Size).
	Binary string
}

// SimulatedBinary returns the content the simulator gives an executable
// called name of the given size: an ELF-looking header, sys.BinaryMagic,
// the name and a newline, then zero bytes up to size.
func SimulatedBinary(name string, size int64) []byte {
	head := "\x7fELF\x02\x01\x01\x00" + sys.BinaryMagic + name + "\n"
	if int64(len(head)) > size {
		size = int64(len(head))
	}
	b := make([]byte, size)
	copy(b, head)
	return b
}

// FileContent returns f's content: Content, or the simulated binary.
func (f *File) FileContent() []byte {
	if f.Binary != "" {
		return SimulatedBinary(f.Binary, f.Size)
	}
	return f.Content
}

// The description's text format, one path a line, fields separated by
// spaces, strings that need it quoted as Go quotes them:
//
//	# comment
//	PATH dir MODE UID GID
//	PATH file MODE UID GID SIZE CONTENT
//	PATH binary MODE UID GID SIZE NAME
//	PATH symlink MODE UID GID TARGET
//
// MODE is octal with the setuid (4000), setgid (2000) and sticky (1000)
// bits.

func quote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\"\\#") && strconv.Quote(s) == `"`+s+`"` {
		return s
	}
	return strconv.Quote(s)
}

func unixMode(m fs.FileMode) uint32 {
	u := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		u |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		u |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		u |= 0o1000
	}
	return u
}

func goMode(u uint64) fs.FileMode {
	m := fs.FileMode(u & 0o777)
	if u&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if u&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if u&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	return m
}

// FormatRootfs writes files in the text format, after the comment lines
// header (each without its "# ").
func FormatRootfs(header []string, files []File) []byte {
	var b bytes.Buffer
	for _, h := range header {
		fmt.Fprintf(&b, "# %s\n", h)
	}
	for _, f := range files {
		common := fmt.Sprintf("%04o %d %d", unixMode(f.Mode), f.UID, f.GID)
		switch {
		case f.Type == image.TypeDir:
			fmt.Fprintf(&b, "%s dir %s\n", quote(f.Path), common)
		case f.Type == image.TypeSymlink:
			fmt.Fprintf(&b, "%s symlink %s %s\n", quote(f.Path), common, quote(f.Link))
		case f.Type == image.TypeRegular && f.Binary != "":
			fmt.Fprintf(&b, "%s binary %s %d %s\n", quote(f.Path), common, f.Size, quote(f.Binary))
		case f.Type == image.TypeRegular:
			fmt.Fprintf(&b, "%s file %s %d %s\n", quote(f.Path), common, f.Size, strconv.Quote(string(f.Content)))
		}
	}
	return b.Bytes()
}

// ParseRootfs reads the text format.
func ParseRootfs(data []byte) ([]File, error) {
	var files []File
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields, err := splitFields(line)
		if err != nil {
			return nil, fmt.Errorf("parse rootfs line %d: %w", n, err)
		}
		f, err := parseFile(fields)
		if err != nil {
			return nil, fmt.Errorf("parse rootfs line %d: %w", n, err)
		}
		files = append(files, f)
	}
	return files, sc.Err()
}

func parseFile(fields []string) (File, error) {
	if len(fields) < 5 {
		return File{}, fmt.Errorf("%d fields, want at least 5", len(fields))
	}
	var f File
	f.Path = fields[0]
	mode, err := strconv.ParseUint(fields[2], 8, 32)
	if err != nil {
		return f, fmt.Errorf("mode %q: %w", fields[2], err)
	}
	f.Mode = goMode(mode)
	if f.UID, err = strconv.Atoi(fields[3]); err != nil {
		return f, err
	}
	if f.GID, err = strconv.Atoi(fields[4]); err != nil {
		return f, err
	}
	rest := fields[5:]
	want := map[string]int{"dir": 0, "symlink": 1, "file": 2, "binary": 2}
	w, ok := want[fields[1]]
	if !ok {
		return f, fmt.Errorf("unknown type %q", fields[1])
	}
	if len(rest) != w {
		return f, fmt.Errorf("type %s: %d fields after the owner, want %d", fields[1], len(rest), w)
	}
	switch fields[1] {
	case "dir":
		f.Type = image.TypeDir
	case "symlink":
		f.Type, f.Link = image.TypeSymlink, rest[0]
	case "file", "binary":
		f.Type = image.TypeRegular
		if f.Size, err = strconv.ParseInt(rest[0], 10, 64); err != nil {
			return f, err
		}
		if fields[1] == "binary" {
			f.Binary = rest[1]
		} else {
			f.Content = []byte(rest[1])
			if int64(len(f.Content)) != f.Size {
				return f, fmt.Errorf("content of %d bytes, size %d", len(f.Content), f.Size)
			}
		}
	}
	return f, nil
}

// splitFields splits a line at spaces, unquoting Go-quoted fields.
func splitFields(line string) ([]string, error) {
	var out []string
	for line = strings.TrimLeft(line, " "); line != ""; line = strings.TrimLeft(line, " ") {
		if line[0] == '"' {
			q, err := strconv.QuotedPrefix(line)
			if err != nil {
				return nil, err
			}
			s, _ := strconv.Unquote(q)
			out = append(out, s)
			line = line[len(q):]
			continue
		}
		i := strings.IndexByte(line, ' ')
		if i < 0 {
			i = len(line)
		}
		out = append(out, line[:i])
		line = line[i:]
	}
	return out, nil
}
