#!/usr/bin/env bash
# make test: runs every Go test with the race detector against a real Azurite.
# Uses TEAMSPRO_TEST_TABLES (a Table Storage connection string) when it is set;
# otherwise starts the pinned Azurite on a free port and stops it afterwards.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

pid=""
data=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  if [ -n "$data" ]; then rm -rf "$data"; fi
}
trap cleanup EXIT INT TERM

if [ -z "${TEAMSPRO_TEST_TABLES:-}" ]; then
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null \
    || node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
  data="$(mktemp -d)"
  pid=$(scripts/azurite.sh start "$data" "$port")
  export TEAMSPRO_TEST_TABLES="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:${port}/devstoreaccount1;"
  echo "Azurite (tables) on 127.0.0.1:${port}"
fi

if [ "$#" -eq 0 ]; then set -- ./...; fi
go test -race -count=1 -timeout 20m "$@"
