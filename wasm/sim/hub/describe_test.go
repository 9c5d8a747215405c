package hub_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/twinbox-dev/twinbox/scripts/baseimage"
)

var update = flag.Bool("update", false, "rewrite busybox.rootfs and busybox.json from busybox-static")

// busyboxSource finds Debian's busybox-static: $TWINBOX_BUSYBOX_DEB, the
// .deb `make base` downloads, or the installed /bin/busybox of the right
// version.
func busyboxSource(t *testing.T) *baseimage.Source {
	t.Helper()
	var debs []string
	if d := os.Getenv("TWINBOX_BUSYBOX_DEB"); d != "" {
		debs = append(debs, d)
	}
	found, _ := filepath.Glob("../../../build/cache/busybox-static_*.deb")
	debs = append(debs, found...)
	for _, d := range debs {
		src, err := baseimage.FromDeb(d)
		if err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		if src.Version == baseimage.PackageVersion {
			return src
		}
		t.Logf("%s is busybox-static %s, not %s", d, src.Version, baseimage.PackageVersion)
	}
	if src, err := baseimage.FromBinary("/bin/busybox"); err == nil && src.Version == baseimage.PackageVersion {
		return src
	}
	t.Skipf("busybox-static %s is not available (neither build/cache/busybox-static_*.deb from `make base`, "+
		"nor $TWINBOX_BUSYBOX_DEB, nor an installed /bin/busybox of that version): cannot check the embedded description",
		baseimage.PackageVersion)
	return nil
}

// TestDescriptionIsCurrent regenerates the embedded description from
// busybox-static and compares it with the committed files, so that they
// cannot go stale. -update rewrites them.
func TestDescriptionIsCurrent(t *testing.T) {
	src := busyboxSource(t)
	b, err := baseimage.Build(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Check(); err != nil {
		t.Errorf("the base image differs from the reference engine's:\n%v", err)
	}
	rootfs, metadata, err := b.Describe()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct {
		name string
		data []byte
	}{{"busybox.rootfs", rootfs}, {"busybox.json", metadata}} {
		if *update {
			if err := os.WriteFile(f.name, f.data, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		old, err := os.ReadFile(f.name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(old, f.data) {
			t.Errorf("%s is stale: regenerate it with `go test ./wasm/sim/hub -run TestDescriptionIsCurrent -update` "+
				"(got %d bytes from busybox-static, the committed file has %d)", f.name, len(f.data), len(old))
		}
	}
}
