#!/bin/sh
# vendor-xterm copies xterm.js and its fit addon, at the versions pinned in
# site/package.json and site/package-lock.json, into site/static/vendor, so
# the app loads them from its own server (no CDN at run time).
#
#	scripts/vendor-xterm.sh        # after changing a version in site/package.json
set -eu
cd "$(dirname "$0")/../site"
npm ci --no-audit --no-fund --silent
out=static/vendor
rm -rf "$out"
mkdir -p "$out"
x=node_modules/@xterm/xterm
f=node_modules/@xterm/addon-fit
cp "$x/lib/xterm.js" "$x/css/xterm.css" "$out/"
cp "$f/lib/addon-fit.js" "$out/"
cp "$x/LICENSE" "$out/LICENSE-xterm"
{
	echo "Vendored by scripts/vendor-xterm.sh from npm; do not edit."
	printf '@xterm/xterm %s\n' "$(node -p "require('./$x/package.json').version")"
	printf '@xterm/addon-fit %s\n' "$(node -p "require('./$f/package.json').version")"
} > "$out/VERSIONS.txt"
cat "$out/VERSIONS.txt"
