#!/usr/bin/env bash
# Benchmarks: the proxy against the same upstream registry directly, in one run.
# Prints ratios (proxy / direct) and the proxy's peak RSS while streaming a 1 GiB blob.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v docker-registry >/dev/null || bash scripts/install-test-deps.sh
dotnet build src/Tlogistry -c Release -o bench/.out/proxy -v q -nologo
dotnet run --project bench/Tlogistry.Bench -c Release -- "$PWD/bench/.out/proxy/tlogistry.dll" "$@"
