#!/usr/bin/env bash
# A short tour of infra on the embedded sandbox: PRA configuration, bulk onboarding and the XML APIs, a Virtomize VM
# installed and waited for, and Jotelulu.
#
# The tour never touches a configured site: it runs with none of the caller's INFRA_*/BT_* variables, with a config
# and cache directory of its own (so no profile, stored credential or cached token is used), and every command names
# the sandbox it started (--sandbox). Only with --site (make demo DEMO_SITE=1) does it run a read-only part
# (lists and health) against the PRA site configured in the caller's environment or profile.
#
# Usage: scripts/demo.sh [--site] [BIN]   (BIN defaults to bin/infra)
set -euo pipefail

SITE=0
if [[ "${1:-}" == "--site" ]]; then
  SITE=1
  shift
fi
BIN=${1:-bin/infra}
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
infra() { "$BIN" "$@"; }

# Bold command lines only on a terminal, and never with NO_COLOR.
B="" R=""
if [[ -t 2 && -z "${NO_COLOR:-}" ]]; then
  B=$'\033[1m' R=$'\033[0m'
fi

# quote prints its arguments as one shell command line that can be pasted back as is.
quote() {
  local out="" a
  for a in "$@"; do
    if [[ "$a" =~ ^[A-Za-z0-9_./:=,@%+-]+$ ]]; then
      out+=" $a"
    else
      out+=" '${a//\'/\'\\\'\'}'"
    fi
  done
  printf '%s' "${out# }"
}
# run echoes `infra ARGS` (quoted) on stderr, then runs it; pipe does the same for a pipeline written as a string.
run() { printf '\n%s$ %s%s\n' "$B" "$(quote infra "$@")" "$R" >&2; infra "$@"; }
pipe() { printf '\n%s$ %s%s\n' "$B" "$1" "$R" >&2; eval "$1"; }

if [[ $SITE == 1 ]]; then
  echo "Read-only tour of the configured PRA site (lists and health; nothing is created or changed)." >&2
  run pra jump-group list
  run pra jump-item list shell-jump --columns id,name,hostname,tag
  run pra health
  echo >&2
  echo "Tour finished." >&2
  exit 0
fi

# Isolation: nothing of the caller's configuration reaches the tour.
for v in $(compgen -e); do
  case $v in INFRA_* | BT_*) unset "$v" ;; esac
done
tmp=$(mktemp -d)
export INFRA_CONFIG_DIR="$tmp/config" INFRA_CACHE_DIR="$tmp/cache" INFRA_SECRET_STORE=file
export INFRA_VIRTOMIZE_POLL_INTERVAL=200ms INFRA_JOTELULU_POLL_INTERVAL=200ms
cleanup() { infra sandbox stop -q 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

echo "Starting the embedded sandbox (PRA, Virtomize and Jotelulu simulators on 127.0.0.1)." >&2
infra sandbox serve --vendor pra,virtomize,jotelulu --detach -q

run --sandbox pra jump-group list
run --sandbox pra jump-group create --name "Demo servers" --code-name demo_servers --comments "created by the tour" -o json
id=$(infra --sandbox pra jump-group list --name "Demo servers" --jq '.[0].id')
run --sandbox pra jump-group update "$id" --comments "updated by the tour" -o yaml
pipe "printf 'name=\"Piped group\"\ncomments=\"from key=value input\"\n' | infra --sandbox pra -k add jump-group   # btapi style"
run --sandbox pra jump-group list -K
run --sandbox pra jump-group list -o csv
run --sandbox pra jump-group delete "$id" --yes

# Register hosts: one typed, three in bulk from CSV (validated first, journaled, created exactly once).
run --sandbox pra jump-item add shell-jump --name web-1 --hostname 10.0.0.11 --jump-group-id 1 --jumpoint-id 1 --protocol ssh --tag demo -o yaml
cd "$tmp"
printf 'name,hostname,tag\nweb-2,10.0.0.12,demo\nweb-3,10.0.0.13,demo\nweb-4,10.0.0.14,demo\n' > hosts.csv
run --sandbox pra jump-item add shell-jump --from-file hosts.csv --jump-group-id 1 --jumpoint-id 1 --protocol ssh
run --sandbox pra jump-item list shell-jump --tag demo --columns id,name,hostname,tag
run --sandbox pra health

# Virtomize: create a VM, install it and wait until it has an address (the root password comes from stdin).
run --sandbox virtomize vm list
ROOT_PW=demo-root-pw
pipe 'printf %s "$ROOT_PW" | infra --sandbox virtomize vm create --name demo-vm --owner 1 --cpu 2 --ram 4GB --disc 40GB --oskey 1 --clusterkey 1 --datastore auto --network 1 --install --password-stdin --wait'
# Jotelulu: organizations and servers (paths the public docs do not show are marked inferred in api-map).
run --sandbox jotelulu org list
run --sandbox jotelulu server subscription list
run --sandbox jotelulu api-map
echo >&2
echo "Tour finished. Try it yourself: infra sandbox serve --vendor pra,virtomize,jotelulu --detach" >&2
