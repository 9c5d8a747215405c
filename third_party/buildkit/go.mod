module github.com/moby/buildkit

go 1.26.8

require (
	github.com/agext/levenshtein v1.2.3
	github.com/docker/go-units v0.5.0
	github.com/moby/docker-image-spec v1.3.1
	github.com/pkg/errors v0.9.1
	github.com/tonistiigi/go-csvvalue v0.0.0-20240814133006-030d3b2625d0
)
