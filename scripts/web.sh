#!/usr/bin/env bash
# Build the Teams tabs' front end into web/dist (embedded by the handler):
# `npm ci` when web/node_modules is missing or older than the lockfile, then the
# Vite build when a source is newer than the last build. Used by make build,
# run, test and package, so a fresh clone needs nothing but Node.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root/web"

lock_sum="$(sha256sum package-lock.json | cut -d' ' -f1)"
stamp=node_modules/.teamspro-lock
if [ ! -d node_modules ] || [ "$(cat "$stamp" 2>/dev/null)" != "$lock_sum" ]; then
  echo "web: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_sum" >"$stamp"
fi

if [ -f dist/index.html ] && [ -z "$(find index.html privacy terms calendar-pro booking-room-pro src vite.config.ts package-lock.json "$stamp" -newer dist/index.html -print -quit)" ]; then
  exit 0
fi
echo "web: vite build"
npx --no-install vite build --logLevel warn
