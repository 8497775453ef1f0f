#!/usr/bin/env bash
# The growth benchmark: how tlogistry's start-up, memory, latencies, first-sighting
# throughput, listings, audit, index rebuild and disk use change as its log grows. One table
# per store (SQLite, PostgreSQL; embedded log), a row per size, a "growth per 10x" row, and
# PASS/FAIL per target. Sizes are sightings in the log (default 10000 100000 1000000); the
# data is seeded in-process with the service's own ledger, and every figure is measured
# through a `tlogistry serve` process and the `tlogistry` commands.
#
#   bash bench/growth.sh [SIZE ...] [--store sqlite|postgres|both] [--warm N] [--warm-up N]
#                        [--connections N] [--cold N] [--first N] [--clients N] [--listings N]
#                        [--seed-concurrency N]
set -euo pipefail
cd "$(dirname "$0")/.."

# PostgreSQL (initdb, postgres) is needed unless the run is for SQLite alone.
want_pg=1
prev=
for a in "$@"; do
  if [ "$prev" = --store ] && [ "$a" = sqlite ]; then want_pg=0; fi
  prev=$a
done
if [ "$want_pg" = 1 ] && ! ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 && ! command -v initdb >/dev/null; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing PostgreSQL (initdb, postgres); install it with apt-get or run with --store sqlite" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends postgresql
fi

# eatmydata lets the seeder skip its fsyncs (same files, written faster); without it seeding is slower.
if ! command -v eatmydata >/dev/null && [ "$(id -u)" -eq 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends eatmydata >/dev/null \
    || echo "eatmydata not installed; seeding with fsyncs" >&2
fi

dotnet build src/Tlogistry -c Release -o bench/.out/growth/proxy -v q -nologo
dotnet build bench/Tlogistry.Bench -c Release -o bench/.out/growth/bench -v q -nologo
exec dotnet bench/.out/growth/bench/Tlogistry.Bench.dll growth "$PWD/bench/.out/growth/proxy/tlogistry.dll" "$@"
