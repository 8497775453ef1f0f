#!/usr/bin/env bash
# Fuzzes the pure parsers (names, routes, digests and tags, WWW-Authenticate, signed notes,
# checkpoints, verifier keys, tile paths, entry bundles) for a bounded time per target.
#
#   bash scripts/fuzz.sh [seconds-per-target] [target ...]     (default 60 s, every target)
#
# The engine is afl-fuzz (Debian's afl++) driving SharpFuzz-instrumented parsers; with
# FUZZ_ENGINE=mutation, or when afl++ cannot be installed, the driver's own in-process
# mutation fuzzer runs instead. Prints executions and time per target and in total; exits 1
# when any target crashed, hung or broke a property, after replaying and minimising the input.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
shift || true
engine="${FUZZ_ENGINE:-afl}"
out="$(realpath -m "${FUZZ_OUT:-fuzz/.out}")"
rm -rf "$out"
mkdir -p "$out"

if [ "$engine" = afl ] && ! command -v afl-fuzz >/dev/null; then
  if [ "$(id -u)" -eq 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -q && apt-get install -y -q --no-install-recommends afl++; } >"$out/apt.log" 2>&1 || true
  fi
  if ! command -v afl-fuzz >/dev/null; then
    echo "afl++ is not installed and could not be (see $out/apt.log); using the mutation engine" >&2
    engine=mutation
  fi
fi

# An uninstrumented build writes seeds and replays findings; afl-fuzz runs an instrumented copy.
dotnet publish fuzz/Tlogistry.Fuzz -c Release -o "$out/bin" -v quiet -nologo >"$out/build.log" 2>&1 \
  || { cat "$out/build.log" >&2; exit 1; }
driver=(dotnet "$out/bin/Tlogistry.Fuzz.dll")
if [ $# -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <("${driver[@]}" list | awk '{print $1}')
fi

total_execs=0
total_seconds=0
failed=()

if [ "$engine" = mutation ]; then
  for target in "${targets[@]}"; do
    if ! "${driver[@]}" run "$target" "$seconds" | tee "$out/$target.log"; then
      failed+=("$target")
    fi
    execs=$(sed -n 's/^[^:]*: \([0-9]*\) executions in \([0-9.]*\) s.*/\1/p' "$out/$target.log")
    secs=$(sed -n 's/^[^:]*: [0-9]* executions in \([0-9.]*\) s.*/\1/p' "$out/$target.log")
    total_execs=$(( total_execs + ${execs:-0} ))
    total_seconds=$(awk -v a="$total_seconds" -v b="${secs:-0}" 'BEGIN { printf "%.0f", a + b }')
  done
else
  (cd fuzz && dotnet tool restore >/dev/null)
  cp -r "$out/bin" "$out/afl"
  # Only the parsers (and their generated regexes) are instrumented, not the harness.
  (cd fuzz && dotnet tool run sharpfuzz "$out/afl/Tlogistry.Fuzz.dll" \
    Tlogistry.Oci Tlogistry.Upstream.Auth Tlogistry.Transparency System.Text.RegularExpressions.Generated) >"$out/instrument.log"
  "${driver[@]}" seeds "$out/seeds" >/dev/null
  mkdir -p "$out/findings"

  export AFL_SKIP_BIN_CHECK=1            # the target binary is dotnet, instrumented in IL, not at build time
  export AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
  export FUZZ_BUDGET_MS="${FUZZ_BUDGET_MS:-1000}"
  printf '%-18s %12s %8s %10s %8s %8s %8s %7s\n' target executions seconds execs/s corpus edges crashes hangs
  for target in "${targets[@]}"; do
    findings="$out/findings/$target"
    set +e
    timeout $(( seconds + 300 )) afl-fuzz -V "$seconds" -i "$out/seeds/$target" -o "$findings" \
      -x "$out/seeds/$target.dict" -t 5000 -G 4096 -- dotnet "$out/afl/Tlogistry.Fuzz.dll" afl "$target" >"$out/$target.log" 2>&1
    rc=$?
    set -e
    stats="$findings/default/fuzzer_stats"
    if [ $rc -ne 0 ] || [ ! -f "$stats" ]; then
      echo "$target: afl-fuzz failed (exit $rc); last lines of $out/$target.log:" >&2
      tail -n 15 "$out/$target.log" >&2
      failed+=("$target")
      continue
    fi
    stat() { sed -n "s/^$1 *: *//p" "$stats"; }
    printf '%-18s %12s %8s %10s %8s %8s %8s %7s\n' "$target" "$(stat execs_done)" "$(stat run_time)" \
      "$(stat execs_per_sec)" "$(stat corpus_count)" "$(stat edges_found)" "$(stat saved_crashes)" "$(stat saved_hangs)"
    total_execs=$(( total_execs + $(stat execs_done) ))
    total_seconds=$(( total_seconds + $(stat run_time) ))
    mapfile -t found < <(find "$findings/default/crashes" "$findings/default/hangs" -type f -name 'id:*' 2>/dev/null | sort)
    if [ ${#found[@]} -gt 0 ]; then
      failed+=("$target")
      "${driver[@]}" replay "$target" "${found[@]}" | head -n 60 || true
    fi
  done
fi

echo "fuzz ($engine): ${#targets[@]} targets, $total_execs executions in $total_seconds s; findings in $out"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: failures in ${failed[*]}" >&2
  exit 1
fi
