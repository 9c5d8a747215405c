# twinbox: `make run` builds everything and starts it; `make test` runs every test.
GO ?= go
export GOFLAGS ?= -buildvcs=false

.PHONY: all build run test vet wasm-check fmt-check base deps lessons wasm site e2e worker worker-test

all: build

# bin/twinbox is the docker CLI alone (static: no dynamic loader either), so
# that a docker command starts fast; it hands twinbox's own commands
# (daemon, serve, shell, lesson, viz, compare) to bin/twinbox-engine.
build:
	CGO_ENABLED=0 $(GO) build -o bin/twinbox ./native/cmd/twinbox
	$(GO) build -o bin/twinbox-engine ./native/cmd/twinbox-engine

# The web app: the simulator's wasm and the lessons go into site/gen, which
# the server embeds; then the server is built and started.
run: site
	$(MAKE) build
	./bin/twinbox serve

wasm:
	@mkdir -p build site/gen
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags='-s -w' -o build/twinbox.wasm ./wasm/cmd/twinbox
	gzip -9 -n -c build/twinbox.wasm > site/gen/twinbox.wasm.gz
	cp "$$($(GO) env GOROOT)/lib/wasm/wasm_exec.js" site/gen/wasm_exec.js
	$(GO) run ./wasm/cmd/twinbox/freshstate -o site/gen/fresh-state.json

site: wasm
	rm -rf site/gen/lessons && mkdir -p site/gen/lessons
	cp lessons/*.md site/gen/lessons/

# The web app on Cloudflare Workers (site/worker): static files as Workers
# static assets in site/worker/public, the Go worker in site/worker/build.
# Try it: cd site/worker && WRANGLER_SEND_METRICS=false npx wrangler dev --ip 127.0.0.1 --port 8787
worker: site
	rm -rf site/worker/public site/worker/build
	$(GO) run ./site/worker/export -public site/worker/public -manifest site/gen/worker-manifest.json
	cd site/worker && $(GO) run github.com/syumai/workers/cmd/workers-assets-gen -mode=go -o build
	GOOS=js GOARCH=wasm $(GO) build -tags worker -trimpath -ldflags='-s -w' -o site/worker/build/app.wasm ./site/worker
	@ls -l site/worker/build/app.wasm

# The Workers build served by wrangler's local dev server (workerd): a
# lesson page and the wasm, fetched for real (scripts/worker-test.sh).
worker-test: worker
	@[ site/node_modules/.package-lock.json -nt site/package-lock.json ] || (cd site && npm ci --no-audit --no-fund)
	scripts/worker-test.sh

# The browser tests (site/e2e): the app served by bin/twinbox, driven by
# playwright-core (npm) in Debian's chromium, installed when missing.
e2e: site
	$(MAKE) build
	@[ -x "$${CHROMIUM:-/usr/bin/chromium}" ] || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
		else echo "make: the browser tests need chromium (apt-get install chromium as root)"; exit 1; fi; }
	@[ site/node_modules/.package-lock.json -nt site/package-lock.json ] || (cd site && npm ci --no-audit --no-fund)
	cd site && node --test --test-timeout=300000 e2e/

vet:
	$(GO) vet ./... $(THIRD_PARTY_TESTED)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# The browser build must stay green.
wasm-check:
	GOOS=js GOARCH=wasm $(GO) build ./shared/... ./wasm/...

# What the tests need that a fresh machine lacks, installed when missing:
# busybox-static (the native tests' root filesystem).
APT_PACKAGES = busybox-static
deps:
	@need=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || need="$$need $$p"; done; \
	if [ -n "$$need" ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$need; \
		else echo "make: the tests need:$$need (apt-get install as root)"; fi; \
	fi

# The copies in third_party are modules of their own, which ./... does not
# reach; the two with changes of ours are tested by name.
THIRD_PARTY_TESTED = github.com/distribution/reference github.com/opencontainers/go-digest
test: deps build base fmt-check vet wasm-check
	$(GO) test -timeout 30m ./... $(THIRD_PARTY_TESTED)
	$(MAKE) e2e worker-test

# The base image busybox:latest as a docker-archive (see scripts/mkbase), from
# Debian's busybox-static, downloaded into build/cache when it is not there.
BUSYBOX_STATIC_VERSION ?= 1:1.35.0-4+deb12u1+b1
base: build/images/busybox.tar

build/images/busybox.tar: scripts/mkbase/*.go scripts/baseimage/*.go
	@mkdir -p build/cache build/images
	@deb=$$(ls build/cache/busybox-static_*.deb 2>/dev/null | head -n 1); \
	if [ -z "$$deb" ]; then \
		( cd build/cache && { apt-get download busybox-static=$(BUSYBOX_STATIC_VERSION) || \
			{ apt-get update && apt-get download busybox-static=$(BUSYBOX_STATIC_VERSION); }; } ) || exit 1; \
		deb=$$(ls build/cache/busybox-static_*.deb | head -n 1); \
	fi; \
	$(GO) run ./scripts/mkbase -deb "$$deb" -o build/images/busybox.tar

# Every lesson on the simulator, and on the native engine when root.
lessons: build base
	./bin/twinbox lesson run lessons/[0-9]*.md
	@if [ "$$(id -u)" = 0 ]; then ./bin/twinbox lesson run --backend native lessons/[0-9]*.md; \
	else echo "make lessons: the native engine needs root; lessons checked on the simulator only"; fi
