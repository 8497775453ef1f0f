#!/usr/bin/env bash
# Crash-safety soak of the embedded log and the index: `tlogistry serve` is killed with
# SIGKILL during bursts of first sightings, [trials] times (default 50) on one data
# directory, with torn tiles and damaged checkpoints injected in some trials
# (tests/Tlogistry.Tests/EndToEnd/CrashSoakTests.cs). Prints one line per trial and the
# tally. TLOGISTRY_SOAK_SEED=N replays a schedule. Needs docker-registry on PATH.
# With "replicas" as the second argument it soaks two replicas instead: one PostgreSQL store,
# one `tlogistry log serve` (Rekor v2), one replica killed per trial
# (tests/Tlogistry.Tests/EndToEnd/ReplicaCrashSoakTests.cs; needs PostgreSQL too).
set -euo pipefail
cd "$(dirname "$0")/.."

trials="${1:-50}"
mode="${2:-embedded}"
if ! [[ "$trials" =~ ^[1-9][0-9]*$ ]] || ! [[ "$mode" =~ ^(embedded|replicas)$ ]]; then
  echo "usage: $0 [trials] [embedded|replicas]   (a positive number, default 50; default embedded)" >&2
  exit 2
fi

filter="FullyQualifiedName~EndToEnd.CrashSoakTests"
tally="^crash soak tally"
if [ "$mode" = replicas ]; then
  filter="FullyQualifiedName~ReplicaCrashSoak"
  tally="^replica crash soak tally"
fi

# A trial takes a few seconds; the bound leaves room for the build and a slow machine.
limit=$(( 300 + trials * 20 ))
work="$(mktemp -d)"
report="$work/soak.log"
: > "$report"
tail -n +1 -f "$report" &
tail_pid=$!
trap 'kill "$tail_pid" 2>/dev/null || true; rm -rf "$work"' EXIT

echo "crash soak ($mode): $trials trials, wall-time limit ${limit} s"
set +e
TLOGISTRY_SOAK_TRIALS="$trials" TLOGISTRY_REPLICA_SOAK_TRIALS="$trials" TLOGISTRY_SOAK_LOG="$report" \
  timeout --kill-after=30 "$limit" \
  dotnet test tests/Tlogistry.Tests -c Release --filter "$filter" >"$work/dotnet-test.out" 2>&1
rc=$?
set -e
sleep 1
kill "$tail_pid" 2>/dev/null || true

if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
  echo "crash soak: stopped at the ${limit} s wall-time limit after $(grep -c '^trial ' "$report") trials" >&2
elif [ "$rc" -ne 0 ]; then
  tail -n 60 "$work/dotnet-test.out" >&2
fi

echo
grep "$tally" "$report" || echo "crash soak tally: none (the test did not finish)"
exit "$rc"
