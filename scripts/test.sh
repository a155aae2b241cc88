#!/usr/bin/env bash
# Builds didban with warnings as errors and runs every test with CTest. The README's test command.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh -DDIDBAN_WERROR=ON
cd "${BUILD_DIR:-build}"
ctest --output-on-failure -j"${JOBS:-$(nproc)}" --timeout 900
