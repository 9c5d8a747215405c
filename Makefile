# twinbox: `make run` builds everything and starts it; `make test` runs every test.
GO ?= go
export GOFLAGS ?= -buildvcs=false

.PHONY: all build run test vet wasm-check fmt-check base

all: build

build:
	$(GO) build -o bin/twinbox ./native/cmd/twinbox

run: build
	./bin/twinbox shell

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# The browser build must stay green.
wasm-check:
	GOOS=js GOARCH=wasm $(GO) build ./shared/... ./wasm/...

test: build fmt-check vet wasm-check
	$(GO) test ./...

# The base image busybox:latest as a docker-archive (see scripts/mkbase), from
# Debian's busybox-static, downloaded into build/cache when it is not there.
BUSYBOX_STATIC_VERSION ?= 1:1.35.0-4+deb12u1+b1
base:
	@mkdir -p build/cache build/images
	@deb=$$(ls build/cache/busybox-static_*.deb 2>/dev/null | head -n 1); \
	if [ -z "$$deb" ]; then \
		( cd build/cache && { apt-get download busybox-static=$(BUSYBOX_STATIC_VERSION) || \
			{ apt-get update && apt-get download busybox-static=$(BUSYBOX_STATIC_VERSION); }; } ) || exit 1; \
		deb=$$(ls build/cache/busybox-static_*.deb | head -n 1); \
	fi; \
	$(GO) run ./scripts/mkbase -deb "$$deb" -o build/images/busybox.tar
