#!/usr/bin/env bash
# The test command (the README's): installs what the tests need when it is missing, then runs
# the unit tests and the end-to-end tests against real registries and clients.
set -euo pipefail
cd "$(dirname "$0")/.."

# The real parts the end-to-end tests run against, installed with apt when missing.
bash scripts/install-test-deps.sh

results="$(mktemp -d)"
set +e
dotnet test tests/Tlogistry.Tests -c Release --logger "trx;LogFileName=results.trx" --results-directory "$results" "$@"
rc=$?
set -e

# A plain closing line any CI reader understands.
trx="$results/results.trx"
if [ -f "$trx" ]; then
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  get() { echo "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
  passed=$(get passed); failed=$(get failed); total=$(get total); executed=$(get executed)
  skipped=$(( ${total:-0} - ${executed:-0} ))
  echo "tests: ${passed:-0} passed, ${failed:-0} failed, ${skipped} skipped"
fi
exit $rc
