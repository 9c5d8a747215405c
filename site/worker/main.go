// Command worker serves the web app on Cloudflare Workers: the same
// handler as `twinbox serve` (package site, built with -tags worker so it
// holds only the lessons and the manifest of the static files), through
// github.com/syumai/workers. The static files — the simulator's wasm
// among them — are Workers static assets (wrangler.jsonc), which Workers
// serve before the worker runs. Build and try it:
//
//	make worker
//	cd site/worker && WRANGLER_SEND_METRICS=false npx wrangler dev --ip 127.0.0.1 --port 8787
package main

import (
	"fmt"
	"net/http"

	"github.com/syumai/workers"

	"github.com/twinbox-dev/twinbox/site"
)

func main() {
	h, err := site.New(site.Options{})
	if err != nil {
		workers.Serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, fmt.Sprintf("twinbox: %v", err), http.StatusInternalServerError)
		}))
		return
	}
	workers.Serve(h)
}
