#!/usr/bin/env bash
# Builds Alice's example solution image and saves it as the guide does: docker save <SOLUTION>:latest | gzip.
# usage: examples/collaboration/build-solution.sh TAG OUT.tar.gz
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tag="${1:-stats-solution}"; out="${2:-$tag.tar.gz}"
ctx="$(mktemp -d)"; trap 'rm -rf "$ctx"' EXIT
cp "$here/solution/Dockerfile" "$here/solution/stats.sh" "$ctx/"
cp /bin/busybox "$ctx/busybox" || { echo "no /bin/busybox: apt-get install busybox-static" >&2; exit 1; }
(cd "$ctx" && DOCKER_BUILDKIT=0 docker build -q -t "$tag" . >/dev/null)
docker save "$tag:latest" | gzip > "$out"
echo "$out"
