//go:build !worker

package site

import (
	"embed"
	"io/fs"
)

// The app's own files (committed), and what the Makefile generates into
// gen/ (gitignored): the simulator's wasm, gzipped; Go's wasm_exec.js; the
// lessons.
var (
	//go:embed static
	static embed.FS
	//go:embed all:gen
	generated embed.FS
)

// New makes the Site of the embedded files.
func New(opts Options) (*Site, error) {
	gen, _ := fs.Sub(generated, "gen")
	return newSite(staticFS(), gen, opts.Lessons)
}

func staticFS() fs.FS {
	s, _ := fs.Sub(static, "static")
	return s
}
