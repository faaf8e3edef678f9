#!/bin/sh
# Reads every file under /sp/inputs/input-*/ (CSV with a header row, numeric second column) and writes a
# summary per file to /sp/output/summary.txt, named by its input folder (input-0001/data.csv: the first
# data input of the order). Always absolute /sp paths, as the guide asks.
set -eu
out=/sp/output/summary.txt
: > "$out"
found=0
for f in /sp/inputs/input-*/*; do
  [ -f "$f" ] || continue
  found=1
  awk -F, -v name="${f#/sp/inputs/}" '
    NR == 1 { next }
    { n++; s += $2; if (n == 1 || $2 < min) min = $2; if (n == 1 || $2 > max) max = $2 }
    END { printf "%s rows=%d sum=%s min=%s max=%s mean=%.2f\n", name, n, s, min, max, (n ? s / n : 0) }
  ' "$f" >> "$out"
done
[ "$found" = 1 ] || { echo "no input files under /sp/inputs" >&2; exit 3; }
cat "$out"
echo "certificates: $(ls /sp/certs | tr '\n' ' ')"
echo finished
