#!/usr/bin/env bash
# make lint: the OpenAPI document the handler serves, linted by the pinned
# Redocly CLI (tools/redocly/package-lock.json, installed here on first use)
# with tools/redocly/redocly.yaml. Fails on any error or warning.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tools="$root/tools/redocly"
bin="$tools/node_modules/.bin/redocly"
. "$root/scripts/lib.sh"
npm_ci_pinned "$tools"
cd "$tools"
go run "$root/tools/openapi" >openapi.json
# (The CLI boxes a notice about Node.js versions; it is not about the document.)
out=$("$bin" lint --config redocly.yaml --format=stylish openapi.json 2>&1 | grep -v '[║╔╚]') || { echo "$out"; exit 1; }
if echo "$out" | grep -Eq '\b(warning|error)\b'; then echo "$out"; exit 1; fi
echo "OpenAPI document: 0 errors, 0 warnings (Redocly $("$bin" --version 2>/dev/null | grep -Eo '^[0-9.]+$' | head -1))"
