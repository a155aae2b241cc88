#!/usr/bin/env bash
# The live-source figures of docs/performance.md (not a test: it measures and prints).
#   bash tests/tools/live_measure.sh <didban> <data-dir> [seconds of HTTP streaming, default 60] [stop tries, default 10]
# 1. MPEG-TS over HTTP (`ffmpeg -re -stream_loop -1 -i intel_car-detection.mp4 -c:v copy -f mpegts -listen 1`),
#    analysed for SECONDS, then SIGINT: frames analysed / decoded, drops by cause, CPU.
# 2. Stop while reconnecting, TRIES times: stream 2 s, kill the server, wait 2 s (refused attempts), SIGINT; the exit
#    time, and whether summary.json (end "stopped"), tracks.txt and a playable annotated.mp4 are there.
set -euo pipefail
DIDBAN=$1
DATA=$2
SECS=${3:-60}
TRIES=${4:-10}
work=$(mktemp -d)
fail() { echo "FAIL: $*" >&2; exit 1; }
. "$(dirname "$0")/live_lib.sh"
trap 'cleanup_servers; rm -rf "$work"' EXIT

start_http_free
start_analyze "$work/m" "http://127.0.0.1:$port/live.ts"
sleep "$SECS"
stop_analyze INT "$work/m" "HTTP ${SECS} s"
python3 - "$work/m/summary.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
a, d = j["frames_analysed"], j["frames_decoded"]
print(f"analysed {a} of {d} decoded ({100 * a / d:.2f} %), drops {j['drops']}, {j['frames_per_s']:.2f} frames/s, "
      f"CPU {j['cpu_s']:.1f} s over {j['wall_s']:.1f} s wall ({100 * j['cpu_s'] / j['wall_s']:.1f} % of one core)")
PY
wait "$HTTP_PID" 2>/dev/null || true

ok=0
for i in $(seq "$TRIES"); do
  start_http_free
  start_analyze "$work/s$i" "http://127.0.0.1:$port/live.ts"
  wait_frames "$work/s$i" 10
  kill -9 "$HTTP_PID"; wait "$HTTP_PID" 2>/dev/null || true
  sleep 2
  stop_analyze INT "$work/s$i" "try $i: stop while reconnecting"
  if check_outputs "$work/s$i" stopped >/dev/null; then ok=$((ok + 1)); fi
  echo "try $i: $STOP_S s, outputs $([ -s "$work/s$i/summary.json" ] && echo valid), attempts $(json "$work/s$i/summary.json" 'j["reconnect_attempts"]')"
done
echo "stop while reconnecting: $ok of $TRIES tries exited with valid outputs"
