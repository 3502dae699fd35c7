#!/usr/bin/env bash
# make test: every Go test with the race detector against a real Azurite, then
# a short run of each fuzz target. Uses TEAMSPRO_TEST_TABLES (a Table Storage
# connection string) when set; otherwise starts the pinned Azurite on a free
# port and stops it afterwards. Arguments, if any, replace ./... .
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. scripts/lib.sh
# The handler embeds the front end and the browser tests drive it.
bash scripts/web.sh
with_azurite

if [ "$#" -eq 0 ]; then
  go test -race -count=1 -timeout 20m ./...
  # A short run of every fuzz target on top of its committed seeds; make fuzz runs longer.
  bash scripts/fuzz.sh "${FUZZTIME:-3s}"
else
  go test -race -count=1 -timeout 20m "$@"
fi
