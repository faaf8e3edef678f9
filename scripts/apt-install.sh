#!/usr/bin/env bash
# Installs the Debian packages named on the command line (none: nothing to do). Needs root; says which packages
# and why it cannot when it is not root. Used by ensure-docker.sh and ensure-test-tools.sh.
set -euo pipefail
[ "$#" -gt 0 ] || exit 0
caller="${APT_INSTALL_FOR:-apt-install}"
if [ "$(id -u)" -ne 0 ]; then
  echo "$caller: missing packages ($*) and not running as root" >&2; exit 1
fi
echo "$caller: installing $*" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "$@" >/dev/null
