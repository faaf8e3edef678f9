#!/usr/bin/env bash
# The main job: a local network and the guide's collaboration end to end, as Alice and Bob would type it.
# Installs what it needs (Docker Engine, static busybox), builds, starts a devnet in a fresh folder, runs every
# step of the guide with the example solution and dataset (examples/collaboration), and ends with the
# validated order report and the result's content. usage: ./demo.sh [--ui] [WORK_DIR]
# With --ui: the network, Alice's solution archive and Bob's data offer, then Alice's and Bob's `spctl ui`, whose
# addresses it prints; the rest of the guide is done in the browser (docs/ui.md). Ctrl+C stops it all.
set -euo pipefail
UI=""; if [ "${1:-}" = --ui ]; then UI=1; shift; fi
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"
scripts/ensure-docker.sh
./build.sh
W="${1:-$(mktemp -d /tmp/sp-demo.XXXX)}"; mkdir -p "$W"
NET="$W/net"; A="$NET/alice"; B="$NET/bob"
SPCTL="$ROOT/bin/spctl"; PT="$ROOT/bin/provider-tools"
trap '"$ROOT/bin/sp-devnet" down "$NET" >/dev/null 2>&1 || true' EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '%s$ %s\n' "$(basename "$PWD")" "$*"; "$@"; }

step "Start the local network"
run "$ROOT/bin/sp-devnet" up "$NET"
TEE=$(cd "$A" && "$SPCTL" offers list tee | awk 'NR==2{print $1}')

step "Alice 1. Build the solution"
cd "$A"; run "$ROOT/examples/collaboration/build-solution.sh" stats-solution stats-solution.tar.gz
if [ -z "$UI" ]; then
step "Alice 2. Upload the solution"
run "$SPCTL" files upload stats-solution.tar.gz --output solution.resource.json --filename stats-solution.tar.gz --use-addon
step "Alice 3. Send the solution to Bob"
run cp solution.resource.json "$B/"
step "Bob 4. Download the solution"
cd "$B"; mkdir -p downloaded; run "$SPCTL" files download solution.resource.json ./downloaded --use-addon
step "Bob 5. Verify the solution"
H=$(python3 -c 'import json;print(json.load(open("solution.resource.json"))["hash"]["hash"])')
run "$SPCTL" files calculate-hash downloaded/stats-solution.tar.gz
echo "hash in solution.resource.json: $H"
run docker load -i downloaded/stats-solution.tar.gz
run docker image inspect stats-solution:latest --format 'entrypoint={{json .Config.Entrypoint}} user={{.Config.User}}'
fi
step "Bob 6. Upload the dataset"
rm -rf dataset; cp -r "$ROOT/examples/collaboration/dataset" dataset
run "$SPCTL" files upload dataset --output dataset.resource.json --use-addon
step "Bob 7. Create an offer"
cat > offer-info.json <<'J'
{"name":"Bob's regional sales","group":"0","offerType":"3","cancelable":false,"description":"Sales per region, Q3",
 "restrictions":{"offers":[],"types":[]},"input":"","output":"","allowedArgs":"","allowedAccounts":[],
 "argsPublicKey":"","resultResource":"","subType":"0",
 "version":{"version":1,"status":"0","info":{"metadata":{"groupingOffers":true}}}}
J
cat > slot-info.json <<'J'
{"info":{"cpuCores":0,"gpuCores":0,"diskUsage":10485760,"ram":0,"vram":0},
 "usage":{"maxTimeMinutes":0,"minTimeMinutes":15000,"price":"0","priceType":"1"},
 "option":{"bandwidth":0,"externalPort":0,"traffic":0}}
J
echo "$ provider-tools register data --result ./dataset.resource.json   (answers: Bob Data Inc, Sales data of Bob, y, ./provider-info.json, n, ./offer-info.json, ./slot-info.json, n)"
printf 'Bob Data Inc\nSales data of Bob\ny\n./provider-info.json\nn\n./offer-info.json\n./slot-info.json\nn\n' \
  | "$PT" register data --result ./dataset.resource.json | tee register.out
echo
read -r SLOT OFFER < <(grep -oE 'Slot [0-9]+ for offer [0-9]+' register.out | awk '{print $2, $5}')
if [ -n "$UI" ]; then
  step "The marketplace in a browser"
  for who in alice bob; do
    (cd "$NET/$who" && exec "$SPCTL" ui > "$NET/$who/ui.out" 2>&1) &
    for i in $(seq 1 60); do grep -q 'token=' "$NET/$who/ui.out" 2>/dev/null && break; sleep 0.5; done
  done
  trap 'kill $(jobs -p) 2>/dev/null; "$ROOT/bin/sp-devnet" down "$NET" >/dev/null 2>&1 || true' EXIT
  echo "Alice (upload $A/stats-solution.tar.gz on Files, then New workflow): $(grep -oE 'http://[^ ]+' "$A/ui.out")"
  echo "Bob (Approvals, with the hash Alice's Files page shows):              $(grep -oE 'http://[^ ]+' "$B/ui.out")"
  echo "Press Ctrl+C to stop the UIs and the network."
  wait
  exit 0
fi
step "Alice 8. Place an order"
cd "$A"; run "$SPCTL" workflows create --solution ./solution.resource.json --data "$OFFER,$SLOT" --tee "$TEE" | tee create.out
ORDER=$(grep -oE 'TEE order id: \["[0-9]+"\]' create.out | grep -oE '[0-9]+')
run "$SPCTL" orders get "$ORDER" --suborders --suborders_fields id,type,status | tee get.out
SUB=$(awk '$2=="Data"{print $1}' get.out | head -1)
step "Bob 9. Complete the data suborder"
cd "$B"; run "$SPCTL" orders complete "$SUB" --result ./dataset.resource.json --status done --solution-hash "$H"
step "Alice 10. Download the order results"
cd "$A"
for i in $(seq 1 120); do st=$("$SPCTL" orders get "$ORDER" | awk '/^status:/{print $2}'); [ "$st" = Done ] || [ "$st" = Error ] && break; sleep 1; done
run "$SPCTL" orders get "$ORDER"
rm -f result.tar.gz; run "$SPCTL" orders download-result "$ORDER"
mkdir -p result && tar -xzf result.tar.gz -C result
echo "--- result: output/summary.txt"; cat result/output/summary.txt
echo "--- result: log.txt"; cat result/log.txt
step "Alice and Bob 11. Get the order report"
run "$SPCTL" orders get-report "$ORDER" --save-to report.json
cd "$B"; run "$SPCTL" orders get-report "$ORDER" --save-to report.json
echo; echo "Solution hash (resource file): $H"
echo "Dataset hash (resource file):  $(python3 -c 'import json;print(json.load(open("dataset.resource.json"))["hash"]["hash"])')"
echo "Work folder: $W"
