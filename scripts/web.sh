#!/usr/bin/env bash
# Builds and unit-tests the web UI (web/): npm ci from the lock file, type check and Vite build into web/dist, then
# the Vitest unit tests. `didban serve` serves web/dist. Needs Node.js >= 20.19 and npm (the npm registry, or a
# warm npm cache).
set -euo pipefail
cd "$(dirname "$0")/../web"
command -v npm > /dev/null || { echo "web.sh: npm not found (install Node.js 20)" >&2; exit 1; }
npm ci --no-audit --no-fund
npm run build
npm test
gz=$(cat dist/assets/*.js | gzip -9 | wc -c)
echo "web.sh: built web/dist, JavaScript $(cat dist/assets/*.js | wc -c) bytes, $gz bytes gzipped"
