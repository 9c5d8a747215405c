#!/bin/sh
# worker-test serves the Workers build (make worker) with wrangler's local
# dev server (workerd, no login, no network) and checks it for real: a
# lesson page from the Go worker, and the simulator's wasm from the static
# assets. With -browser it also runs the browser tests against it.
#
#	make worker && scripts/worker-test.sh [-browser]
set -eu
cd "$(dirname "$0")/.."
port=${WORKER_PORT:-8787}
base=http://127.0.0.1:$port
log=$(mktemp)
cd site/worker
WRANGLER_SEND_METRICS=false ../node_modules/.bin/wrangler dev --ip 127.0.0.1 --port "$port" >"$log" 2>&1 &
pid=$!
cd ../..
stop() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -f "$log"; }
trap stop EXIT INT TERM
i=0
until grep -q "Ready on" "$log"; do
	i=$((i + 1))
	if [ $i -gt 120 ] || ! kill -0 "$pid" 2>/dev/null; then
		cat "$log"
		echo "worker-test: wrangler dev did not start"
		exit 1
	fi
	sleep 0.5
done
fail() { echo "worker-test: $*"; exit 1; }
page=$(mktemp)
lesson=$(ls site/gen/lessons | grep -v README | head -n 1 | sed 's/\.md$//')
code=$(curl -s -o "$page" -w '%{http_code}' "$base/lessons/$lesson")
[ "$code" = 200 ] || fail "GET /lessons/$lesson: $code"
grep -q 'class="step"' "$page" || fail "/lessons/$lesson has no steps"
wasm=$(grep -o '/assets/[0-9a-f]*/twinbox.wasm[.gz]*' "$page" | head -n 1)
[ -n "$wasm" ] || fail "/lessons/$lesson links no wasm"
curl -s -o "$page" "$base$wasm"
case "$wasm" in
*.gz) gunzip -c "$page" | head -c 4 | od -An -c | grep -q 'a   s   m' || fail "$wasm is not a gzipped wasm" ;;
*) head -c 4 "$page" | od -An -c | grep -q 'a   s   m' || fail "$wasm is not a wasm" ;;
esac
size=$(wc -c <"$page")
code=$(curl -s -o /dev/null -w '%{http_code}' "$base/lessons/../../etc/passwd")
[ "$code" = 404 ] || fail "a path outside the site: $code, want 404"
rm -f "$page"
echo "worker-test: /lessons/$lesson and $wasm ($size bytes) served by workerd"
if [ "${1:-}" = "-browser" ]; then
	(cd site && TWINBOX_URL=$base E2E_ARTIFACTS="$PWD/e2e/artifacts/worker" node --test e2e/)
fi
