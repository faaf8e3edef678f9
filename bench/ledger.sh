#!/usr/bin/env bash
# Ledger figures for docs/benchmarks.md, section "## Ledger". Run from anywhere after ./build.sh:
#   bash bench/ledger.sh            (N=20000 SUBS=64 VERIFY_N=100000 PROOF_LEAVES=1000000 by default)
# Starts its own sp-node processes and a private PostgreSQL cluster (Debian's postgresql, installed when missing)
# on free loopback ports in a temporary folder, and removes them at the end.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
N=${N:-20000}; SUBS=${SUBS:-64}; VERIFY_N=${VERIFY_N:-100000}; PROOF_LEAVES=${PROOF_LEAVES:-1000000}
[ -x bin/sp-node ] && [ -f src/Sp.Node/bin/Release/net10.0/sp-node.dll ] || { echo "ledger.sh: run ./build.sh first" >&2; exit 1; }
dotnet build bench/LedgerBench -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null
B=(dotnet bench/LedgerBench/bin/Release/net10.0/LedgerBench.dll)
work=$(mktemp -d /tmp/sp-ledger-bench.XXXXXX); chmod 755 "$work"
pids=()
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pgbin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -n "${PGB:-}" ] && runuser -u postgres -- "$PGB/pg_ctl" -D "$work/pg" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
start_node() { # DIR PORT: runs sp-node in the background and waits for it
  ./bin/sp-node run "$1" --urls "http://127.0.0.1:$2" >"$1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$2/api/info" >/dev/null && return 0; sleep 0.2; done
  echo "sp-node did not start: $(tail -3 "$1.log")" >&2; exit 1
}

echo "# machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"
echo "## in-process (LedgerService.SubmitAsync, $SUBS concurrent submitters, pre-signed transactions)"
"${B[@]}" inproc sqlite "$N" "$SUBS"

PGB=$(pgbin)
if [ -z "$PGB" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; PGB=$(pgbin); fi
chown postgres "$work"
runuser -u postgres -- "$PGB/initdb" -D "$work/pg" -U postgres --auth=trust -E UTF8 --no-instructions >/dev/null
PGPORT=$(free_port)
runuser -u postgres -- "$PGB/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w -o "-p $PGPORT -k $work -c listen_addresses=127.0.0.1" start >/dev/null
for db in inproc http; do runuser -u postgres -- "$PGB/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres "$db"; done
pg() { echo "Host=127.0.0.1;Port=$PGPORT;Username=postgres;Database=$1"; }
"${B[@]}" inproc postgres "$N" "$SUBS" "$(pg inproc)"

echo "## through HTTP (POST /api/transactions, $SUBS concurrent submitters, one sp-node process)"
./bin/sp-node init "$work/node-sqlite" --network bench >/dev/null
P1=$(free_port); start_node "$work/node-sqlite" "$P1"
echo -n "sqlite     "; "${B[@]}" http "http://127.0.0.1:$P1" bench "$N" "$SUBS"
./bin/sp-node init "$work/node-pg" --network bench --store postgres --postgres "$(pg http)" >/dev/null
P2=$(free_port); start_node "$work/node-pg" "$P2"
echo -n "postgresql "; "${B[@]}" http "http://127.0.0.1:$P2" bench "$N" "$SUBS"

echo "## proofs (MerkleLog: stored hashes in memory; RFC 9162 verification)"
"${B[@]}" proofs "$PROOF_LEAVES"

echo "## spctl ledger verify on $VERIFY_N transactions (node on SQLite)"
have=$(curl -s "http://127.0.0.1:$P1/api/state/digest" | python3 -c 'import json,sys; print(json.load(sys.stdin)["height"])')
if [ "$have" -lt "$VERIFY_N" ]; then "${B[@]}" load "http://127.0.0.1:$P1" bench $((VERIFY_N - have)) >/dev/null; fi
repo=$(pwd)
mkdir -p "$work/client"
(cd "$work/client" && "$repo/bin/spctl" setup --backend "http://127.0.0.1:$P1" --generate-key >/dev/null)
(cd "$work/client" && /usr/bin/time -f "wall %e s, peak RSS %M KiB, CPU %P" "$repo/bin/spctl" ledger verify 2>&1 | grep -E "tree_size|entry_bundles|signatures_verified|node_state_digest|elapsed|successful|wall|error")
