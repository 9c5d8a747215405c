//go:build worker

package site

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
)

// The Workers build holds only the lessons and the manifest of the static
// files, which are Workers static assets (make worker).
var (
	//go:embed gen/lessons
	lessonFiles embed.FS
	//go:embed gen/worker-manifest.json
	manifest []byte
)

// New makes the Site of the embedded lessons, linking the static files the
// manifest lists.
func New(opts Options) (*Site, error) {
	var m []ManifestEntry
	if err := json.Unmarshal(manifest, &m); err != nil {
		return nil, fmt.Errorf("site: %s: %w", manifestFile, err)
	}
	lessons := opts.Lessons
	if lessons == nil {
		lessons, _ = fs.Sub(lessonFiles, "gen/lessons")
	}
	return newManifestSite(m, lessons)
}
