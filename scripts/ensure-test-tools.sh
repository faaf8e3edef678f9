#!/usr/bin/env bash
# Installs what the test suite needs besides Docker (scripts/ensure-docker.sh), from Debian's packages when missing:
#  - postgresql: the ledger's PostgreSQL store is tested on a private cluster that the tests start (PostgresCluster);
#  - golang-go + golang-golang-x-mod-dev: tests/go-tlog-check verifies our log with Go's sumdb/note and sumdb/tlog;
#  - nodejs + npm (when no node is on PATH): the S3 backend is tested against s3rver, installed here too;
#  - libarchive-tools (bsdtar) and python3 (tarfile): our archives are read with GNU tar, Python and bsdtar alike;
#  - chromium: tests/Sp.Ui.Tests drives Debian's chromium with Playwright (spctl ui in a real browser).
# Idempotent; needs root only when something is missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

missing=()
ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 || missing+=(postgresql)
command -v go >/dev/null 2>&1 || missing+=(golang-go)
[ -d /usr/share/gocode/src/golang.org/x/mod/sumdb/tlog ] || missing+=(golang-golang-x-mod-dev)
{ command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; } || missing+=(nodejs npm)
command -v bsdtar >/dev/null 2>&1 || missing+=(libarchive-tools)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
[ -x /usr/bin/chromium ] || missing+=(chromium)

APT_INSTALL_FOR=ensure-test-tools scripts/apt-install.sh "${missing[@]}"

scripts/ensure-s3rver.sh >/dev/null
