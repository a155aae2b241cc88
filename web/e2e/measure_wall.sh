#!/usr/bin/env bash
# Measures the 3x3 video wall in headless Chromium against a real `didban serve` of nine cameras (the three
# Autostrade clips, three times each, played live): the wall's drawing rate, tracks on screen, and the server's CPU
# with no viewer, one MSE viewer and nine (docs/performance.md, "Web UI"). Not a test: prints "measure:" lines.
#   bash web/e2e/measure_wall.sh <didban> <data-dir>
set -euo pipefail
DIDBAN=$1
DATA=$(cd "$2" && pwd)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; sleep 1; rm -rf "$work"' EXIT
{
  echo "site: {name: wall-3x3}"
  echo "cameras:"
  for i in 1 2 3; do
    for clip in autostrade_a01_haze autostrade_a04_low_sun autostrade_a14_fog; do
      echo "  - {name: ${clip#autostrade_}-$i, uri: $DATA/video_fixed/traffic/$clip.mp4, detector: {type: motion, model: mog2, warmup_s: 1.0}}"
    done
  done
} > "$work/site.yaml"
"$DIDBAN" serve --site "$work/site.yaml" --listen 127.0.0.1:0 --data "$work/data" --web "$ROOT/web/dist" --no-record \
  > "$work/out.txt" 2>&1 &
pid=$!
for _ in $(seq 150); do
  port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$work/out.txt" | head -1 | sed 's/.*://') || true
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { cat "$work/out.txt"; exit 1; }
cd "$ROOT/web"
DIDBAN_E2E_MEASURE_ONLY=1 DIDBAN_SERVER_PID=$pid DIDBAN_E2E_CAMERA=a01_haze-1 \
  node e2e/run.mjs "http://127.0.0.1:$port" "${WEB_SCREENS:-$ROOT/build/web-screens}"
