#!/usr/bin/env bash
# make test: every Go test with the race detector against a real Azurite, then
# a short run of each fuzz target. Uses TEAMSPRO_TEST_TABLES (a Table Storage
# connection string) when set; otherwise starts the pinned Azurite on a free
# port and stops it afterwards. Arguments, if any, replace ./... .
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. scripts/lib.sh
# The handler embeds the front end and the browser tests drive it in the
# system's Chromium (Debian's package), installed here when missing.
bash scripts/web.sh
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  echo "installing Chromium for the browser tests (apt-get)"
  sudo=""
  [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1 && sudo="sudo"
  { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null; } ||
    echo "Chromium not installed: the browser tests fail under CI=true and skip otherwise"
fi
with_azurite

if [ "$#" -eq 0 ]; then
  go test -race -count=1 -timeout 20m ./...
  # A short run of every fuzz target on top of its committed seeds; make fuzz runs longer.
  bash scripts/fuzz.sh "${FUZZTIME:-3s}"
else
  go test -race -count=1 -timeout 20m "$@"
fi
