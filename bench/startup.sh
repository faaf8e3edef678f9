#!/usr/bin/env bash
# Start-up figures for docs/benchmarks.md, section "## Start-up". Run from anywhere after ./build.sh:
#   bash bench/startup.sh                 (SIZES="10000 100000 1000000" STORES="sqlite postgres" by default)
# For each size, LedgerBench writes that many signed, chained entries straight into a fresh node's store (SQLite
# ledger.db, and a PostgreSQL database of a private cluster); then sp-node is started three times on it and the
# time from the process's start to GET /api/info answering is measured:
#   full   no snapshot yet: the whole ledger is replayed (what every start cost before snapshots)
#   snap   after a clean stop, which wrote a snapshot at the ledger's height: nothing to replay
#   tail   after SIGKILL following TAIL more entries sent over HTTP: the snapshot plus a replay of those; then the
#          background audit of the entries under the snapshot is waited for (its log line gives its duration)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
SIZES=${SIZES:-"10000 100000 1000000"}; STORES=${STORES:-"sqlite postgres"}; TAIL=${TAIL:-5000}
[ -x bin/sp-node ] && [ -f src/Sp.Node/bin/Release/net10.0/sp-node.dll ] || { echo "startup.sh: run ./build.sh first" >&2; exit 1; }
dotnet build bench/LedgerBench -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null
B=(dotnet bench/LedgerBench/bin/Release/net10.0/LedgerBench.dll)
work=$(mktemp -d /tmp/sp-startup-bench.XXXXXX); chmod 755 "$work"
pid=""
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pgbin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
cleanup() {
  [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
  [ -n "${PGB:-}" ] && runuser -u postgres -- "$PGB/pg_ctl" -D "$work/pg" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
# Starts sp-node on DIR (pid in $pid) and sets $elapsed: the seconds from its start to /api/info answering.
start_timed() {
  local dir=$1 port=$2 t0 t1
  t0=$(date +%s%N)
  ./bin/sp-node run "$dir" --urls "http://127.0.0.1:$port" >>"$dir.log" 2>&1 &
  pid=$!
  until curl -sf -o /dev/null "http://127.0.0.1:$port/api/info"; do
    kill -0 "$pid" 2>/dev/null || { echo "sp-node exited: $(tail -3 "$dir.log")" >&2; exit 1; }
    sleep 0.01
  done
  t1=$(date +%s%N)
  elapsed=$(echo "scale=2; ($t1 - $t0) / 1000000000" | bc)
}
stop() { kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; pid=""; }

if [[ " $STORES " == *" postgres "* ]]; then
  PGB=$(pgbin)
  if [ -z "$PGB" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; PGB=$(pgbin); fi
  chown postgres "$work"
  runuser -u postgres -- "$PGB/initdb" -D "$work/pg" -U postgres --auth=trust -E UTF8 --no-instructions >/dev/null
  PGPORT=$(free_port)
  runuser -u postgres -- "$PGB/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w -o "-p $PGPORT -k $work -c listen_addresses=127.0.0.1" start >/dev/null
fi
pg() { echo "Host=127.0.0.1;Port=$PGPORT;Username=postgres;Database=$1"; }

echo "# machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r); snapshotEvery default; TAIL=$TAIL"
echo "store     entries   full(s)  snap(s)  tail(s)  snapshot_bytes"
for n in $SIZES; do
  targets=(); dirs=()
  for store in $STORES; do
    dir="$work/$store-$n"
    if [ "$store" = postgres ]; then
      runuser -u postgres -- "$PGB/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres "db$n"
      ./bin/sp-node init "$dir" --network bench --store postgres --postgres "$(pg "db$n")" >/dev/null
      targets+=("$(pg "db$n")")
    else
      ./bin/sp-node init "$dir" --network bench >/dev/null
      targets+=("$dir/ledger.db")
    fi
    dirs+=("$dir")
  done
  "${B[@]}" gen bench "$n" "${targets[@]}" 2>&1 | sed 's/^/# /'
  for i in "${!dirs[@]}"; do
    dir=${dirs[$i]}; store=$(basename "$dir" | cut -d- -f1); port=$(free_port)
    start_timed "$dir" "$port"; full=$elapsed; stop
    start_timed "$dir" "$port"; snap=$elapsed
    "${B[@]}" load "http://127.0.0.1:$port" bench "$TAIL" >/dev/null
    kill -9 "$pid"; wait "$pid" 2>/dev/null || true; pid=""
    audits=$(grep -c "audit of ledger entries" "$dir.log" || true)
    start_timed "$dir" "$port"; tail=$elapsed
    # Let the background audit of the entries under the snapshot finish (its line gives its duration), 10 min at most.
    for _ in $(seq 6000); do
      [ "$(grep -c "audit of ledger entries" "$dir.log" || true)" -gt "$audits" ] && break
      kill -0 "$pid" 2>/dev/null || { echo "sp-node exited: $(tail -3 "$dir.log")" >&2; exit 1; }
      sleep 0.1
    done
    if [ "$store" = postgres ]; then
      bytes=$(runuser -u postgres -- psql -h 127.0.0.1 -p "$PGPORT" -U postgres -d "db$n" -tAc "SELECT length(body) FROM ledger_snapshot")
    else
      bytes=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT length(body) FROM ledger_snapshot').fetchone()[0])" "$dir/ledger.db")
    fi
    stop
    printf "%-9s %-9s %-8s %-8s %-8s %s\n" "$store" "$n" "$full" "$snap" "$tail" "$bytes"
    grep -hE "ledger (started|snapshot|snapshots)|no ledger snapshot|full replay|audit of" "$dir.log" | sed 's/^/#   /' | cut -c1-220
  done
done
