#!/usr/bin/env bash
# The README's "holy on your PATH" path, as a user takes it: pack the checkout, install the tarball
# globally into a throwaway prefix, then run `holy` by name from an unrelated folder.
# The dependencies' tarballs come from npm's cache (`npm ci` put them there); npm still asks the
# registry for their metadata (packuments), which `npm ci` never caches, so a truly offline
# install (--offline) fails with ENOTCACHED: --prefer-offline is the most offline that works.
# `npm link` from the checkout (the README's way) needs no registry at all.
# Usage: scripts/check-pack.sh [NODE_BIN_DIR]   (run after `npm run build`)
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d "${TMPDIR:-/tmp}/holy-pack-XXXXXX")"
trap 'rm -rf "$work"' EXIT
if [ -n "${1:-}" ]; then PATH="$1:$PATH"; fi

tgz="$(npm pack --ignore-scripts --silent --pack-destination "$work")"
# better-sqlite3 (the gateway's ledger) builds from source on install: ~2.5 min of CI's two cores, and
# `npm ci` has just built the same version with the same Node. So the packed install skips install
# scripts and gets the checkout's build copied in; everything else is installed as a user's would be.
npm install -g --prefer-offline --ignore-scripts --no-audit --no-fund --loglevel=error --prefix "$work/prefix" "$work/$tgz"
cp -R node_modules/better-sqlite3/build "$work/prefix/lib/node_modules/holy/node_modules/better-sqlite3/" 2>/dev/null \
  || cp -R node_modules/better-sqlite3/build "$work/prefix/lib/node_modules/better-sqlite3/"

mkdir "$work/elsewhere" && cd "$work/elsewhere"
export PATH="$work/prefix/bin:$PATH"
found="$(command -v holy)"
[ "$found" = "$work/prefix/bin/holy" ] || { echo "check-pack: holy on PATH is $found, not the packed one" >&2; exit 1; }
want="$(node -p "require('$OLDPWD/package.json').version" 2>/dev/null || true)"
got="$(holy --version)"
[ -z "$want" ] || [ "$got" = "$want" ] || { echo "check-pack: holy --version said '$got', expected '$want'" >&2; exit 1; }
holy --help >/dev/null
holy gateway --help >/dev/null
node -e "require('$work/prefix/lib/node_modules/holy/node_modules/better-sqlite3')(':memory:').close()" 2>/dev/null \
  || node -e "require('$work/prefix/lib/node_modules/better-sqlite3')(':memory:').close()"
holy roi --monthly-spend 1000 --spend-currency USD --json >/dev/null
echo "check-pack: packed $tgz, installed globally into a temp prefix (tarballs from the npm cache), holy --version = $got from $(pwd)"
