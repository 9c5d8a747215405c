// Package testrootfs builds, for the native backend's tests, a busybox root
// filesystem as a layer tar the way the reference base image is made
// (../shared/reference/README.md): Debian's busybox-static binary, a symlink
// per applet, /etc/passwd and /etc/group, empty /root, /tmp, /var, /home,
// /usr/bin and /usr/sbin, sorted by name, mtime 0, owner 0.
package testrootfs

import (
	"archive/tar"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"time"
)

// Busybox is where Debian's busybox-static installs the binary.
const Busybox = "/bin/busybox"

var (
	once    sync.Once
	tarData []byte
	tarErr  error
)

// Tar returns the root filesystem as an uncompressed layer tar, or an error
// saying why it cannot be built (no static busybox on this machine).
func Tar() ([]byte, error) {
	once.Do(func() { tarData, tarErr = build() })
	return tarData, tarErr
}

func build() ([]byte, error) {
	bin, err := os.ReadFile(Busybox)
	if err != nil {
		return nil, errors.New("needs " + Busybox + " (apt-get install -y busybox-static)")
	}
	if !bytes.Contains(bin, []byte("BusyBox v1.")) {
		return nil, errors.New(Busybox + " is not busybox")
	}
	out, err := exec.Command(Busybox, "--list-full").Output()
	if err != nil {
		return nil, errors.New(Busybox + " --list-full: " + err.Error())
	}
	type entry struct {
		name, link string
		mode       int64
		data       []byte
		dir        bool
	}
	ents := []entry{
		{name: "bin/", mode: 0o755, dir: true},
		{name: "bin/busybox", mode: 0o755, data: bin},
		{name: "etc/", mode: 0o755, dir: true},
		{name: "etc/group", mode: 0o644, data: []byte("root:x:0:\nnogroup:x:65534:\n")},
		{name: "etc/passwd", mode: 0o644, data: []byte("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n")},
		{name: "home/", mode: 0o755, dir: true},
		{name: "root/", mode: 0o700, dir: true},
		{name: "tmp/", mode: 0o1777, dir: true},
		{name: "usr/", mode: 0o755, dir: true},
		{name: "usr/bin/", mode: 0o755, dir: true},
		{name: "usr/sbin/", mode: 0o755, dir: true},
		{name: "var/", mode: 0o755, dir: true},
	}
	seen := map[string]bool{"bin/busybox": true}
	for _, full := range strings.Fields(string(out)) {
		base := full[strings.LastIndex(full, "/")+1:]
		name := "bin/" + base // every applet in /bin, as the reference image has them
		if seen[name] || base == "" {
			continue
		}
		seen[name] = true
		ents = append(ents, entry{name: name, link: "busybox", mode: 0o777})
	}
	sort.Slice(ents, func(i, j int) bool { return ents[i].name < ents[j].name })
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range ents {
		h := &tar.Header{Name: e.name, Mode: e.mode, ModTime: time.Unix(0, 0), Format: tar.FormatUSTAR}
		switch {
		case e.dir:
			h.Typeflag = tar.TypeDir
		case e.link != "":
			h.Typeflag, h.Linkname = tar.TypeSymlink, e.link
		default:
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
