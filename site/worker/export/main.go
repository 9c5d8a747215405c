// Command export writes the web app's static files for Cloudflare Workers:
// each at its content-hashed path under -public (the Workers static
// assets folder), and their manifest to -manifest, which the Workers build
// of package site embeds to link them. make worker runs it.
//
//	go run ./site/worker/export -public site/worker/public -manifest site/gen/worker-manifest.json
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/twinbox-dev/twinbox/site"
)

func main() {
	public := flag.String("public", "site/worker/public", "the Workers static assets folder to write")
	manifest := flag.String("manifest", "site/gen/worker-manifest.json", "the manifest to write")
	flag.Parse()
	if err := export(*public, *manifest); err != nil {
		fmt.Fprintf(os.Stderr, "export: %v\n", err)
		os.Exit(1)
	}
}

// maxAsset is the largest file Workers static assets take: 25 MiB.
const maxAsset = 25 << 20

func export(public, manifest string) error {
	s, err := site.New(site.Options{})
	if err != nil {
		return err
	}
	if !s.HasSimulator() {
		return fmt.Errorf("the simulator is not built in: run make site first")
	}
	files, err := s.Files()
	if err != nil {
		return err
	}
	var m []site.ManifestEntry
	for _, f := range files {
		p, b := f.Path, f.Body
		if len(b) > maxAsset {
			// Too large for Workers: the page fetches it gzipped and
			// decompresses it.
			if f.Gzip == nil || len(f.Gzip) > maxAsset {
				return fmt.Errorf("%s: %d bytes, more than Workers serve even gzipped", f.Name, len(b))
			}
			p, b = p+".gz", f.Gzip
		}
		m = append(m, site.ManifestEntry{Name: f.Name, Path: p})
		name := filepath.Join(public, filepath.FromSlash(strings.TrimPrefix(p, "/")))
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(name, b, 0o644); err != nil {
			return err
		}
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	// Workers static assets take their headers from _headers: the same
	// caching and policy as twinbox serve's.
	headers := "/assets/*\n  Cache-Control: public, max-age=31536000, immutable\n" +
		"  X-Content-Type-Options: nosniff\n  Content-Security-Policy: " + site.CSP + "\n"
	if err := os.WriteFile(filepath.Join(public, "_headers"), []byte(headers), 0o644); err != nil {
		return err
	}
	fmt.Printf("export: %d files in %s\n", len(files), public)
	return os.WriteFile(manifest, append(data, '\n'), 0o644)
}
