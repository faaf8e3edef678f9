#!/usr/bin/env bash
# Witness figures for docs/benchmarks.md, section "## Witnesses". Run from anywhere after ./build.sh:
#   bash bench/witness.sh            (N=200 checkpoints by default)
# Starts two sp-witness processes and two sp-node processes (one asking both witnesses, one without) on free
# loopback ports in a temporary folder, and removes them at the end.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
N=${N:-200}
[ -f src/SpWitness/bin/Release/net10.0/sp-witness.dll ] && [ -f src/Sp.Node/bin/Release/net10.0/sp-node.dll ] || { echo "witness.sh: run ./build.sh first" >&2; exit 1; }
dotnet build bench/WitnessBench -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null
B=(dotnet bench/WitnessBench/bin/Release/net10.0/WitnessBench.dll)
work=$(mktemp -d /tmp/sp-witness-bench.XXXXXX)
pids=()
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
wait_http() { for _ in $(seq 1 300); do curl -s -o /dev/null "$1" && return 0; sleep 0.2; done; echo "no answer at $1" >&2; exit 1; }

echo "# machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"
./bin/sp-node init "$work/plain" --network bench >/dev/null
./bin/sp-node init "$work/node" --network bench >/dev/null
keys=()
witnesses=""
for w in w1 w2; do
  ./bin/sp-witness init "$work/$w" --name "bench.example/$w" --log "$work/node/log-key.pub" >/dev/null
  port=$(free_port)
  ./bin/sp-witness run "$work/$w" --urls "http://127.0.0.1:$port" --log-level warning >"$work/$w.log" 2>&1 &
  pids+=($!)
  wait_http "http://127.0.0.1:$port/"
  key=$(cat "$work/$w/witness-key.pub")
  keys+=("$key")
  witnesses+="${witnesses:+,}{\"url\":\"http://127.0.0.1:$port\",\"key\":\"$key\"}"
done
python3 - "$work/node/node.json" "$witnesses" <<'PY'
import json, sys
path, ws = sys.argv[1], json.loads("[" + sys.argv[2] + "]")
s = json.load(open(path)); s["witnessing"] = {"timeoutSeconds": 5, "witnesses": ws}; json.dump(s, open(path, "w"))
PY
for d in plain node; do
  port=$(free_port)
  ./bin/sp-node run "$work/$d" --urls "http://127.0.0.1:$port" --log-level warning >"$work/$d.log" 2>&1 &
  pids+=($!)
  wait_http "http://127.0.0.1:$port/api/info"
  eval "URL_$d=http://127.0.0.1:$port"
done
echo "## GET /log/checkpoint right after each transaction (signs it; with witnesses, waits for both cosignatures)"
"${B[@]}" "$URL_plain" bench "$N"
"${B[@]}" "$URL_node" bench "$N" 2 "${keys[@]}"
