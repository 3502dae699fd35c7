# Shared by the scripts: install a pinned npm tree, start the pinned Azurite on
# a free port unless TEAMSPRO_TEST_TABLES already names a Table endpoint, and
# stop it on exit.
# shellcheck shell=bash

# npm_marker DIR is the file npm_ci_pinned writes once DIR's install is
# complete (newer than an install's output, so builds can compare with it).
npm_marker() { printf '%s/node_modules/.installed-from' "$1"; }

# npm_ci_pinned DIR runs npm ci in DIR unless its node_modules was installed,
# completely, from the lockfile DIR holds now: a marker written after the
# install names the lockfile's digest. An interrupted npm ci leaves binaries
# behind in a tree that fails with "Cannot find module", and a changed lockfile
# needs a new install; both reinstall. Two scripts installing one tree at once
# (parallel runs) take turns through a lock. Output goes to stderr.
npm_ci_pinned() {
  local dir="$1" want marker
  want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
  marker="$(npm_marker "$dir")"
  [ "$(cat "$marker" 2>/dev/null)" = "$want" ] && return 0
  (
    flock 9
    if [ "$(cat "$marker" 2>/dev/null)" != "$want" ]; then
      echo "installing the pinned npm packages of ${dir#"$root"/} ..." >&2
      rm -f "$marker"
      (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2)
      echo "$want" >"$marker"
    fi
  ) 9>"$dir/.install.lock"
}

_azurite_pid=""
_azurite_data=""

_azurite_cleanup() {
  if [ -n "$_azurite_pid" ]; then kill "$_azurite_pid" 2>/dev/null || true; wait "$_azurite_pid" 2>/dev/null || true; fi
  if [ -n "$_azurite_data" ]; then rm -rf "$_azurite_data"; fi
}

free_port() {
  node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# with_azurite exports TEAMSPRO_TEST_TABLES, starting Azurite when needed.
with_azurite() {
  if [ -n "${TEAMSPRO_TEST_TABLES:-}" ]; then return 0; fi
  local port
  port=$(free_port)
  _azurite_data="$(mktemp -d)"
  trap _azurite_cleanup EXIT INT TERM
  _azurite_pid=$("$root/scripts/azurite.sh" start "$_azurite_data" "$port")
  export TEAMSPRO_TEST_TABLES="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:${port}/devstoreaccount1;"
  export TEAMSPRO_AZURITE_PORT="$port"
  echo "Azurite (tables) on 127.0.0.1:${port}"
}
