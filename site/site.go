// Package site is the web app: one page per lesson, the lesson on the left
// and a terminal on the right whose shell is the simulator running in the
// browser (wasm/cmd/twinbox, in a Web Worker). The server renders the
// lessons (lessons/*.md, with goldmark) and serves the static files and
// the simulator's wasm; everything it serves is embedded, so one binary
// serves the whole app:
//
//	h, err := site.New(site.Options{})
//	http.ListenAndServe("127.0.0.1:8080", h)
//
// Static files are served under /assets/HASH/NAME, where HASH is their
// content's: cached for a year as immutable, so a new build is fetched at
// once and an old one never again. Pages carry an ETag and are revalidated.
// Text and the wasm are sent gzipped to clients that accept it (the wasm
// is gzipped at build time, see the Makefile's wasm target).
package site

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"path"
	"sort"
	"strings"
)

// manifestFile is where make worker writes the Manifest in gen/.
const manifestFile = "worker-manifest.json"

// The pages' templates. The static files and what the Makefile generates
// into gen/ are embedded by embed_full.go (embed_worker.go in the Workers
// build, whose static files are Workers static assets).
//
//go:embed templates
var templates embed.FS

// Options configure a Site.
type Options struct {
	// Lessons holds the lessons, NN-slug.md; nil means the ones embedded
	// at build time (make site copies lessons/*.md into gen/lessons).
	Lessons fs.FS
}

// Site is the web app's http.Handler.
type Site struct {
	assets map[string]*asset // by name: "app.js", "twinbox.wasm"
	byPath map[string]*asset // by URL path: "/assets/HASH/app.js"
	pages  map[string]*rendered
	index  *rendered
	wasm   bool // the simulator is built in
}

// asset is a static file, ready to serve.
type asset struct {
	name  string
	path  string // /assets/HASH/NAME
	ctype string
	body  []byte // nil when only gz is kept
	gz    []byte // gzipped, or nil when not worth it
	etag  string
}

// rendered is a page, rendered once.
type rendered struct {
	body []byte
	gz   []byte
	etag string
}

// contentTypes are the types of what the site serves, by extension.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".wasm": "application/wasm",
	".svg":  "image/svg+xml",
	".json": "application/json",
	".map":  "application/json",
	".txt":  "text/plain; charset=utf-8",
	".png":  "image/png",
	".ico":  "image/x-icon",
}

// CSP is the Content-Security-Policy of everything the site serves: only
// the site's own files; 'wasm-unsafe-eval' lets the page compile the
// simulator; inline styles are xterm.js's and the pictures'.
const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; " +
	"style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; " +
	"object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// newSite makes a Site of the static files of static and gen, and the
// lessons of lessons (nil: gen's lessons/).
func newSite(static, gen, lessons fs.FS) (*Site, error) {
	s := &Site{assets: map[string]*asset{}, byPath: map[string]*asset{}, pages: map[string]*rendered{}}
	if err := s.addAssets(static); err != nil {
		return nil, err
	}
	if err := s.addAssets(gen); err != nil {
		return nil, err
	}
	if lessons == nil {
		lessons, _ = fs.Sub(gen, "lessons")
	}
	return s, s.renderPages(lessons)
}

// ManifestEntry describes a static file served elsewhere (Workers static
// assets): the site links it without holding it. A Path ending in .gz is
// the file gzipped, which the page decompresses itself (the simulator's
// wasm: larger than Workers take uncompressed).
type ManifestEntry struct {
	Name string `json:"name"` // "app.js", "vendor/xterm.js"
	Path string `json:"path"` // "/assets/HASH/app.js"
}

// newManifestSite makes a Site whose static files are served elsewhere:
// it renders pages linking them and serves nothing under /assets/.
func newManifestSite(manifest []ManifestEntry, lessons fs.FS) (*Site, error) {
	s := &Site{assets: map[string]*asset{}, byPath: map[string]*asset{}, pages: map[string]*rendered{}}
	for _, e := range manifest {
		s.assets[e.Name] = &asset{name: e.Name, path: e.Path}
	}
	return s, s.renderPages(lessons)
}

// renderPages renders the index and the lessons' pages.
func (s *Site) renderPages(lessons fs.FS) error {
	_, s.wasm = s.assets["twinbox.wasm"]
	pages, err := readLessons(lessons)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	tmpl, err := template.New("").Funcs(template.FuncMap{"asset": s.assetPath, "hasAsset": func(name string) bool { return s.assets[name] != nil }}).ParseFS(templates, "templates/*.html")
	if err != nil {
		return err
	}
	for i, p := range pages {
		data := pageData{Lessons: pages, Lesson: p, Wasm: s.wasm}
		if i > 0 {
			data.Prev = pages[i-1]
		}
		if i+1 < len(pages) {
			data.Next = pages[i+1]
		}
		r, err := render(tmpl, data)
		if err != nil {
			return fmt.Errorf("lesson %s: %w", p.Slug, err)
		}
		s.pages["/lessons/"+p.Slug] = r
	}
	s.index, err = render(tmpl, pageData{Lessons: pages, Wasm: s.wasm})
	return err
}

// pageData is what templates/page.html draws.
type pageData struct {
	Lessons    []*page
	Lesson     *page // nil on the index
	Prev, Next *page
	Wasm       bool
}

func render(tmpl *template.Template, data pageData) (*rendered, error) {
	var b bytes.Buffer
	if err := tmpl.ExecuteTemplate(&b, "page.html", data); err != nil {
		return nil, err
	}
	return &rendered{body: b.Bytes(), gz: gzipped(b.Bytes()), etag: etag(b.Bytes())}, nil
}

// addAssets adds the files of fsys (not its lessons/ or README.md). A
// NAME.gz is NAME served gzipped.
func (s *Site) addAssets(fsys fs.FS) error {
	return fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name == "lessons" {
				return fs.SkipDir
			}
			return nil
		}
		if name == "README.md" || name == manifestFile {
			return nil
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		a := &asset{name: strings.TrimSuffix(name, ".gz")}
		if strings.HasSuffix(name, ".gz") {
			a.gz = data
		} else {
			a.body = data
			if compressible(a.name) {
				a.gz = gzipped(data)
			}
		}
		a.ctype = contentTypes[path.Ext(a.name)]
		if a.ctype == "" {
			a.ctype = "application/octet-stream"
		}
		a.etag = etag(data)
		a.path = "/assets/" + strings.Trim(a.etag, `"`) + "/" + a.name
		s.assets[a.name] = a
		s.byPath[a.path] = a
		return nil
	})
}

func compressible(name string) bool {
	switch path.Ext(name) {
	case ".html", ".js", ".css", ".svg", ".json", ".map", ".txt", ".wasm":
		return true
	}
	return false
}

func gzipped(b []byte) []byte {
	var out bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&out, gzip.BestCompression)
	zw.Write(b)
	zw.Close()
	if out.Len() >= len(b) {
		return nil
	}
	return out.Bytes()
}

func etag(b []byte) string {
	sum := sha256.Sum256(b)
	return `"` + hex.EncodeToString(sum[:8]) + `"`
}

// assetPath is a static file's URL, for templates: {{asset "app.js"}}.
func (s *Site) assetPath(name string) (string, error) {
	a, ok := s.assets[name]
	if !ok {
		return "", fmt.Errorf("no asset %q", name)
	}
	return a.path, nil
}

// File is a static file, for serving it elsewhere (Workers static
// assets).
type File struct {
	Name string // "app.js", "twinbox.wasm"
	Path string // where the pages link it: "/assets/HASH/app.js"
	Body []byte // uncompressed
	Gzip []byte // gzipped, or nil
}

// Files lists the static files.
func (s *Site) Files() ([]File, error) {
	var out []File
	for _, a := range s.assets {
		b, err := a.content()
		if err != nil {
			return nil, err
		}
		out = append(out, File{Name: a.name, Path: a.path, Body: b, Gzip: a.gz})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// content is the asset's bytes, uncompressed.
func (a *asset) content() ([]byte, error) {
	if a.body != nil {
		return a.body, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(a.gz))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", a.name, err)
	}
	return io.ReadAll(zr)
}

// ServeHTTP serves the pages and the assets; anything else is 404.
func (s *Site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", CSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if a, ok := s.byPath[r.URL.Path]; ok {
		h.Set("Content-Type", a.ctype)
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
		s.send(w, r, a.etag, a.body, a.gz, a)
		return
	}
	var p *rendered
	switch {
	case r.URL.Path == "/":
		p = s.index
	default:
		p = s.pages[strings.TrimSuffix(r.URL.Path, ".html")]
	}
	if p == nil {
		http.Error(w, "404 page not found", http.StatusNotFound)
		return
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	s.send(w, r, p.etag, p.body, p.gz, nil)
}

// send writes a body, gzipped when the client accepts it, or 304 when the
// client has it.
func (s *Site) send(w http.ResponseWriter, r *http.Request, tag string, body, gz []byte, a *asset) {
	h := w.Header()
	h.Set("ETag", tag)
	h.Add("Vary", "Accept-Encoding")
	if match(r.Header.Get("If-None-Match"), tag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	out := body
	if gz != nil && acceptsGzip(r.Header.Get("Accept-Encoding")) {
		h.Set("Content-Encoding", "gzip")
		out = gz
	} else if body == nil && a != nil {
		b, err := a.content()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		out = b
	}
	h.Set("Content-Length", fmt.Sprint(len(out)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(out)
	}
}

func match(ifNoneMatch, tag string) bool {
	for _, t := range strings.Split(ifNoneMatch, ",") {
		t = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(t), "W/"))
		if t == tag || t == "*" {
			return true
		}
	}
	return false
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip.
func acceptsGzip(ae string) bool {
	for _, part := range strings.Split(ae, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.TrimSpace(name) != "gzip" {
			continue
		}
		params = strings.ReplaceAll(params, " ", "")
		return params != "q=0" && params != "q=0.0" && params != "q=0.00" && params != "q=0.000"
	}
	return false
}

// HasSimulator reports whether the simulator's wasm is built in.
func (s *Site) HasSimulator() bool { return s.wasm }
