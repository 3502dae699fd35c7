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
# The same with the settings of a deployment (managed identity, Service Bus,
# SendGrid, Entra ID): what a start builds for them, with no storage call
# before the first answer. Nothing listens at these addresses.
cat >"$envfile" <<ENV
TableStorage__tableServiceUri=https://teamsprobench.table.core.windows.net
AZURE_CLIENT_ID=11111111-2222-4333-8444-555555555555
ServiceBusConnection__fullyQualifiedNamespace=teamsprobench.servicebus.windows.net
SENDGRID_API_KEY=SG.bench
ENTRA_CLIENT_ID=aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee
ENTRA_TENANT_ID=ffffffff-bbbb-4ccc-8ddd-eeeeeeeeeeee
ENTRA_JWKS_URL=http://127.0.0.1:9/keys
TABLE_PREFIX=bench
LOG_LEVEL=warn
ENV
go run ./tools/coldstart -n "${COLDSTART_RUNS:-20}" -env "$envfile" bin/handler-stripped bin/barehttp | sed 's/(target <= 1.5)/(target <= 1.5; the settings of a deployment)/'
# The share of the required SDKs: the same bare server linked with them only.
go run ./tools/coldstart -n "${COLDSTART_RUNS:-20}" bin/sdkbaseline bin/barehttp | sed 's/(target <= 1.5)/(the required packages alone, for reference)/'
rm -f "$envfile"

echo "== Go benchmarks (against Azurite)"
gobench=$(mktemp)
go test -run '^$' -bench . -benchmem -benchtime "${BENCHTIME:-1s}" ./... | grep -E '^(Benchmark|ok|FAIL)' | tee "$gobench" || true
# The read paths' figures beside their targets (issue 16). Allocations are
# compared with the figures before that work: 78,374 per free-room search
# (one day) and 63,866 per month view of 5,000 events.
awk '
  function metric(unit,   i) { for (i = 3; i < NF; i++) if ($(i+1) == unit) return $i; return "" }
  /^BenchmarkFreeRoomSearch\/days=1-/ {
    printf "free-room search, 500 rooms, one day: %s allocations, %.1f%% of the 78,374 before (target <= 10%%); handler CPU %s ms per search (target <= 10); median %s ms vs %s ms for its storage queries made directly: ratio %s (target <= 1.3)\n",
      metric("allocs/op"), 100 * metric("allocs/op") / 78374, metric("cpu-ms/op"), metric("median-ms"), metric("storage-median-ms"), metric("x-storage")
  }
  /^BenchmarkFindTime\/search-/ {
    printf "find a time, 5 participants, 200 rooms, 5 working days (warm instance): %s storage round trips; median %s ms, slowest %s ms (target <= 1000 ms), ratio to target %.2f\n",
      metric("roundtrips/op"), metric("median-ms"), metric("max-ms"), metric("max-ms") / 1000
  }
  /^BenchmarkFindTime\/book-/ {
    printf "find a time, booking a suggestion in one step: %s storage round trips; median %s ms, slowest %s ms\n",
      metric("roundtrips/op"), metric("median-ms"), metric("max-ms")
  }
  /^BenchmarkNotifications\// {
    op = $1; sub(/^BenchmarkNotifications\//, "", op); sub(/-[0-9]+$/, "", op)
    printf "%s, notifications on vs off: median %s ms vs %s ms, ratio %s (target <= 1.2); storage round trips on the request path %s vs %s (%s vs %s counting the announcement after the answer); queue calls on the request path %s (target 0)\n",
      op, metric("ms-on"), metric("ms-off"), metric("on/off"), metric("request-roundtrips-on"), metric("request-roundtrips-off"), metric("roundtrips-on"), metric("roundtrips-off"), metric("queuecalls-on")
  }
  /^BenchmarkMonthView5000-/ {
    printf "month view, 5,000 events: %s allocations, %.1f%% of the 63,866 before (target <= 25%%); CPU %s ms per view; median %s ms vs %s ms for its storage queries made directly: ratio %s (target <= 1.3)\n",
      metric("allocs/op"), 100 * metric("allocs/op") / 63866, metric("cpu-ms/op"), metric("median-ms"), metric("storage-median-ms"), metric("x-storage")
  }
  /^BenchmarkUtilisation200Rooms30Days-/ {
    printf "utilisation report, 200 rooms, 30 days (%s reservations counted): %s round trips; median %s ms (target <= 1000 ms), ratio to target %.2f; its day queries made directly one after the other: %s ms (ratio %s); CPU %s ms per report\n",
      metric("reservations"), metric("roundtrips/op"), metric("median-ms"), metric("median-ms") / 1000, metric("storage-median-ms"), metric("x-storage"), metric("cpu-ms/op")
  }
  /^BenchmarkTimeline50Rooms\/view-/ {
    printf "booking timeline, 50 rooms x 1 week (500 reservations): one request per room (6 at a time) %s requests, %s round trips, median %s ms; one request for the view %s request, %s round trips, median %s ms; %sx faster\n",
      metric("requests-per-room"), metric("roundtrips-per-room"), metric("median-ms-per-room"), metric("requests-one-request"), metric("roundtrips-one-request"), metric("median-ms-one-request"), metric("speedup")
  }
  # Memory per request of the largest answers, before they were streamed:
  # 5,564,054 B (1,000 occurrences), 2,297,549 B (rooms CSV, 500 rooms),
  # 4,822,892 B (organization export).
  /^BenchmarkLargeAnswers\// {
    split("occurrences-1000 5564054 rooms-export-500 2297549 org-export 4822892", before, " ")
    name = $1; sub(/^BenchmarkLargeAnswers\//, "", name); sub(/-[0-9]+$/, "", name)
    for (i = 1; i < 6; i += 2) if (before[i] == name) was = before[i+1]
    printf "answer %s (%s KiB, streamed): %.2f MB allocated per request (%.2f MB before streaming), %s allocations\n",
      name, metric("answer-KiB"), metric("B/op") / 1e6, was / 1e6, metric("allocs/op")
  }
  /^BenchmarkListRoomsOverhead\/through-/ { tb = metric("B/op"); ta = metric("allocs/op") }
  /^BenchmarkListRoomsOverhead\/direct-/ {
    printf "handler overhead in process, list 5 rooms: %d B and %d allocations per request beyond the store call (%s B, %s allocations); before: 5,220 B and 62 allocations\n",
      tb - metric("B/op"), ta - metric("allocs/op"), metric("B/op"), metric("allocs/op")
  }
  /^BenchmarkListEventsOverhead\/through-/ { etb = metric("B/op"); eta = metric("allocs/op") }
  /^BenchmarkListEventsOverhead\/direct-/ {
    printf "handler overhead in process, a month of 40 events: %d B and %d allocations per request beyond the store call (%s B, %s allocations); before: 118,181 B and 279 allocations\n",
      etb - metric("B/op"), eta - metric("allocs/op"), metric("B/op"), metric("allocs/op")
  }
  /^BenchmarkCalendarMonthView5000Browser-/ {
    printf "Calendar Pro month view of a 5,000-event calendar in headless Chromium, navigation to events drawn: cold %.0f ms, warm median %.0f ms (target <= 1500 ms), ratio to target %.2f (cold) %.2f (warm); %s events drawn\n",
      metric("cold-ms"), metric("warm-median-ms"), metric("cold-ms") / 1500, metric("warm-median-ms") / 1500, metric("events-drawn")
  }' "$gobench"
rm -f "$gobench"

echo "== Teams tabs: first screen"
node scripts/tabsize.mjs

echo "== load, memory and handler overhead"
go run ./tools/load -bin bin/handler-stripped -requests "${LOAD_REQUESTS:-10000}" -clients "${LOAD_CLIENTS:-8}"
