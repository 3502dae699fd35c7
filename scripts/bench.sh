#!/usr/bin/env bash
# make bench: the Go benchmarks against a real Azurite. Figures are printed, not
# asserted: speed is measured here, never in tests.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. scripts/lib.sh
with_azurite

go test -run '^$' -bench . -benchmem -benchtime "${BENCHTIME:-1s}" ./... | grep -E '^(Benchmark|ok|PASS|FAIL|goos|cpu)' || true
