#!/usr/bin/env bash
# make run: Azurite + the handler with dev sign-in, as a newcomer's first run.
# Settings come from local.settings.sample.json (or local.settings.json when you
# made one); data stays under .data/ (git-ignored). Ctrl-C stops both.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

settings=local.settings.sample.json
[ -f local.settings.json ] && settings=local.settings.json
# Export every Values entry as an environment variable (node is there for Azurite anyway).
eval "$(node -e '
  const v = require("./'"$settings"'").Values;
  for (const [k, val] of Object.entries(v)) {
    if (process.env[k] === undefined) console.log(`export ${k}=${JSON.stringify(String(val))}`);
  }')"
port="${FUNCTIONS_CUSTOMHANDLER_PORT:-7071}"
export FUNCTIONS_CUSTOMHANDLER_PORT="$port"

pid=""
hpid=""
cleanup() {
  [ -n "$hpid" ] && kill "$hpid" 2>/dev/null || true
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

if (exec 3<>/dev/tcp/127.0.0.1/10002) 2>/dev/null; then
  echo "Table Storage already answers on 127.0.0.1:10002; using it."
else
  pid=$(scripts/azurite.sh start .data/azurite 10002)
  echo "Azurite (tables) started on 127.0.0.1:10002, data in .data/azurite"
fi

bash scripts/web.sh
go build -o bin/handler ./handler

tenant="${DEV_TENANT:-11111111-1111-4111-8111-111111111111}"
user="${DEV_USER:-22222222-2222-4222-8222-222222222222}"
token=$(bin/handler devtoken --tenant "$tenant" --user "$user" --name "Dev User" --upn "dev@contoso.example" --admin)

bin/handler &
hpid=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:${port}/api/health" >/dev/null 2>&1 && break
  sleep 0.1
done

cat <<MSG

TeamsPro Functions is running on http://127.0.0.1:${port} with dev sign-in.
A dev token (tenant ${tenant}, user ${user}, tenant admin), valid 12 hours:

export TOKEN=${token}

Try:
  curl -s -H "Authorization: Bearer \$TOKEN" http://127.0.0.1:${port}/api/me

More tokens: bin/handler devtoken --tenant <guid> --user <guid> [--name ...] [--upn ...] [--admin]
The Teams tabs in this browser (dev sign-in screen first):
  Calendar Pro:      http://127.0.0.1:${port}/calendar-pro/config  (then /calendar-pro/content?tab=<id>)
  Booking Room Pro:  http://127.0.0.1:${port}/booking-room-pro/config  (then /booking-room-pro/content?tab=<id>)
  Add ?theme=dark or ?theme=contrast, ?locale=fr to try the themes and French.
The API: http://127.0.0.1:${port}/api/openapi.json
Notifications go through an in-process queue; mails land in ${MAIL_OUTBOX_DIR} as .eml files.
Stop: Ctrl-C
MSG
wait "$hpid"
