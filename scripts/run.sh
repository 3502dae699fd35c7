#!/usr/bin/env bash
# make run: Azurite + the handler with dev sign-in, as a newcomer's first run.
# Settings come from local.settings.sample.json (or local.settings.json when you
# made one); data stays under .data/ (git-ignored). Ctrl-C stops both.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

settings=local.settings.sample.json
[ -f local.settings.json ] && settings=local.settings.json
# make run is the whole product: the timers fire in process (no Functions host
# runs them here), and the dev key is one absolute file for the server and
# devtoken alike, wherever devtoken is run from.
export LOCAL_TIMERS="${LOCAL_TIMERS:-true}"
export DEV_SIGNIN_KEY_FILE="${DEV_SIGNIN_KEY_FILE:-$root/.data/dev-signin-key.json}"
# Export every Values entry as an environment variable (node is there for Azurite anyway).
eval "$(node -e '
  const v = require("./'"$settings"'").Values;
  for (const [k, val] of Object.entries(v)) {
    if (process.env[k] === undefined) console.log(`export ${k}=${JSON.stringify(String(val))}`);
  }')"
port="${FUNCTIONS_CUSTOMHANDLER_PORT:-7071}"
export FUNCTIONS_CUSTOMHANDLER_PORT="$port"
. scripts/lib.sh

pid=""
hpid=""
cleanup() {
  [ -n "$hpid" ] && kill "$hpid" 2>/dev/null || true
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  echo "Port $port is taken (another make run?): stop it, or set FUNCTIONS_CUSTOMHANDLER_PORT." >&2
  exit 1
fi
# The emulator account of the settings means a local Azurite: make run starts
# its own, on a free port of its own, never whatever listens on 10002 (another
# project's emulator would get this one's tables). Any other TableStorage is
# used as given.
storage="the storage account of TableStorage in $settings"
if [[ "${TableStorage:-}" == *devstoreaccount1* ]]; then
  aport=$(free_port)
  pid=$(scripts/azurite.sh start .data/azurite "$aport")
  export TableStorage="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:${aport}/devstoreaccount1;"
  storage="Azurite started by make run on 127.0.0.1:${aport} (a free port of its own), data in .data/azurite"
fi
echo "Table Storage: $storage"

bash scripts/web.sh
go build -o bin/handler ./handler

tenant="${DEV_TENANT:-11111111-1111-4111-8111-111111111111}"
user="${DEV_USER:-22222222-2222-4222-8222-222222222222}"

bin/handler &
hpid=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:${port}/api/health" >/dev/null 2>&1 && break
  kill -0 "$hpid" 2>/dev/null || { echo "the handler stopped; its log is above" >&2; exit 1; }
  sleep 0.1
done
# Minted once the server has loaded (or created) its key.
token=$(bin/handler devtoken --tenant "$tenant" --user "$user" --name "Dev User" --upn "dev@contoso.example" --admin 2>/dev/null)

cat <<MSG

TeamsPro Functions is running on http://127.0.0.1:${port} with dev sign-in.
Table Storage: ${storage}.
Timers (release-unchecked, flush-outbox, repair-bookings, purge-deleted) fire on their function.json schedules.
Dev sign-in key: ${DEV_SIGNIN_KEY_FILE}
A dev token (tenant ${tenant}, user ${user}, tenant admin), valid 12 hours:

export TOKEN=${token}

Try:
  curl -s -H "Authorization: Bearer \$TOKEN" http://127.0.0.1:${port}/api/me

More tokens: bin/handler devtoken --tenant <guid> --user <guid> [--name ...] [--upn ...] [--admin]
A walkthrough to paste (tab -> calendar id -> event -> room -> booking -> feed): README, "A first hour".
The Teams tabs in this browser (dev sign-in screen first):
  Calendar Pro:      http://127.0.0.1:${port}/calendar-pro/config  (then /calendar-pro/content?tab=<id>)
  Booking Room Pro:  http://127.0.0.1:${port}/booking-room-pro/config  (then /booking-room-pro/content?tab=<id>)
  Add ?theme=dark or ?theme=contrast, ?locale=fr to try the themes and French.
The API: http://127.0.0.1:${port}/api/openapi.json
Notifications go through an in-process queue; mails land in ${MAIL_OUTBOX_DIR} as .eml files.
Stop: Ctrl-C
MSG
wait "$hpid"
