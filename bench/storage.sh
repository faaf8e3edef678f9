#!/usr/bin/env bash
# Whole-command storage benchmark (docs/benchmarks.md, "Storage"): on one random file, on one disk, times
#   (1) openssl dgst -sha256 FILE                                       the hash floor
#   (2) openssl enc -aes-256-ctr ... -in FILE | tee >(openssl dgst -sha256 >/dev/null) > DEST
#                                                                       the original tool's work floor
#   our files calculate-hash, upload and download (local-folder backend) through bench/Sp.Bench --whole
#   and, after ./build.sh, the real ./bin/spctl: files calculate-hash, files upload/download with LOCAL storage,
#   and files upload/download through a real sp-node's embedded storage over HTTP on loopback
# and prints the median wall time of RUNS runs of each, its rate, and the peak resident memory.
#
#   bench/storage.sh [SIZE_MIB (default 1024)] [RUNS (default 3)]
# Environment: SP_BENCH_DIR (default /tmp/sp-bench): where the file, the store and the outputs go (one disk).
#              SP_BENCH_KEEP=1 keeps the input file between invocations of the same size.
set -euo pipefail

size_mib="${1:-1024}"
runs="${2:-3}"
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${SP_BENCH_DIR:-/tmp/sp-bench}"
file="$work/input-${size_mib}MiB.bin"
bench_dll="$repo_root/bench/Sp.Bench/bin/Release/net10.0/Sp.Bench.dll"

command -v openssl >/dev/null || { echo "storage.sh: openssl is required" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "storage.sh: /usr/bin/time (GNU time) is required" >&2; exit 2; }

echo "# building bench/Sp.Bench (Release)" >&2
dotnet build -c Release "$repo_root/bench/Sp.Bench/Sp.Bench.csproj" -nologo -v q >&2

mkdir -p "$work"
if [[ ! -f "$file" ]]; then
  echo "# creating $size_mib MiB of random data in $file" >&2
  head -c $((size_mib * 1024 * 1024)) /dev/urandom > "$file"
fi
bytes=$(stat -c %s "$file")
# Before every run, what the command reads is read once (into the page cache): the input, and for a download the
# stored ciphertext (PRELOAD, a glob). The page cache is not dropped: on this VM (Firecracker, DAMON "pageout" and
# a virtio balloon) memory the kernel frees goes back to the host, and touching it again costs more than the I/O.
PRELOAD=""
fresh_cache() {
  sync
  cat "$file" > /dev/null
  if [[ -n "$PRELOAD" ]]; then eval "cat $PRELOAD" > /dev/null; fi
}
fresh_cache

key_hex=$(openssl rand -hex 32)
iv_hex=$(openssl rand -hex 16)

# run NAME SETUP COMMAND: RUNS times, SETUP (untimed) before each; prints "NAME median_s MB/s peak_rss_MiB".
run() {
  local name="$1" setup="$2" cmd="$3" times=() rss=() i
  for ((i = 0; i < runs; i++)); do
    eval "$setup"
    fresh_cache
    /usr/bin/time -f "%e %M" -o "$work/time.out" bash -c "$cmd" > "$work/cmd.out" 2>&1
    read -r t m < "$work/time.out"
    times+=("$t"); rss+=("$m")
  done
  local median peak
  median=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  peak=$(printf '%s\n' "${rss[@]}" | sort -g | tail -1)
  printf '%-34s %8.3f s  %6.0f MB/s  peak RSS %7.1f MiB   (runs: %s)\n' "$name" "$median" \
    "$(echo "$bytes / $median / 1000000" | bc -l)" "$(echo "$peak / 1024" | bc -l)" "${times[*]}"
}

store="$work/store"
out="$work/out"
dest="$work/openssl.enc"
resource="$work/resource.json"
dotnet_cmd="dotnet $bench_dll --whole"

echo "# $(date -u +%FT%TZ) $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(openssl version | cut -d' ' -f1-2), dotnet $(dotnet --version)"
echo "# file: $file ($bytes bytes), runs: $runs, median shown; peak RSS is the largest of the runs (GNU time %M)"
run "(1) openssl dgst -sha256" ":" "openssl dgst -sha256 '$file'"
run "(2) openssl enc aes-256-ctr|tee dgst" "rm -f '$dest'" \
  "openssl enc -aes-256-ctr -K $key_hex -iv $iv_hex -in '$file' | tee >(openssl dgst -sha256 >/dev/null) > '$dest'"
rm -f "$dest"
run "sp calculate-hash" ":" "$dotnet_cmd hash '$file'"
run "sp upload (local folder)" "rm -rf '$store'" "$dotnet_cmd upload '$file' '$store' '$resource'"
PRELOAD="'$store'/*"
run "sp download (local folder)" "rm -rf '$out'" "$dotnet_cmd download '$resource' '$store' '$out'"
PRELOAD=""
cmp -s "$file" "$out/$(basename "$file")" && echo "# download verified: identical to the input" || { echo "# DOWNLOAD DIFFERS" >&2; exit 1; }
echo "# in-process figures of the last runs (Sp.Bench's own clock and VmHWM):"
$dotnet_cmd hash "$file" 2>/dev/null
rm -rf "$store" "$out"; $dotnet_cmd upload "$file" "$store" "$resource" 2>/dev/null
$dotnet_cmd download "$resource" "$store" "$out" 2>/dev/null
rm -rf "$store" "$out" "$resource"

# The real command-line program, as a user runs it (./bin/spctl, after ./build.sh).
spctl="$repo_root/bin/spctl"
if [[ -x "$spctl" && -f "$repo_root/src/Spctl/bin/Release/net10.0/spctl.dll" ]]; then
  node_dir="$work/node"; client="$work/client"; rm -rf "$node_dir" "$client"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "$repo_root/bin/sp-node" init "$node_dir" --network bench >/dev/null
  "$repo_root/bin/sp-node" run "$node_dir" --urls "http://127.0.0.1:$port" > "$work/node.log" 2>&1 &
  node_pid=$!
  trap 'kill $node_pid 2>/dev/null || true' EXIT
  for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$port/api/info" >/dev/null && break; sleep 0.2; done
  mkdir -p "$client"
  (cd "$client" && "$spctl" setup --backend "http://127.0.0.1:$port" --generate-key >/dev/null)
  python3 - "$client/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c["storage"] = {"type": "LOCAL", "path": "store"}
json.dump(c, open(sys.argv[1] + ".local", "w"))
PY
  cp "$client/config.json" "$client/config.http"
  spc() { echo "cd '$client' && '$spctl' --config $1"; }
  run "spctl files calculate-hash" ":" "$(spc config.http) files calculate-hash '$file'"
  run "spctl upload (LOCAL)" "rm -rf '$client/store' '$client/r-local.json'" "$(spc config.json.local) files upload '$file' --output r-local.json"
  PRELOAD="'$client/store'/*"
  run "spctl download (LOCAL)" "rm -rf '$out'; mkdir -p '$out'" "$(spc config.json.local) files download r-local.json '$out'"
  PRELOAD=""
  cmp -s "$file" "$out/$(basename "$file")" || { echo "# SPCTL LOCAL DOWNLOAD DIFFERS" >&2; exit 1; }
  run "spctl upload (sp-node, HTTP)" "rm -f '$client/r-http.json'" "$(spc config.http) files upload '$file' --output r-http.json"
  PRELOAD="'$node_dir'/blobs/*.bin"
  run "spctl download (sp-node, HTTP)" "rm -rf '$out'; mkdir -p '$out'" "$(spc config.http) files download r-http.json '$out'"
  PRELOAD=""
  cmp -s "$file" "$out/$(basename "$file")" && echo "# spctl downloads verified: identical to the input" || { echo "# SPCTL HTTP DOWNLOAD DIFFERS" >&2; exit 1; }
  kill $node_pid 2>/dev/null || true
  rm -rf "$node_dir" "$client" "$out"
else
  echo "# ./bin/spctl not built: run ./build.sh for the spctl figures"
fi
rm -f "$work/time.out" "$work/cmd.out"
[[ "${SP_BENCH_KEEP:-}" == 1 ]] || rm -f "$file"
