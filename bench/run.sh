#!/usr/bin/env bash
# The benchmark: tlogistry beside the registry behind it (CNCF Distribution, "direct"),
# beside CNCF Distribution in proxy mode (the peer a user would pick instead) and, for blobs,
# beside two plain relays (HAProxy with splice-auto, socat) in front of the same registry; one
# run, one machine. Prints Markdown tables with ratios and PASS/FAIL per target. Takes about
# 10 minutes.
#
#   bash bench/run.sh [--duration S] [--warmup S] [--rounds N] [--connections N] [--threads N]
#                     [--tag-connections 8,16] [--tag-runs N] [--revalidate-after 60s|0]
#                     [--blob-connections 1,4] [--relay 0|1] [--haproxy-mode tcp|http]
#                     [--cold N] [--burst N] [--huge-mib N] [--only tag,head,digest,blob,cold,burst,rss]
#
# Each option can also be set as BENCH_DURATION, BENCH_WARMUP, ... ; BENCH_TLOGISTRY_ARGS
# adds flags to `tlogistry serve` (e.g. "--Logging:LogLevel:Default=Warning").
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v wrk >/dev/null || need+=(wrk)
command -v socat >/dev/null || need+=(socat)
[ -x /usr/sbin/haproxy ] || need+=(haproxy)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing ${need[*]}; run as root or install them with apt-get" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${need[@]}"
fi

dotnet build src/Tlogistry -c Release -o bench/.out/proxy -v q -nologo
dotnet build bench/Tlogistry.Bench -c Release -o bench/.out/bench -v q -nologo
exec dotnet bench/.out/bench/Tlogistry.Bench.dll "$PWD/bench/.out/proxy/tlogistry.dll" "$@"
