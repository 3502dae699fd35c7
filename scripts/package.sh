#!/usr/bin/env bash
# make package: build the deployable Functions app.
#
#   bash scripts/package.sh [REPO_ROOT]
#
# Builds a static linux/amd64 handler, stages dist/app/ (host.json, the binary named
# as host.json's customHandler.description.defaultExecutablePath, and one folder per
# function copied from functions/<name>/function.json), zips it to
# dist/teamspro-functions.zip and checks the zip's layout. REPO_ROOT defaults to the
# repository holding this script; the packaging tool always comes from there.
set -euo pipefail

tools_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
root="$(cd "${1:-$tools_root}" && pwd)"
stage="$root/dist/app"
zip_out="$root/dist/teamspro-functions.zip"
name_re='^[a-z][a-z0-9_-]{0,127}$'

die() { echo "package: $*" >&2; exit 1; }

[ -f "$root/host.json" ] || die "no host.json in $root"
[ -d "$root/functions" ] || die "no functions/ folder in $root"
[ -d "$root/handler" ] || die "no handler/ main package in $root"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
tool="$work/deploytool"
(cd "$tools_root" && go build -o "$tool" ./internal/deploy/cmd/deploytool)

exe="$("$tool" exe "$root/host.json")"

rm -rf "$stage" "$zip_out"
mkdir -p "$stage"

if [ -f "$root/web/package.json" ]; then bash "$root/scripts/web.sh"; fi
echo "package: building $exe for linux/amd64"
(cd "$root" && CGO_ENABLED=0 GOOS=linux GOARCH=amd64 \
  go build -trimpath -ldflags='-s -w' -o "$stage/$exe" ./handler)
cp "$root/host.json" "$stage/host.json"

count=0
for dir in "$root"/functions/*/; do
  dir="${dir%/}"
  name="$(basename "$dir")"
  # Only folders with a function.json are functions; the Go package's own files
  # and any other folder stay out of the package.
  [ -f "$dir/function.json" ] || continue
  [[ "$name" =~ $name_re ]] || die "functions/$name: a function folder name must match $name_re"
  [ "$name" != "$exe" ] || die "functions/$name: same name as the handler binary"
  mkdir "$stage/$name"
  cp "$dir/function.json" "$stage/$name/function.json"
  count=$((count + 1))
done
[ "$count" -gt 0 ] || die "no functions/<name>/function.json found"

# zip keeps Unix modes, so the binary stays executable; without zip (a fresh
# machine with only Go), the same is done in Go.
if [ "${PACKAGE_ZIP:-}" != "go" ] && command -v zip >/dev/null 2>&1; then
  (cd "$stage" && zip -qrX "$zip_out" .)
else
  "$tool" zip "$stage" "$zip_out"
fi

"$tool" verify-app "$zip_out" || { rm -f "$zip_out"; die "the package layout is wrong; nothing left in dist/"; }
echo "package: $zip_out ($count functions)"
