#!/usr/bin/env bash
# Build the Teams tabs' front end into web/dist (embedded by the handler):
# `npm ci` when web/node_modules is not a complete install of the lockfile, then the
# Vite build when a source is newer than the last build. Used by make build,
# run, test and package, so a fresh clone needs nothing but Node.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root/web"

. "$root/scripts/lib.sh"
npm_ci_pinned "$root/web"
stamp="$(npm_marker "$root/web")"

if [ -f dist/index.html ] && [ -z "$(find index.html privacy terms calendar-pro booking-room-pro src vite.config.ts package-lock.json "$stamp" -newer dist/index.html -print -quit)" ]; then
  exit 0
fi
echo "web: vite build"
npx --no-install vite build --logLevel warn
