#!/usr/bin/env bash
# make teams-package: build the Teams app packages to upload to Teams.
#
#   bash scripts/teams-package.sh [REPO_ROOT]
#
# Teams allows one configurable tab per app, so Calendar Pro and Booking Room Pro
# are two apps: this writes dist/teams-app-calendar-pro.zip and
# dist/teams-app-booking-room-pro.zip, each holding manifest.json (filled in from
# appPackage/<app>/manifest.json), color.png and outline.png, checked against the
# vendored Teams manifest schema.
#
# Values come from the environment, and for those not set there from
# `azd env get-values` when azd is installed (skip that with TEAMS_PACKAGE_NO_AZD=1):
#   TAB_ENDPOINT           https origin serving the tab pages, e.g. https://tabs.contoso.com
#   AAD_APP_CLIENT_ID      Entra app (client) id        (default: ENTRA_CLIENT_ID)
#   APP_ID_URI             api://<tab host>/<client id> (default: ENTRA_APP_ID_URI)
#   CALENDAR_TEAMS_APP_ID  a GUID of your choice, stable across versions (uuidgen)
#   BOOKING_TEAMS_APP_ID   another GUID
# Optional: PUBLISHER_NAME, PUBLISHER_URL, PRIVACY_URL, TERMS_URL; DIST_DIR (default
# REPO_ROOT/dist).
set -euo pipefail

tools_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
root="$(cd "${1:-$tools_root}" && pwd)"
dist="${DIST_DIR:-$root/dist}"
apps=(calendar-pro booking-room-pro)

die() { echo "teams-package: $*" >&2; exit 1; }

# Values from azd's environment fill only what the environment leaves empty.
if [ -z "${TEAMS_PACKAGE_NO_AZD:-}" ] && command -v azd >/dev/null 2>&1; then
  if values="$(cd "$root" && azd env get-values 2>/dev/null)"; then
    while IFS= read -r line; do
      [[ "$line" =~ ^([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] || continue
      key="${BASH_REMATCH[1]}"
      val="${BASH_REMATCH[2]}"
      val="${val#\"}"
      val="${val%\"}"
      if [ -z "${!key:-}" ]; then export "$key=$val"; fi
    done <<<"$values"
  fi
fi

export AAD_APP_CLIENT_ID="${AAD_APP_CLIENT_ID:-${ENTRA_CLIENT_ID:-}}"
export APP_ID_URI="${APP_ID_URI:-${ENTRA_APP_ID_URI:-}}"

missing=()
for v in TAB_ENDPOINT AAD_APP_CLIENT_ID APP_ID_URI CALENDAR_TEAMS_APP_ID BOOKING_TEAMS_APP_ID; do
  [ -n "${!v:-}" ] || missing+=("$v")
done
[ "${#missing[@]}" -eq 0 ] || die "missing ${missing[*]}: set them in the environment or with azd env set (see docs/deploy.md)"

TAB_ENDPOINT="${TAB_ENDPOINT%/}"
[[ "$TAB_ENDPOINT" =~ ^https://([^/:]+)(:[0-9]+)?$ ]] || die "TAB_ENDPOINT must be an https origin such as https://tabs.contoso.com, got $TAB_ENDPOINT"
export TAB_ENDPOINT
export TAB_DOMAIN="${BASH_REMATCH[1]}"
export PUBLISHER_NAME="${PUBLISHER_NAME:-TeamsPro}"
export PUBLISHER_URL="${PUBLISHER_URL:-$TAB_ENDPOINT}"
export PRIVACY_URL="${PRIVACY_URL:-$TAB_ENDPOINT/privacy}"
export TERMS_URL="${TERMS_URL:-$TAB_ENDPOINT/terms}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
tool="$work/deploytool"
(cd "$tools_root" && go build -o "$tool" ./internal/deploy/cmd/deploytool)

mkdir -p "$dist"
for app in "${apps[@]}"; do
  src="$root/appPackage/$app"
  stage="$work/$app"
  out="$dist/teams-app-$app.zip"
  mkdir -p "$stage"
  "$tool" render "$src/manifest.json" "$stage/manifest.json" || die "$app: cannot fill in the manifest"
  cp "$src/color.png" "$src/outline.png" "$stage/"
  "$tool" check-manifest "$stage/manifest.json" "$root/appPackage/schema/MicrosoftTeams.schema.json" ||
    die "$app: the filled-in manifest is not valid"
  rm -f "$out"
  "$tool" zip "$stage" "$out"
  echo "teams-package: $out"
done
