package image

import (
	"path"
	"strings"
)

// The OCI (originally AUFS) whiteout conventions of layer tars. A file
// "DIR/.wh.NAME" in a layer says DIR/NAME of the layers below is deleted; a
// file "DIR/.wh..wh..opq" says DIR replaces the directory below instead of
// merging with it. Overlay-based storage turns the first into a 0/0
// character device and the second into the xattr trusted.overlay.opaque=y
// when it applies a layer, and back when it writes one.
const (
	// WhiteoutPrefix starts the base name of a whiteout file.
	WhiteoutPrefix = ".wh."
	// WhiteoutMetaPrefix starts the names AUFS keeps for itself; a layer
	// tar's entries under such a name at its root are skipped.
	WhiteoutMetaPrefix = WhiteoutPrefix + WhiteoutPrefix
	// WhiteoutOpaqueDir is the base name of an opaque directory's marker.
	WhiteoutOpaqueDir = WhiteoutMetaPrefix + ".opq"
)

// WhiteoutName returns the tar name of the whiteout that deletes p
// ("etc/passwd" → "etc/.wh.passwd").
func WhiteoutName(p string) string {
	dir, base := path.Split(p)
	return dir + WhiteoutPrefix + base
}

// OpaqueName returns the tar name of the marker that makes directory dir
// opaque ("var/cache" → "var/cache/.wh..wh..opq"; "." for the root →
// ".wh..wh..opq").
func OpaqueName(dir string) string {
	if dir == "." || dir == "" {
		return WhiteoutOpaqueDir
	}
	return dir + "/" + WhiteoutOpaqueDir
}

// ParseWhiteout tells what a cleaned tar name means for the layers below:
// for "etc/.wh.passwd" it returns "etc/passwd" and TypeWhiteout, for
// "var/.wh..wh..opq" it returns "var" and TypeOpaque ("." for the root),
// and for a name that is no whiteout it returns name and 0.
func ParseWhiteout(name string) (target string, t EntryType) {
	dir, base := path.Split(name)
	if !strings.HasPrefix(base, WhiteoutPrefix) {
		return name, 0
	}
	if base == WhiteoutOpaqueDir {
		if dir == "" {
			return ".", TypeOpaque
		}
		return strings.TrimSuffix(dir, "/"), TypeOpaque
	}
	return dir + strings.TrimPrefix(base, WhiteoutPrefix), TypeWhiteout
}
