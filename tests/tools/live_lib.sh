# Helpers for the live-source CLI tests (tests/live_*.sh): sourced, not run. Real servers started by the test:
# `ffmpeg -listen 1` (MPEG-TS over HTTP, one client per process) and tests/tools/rtsp_server.py (GStreamer).
# Expects DIDBAN, DATA and work (a temporary folder) to be set, and `fail` to be defined.

LIVE_TOOLS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CLIP=$DATA/video_fixed/intel_car-detection.mp4
SITE=$(cd "$LIVE_TOOLS/../.." && pwd)/examples/intel_car_detection.yaml
[ -f "$CLIP" ] || fail "test material missing: $CLIP"

. "$LIVE_TOOLS/ports.sh"  # free_port
now() { date +%s.%N; }
# seconds_since T0: wall seconds since a `now` reading, 3 decimals.
seconds_since() { python3 -c "import sys, time; print(f'{time.time() - float(sys.argv[1]):.3f}')" "$1"; }
# json FILE EXPR: a value of a JSON file (EXPR in Python, `j` is the document).
json() { python3 -c "import json, sys; j = json.load(open(sys.argv[1])); print($2)" "$1"; }

# serving PORT: true when a TCP socket on 127.0.0.1:PORT listens or has a client (read from /proc/net/tcp: a probing
# connection would be the one client `ffmpeg -listen 1` serves). `ffmpeg -listen 1` closes its listening socket as
# soon as it accepts its one client, so when didban is already retrying (a restart on the same port) the listening
# state lasts milliseconds: an established connection on the port counts as serving too.
serving() {
  python3 -c "import sys; p = '%04X' % int(sys.argv[1]); sys.exit(0 if any(
    l.split()[1].endswith(':' + p) and l.split()[3] in ('0A', '01') for l in list(open('/proc/net/tcp'))[1:]) else 1)" "$1"
}

# start_http PORT [SECONDS=30]: serves the clip looped in real time as MPEG-TS over HTTP; sets HTTP_PID. Returns 0
# once the port listens (or already serves a client: serving); 1 if ffmpeg ended first (its errors in $work/http_server.err: e.g. something else took the
# port); 2 if it did not listen within SECONDS (it is killed; what it was doing is appended to http_server.err).
start_http() {
  ffmpeg -nostdin -loglevel error -re -stream_loop -1 -i "$CLIP" -an -c:v copy -f mpegts -listen 1 \
    "http://127.0.0.1:$1/live.ts" 2>"$work/http_server.err" &
  HTTP_PID=$!
  local deadline=$((SECONDS + ${2:-30}))
  while [ $SECONDS -lt $deadline ]; do
    serving "$1" && return 0
    if ! kill -0 "$HTTP_PID" 2>/dev/null; then
      wait "$HTTP_PID" 2>/dev/null || true
      return 1
    fi
    sleep 0.05
  done
  echo "ffmpeg (PID $HTTP_PID) not serving on port $1 after ${2:-30} s: state $(awk '{print $3}' \
    "/proc/$HTTP_PID/stat" 2>/dev/null), waiting in $(cat "/proc/$HTTP_PID/wchan" 2>/dev/null)" >>"$work/http_server.err"
  kill -9 "$HTTP_PID" 2>/dev/null || true
  wait "$HTTP_PID" 2>/dev/null || true
  return 2
}

# start_http_free: start_http on a free port, drawing another when ffmpeg could not serve the one drawn (another
# test bound it between the draw and ffmpeg's bind, or ffmpeg did not listen within 20 s on a loaded machine; seen
# twice in CI-like runs, always before didban connects, so a retry changes nothing the test checks); sets port and
# HTTP_PID.
start_http_free() {
  for _ in 1 2 3 4 5; do
    port=$(free_port)
    start_http "$port" 20 && return 0
    echo "ffmpeg could not serve on port $port ($(cat "$work/http_server.err")); drawing another" >&2
  done
  fail "ffmpeg could not serve on 5 free ports: $(cat "$work/http_server.err")"
}

# start_rtsp [PORT]: serves the clip over RTSP; sets RTSP_PID and RTSP_URL (waits until it is ready).
start_rtsp() {
  local out=$work/rtsp_server.$RANDOM
  /usr/bin/python3 "$LIVE_TOOLS/rtsp_server.py" --minutes 2 --port "${1:-0}" "$CLIP" >"$out" 2>"$out.err" &
  RTSP_PID=$!
  for _ in $(seq 100); do
    grep -qx ready "$out" 2>/dev/null && break
    kill -0 "$RTSP_PID" 2>/dev/null || fail "rtsp_server.py died: $(cat "$out.err")"
    sleep 0.1
  done
  grep -qx ready "$out" || fail "rtsp_server.py not ready after 10 s"
  RTSP_URL=$(head -1 "$out")
}

# start_analyze OUT URL [ARGS...]: runs `didban analyze` in the background; sets AN_PID.
start_analyze() {
  local out=$1 url=$2
  shift 2
  "$DIDBAN" analyze "$url" --out "$out" -q "$@" >"$out.stdout" 2>"$out.stderr" &
  AN_PID=$!
}

# wait_frames OUT N [SECONDS]: waits until tracks.txt has a row for frame N or later (rows are flushed per frame).
wait_frames() {
  local deadline=$((SECONDS + ${3:-30}))
  while [ $SECONDS -lt $deadline ]; do
    if [ -s "$1/tracks.txt" ] && [ "$(tail -1 "$1/tracks.txt" | cut -d, -f1)" -ge "$2" ] 2>/dev/null; then return 0; fi
    kill -0 "$AN_PID" 2>/dev/null || fail "didban analyze ended early: $(cat "$1.stderr")"
    sleep 0.2
  done
  fail "no frame $2 in $1/tracks.txt after ${3:-30} s: $(cat "$1.stderr")"
}

# stop_analyze SIGNAL OUT LABEL: signals didban, waits for it; fails unless it exits 0 within 5 s (a sanity bound);
# prints and records the exit time (STOP_S).
stop_analyze() {
  local sig=$1 out=$2 label=$3 t0 rc=0
  t0=$(now)
  kill "-$sig" "$AN_PID"
  for _ in $(seq 50); do kill -0 "$AN_PID" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$AN_PID" 2>/dev/null; then
    kill -9 "$AN_PID"
    fail "$label: didban still running 5 s after SIG$sig: $(tail -5 "$out.stderr")"
  fi
  wait "$AN_PID" || rc=$?
  STOP_S=$(seconds_since "$t0")
  [ "$rc" -eq 0 ] || fail "$label: exit $rc after SIG$sig: $(cat "$out.stderr")"
  echo "$label: exited ${STOP_S} s after SIG$sig"
}

# check_outputs OUT END: summary says END, the annotated video is playable, tracks and events are there.
check_outputs() {
  local out=$1 end=$2 frames
  [ -s "$out/summary.json" ] || fail "$out: no summary.json"
  [ "$(json "$out/summary.json" 'j["end"]')" = "$end" ] || fail "$out: end $(json "$out/summary.json" 'j["end"]'), want $end"
  [ "$(json "$out/summary.json" 'j["complete"]')" = "False" ] || fail "$out: complete is not false"
  [ -f "$out/events.jsonl" ] || fail "$out: no events.jsonl"
  [ -s "$out/tracks.txt" ] || fail "$out: empty tracks.txt"
  frames=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 \
    "$out/annotated.mp4" 2>/dev/null || true)
  [ -n "$frames" ] && [ "$frames" -gt 0 ] || fail "$out: annotated.mp4 is not playable"
  echo "$out: end=$end, annotated.mp4 plays $frames frames, $(wc -l <"$out/tracks.txt") track rows," \
    "$(wc -l <"$out/events.jsonl") events"
}

cleanup_servers() {
  for p in ${AN_PID:-} ${HTTP_PID:-} ${RTSP_PID:-}; do
    kill -CONT "$p" 2>/dev/null || true
    kill -9 "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
}
