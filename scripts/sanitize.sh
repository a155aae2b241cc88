#!/usr/bin/env bash
# AddressSanitizer + UndefinedBehaviorSanitizer build of the unit tests, run with CTest. By default the stages whose
# logic is our own (no codec or DNN inside): pass stage names to choose others, e.g. `scripts/sanitize.sh source`.
set -euo pipefail
cd "$(dirname "$0")/.."
stages=("$@")
if [ ${#stages[@]} -eq 0 ]; then stages=(core track eval geo rules fuse plan config); fi
BUILD_DIR=${BUILD_DIR:-build-asan}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDIDBAN_SANITIZE=ON -DDIDBAN_WERROR=ON \
  -DDIDBAN_BUILD_BENCH=OFF >/dev/null
targets=()
for s in "${stages[@]}"; do targets+=("${s}_test"); done
cmake --build "$BUILD_DIR" -j"${JOBS:-$(nproc)}" --target "${targets[@]}"
labels=$(IFS='|'; echo "${stages[*]}")
cd "$BUILD_DIR"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --output-on-failure -j"${JOBS:-$(nproc)}" --timeout 900 -L "^(${labels})\$"
