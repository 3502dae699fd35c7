#!/usr/bin/env bash
# make bench: the figures of the README's table, each beside its target. Speed
# is measured here, never asserted in tests.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. scripts/lib.sh
with_azurite

mkdir -p bin .data
echo "== binaries"
CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o bin/handler-stripped ./handler
CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o bin/barehttp ./tools/barehttp
CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o bin/sdkbaseline ./tools/sdkbaseline
size=$(stat -c %s bin/handler-stripped)
awk -v s="$size" 'BEGIN { printf "stripped binary size: %.1f MB (target <= 25 MB), ratio to target %.2f\n", s/1048576, s/1048576/25 }'

echo "== cold start"
envfile=$(mktemp)
cat >"$envfile" <<ENV
TableStorage=${TEAMSPRO_TEST_TABLES}
TABLE_PREFIX=bench
DEV_SIGNIN=true
DEV_SIGNIN_KEY_FILE=${root}/.data/bench-dev-key.json
LOG_LEVEL=warn
ENV
go run ./tools/coldstart -n "${COLDSTART_RUNS:-20}" -env "$envfile" bin/handler-stripped bin/barehttp
# The share of the required SDKs: the same bare server linked with them only.
go run ./tools/coldstart -n "${COLDSTART_RUNS:-20}" bin/sdkbaseline bin/barehttp | sed 's/(target <= 1.5)/(the required packages alone, for reference)/'
rm -f "$envfile"

echo "== Go benchmarks (against Azurite)"
go test -run '^$' -bench . -benchmem -benchtime "${BENCHTIME:-1s}" ./... | grep -E '^(Benchmark|ok|FAIL)' || true

echo "== load, memory and handler overhead"
go run ./tools/load -bin bin/handler-stripped -requests "${LOAD_REQUESTS:-10000}" -clients "${LOAD_CLIENTS:-8}"
