#!/usr/bin/env bash
# make fuzz: runs every Go fuzz target for the given time each (default 30s),
# or the given number of inputs (5000x). make test runs 5,000 inputs a target
# after the tests: a duration can end in a spurious "context deadline
# exceeded" with Go 1.26 (see scripts/test.sh), a count cannot.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
fuzztime="${1:-30s}"
grep -rl --include='*_test.go' '^func Fuzz' . | grep -v node_modules | sort | while read -r file; do
  pkg="./$(dirname "${file#./}")"
  for target in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$file" | sed 's/^func //'); do
    echo "== fuzz $pkg $target ($fuzztime)"
    if ! out=$(go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg" 2>&1); then
      echo "$out" | grep -v '^fuzz: elapsed' >&2
      exit 1
    fi
    echo "$out" | tail -n 1
  done
done
