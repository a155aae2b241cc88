#!/usr/bin/env bash
# Builds didban with warnings as errors and the web UI, and runs every test with CTest. The README's test command.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh -DDIDBAN_WERROR=ON
bash scripts/web.sh  # the web UI: npm ci, build into web/dist, Vitest (tests/web_ui.sh drives it in Chromium)
cd "${BUILD_DIR:-build}"
ctest --output-on-failure -j"${JOBS:-$(nproc)}" --timeout 900
