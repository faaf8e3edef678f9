#!/usr/bin/env bash
# Installs the npm package s3rver (a real S3-compatible server) into a project-local folder when missing,
# prints the path of its executable, and optionally starts it.
#
#   scripts/ensure-s3rver.sh                       install if missing; print the executable's path
#   scripts/ensure-s3rver.sh start PORT DIR        install if missing, then run s3rver in the foreground on
#                                                  127.0.0.1:PORT storing objects under DIR (exec: Ctrl-C stops)
#
# Environment: SP_TOOLS_DIR (default: <repo>/.tools), S3RVER_VERSION (default: 3.7.1).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools_dir="${SP_TOOLS_DIR:-$repo_root/.tools}"
version="${S3RVER_VERSION:-3.7.1}"
prefix="$tools_dir/s3rver"
bin="$prefix/node_modules/.bin/s3rver"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "ensure-s3rver: node and npm are required (install Node.js 18 or later)" >&2
  exit 2
fi

if [[ ! -x "$bin" ]]; then
  mkdir -p "$prefix"
  lock="$prefix/.install.lock"
  # Several test processes may ask at once: one installs, the others wait for it.
  exec 9>"$lock"
  flock 9
  if [[ ! -x "$bin" ]]; then
    echo "ensure-s3rver: installing s3rver@$version into $prefix" >&2
    npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error "s3rver@$version" >&2
  fi
  flock -u 9
fi
if [[ ! -x "$bin" ]]; then
  echo "ensure-s3rver: s3rver is not at $bin after npm install" >&2
  exit 1
fi

case "${1:-}" in
  "")
    echo "$bin"
    ;;
  start)
    port="${2:?usage: ensure-s3rver.sh start PORT DIR}"
    dir="${3:?usage: ensure-s3rver.sh start PORT DIR}"
    mkdir -p "$dir"
    exec "$bin" --address 127.0.0.1 --port "$port" --directory "$dir" --silent
    ;;
  *)
    echo "usage: ensure-s3rver.sh [start PORT DIR]" >&2
    exit 2
    ;;
esac
