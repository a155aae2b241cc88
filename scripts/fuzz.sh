#!/usr/bin/env bash
# Fuzzing (docs/security.md, "Fuzzing"): builds the libFuzzer targets of fuzz/ with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer in build-fuzz (only the stage libraries they link), runs each for a fixed number of
# inputs grown from its seed corpus (fuzz/corpus/<target>/, with the keywords of fuzz/dict/<target>.dict), then replays the inputs kept as regression tests
# (fuzz/regressions/<target>/) and the hostile inputs of ../shared/data/bad_input that the target parses. Any crash,
# sanitizer report, leak, input over the time limit or over the memory limit fails the run (exit status 1); a crashing
# input is left in build-fuzz/fuzz-artifacts/<target>/ (keep it under fuzz/regressions/<target>/ once fixed).
#
# Usage: scripts/fuzz.sh [--no-build] [target...]   (targets: the names of fuzz/*_fuzzer.cc without _fuzzer.cc)
# Environment: FUZZ_RUNS inputs per target (default 50000, as CI runs it), FUZZ_SEED (default 1: the same inputs every run; 0 =
# random), FUZZ_TIMEOUT_S per input (default 10), FUZZ_RSS_MB (default 2048), JOBS targets at once (default nproc),
# BUILD_DIR (default build-fuzz), DIDBAN_DATA_DIR (default ../shared/data).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=1
targets=()
for a in "$@"; do
  case "$a" in
    --no-build) build=0 ;;
    -*) echo "fuzz: unknown option '$a'" >&2; exit 2 ;;
    *) targets+=("$a") ;;
  esac
done
if [ ${#targets[@]} -eq 0 ]; then
  for f in fuzz/*_fuzzer.cc; do f=${f#fuzz/}; targets+=("${f%_fuzzer.cc}"); done
fi
BUILD_DIR=${BUILD_DIR:-build-fuzz}
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR=$root/$BUILD_DIR ;; esac
DATA_DIR=${DIDBAN_DATA_DIR:-$root/../shared/data}
export FUZZ_RUNS=${FUZZ_RUNS:-50000} FUZZ_SEED=${FUZZ_SEED:-1} FUZZ_TIMEOUT_S=${FUZZ_TIMEOUT_S:-10}
export FUZZ_RSS_MB=${FUZZ_RSS_MB:-2048} BUILD_DIR DATA_DIR root

if [ "$build" = 1 ]; then
  start=$SECONDS
  CC=clang CXX=clang++ cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDIDBAN_FUZZ=ON \
    -DDIDBAN_BUILD_TESTS=OFF -DDIDBAN_BUILD_BENCH=OFF >/dev/null
  build_targets=()
  for t in "${targets[@]}"; do build_targets+=("${t}_fuzzer"); done
  cmake --build "$BUILD_DIR" -j"${JOBS:-$(nproc)}" --target "${build_targets[@]}"
  echo "fuzz: built ${#targets[@]} targets in $((SECONDS - start)) s"
fi

if [ -n "${CI:-}" ] && [ ! -d "$DATA_DIR/bad_input" ]; then
  echo "fuzz: $DATA_DIR/bad_input is missing (CI is set)" >&2
  exit 1
fi

# The files of ../shared/data/bad_input that target $1 parses (replayed, never copied into the project).
bad_inputs() {
  local d=$DATA_DIR/bad_input
  case "$1" in
    mot) echo "$d"/det_frame_*.txt "$d"/tracks_small.txt ;;
    site_config) echo "$d"/site_*.yaml ;;
    telemetry_csv) echo "$d"/telemetry_*.csv ;;
    ulog) echo "$d"/*.ulg ;;
    geojson_area) echo "$d"/*.geojson ;;
  esac
}
export -f bad_inputs

# Fuzzes one target, then replays its regression inputs; prints one summary line; the log is fuzz-logs/<target>.log.
fuzz_one() {
  local t=$1 bin=$BUILD_DIR/fuzz/${1}_fuzzer log=$BUILD_DIR/fuzz-logs/$1.log
  local work=$BUILD_DIR/fuzz-corpus/$t artifacts=$BUILD_DIR/fuzz-artifacts/$t/
  rm -rf "$work" "$artifacts"
  mkdir -p "$work" "$artifacts" "$(dirname "$log")"
  local max_len=4096
  [ "$t" = ulog ] && max_len=16384
  # Past the server's 16 KiB header limit, so the 431 is reachable.
  [ "$t" = http_request ] && max_len=20480
  local opts=(-timeout="$FUZZ_TIMEOUT_S" -rss_limit_mb="$FUZZ_RSS_MB" -artifact_prefix="$artifacts"
    -print_final_stats=1)
  [ -f "$root/fuzz/dict/$t.dict" ] && opts+=(-dict="$root/fuzz/dict/$t.dict")
  local start=$SECONDS status=0
  # The calibration target writes its input to files: in memory when /dev/shm is there (ten times faster).
  if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then export TMPDIR=/dev/shm; fi
  # New inputs go to the first folder (build-fuzz), the seeds are only read.
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "$bin" "${opts[@]}" -runs="$FUZZ_RUNS" -seed="$FUZZ_SEED" -max_len="$max_len" "$work" "$root/fuzz/corpus/$t" \
    >"$log" 2>&1 || status=$?
  local seconds=$((SECONDS - start))
  local execs cov ft
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
  local replay=() f
  for f in "$root"/fuzz/regressions/"$t"/* $(bad_inputs "$t"); do [ -f "$f" ] && replay+=("$f"); done
  if [ "$status" = 0 ] && [ ${#replay[@]} -gt 0 ]; then
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
      "$bin" "${opts[@]}" "${replay[@]}" >>"$log" 2>&1 || status=$?
  fi
  if [ "$status" = 0 ]; then
    echo "fuzz: $t: ${execs:-?} inputs in $seconds s, ${cov:-cov: ?}, ${#replay[@]} regression inputs replayed: ok"
  else
    echo "fuzz: $t: FAILED (exit $status) after ${execs:-?} inputs; log $log:" >&2
    # From the first report (sanitizer, libFuzzer, an abort message) on, without the stack frames of libFuzzer itself.
    awk '/ERROR|runtime error|ALARM|out-of-memory|Running: |does not read back/ {on = 1} on' "$log" |
      grep -v 'in fuzzer::\|in __libc_start\|in _start\|in main ' | head -40 >&2
    return 1
  fi
}
export -f fuzz_one

start=$SECONDS
failed=0
printf '%s\n' "${targets[@]}" | xargs -P "${JOBS:-$(nproc)}" -I{} bash -c 'fuzz_one "$1"' _ {} || failed=1
echo "fuzz: ${#targets[@]} targets, $FUZZ_RUNS inputs each (seed $FUZZ_SEED), in $((SECONDS - start)) s"
exit "$failed"
