// Command mkbase makes twinbox's base image busybox:latest from Debian's
// busybox-static package and writes it as a docker-archive that `docker
// load` and `twinbox load` accept (see scripts/baseimage for how):
//
//	go run ./scripts/mkbase -deb busybox-static_*.deb -o build/images/busybox.tar
//
// `make base` downloads the package and runs this. -hub DIR also writes the
// description the simulator embeds (busybox.rootfs, busybox.json) into DIR
// (wasm/sim/hub); -rootfs FILE writes rootfs.tar.
//
// mkbase checks the result against the reference engine's base image
// (rootfs.tar's size and ADD hash, the layer's DiffID and size, the image
// IDs) and fails on any difference unless -force is given.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/twinbox-dev/twinbox/scripts/baseimage"
)

func main() {
	deb := flag.String("deb", "", "busybox-static .deb to read")
	bin := flag.String("binary", "", "installed busybox-static binary to read instead of a .deb (/bin/busybox)")
	out := flag.String("o", "build/images/busybox.tar", "docker-archive to write (\"\" for none)")
	hubDir := flag.String("hub", "", "directory to write the simulator's description into (wasm/sim/hub)")
	rootfs := flag.String("rootfs", "", "file to write rootfs.tar into")
	force := flag.Bool("force", false, "write the image even if it differs from the reference's")
	flag.Parse()
	if err := run(*deb, *bin, *out, *hubDir, *rootfs, *force); err != nil {
		fmt.Fprintln(os.Stderr, "mkbase:", err)
		os.Exit(1)
	}
}

func run(deb, bin, out, hubDir, rootfs string, force bool) error {
	var src *baseimage.Source
	var err error
	switch {
	case deb != "" && bin != "":
		return fmt.Errorf("give -deb or -binary, not both")
	case deb != "":
		src, err = baseimage.FromDeb(deb)
	case bin != "":
		src, err = baseimage.FromBinary(bin)
	default:
		return fmt.Errorf("give -deb busybox-static.deb or -binary /bin/busybox")
	}
	if err != nil {
		return err
	}
	b, err := baseimage.Build(src)
	if err != nil {
		return err
	}
	if err := b.Check(); err != nil {
		if !force {
			return fmt.Errorf("the image differs from the reference engine's (use -force to write it anyway):\n%w", err)
		}
		fmt.Fprintf(os.Stderr, "mkbase: warning: the image differs from the reference engine's:\n%v\n", err)
	}
	if rootfs != "" {
		if err := writeFile(rootfs, b.RootfsTar); err != nil {
			return err
		}
	}
	if hubDir != "" {
		desc, meta, err := b.Describe()
		if err != nil {
			return err
		}
		if err := writeFile(filepath.Join(hubDir, "busybox.rootfs"), desc); err != nil {
			return err
		}
		if err := writeFile(filepath.Join(hubDir, "busybox.json"), meta); err != nil {
			return err
		}
	}
	if out != "" {
		var buf bytes.Buffer
		if err := b.WriteArchive(&buf); err != nil {
			return err
		}
		if err := writeFile(out, buf.Bytes()); err != nil {
			return err
		}
		fmt.Printf("%s: %s (%s), %d bytes\n", out, baseimage.Tag, b.FinalID, buf.Len())
	}
	return nil
}

// writeFile writes data to name atomically, creating its directory.
func writeFile(name string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	tmp := name + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, name)
}
