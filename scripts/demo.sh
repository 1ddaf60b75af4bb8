#!/usr/bin/env bash
# A short tour of infra against the embedded sandbox (or a real PRA site when one is configured).
set -euo pipefail
BIN=${1:-bin/infra}
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
run() { printf '\n\033[1m$ infra %s\033[0m\n' "$*" >&2; "$BIN" "$@"; }

tmp=$(mktemp -d)
cleanup() { [[ -n "${SANDBOX_PID:-}" ]] && kill "$SANDBOX_PID" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

ENVARGS=()
if [[ -z "${INFRA_PRA_HOST:-}${BT_API_HOST:-}" ]] && ! "$BIN" config get pra.host 2>/dev/null | grep -q .; then
  echo "No PRA site configured: starting the embedded sandbox." >&2
  export INFRA_CONFIG_DIR="$tmp/config" INFRA_CACHE_DIR="$tmp/cache"
  "$BIN" sandbox serve --env-out "$tmp/sandbox.env" >/dev/null &
  SANDBOX_PID=$!
  for _ in $(seq 1 100); do [[ -s "$tmp/sandbox.env" ]] && break; sleep 0.05; done
  [[ -s "$tmp/sandbox.env" ]] || { echo "sandbox did not start" >&2; exit 1; }
  ENVARGS=(--env-file "$tmp/sandbox.env")
fi

run "${ENVARGS[@]}" pra jump-group list
run "${ENVARGS[@]}" pra jump-group create --name "Demo servers" --code-name demo_servers --comments "created by the tour" -o json
id=$("$BIN" "${ENVARGS[@]}" pra jump-group list --name "Demo servers" --jq '.[0].id')
run "${ENVARGS[@]}" pra jump-group update "$id" --comments "updated by the tour" -o yaml
printf '\n\033[1m$ echo name=... | infra pra -k add jump-group   (btapi style)\033[0m\n' >&2
printf 'name="Piped group"\ncomments="from key=value input"\n' | "$BIN" "${ENVARGS[@]}" pra -k add jump-group
run "${ENVARGS[@]}" pra jump-group list -K
run "${ENVARGS[@]}" pra jump-group list -o csv
run "${ENVARGS[@]}" pra jump-group delete "$id" --yes
run "${ENVARGS[@]}" auth status
echo >&2
echo "Tour finished." >&2
