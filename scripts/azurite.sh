#!/usr/bin/env bash
# Installs the pinned Azurite (tools/azurite/package-lock.json) when missing and
# starts its Table service.
#   scripts/azurite.sh install         install only
#   scripts/azurite.sh start DIR PORT  start in the background, data in DIR; prints the PID
#                                      once the port answers
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
. "$root/scripts/lib.sh"
tools="$root/tools/azurite"
bin="$tools/node_modules/.bin/azurite-table"

install() { npm_ci_pinned "$tools"; }

case "${1:-}" in
  install)
    install
    ;;
  start)
    dir="${2:?data folder}"; port="${3:?port}"
    install
    mkdir -p "$dir"
    "$bin" --silent --skipApiVersionCheck --disableProductStyleUrl \
      --location "$dir" --tableHost 127.0.0.1 --tablePort "$port" >"$dir/azurite.log" 2>&1 &
    pid=$!
    # Up to 60 s: on a busy 2-core machine Node alone can take over 10 s to start.
    for _ in $(seq 1 600); do
      if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$pid"; exit 0; fi
      if ! kill -0 "$pid" 2>/dev/null; then cat "$dir/azurite.log" >&2; echo "Azurite did not start" >&2; exit 1; fi
      sleep 0.1
    done
    kill "$pid" 2>/dev/null || true
    echo "Azurite did not answer on port $port" >&2
    exit 1
    ;;
  *)
    echo "usage: $0 install | start DIR PORT" >&2; exit 2 ;;
esac
