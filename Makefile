# twinbox: `make run` builds everything and starts it; `make test` runs every test.
GO ?= go
export GOFLAGS ?= -buildvcs=false

.PHONY: all build run test vet wasm-check fmt-check

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
