//go:build ignore

// Command fixtures serves the Engine API answers recorded in
// shared/reference/engine-api-1.41 (copied to ../reference) on a unix
// socket, so that record can capture what the docker CLI prints for them:
//
//	go run shared/cli/testdata/record/fixtures.go -socket /tmp/fixtures.sock &
//	go run shared/cli/testdata/record/record.go -upstream /tmp/fixtures.sock -in shared/cli/testdata/replay/reference.sh -out shared/cli/testdata/replay/reference.json
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	socket := flag.String("socket", "/tmp/fixtures.sock", "socket to serve on")
	dir := flag.String("dir", "shared/cli/testdata/reference", "the reference answers")
	flag.Parse()
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(*dir, name))
		if err != nil {
			log.Fatal(err)
		}
		return b
	}
	ping, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(read("ping.txt"))), nil)
	if err != nil {
		log.Fatal(err)
	}
	const ctr = "2154d7ffad248763c37fc739f5cb1605d07746f284f2005eea939de3d8ab3eb1"
	const img = "sha256:904f20f6868d5b2e6b23f67d6dde4b2515e69884352255115d70b456f0437110"
	routes := map[string]string{
		"/containers/json":               "containers-list.json",
		"/images/json":                   "images-list.json",
		"/version":                       "version.json",
		"/info":                          "info.json",
		"/networks":                      "networks-list.json",
		"/volumes":                       "volumes-list.json",
		"/containers/web/json":           "container-inspect.json",
		"/containers/2154d7ffad24/json":  "container-inspect.json",
		"/containers/" + ctr + "/json":   "container-inspect.json",
		"/containers/web/changes":        "container-changes.json",
		"/images/busybox/json":           "image-inspect.json",
		"/images/busybox:latest/json":    "image-inspect.json",
		"/images/904f20f6868d/json":      "image-inspect.json",
		"/images/" + img + "/json":       "image-inspect.json",
		"/images/busybox/history":        "image-history.json",
		"/images/busybox:latest/history": "image-history.json",
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/_ping") {
			for k, v := range ping.Header {
				if k != "Date" && k != "Content-Length" {
					w.Header()[k] = v
				}
			}
			if r.Method == http.MethodHead {
				return
			}
			w.Write([]byte("OK"))
			return
		}
		p := r.URL.Path
		if i := strings.Index(p[1:], "/"); strings.HasPrefix(p, "/v1.") && i > 0 {
			p = p[i+1:]
		}
		w.Header().Set("Api-Version", "1.41")
		w.Header().Set("Docker-Experimental", "false")
		w.Header().Set("Ostype", "linux")
		w.Header().Set("Server", "Docker/20.10.24+dfsg1 (linux)")
		w.Header().Set("Content-Type", "application/json")
		if p == "/images/create" {
			// A pull of busybox from a local registry, recorded from
			// dockerd 20.10.24 (../replay/pull.json).
			w.Write(read("pull-stream.jsonl"))
			return
		}
		if name, ok := routes[p]; ok {
			w.Write(read(name))
			return
		}
		parts := strings.Split(strings.Trim(p, "/"), "/")
		w.WriteHeader(http.StatusNotFound)
		switch {
		case len(parts) >= 2 && parts[0] == "containers":
			fmt.Fprintf(w, "{\"message\":\"No such container: %s\"}\n", parts[1])
		case len(parts) >= 2 && parts[0] == "images":
			fmt.Fprintf(w, "{\"message\":\"No such image: %s\"}\n", parts[1])
		case len(parts) >= 2 && parts[0] == "networks":
			fmt.Fprintf(w, "{\"message\":\"network %s not found\"}\n", parts[1])
		case len(parts) >= 2 && parts[0] == "volumes":
			fmt.Fprintf(w, "{\"message\":\"get %s: no such volume\"}\n", parts[1])
		default:
			fmt.Fprint(w, "{\"message\":\"page not found\"}\n")
		}
	})
	os.Remove(*socket)
	l, err := net.Listen("unix", *socket)
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(http.Serve(l, h))
}
