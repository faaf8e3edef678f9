#!/usr/bin/env bash
# Fail-over figures for docs/benchmarks.md, section "## Fail-over". Run from anywhere after ./build.sh:
#   bash bench/failover.sh            (NODES=3 KILLS=5 by default)
# A private PostgreSQL cluster; NODES sp-node processes in fail-over mode on one database, each under a restart loop
# (as systemd's Restart=always); LedgerBench's `failover` mode writes with four submitters through KILLS SIGKILLs of
# whichever node leads and prints the time from each kill to the first write accepted by the new leader, and how many
# acknowledged transactions are missing from the final log (must be 0).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
NODES=${NODES:-3}; KILLS=${KILLS:-5}
[ -x bin/sp-node ] && [ -f src/Sp.Node/bin/Release/net10.0/sp-node.dll ] || { echo "failover.sh: run ./build.sh first" >&2; exit 1; }
dotnet build bench/LedgerBench -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null
B=(dotnet bench/LedgerBench/bin/Release/net10.0/LedgerBench.dll)
work=$(mktemp -d /tmp/sp-failover-bench.XXXXXX); chmod 755 "$work"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pgbin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
sups=()
cleanup() {
  touch "$work/stop"
  for s in "${sups[@]}"; do kill "$s" 2>/dev/null || true; done
  for f in "$work"/n*.pid; do [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null || true; done
  [ -n "${PGB:-}" ] && runuser -u postgres -- "$PGB/pg_ctl" -D "$work/pg" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
PGB=$(pgbin)
if [ -z "$PGB" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; PGB=$(pgbin); fi
chown postgres "$work"
runuser -u postgres -- "$PGB/initdb" -D "$work/pg" -U postgres --auth=trust -E UTF8 --no-instructions >/dev/null
PGPORT=$(free_port)
runuser -u postgres -- "$PGB/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w -o "-p $PGPORT -k $work -c listen_addresses=127.0.0.1" start >/dev/null
runuser -u postgres -- "$PGB/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres failover

./bin/sp-node init "$work/n0" --network bench --store postgres --postgres "Host=127.0.0.1;Port=$PGPORT;Username=postgres;Database=failover" >/dev/null
args=()
for i in $(seq 0 $((NODES - 1))); do
  dir="$work/n$i"; port=$(free_port); url="http://127.0.0.1:$port"
  if [ "$i" -gt 0 ]; then  # the same network: the first folder's keys, CA, policy and node.json
    mkdir -p "$dir/blobs"
    for f in node.json root-ca.pem root-ca.key.pem sim-platform.key.pem attestation-policy.json log-key log-key.pub; do cp "$work/n0/$f" "$dir/"; done
  fi
  python3 - "$dir/node.json" "$url" <<'PY'
import json, sys
p, url = sys.argv[1], sys.argv[2]
s = json.load(open(p)); s["failover"] = {"advertiseUrl": url, "pollMilliseconds": 100}
json.dump(s, open(p, "w"), indent=2)
PY
  # The restart loop: a killed node comes back, as a follower.
  ( while [ ! -f "$work/stop" ]; do
      ./bin/sp-node run "$dir" --urls "$url" >>"$dir.log" 2>&1 & echo $! > "$work/n$i.pid"; wait $! || true
    done ) &
  sups+=($!)
  until curl -sf -o /dev/null "$url/api/failover"; do sleep 0.05; done
  args+=("$url=$work/n$i.pid")
done
echo "# machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r); $NODES nodes, pollMilliseconds 100, $KILLS SIGKILLs"
"${B[@]}" failover bench "$KILLS" "$(cat "$work/n0/log-key.pub")" "${args[@]}"
