#!/usr/bin/env bash
# Makes a Docker Engine available on this machine (idempotent; run as root).
#  - installs docker.io and busybox-static when missing (Debian packages),
#  - starts dockerd when `docker info` fails: no iptables, no bridge (containers get loopback only),
#  - waits up to DOCKERD_WAIT_SECONDS (default 60) for it to answer, else exits 1 with the last log line.
# Environment: DOCKERD_LOG (default /var/log/sp-dockerd.log).
set -euo pipefail

readonly DOCKERD_LOG="${DOCKERD_LOG:-/var/log/sp-dockerd.log}"
readonly WAIT_SECONDS="${DOCKERD_WAIT_SECONDS:-60}"

log() { echo "ensure-docker: $*" >&2; }

missing_packages=()
command -v dockerd >/dev/null 2>&1 || missing_packages+=(docker.io)
dpkg -s busybox-static >/dev/null 2>&1 || missing_packages+=(busybox-static)

APT_INSTALL_FOR=ensure-docker "$(dirname "${BASH_SOURCE[0]}")/apt-install.sh" "${missing_packages[@]}"

if docker info >/dev/null 2>&1; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  log "docker daemon not answering and not running as root, cannot start dockerd"; exit 1
fi

fail() {
  local last_line
  last_line="$(tail -n 1 "$DOCKERD_LOG" 2>/dev/null || true)"
  log "$1; last dockerd log line: ${last_line:-<none>}"
  exit 1
}

# Start dockerd only if none is running already (it may still be starting up).
dockerd_pid=""
if ! pgrep -x dockerd >/dev/null 2>&1; then
  log "starting dockerd (log: $DOCKERD_LOG)"
  mkdir -p "$(dirname "$DOCKERD_LOG")"
  setsid dockerd --iptables=false --ip6tables=false --bridge=none >>"$DOCKERD_LOG" 2>&1 < /dev/null &
  dockerd_pid=$!
  disown || true
fi

for _ in $(seq 1 "$WAIT_SECONDS"); do
  if docker info >/dev/null 2>&1; then
    log "docker daemon is up"
    exit 0
  fi
  # setsid may exec (pid stays dockerd's) or fork (pid exits, dockerd lives on): check both.
  if [ -n "$dockerd_pid" ] && ! kill -0 "$dockerd_pid" 2>/dev/null && ! pgrep -x dockerd >/dev/null 2>&1; then
    fail "dockerd (pid $dockerd_pid) exited during start-up"
  fi
  sleep 1
done

fail "docker daemon did not answer within ${WAIT_SECONDS}s"
