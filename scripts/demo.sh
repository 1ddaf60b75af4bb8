#!/usr/bin/env bash
# A short tour of infra against the embedded sandbox (or a real PRA site when one is configured): PRA configuration,
# bulk onboarding and the XML APIs, then, in the sandbox, a Virtomize VM installed and waited for, and Jotelulu.
set -euo pipefail
BIN=${1:-bin/infra}
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
run() { printf '\n\033[1m$ infra %s\033[0m\n' "$*" >&2; "$BIN" "$@"; }

tmp=$(mktemp -d)
cleanup() { [[ -n "${SANDBOX_PID:-}" ]] && kill "$SANDBOX_PID" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

ENVARGS=()
if [[ -z "${INFRA_PRA_HOST:-}${BT_API_HOST:-}" ]] && ! "$BIN" config get pra.host 2>/dev/null | grep -q .; then
  echo "No PRA site configured: starting the embedded sandbox (PRA, Virtomize and Jotelulu simulators)." >&2
  export INFRA_CONFIG_DIR="$tmp/config" INFRA_CACHE_DIR="$tmp/cache" INFRA_SECRET_STORE=file
  export INFRA_VIRTOMIZE_POLL_INTERVAL=200ms INFRA_JOTELULU_POLL_INTERVAL=200ms
  "$BIN" sandbox serve --vendor pra,virtomize,jotelulu --env-out "$tmp/sandbox.env" >/dev/null &
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

# Register hosts: one typed, three in bulk from CSV (validated first, journaled, created exactly once).
run "${ENVARGS[@]}" pra jump-item add shell-jump --name web-1 --hostname 10.0.0.11 --jump-group-id 1 --jumpoint-id 1 --protocol ssh --tag demo -o yaml
printf 'name,hostname,tag\nweb-2,10.0.0.12,demo\nweb-3,10.0.0.13,demo\nweb-4,10.0.0.14,demo\n' > "$tmp/hosts.csv"
run "${ENVARGS[@]}" pra jump-item add shell-jump --from-file "$tmp/hosts.csv" --jump-group-id 1 --jumpoint-id 1 --protocol ssh
run "${ENVARGS[@]}" pra jump-item list shell-jump --tag demo --columns id,name,hostname,tag
run "${ENVARGS[@]}" pra health

if [[ -n "${SANDBOX_PID:-}" ]]; then
  # Virtomize: create a VM, install it and wait until it has an address (the root password comes from stdin).
  run "${ENVARGS[@]}" virtomize vm list
  printf '\n\033[1m$ printf %%s "$ROOT_PW" | infra virtomize vm create --name demo-vm … --network 1 --install --password-stdin --wait\033[0m\n' >&2
  printf '%s' 'demo-root-pw' | "$BIN" "${ENVARGS[@]}" virtomize vm create --name demo-vm --owner 1 --cpu 2 --ram 4GB --disc 40GB \
    --oskey 1 --clusterkey 1 --datastore auto --network 1 --install --password-stdin --wait
  # Jotelulu: organizations and servers (paths the public docs do not show are marked inferred in api-map).
  run "${ENVARGS[@]}" jotelulu org list
  run "${ENVARGS[@]}" jotelulu server subscription list
  run "${ENVARGS[@]}" jotelulu api-map
fi
run "${ENVARGS[@]}" auth status
echo >&2
echo "Tour finished." >&2
