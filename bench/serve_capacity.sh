#!/usr/bin/env bash
# Live capacity of `didban serve`: N cameras of 1280x720 H.264 at 25 frames/s served over RTSP by GStreamer
# (tests/tools/rtsp_server.py), each analysed with the default motion detector and a counting line, recorded by
# stream copy and stored in SQLite. After a warm-up, for SECONDS it measures:
#   - CPU of the didban process, every thread (utime + stime of /proc/PID/stat), in cores and per camera;
#   - frames analysed and dropped per camera (the API's camera status), i.e. whether it keeps real time;
#   - the mean time per frame of each stage (the API's stage_seconds), per camera;
#   - event latency from frame capture (the frame's wall-clock stamp, taken when its packet arrives) to delivery on
#     the /api/v1/live WebSocket (tests/tools/ws_tail.py stamps arrival), p50/p99 over every event of the window.
# The RTSP server's own CPU (it plays the cameras) is reported apart and is not didban's. With WRK=1, wrk reads
# GET /api/v1/events?limit=50 at about 200 requests/s (src/server/wrk_200rps.lua) during the window and its latency
# summary is printed after the table row (the REST target: p99 under 50 ms while the cameras run).
#
#   bash bench/serve_capacity.sh [build/didban] [../shared/data] [cameras ...]     (default cameras: 8)
# Environment: SECONDS_MEASURED (60), WARMUP_S (15).
set -euo pipefail
DIDBAN=$(realpath "${1:-build/didban}")
DATA=$(realpath "${2:-../shared/data}")
shift 2 || true
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(8)
MEASURE_S=${SECONDS_MEASURED:-60}
WARMUP_S=${WARMUP_S:-15}
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
rtsp_pid=""
SERVE_PID=""
fail() { echo "serve_capacity: $*" >&2; exit 1; }
cleanup() {
  [ -n "$SERVE_PID" ] && kill -9 "$SERVE_PID" 2>/dev/null
  [ -n "$rtsp_pid" ] && kill "$rtsp_pid" 2>/dev/null
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
source "$here/tests/tools/serve_lib.sh"

clip="$work/road_1280x720_25fps.mp4"
ffmpeg -v error -y -i "$DATA/video_fixed/intel_car-detection.mp4" -vf scale=1280:720,fps=25 -c:v libx264 \
  -preset fast -g 50 -pix_fmt yuv420p -an "$clip"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

echo "| cameras | didban CPU (cores) | CPU per camera (% of a core) | frames analysed | dropped | dropped % | decode / detect / track / rules ms per frame | event latency p50 / p99 ms (events) | RTSP server CPU (cores) |"
echo "|---|---|---|---|---|---|---|---|---|"
for n in "${counts[@]}"; do
  files=()
  for _ in $(seq "$n"); do files+=("$clip"); done
  /usr/bin/python3 "$here/tests/tools/rtsp_server.py" --minutes 3 "${files[@]}" > "$work/rtsp.txt" 2>"$work/rtsp.err" &
  rtsp_pid=$!
  for _ in $(seq 600); do grep -q '^ready' "$work/rtsp.txt" && break; sleep 0.2; done
  grep -q '^ready' "$work/rtsp.txt" || fail "the RTSP server did not start: $(tail -3 "$work/rtsp.err")"
  mapfile -t urls < <(grep '^rtsp://' "$work/rtsp.txt")
  {
    echo "site: {name: capacity}"
    echo "cameras:"
    for i in $(seq "$n"); do
      echo "  - name: cam$i"
      echo "    uri: ${urls[$((i - 1))]}"
      echo "    rules:"
      echo "      - {type: line, name: count, points: [[0, 400], [1280, 400]]}"
    done
  } > "$work/site.yaml"
  rm -rf "$work/data"
  serve_start "$work/serve.txt" serve --site "$work/site.yaml" --listen 127.0.0.1:0 --data "$work/data"
  sleep "$WARMUP_S"
  api GET /cameras > "$work/before.json"
  /usr/bin/python3 "$here/tests/tools/ws_tail.py" "ws://127.0.0.1:$PORT/api/v1/live?topics=event" > "$work/ws.txt" &
  ws_pid=$!
  if [ "${WRK:-0}" = 1 ]; then
    wrk -t2 -c4 -d"${MEASURE_S}s" --latency -s "$here/src/server/wrk_200rps.lua" \
      "http://127.0.0.1:$PORT/api/v1/events?limit=50" > "$work/wrk.txt" 2>&1 &
    wrk_pid=$!
  fi
  c0=$(cpu_ticks "$SERVE_PID")
  r0=$(cpu_ticks "$rtsp_pid")
  t0=$(date +%s.%N)
  sleep "$MEASURE_S"
  c1=$(cpu_ticks "$SERVE_PID")
  r1=$(cpu_ticks "$rtsp_pid")
  t1=$(date +%s.%N)
  api GET /cameras > "$work/after.json"
  if [ "${WRK:-0}" = 1 ]; then wait "$wrk_pid" || true; fi
  kill "$ws_pid" 2>/dev/null || true
  wait "$ws_pid" 2>/dev/null || true
  serve_stop "$work/serve.txt"
  kill "$rtsp_pid"
  wait "$rtsp_pid" 2>/dev/null || true
  rtsp_pid=""
  /usr/bin/python3 - "$work" "$n" "$c0" "$c1" "$r0" "$r1" "$t0" "$t1" "$hz" <<'EOF'
import json, sys
work, n = sys.argv[1], int(sys.argv[2])
c0, c1, r0, r1 = (int(v) for v in sys.argv[3:7])
t0, t1, hz = float(sys.argv[7]), float(sys.argv[8]), int(sys.argv[9])
wall = t1 - t0
before = {c["name"]: c["status"] for c in json.load(open(f"{work}/before.json"))["cameras"]}
after = {c["name"]: c["status"] for c in json.load(open(f"{work}/after.json"))["cameras"]}
frames = sum(after[k]["frames_total"] - before[k]["frames_total"] for k in after)
dropped = sum(after[k]["frames_dropped_total"] - before[k]["frames_dropped_total"] for k in after)
stages = {}
for s in after.values():
    for k, v in s.get("stage_seconds", {}).items():
        stages.setdefault(k, []).append(v)
def ms(name):
    v = stages.get(name)
    return f"{1000 * sum(v) / len(v):.1f}" if v else "-"
lat = []
for line in open(f"{work}/ws.txt"):
    parts = line.rstrip("\n").split("\t", 1)
    if len(parts) != 2:
        continue
    try:
        m = json.loads(parts[1])
    except ValueError:
        continue
    if m.get("topic") == "event" and "time_us" in m.get("data", {}):
        lat.append(1000 * (float(parts[0]) - m["data"]["time_us"] / 1e6))
lat.sort()
def pct(p):
    return f"{lat[min(len(lat) - 1, int(p * len(lat)))]:.0f}" if lat else "-"
cores = (c1 - c0) / hz / wall
total = frames + dropped
print(f"| {n} | {cores:.2f} | {100 * cores / n:.1f} | {frames} | {dropped} | "
      f"{100 * dropped / total if total else 0:.2f} | {ms('decode')} / {ms('detect')} / {ms('track')} / {ms('rules')} | "
      f"{pct(0.5)} / {pct(0.99)} ({len(lat)}) | {(r1 - r0) / hz / wall:.2f} |")
EOF
  if [ "${WRK:-0}" = 1 ]; then grep -E "Requests/sec|^ +(50|90|99)%" "$work/wrk.txt" | tr -s ' ' | paste -sd ' '; fi
done
