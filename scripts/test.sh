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
  # A short run of every fuzz target on top of its committed seeds (5,000
  # inputs each: 1-3 s here); make fuzz runs longer. A count, not a
  # duration: when a duration ends while a worker is mid-call, Go 1.26's
  # fuzzing coordinator can fail the target with a bare "context deadline
  # exceeded" (go.dev/issue/75804, fixed in Go 1.27); a count has no deadline.
  bash scripts/fuzz.sh "${FUZZTIME:-5000x}"
else
  go test -race -count=1 -timeout 20m "$@"
fi
