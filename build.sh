#!/usr/bin/env bash
# Builds every program and test (Release). ./bin/* run the programs from this build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
command -v dotnet >/dev/null || { echo "build.sh: the .NET SDK (dotnet) is required" >&2; exit 1; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build ConfidentialCollaboration.slnx -c Release -nologo -v quiet -clp:ErrorsOnly
