#!/usr/bin/env bash
# The whole test suite: installs and starts what the tests need (Docker Engine, static busybox; PostgreSQL, Go with
# its sumdb packages, Node.js and s3rver), builds, then runs every test project. Ends with the line
# "N passed, N failed"; exit 0 only when nothing failed.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
scripts/ensure-docker.sh || { echo "test.sh: Docker Engine is required by the tests and could not be started" >&2; exit 1; }
scripts/ensure-test-tools.sh || { echo "test.sh: PostgreSQL, Go (sumdb packages), Node.js or s3rver could not be installed" >&2; exit 1; }
./build.sh || { echo "test.sh: build failed" >&2; exit 1; }
passed=0; failed=0; broken=""
for proj in tests/*/*.csproj; do
  name=$(basename "$proj" .csproj)
  log=$(mktemp)
  timeout 900 dotnet test "$proj" -c Release --no-build -nologo 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  line=$(grep -oE 'Failed: +[0-9]+, Passed: +[0-9]+' "$log" | tail -1)
  if [ -z "$line" ]; then
    echo "test.sh: $name ran no tests or crashed (exit $rc)"; failed=$((failed + 1)); broken="$broken $name"
  else
    f=$(echo "$line" | grep -oE 'Failed: +[0-9]+' | grep -oE '[0-9]+'); p=$(echo "$line" | grep -oE 'Passed: +[0-9]+' | grep -oE '[0-9]+')
    passed=$((passed + p)); failed=$((failed + f))
    [ "$f" = 0 ] && [ "$rc" = 0 ] || broken="$broken $name"
  fi
  rm -f "$log"
done
[ -n "$broken" ] && echo "failing projects:$broken"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ -z "$broken" ]
