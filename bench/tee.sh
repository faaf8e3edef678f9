#!/usr/bin/env bash
# TEE loader figures (docs/benchmarks.md, "TEE loader"): per-order overhead of sp-tee around a do-nothing solution,
# and trivial orders per minute. Runs against a fresh ./bin/sp-devnet in a temporary folder.
#   bench/tee.sh [RUNS_1MIB=5] [RUNS_1GIB=2] [THROUGHPUT_ORDERS=30]
# Needs ./build.sh done, Docker, static busybox, python3, curl. Prints a Markdown table on stdout.
#
# Per order (timestamps from one machine's clock):
#   t_release  ledger time of the data sub-order's completion (Bob's `spctl orders complete`), node API .modified
#   t_start    the container's start, as Docker recorded it (loader log: "container ran from A to B")
#   t_exit     the container's exit, idem
#   t_finish   ledger time of the order's finish (order.finish), node API .modified of the parent order
#   dl         the loader's download + decryption of the dataset (log: "solution image loaded" -> "dataset ... loaded")
#   in  = t_start - t_release   (includes dl)      out = t_finish - t_exit
set -euo pipefail
PROJ=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS_SMALL=${1:-5}; RUNS_LARGE=${2:-2}; THROUGHPUT=${3:-30}
S="$PROJ/bin/spctl"; PT="$PROJ/bin/provider-tools"
for b in spctl provider-tools sp-devnet; do [ -x "$PROJ/bin/$b" ] || { echo "bench/tee.sh: ./bin/$b missing: run ./build.sh" >&2; exit 1; }; done
"$PROJ/scripts/ensure-docker.sh" >/dev/null

W=$(mktemp -d /tmp/bench-tee.XXXX); NET=$W/net; A=$NET/alice; B=$NET/bob
trap '"$PROJ/bin/sp-devnet" down "$NET" >/dev/null 2>&1 || true' EXIT
echo "work folder: $W" >&2
"$PROJ/bin/sp-devnet" up "$NET" >"$W/up.log" 2>&1 || { cat "$W/up.log" >&2; exit 1; }
PORT=$(python3 -c 'import json,sys;print(json.load(open(sys.argv[1]))["port"])' "$NET/devnet.json")
TEEPID=$(python3 -c 'import json,sys;print(json.load(open(sys.argv[1]))["teePid"])' "$NET/devnet.json")
URL="http://127.0.0.1:$PORT"; TEELOG="$NET/logs/tee.log"
TEE=$(cd "$A" && "$S" offers list tee | awk 'NR==2{print $1}')

# A solution that does nothing (FROM scratch + static busybox, exits 0 at once).
mkdir -p "$W/sol"; cp /bin/busybox "$W/sol/busybox"
printf 'FROM scratch\nCOPY busybox /bin/busybox\nENTRYPOINT ["/bin/busybox","true"]\n' > "$W/sol/Dockerfile"
(cd "$W/sol" && DOCKER_BUILDKIT=0 docker build -q -t bench-noop . >/dev/null 2>&1 && docker save bench-noop:latest | gzip > "$A/noop.tar.gz" && docker rmi -f bench-noop >/dev/null)
(cd "$A" && "$S" files upload noop.tar.gz --output noop.resource.json >/dev/null 2>&1)
HASH=$(python3 -c 'import json,sys;print(json.load(open(sys.argv[1]))["hash"]["hash"])' "$A/noop.resource.json")

# Bob's data offer (through provider-tools' dialog), with a placeholder dataset; each size gets its own upload.
cat > "$B/offer-info.json" <<'J'
{"name":"Bench data","group":"0","offerType":"3","cancelable":false,"description":"bench","restrictions":{"offers":[],"types":[]},
 "input":"","output":"","allowedArgs":"","allowedAccounts":[],"argsPublicKey":"","resultResource":"","subType":"0",
 "version":{"version":1,"status":"0","info":{"metadata":{"groupingOffers":true}}}}
J
cat > "$B/slot-info.json" <<'J'
{"info":{"cpuCores":0,"gpuCores":0,"diskUsage":10485760,"ram":0,"vram":0},"usage":{"maxTimeMinutes":0,"minTimeMinutes":15000,"price":"0","priceType":"1"},
 "option":{"bandwidth":0,"externalPort":0,"traffic":0}}
J
head -c 1024 /dev/urandom > "$B/placeholder.bin"
(cd "$B" && "$S" files upload placeholder.bin --output placeholder.resource.json >/dev/null 2>&1)
REG=$(cd "$B" && printf '%s\n' "Bench Data" "bench" y ./provider-info.json n ./offer-info.json ./slot-info.json n | "$PT" register data --result ./placeholder.resource.json)
DATA=$(echo "$REG" | sed -nE 's/.*Slot ([0-9]+) for offer ([0-9]+) has been created.*/\2,\1/p')
[ -n "$DATA" ] || { echo "register data failed: $REG" >&2; exit 1; }

order_json() { curl -sf "$URL/api/orders/$1"; }
wait_end() { # $1 order id, $2 timeout seconds
  for _ in $(seq 1 $(( $2 * 10 ))); do
    st=$(order_json "$1" | python3 -c 'import json,sys;print(json.load(sys.stdin)["order"]["status"])')
    case "$st" in Done|Error) echo "$st"; return 0;; esac; sleep 0.1
  done; echo "timeout"; }

# One measured order with a dataset of $1 bytes; appends "size in out dl" to $W/samples.
measure() {
  local size=$1 label=$2
  head -c "$size" /dev/urandom > "$B/data-$label.bin"
  (cd "$B" && "$S" files upload "data-$label.bin" --output "data-$label.resource.json" >/dev/null 2>&1)
  # Flush the disk writes of the upload itself (a GiB of dirty pages slows Docker's own fsyncs for seconds).
  sync
  local out order sub
  out=$(cd "$A" && "$S" workflows create --solution ./noop.resource.json --data "$DATA" --tee "$TEE")
  order=$(echo "$out" | sed -nE 's/.*\["([0-9]+)"\].*/\1/p')
  sub=$(order_json "$order" | python3 -c 'import json,sys;print(json.load(sys.stdin)["subOrders"][0]["id"])')
  (cd "$B" && "$S" orders complete "$sub" --result "./data-$label.resource.json" --status done --solution-hash "$HASH" >/dev/null)
  local st; st=$(wait_end "$order" 600)
  [ "$st" = Done ] || { echo "order $order ended $st" >&2; order_json "$order" >&2; exit 1; }
  python3 - "$order" "$sub" "$size" "$URL" "$TEELOG" >> "$W/samples" <<'PY'
import json, re, sys, urllib.request
from datetime import datetime, timezone
order, sub, size, url, log = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
get = lambda i: json.load(urllib.request.urlopen(f"{url}/api/orders/{i}"))["order"]
t_release = get(sub)["modified"] / 1000; t_finish = get(order)["modified"] / 1000
def ts(s):
    s = s.rstrip("Z"); base, _, frac = s.partition(".")
    return datetime.fromisoformat(base).replace(tzinfo=timezone.utc).timestamp() + (float("0." + frac) if frac else 0)
lines = [l for l in open(log) if f"sp-tee: order {order}: " in l]
def at(pattern):
    l = next(l for l in lines if pattern in l); return ts(l.split(" ")[0])
ran = next(re.search(r"container ran from (\S+) to (\S+) ", l) for l in lines if "container ran from" in l)
t_start, t_exit = ts(ran.group(1)), ts(ran.group(2))
dl = at("dataset of sub-order") - at("solution image loaded")
print(size, round(t_start - t_release, 3), round(t_finish - t_exit, 3), round(dl, 3))
PY
}

: > "$W/samples"
for i in $(seq 1 "$RUNS_SMALL"); do measure $((1 << 20)) "1m-$i"; done
for i in $(seq 1 "$RUNS_LARGE"); do measure $((1 << 30)) "1g-$i"; rm -f "$B/data-1g-$i.bin"; done

# Throughput: N orders without data are placed while sp-tee is paused (SIGSTOP), then it drains them.
kill -STOP "$TEEPID"
first=""; last=""
for i in $(seq 1 "$THROUGHPUT"); do
  o=$(cd "$A" && "$S" workflows create --solution ./noop.resource.json --tee "$TEE" | sed -nE 's/.*\["([0-9]+)"\].*/\1/p')
  [ -z "$first" ] && first=$o; last=$o
done
t0=$(date +%s.%N); kill -CONT "$TEEPID"
for o in $(seq "$first" "$last"); do st=$(wait_end "$o" 600); [ "$st" = Done ] || { echo "order $o ended $st" >&2; exit 1; }; done
t1=$(date +%s.%N)

python3 - "$W/samples" "$THROUGHPUT" "$t0" "$t1" "$(nproc)" <<'PY'
import sys, statistics as st
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
n, t0, t1 = int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
print(f"| input | runs | release → container start (median, max) | of which dataset download+decrypt (median) | start overhead beyond download (median, max) | container exit → finish on ledger (median, max) |")
print("|---|---|---|---|---|---|")
for size in sorted({int(r[0]) for r in rows}):
    rs = [r for r in rows if int(r[0]) == size]
    i = [float(r[1]) for r in rs]; o = [float(r[2]) for r in rs]; d = [float(r[3]) for r in rs]; net = [a - b for a, b in zip(i, d)]
    name = f"{size >> 20} MiB" if size < (1 << 30) else f"{size >> 30} GiB"
    f = lambda v: f"{v:.3f} s"
    print(f"| {name} | {len(rs)} | {f(st.median(i))}, {f(max(i))} | {f(st.median(d))} | {f(st.median(net))}, {f(max(net))} | {f(st.median(o))}, {f(max(o))} |")
el = t1 - t0
print(f"\nThroughput: {n} trivial orders (no data, do-nothing solution) drained in {el:.1f} s = {n / el * 60:.0f} orders/minute ({sys.argv[5]} cores).")
PY
